#!/usr/bin/env bash
# Runs cargo-leptos in the mode setup.sh found: the rustup wasm32 target when installed, else
# Debian's rustc-web with the standard library rebuilt for wasm (see docs/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export SQLX_OFFLINE=${SQLX_OFFLINE:-true}
mode=$(cat .data/toolchain-mode 2>/dev/null || echo rustup)
if [ "$mode" = deb ]; then
  RUSTUP_TOOLCHAIN=deb RUSTC_BOOTSTRAP=1 exec cargo leptos "$@" --lib-cargo-args=-Zbuild-std=std,panic_abort
fi
exec cargo leptos "$@"
