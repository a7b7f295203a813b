//! Connections, migrations and the per-transaction tenant context.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgPool, Postgres, Transaction};
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

/// A pooled connection idle this long is pinged before it is handed out.
const PING_WHEN_IDLE: Duration = Duration::from_secs(10);

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
        // A connection is pinged before use only when it has sat idle for a while (a database
        // restarted meanwhile shows there, not in the caller's query): pinging every one cost a
        // round trip per transaction, a fifth of those the webhook store makes under load.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("SET ROLE fluxorae_app").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

/// How long a Redis command, or a connection attempt, may wait for its answer. Redis answers in
/// well under a millisecond; a command still unanswered after this fails (a session read, a rate
/// limit, a publish) instead of holding its request or worker forever.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);

/// The shared Redis connection: multiplexed, reconnecting when the connection drops, and with
/// every command and connection attempt bounded by [`REDIS_TIMEOUT`].
pub async fn redis(url: &str) -> Result<redis::aio::ConnectionManager, redis::RedisError> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(REDIS_TIMEOUT)
        .set_connection_timeout(REDIS_TIMEOUT);
    redis::aio::ConnectionManager::new_with_config(redis::Client::open(url)?, config).await
}

/// Who a transaction acts for: the `app.*` setting the row-level security policies read.
#[derive(Clone, Copy)]
enum Scope {
    Tenant(TenantId),
    User(UserId),
    Platform,
}

/// Settings a transaction may add to its scope's.
const DURABLE: &str = "";
/// Commits without waiting for the write-ahead log to reach the disk ([`lazy_platform_tx`]).
const LAZY: &str = "; SET LOCAL synchronous_commit = off";
/// [`LAZY`], and plans that find rows by key only ([`lazy_keyed_platform_tx`]).
const LAZY_KEYED: &str = "; SET LOCAL synchronous_commit = off; SET LOCAL enable_seqscan = off";

/// Begins a transaction with its scope in force until it ends, in one round trip: `BEGIN` and
/// `SET LOCAL` go as one simple query (a value is a UUID or a fixed word, never text from
/// outside), with the `more` settings ([`DURABLE`] for none).
async fn begin_as(
    pool: &PgPool,
    scope: Scope,
    more: &str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let setting = match scope {
        Scope::Tenant(t) => format!("app.tenant_id = '{}'", t.0),
        Scope::User(u) => format!("app.user_id = '{}'", u.0),
        Scope::Platform => "app.scope = 'platform'".to_owned(),
    };
    begin_with(pool, format!("BEGIN; SET LOCAL {setting}{more}")).await
}

/// Begins a plain transaction (`BEGIN`), as [`PgPool::begin`] does, but safe to cancel: see
/// [`begin_with`].
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, "BEGIN".to_owned()).await
}

/// Begins a transaction with `statement` in a task of its own, so that it always finishes.
///
/// sqlx 0.8 counts a transaction as open only once the server has answered its `BEGIN`. A
/// future dropped while waiting for that answer (a client that went away, a time limit) left
/// the server inside a transaction that nothing rolled back, and the pool lent that connection
/// on: the next borrower's statements ran inside it, with its old `now()`, their writes held
/// uncommitted (transact-rs/sqlx#4393, fixed in sqlx 0.9.1). Here a dropped caller drops only
/// its wait: the task finishes the `BEGIN`, and the transaction it returns, unclaimed, is rolled
/// back before its connection goes back to the pool.
#[allow(clippy::disallowed_methods)]
async fn begin_with(
    pool: &PgPool,
    statement: String,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
}

/// A transaction that sees only `tenant`'s rows.
pub async fn tenant_tx(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_as(pool, Scope::Tenant(tenant), DURABLE).await
}

/// A transaction that sees `user`'s own memberships across tenants.
pub async fn user_tx(
    pool: &PgPool,
    user: UserId,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_as(pool, Scope::User(user), DURABLE).await
}

/// A transaction with platform scope: only for code paths whose caller was checked to be a
/// platform ADMIN, or for the server's own jobs (seed, audit verification).
pub async fn platform_tx(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_as(pool, Scope::Platform, DURABLE).await
}

/// A [`platform_tx`] that commits without waiting for its write-ahead log to reach the disk
/// (`synchronous_commit = off`, for this transaction only). Only for work redone from durable
/// state when a crash loses it: processing stored webhook events (they stay `pending` until the
/// processing commits) and claiming leads to score (a claim runs out). A crash loses at most the
/// last fraction of a second of such commits, never part of one, and never one that a later
/// durable commit depends on (the log is flushed in order).
pub async fn lazy_platform_tx(
    pool: &PgPool,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_as(pool, Scope::Platform, LAZY).await
}

/// A [`lazy_platform_tx`] whose statements all find their rows by key (an id, an external id,
/// a provider's message id), planned that way whatever the tables' size
/// (`enable_seqscan = off`, for this transaction only): for the webhook intake.
///
/// Postgres plans a prepared statement afresh five times on each connection, then keeps one
/// generic plan if it looks no dearer. On a new database the intake's connections settle in
/// their first seconds, on tables of a few rows, where reading the whole table looks cheapest;
/// the plan stays as the table grows, until the next ANALYZE. Such plans (a hash join over every
/// lead or identity to find the batch's few) made the identity lookup four times slower in the
/// ingestion benchmark (0.41 ms a batch against 0.10) and, with a pool of two connections, the
/// batch's marking statement fifty times slower (56 ms against 1.3; docs/BENCHMARKS.md,
/// fourteenth and fifteenth sittings). Every statement of the intake has an index for its
/// lookups, so this only rules out the plans that outgrow their tables.
pub async fn lazy_keyed_platform_tx(
    pool: &PgPool,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_as(pool, Scope::Platform, LAZY_KEYED).await
}

/// A [`tenant_tx`] that commits as [`lazy_platform_tx`] does: for scoring (the lead keeps its
/// mark until the scoring commits).
pub async fn lazy_tenant_tx(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_as(pool, Scope::Tenant(tenant), LAZY).await
}
