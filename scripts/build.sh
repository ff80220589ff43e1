#!/usr/bin/env bash
# Builds the three workers to workers/<name>/build/ (release; set NO_OPT=1 to skip wasm-opt).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mkdir -p .state
flags=(--release)
[ "${NO_OPT:-}" = 1 ] && flags+=(--no-opt)
for w in ${WORKERS:-ingest portal alerts}; do
  echo "build: $w"
  (cd "workers/$w" && worker-build "${flags[@]}" >"$ROOT/.state/build-$w.log" 2>&1) || { tail -40 "$ROOT/.state/build-$w.log"; exit 1; }
done
