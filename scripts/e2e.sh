#!/usr/bin/env bash
# End-to-end tests: serve the built site against a fresh database and a fresh Redis key prefix,
# run Playwright in Debian's Chromium, then clean up.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . ./.env; set +a
port=${E2E_PORT:-3457}
db_name="fluxorae_e2e_$$"
base=${DATABASE_URL%/*}
psql -q "$base/postgres" -c "CREATE DATABASE $db_name" >/dev/null
log=$(mktemp)
summary=$(mktemp)
media=$(mktemp -d)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log" "$summary"; rm -rf "$media"
}
trap cleanup EXIT
# The tests sign Meta's webhooks with this secret, as Meta signs them with the app's.
export META_APP_SECRET=e2e-meta-app-secret
# And inbound emails with this one, as a team's mail server would.
export EMAIL_INBOUND_SECRET=e2e-email-secret
# Replies go to a stand-in for Meta's Graph API that the tests listen with on this port.
export META_GRAPH_PORT=${META_GRAPH_PORT:-3458}
export META_GRAPH_URL="http://127.0.0.1:$META_GRAPH_PORT"
DATABASE_URL="$base/$db_name" PORT=$port REDIS_PREFIX="e2e$$" LEPTOS_SITE_ROOT=target/site MEDIA_DIR="$media" \
  BASE_URL="http://127.0.0.1:$port" RUST_LOG=warn target/release/fluxorae > "$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.2
done
cd end2end
# On a failure the server's log comes first and Playwright's summary of what failed last, so
# that the end of the output (all a CI page may show) names the failed tests.
status=0
BASE_URL="http://127.0.0.1:$port" DATABASE_URL="$base/$db_name" ../node_modules/.bin/playwright test "$@" \
  2>&1 | tee "$summary" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- the server's log (last 50 lines)"
  tail -50 "$log"
  echo "--- what failed"
  # The start of each failure's error (the step and what was expected), then the list
  # reporter's closing summary, from its count of failed tests on.
  grep -A 14 -E '^\s+[0-9]+\) \[' "$summary" | head -120 || true
  sed -n '/^  [0-9]* failed$/,$p' "$summary"
  exit 1
fi
