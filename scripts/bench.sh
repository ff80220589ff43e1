#!/usr/bin/env bash
# Benchmarks: builds release workers, runs bench/dashboard.mjs (dashboard latency and rows read
# at 1k/10k/100k entries, sign-in cost), bench/ingest.mjs (entries/s and ack latency per source) and
# bench/timesheet.mjs (timesheet page at 100k entries; 10k-row Excel and PDF, 100k-row CSV exports).
# BENCH_SIZES=1000,10000,100000 BENCH_VIEWS=200 by default.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
scripts/build.sh
node bench/dashboard.mjs
node bench/ingest.mjs
node bench/timesheet.mjs
