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
# The second shard (issue 16): same schema; providers loaded with ?shard=DB_2 live there.
wrangler d1 migrations apply DB_2 --local --persist-to "$STATE" >>"$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

CAPTURE_PORT=$CAPTURE_PORT node scripts/capture-server.mjs & pids+=($!)
# Dev-only bindings: the clock override and fixture loading (DEV_MODE), a per-run token and key.
# The scripts are the dev builds (workers/<name>/build/); the configs' `main` is the production
# build, which has none of the dev-only code.
common=(--ip 127.0.0.1 --persist-to "$STATE" --show-interactive-dev-session=false --log-level warn
  --var DEV_MODE:1 --var "DEV_TOKEN:$token" --var "SESSION_KEYS:dev1:$key" --var "DATA_KEY:$data_key" --var "AUDIT_KEYS:dev1:$audit_key" --var "AUDIT_SIGNING_KEYS:clearhours-dev:$audit_seed" --var "PORTAL_BASE_URL:http://localhost:$PORTAL_PORT" --var "EMAIL_API_URL:http://127.0.0.1:$CAPTURE_PORT/email")

# The three workers share one local D1 (SQLite files under $STATE). Started together on a busy
# machine they race to open it and one can die with SQLITE_BUSY, so they start one after another:
# each must answer /healthz before the next starts. WAIT seconds per worker (default 180).
WAIT=${DEV_WAIT:-180}
wait_up() { # name pid url
  local name=$1 pid=$2 url=$3 t0=$SECONDS next=5
  while ! curl -fsS "$url" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo; echo "dev: $name exited while starting. Last lines of $STATE/$name.log:" >&2
      tail -n 25 "$STATE/$name.log" >&2
      return 2
    fi
    if (( SECONDS - t0 >= WAIT )); then
      echo; echo "dev: $name did not answer $url within ${WAIT}s (DEV_WAIT=$WAIT). Last lines of $STATE/$name.log:" >&2
      tail -n 25 "$STATE/$name.log" >&2
      return 1
    fi
    if (( SECONDS - t0 >= next )); then printf ' %ss' "$((SECONDS - t0))"; next=$((next + 5)); fi
    sleep 0.5
  done
  echo " up after $((SECONDS - t0))s"
}
start() { # name config script port inspector-port [flags...]
  local name=$1 config=$2 script=$3 port=$4 inspector=$5; shift 5
  for attempt in 1 2; do
    printf 'dev: starting %s on 127.0.0.1:%s ...' "$name" "$port"
    wrangler dev -c "$config" "$script" --port "$port" --inspector-port "$inspector" "${common[@]}" "$@" >"$STATE/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    local rc=0
    wait_up "$name" "$pid" "http://127.0.0.1:$port/healthz" || rc=$?
    [ "$rc" = 0 ] && return 0
    kill "$pid" 2>/dev/null || true
    # A lost race for the database is worth one more try; anything else is not.
    if [ "$attempt" = 1 ] && grep -q SQLITE_BUSY "$STATE/$name.log"; then
      echo "dev: $name lost a race for the local database (SQLITE_BUSY); starting it again" >&2
      cp "$STATE/$name.log" "$STATE/$name.failed.log"
      continue
    fi
    echo "dev: could not start $name; nothing else was started. Full log: $STATE/$name.log" >&2
    exit 1
  done
}
start portal wrangler.toml workers/portal/build/index.js "$PORTAL_PORT" 9230
start ingest workers/ingest/wrangler.toml workers/ingest/build/index.js "$INGEST_PORT" 9231
start alerts workers/alerts/wrangler.toml workers/alerts/build/index.js "$ALERTS_PORT" 9232 --test-scheduled

echo "dev: loading $FIXTURE"
# The demo's Slack webhook points at the capture server on 8799: follow CAPTURE_PORT.
sed "s#http://127.0.0.1:8799/#http://127.0.0.1:$CAPTURE_PORT/#g" "$FIXTURE" >"$STATE/fixture-in.json"
curl -fsS -X POST "http://127.0.0.1:$INGEST_PORT/__dev/fixtures" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' --data-binary "@$STATE/fixture-in.json" >"$STATE/fixture.json" \
  || { echo "dev: fixture load failed"; cat "$STATE/fixture.json" 2>/dev/null; exit 1; }
# The approver's weeks are approved through the portal itself (it hashes the week as seen).
node scripts/demo-approvals.mjs "$STATE/fixture-in.json" "$STATE/fixture.json" "$PORTAL_PORT" \
  || { echo "dev: demo approvals failed"; exit 1; }
# A second agency on the second shard (issue 16): its rows are only in DB_2.
curl -fsS -X POST "http://127.0.0.1:$INGEST_PORT/__dev/fixtures?shard=DB_2" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' --data-binary "@fixtures/shard2.json" >"$STATE/fixture-shard2.json" \
  || { echo "dev: second-shard fixture load failed"; cat "$STATE/fixture-shard2.json" 2>/dev/null; exit 1; }
echo "dev: fixtures/shard2.json on shard DB_2 (sign in as ada@shard2-client-a.test / client-a-password-1)"
curl -fsS -X POST "http://127.0.0.1:$ALERTS_PORT/__dev/run" >"$STATE/alerts-run.json" || true

node scripts/print-logins.mjs "$FIXTURE" "$PORTAL_PORT" "$INGEST_PORT" "$ALERTS_PORT" "$CAPTURE_PORT"
echo "Logs: $STATE/*.log   Stop: Ctrl-C"
wait
