//! Shared set-up for the domain's integration tests: real Postgres (a fresh database per test,
//! from `#[sqlx::test]`) and real Redis (a fresh key prefix per test).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use domain::server::mail::OutboxMailer;
use domain::server::{db, RequestMeta, Services, Settings};
use sqlx::PgPool;
use std::sync::Arc;

/// Services over the test database, working as the application role.
pub async fn services(owner: &PgPool) -> Services {
    let opts = owner.connect_options().as_ref().clone();
    let pool = db::app_pool(opts, 5).await.expect("app pool");
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis = redis::aio::ConnectionManager::new(redis::Client::open(url).unwrap()).await.expect("redis");
    let mut settings = Settings::new("http://localhost:3000", "test-secret-that-is-long-enough-0123456789");
    settings.redis_prefix = format!("test:{}", uuid::Uuid::new_v4());
    Services { db: pool.clone(), redis, mailer: Arc::new(OutboxMailer::new(pool)), settings: Arc::new(settings) }
}

/// Request metadata for a client at `ip`.
pub fn meta(ip: &str) -> RequestMeta {
    RequestMeta { ip: Some(ip.into()), user_agent: Some("integration-test".into()) }
}
