//! The project wizard: a brief becomes a draft scope (requirement analyzer + estimator), the
//! customer edits it (autosaved, versioned), asks ops for a custom quote, or confirms, which
//! creates the project and pays the first (or every) milestone into held funds.

use std::collections::HashMap;

use serde_json::json;
use uuid::Uuid;

use super::funding;
use crate::ai::builtin::{Estimator, Requirements};
use crate::ai::{Brief, Category, EstimateInput};
use crate::money::Money;
use crate::project::{DraftAnalysis, DraftView, FundChoice, FundOutcome, QuoteMessage, ScopeDraft};
use crate::server::ai::{evidence, RunContext};
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::payments::provider::PaymentMethod;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::user::SessionUser;
use crate::AppError;

/// The shortest brief the analyzers can work with, in characters.
pub const MIN_BRIEF: usize = 30;
/// The longest brief, in characters.
pub const MAX_BRIEF: usize = 20_000;

fn stale() -> AppError {
    AppError::Conflict(
        "This draft was changed in another tab or window. Reload to see the latest version; what you typed here is still on this page.".into(),
    )
}

/// A name for the project from the analyzer's summary: its first clause, at most 60 characters.
fn title_from(summary: &str) -> String {
    let first = summary
        .split(['.', ';', ':', '\n'])
        .next()
        .unwrap_or(summary)
        .trim();
    let mut out = String::new();
    for word in first.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > 60 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        "New project".into()
    } else {
        out
    }
}

/// Runs the requirement analyzer and the estimator on `brief` and saves the draft (a new one
/// when `draft` is None). The analyzers' runs are logged and linked from the draft.
pub async fn analyze(
    svc: &Services,
    customer: &SessionUser,
    draft: Option<Uuid>,
    brief: &str,
    category: Option<Category>,
) -> Result<DraftView, AppError> {
    let text = brief.trim();
    let n = text.chars().count();
    if n < MIN_BRIEF {
        return Err(AppError::field(
            "brief",
            format!("Tell us a little more: what you need, for whom, and by when (at least {MIN_BRIEF} characters)."),
        ));
    }
    if n > MAX_BRIEF {
        return Err(AppError::field(
            "brief",
            format!("Keep the brief under {MAX_BRIEF} characters; attach the rest later in the workspace."),
        ));
    }
    if let Some(id) = draft {
        owned_draft(svc, customer, id).await?;
    }
    let id = draft.unwrap_or_else(Uuid::now_v7);
    let ctx = RunContext {
        tenant: None,
        user: Some(customer.id),
        subject: Some(format!("draft:{id}")),
    };
    let req = svc
        .ai
        .run::<Requirements>(
            &svc.db,
            &ctx,
            &Brief {
                text: text.to_owned(),
                category,
            },
        )
        .await?;
    let scope = &req.analysis.output;
    let history = evidence::delivered_projects(&svc.db).await?;
    let est = svc
        .ai
        .run::<Estimator>(
            &svc.db,
            &ctx,
            &EstimateInput {
                text: std::iter::once(scope.summary.as_str())
                    .chain(scope.deliverables.iter().map(|d| d.title.as_str()))
                    .collect::<Vec<_>>()
                    .join(". "),
                category: scope.category,
                deliverables: scope.deliverables.iter().map(|d| d.kind).collect(),
                history,
            },
        )
        .await?;
    let e = &est.analysis.output;
    let draft_scope = ScopeDraft::from_analysis(scope, Some(e), &title_from(&scope.summary));
    let analysis = DraftAnalysis {
        requirements_run: req.id,
        estimate_run: est.id,
        confidence: req.analysis.confidence,
        reason: req.analysis.reason.clone(),
        budget_usd: (e.budget_low_usd, e.budget_high_usd),
        weeks: (e.weeks_low, e.weeks_high),
        comparables: e.comparables.clone(),
        assumptions: scope.assumptions.clone(),
        risks: scope.risks.clone(),
        questions: scope.questions.clone(),
    };
    let scope_json = serde_json::to_value(&draft_scope).map_err(|_| AppError::Internal)?;
    let analysis_json = serde_json::to_value(&analysis).map_err(|_| AppError::Internal)?;
    sqlx::query!(
        "INSERT INTO project_drafts (id, customer_id, brief, category, scope, analysis, requirements_run, estimate_run)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET brief = $3, category = $4, scope = $5, analysis = $6,
           requirements_run = $7, estimate_run = $8, version = project_drafts.version + 1
         WHERE project_drafts.customer_id = $2 AND project_drafts.status <> 'confirmed'",
        id,
        customer.id.0,
        text,
        category.map(|c| c.as_str()),
        scope_json,
        analysis_json,
        req.id,
        est.id
    )
    .execute(&svc.db)
    .await?;
    get(svc, customer, id).await
}

/// Checks that `draft` is `customer`'s and still open.
async fn owned_draft(svc: &Services, customer: &SessionUser, draft: Uuid) -> Result<(), AppError> {
    let status = sqlx::query_scalar!(
        "SELECT status FROM project_drafts WHERE id = $1 AND customer_id = $2",
        draft,
        customer.id.0
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    if status == "confirmed" {
        return Err(AppError::Conflict(
            "This draft is already a project.".into(),
        ));
    }
    Ok(())
}

/// A draft, for its customer or for staff.
pub async fn get(svc: &Services, user: &SessionUser, draft: Uuid) -> Result<DraftView, AppError> {
    let (customer, view) = load(svc, &[draft]).await?.pop().ok_or(AppError::NotFound)?;
    if customer != user.id.0 && !super::is_staff(user) {
        return Err(AppError::NotFound);
    }
    Ok(view)
}

/// The drafts `ids` with their customers and quote threads, most recently changed first.
async fn load(svc: &Services, ids: &[Uuid]) -> Result<Vec<(Uuid, DraftView)>, AppError> {
    let mut threads: HashMap<Uuid, Vec<QuoteMessage>> = HashMap::new();
    for q in sqlx::query!(
        r#"SELECT q.draft_id, q.body, q.created_at, u.display_name, u.role
           FROM quote_messages q JOIN users u ON u.id = q.author_id
           WHERE q.draft_id = ANY($1) ORDER BY q.created_at"#,
        ids
    )
    .fetch_all(&svc.db)
    .await?
    {
        threads.entry(q.draft_id).or_default().push(QuoteMessage {
            author: q.display_name,
            staff: q.role == "EMPLOYEE" || q.role == "ADMIN",
            body: q.body,
            at: rfc3339(q.created_at),
        });
    }
    let rows = sqlx::query!(
        r#"SELECT d.id, d.customer_id, d.brief, d.scope, d.analysis, d.status, d.version, d.updated_at,
                  p.id AS "project_id?"
           FROM project_drafts d LEFT JOIN projects p ON p.draft_id = d.id
           WHERE d.id = ANY($1) ORDER BY d.updated_at DESC"#,
        ids
    )
    .fetch_all(&svc.db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let view = DraftView {
                id: r.id,
                brief: r.brief,
                scope: r.scope.and_then(|s| serde_json::from_value(s).ok()),
                analysis: r.analysis.and_then(|a| serde_json::from_value(a).ok()),
                status: r.status,
                version: r.version,
                quote: threads.remove(&r.id).unwrap_or_default(),
                project_id: r.project_id,
                updated_at: rfc3339(r.updated_at),
            };
            (r.customer_id, view)
        })
        .collect())
}

/// A customer's open drafts, newest first (staff: every draft waiting for a quote).
pub async fn list(svc: &Services, user: &SessionUser) -> Result<Vec<DraftView>, AppError> {
    let ids = if super::is_staff(user) {
        sqlx::query_scalar!(
            "SELECT id FROM project_drafts WHERE status = 'quote_requested' ORDER BY updated_at DESC LIMIT 100"
        )
        .fetch_all(&svc.db)
        .await?
    } else {
        sqlx::query_scalar!(
            "SELECT id FROM project_drafts WHERE customer_id = $1 AND status <> 'confirmed'
             ORDER BY updated_at DESC LIMIT 50",
            user.id.0
        )
        .fetch_all(&svc.db)
        .await?
    };
    Ok(load(svc, &ids).await?.into_iter().map(|(_, v)| v).collect())
}

/// The most a saved scope may weigh (it is autosaved as typed, so it is not validated yet).
const MAX_SCOPE_BYTES: usize = 100_000;

/// Autosaves the scope as typed, when `version` is still the latest; answers the new version.
/// Nothing is validated here (a half-typed scope is saved as it is); confirming checks it.
pub async fn save(
    svc: &Services,
    customer: &SessionUser,
    draft: Uuid,
    version: i32,
    scope: &ScopeDraft,
) -> Result<i32, AppError> {
    let value = serde_json::to_value(scope).map_err(|_| AppError::Internal)?;
    if value.to_string().len() > MAX_SCOPE_BYTES || scope.milestones.len() > 50 {
        return Err(AppError::BadRequest(
            "This scope is too large to save; remove some text or milestones.".into(),
        ));
    }
    owned_draft(svc, customer, draft).await?;
    sqlx::query_scalar!(
        "UPDATE project_drafts SET scope = $3, version = version + 1
         WHERE id = $1 AND customer_id = $2 AND version = $4 AND status <> 'confirmed'
         RETURNING version",
        draft,
        customer.id.0,
        value,
        version
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or_else(stale)
}

/// Adds to a draft's custom-quote thread. The customer's first message asks for the quote.
pub async fn quote_message(
    svc: &Services,
    user: &SessionUser,
    draft: Uuid,
    body: &str,
    meta: &RequestMeta,
) -> Result<DraftView, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field(
            "message",
            "Write what you would like quoted (budget, timing, anything unusual).",
        ));
    }
    if body.chars().count() > 5_000 {
        return Err(AppError::field(
            "message",
            "Keep it under 5,000 characters.",
        ));
    }
    let view = get(svc, user, draft).await?;
    if view.status == "confirmed" {
        return Err(AppError::Conflict(
            "This draft is already a project.".into(),
        ));
    }
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO quote_messages (id, draft_id, author_id, body) VALUES ($1, $2, $3, $4)",
        Uuid::now_v7(),
        draft,
        user.id.0,
        body
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE project_drafts SET status = 'quote_requested' WHERE id = $1",
        draft
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("project.quote_message", user).target(format!("draft:{draft}")),
        meta,
    )
    .await?;
    tx.commit().await?;
    get(svc, user, draft).await
}

/// Confirms a draft: checks the scope (per-field messages), authorizes the customer's payment
/// for the milestones they fund, creates the project with its milestones, and holds the money.
/// A declined card changes nothing and says why under `card`. Confirming twice answers the
/// same project.
pub async fn confirm(
    svc: &Services,
    customer: &SessionUser,
    draft: Uuid,
    version: i32,
    fund: FundChoice,
    card: &str,
    meta: &RequestMeta,
) -> Result<FundOutcome, AppError> {
    // Only the customer confirms (staff may see the draft, not fund it).
    let view = match load(svc, &[draft]).await?.pop() {
        Some((owner, view)) if owner == customer.id.0 => view,
        _ => return Err(AppError::NotFound),
    };
    if view.status == "confirmed" {
        if let Some(project) = view.project_id {
            return funding::latest_outcome(svc, project).await;
        }
    }
    if view.version != version {
        return Err(stale());
    }
    let scope = view
        .scope
        .ok_or_else(|| AppError::field("brief", "Describe the project first."))?
        .cleaned();
    let mut check = scope.check();
    if card.trim().is_empty() {
        let e = crate::FieldError::new("card", "Enter the card to pay the first milestone with.");
        check = match check {
            Ok(()) => Err(AppError::Validation(vec![e])),
            Err(AppError::Validation(mut v)) => {
                v.push(e);
                Err(AppError::Validation(v))
            }
            other => other,
        };
    }
    check?;
    let funded = fund.count(scope.milestones.len());
    let amount = Money::new(
        scope.milestones[..funded]
            .iter()
            .map(|m| m.amount_minor)
            .sum(),
        scope.currency,
    );
    let method = PaymentMethod(card.trim().to_owned());
    let key = format!(
        "fund:draft:{draft}:{version}:{}",
        funding::method_tag(&method)
    );
    let authorized = funding::authorize(svc, customer, amount, &method, &key, &scope.title).await?;

    let mut tx = db::begin(&svc.db).await?;
    let locked = sqlx::query!(
        "SELECT status, version FROM project_drafts WHERE id = $1 FOR UPDATE",
        draft
    )
    .fetch_one(&mut *tx)
    .await?;
    if locked.status == "confirmed" {
        drop(tx);
        let project = sqlx::query_scalar!("SELECT id FROM projects WHERE draft_id = $1", draft)
            .fetch_one(&svc.db)
            .await?;
        return funding::latest_outcome(svc, project).await;
    }
    if locked.version != version {
        return Err(stale());
    }
    let project = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO projects (id, customer_id, draft_id, title, summary, deliverables, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        project,
        customer.id.0,
        draft,
        scope.title,
        scope.summary,
        &scope.deliverables,
        scope.currency.code()
    )
    .execute(&mut *tx)
    .await?;
    let mut funded_ids = vec![];
    for (i, m) in scope.milestones.iter().enumerate() {
        let id = Uuid::now_v7();
        if i < funded {
            funded_ids.push(id);
        }
        sqlx::query!(
            "INSERT INTO milestones (id, project_id, position, title, acceptance_criteria, weeks, amount_minor, currency)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            id,
            project,
            i as i32 + 1,
            m.title,
            &m.acceptance_criteria,
            i32::from(m.weeks),
            m.amount_minor,
            scope.currency.code()
        )
        .execute(&mut *tx)
        .await?;
    }
    let payment = funding::record(
        &mut tx,
        customer,
        project,
        &funded_ids,
        amount,
        &authorized,
        svc.payments.name(),
    )
    .await?;
    sqlx::query!(
        "UPDATE project_drafts SET status = 'confirmed' WHERE id = $1",
        draft
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("project.created", customer)
            .target(format!("project:{project}"))
            .details(json!({ "draft": draft, "milestones": scope.milestones.len(), "funded": funded, "amount_minor": amount.minor, "currency": amount.currency.code() })),
        meta,
    )
    .await?;
    super::workspace::record(&mut tx, project, Some(customer.id.0), "created the project").await?;
    tx.commit().await?;
    // A new project gets its suggested PM at once, not at the scheduler's next run.
    if let Err(e) = super::automation::suggest_pms(svc, Some(project)).await {
        tracing::warn!(%project, error = %e, "no PM suggested yet; the scheduler retries");
    }
    funding::after_authorize(svc, project, payment, &authorized).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_clause() {
        assert_eq!(
            title_from("An online store for handmade ceramics. It needs payments."),
            "An online store for handmade ceramics"
        );
        assert_eq!(title_from(""), "New project");
        assert!(title_from(&"word ".repeat(40)).chars().count() <= 60);
    }
}
