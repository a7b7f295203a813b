//! Refunds paid back through the payment provider. A refund is owed in the ledger by the step
//! that decides it (a dispute resolved for the customer, a release taken back) and recorded here
//! in the same transaction; paying it at the provider comes after the commit. When the provider
//! cannot be reached, the refund stays `pending` and the scheduler tries again with growing
//! waits ([`retry_delay`]); a refusal the provider will repeat (an unknown payment, more than
//! was captured) marks it `failed`. Either way ops are told once it needs a person
//! (`automation`, rule `refund_failing`).
//!
//! Every attempt uses the same idempotency key (`refund:{id}`), so an attempt whose answer was
//! lost cannot refund twice, and the settlement is booked once under `refund_settled:{id}`.

use serde_json::json;
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

use crate::ledger::{Applied, Movement};
use crate::money::{Currency, Money};
use crate::server::db;
use crate::server::ledger;
use crate::server::payments::provider::PaymentError;
use crate::server::Services;
use crate::AppError;

/// Why a refund is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A dispute was resolved with all or part of the held funds going back.
    Dispute,
    /// Ops took a release back (a refund after approval).
    AfterRelease,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Dispute => "dispute",
            Self::AfterRelease => "after_release",
        }
    }
}

/// Attempts after which ops are told a refund keeps failing (it is still retried).
pub const ALERT_AFTER_ATTEMPTS: i32 = 5;

/// How long to wait before trying the provider again after `attempts` failed attempts: one
/// minute, doubling each time, at most six hours.
pub fn retry_delay(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 20) - 1;
    let minutes = 1u64 << doublings;
    Duration::from_secs((minutes * 60).min(6 * 60 * 60))
}

/// Books a refund of `amount` owed to `customer` from `milestone`'s held funds and records it,
/// in the transaction of the step that decides it. Answers its id, which [`pay`] takes once the
/// transaction has committed.
pub async fn owe(
    conn: &mut PgConnection,
    milestone: Uuid,
    customer: Uuid,
    amount: Money,
    reason: Reason,
    note: &str,
) -> Result<Uuid, AppError> {
    let (key, memo) = match reason {
        Reason::Dispute => (
            format!("refund:{milestone}"),
            json!({ "milestone": milestone, "dispute": true }),
        ),
        Reason::AfterRelease => (
            format!("refund_after_release:{milestone}"),
            json!({ "milestone": milestone, "after_release": true }),
        ),
    };
    let owed =
        Movement::refund(key, milestone, customer, amount).map_err(|_| AppError::Internal)?;
    ledger::apply(&mut *conn, &owed, &memo).await?;
    let Some((payment, _)) = super::funding::payment_of(&mut *conn, milestone).await? else {
        tracing::error!(%milestone, "a refund without the payment that funded it");
        return Err(AppError::Internal);
    };
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO refunds (id, payment_id, milestone_id, customer_id, amount_minor, currency, reason, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        payment,
        milestone,
        customer,
        amount.minor,
        amount.currency.code(),
        reason.as_str(),
        note
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Where one attempt left a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The provider returned the money (now, or on an earlier attempt).
    Paid,
    /// Not yet: the provider could not be reached; tried again later.
    Pending(String),
    /// The provider refused it and will again; a person must look.
    Failed(String),
    /// Another process is paying it right now, or it is not due.
    Busy,
}

/// Pays refund `id` at the provider and books it as settled. Safe to call any number of times
/// from any number of processes: the row is locked while the provider is asked (a second caller
/// skips it), and the provider call and the booking are keyed by the refund.
pub async fn pay(svc: &Services, id: Uuid) -> Result<Outcome, AppError> {
    let mut tx = db::begin(&svc.db).await?;
    let Some(r) = sqlx::query!(
        "SELECT r.status, r.amount_minor, r.currency, r.customer_id, r.payment_id, r.attempts,
                coalesce(p.provider_ref, '') AS \"reference!\"
         FROM refunds r JOIN payments p ON p.id = r.payment_id
         WHERE r.id = $1 FOR UPDATE OF r SKIP LOCKED",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Outcome::Busy);
    };
    if r.status == "paid" {
        return Ok(Outcome::Paid);
    }
    let amount = Money::new(r.amount_minor, r.currency.parse().unwrap_or(Currency::USD));
    let attempts = r.attempts + 1;
    match svc
        .payments
        .refund(&r.reference, amount, &format!("refund:{id}"))
        .await
    {
        Ok(provider_ref) => {
            let settled =
                Movement::refund_settled(format!("refund_settled:{id}"), r.customer_id, amount)
                    .map_err(|_| AppError::Internal)?;
            let applied = ledger::apply(
                &mut tx,
                &settled,
                &json!({ "refund": id, "provider_refund": provider_ref, "payment": r.payment_id }),
            )
            .await?;
            if applied == Applied::Booked {
                sqlx::query!(
                    "UPDATE payments SET refunded_minor = refunded_minor + $2 WHERE id = $1",
                    r.payment_id,
                    amount.minor
                )
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query!(
                "UPDATE refunds SET status = 'paid', provider_ref = $2, attempts = $3,
                   last_error = NULL, paid_at = now()
                 WHERE id = $1",
                id,
                provider_ref,
                attempts
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Outcome::Paid)
        }
        Err(e) => {
            let (status, outcome) = match &e {
                PaymentError::Unavailable(m) => ("pending", Outcome::Pending(m.clone())),
                PaymentError::Invalid(m) | PaymentError::Declined(m) => {
                    ("failed", Outcome::Failed(m.clone()))
                }
            };
            let wait = retry_delay(attempts).as_secs() as i32;
            sqlx::query!(
                "UPDATE refunds SET status = $2, attempts = $3, last_error = $4,
                   next_attempt_at = now() + make_interval(secs => $5::int)
                 WHERE id = $1",
                id,
                status,
                attempts,
                e.to_string(),
                wait
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::warn!(refund = %id, attempts, error = %e, "a refund was not paid by the provider");
            Ok(outcome)
        }
    }
}

/// Pays every pending refund whose next attempt is due (the scheduler, every minute). Answers
/// how many were paid.
pub async fn retry_due(svc: &Services) -> Result<usize, AppError> {
    let due = sqlx::query_scalar!(
        "SELECT id FROM refunds WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT 100"
    )
    .fetch_all(&svc.db)
    .await?;
    let mut paid = 0;
    for id in due {
        if pay(svc, id).await? == Outcome::Paid {
            paid += 1;
        }
    }
    Ok(paid)
}

/// Ops send a failed refund back to the queue (after fixing what the provider refused), to be
/// tried at the next run.
pub async fn requeue(conn: &mut PgConnection, id: Uuid) -> Result<bool, AppError> {
    let n = sqlx::query!(
        "UPDATE refunds SET status = 'pending', next_attempt_at = now() WHERE id = $1 AND status = 'failed'",
        id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_a_minute_up_to_six_hours() {
        assert_eq!(retry_delay(0), Duration::from_secs(60));
        assert_eq!(retry_delay(1), Duration::from_secs(60));
        assert_eq!(retry_delay(2), Duration::from_secs(120));
        assert_eq!(retry_delay(5), Duration::from_secs(16 * 60));
        assert_eq!(retry_delay(9), Duration::from_secs(256 * 60));
        assert_eq!(retry_delay(10), Duration::from_secs(6 * 60 * 60));
        assert_eq!(retry_delay(1_000), Duration::from_secs(6 * 60 * 60));
    }
}
