#!/usr/bin/env bash
# Benchmarks, each printing a table and writing bench/out/<name>.json:
#   dashboard  — dashboard latency and rows read at 1k/10k/100k entries, sign-in cost
#   ingest     — entries/s and ack latency per source
#   timesheet  — timesheet page at 100k entries; 10k-row Excel and PDF, 100k-row CSV exports
#   load       — 50 signed-in clients for 60 s: requests/s, p50/p99, errors; the access log
#                sealed and verified afterwards
#   alerts     — the alert cron over 1,000 and 10,000 projects
#   lighthouse — Lighthouse (Debian Chromium) on the dashboard and timesheet, mobile and desktop
# BENCH_ONLY="load timesheet" runs some of them; BENCH_SIZES=1000,10000,100000 BENCH_VIEWS=200
# BENCH_CLIENTS=50 BENCH_SECONDS=60 by default.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
scripts/build.sh
for b in ${BENCH_ONLY:-dashboard ingest timesheet load alerts lighthouse}; do
  if [ -f "bench/$b.mjs" ]; then
    echo "bench: $b"
    node "bench/$b.mjs"
  else
    echo "bench: no bench/$b.mjs" >&2
    exit 2
  fi
done
