#!/usr/bin/env bash
# The test command: make sure the backends the tests need are up, then run every test.
# Fails loudly when a backend is missing; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/postgres.sh ensure
export INNOHUB_TEST_POSTGRES_URL="${INNOHUB_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# The end-to-end tests start their own Kafka-protocol brokers (Tansu) from this binary.
tansu_bin=$(deploy/tansu.sh install | tail -n 1)
[[ -x $tansu_bin ]] || { echo "test.sh: no tansu binary (deploy/tansu.sh install printed '$tansu_bin')" >&2; exit 1; }
export INNOHUB_TANSU_BIN="$tansu_bin"

INNOHUB_CHROMIUM=$(deploy/chromium.sh ensure | tail -n 1); export INNOHUB_CHROMIUM
# The dashboard's browser test runs under Node.js with playwright-core (tests/browser).
deploy/node.sh ensure >/dev/null
# The black-box tests run the `innohub` binary; build it first, so that no test waits for it.
cargo build --locked -p innohub-gateway --bin innohub
exec cargo test --workspace --locked "$@"
