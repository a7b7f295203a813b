#!/usr/bin/env bash
# Benchmarks Fluxorae against the reference peers in ../shared/peers, in one sitting:
# the home page and a JSON endpoint (/readyz: one Postgres and one Redis round trip), with the
# peers' fixed wrk protocol (2 threads, 64 connections, 3 × 10 s after a warm-up).
# Prints one summary line per target; raw wrk output goes to $PEERS_WORK/results.
#   bench/run.sh            start the peers, start our release build on :3000, measure all
#   ONLY_OURS=1 bench/run.sh   measure only ours (for a quick look; ratios need the peers)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS=${PEERS:-$ROOT/../shared/peers}
PORT=${BENCH_PORT:-3000}
command -v wrk >/dev/null || { sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq wrk; }
[ -x target/release/fluxorae ] || scripts/leptos.sh build --release
set -a; . ./.env; set +a

if ! curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then
  PORT=$PORT LEPTOS_SITE_ROOT=target/site RUST_LOG=warn target/release/fluxorae > /tmp/fluxorae-bench.log 2>&1 &
  ours=$!
  trap 'kill $ours 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
fi

# The peers' pages and JSON endpoints that compare with ours, then ours, in one sitting. A
# target that does not answer 200 is reported and skipped; the rest still run.
case_study=$(curl -s "http://127.0.0.1:$PORT/case-studies" | grep -oE 'href="/case-studies/[a-z0-9-]+"' | head -1 | cut -d'"' -f2)
targets="ours-home=http://127.0.0.1:$PORT/ ours-case-study=http://127.0.0.1:$PORT$case_study ours-readyz=http://127.0.0.1:$PORT/readyz"
if [ "${ONLY_OURS:-0}" != 1 ]; then
  SKIP_BUILD=${SKIP_BUILD:-0} "$PEERS/run-peers.sh" start >&2
  targets="next-ssr-page=http://127.0.0.1:3100/ next-api-services=http://127.0.0.1:3100/api/services
    nest-api-services=http://127.0.0.1:3200/api/services nest-api-services-db=http://127.0.0.1:3200/api/services/db
    axum-ssr-mem=http://127.0.0.1:3300/ssr-mem axum-api-db-sqlx=http://127.0.0.1:3300/api/services/db $targets"
fi
for t in $targets; do
  "$PEERS/bench.sh" "${t#*=}" "${t%%=*}" || echo "${t%%=*}: skipped (see above)"
done

# What a visitor downloads for a page: its HTML and every script, style and wasm it loads
# (gzip -9 bytes). A page that loads /pkg/fluxorae.js also loads /pkg/fluxorae.wasm.
payload() {
  local path=$1 html total=0 n
  html=$(curl -s "http://127.0.0.1:$PORT$path")
  n=$(printf '%s' "$html" | gzip -9 | wc -c); total=$((total + n))
  printf '  %s (html)\t%s\n' "$path" "$n"
  local files
  files=$(printf '%s' "$html" | grep -oE '(href|src|import\()="?/(pkg/[^"]+|site\.js)"' | grep -oE '/(pkg/[^"]+|site\.js)' | sort -u)
  if printf '%s\n' "$files" | grep -q '^/pkg/fluxorae.js$'; then files=$(printf '%s\n/pkg/fluxorae.wasm\n' "$files" | sort -u); fi
  for f in $files; do
    n=$(curl -s "http://127.0.0.1:$PORT$f" | gzip -9 | wc -c); total=$((total + n))
    printf '  %s\t%s\n' "$f" "$n"
  done
  printf '# %s: %s bytes in all\n' "$path" "$total"
}
echo "# client payload (gzip -9 bytes)"
for path in / "$case_study" /pricing /signin; do payload "$path"; done
