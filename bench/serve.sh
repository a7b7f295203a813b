#!/usr/bin/env bash
# Sourced by the server benchmarks: a fresh database and the release server on it.
#   serve NAME PORT [VAR=value ...]   starts $SERVER_BIN (else target/release/fluxorae) on PORT
#                                     with a database of its own (dropped on exit), its Redis
#                                     keys under NAME, and the extra variables given; sets
#                                     $bench_db and $pid
#   server_rss                        prints the server's memory, and the CPU time the server and
#                                     the Postgres backends of its database spent since `serve`
#                                     returned (the load, not the start-up); then the whole
#                                     machine's over the same time: busy (the load client's share,
#                                     and other work's: Postgres's own background processes and
#                                     whatever else ran), idle, waiting on I/O, and stolen by the
#                                     hypervisor
#   loadgen_build BIN, loadgen BIN    builds, then runs, a load client of bench/loadgen
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
set -a; . ./.env; set +a
export SQLX_OFFLINE=true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
bench_base=${DATABASE_URL%/*}
bench_log=$(mktemp)

bench_cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "${bench_db_name:-}" ] &&
    psql -q "$bench_base/postgres" -c "DROP DATABASE IF EXISTS $bench_db_name WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$bench_log"
}
trap bench_cleanup EXIT

serve() {
  local name=$1 port=$2
  shift 2
  bench_db_name="fluxorae_${name}_$$"
  bench_db="$bench_base/$bench_db_name"
  psql -q "$bench_base/postgres" -c "CREATE DATABASE $bench_db_name" >/dev/null
  local bin=${SERVER_BIN:-target/release/fluxorae}
  [ -x "$bin" ] || scripts/leptos.sh build --release
  env "$@" DATABASE_URL="$bench_db" PORT="$port" REDIS_PREFIX="$name$$" LEPTOS_SITE_ROOT=target/site \
    BASE_URL="http://127.0.0.1:$port" DB_MAX_CONNECTIONS=32 "$bin" > "$bench_log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && { cpu_before=$(cpu_ticks); machine_before=$(machine_ticks); return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$bench_log"; echo "the server did not start" >&2; exit 1; }
    sleep 0.2
  done
  echo "the server did not answer /readyz" >&2
  exit 1
}

# The load clients (bench/loadgen): a crate of its own with a target directory of its own, so
# building them never rebuilds the server's crates.
loadgen_dir="${CARGO_TARGET_DIR:-$PWD/target}/loadgen"
loadgen_build() {
  cargo build --release -q --manifest-path bench/loadgen/Cargo.toml --target-dir "$loadgen_dir" --bin "$1"
}
# Runs a load client, keeping its CPU time ("user system", in seconds) in $loadgen_cpu.
loadgen() {
  local TIMEFORMAT='%U %S'
  exec 3>&1 4>&2
  loadgen_cpu=$({ time "$loadgen_dir/release/$1" >&3 2>&4; } 2>&1)
  exec 3>&- 4>&-
}

# CPU clock ticks (user and system) of the server and of each Postgres backend serving its
# database, a "pid ticks" line each.
cpu_ticks() {
  local p
  for p in "$pid" $(psql -Atq "$bench_base/postgres" \
    -c "SELECT pid FROM pg_stat_activity WHERE datname = '$bench_db_name'"); do
    awk -v p="$p" '{print p, $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
  done
}

# The machine's CPU clock ticks, all cores: "busy idle iowait steal" (/proc/stat).
machine_ticks() {
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5, $6, $9 }' /proc/stat
}

server_rss() {
  echo "server RSS: $(ps -o rss= -p "$pid" | awk '{printf "%.0f MB", $1/1024}')"
  # Ticks since `serve` returned; a backend opened during the load counts from zero, one closed
  # during it is not counted.
  local ours
  ours=$(cpu_ticks | awk -v server="$pid" -v hz="$(getconf CLK_TCK)" -v before="$cpu_before" '
    BEGIN { n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); t[f[1]] = f[2] } }
    { d = ($2 - t[$1]) / hz; if ($1 == server) s += d; else pg += d }
    END { printf "%.2f %.2f", s, pg }')
  echo "CPU during the load: server ${ours% *} s, Postgres ${ours#* } s"
  # The whole machine meanwhile; its busy time beyond the server, its database's backends and
  # the load client is other work: Postgres's WAL and background writers, and whatever else ran.
  echo "$machine_before $(machine_ticks) $ours ${loadgen_cpu:-0 0}" |
    awk -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" '
      { busy = ($5 - $1) / hz; idle = ($6 - $2) / hz; io = ($7 - $3) / hz; steal = ($8 - $4) / hz
        printf "the machine meanwhile (%d cores, %.1f s): busy %.2f s, of which the load client %.2f s and other work %.2f s; idle %.2f s, I/O wait %.2f s, stolen %.2f s\n",
          cores, (busy + idle + io + steal) / cores, busy, $11 + $12, busy - $9 - $10 - $11 - $12, idle, io, steal }'
}
