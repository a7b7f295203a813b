//! Paying into held funds: authorize the customer's payment at the provider, record it, capture
//! it, and book it — the capture into provider clearing, then one hold per milestone it funds —
//! in one transaction that also marks the milestones funded. Each booking is keyed (`capture:…`,
//! `hold:…`), so the synchronous path and the provider's webhook may both arrive, in either
//! order, and the money moves once.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::ledger::Movement;
use crate::money::Money;
use crate::project::{milestone_activity, FundOutcome, MilestoneAction, MilestoneStatus};
use crate::server::db;
use crate::server::ledger;
use crate::server::payments::provider::{
    PaymentError, PaymentMethod, ProviderPayment, ProviderStatus,
};
use crate::server::Services;
use crate::user::SessionUser;
use crate::AppError;

/// A short tag for a payment method, so a retry with another card is a new payment while a
/// retry with the same card is the same one.
pub fn method_tag(m: &PaymentMethod) -> String {
    let digits: String = m.0.chars().filter(|c| !c.is_whitespace()).collect();
    hex::encode(&Sha256::digest(digits.as_bytes())[..6])
}

pub(crate) fn provider_error(e: PaymentError) -> AppError {
    match e {
        PaymentError::Declined(m) => AppError::field("card", m),
        PaymentError::Invalid(m) => {
            tracing::error!(error = %m, "the payment provider refused a request");
            AppError::Internal
        }
        PaymentError::Unavailable(m) => {
            tracing::warn!(error = %m, "the payment provider is unavailable");
            AppError::Conflict(
                "We could not reach the payment provider. Nothing was charged; please try again in a minute.".into(),
            )
        }
    }
}

/// Authorizes `amount` on `method`; a decline is a message under `card`.
pub async fn authorize(
    svc: &Services,
    customer: &SessionUser,
    amount: Money,
    method: &PaymentMethod,
    key: &str,
    description: &str,
) -> Result<ProviderPayment, AppError> {
    let metadata = [("customer_id", customer.id.0.to_string())];
    let p = svc
        .payments
        .authorize(&crate::server::payments::provider::Authorize {
            amount,
            method,
            description,
            metadata: &metadata,
            idempotency_key: key,
        })
        .await
        .map_err(provider_error)?;
    if p.status == ProviderStatus::Declined {
        return Err(AppError::field(
            "card",
            p.decline_reason
                .unwrap_or_else(|| "Your card was declined. Try another card.".into()),
        ));
    }
    Ok(p)
}

/// Records an authorized (or action-needing) payment for `milestones`; answers its id.
pub async fn record(
    tx: &mut Transaction<'static, Postgres>,
    customer: &SessionUser,
    project: Uuid,
    milestones: &[Uuid],
    amount: Money,
    p: &ProviderPayment,
    provider: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    let stored = sqlx::query_scalar!(
        "INSERT INTO payments (id, provider, provider_ref, customer_id, project_id, milestone_ids, amount_minor, currency, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (provider, provider_ref) DO UPDATE SET updated_at = now()
         RETURNING id",
        id,
        provider,
        p.id,
        customer.id.0,
        project,
        milestones,
        amount.minor,
        amount.currency.code(),
        p.status.as_str()
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(stored)
}

/// What a project's latest payment did: the answer to a repeated confirm.
pub async fn latest_outcome(svc: &Services, project: Uuid) -> Result<FundOutcome, AppError> {
    let p = sqlx::query!(
        "SELECT id, status FROM payments WHERE project_id = $1 ORDER BY created_at DESC LIMIT 1",
        project
    )
    .fetch_one(&svc.db)
    .await?;
    Ok(FundOutcome {
        project_id: project,
        payment_id: p.id,
        needs_action: p.status == "requires_action",
    })
}

/// Holds a just-recorded payment: settles it when authorized; one the bank wants the customer
/// to confirm waits for [`confirm`].
pub async fn after_authorize(
    svc: &Services,
    project: Uuid,
    payment: Uuid,
    p: &ProviderPayment,
) -> Result<FundOutcome, AppError> {
    if p.status == ProviderStatus::RequiresAction {
        return Ok(FundOutcome {
            project_id: project,
            payment_id: payment,
            needs_action: true,
        });
    }
    settle(svc, payment).await
}

/// Captures an authorized payment and books it. Safe to call again: a captured payment is
/// booked once. A payment still waiting for the customer's bank answers `needs_action`.
pub async fn settle(svc: &Services, payment: Uuid) -> Result<FundOutcome, AppError> {
    let p = sqlx::query!(
        "SELECT project_id, provider_ref, status, amount_minor, currency FROM payments WHERE id = $1",
        payment
    )
    .fetch_one(&svc.db)
    .await?;
    let project = p.project_id.ok_or(AppError::Internal)?;
    let outcome = |needs_action| FundOutcome {
        project_id: project,
        payment_id: payment,
        needs_action,
    };
    let reference = p.provider_ref.unwrap_or_default();
    let amount = Money::new(p.amount_minor, super::currency(&p.currency));
    match p.status.as_str() {
        "captured" => return Ok(outcome(false)),
        "requires_action" => {
            let now = svc
                .payments
                .retrieve(&reference)
                .await
                .map_err(provider_error)?;
            match now.status {
                ProviderStatus::Authorized => {}
                ProviderStatus::Captured => {
                    book_capture(svc, payment).await?;
                    return Ok(outcome(false));
                }
                ProviderStatus::RequiresAction => return Ok(outcome(true)),
                ProviderStatus::Declined | ProviderStatus::Cancelled => {
                    sqlx::query!(
                        "UPDATE payments SET status = 'declined', decline_reason = $2 WHERE id = $1",
                        payment,
                        now.decline_reason
                    )
                    .execute(&svc.db)
                    .await?;
                    return Err(AppError::field(
                        "card",
                        "Your bank did not confirm the payment. Nothing was charged; try again or use another card.",
                    ));
                }
            }
        }
        "authorized" => {}
        _ => {
            return Err(AppError::Conflict(
                "This payment was declined; fund the milestone again with another card.".into(),
            ))
        }
    }
    svc.payments
        .capture(&reference, amount, &format!("capture:{payment}"))
        .await
        .map_err(provider_error)?;
    book_capture(svc, payment).await?;
    Ok(outcome(false))
}

/// Books a captured payment and holds it for its milestones, once. Called after capturing and
/// by the webhook that says the provider captured it.
pub async fn book_capture(svc: &Services, payment: Uuid) -> Result<(), AppError> {
    let mut tx = db::begin(&svc.db).await?;
    let p = sqlx::query!(
        "SELECT provider, provider_ref, customer_id, project_id, milestone_ids, amount_minor, currency, status
         FROM payments WHERE id = $1 FOR UPDATE",
        payment
    )
    .fetch_one(&mut *tx)
    .await?;
    if p.status == "captured" {
        return Ok(());
    }
    let c = super::currency(&p.currency);
    let amount = Money::new(p.amount_minor, c);
    let reference = p.provider_ref.unwrap_or_default();
    let capture = Movement::capture(
        format!("capture:{}:{reference}", p.provider),
        p.customer_id,
        amount,
    )
    .map_err(|_| AppError::Internal)?;
    ledger::apply(&mut tx, &capture, &json!({ "payment": payment })).await?;
    let rule = super::earnings::pricing(&mut tx).await?;
    let mut due_weeks = 0i64;
    let ms = sqlx::query!(
        "SELECT id, title, amount_minor, status, weeks FROM milestones WHERE id = ANY($1) ORDER BY position FOR UPDATE",
        &p.milestone_ids
    )
    .fetch_all(&mut *tx)
    .await?;
    for m in ms {
        due_weeks += i64::from(m.weeks);
        if m.status != MilestoneStatus::Unfunded.as_str() {
            continue;
        }
        hold(
            &mut tx,
            p.customer_id,
            m.id,
            Money::new(m.amount_minor, c),
            payment,
        )
        .await?;
        sqlx::query!(
            "UPDATE milestones SET status = 'funded', fee_bps = $2, funded_at = now(),
               due_at = now() + make_interval(weeks => $3::int)
             WHERE id = $1",
            m.id,
            rule.fee_bps as i32,
            due_weeks as i32
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO milestone_events (id, milestone_id, actor_id, action, from_status, to_status, data)
             VALUES ($1, $2, $3, 'fund', 'unfunded', 'funded', $4)",
            Uuid::now_v7(),
            m.id,
            p.customer_id,
            json!({ "payment": payment, "fee_bps": rule.fee_bps })
        )
        .execute(&mut *tx)
        .await?;
        if let Some(project) = p.project_id {
            let line = milestone_activity(MilestoneAction::Fund, &m.title);
            super::workspace::record(&mut tx, project, Some(p.customer_id), &line).await?;
        }
    }
    sqlx::query!(
        "UPDATE payments SET status = 'captured' WHERE id = $1",
        payment
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Some(project) = p.project_id {
        super::publish(svc, project, "milestone", json!({})).await;
    }
    Ok(())
}

async fn hold(
    conn: &mut PgConnection,
    customer: Uuid,
    milestone: Uuid,
    amount: Money,
    payment: Uuid,
) -> Result<(), AppError> {
    let m = Movement::hold(format!("hold:{milestone}"), customer, milestone, amount)
        .map_err(|_| AppError::Internal)?;
    ledger::apply(
        conn,
        &m,
        &json!({ "payment": payment, "milestone": milestone }),
    )
    .await?;
    Ok(())
}

/// The customer funds more milestones of their project from the workspace.
pub async fn fund(
    svc: &Services,
    customer: &SessionUser,
    project: Uuid,
    milestones: &[Uuid],
    card: &str,
) -> Result<FundOutcome, AppError> {
    let acc = super::access(&svc.db, customer, project).await?;
    if acc.party != crate::project::Party::Customer {
        return Err(AppError::Forbidden);
    }
    if card.trim().is_empty() {
        return Err(AppError::field("card", "Enter the card to pay with."));
    }
    let rows = sqlx::query!(
        "SELECT id, amount_minor, currency, status FROM milestones
         WHERE project_id = $1 AND id = ANY($2) ORDER BY position",
        project,
        milestones
    )
    .fetch_all(&svc.db)
    .await?;
    if rows.is_empty() || rows.len() != milestones.len() {
        return Err(AppError::NotFound);
    }
    if rows.iter().any(|r| r.status != "unfunded") {
        return Err(AppError::Conflict(
            "That milestone is already funded.".into(),
        ));
    }
    let c = super::currency(&rows[0].currency);
    let amount = Money::new(rows.iter().map(|r| r.amount_minor).sum(), c);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let method = PaymentMethod(card.trim().to_owned());
    let joined: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let key = format!(
        "fund:{}:{}",
        hex::encode(&Sha256::digest(joined.join(",").as_bytes())[..12]),
        method_tag(&method)
    );
    let title = sqlx::query_scalar!("SELECT title FROM projects WHERE id = $1", project)
        .fetch_one(&svc.db)
        .await?;
    let p = authorize(svc, customer, amount, &method, &key, &title).await?;
    let mut tx = db::begin(&svc.db).await?;
    let payment = record(
        &mut tx,
        customer,
        project,
        &ids,
        amount,
        &p,
        svc.payments.name(),
    )
    .await?;
    tx.commit().await?;
    after_authorize(svc, project, payment, &p).await
}

/// The customer confirmed the payment with their bank: check with the provider and hold it.
pub async fn confirm(
    svc: &Services,
    customer: &SessionUser,
    payment: Uuid,
) -> Result<FundOutcome, AppError> {
    let owner = sqlx::query_scalar!("SELECT customer_id FROM payments WHERE id = $1", payment)
        .fetch_optional(&svc.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if owner != customer.id.0 {
        return Err(AppError::NotFound);
    }
    settle(svc, payment).await
}

/// The payment that funded `milestone` (for refunds).
pub async fn payment_of(
    conn: &mut PgConnection,
    milestone: Uuid,
) -> Result<Option<(Uuid, String)>, AppError> {
    Ok(sqlx::query!(
        "SELECT id, provider_ref FROM payments WHERE $1 = ANY(milestone_ids) AND status = 'captured'
         ORDER BY created_at LIMIT 1",
        milestone
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.provider_ref.unwrap_or_default())))
}
