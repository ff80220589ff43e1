#!/usr/bin/env bash
# Starts the whole stack locally on 127.0.0.1 with the demo agency: builds the workers, makes a
# fresh local D1/KV, applies migrations, starts portal, ingest and alerts under wrangler dev
# (workerd), starts the Slack/e-mail capture server, loads fixtures/demo.json, and prints where
# to sign in. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PORTAL_PORT=${PORTAL_PORT:-8787}
INGEST_PORT=${INGEST_PORT:-8788}
ALERTS_PORT=${ALERTS_PORT:-8789}
CAPTURE_PORT=${CAPTURE_PORT:-8799}
STATE=.state/dev
FIXTURE=${FIXTURE:-fixtures/demo.json}

scripts/setup.sh
scripts/build.sh

rm -rf "$STATE"
mkdir -p "$STATE" .state/wrangler-logs
token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')
key=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')
data_key=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')
# The access log's chain key (HMAC) and checkpoint signing seed (Ed25519), per run.
audit_key=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')
audit_seed=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')

echo "dev: applying migrations"
wrangler d1 migrations apply DB --local --persist-to "$STATE" >"$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

CAPTURE_PORT=$CAPTURE_PORT node scripts/capture-server.mjs & pids+=($!)
# Dev-only bindings: the clock override and fixture loading (DEV_MODE), a per-run token and key.
common=(--ip 127.0.0.1 --persist-to "$STATE" --show-interactive-dev-session=false --log-level warn
  --var DEV_MODE:1 --var "DEV_TOKEN:$token" --var "SESSION_KEYS:dev1:$key" --var "DATA_KEY:$data_key" --var "AUDIT_KEYS:dev1:$audit_key" --var "AUDIT_SIGNING_KEYS:clearhours-dev:$audit_seed" --var "PORTAL_BASE_URL:http://localhost:$PORTAL_PORT" --var "EMAIL_API_URL:http://127.0.0.1:$CAPTURE_PORT/email")
wrangler dev -c wrangler.toml --port "$PORTAL_PORT" --inspector-port 9230 "${common[@]}" >"$STATE/portal.log" 2>&1 & pids+=($!)
wrangler dev -c workers/ingest/wrangler.toml --port "$INGEST_PORT" --inspector-port 9231 "${common[@]}" >"$STATE/ingest.log" 2>&1 & pids+=($!)
wrangler dev -c workers/alerts/wrangler.toml --port "$ALERTS_PORT" --inspector-port 9232 --test-scheduled "${common[@]}" >"$STATE/alerts.log" 2>&1 & pids+=($!)

wait_for() {
  for _ in $(seq 1 120); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "dev: $1 did not come up; see $STATE/*.log" >&2; exit 1
}
wait_for "http://127.0.0.1:$PORTAL_PORT/healthz"
wait_for "http://127.0.0.1:$INGEST_PORT/healthz"
wait_for "http://127.0.0.1:$ALERTS_PORT/healthz"

echo "dev: loading $FIXTURE"
curl -fsS -X POST "http://127.0.0.1:$INGEST_PORT/__dev/fixtures" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' --data-binary "@$FIXTURE" >"$STATE/fixture.json" \
  || { echo "dev: fixture load failed"; cat "$STATE/fixture.json" 2>/dev/null; exit 1; }
curl -fsS -X POST "http://127.0.0.1:$ALERTS_PORT/__dev/run" >"$STATE/alerts-run.json" || true

node scripts/print-logins.mjs "$FIXTURE" "$PORTAL_PORT" "$INGEST_PORT" "$ALERTS_PORT" "$CAPTURE_PORT"
echo "Logs: $STATE/*.log   Stop: Ctrl-C"
wait
