#!/usr/bin/env bash
# Server-side rendering without the visitors' page cache (PAGE_CACHE_MS=2000 for with it): the home page, a case study and the
# sign-in page, each with wrk (2 threads, 64 connections, 10 s after a 3 s warm-up), against one
# or more server binaries in turn, ROUNDS times (alternating, since these machines are noisy).
# Each run gets a fresh database with the demo data.
#   bench/ssr.sh                          target/release/fluxorae
#   ROUNDS=2 bench/ssr.sh a/fluxorae b/fluxorae   compare two builds
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . ./.env; set +a
command -v wrk >/dev/null || { sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq wrk; }
[ $# -gt 0 ] || set -- target/release/fluxorae
base=${DATABASE_URL%/*}
db=fluxorae_ssr_$$
port=${BENCH_PORT:-3611}
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
run() {
  local bin=$1
  psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql -q "$base/postgres" -c "CREATE DATABASE $db" >/dev/null
  PAGE_CACHE_MS=${PAGE_CACHE_MS:-0} DATABASE_URL="$base/$db" PORT=$port REDIS_PREFIX=ssr$$ LEPTOS_SITE_ROOT=target/site \
    BASE_URL=http://127.0.0.1:$port RUST_LOG=warn "$bin" > /tmp/fluxorae-ssr-bench.log 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  local cs
  cs=$(curl -s "http://127.0.0.1:$port/case-studies" | grep -oE 'href="/case-studies/[a-z0-9-]+"' | head -1 | cut -d'"' -f2)
  for path in / "$cs" /signin; do
    wrk -t2 -c64 -d3s "http://127.0.0.1:$port$path" >/dev/null 2>&1
    out=$(wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port$path")
    echo "$bin $path $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s p99 $(echo "$out" | awk '$1=="99%" {print $2}')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
}
for _ in $(seq 1 "${ROUNDS:-1}"); do
  for bin in "$@"; do run "$bin"; done
done
