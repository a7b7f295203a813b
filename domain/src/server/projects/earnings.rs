//! Freelancers' earnings and payouts, and the pricing rule (the platform fee and the approval
//! window) admins set.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{Account, Movement};
use crate::money::{Currency, Money};
use crate::project::{fee, EarningLine, EarningsView, PayoutView, PricingRule};
use crate::server::audit::{self, AuditEvent};
use crate::server::{ledger, rfc3339, RequestMeta, Services};
use crate::user::SessionUser;
use crate::AppError;

/// The pricing rule in force.
pub async fn pricing(conn: &mut PgConnection) -> Result<PricingRule, AppError> {
    let r = sqlx::query!("SELECT fee_bps, auto_approve_days FROM pricing_rules")
        .fetch_one(conn)
        .await?;
    Ok(PricingRule {
        fee_bps: r.fee_bps.max(0) as u32,
        auto_approve_days: r.auto_approve_days.max(1) as u32,
    })
}

/// An admin changes the pricing rule; milestones already funded keep the fee they were funded
/// with.
pub async fn set_pricing(
    svc: &Services,
    admin: &SessionUser,
    rule: PricingRule,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let mut tx = svc.db.begin().await?;
    let before = pricing(&mut tx).await?;
    sqlx::query!(
        "UPDATE pricing_rules SET fee_bps = $1, auto_approve_days = $2, updated_by = $3",
        rule.fee_bps as i32,
        rule.auto_approve_days as i32,
        admin.id.0
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("pricing.updated", admin).details(json!({
            "fee_bps": [before.fee_bps, rule.fee_bps],
            "auto_approve_days": [before.auto_approve_days, rule.auto_approve_days],
        })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A freelancer's earnings: what was released to them, the fees, what they may be paid now,
/// what is still held for their work, and their payouts.
pub async fn earnings(svc: &Services, freelancer: &SessionUser) -> Result<EarningsView, AppError> {
    let c = Currency::USD;
    let rows = sqlx::query!(
        "SELECT m.title, m.released_minor, m.reversed_minor, m.fee_bps, m.updated_at, p.title AS project
         FROM milestones m JOIN projects p ON p.id = m.project_id
         WHERE m.freelancer_id = $1 AND m.released_minor > 0 AND m.currency = $2
         ORDER BY m.updated_at DESC",
        freelancer.id.0,
        c.code()
    )
    .fetch_all(&svc.db)
    .await?;
    let lines: Vec<EarningLine> = rows
        .into_iter()
        .map(|r| {
            // A release taken back gives its fee back too (the ledger's reverse_release).
            let gross = Money::new(r.released_minor - r.reversed_minor, c);
            let f = fee(gross, r.fee_bps.unwrap_or(0).max(0) as u32);
            EarningLine {
                project: r.project,
                milestone: r.title,
                gross,
                fee: f,
                net: Money::new(gross.minor - f.minor, c),
                reversed: (r.reversed_minor > 0).then(|| Money::new(r.reversed_minor, c)),
                at: rfc3339(r.updated_at),
            }
        })
        .collect();
    let sum = |f: fn(&EarningLine) -> i64| Money::new(lines.iter().map(f).sum(), c);
    let in_progress = sqlx::query_scalar!(
        "SELECT coalesce(sum(amount_minor), 0)::bigint AS \"n!\" FROM milestones
         WHERE freelancer_id = $1 AND currency = $2
           AND status IN ('funded','in_progress','submitted','awaiting_approval','disputed')",
        freelancer.id.0,
        c.code()
    )
    .fetch_one(&svc.db)
    .await?;
    let mut conn = svc.db.acquire().await?;
    let available =
        ledger::available(&mut conn, Account::FreelancerPayable(freelancer.id.0), c).await?;
    drop(conn);
    let payouts: Vec<PayoutView> = sqlx::query!(
        "SELECT id, amount_minor, currency, status, created_at FROM payouts
         WHERE freelancer_id = $1 ORDER BY created_at DESC LIMIT 50",
        freelancer.id.0
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|p| PayoutView {
        id: p.id,
        amount: Money::new(p.amount_minor, p.currency.parse().unwrap_or(c)),
        status: p.status,
        at: rfc3339(p.created_at),
    })
    .collect();
    let paid_out = Money::new(
        payouts
            .iter()
            .filter(|p| p.status == "paid")
            .map(|p| p.amount.minor)
            .sum(),
        c,
    );
    Ok(EarningsView {
        gross: sum(|l| l.gross.minor),
        fees: sum(|l| l.fee.minor),
        net: sum(|l| l.net.minor),
        available,
        paid_out,
        in_progress: Money::new(in_progress, c),
        lines,
        payouts,
    })
}

/// A freelancer asks to be paid `amount` of their available balance. The ledger refuses a
/// payout above it even when two requests race.
pub async fn request_payout(
    svc: &Services,
    freelancer: &SessionUser,
    amount: &str,
    meta: &RequestMeta,
) -> Result<PayoutView, AppError> {
    let c = Currency::USD;
    let amount = Money::parse(amount, c).map_err(|e| AppError::field("amount", e))?;
    if amount.minor <= 0 {
        return Err(AppError::field("amount", "Enter an amount above zero."));
    }
    // One payout at a time per freelancer: the balance is checked, the transfer sent and the
    // payout booked under this lock, so two requests cannot both spend one balance.
    let mut tx = svc.db.begin().await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("payout:{}", freelancer.id.0)
    )
    .execute(&mut *tx)
    .await?;
    let available =
        ledger::available(&mut tx, Account::FreelancerPayable(freelancer.id.0), c).await?;
    if amount.minor > available.minor {
        return Err(AppError::field(
            "amount",
            format!("You can be paid at most {available} now."),
        ));
    }
    let id = Uuid::now_v7();
    // The built-in provider pays any account; with Stripe this is the freelancer's connected
    // account, created when they finish onboarding.
    let destination = format!("acct_{}", freelancer.id.0.simple());
    let outcome = svc
        .payments
        .transfer(&destination, amount, &format!("payout:{id}"))
        .await;
    let (status, reference, failure) = match outcome {
        Ok(r) => {
            let mv = Movement::payout(format!("payout:{id}"), freelancer.id.0, amount)
                .map_err(|_| AppError::Internal)?;
            ledger::apply(&mut tx, &mv, &json!({ "payout": id, "transfer": r })).await?;
            ("paid", Some(r), None)
        }
        Err(e) => ("failed", None, Some(e.to_string())),
    };
    sqlx::query!(
        "INSERT INTO payouts (id, freelancer_id, amount_minor, currency, status, provider_ref, failure)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        freelancer.id.0,
        amount.minor,
        c.code(),
        status,
        reference,
        failure
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("payout.requested", freelancer)
            .target(format!("payout:{id}"))
            .details(
                json!({ "amount_minor": amount.minor, "currency": c.code(), "status": status }),
            ),
        meta,
    )
    .await?;
    tx.commit().await?;
    if let Some(f) = failure {
        tracing::warn!(payout = %id, failure = %f, "payout failed");
        return Err(AppError::Conflict(
            "The payout could not be sent; your balance is unchanged. Try again later.".into(),
        ));
    }
    Ok(PayoutView {
        id,
        amount,
        status: status.into(),
        at: rfc3339(time::OffsetDateTime::now_utc()),
    })
}
