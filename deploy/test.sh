#!/usr/bin/env bash
# The test command: make sure the backends the tests need are up, then run every test.
# Fails loudly when a backend is missing; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/postgres.sh ensure

export INNOHUB_TEST_POSTGRES_URL="${INNOHUB_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
exec cargo test --workspace --locked "$@"
