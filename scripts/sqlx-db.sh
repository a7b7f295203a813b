#!/usr/bin/env bash
# Recreates the database that sqlx's query macros check against at compile time, with every
# migration applied, and prints its URL. Used by `make sqlx-prepare` to refresh `.sqlx/`.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${DATABASE_URL:?DATABASE_URL must be set (see .env)}
admin_url=${base%/*}/postgres
url=${base%/*}/fluxorae_sqlx
psql -q -v ON_ERROR_STOP=1 "$admin_url" -c "DROP DATABASE IF EXISTS fluxorae_sqlx WITH (FORCE)" -c "CREATE DATABASE fluxorae_sqlx" >&2
for f in migrations/*.sql; do psql -q -v ON_ERROR_STOP=1 "$url" -f "$f" >&2; done
echo "$url"
