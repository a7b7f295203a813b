#!/usr/bin/env bash
# Webhook ingestion under load: the release server on a fresh database with the demo team, signed
# WhatsApp webhooks posted at RATE messages a second, WARMUP seconds of warm-up then SECONDS
# measured, while the SDR's inbox is open; prints messages per second, the POST's latency, the
# delay from stored to processed and the whole path from POST to push.
#   bench/ingest.sh                      defaults (RATE=3000 WARMUP=2 SECONDS=10 CONTACTS=1000)
#   RATE=4000 SECONDS=20 bench/ingest.sh another load
. "$(dirname "$0")/serve.sh"
loadgen_build ingest
export META_APP_SECRET=bench-meta-app-secret
serve ingestbench "${BENCH_PORT:-3461}" RUST_LOG=error
BASE_URL="http://127.0.0.1:${BENCH_PORT:-3461}" DATABASE_URL="$bench_db" loadgen ingest
server_rss
