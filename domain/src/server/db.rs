//! Connections, migrations and the per-transaction tenant context.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use std::time::Duration;

use crate::types::{TenantId, UserId};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The role the application works as: owns no table, has no BYPASSRLS.
pub const APP_ROLE: &str = "fluxorae_app";

/// Applies pending migrations as the database owner.
pub async fn migrate(owner: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(owner).await
}

/// A pool for the application: every connection switches to [`APP_ROLE`] before use, so
/// row-level security applies even when the URL names the owner.
pub async fn app_pool(
    options: PgConnectOptions,
    max_connections: u32,
) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("SET ROLE fluxorae_app").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

/// Begins a transaction with one `app.*` setting in force until it ends.
async fn begin_with(
    pool: &PgPool,
    key: &str,
    value: &str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query_scalar!("SELECT set_config($1, $2, true)", key, value)
        .fetch_one(&mut *tx)
        .await?;
    Ok(tx)
}

/// A transaction that sees only `tenant`'s rows.
pub async fn tenant_tx(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, "app.tenant_id", &tenant.0.to_string()).await
}

/// A transaction that sees `user`'s own memberships across tenants.
pub async fn user_tx(
    pool: &PgPool,
    user: UserId,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, "app.user_id", &user.0.to_string()).await
}

/// Lets the caller's transaction commit without waiting for its write-ahead log to reach the
/// disk (`synchronous_commit = off`, for this transaction only). Only for work redone from
/// durable state when a crash loses it: processing stored webhook events (they stay `pending`
/// until the processing commits) and scoring (the lead keeps its mark until the scoring
/// commits). A crash loses at most the last fraction of a second of such commits, never part of
/// one, and never one that a later durable commit depends on (the log is flushed in order).
pub async fn lazy_commit(tx: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    tx.execute("SET LOCAL synchronous_commit = off").await?;
    Ok(())
}

/// A transaction with platform scope: only for code paths whose caller was checked to be a
/// platform ADMIN, or for the server's own jobs (seed, audit verification).
pub async fn platform_tx(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, "app.scope", "platform").await
}
