#!/usr/bin/env bash
# Chat delivery under load: the release server on a fresh database, 1,000 workspaces, 5,000
# open WebSockets, messages posted through the server function; prints p50/p99/max delivery.
#   bench/chat.sh                         defaults (WORKSPACES=1000 CLIENTS=5000 RATE=100 SECONDS=20)
#   CLIENTS=2000 RATE=200 bench/chat.sh   another mix
. "$(dirname "$0")/serve.sh"
loadgen_build chat
serve chatbench "${BENCH_PORT:-3460}" RUST_LOG=warn
BASE_URL="http://127.0.0.1:${BENCH_PORT:-3460}" DATABASE_URL="$bench_db" loadgen chat
server_rss
