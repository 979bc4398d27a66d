#!/usr/bin/env bash
# PostgreSQL for tests and local distributed runs: `deploy/postgres.sh ensure` starts the
# local cluster if it is down (installing PostgreSQL from Debian's packages if it is missing)
# and fails loudly if 127.0.0.1:5432 still does not answer.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres.sh: PostgreSQL is not installed; installing it" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if ! ready; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "postgres.sh: starting PostgreSQL $version" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do
    ready && break
    sleep 1
  done
  if ! ready; then
    echo "postgres.sh: PostgreSQL does not answer on 127.0.0.1:5432" >&2
    exit 1
  fi
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null; then
    echo "postgres.sh: cannot log in as postgres on 127.0.0.1:5432 (trust auth expected)" >&2
    exit 1
  fi
}

case "${1:-}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
