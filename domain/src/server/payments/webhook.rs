//! Stripe's webhook events, after the signature was checked on the raw body: each is stored
//! as it arrived, once per event id, and applied idempotently in any order.
//!
//! - `payment_intent.succeeded`: the payment was captured; book it and hold it for its
//!   milestones (the same keyed bookings as the synchronous path, so whichever comes second
//!   changes nothing).
//! - `payment_intent.amount_capturable_updated`: the customer confirmed with their bank;
//!   capture and book it.
//! - `payment_intent.payment_failed` / `payment_intent.canceled`: mark the payment, unless it
//!   was captured already (a late event does not undo a later state).
//!
//! - `account.updated` (Connect): a freelancer's connected account can now be paid out to.
//! - `payout.paid` / `payout.failed` (Connect): a payout reached the freelancer's bank, or did
//!   not (the money then waits on their connected account).
//!
//! An event about a payment this platform has not recorded yet (the webhook can beat the
//! request that created it) is kept as `deferred` and applied when [`retry_deferred`] runs.
//! Other event types are stored as `ignored`.

use crate::server::projects::{earnings, funding};
use crate::server::Services;
use crate::AppError;
use serde_json::Value;

/// What happened to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Applied now.
    Applied,
    /// Seen before; nothing changed.
    Duplicate,
    /// About a payment not recorded yet; kept for later.
    Deferred,
    /// A type this platform does not act on.
    Ignored,
}

impl Received {
    /// Its `payment_events.status`.
    fn as_str(self) -> &'static str {
        match self {
            Self::Applied | Self::Duplicate => "applied",
            Self::Deferred => "deferred",
            Self::Ignored => "ignored",
        }
    }
}

/// Stores and applies one verified event body.
pub async fn receive(svc: &Services, body: &[u8]) -> Result<Received, AppError> {
    let event: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the event is not JSON: {e}")))?;
    let id = event
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or_else(|| AppError::BadRequest("the event has no id".into()))?
        .to_owned();
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let inserted = sqlx::query_scalar!(
        "INSERT INTO payment_events (id, provider, type, raw) VALUES ($1, 'stripe', $2, $3)
         ON CONFLICT (id) DO NOTHING RETURNING id",
        id,
        kind,
        event
    )
    .fetch_optional(&svc.db)
    .await?;
    if inserted.is_none() {
        let status = sqlx::query_scalar!("SELECT status FROM payment_events WHERE id = $1", id)
            .fetch_one(&svc.db)
            .await?;
        if status != "deferred" && status != "failed" && status != "received" {
            return Ok(Received::Duplicate);
        }
    }
    let outcome = apply_stored(svc, &id, &kind, &event).await?;
    if outcome == Received::Applied {
        retry_deferred(svc).await?;
    }
    Ok(outcome)
}

async fn apply_stored(
    svc: &Services,
    id: &str,
    kind: &str,
    event: &Value,
) -> Result<Received, AppError> {
    let result = apply(svc, kind, event).await;
    let (status, error) = match &result {
        Ok(r) => (r.as_str(), None),
        Err(e) => ("failed", Some(e.to_string())),
    };
    sqlx::query!(
        "UPDATE payment_events SET status = $2, error = $3, attempts = attempts + 1,
           applied_at = CASE WHEN $2 = 'applied' THEN now() END
         WHERE id = $1",
        id,
        status,
        error
    )
    .execute(&svc.db)
    .await?;
    result
}

async fn apply(svc: &Services, kind: &str, event: &Value) -> Result<Received, AppError> {
    let object = event.pointer("/data/object").unwrap_or(&Value::Null);
    let reference = object.get("id").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "account.updated" => {
            if !crate::server::payments::provider::account_ready(object) {
                return Ok(Received::Ignored);
            }
            return Ok(if earnings::mark_ready(svc, reference).await? {
                Received::Applied
            } else {
                Received::Deferred
            });
        }
        "payout.paid" | "payout.failed" => {
            let failure = object.get("failure_message").and_then(Value::as_str);
            let known =
                earnings::payout_arrived(svc, reference, kind == "payout.paid", failure).await?;
            return Ok(if known {
                Received::Applied
            } else {
                Received::Deferred
            });
        }
        _ => {}
    }
    let handled = matches!(
        kind,
        "payment_intent.succeeded"
            | "payment_intent.amount_capturable_updated"
            | "payment_intent.payment_failed"
            | "payment_intent.canceled"
    );
    if !handled {
        return Ok(Received::Ignored);
    }
    let Some(p) = sqlx::query!(
        "SELECT id, status FROM payments WHERE provider = 'stripe' AND provider_ref = $1",
        reference
    )
    .fetch_optional(&svc.db)
    .await?
    else {
        return Ok(Received::Deferred);
    };
    match kind {
        "payment_intent.succeeded" => funding::book_capture(svc, p.id).await?,
        "payment_intent.amount_capturable_updated" => {
            if p.status == "requires_action" {
                sqlx::query!(
                    "UPDATE payments SET status = 'authorized' WHERE id = $1 AND status = 'requires_action'",
                    p.id
                )
                .execute(&svc.db)
                .await?;
            }
            funding::settle(svc, p.id).await?;
        }
        _ => {
            let status = if kind == "payment_intent.canceled" {
                "cancelled"
            } else {
                "declined"
            };
            let reason = object
                .pointer("/last_payment_error/message")
                .and_then(Value::as_str);
            sqlx::query!(
                "UPDATE payments SET status = $2, decline_reason = $3
                 WHERE id = $1 AND status IN ('requires_action','authorized')",
                p.id,
                status,
                reason
            )
            .execute(&svc.db)
            .await?;
        }
    }
    Ok(Received::Applied)
}

/// Applies the deferred events whose payment is now recorded, oldest first; answers how many
/// were applied.
pub async fn retry_deferred(svc: &Services) -> Result<usize, AppError> {
    let rows = sqlx::query!(
        "SELECT id, type, raw FROM payment_events WHERE status IN ('deferred','failed') AND attempts < 20
         ORDER BY created_at LIMIT 100"
    )
    .fetch_all(&svc.db)
    .await?;
    let mut n = 0;
    for r in rows {
        // Box the recursion through `receive` → `retry_deferred` → `apply_stored`.
        if Box::pin(apply_stored(svc, &r.id, &r.r#type, &r.raw)).await? == Received::Applied {
            n += 1;
        }
    }
    Ok(n)
}

/// The ids of a payment's events, oldest first (for tests and the admin panel).
pub async fn events_of(svc: &Services, reference: &str) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query!(
        "SELECT id, status FROM payment_events WHERE raw #>> '{data,object,id}' = $1 ORDER BY created_at",
        reference
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.status))
    .collect())
}
