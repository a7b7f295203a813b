# The two commands a newcomer needs: `make run` and `make test`. The rest are their parts.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export SQLX_OFFLINE ?= true
ENV = set -a; . ./.env; set +a;

.PHONY: run test setup build lint unit e2e sqlx-prepare sqlx-check bench bench-ai bench-ledger bench-chat bench-import bench-ingest bench-fanout ai-report

## run: install what is missing, build, migrate, seed demo data and serve on http://localhost:3000
run:
	scripts/run.sh

## test: every test — formatting, lints, unit, integration (real Postgres and Redis), end-to-end
test: setup lint unit build e2e

setup:
	scripts/setup.sh
	scripts/setup.sh browser

build:
	scripts/leptos.sh build --release

lint:
	cargo fmt --all -- --check
	cargo clippy -p domain --features server --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# One cargo invocation: the three crates share one build of their dependencies (run apart, the
# app's tests alone took 7 minutes to rebuild dependencies with other features).
unit:
	$(ENV) cargo test -p domain -p app -p server --features domain/server,app/ssr

e2e:
	scripts/e2e.sh

## sqlx-prepare: refresh .sqlx/ (the compile-time query data) from a freshly migrated database
sqlx-prepare:
	$(ENV) url=$$(scripts/sqlx-db.sh) && rm -rf .sqlx && mkdir -p .sqlx && touch domain/src/lib.rs && \
	  SQLX_OFFLINE=false SQLX_OFFLINE_DIR=$(CURDIR)/.sqlx DATABASE_URL=$$url cargo check -p domain --features server --all-targets

## bench: the benchmark against the reference peers (see docs/BENCHMARKS.md)
bench:
	bench/run.sh

## bench-ai: latency of the built-in analyzers and of matching against 10,000 profiles
bench-ai:
	cargo run --release -p domain --features server --example ai_bench

## bench-ledger: balanced ledger movements per second (16 workers, a fresh database)
bench-ledger:
	$(ENV) cargo run --release -p domain --features server --example ledger_bench

## bench-import: a CSV file of 100,000 leads uploaded and read to its end (a fresh database)
bench-import:
	$(ENV) cargo run --release -p domain --features server --example import_bench

## bench-ingest: signed WhatsApp webhooks at 3,000 messages/s for 10 s against the release server
bench-ingest:
	bench/ingest.sh

## bench-fanout: webhooks at 1,000 messages/s pushed to 10,000 open inboxes of 1,000 teams
bench-fanout:
	bench/fanout.sh

## bench-chat: chat delivery latency with 1,000 workspaces and 5,000 open WebSockets
bench-chat:
	bench/chat.sh

## ai-report: re-measure the built-in engine on the golden set and rewrite docs/AI_ACCURACY.md
ai-report:
	WRITE_AI_REPORT=1 cargo test -p domain --features server --test golden
