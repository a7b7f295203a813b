//! CSV import speed: a file of 100,000 rows (name, mobile number, email; one row in a hundred
//! with a number that does not read) uploaded, confirmed and read to its end by the worker,
//! against a fresh database as the application role. Run with `make bench-import`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use domain::leads::import::ImportState;
use domain::permissions::Scope;
use domain::roles::TenantRole;
use domain::server::guard::TenantGrant;
use domain::server::leads::import;
use domain::server::mail::OutboxMailer;
use domain::server::tenants::{self, TenantKind};
use domain::server::{accounts, db, RequestMeta, Services, Settings};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};

const ROWS: usize = 100_000;

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (the owner's URL, from .env)");
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let base = PgConnectOptions::from_str(&url).unwrap();
    let name = format!("fluxorae_import_bench_{}", std::process::id());
    let mut admin = base.clone().database("postgres").connect().await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let owner = PgPool::connect_with(base.clone().database(&name))
        .await
        .unwrap();
    db::migrate(&owner).await.unwrap();
    let pool = db::app_pool(base.clone().database(&name), 4).await.unwrap();
    let redis = db::redis(&redis_url).await.unwrap();
    let mut settings = Settings::new(
        "http://localhost:3000",
        "bench-secret-that-is-long-enough-0123456789",
        "bench-data-key-that-is-long-enough-0123456789",
    );
    settings.redis_prefix = format!("bench:{}", std::process::id());
    let svc = Services {
        db: pool.clone(),
        redis,
        mailer: Arc::new(OutboxMailer::new(pool.clone())),
        settings: Arc::new(settings),
        ai: Arc::new(domain::server::ai::Ai::builtin_only()),
        site: Arc::default(),
        media: Arc::new(
            domain::server::site::media::MediaStore::local(std::env::temp_dir().join(&name))
                .unwrap(),
        ),
        payments: Arc::new(domain::server::payments::provider::BuiltinProvider),
        graph: Arc::new(
            domain::server::channels::graph::GraphClient::new("http://127.0.0.1:9").unwrap(),
        ),
    };
    let meta = RequestMeta::default();
    let user = accounts::sign_up(
        &svc,
        "bench@example.com",
        "correct horse battery",
        "Bench",
        &meta,
    )
    .await
    .unwrap()
    .user;
    let tenant = tenants::create(
        &svc,
        &user,
        &domain::types::Slug::parse("bench").unwrap(),
        "Bench",
        TenantKind::SalesTeam,
        &meta,
    )
    .await
    .unwrap();
    let grant = TenantGrant {
        tenant,
        role: TenantRole::Owner,
        scope: Scope::All,
    };

    let mut csv = String::with_capacity(ROWS * 60);
    csv.push_str("Name,Mobile,Email\n");
    for i in 0..ROWS {
        if i % 100 == 99 {
            csv.push_str(&format!("Person {i},12{i},\n"));
        } else {
            csv.push_str(&format!(
                "Person {i},+44 7911 {i:06},person{i}@example.com\n"
            ));
        }
    }

    let started = Instant::now();
    let v = import::upload(&svc, &grant, user.id, "bench.csv", csv.as_bytes(), "GB")
        .await
        .unwrap();
    let uploaded = started.elapsed();
    import::start(&svc, &grant, v.id, &v.mapping).await.unwrap();
    let ran = import::run_pending(&svc).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let v = import::view(&svc, &grant, v.id).await.unwrap();
    assert_eq!(v.state, ImportState::Done);
    assert_eq!(ran.rows, ROWS);
    assert_eq!(v.processed as usize, ROWS);
    assert_eq!((v.created + v.failed) as usize, ROWS, "{v:?}");
    pool.close().await;
    owner.close().await;
    println!(
        "import: {ROWS} rows ({:.1} MB) in {secs:.2} s = {:.0} rows/s (upload and header read {:.0} ms); {} leads, {} rows refused with their reason",
        csv.len() as f64 / 1e6,
        ROWS as f64 / secs,
        uploaded.as_secs_f64() * 1000.0,
        v.created,
        v.failed
    );
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
