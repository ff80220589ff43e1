#!/usr/bin/env bash
# What production would upload: builds the workers without the dev feature (build-prod/), runs
# `wrangler deploy --dry-run` for each (offline; prints the upload size), and fails if the bundle
# holds anything dev-only (the clock override header, /__dev routes, D1 diagnostics).
# SKIP_BUILD=1 reuses build-prod/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
[ "${SKIP_BUILD:-}" = 1 ] || scripts/build.sh --prod
markers=(x-clearhours-now __dev x-d1-statements x-d1-rows-read DEV_MODE DEV_TOKEN __clearhours_meter d1-probe)
status=0
for w in portal ingest alerts; do
  config=workers/$w/wrangler.toml
  [ "$w" = portal ] && config=wrangler.toml
  out=$ROOT/.state/deploy-check/$w  # absolute: wrangler resolves --outdir against the config's directory
  rm -rf "$out"
  wrangler deploy --dry-run --outdir "$out" -c "$config" >".state/deploy-check-$w.log" 2>&1 || { cat ".state/deploy-check-$w.log"; exit 1; }
  echo "deploy-check: $w: $(grep -i 'total upload' ".state/deploy-check-$w.log" | tr -s ' ' || true)"
  compgen -G "$out/*.wasm" >/dev/null || { echo "deploy-check: $w: no bundle in $out" >&2; exit 1; }
  for m in "${markers[@]}"; do
    if grep -rqaF -- "$m" "$out"; then echo "deploy-check: $w: the production bundle contains \"$m\"" >&2; status=1; fi
  done
done
[ "$status" = 0 ] && echo "deploy-check: no dev-only code in the production bundles"
exit "$status"
