//! Token billing in Postgres (`migrations/…_token_billing.sql`), by the rules of
//! [`crate::leads::billing`].
//!
//! Every deduction is a row keyed by what it paid for (`score:<lead>:<mark>`, `in:<message>`,
//! `draft:<run>`), so a retry never charges twice; each day's total is kept beside the rows in
//! the same transaction. A paid operation first asks [`check`] (no lock, before any AI runs),
//! then [`charge`]s: the charge takes the team's row for today, which puts the team's charges in
//! line, reads what is left, and refuses what no longer fits, writing nothing. What is already
//! under way when the credits run out finishes and is [`meter`]ed (the routing of a lead just
//! scored), as are inbound messages: they always arrive, and are never lost to a limit.
//!
//! Crossing half, 80 % and all of the month's credits (today's limit aside) is recorded once a month
//! (`token_warnings`) and mailed to the team's owners and admins ([`warn`]).

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::leads::billing::{
    parse_top_up, Allowance, AwaitingPurchase, Operation, OperationUse, Plan, Refusal, TokenStatus,
    TopUp, Usage,
};
use crate::permissions::{allowed, Access, Resource};
use crate::server::audit::{self, AuditEvent};
use crate::server::guard::TenantGrant;
use crate::server::{db, rfc3339, RequestMeta, Services};
use crate::types::{Email, TenantId};
use crate::user::SessionUser;
use crate::{AppError, FieldError};

/// The team's plan and allowance now (UTC month and day), inside the caller's transaction.
pub async fn allowance(
    tx: &mut PgConnection,
    tenant: TenantId,
) -> Result<(Plan, Allowance), AppError> {
    let r = sqlx::query!(
        r#"SELECT COALESCE((SELECT plan FROM token_plans WHERE tenant_id = $1), 'starter') AS "plan!",
                  COALESCE((SELECT sum(tenths) FROM token_topups
                            WHERE tenant_id = $1
                              AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)::bigint
                    AS "topped!",
                  COALESCE((SELECT sum(tenths) FROM token_days
                            WHERE tenant_id = $1
                              AND day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)::bigint
                    AS "month!",
                  COALESCE((SELECT tenths FROM token_days
                            WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date), 0)
                    AS "today!""#,
        tenant.0
    )
    .fetch_one(&mut *tx)
    .await?;
    let plan = Plan::parse(&r.plan).unwrap_or(Plan::Starter);
    Ok((
        plan,
        Allowance {
            monthly: plan.monthly() + r.topped,
            daily_limit: plan.daily_limit(),
            used_month: r.month,
            used_today: r.today,
        },
    ))
}

/// Whether `op` fits what is left now. Nothing is locked or written: a worker asks before it
/// spends time (an AI run) on an operation that [`charge`] would refuse.
pub async fn check(svc: &Services, tenant: TenantId, op: Operation) -> Result<(), Refusal> {
    let read = async {
        let mut tx = db::tenant_tx(&svc.db, tenant).await?;
        let (_, a) = allowance(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok::<_, AppError>(a)
    };
    match read.await {
        Ok(a) => a.allows(op),
        // Billing never stops the work for a database hiccup of its own: the charge that follows
        // meets the same database and fails the work properly.
        Err(_) => Ok(()),
    }
}

/// What [`charge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charged {
    /// Charged now; `crossed` is the warning level this charge reached first this month.
    Done {
        /// Half, most or paused, the first time this month.
        crossed: Option<Usage>,
    },
    /// The same key was charged before: nothing more.
    Again,
    /// It does not fit: nothing written.
    Refused(Refusal),
}

/// Charges `op` to `tenant` once for `key`, inside the caller's transaction, if it fits the
/// month's credits and today's limit.
pub async fn charge(
    tx: &mut PgConnection,
    tenant: TenantId,
    op: Operation,
    key: &str,
    subject: Option<&str>,
) -> Result<Charged, AppError> {
    deduct(tx, tenant, op, key, subject, true).await
}

/// Charges `op` to `tenant` once for `key` whatever is left (inbound messages, the rest of an
/// operation under way); usage may pass the credits by these.
pub async fn meter(
    tx: &mut PgConnection,
    tenant: TenantId,
    op: Operation,
    key: &str,
    subject: Option<&str>,
) -> Result<Charged, AppError> {
    deduct(tx, tenant, op, key, subject, false).await
}

async fn deduct(
    tx: &mut PgConnection,
    tenant: TenantId,
    op: Operation,
    key: &str,
    subject: Option<&str>,
    enforce: bool,
) -> Result<Charged, AppError> {
    // Today's row, locked until the caller commits: the team's charges go one at a time.
    sqlx::query!(
        r#"INSERT INTO token_days (tenant_id, day) VALUES ($1, (now() AT TIME ZONE 'UTC')::date)
           ON CONFLICT (tenant_id, day) DO UPDATE SET tenths = token_days.tenths"#,
        tenant.0
    )
    .execute(&mut *tx)
    .await?;
    let known = sqlx::query_scalar!(
        "SELECT 1 AS one FROM token_charges WHERE tenant_id = $1 AND key = $2",
        tenant.0,
        key
    )
    .fetch_optional(&mut *tx)
    .await?;
    if known.is_some() {
        return Ok(Charged::Again);
    }
    let (_, before) = allowance(tx, tenant).await?;
    if enforce {
        if let Err(r) = before.allows(op) {
            return Ok(Charged::Refused(r));
        }
    }
    let cost = op.tenths();
    sqlx::query!(
        "INSERT INTO token_charges (tenant_id, operation, tenths, key, subject) VALUES ($1, $2, $3, $4, $5)",
        tenant.0,
        op.as_str(),
        cost as i32,
        key,
        subject
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"UPDATE token_days SET tenths = tenths + $2
           WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date"#,
        tenant.0,
        cost
    )
    .execute(&mut *tx)
    .await?;
    let after = Allowance {
        used_month: before.used_month + cost,
        used_today: before.used_today + cost,
        ..before
    };
    let crossed = match Allowance::crossed(before.month_usage(), after.month_usage()) {
        Some(level) => first_warning(tx, tenant, level).await?,
        None => None,
    };
    Ok(Charged::Done { crossed })
}

/// Records that the team reached `level` this month; answers it the first time only.
async fn first_warning(
    tx: &mut PgConnection,
    tenant: TenantId,
    level: Usage,
) -> Result<Option<Usage>, AppError> {
    let Some(name) = level.level() else {
        return Ok(None);
    };
    let new = sqlx::query_scalar!(
        r#"INSERT INTO token_warnings (tenant_id, month, level)
           VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $2)
           ON CONFLICT DO NOTHING RETURNING level"#,
        tenant.0,
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(new.map(|_| level))
}

/// One charge of [`meter_many`]: `units` of an operation to a team, under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered {
    /// Whose tokens.
    pub tenant: Uuid,
    /// What was done (its price is the rate card's).
    pub operation: Operation,
    /// How many times (one row for all of them).
    pub units: u32,
    /// Charged once: a second charge with the same key is ignored.
    pub key: String,
}

/// Makes every charge once, whatever is left, in one statement: the intake's inbound messages
/// of a batch, a row per team and kind of message.
pub async fn meter_many(tx: &mut PgConnection, charges: &[Metered]) -> Result<(), AppError> {
    if charges.is_empty() {
        return Ok(());
    }
    let tenants: Vec<Uuid> = charges.iter().map(|c| c.tenant).collect();
    let ops: Vec<&str> = charges.iter().map(|c| c.operation.as_str()).collect();
    let units: Vec<i32> = charges
        .iter()
        .map(|c| i32::try_from(c.units).unwrap_or(i32::MAX))
        .collect();
    let tenths: Vec<i32> = charges
        .iter()
        .map(|c| i32::try_from(c.operation.tenths() * i64::from(c.units)).unwrap_or(i32::MAX))
        .collect();
    let keys: Vec<&str> = charges.iter().map(|c| c.key.as_str()).collect();
    sqlx::query!(
        r#"WITH added AS (
             INSERT INTO token_charges (tenant_id, operation, units, tenths, key)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[])
             ON CONFLICT (tenant_id, key) DO NOTHING
             RETURNING tenant_id, tenths)
           INSERT INTO token_days (tenant_id, day, tenths)
           SELECT tenant_id, (now() AT TIME ZONE 'UTC')::date, sum(tenths) FROM added
           GROUP BY tenant_id ORDER BY tenant_id
           ON CONFLICT (tenant_id, day) DO UPDATE SET tenths = token_days.tenths + EXCLUDED.tenths"#,
        &tenants,
        &ops as &[&str],
        &units,
        &tenths,
        &keys as &[&str]
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Mails the team's owners and admins that it reached `level` of the month's credits. A mail
/// that cannot be sent is logged; the warning stays on the team's pages.
pub async fn warn(svc: &Services, tenant: TenantId, level: Usage) {
    let sent = async {
        let mut tx = db::platform_tx(&svc.db).await?;
        let team = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", tenant.0)
            .fetch_one(&mut *tx)
            .await?;
        let to = sqlx::query_scalar!(
            r#"SELECT u.email FROM tenant_members m JOIN users u ON u.id = m.user_id
               WHERE m.tenant_id = $1 AND m.role IN ('OWNER', 'ADMIN') ORDER BY u.email"#,
            tenant.0
        )
        .fetch_all(&mut *tx)
        .await?;
        let (_, a) = allowance(&mut tx, tenant).await?;
        tx.commit().await?;
        let subject = match level {
            Usage::Half => format!("{team}: half of this month's tokens used"),
            Usage::Most => format!("{team}: 80 % of this month's tokens used"),
            Usage::Paused | Usage::Fine => format!("{team}: paid operations are paused"),
        };
        let body = format!(
            "{}\n\nSee where they went on your team's tokens page.",
            a.month_notice().unwrap_or_default()
        );
        for email in to {
            if let Ok(addr) = Email::parse(&email) {
                svc.mailer.send(&addr, &subject, &body).await?;
            }
        }
        Ok::<_, AppError>(())
    };
    if let Err(e) = sent.await {
        tracing::warn!(error = %e, tenant = %tenant.0, "token warning not mailed");
    }
}

/// The team's tokens, for those who may see its billing (owners, admins, managers).
pub async fn status(svc: &Services, grant: &TenantGrant) -> Result<TokenStatus, AppError> {
    if allowed(grant.role, Resource::Billing, Access::Read).is_none() {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let s = status_in(&mut tx, grant.tenant).await?;
    tx.commit().await?;
    Ok(shown(
        s,
        allowed(grant.role, Resource::Billing, Access::Write).is_some(),
    ))
}

/// The status as the tokens page shows it: one who may buy gets a fresh key for the purchase
/// form, so each form shown is one purchase however often it is sent.
fn shown(mut s: TokenStatus, can_buy: bool) -> TokenStatus {
    s.can_buy = can_buy;
    if can_buy {
        s.purchase_key = crate::server::random_token(16);
    }
    s
}

/// Buys `pack` (a [`crate::leads::billing::PACKS`] id) with `card` for the team: the payment is
/// taken at once and the tokens are added to this month, so paid operations paused for want of
/// credits resume. Owners and admins. Pressing twice buys once: `attempt` is the form's
/// [`TokenStatus::purchase_key`], part of the payment's idempotency key, so the same form answers
/// the same payment, and a payment adds its tokens once.
#[allow(clippy::too_many_arguments)]
pub async fn buy(
    svc: &Services,
    grant: &TenantGrant,
    buyer: &SessionUser,
    pack: &str,
    card: &str,
    attempt: &str,
    meta: &RequestMeta,
) -> Result<TokenStatus, AppError> {
    use crate::money::{Currency, Money};
    use crate::server::payments::provider::{Authorize, PaymentMethod, ProviderStatus};
    use crate::server::projects::funding::{method_tag, provider_error};
    if allowed(grant.role, Resource::Billing, Access::Write).is_none() {
        return Err(AppError::Forbidden);
    }
    let Some(pack) = crate::leads::billing::pack(pack) else {
        return Err(AppError::field("pack", "Choose one of the packs."));
    };
    if card.trim().is_empty() {
        return Err(AppError::field("card", "Enter a card number."));
    }
    let attempt = attempt.trim();
    if !(8..=64).contains(&attempt.len())
        || !attempt
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::Conflict(
            "This form is out of date. Reload the page and buy again; nothing was charged.".into(),
        ));
    }
    let method = PaymentMethod(card.trim().to_owned());
    let key = format!(
        "tokens:{}:{attempt}:{}:{}",
        grant.tenant.0,
        pack.id,
        method_tag(&method)
    );
    let amount = Money::new(pack.cents, Currency::USD);
    let description = format!("Fluxorae tokens: {}", pack.label());
    let metadata = [("tenant_id", grant.tenant.0.to_string())];
    let mut p = svc
        .payments
        .authorize(&Authorize {
            amount,
            method: &method,
            description: &description,
            metadata: &metadata,
            idempotency_key: &key,
        })
        .await
        .map_err(provider_error)?;
    // A card that asks for the bank's confirmation is kept until the buyer confirms it
    // ([`confirm_purchase`]); the same form sent again answers the same payment, kept once.
    let confirm_later =
        match p.status {
            ProviderStatus::Declined => {
                return Err(AppError::field(
                    "card",
                    p.decline_reason
                        .unwrap_or_else(|| "Your card was declined. Try another card.".into()),
                ))
            }
            ProviderStatus::Cancelled => return Err(AppError::field(
                "card",
                "The payment was cancelled. Nothing was charged; try again or use another card.",
            )),
            ProviderStatus::RequiresAction => true,
            ProviderStatus::Authorized => {
                p = svc
                    .payments
                    .capture(&p.id, amount, &format!("{key}:capture"))
                    .await
                    .map_err(provider_error)?;
                false
            }
            ProviderStatus::Captured => false,
        };
    if !confirm_later && p.status != ProviderStatus::Captured {
        return Err(AppError::Conflict(
            "The payment was not taken. Nothing was added; please try again.".into(),
        ));
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    if confirm_later {
        sqlx::query!(
            r#"INSERT INTO token_purchases (id, tenant_id, pack, payment_ref, bought_by)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (payment_ref) DO NOTHING"#,
            Uuid::now_v7(),
            grant.tenant.0,
            pack.id,
            p.id,
            buyer.id.0
        )
        .execute(&mut *tx)
        .await?;
    } else {
        add_bought(&mut tx, grant.tenant, buyer, pack, &p.id, meta).await?;
    }
    let s = status_in(&mut tx, grant.tenant).await?;
    tx.commit().await?;
    Ok(shown(s, true))
}

/// The buyer confirmed a purchase with their bank ([`TokenStatus::awaiting_bank`]): asks the
/// provider, takes the payment and adds the pack's tokens to this month, once however often it
/// is confirmed. Owners and admins of the team that bought it; the pack and price are the ones
/// kept with the purchase.
pub async fn confirm_purchase(
    svc: &Services,
    grant: &TenantGrant,
    buyer: &SessionUser,
    purchase: Uuid,
    meta: &RequestMeta,
) -> Result<TokenStatus, AppError> {
    use crate::money::{Currency, Money};
    use crate::server::payments::provider::ProviderStatus;
    use crate::server::projects::funding::provider_error;
    if allowed(grant.role, Resource::Billing, Access::Write).is_none() {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let kept = sqlx::query!(
        "SELECT pack, payment_ref, status FROM token_purchases WHERE id = $1 AND tenant_id = $2",
        purchase,
        grant.tenant.0
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    match kept.status.as_str() {
        "added" => return status(svc, grant).await,
        "declined" => {
            return Err(AppError::Conflict(
                "Your bank did not confirm this payment. Nothing was charged; buy again with another card.".into(),
            ))
        }
        _ => {}
    }
    let pack = crate::leads::billing::pack(&kept.pack).ok_or(AppError::Internal)?;
    let amount = Money::new(pack.cents, Currency::USD);
    let now = svc
        .payments
        .retrieve(&kept.payment_ref)
        .await
        .map_err(provider_error)?;
    match now.status {
        ProviderStatus::RequiresAction => {
            return Err(AppError::field(
                "confirm",
                "Your bank has not confirmed the payment yet. Confirm it with your bank, then press the button again.",
            ))
        }
        ProviderStatus::Declined | ProviderStatus::Cancelled => {
            let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
            sqlx::query!(
                "UPDATE token_purchases SET status = 'declined' WHERE id = $1 AND status = 'requires_action'",
                purchase
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(AppError::field(
                "confirm",
                "Your bank did not confirm the payment. Nothing was charged; buy again with another card.",
            ));
        }
        ProviderStatus::Authorized => {
            svc.payments
                .capture(&kept.payment_ref, amount, &format!("{}:capture", kept.payment_ref))
                .await
                .map_err(provider_error)?;
        }
        ProviderStatus::Captured => {}
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    add_bought(&mut tx, grant.tenant, buyer, pack, &kept.payment_ref, meta).await?;
    sqlx::query!(
        "UPDATE token_purchases SET status = 'added' WHERE id = $1",
        purchase
    )
    .execute(&mut *tx)
    .await?;
    let s = status_in(&mut tx, grant.tenant).await?;
    tx.commit().await?;
    Ok(shown(s, true))
}

/// Adds a paid pack to this month as a top-up, once per payment, with its audit entry.
async fn add_bought(
    tx: &mut PgConnection,
    tenant: TenantId,
    buyer: &SessionUser,
    pack: crate::leads::billing::Pack,
    payment: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let added = sqlx::query!(
        r#"INSERT INTO token_topups (id, tenant_id, month, tenths, note, added_by, payment_ref, amount_minor)
           VALUES ($1, $2, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $3, $4, $5, $6, $7)
           ON CONFLICT (payment_ref) DO NOTHING"#,
        Uuid::now_v7(),
        tenant.0,
        pack.tokens * 10,
        format!("Bought by card: {}", pack.label()),
        buyer.id.0,
        payment,
        pack.cents
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() > 0 {
        audit::append(
            tx,
            AuditEvent::by("tokens.bought", buyer)
                .tenant(tenant)
                .target(format!("tenant:{}", tenant.0))
                .details(json!({ "pack": pack.id, "tenths": pack.tokens * 10, "amount_minor": pack.cents, "payment": payment })),
            meta,
        )
        .await?;
    }
    Ok(())
}

async fn status_in(tx: &mut PgConnection, tenant: TenantId) -> Result<TokenStatus, AppError> {
    let team = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", tenant.0)
        .fetch_one(&mut *tx)
        .await?;
    let (plan, a) = allowance(tx, tenant).await?;
    let used = sqlx::query!(
        r#"SELECT operation, sum(units)::bigint AS "count!", sum(tenths)::bigint AS "tenths!"
           FROM token_charges
           WHERE tenant_id = $1
             AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           GROUP BY operation"#,
        tenant.0
    )
    .fetch_all(&mut *tx)
    .await?;
    let by_operation = Operation::ALL
        .iter()
        .filter_map(|op| {
            used.iter()
                .find(|u| u.operation == op.as_str())
                .map(|u| OperationUse {
                    operation: *op,
                    count: u.count,
                    tenths: u.tenths,
                })
        })
        .collect();
    let topups = sqlx::query!(
        r#"SELECT tenths, note, created_at FROM token_topups
           WHERE tenant_id = $1 AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
           ORDER BY created_at DESC"#,
        tenant.0
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|t| TopUp {
        tenths: t.tenths,
        note: t.note,
        at: rfc3339(t.created_at),
    })
    .collect();
    let awaiting_bank = sqlx::query!(
        r#"SELECT id, pack FROM token_purchases
           WHERE tenant_id = $1 AND status = 'requires_action'
             AND created_at > now() - interval '1 day'
           ORDER BY created_at DESC LIMIT 1"#,
        tenant.0
    )
    .fetch_optional(&mut *tx)
    .await?
    .and_then(|r| {
        crate::leads::billing::pack(&r.pack).map(|p| AwaitingPurchase {
            id: r.id,
            pack: p.label(),
        })
    });
    Ok(TokenStatus {
        team,
        plan,
        usage: a.usage(),
        notice: a.notice(),
        allowance: a,
        by_operation,
        topups,
        can_buy: false,
        purchase_key: String::new(),
        awaiting_bank,
    })
}

/// Every team's tokens (any team with channels uses them), for the platform's staff.
pub async fn all_teams(
    svc: &Services,
    staff: &SessionUser,
) -> Result<Vec<(String, TokenStatus)>, AppError> {
    staff_only(staff)?;
    let mut tx = db::platform_tx(&svc.db).await?;
    let teams = sqlx::query!("SELECT id, slug FROM tenants ORDER BY name, id")
        .fetch_all(&mut *tx)
        .await?;
    let mut out = Vec::with_capacity(teams.len());
    for t in teams {
        out.push((t.slug, status_in(&mut tx, TenantId(t.id)).await?));
    }
    tx.commit().await?;
    Ok(out)
}

fn staff_only(user: &SessionUser) -> Result<(), AppError> {
    if user.role == crate::roles::PlatformRole::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn team_id(tx: &mut PgConnection, slug: &str) -> Result<TenantId, AppError> {
    sqlx::query_scalar!("SELECT id FROM tenants WHERE slug = $1", slug)
        .fetch_optional(&mut *tx)
        .await?
        .map(TenantId)
        .ok_or(AppError::NotFound)
}

/// Adds `tokens` (whole tokens, as typed) to the team's month, with a note the team sees; the
/// platform's admins only. Paid operations paused for want of credits resume at once.
pub async fn top_up(
    svc: &Services,
    staff: &SessionUser,
    slug: &str,
    tokens: &str,
    note: &str,
    meta: &RequestMeta,
) -> Result<TokenStatus, AppError> {
    staff_only(staff)?;
    let (tenths, note) = parse_top_up(tokens, note).map_err(AppError::Validation)?;
    let mut tx = db::platform_tx(&svc.db).await?;
    let tenant = team_id(&mut tx, slug).await?;
    sqlx::query!(
        r#"INSERT INTO token_topups (id, tenant_id, month, tenths, note, added_by)
           VALUES ($1, $2, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $3, $4, $5)"#,
        Uuid::now_v7(),
        tenant.0,
        tenths,
        note,
        staff.id.0
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("tokens.top_up", staff)
            .tenant(tenant)
            .target(format!("tenant:{}", tenant.0))
            .details(json!({ "tenths": tenths, "note": note })),
        meta,
    )
    .await?;
    let s = status_in(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(s)
}

/// Moves the team to `plan`; the platform's admins only.
pub async fn set_plan(
    svc: &Services,
    staff: &SessionUser,
    slug: &str,
    plan: &str,
    meta: &RequestMeta,
) -> Result<TokenStatus, AppError> {
    staff_only(staff)?;
    let plan = Plan::parse(plan).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "plan",
            "Choose Starter, Growth or Scale.",
        )])
    })?;
    let mut tx = db::platform_tx(&svc.db).await?;
    let tenant = team_id(&mut tx, slug).await?;
    sqlx::query!(
        r#"INSERT INTO token_plans (tenant_id, plan) VALUES ($1, $2)
           ON CONFLICT (tenant_id) DO UPDATE SET plan = $2"#,
        tenant.0,
        plan.as_str()
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("tokens.plan", staff)
            .tenant(tenant)
            .target(format!("tenant:{}", tenant.0))
            .details(json!({ "plan": plan.as_str() })),
        meta,
    )
    .await?;
    let s = status_in(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(s)
}
