#!/usr/bin/env bash
# Every test: installs what is missing, runs the pure crates' tests natively, builds the three
# workers to wasm, and runs the integration tests against them in Miniflare (workerd, local D1
# and KV). Exits non-zero if anything fails.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
echo "test: formatting (cargo fmt --check)"
cargo fmt --all -- --check
echo "test: clippy (every crate, every target, dev code too, warnings are errors)"
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
echo "test: cargo test (native: domain unit/property tests, storage write rules on SQLite with the real migrations, the D1 wrapper's limits, export writers, tidy tests incl. the offline advisory check)"
cargo test --locked -p clearhours-domain -p clearhours-storage -p clearhours-export -p clearhours-tidy
echo "test: building workers (dev, then production for tests/prod_build.test.mjs)"
scripts/build.sh
# Without wasm-opt: it only removes code, and the test checks what is there.
NO_OPT=1 scripts/build.sh --prod
echo "test: integration tests (Miniflare)"
node --test --test-concurrency=1 "tests/**/*.test.mjs"
