//! A team's backlog, read from the queues themselves (`crate::leads::backpressure` says what
//! each level gives up). Each count stops a little past the highest threshold, so reading it
//! stays cheap however deep a queue gets.

use crate::leads::backpressure::{Backlog, Level, TEMPLATES_ONLY};
use crate::server::{db, Services};
use crate::types::TenantId;
use crate::AppError;

/// Counts stop here: past the last threshold, more tells nothing new.
const CAP: i64 = TEMPLATES_ONLY as i64 + 1;

/// Webhook events not read yet (every team's).
pub async fn intake(svc: &Services) -> Result<u64, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let n = pending_events(&mut tx, CAP as u64).await?;
    tx.commit().await?;
    Ok(n)
}

/// Webhook events not read yet, counted up to `cap`, inside the caller's platform transaction.
pub(super) async fn pending_events(tx: &mut sqlx::PgConnection, cap: u64) -> Result<u64, AppError> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (SELECT 1 FROM webhook_events WHERE status = 'pending' LIMIT $1) q"#,
        i64::try_from(cap).unwrap_or(i64::MAX)
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What waits on `tenant`'s behalf.
pub async fn backlog(svc: &Services, tenant: TenantId) -> Result<Backlog, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM (SELECT 1 FROM webhook_events WHERE status = 'pending' LIMIT $2) q) AS "intake!",
             (SELECT count(*) FROM (SELECT 1 FROM leads WHERE tenant_id = $1
                                    AND score_requested_at IS NOT NULL LIMIT $2) q) AS "scoring!",
             (SELECT count(*) FROM (SELECT 1 FROM channel_messages WHERE tenant_id = $1
                                    AND status = 'queued' LIMIT $2) q) AS "replies!""#,
        tenant.0,
        CAP
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(Backlog {
        intake: n(r.intake),
        scoring: n(r.scoring),
        replies: n(r.replies),
    })
}

/// The level `tenant` is at now.
pub async fn level(svc: &Services, tenant: TenantId) -> Result<(Backlog, Level), AppError> {
    let b = backlog(svc, tenant).await?;
    Ok((b, b.level()))
}
