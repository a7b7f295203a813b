#!/usr/bin/env bash
# Installs whatever the platform needs that is missing, then makes sure Postgres and Redis answer
# and writes the URLs it uses to .env. Idempotent: seconds when everything is already there.
#
#   scripts/setup.sh tools      toolchain only (Rust, wasm32, cargo-leptos, wasm-bindgen, npm tools)
#   scripts/setup.sh services   Postgres + Redis + .env only
#   scripts/setup.sh browser    Chromium for the end-to-end tests
#   scripts/setup.sh            tools and services
#
# The normal path first (rustup), then the fallbacks recorded in docs/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/.data
mkdir -p "$DATA"

WASM_BINDGEN_VERSION=0.2.130
CARGO_LEPTOS_VERSION=0.3.11

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=0
apt_install() {
  if ! have apt-get; then echo "Please install: $* (this script knows apt only)" >&2; return 1; fi
  if [ $APT_UPDATED -eq 0 ]; then $SUDO apt-get update -qq >&2; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

# ---------------------------------------------------------------------------------------------
deb_rust() {
  # Debian's Rust built for Firefox: new enough for cargo-leptos, with the std source for wasm.
  if ! dpkg -s rustc-web cargo-web rust-web-src lld-22 >/dev/null 2>&1; then
    say "Installing Debian's rustc-web toolchain (fallback for wasm32 and cargo-leptos)"
    apt_install rustc-web cargo-web rust-web-src lld-22
  fi
  if have rustup && ! rustup toolchain list | grep -q '^deb'; then rustup toolchain link deb /usr >&2; fi
}

rustc_at_least() { # rustc_at_least 1 96 [toolchain]
  local v; v=$(rustc ${3:++$3} --version 2>/dev/null | awk '{print $2}') || return 1
  local maj min; maj=${v%%.*}; min=${v#*.}; min=${min%%.*}
  [ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}

tools() {
  have cc || apt_install build-essential
  have pkg-config || apt_install pkg-config
  have curl || apt_install curl ca-certificates
  if ! have cargo; then
    say "Installing Rust with rustup"
    if ! (curl --proto '=https' --tlsv1.2 -sSf --max-time 60 https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt >&2); then
      say "rustup is not reachable; using Debian's Rust"
      apt_install rustc-web cargo-web rustfmt
    fi
    export PATH="$HOME/.cargo/bin:$PATH"
  fi

  # wasm32: rustup first (with a timeout, it can hang here), else Debian's std source.
  local mode=rustup
  if have rustup; then
    if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
      say "Adding the wasm32 target with rustup"
      timeout 150 rustup target add wasm32-unknown-unknown >&2 || mode=deb
    fi
  else
    mode=deb
  fi
  [ "$mode" = deb ] && deb_rust
  echo "$mode" > "$DATA/toolchain-mode"

  if ! cargo leptos --version >/dev/null 2>&1; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (once; it takes a while on 2 cores)"
    local tc=""
    if ! rustc_at_least 1 96; then deb_rust; tc="+deb"; fi
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
      cargo $tc install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION" >&2
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (must equal the wasm-bindgen crate)"
    # Not --locked: its lockfile pins a webpki-roots version some registries no longer serve.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >&2
  fi
  have cargo-nextest || true

  have node || apt_install nodejs
  have npm || apt_install npm
  if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ] || [ package.json -nt node_modules/.stamp ]; then
    say "Installing the npm build and test tools (Tailwind CLI, binaryen, Playwright)"
    # npm install, not npm ci: registries may lack some optional per-platform packages.
    npm install --no-audit --no-fund --loglevel=error >&2
    touch node_modules/.stamp
  fi
}

browser() {
  if ! have chromium; then
    say "Installing Debian's Chromium for the end-to-end tests"
    apt_install chromium
  fi
}

# ---------------------------------------------------------------------------------------------
# Services. Order: the URL in the environment; else the standard local port; else our own
# instance under .data/.
PG_BIN=""
find_pg_bin() { PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1); }

pg_answers() { # URL
  have psql || apt_install postgresql-client >/dev/null
  psql "$1" -Atqc 'select 1' >/dev/null 2>&1
}

pg_url() {
  if [ -n "${DATABASE_URL:-}" ]; then
    pg_answers "$DATABASE_URL" || { echo "DATABASE_URL is set but Postgres does not answer there: $DATABASE_URL" >&2; exit 1; }
    echo "$DATABASE_URL"; return
  fi
  local own="postgres://fluxorae:fluxorae@127.0.0.1:5432/fluxorae"
  if pg_answers "$own"; then echo "$own"; return; fi
  # A local server on the standard port: create our role and database through the postgres
  # superuser (trust over TCP, else peer auth over the socket).
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    local sql="DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='fluxorae') THEN CREATE ROLE fluxorae LOGIN PASSWORD 'fluxorae' CREATEDB CREATEROLE; END IF; END \$\$;"
    local ok=0
    if psql -h 127.0.0.1 -U postgres -d postgres -Atqc "$sql" >/dev/null 2>&1; then ok=1; psqlsu=(psql -h 127.0.0.1 -U postgres -d postgres);
    elif have sudo && sudo -n -u postgres psql -d postgres -Atqc "$sql" >/dev/null 2>&1; then ok=1; psqlsu=(sudo -n -u postgres psql -d postgres);
    elif [ "$(id -u)" -eq 0 ] && su postgres -c "psql -d postgres -Atqc \"$sql\"" >/dev/null 2>&1; then ok=1; psqlsu=(su postgres -c);
    fi
    if [ $ok -eq 1 ]; then
      if [ "${psqlsu[0]}" = su ]; then
        su postgres -c "psql -d postgres -Atqc \"SELECT 1 FROM pg_database WHERE datname='fluxorae'\"" | grep -q 1 \
          || su postgres -c "psql -d postgres -qc 'CREATE DATABASE fluxorae OWNER fluxorae'" >&2
      else
        "${psqlsu[@]}" -Atqc "SELECT 1 FROM pg_database WHERE datname='fluxorae'" | grep -q 1 \
          || "${psqlsu[@]}" -qc "CREATE DATABASE fluxorae OWNER fluxorae" >&2
      fi
      if pg_answers "$own"; then echo "$own"; return; fi
    fi
    say "Postgres on port 5432 does not let us in; starting our own under .data/pg"
  fi
  # Our own cluster on port 5544.
  find_pg_bin
  if [ -z "$PG_BIN" ]; then apt_install postgresql; find_pg_bin; fi
  local dir=$DATA/pg run=(bash -c) port=5544
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$DATA" 2>/dev/null || true; run=(su postgres -s /bin/bash -c); fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    say "Creating a private Postgres cluster in .data/pg"
    mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    "${run[@]}" "$PG_BIN/initdb -D '$dir' -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  if ! "${run[@]}" "$PG_BIN/pg_ctl -D '$dir' status" >/dev/null 2>&1; then
    "${run[@]}" "$PG_BIN/pg_ctl -D '$dir' -l '$dir/server.log' -w start -o \"-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'\"" >&2
  fi
  psql -h 127.0.0.1 -p $port -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='fluxorae'" | grep -q 1 \
    || psql -h 127.0.0.1 -p $port -U postgres -d postgres -qc "CREATE DATABASE fluxorae" >&2
  echo "postgres://postgres@127.0.0.1:$port/fluxorae"
}

redis_answers() { # host port
  have redis-cli || apt_install redis-tools >/dev/null
  [ "$(redis-cli -h "$1" -p "$2" ping 2>/dev/null)" = PONG ]
}

redis_url() {
  if [ -n "${REDIS_URL:-}" ]; then echo "$REDIS_URL"; return; fi
  if redis_answers 127.0.0.1 6379; then echo "redis://127.0.0.1:6379"; return; fi
  have redis-server || apt_install redis-server
  if ! redis_answers 127.0.0.1 6380; then
    say "Starting a private Redis on port 6380 (.data/redis)"
    mkdir -p "$DATA/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6380 --dir "$DATA/redis" \
      --logfile "$DATA/redis/redis.log" --save 60 1 >&2
    for _ in $(seq 1 50); do redis_answers 127.0.0.1 6380 && break; sleep 0.1; done
  fi
  echo "redis://127.0.0.1:6380"
}

new_secret() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 48; }
env_get() { [ -f .env ] && grep -E "^$1=" .env | tail -1 | cut -d= -f2- || true; }

services() {
  local db redis secret data_key
  db=$(pg_url)
  redis=$(redis_url)
  secret=$(env_get JWT_SECRET)
  [ -n "$secret" ] || secret=$(new_secret)
  data_key=$(env_get DATA_KEY)
  [ -n "$data_key" ] || data_key=$(new_secret)
  umask 077
  cat > .env <<EOF
# Written by scripts/setup.sh. Variables set in the environment override these.
DATABASE_URL=$db
REDIS_URL=$redis
JWT_SECRET=$secret
DATA_KEY=$data_key
EOF
  say "Postgres: $db"
  say "Redis:    $redis"
}

case "${1:-all}" in
  tools) tools ;;
  services) services ;;
  browser) browser ;;
  all) tools; services ;;
  *) echo "usage: $0 [tools|services|browser|all]" >&2; exit 2 ;;
esac
