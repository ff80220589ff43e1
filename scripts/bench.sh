#!/usr/bin/env bash
# Benchmarks: builds release workers, runs bench/dashboard.mjs (dashboard latency and rows read
# at 1k/10k/100k entries, sign-in cost) and bench/ingest.mjs (entries/s and ack latency per source).
# bench/alerts.mjs: the alert cron over 1,000 and 10,000 projects (per-run time, statements).
# BENCH_SIZES=1000,10000,100000 BENCH_VIEWS=200 by default.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
scripts/build.sh
node bench/dashboard.mjs
node bench/ingest.mjs
node bench/alerts.mjs
