#!/usr/bin/env bash
# The local Kafka-protocol broker for tests and development: Tansu 0.6.0 (Apache-2.0,
# https://github.com/tansu-io/tansu), a single Rust binary. No Apache Kafka distribution is
# installable on the development machines; compose and Kubernetes use real Kafka.
#
#   deploy/tansu.sh install
#       Finds a usable tansu 0.6.0: INNOHUB_TANSU_BIN, PATH, ~/.cargo/bin, or the prebuilt
#       copy the development machines keep in shared/tools/ beside the checkout. Without one
#       it installs it with `cargo install` (15-25 minutes the first time). The last line of
#       stdout is the path of the binary; the end-to-end tests take it from
#       INNOHUB_TANSU_BIN (deploy/test.sh).
#   deploy/tansu.sh start [--port 9092] [--data DIR]
#       Runs a broker in the foreground on 127.0.0.1:PORT. Without --data it keeps
#       everything in memory; with --data, in DIR/tansu.db (SQLite), so topics and consumer
#       offsets survive a restart. Installs tansu first if it is missing.
set -euo pipefail

TANSU_VERSION=0.6.0
# dynostore: the memory:// engine; libsql: the sqlite:// engine.
TANSU_FEATURES=dynostore,libsql

die() { echo "tansu.sh: $*" >&2; exit 1; }

# The checkout this script belongs to, and where the development machines keep prebuilt tools.
checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prebuilt=("$checkout/../shared/tools/tansu" "/work/shared/tools/tansu")

# A usable tansu: the wanted version, built with both storage engines (`tansu --help` lists
# them as "Storage engines: dynostore, libsql").
usable() {
  local bin=$1
  [[ -n $bin && -x $bin ]] || return 1
  [[ $("$bin" --version 2>/dev/null) == "tansu $TANSU_VERSION" ]] || return 1
  local engines
  engines=$("$bin" --help 2>/dev/null | grep '^Storage engines:') || return 1
  [[ $engines == *dynostore* && $engines == *libsql* ]]
}

# Prints the path of a usable tansu, or fails.
find_tansu() {
  local candidate
  for candidate in "${INNOHUB_TANSU_BIN:-}" "$(command -v tansu 2>/dev/null || true)" \
    "${CARGO_HOME:-$HOME/.cargo}/bin/tansu" "$HOME/.cargo/bin/tansu" "${prebuilt[@]}"; do
    if usable "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

install() {
  local bin
  if bin=$(find_tansu); then
    echo "$bin"
    return 0
  fi
  command -v cargo >/dev/null 2>&1 || die "no tansu $TANSU_VERSION with features $TANSU_FEATURES, and cargo is not installed"
  echo "tansu.sh: installing tansu $TANSU_VERSION with cargo (15-25 minutes the first time)" >&2
  cargo install "tansu@$TANSU_VERSION" --locked --features "$TANSU_FEATURES" >&2 \
    || die "cargo install tansu@$TANSU_VERSION failed"
  bin=$(find_tansu) || die "tansu $TANSU_VERSION (features $TANSU_FEATURES) is still not found after cargo install"
  echo "$bin"
}

start() {
  local port=9092 data=""
  while (($#)); do
    case "$1" in
      --port) port=${2:?--port needs a value}; shift 2 ;;
      --data) data=${2:?--data needs a directory}; shift 2 ;;
      *) die "unknown argument '$1' (usage: $0 start [--port 9092] [--data DIR])" ;;
    esac
  done
  [[ $port =~ ^[0-9]+$ ]] || die "--port must be a number, not '$port'"

  local bin
  bin=$(install | tail -n 1)
  local url="tcp://127.0.0.1:$port"
  local storage="memory://tansu/"
  if [[ -n $data ]]; then
    mkdir -p "$data"
    # The sqlite:// path is relative to the working directory.
    cd "$data"
    storage="sqlite://tansu.db"
  fi
  # Tansu would also export its own telemetry to an endpoint meant for innohub.
  unset OTEL_EXPORTER_OTLP_ENDPOINT
  exec "$bin" broker \
    --listener-url "$url" \
    --advertised-listener-url "$url" \
    --storage-engine "$storage"
}

case "${1:-}" in
  install) shift; (($# == 0)) || die "install takes no arguments"; install ;;
  start) shift; start "$@" ;;
  *) echo "usage: $0 install | start [--port 9092] [--data DIR]" >&2; exit 2 ;;
esac
