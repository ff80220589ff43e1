#!/usr/bin/env bash
# Benchmarks: builds release workers, runs bench/dashboard.mjs (dashboard latency and rows read
# at 1k/10k/100k entries, sign-in cost), bench/ingest.mjs (entries/s and ack latency per source) and
# bench/load.mjs (50 signed-in clients for 60 s: requests/s, p50/p99, errors; the access log sealed
# and verified afterwards).
# BENCH_SIZES=1000,10000,100000 BENCH_VIEWS=200 BENCH_CLIENTS=50 BENCH_SECONDS=60 by default;
# BENCH_ONLY=load (or dashboard, ingest) runs one of them.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
scripts/build.sh
case "${BENCH_ONLY:-all}" in
  all) node bench/dashboard.mjs; node bench/ingest.mjs; node bench/load.mjs ;;
  dashboard|ingest|load) node "bench/$BENCH_ONLY.mjs" ;;
  *) echo "bench: BENCH_ONLY must be dashboard, ingest or load" >&2; exit 2 ;;
esac
