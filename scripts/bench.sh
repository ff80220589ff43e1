#!/usr/bin/env bash
# Dashboard + ingest benchmark: builds release workers and runs bench/dashboard.mjs.
# BENCH_SIZES=1000,10000,100000 BENCH_VIEWS=200 by default.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
scripts/build.sh
node bench/dashboard.mjs
