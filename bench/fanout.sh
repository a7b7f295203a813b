#!/usr/bin/env bash
# Inbox fan-out under load: the release server on a fresh database, TEAMS sales teams with a
# WhatsApp number each and CLIENTS open inbox WebSockets spread over them, signed webhooks at
# RATE messages a second, WARMUP seconds of warm-up then SECONDS measured; prints the delay from
# each POST to each open inbox of its team hearing the push.
#   bench/fanout.sh                          defaults (TEAMS=1000 CLIENTS=10000 RATE=1000 WARMUP=2 SECONDS=10)
#   CLIENTS=2000 RATE=500 bench/fanout.sh    another mix
. "$(dirname "$0")/serve.sh"
loadgen_build fanout
export META_APP_SECRET=bench-meta-app-secret
serve fanoutbench "${BENCH_PORT:-3462}" RUST_LOG=error
BASE_URL="http://127.0.0.1:${BENCH_PORT:-3462}" DATABASE_URL="$bench_db" loadgen fanout
server_rss
