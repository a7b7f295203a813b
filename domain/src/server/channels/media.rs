//! The media contacts send (`migrations/…_channel_media.sql`): the intake marks a message whose
//! media the inbox keeps as `waiting`; [`fetch_pending`] fetches it through the Graph API once
//! the channel has an access token, keeps the bytes for the team, and tells the open inboxes.
//! A failed try is tried again later (five in all); what Meta refuses, or what is larger than
//! [`MAX_BYTES`], is marked so with the reason, and the inbox says it.

use time::Duration;
use uuid::Uuid;

use super::graph::FetchError;
use super::intake::{publish_many, InboxEvent};
use crate::server::leads::replies::open_token;
use crate::server::{db, Services};
use crate::types::TenantId;
use crate::AppError;

/// The most bytes kept of one message's media (WhatsApp's own limit for audio and video).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Tries before a medium is marked failed.
pub const TRIES: i32 = 5;
/// How long a worker holds a claimed medium before another may try it.
const CLAIM: Duration = Duration::minutes(2);

/// What one run of [`fetch_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Kept.
    pub fetched: usize,
    /// To be tried again later.
    pub retried: usize,
    /// Refused, too large, or out of tries.
    pub failed: usize,
}

/// The wait before try `attempt` + 1: 30 s, 1 min, 2 min, 4 min.
fn backoff(attempt: i32) -> Duration {
    Duration::seconds(30 * (1_i64 << attempt.clamp(1, 4).saturating_sub(1)))
}

/// Fetches up to `limit` waiting media of channels that have an access token, each by one
/// worker across every instance (claimed for two minutes).
pub async fn fetch_pending(svc: &Services, limit: i64) -> Result<Fetched, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let claimed = sqlx::query!(
        r#"WITH claimed AS (
             UPDATE channel_messages m
             SET media_next_at = now() + make_interval(secs => $2), media_attempts = media_attempts + 1
             WHERE m.id IN (SELECT q.id FROM channel_messages q JOIN channels c ON c.id = q.channel_id
                            WHERE q.media_state = 'waiting'
                              AND (q.media_next_at IS NULL OR q.media_next_at <= now())
                              AND c.access_token IS NOT NULL
                            ORDER BY q.media_next_at NULLS FIRST, q.id LIMIT $1
                            FOR UPDATE OF q SKIP LOCKED)
             RETURNING m.id, m.tenant_id, m.channel_id, m.media, m.media_attempts)
           SELECT q.id, q.tenant_id, q.channel_id, q.media AS "media!", q.media_attempts,
                  c.access_token AS "access_token!"
           FROM claimed q JOIN channels c ON c.id = q.channel_id"#,
        limit,
        CLAIM.as_seconds_f64()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut done = Fetched::default();
    let mut touched: Vec<(TenantId, InboxEvent)> = Vec::new();
    for m in claimed {
        let got = match open_token(svc, m.channel_id, &m.access_token) {
            Ok(token) => svc.graph.media(&m.media, &token, MAX_BYTES).await,
            Err(why) => Err(FetchError::Refused(why)),
        };
        let mut tx = db::platform_tx(&svc.db).await?;
        match got {
            Ok(media) => {
                sqlx::query!(
                    r#"INSERT INTO channel_media (message_id, tenant_id, mime, size, bytes)
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING"#,
                    m.id,
                    m.tenant_id,
                    media.mime.chars().take(200).collect::<String>(),
                    i64::try_from(media.bytes.len()).unwrap_or(i64::MAX),
                    media.bytes
                )
                .execute(&mut *tx)
                .await?;
                settle(&mut tx, m.id, "fetched", None).await?;
                done.fetched += 1;
            }
            Err(FetchError::Unavailable(why)) if m.media_attempts < TRIES => {
                sqlx::query!(
                    r#"UPDATE channel_messages SET media_error = $2,
                              media_next_at = now() + make_interval(secs => $3)
                       WHERE id = $1 AND media_state = 'waiting'"#,
                    m.id,
                    why,
                    backoff(m.media_attempts).as_seconds_f64()
                )
                .execute(&mut *tx)
                .await?;
                done.retried += 1;
            }
            Err(FetchError::TooLarge(_)) => {
                settle(&mut tx, m.id, "too_large", None).await?;
                done.failed += 1;
            }
            Err(FetchError::Unavailable(why) | FetchError::Refused(why)) => {
                settle(&mut tx, m.id, "failed", Some(&why)).await?;
                done.failed += 1;
            }
        }
        tx.commit().await?;
        let event = (
            TenantId(m.tenant_id),
            InboxEvent::Channel {
                channel: m.channel_id,
            },
        );
        if !touched.contains(&event) {
            touched.push(event);
        }
    }
    publish_many(svc, &touched).await;
    Ok(done)
}

async fn settle(
    tx: &mut sqlx::PgConnection,
    message: Uuid,
    state: &str,
    error: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"UPDATE channel_messages SET media_state = $2, media_error = $3, media_next_at = NULL
           WHERE id = $1"#,
        message,
        state,
        error
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn a_failed_try_waits_longer_each_time() {
        let waits: Vec<i64> = (1..=5).map(|a| backoff(a).whole_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 240]);
    }
}
