#!/usr/bin/env bash
# Node.js and Playwright's client for the headless-browser test of the dashboard
# (tests/tests/dashboard.rs runs tests/browser/dashboard.mjs): `deploy/node.sh ensure` installs
# Debian's nodejs and npm if `node` is missing, and the locked tests/browser/node_modules
# (`npm ci`) unless they are already installed from the same package-lock.json.
# No browser is downloaded: the test drives Debian's Chromium (deploy/chromium.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=tests/browser
stamp=$dir/node_modules/.installed-from-package-lock.json

ensure() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node.sh: Node.js is not installed; installing nodejs and npm" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  command -v node >/dev/null || { echo "node.sh: no node after installing nodejs" >&2; exit 1; }
  if ! cmp -s "$dir/package-lock.json" "$stamp"; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    cp "$dir/package-lock.json" "$stamp"
  fi
  [[ -f $dir/node_modules/playwright-core/package.json ]] || {
    echo "node.sh: npm ci did not install playwright-core into $dir/node_modules" >&2; exit 1; }
  command -v node
}

case "${1:-}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
