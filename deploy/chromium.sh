#!/usr/bin/env bash
# Chromium for the headless-browser test of GraphiQL (tests/tests/graphiql.rs):
# `deploy/chromium.sh ensure` installs Debian's chromium package if /usr/bin/chromium is
# missing, then prints its path (pass it to the tests as INNOHUB_CHROMIUM).
set -euo pipefail

bin=/usr/bin/chromium

ensure() {
  if [[ ! -x $bin ]]; then
    echo "chromium.sh: Chromium is not installed; installing it" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [[ ! -x $bin ]]; then
    echo "chromium.sh: no Chromium at $bin after installing the chromium package" >&2
    exit 1
  fi
  echo "$bin"
}

case "${1:-}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
