#!/usr/bin/env bash
# Builds the workers (release; set NO_OPT=1 to skip wasm-opt; WORKERS="portal ingest" for some).
#
#   scripts/build.sh          dev/test build, with the `dev` cargo feature (the clock override,
#                             /__dev/* routes, D1 diagnostics and limits) → workers/<name>/build/
#   scripts/build.sh --prod   production build, without it → workers/<name>/build-prod/, which is
#                             what the wrangler configs deploy (`main`). Nothing dev-only is in it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mkdir -p .state
prod=${PROD:-}
[ "${1:-}" = --prod ] && prod=1
flags=(--release)
[ "${NO_OPT:-}" = 1 ] && flags+=(--no-opt)
if [ -n "$prod" ]; then
  flags+=(--out-dir build-prod)
  kind=prod
else
  flags+=(--features dev)
  kind=dev
fi
for w in ${WORKERS:-ingest portal alerts}; do
  echo "build ($kind): $w"
  (cd "workers/$w" && worker-build "${flags[@]}" >"$ROOT/.state/build-$w-$kind.log" 2>&1) || { tail -40 "$ROOT/.state/build-$w-$kind.log"; exit 1; }
done
