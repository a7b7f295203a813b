//! Ledger throughput: balanced movements booked per second, each in its own transaction, by 16
//! concurrent workers against a fresh database, as the application role. Every milestone goes
//! capture → hold → release (20 % fee) → payout, so the shared accounts (provider clearing,
//! platform revenue) are touched by every movement. Run with `make bench-ledger`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use domain::ledger::Movement;
use domain::money::{Currency, Money};
use domain::server::{db, ledger};
use hdrhistogram::Histogram;
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use std::time::Instant;
use uuid::Uuid;

const WORKERS: usize = 16;
const MILESTONES_PER_WORKER: usize = 500;

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (the owner's URL, from .env)");
    let base = PgConnectOptions::from_str(&url).unwrap();
    let name = format!("fluxorae_ledger_bench_{}", std::process::id());
    let mut admin = base.clone().database("postgres").connect().await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let owner = PgPool::connect_with(base.clone().database(&name))
        .await
        .unwrap();
    db::migrate(&owner).await.unwrap();
    let pool = db::app_pool(base.clone().database(&name), WORKERS as u32)
        .await
        .unwrap();

    let usd = |n| Money::new(n, Currency::USD);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).unwrap();
            let f = Uuid::now_v7();
            for i in 0..MILESTONES_PER_WORKER {
                let (c, m) = (Uuid::now_v7(), Uuid::now_v7());
                let k = |s: &str| format!("w{w}-m{i}-{s}");
                for mv in [
                    Movement::capture(k("cap"), c, usd(120_000)),
                    Movement::hold(k("hold"), c, m, usd(120_000)),
                    Movement::release(k("rel"), m, f, usd(120_000), 2_000),
                    Movement::payout(k("pay"), f, usd(96_000)),
                ] {
                    let mv = mv.unwrap();
                    let t = Instant::now();
                    let mut tx = db::begin(&pool).await.unwrap();
                    ledger::apply(&mut tx, &mv, &json!({})).await.unwrap();
                    tx.commit().await.unwrap();
                    h.record(t.elapsed().as_micros() as u64).unwrap();
                }
            }
            h
        }));
    }
    let mut all = Histogram::<u64>::new(3).unwrap();
    for t in tasks {
        all.add(t.await.unwrap()).unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let mut conn = pool.acquire().await.unwrap();
    let report = ledger::verify(&mut conn).await.unwrap();
    assert!(report.ok(), "{report:?}");
    drop(conn);
    pool.close().await;
    owner.close().await;
    println!(
        "ledger: {} movements in {secs:.2} s = {:.0} balanced transactions/s; p50 {:.2} ms, p99 {:.2} ms; {WORKERS} workers; books verified",
        all.len(),
        all.len() as f64 / secs,
        all.value_at_quantile(0.5) as f64 / 1000.0,
        all.value_at_quantile(0.99) as f64 / 1000.0,
    );
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
