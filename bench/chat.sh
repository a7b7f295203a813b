#!/usr/bin/env bash
# Chat delivery under load: the release server on a fresh database, 1,000 workspaces, 5,000
# open WebSockets, messages posted through the server function; prints p50/p99/max delivery.
#   bench/chat.sh                         defaults (WORKSPACES=1000 CLIENTS=5000 RATE=100 SECONDS=20)
#   CLIENTS=2000 RATE=200 bench/chat.sh   another mix
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . ./.env; set +a
export SQLX_OFFLINE=true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port=${BENCH_PORT:-3460}
db_name="fluxorae_chatbench_$$"
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
cargo build --release -q -p server --example chat_bench
DATABASE_URL="$base/$db_name" PORT=$port REDIS_PREFIX="chatbench$$" LEPTOS_SITE_ROOT=target/site \
  BASE_URL="http://127.0.0.1:$port" DB_MAX_CONNECTIONS=32 RUST_LOG=warn target/release/fluxorae > "$log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.2
done
BASE_URL="http://127.0.0.1:$port" DATABASE_URL="$base/$db_name" target/release/examples/chat_bench
echo "server RSS: $(ps -o rss= -p "$pid" | awk '{printf "%.0f MB", $1/1024}')"
