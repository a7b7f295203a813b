#!/usr/bin/env bash
# Webhook ingestion under load: the release server on a fresh database with the demo team, signed
# WhatsApp webhooks posted at RATE messages a second for SECONDS while the SDR's inbox is open;
# prints messages per second, the POST's latency and the delay from stored to processed.
#   bench/ingest.sh                      defaults (RATE=3000 SECONDS=10 CONTACTS=1000)
#   RATE=4000 SECONDS=20 bench/ingest.sh another load
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . ./.env; set +a
export SQLX_OFFLINE=true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port=${BENCH_PORT:-3461}
db_name="fluxorae_ingestbench_$$"
base=${DATABASE_URL%/*}
psql -q "$base/postgres" -c "CREATE DATABASE $db_name" >/dev/null
log=$(mktemp)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT
[ -x target/release/fluxorae ] || scripts/leptos.sh build --release
cargo build --release -q -p server --example ingest_bench
export META_APP_SECRET=bench-meta-app-secret
DATABASE_URL="$base/$db_name" PORT=$port REDIS_PREFIX="ingestbench$$" LEPTOS_SITE_ROOT=target/site \
  BASE_URL="http://127.0.0.1:$port" DB_MAX_CONNECTIONS=32 RUST_LOG=error target/release/fluxorae > "$log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.2
done
BASE_URL="http://127.0.0.1:$port" DATABASE_URL="$base/$db_name" target/release/examples/ingest_bench
echo "server RSS: $(ps -o rss= -p "$pid" | awk '{printf "%.0f MB", $1/1024}')"
