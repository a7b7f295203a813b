//! Freelancers' earnings and payouts (to a connected account at the payment provider, then to
//! their bank), and the pricing rule (the platform fee and the approval
//! window) admins set.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{Account, Movement};
use crate::money::{Currency, Money};
use crate::project::{fee, EarningLine, EarningsView, PayoutView, PricingRule};
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
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
    let mut tx = db::begin(&svc.db).await?;
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
    let payout_account = match account(svc, freelancer.id.0).await? {
        None => "none",
        Some(a) if a.ready => "ready",
        Some(_) => "onboarding",
    };
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
        payout_account: payout_account.into(),
        payouts,
    })
}

/// A freelancer's connected account at the payment provider.
#[derive(Debug, Clone)]
pub struct PayoutAccount {
    /// The provider's id.
    pub reference: String,
    /// Whether it can be paid out to.
    pub ready: bool,
}

/// The freelancer's payout account with the current provider, if they set one up. One still
/// being set up is asked about at the provider (the freelancer may have just come back from its
/// form), and remembered once it is ready.
pub async fn account(svc: &Services, user: Uuid) -> Result<Option<PayoutAccount>, AppError> {
    let Some(row) = sqlx::query!(
        "SELECT account_ref, status FROM payout_accounts WHERE user_id = $1 AND provider = $2",
        user,
        svc.payments.name()
    )
    .fetch_optional(&svc.db)
    .await?
    else {
        return Ok(None);
    };
    let mut ready = row.status == "ready";
    if !ready {
        match svc.payments.account_ready(&row.account_ref).await {
            Ok(true) => {
                mark_ready(svc, &row.account_ref).await?;
                ready = true;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not ask the provider about a payout account")
            }
        }
    }
    Ok(Some(PayoutAccount {
        reference: row.account_ref,
        ready,
    }))
}

/// The provider says the account can be paid out to (on asking, or by webhook). Answers
/// whether such an account is known here.
pub async fn mark_ready(svc: &Services, reference: &str) -> Result<bool, AppError> {
    let n = sqlx::query!(
        "UPDATE payout_accounts SET status = 'ready' WHERE provider = $1 AND account_ref = $2",
        svc.payments.name(),
        reference
    )
    .execute(&svc.db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Starts (or resumes) setting up where the freelancer is paid: opens their connected account
/// once, then answers the provider's page to finish it on (for the built-in provider, the
/// earnings page itself: its accounts are ready at once).
pub async fn set_up_payouts(
    svc: &Services,
    freelancer: &SessionUser,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    if freelancer.role != crate::roles::PlatformRole::Freelancer {
        return Err(AppError::Forbidden);
    }
    let base = svc.settings.base_url.trim_end_matches('/');
    let back = format!("{base}/earnings");
    let reference = match account(svc, freelancer.id.0).await? {
        Some(a) if a.ready => return Ok(back),
        Some(a) => a.reference,
        None => {
            let reference = svc
                .payments
                .create_account(
                    freelancer.email.as_str(),
                    &format!("payout-account:{}", freelancer.id.0),
                )
                .await
                .map_err(unavailable)?;
            let mut tx = db::begin(&svc.db).await?;
            sqlx::query!(
                "INSERT INTO payout_accounts (user_id, provider, account_ref) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO UPDATE SET provider = $2, account_ref = $3, status = 'onboarding'",
                freelancer.id.0,
                svc.payments.name(),
                reference
            )
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                AuditEvent::by("payout_account.opened", freelancer)
                    .target(format!("user:{}", freelancer.id.0))
                    .details(json!({ "provider": svc.payments.name() })),
                meta,
            )
            .await?;
            tx.commit().await?;
            if svc
                .payments
                .account_ready(&reference)
                .await
                .unwrap_or(false)
            {
                mark_ready(svc, &reference).await?;
                return Ok(back);
            }
            reference
        }
    };
    svc.payments
        .account_link(&reference, &back, &back)
        .await
        .map_err(unavailable)
}

fn unavailable(e: crate::server::payments::provider::PaymentError) -> AppError {
    tracing::warn!(error = %e, "the payment provider did not open a payout account");
    AppError::Conflict(
        "We could not reach the payment provider to set up your payouts. Try again in a minute."
            .into(),
    )
}

/// The provider's word on a bank payout (webhook `payout.paid` / `payout.failed`). Answers
/// whether the payout is known here.
pub async fn payout_arrived(
    svc: &Services,
    reference: &str,
    paid: bool,
    failure: Option<&str>,
) -> Result<bool, AppError> {
    let n = sqlx::query!(
        "UPDATE payouts SET status = $2, failure = coalesce($3, failure)
         WHERE payout_ref = $1 AND status IN ('in_transit','paid','failed')",
        reference,
        if paid { "paid" } else { "failed" },
        failure
    )
    .execute(&svc.db)
    .await?
    .rows_affected();
    Ok(n == 1)
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
    let mut tx = db::begin(&svc.db).await?;
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
    let destination = match account(svc, freelancer.id.0).await? {
        Some(a) if a.ready => a.reference,
        Some(_) => {
            return Err(AppError::field(
                "amount",
                "Finish setting up where you are paid first (Set up payouts).",
            ))
        }
        None => {
            return Err(AppError::field(
                "amount",
                "Set up where you are paid first (Set up payouts).",
            ))
        }
    };
    let id = Uuid::now_v7();
    // The platform's money goes to the freelancer's connected account (booked here: it has
    // left the platform), then from that account to their bank.
    let outcome = svc
        .payments
        .transfer(&destination, amount, &format!("payout:{id}"))
        .await;
    let (status, reference, failure, payout_ref) = match outcome {
        Ok(r) => {
            let mv = Movement::payout(format!("payout:{id}"), freelancer.id.0, amount)
                .map_err(|_| AppError::Internal)?;
            ledger::apply(&mut tx, &mv, &json!({ "payout": id, "transfer": r })).await?;
            match svc
                .payments
                .payout(&destination, amount, &format!("payout:{id}:bank"))
                .await
            {
                Ok(po) if po.arrived => ("paid", Some(r), None, Some(po.id)),
                Ok(po) => ("in_transit", Some(r), None, Some(po.id)),
                // The money is on their connected account; the provider's own schedule pays it
                // to the bank.
                Err(e) => ("in_transit", Some(r), Some(e.to_string()), None),
            }
        }
        Err(e) => ("failed", None, Some(e.to_string()), None),
    };
    sqlx::query!(
        "INSERT INTO payouts (id, freelancer_id, amount_minor, currency, status, provider_ref, failure, payout_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        freelancer.id.0,
        amount.minor,
        c.code(),
        status,
        reference,
        failure,
        payout_ref
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
    if let (Some(f), "failed") = (failure, status) {
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
