#!/usr/bin/env bash
# Benchmarks: builds release workers, runs bench/dashboard.mjs (dashboard latency and rows read
# at 1k/10k/100k entries, sign-in cost), bench/ingest.mjs (entries/s and ack latency per source)
# and bench/lighthouse.mjs (Lighthouse performance / accessibility / best-practices scores of the
# dashboard and timesheet, mobile and desktop, in Debian's chromium).
# BENCH_SIZES=1000,10000,100000 BENCH_VIEWS=200 by default.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
scripts/build.sh
node bench/dashboard.mjs
node bench/ingest.mjs
node bench/lighthouse.mjs
