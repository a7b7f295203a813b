#!/usr/bin/env bash
# `make run`: set up what is missing, build the release, migrate, seed and serve on $PORT (3000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/leptos.sh build --release
set -a; . ./.env; set +a
export LEPTOS_SITE_ROOT=target/site
exec target/release/fluxorae
