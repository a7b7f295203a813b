//! The automation rules in Postgres ([`run`], every minute from the scheduler) and the ops page
//! that lists what they found. Each rule reads the current state and inserts one alert per
//! finding, unique per rule and subject, so the jobs are durable without a queue: a crash or
//! a restart loses nothing, and a rerun adds nothing.
//!
//! - A new project without a PM: the employee leading the fewest active projects is suggested,
//!   with the requirement analysis' risks; ops accept (the PM joins the project) or dismiss.
//! - A milestone past its due date, funded or in progress: ops are told.
//! - Funds held for one milestone longer than [`HELD_FUNDS_ALERT_DAYS`]: admins are told.
//! - A delivery waiting for the customer for [`CUSTOMER_IDLE_DAYS`] with no word from them in
//!   the workspace: support gets a follow-up draft to edit and send.
//!
//! - A freelancer's rating below [`LOW_RATING`] over at least [`LOW_RATING_MIN_REVIEWS`]
//!   reviews: QA get an audit task (once per freelancer).
//! - A refund the provider refused, or has not taken after
//!   [`refunds::ALERT_AFTER_ATTEMPTS`] tries: admins are told, and may try it again from the
//!   alert once the cause is fixed.

use serde_json::json;
use uuid::Uuid;

use super::refunds;
use crate::automation::{
    follow_up_draft, overdue_title, AlertRule, OpsAlert, CUSTOMER_IDLE_DAYS, HELD_FUNDS_ALERT_DAYS,
    LOW_RATING, LOW_RATING_MIN_REVIEWS,
};
use crate::money::{Currency, Money};
use crate::project::DraftAnalysis;
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::user::SessionUser;
use crate::AppError;

/// What one run found (new alerts only).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// PMs suggested.
    pub pm_suggested: usize,
    /// Milestones past due.
    pub overdue: usize,
    /// Milestones with funds held too long.
    pub held_long: usize,
    /// Follow-ups drafted.
    pub idle: usize,
    /// QA audits asked for.
    pub low_ratings: usize,
    /// Refunds not paid.
    pub refunds_failing: usize,
}

impl Found {
    /// All of them.
    pub fn total(&self) -> usize {
        self.pm_suggested
            + self.overdue
            + self.held_long
            + self.idle
            + self.low_ratings
            + self.refunds_failing
    }
}

#[allow(clippy::too_many_arguments)]
async fn raise(svc: &Services, f: Finding<'_>) -> Result<bool, AppError> {
    let inserted = sqlx::query!(
        "INSERT INTO ops_alerts (id, rule, subject, project_id, milestone_id, talent_user, title, body, suggested_user)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (rule, subject) DO NOTHING",
        Uuid::now_v7(),
        f.rule.as_str(),
        f.subject,
        f.project,
        f.milestone,
        f.talent,
        f.title,
        f.body,
        f.suggested
    )
    .execute(&svc.db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// One thing a rule found: an alert, raised once per (rule, subject).
struct Finding<'a> {
    rule: AlertRule,
    subject: String,
    project: Option<Uuid>,
    milestone: Option<Uuid>,
    talent: Option<Uuid>,
    title: &'a str,
    body: &'a str,
    suggested: Option<Uuid>,
}

impl<'a> Finding<'a> {
    /// A finding about one milestone of a project.
    fn milestone(
        rule: AlertRule,
        milestone: Uuid,
        project: Uuid,
        title: &'a str,
        body: &'a str,
    ) -> Self {
        Self {
            rule,
            subject: format!("milestone:{milestone}"),
            project: Some(project),
            milestone: Some(milestone),
            talent: None,
            title,
            body,
            suggested: None,
        }
    }
}

/// Runs every rule once.
pub async fn run(svc: &Services) -> Result<Found, AppError> {
    Ok(Found {
        pm_suggested: suggest_pms(svc, None).await?,
        overdue: overdue(svc).await?,
        held_long: held_long(svc).await?,
        idle: idle_customers(svc).await?,
        low_ratings: low_ratings(svc).await?,
        refunds_failing: refunds_failing(svc).await?,
    })
}

/// New projects without a PM: suggests the employee leading the fewest active projects. Also
/// run as soon as a project is created.
/// `only` limits it to one project (the one just created).
pub async fn suggest_pms(svc: &Services, only: Option<Uuid>) -> Result<usize, AppError> {
    let mut n = 0;
    let new = sqlx::query!(
        r#"SELECT p.id, p.title, d.analysis AS "analysis?",
                  (SELECT count(*) FROM milestones m WHERE m.project_id = p.id) AS "milestones!",
                  (SELECT coalesce(sum(m.amount_minor), 0) FROM milestones m WHERE m.project_id = p.id)::bigint AS "total!",
                  p.currency
           FROM projects p LEFT JOIN project_drafts d ON d.id = p.draft_id
           WHERE p.status = 'active' AND ($1::uuid IS NULL OR p.id = $1)
             AND NOT EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.role = 'pm')
             AND NOT EXISTS (SELECT 1 FROM ops_alerts a WHERE a.rule = 'pm_suggested' AND a.subject = 'project:' || p.id::text)
           ORDER BY p.created_at LIMIT 100"#,
        only
    )
    .fetch_all(&svc.db)
    .await?;
    for p in new {
        // The employee with the most room: the fewest active projects led.
        let Some(pm) = sqlx::query!(
            r#"SELECT u.id, u.display_name,
                      (SELECT count(*) FROM project_members m JOIN projects q ON q.id = m.project_id
                       WHERE m.user_id = u.id AND m.role = 'pm' AND q.status = 'active') AS "load!"
               FROM users u WHERE u.role = 'EMPLOYEE'
               ORDER BY 3, u.created_at LIMIT 1"#
        )
        .fetch_optional(&svc.db)
        .await?
        else {
            break;
        };
        let total = Money::new(p.total, super::currency(&p.currency));
        let mut body = format!(
            "{} leads {} active project{}, the fewest on the team. Scope: {} milestone{}, {total} in all.",
            pm.display_name,
            pm.load,
            if pm.load == 1 { "" } else { "s" },
            p.milestones,
            if p.milestones == 1 { "" } else { "s" },
        );
        let analysis = p
            .analysis
            .and_then(|a| serde_json::from_value::<DraftAnalysis>(a).ok());
        if let Some(a) = analysis.filter(|a| !a.risks.is_empty()) {
            body.push_str(&format!(" Risks the analysis saw: {}.", a.risks.join("; ")));
        }
        let title = format!("{} suggested as PM for {}", pm.display_name, p.title);
        if raise(
            svc,
            Finding {
                rule: AlertRule::PmSuggested,
                subject: format!("project:{}", p.id),
                project: Some(p.id),
                milestone: None,
                talent: None,
                title: &title,
                body: &body,
                suggested: Some(pm.id),
            },
        )
        .await?
        {
            n += 1;
        }
    }
    Ok(n)
}

/// Milestones past their due date, funded or in progress.
async fn overdue(svc: &Services) -> Result<usize, AppError> {
    let mut n = 0;
    for m in sqlx::query!(
        r#"SELECT m.id, m.title, m.project_id, p.title AS project,
                  extract(day FROM now() - m.due_at)::bigint AS "late!"
           FROM milestones m JOIN projects p ON p.id = m.project_id
           WHERE m.status IN ('funded', 'in_progress') AND m.due_at < now()
             AND NOT EXISTS (SELECT 1 FROM ops_alerts a WHERE a.rule = 'milestone_overdue' AND a.subject = 'milestone:' || m.id::text)
           LIMIT 500"#
    )
    .fetch_all(&svc.db)
    .await?
    {
        let title = overdue_title(&m.title, &m.project, m.late);
        let body = "Ask the freelancer where it stands, agree a new date with the customer, or reassign it.";
        let found = raise(
            svc,
            Finding::milestone(AlertRule::MilestoneOverdue, m.id, m.project_id, &title, body),
        )
        .await?;
        n += usize::from(found);
    }
    Ok(n)
}

/// Funds held for one milestone past the threshold.
async fn held_long(svc: &Services) -> Result<usize, AppError> {
    let mut n = 0;
    for m in sqlx::query!(
        r#"SELECT m.id, m.title, m.project_id, p.title AS project, m.amount_minor, m.currency,
                  m.status, extract(day FROM now() - m.funded_at)::bigint AS "days!"
           FROM milestones m JOIN projects p ON p.id = m.project_id
           WHERE m.status IN ('funded', 'in_progress', 'submitted', 'awaiting_approval', 'disputed')
             AND m.funded_at < now() - make_interval(days => $1)
             AND NOT EXISTS (SELECT 1 FROM ops_alerts a WHERE a.rule = 'funds_held_long' AND a.subject = 'milestone:' || m.id::text)
           LIMIT 500"#,
        HELD_FUNDS_ALERT_DAYS
    )
    .fetch_all(&svc.db)
    .await?
    {
        let held = Money::new(m.amount_minor, super::currency(&m.currency));
        let title = format!(
            "{held} held for “{}” in {} for {} days",
            m.title, m.project, m.days
        );
        let body = format!(
            "The milestone is {}. Held funds must be released, refunded or decided by a dispute within 90 days of funding.",
            crate::project::MilestoneStatus::parse(&m.status)
                .map(|s| s.label().to_lowercase())
                .unwrap_or(m.status)
        );
        let found = raise(
            svc,
            Finding::milestone(AlertRule::FundsHeldLong, m.id, m.project_id, &title, &body),
        )
        .await?;
        n += usize::from(found);
    }
    Ok(n)
}

/// Deliveries waiting for a customer who has gone quiet: a follow-up draft for support.
async fn idle_customers(svc: &Services) -> Result<usize, AppError> {
    let mut n = 0;
    for m in sqlx::query!(
        r#"SELECT m.id, m.title, m.project_id, p.title AS project, u.display_name AS customer,
                  extract(day FROM now() - e.created_at)::bigint AS "days!"
           FROM milestones m
           JOIN projects p ON p.id = m.project_id
           JOIN users u ON u.id = p.customer_id
           JOIN LATERAL (SELECT created_at FROM milestone_events
                         WHERE milestone_id = m.id AND action = 'qa_pass'
                         ORDER BY created_at DESC LIMIT 1) e ON true
           WHERE m.status = 'awaiting_approval'
             AND e.created_at < now() - make_interval(days => $1)
             AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.project_id = p.id AND x.author_id = p.customer_id
                             AND x.created_at > e.created_at)
             AND NOT EXISTS (SELECT 1 FROM ops_alerts a WHERE a.rule = 'customer_idle' AND a.subject = 'milestone:' || m.id::text)
           LIMIT 500"#,
        CUSTOMER_IDLE_DAYS
    )
    .fetch_all(&svc.db)
    .await?
    {
        let title = format!("{} has not answered “{}” in {}", m.customer, m.title, m.project);
        let body = follow_up_draft(&m.customer, &m.title, &m.project, m.days);
        let found = raise(
            svc,
            Finding::milestone(AlertRule::CustomerIdle, m.id, m.project_id, &title, &body),
        )
        .await?;
        n += usize::from(found);
    }
    Ok(n)
}

/// Freelancers whose rating fell low: a QA audit of their recent work.
async fn low_ratings(svc: &Services) -> Result<usize, AppError> {
    let rows = sqlx::query!(
        r#"SELECT t.user_id AS "user_id!", t.name, t.rating, t.reviews
           FROM talent_profiles t
           WHERE t.kind = 'freelancer' AND t.active AND t.user_id IS NOT NULL
             AND t.rating < $1 AND t.reviews >= $2
             AND NOT EXISTS (SELECT 1 FROM ops_alerts a WHERE a.rule = 'rating_low' AND a.subject = 'talent:' || t.user_id::text)
           LIMIT 500"#,
        LOW_RATING,
        LOW_RATING_MIN_REVIEWS
    )
    .fetch_all(&svc.db)
    .await?;
    let mut n = 0;
    for t in rows {
        let title = format!(
            "Audit {}'s recent work: rated {:.1} over {} reviews",
            t.name, t.rating, t.reviews
        );
        let found = raise(
            svc,
            Finding {
                rule: AlertRule::RatingLow,
                subject: format!("talent:{}", t.user_id),
                project: None,
                milestone: None,
                talent: Some(t.user_id),
                title: &title,
                body: "Review their last deliveries against the acceptance criteria and the QA checklists, and talk with them about what the reviews say.",
                suggested: None,
            },
        )
        .await?;
        n += usize::from(found);
    }
    Ok(n)
}

/// Refunds the provider refused, or has not taken after several tries.
async fn refunds_failing(svc: &Services) -> Result<usize, AppError> {
    let rows = sqlx::query!(
        r#"SELECT r.id, r.amount_minor, r.currency, r.status, r.attempts, r.last_error,
                  m.id AS milestone, m.title, m.project_id
           FROM refunds r JOIN milestones m ON m.id = r.milestone_id
           WHERE (r.status = 'failed' OR (r.status = 'pending' AND r.attempts >= $1))
             AND NOT EXISTS (SELECT 1 FROM ops_alerts a WHERE a.rule = 'refund_failing' AND a.subject = 'refund:' || r.id::text)
           LIMIT 500"#,
        refunds::ALERT_AFTER_ATTEMPTS
    )
    .fetch_all(&svc.db)
    .await?;
    let mut n = 0;
    for r in rows {
        let amount = Money::new(r.amount_minor, r.currency.parse().unwrap_or(Currency::USD));
        let title = format!("Refund of {amount} for “{}” is not paid", r.title);
        let body = format!(
            "{} after {} attempt{}: {}. The customer is owed it in the ledger. Fix the cause at the payment provider, then try it again here.",
            if r.status == "failed" { "The payment provider refused it" } else { "The payment provider has not taken it" },
            r.attempts,
            if r.attempts == 1 { "" } else { "s" },
            r.last_error.as_deref().unwrap_or("no answer")
        );
        let found = raise(
            svc,
            Finding {
                rule: AlertRule::RefundFailing,
                subject: format!("refund:{}", r.id),
                project: Some(r.project_id),
                milestone: Some(r.milestone),
                talent: None,
                title: &title,
                body: &body,
                suggested: None,
            },
        )
        .await?;
        n += usize::from(found);
    }
    Ok(n)
}

/// The alerts ops see: open ones first, then the latest handled, 200 at most.
pub async fn alerts(svc: &Services) -> Result<Vec<OpsAlert>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT a.id, a.rule, a.project_id, p.title AS "project?", a.title, a.body, a.status,
                  a.created_at, u.display_name AS "suggested?", a.subject
           FROM ops_alerts a
           LEFT JOIN projects p ON p.id = a.project_id
           LEFT JOIN users u ON u.id = a.suggested_user
           ORDER BY (a.status = 'open') DESC, a.created_at DESC LIMIT 200"#
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .filter_map(|r| {
        Some(OpsAlert {
            id: r.id,
            rule: AlertRule::parse(&r.rule)?,
            project_id: r.project_id,
            project: r.project,
            title: r.title,
            body: r.body,
            suggested: r.suggested,
            retry: r.rule == AlertRule::RefundFailing.as_str()
                && r.status == "open"
                && r.subject.starts_with("refund:"),
            status: r.status,
            at: rfc3339(r.created_at),
        })
    })
    .collect())
}

/// What staff do with an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Take the suggestion (the suggested PM joins the project), or try a failed refund again.
    Accept,
    /// Dealt with.
    Done,
    /// Not needed.
    Dismiss,
}

/// Handles an open alert (staff); handling it twice is refused with a message.
pub async fn handle(
    svc: &Services,
    staff: &SessionUser,
    alert: Uuid,
    how: Handling,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if !super::is_staff(staff) {
        return Err(AppError::Forbidden);
    }
    if how == Handling::Accept {
        retry_refund(svc, alert).await?;
    }
    let mut tx = db::begin(&svc.db).await?;
    let a = sqlx::query!(
        "SELECT rule, project_id, status, suggested_user FROM ops_alerts WHERE id = $1 FOR UPDATE",
        alert
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if a.status != "open" {
        return Err(AppError::Conflict(format!(
            "This alert was already handled ({}).",
            a.status
        )));
    }
    let status = match how {
        Handling::Accept if a.rule == AlertRule::RefundFailing.as_str() => "accepted",
        Handling::Accept => {
            let (Some(project), Some(pm)) = (
                a.project_id,
                a.suggested_user
                    .filter(|_| a.rule == AlertRule::PmSuggested.as_str()),
            ) else {
                return Err(AppError::BadRequest(
                    "There is no suggestion to accept here.".into(),
                ));
            };
            super::add_member(&mut tx, project, pm, "pm", staff.id.0).await?;
            let name = sqlx::query_scalar!("SELECT display_name FROM users WHERE id = $1", pm)
                .fetch_one(&mut *tx)
                .await?;
            super::workspace::record(
                &mut tx,
                project,
                Some(staff.id.0),
                &format!("made {name} the project's PM"),
            )
            .await?;
            "accepted"
        }
        Handling::Done => "done",
        Handling::Dismiss => "dismissed",
    };
    sqlx::query!(
        "UPDATE ops_alerts SET status = $2, resolved_by = $3, resolved_at = now() WHERE id = $1",
        alert,
        status,
        staff.id.0
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("ops_alert.handled", staff)
            .target(format!("alert:{alert}"))
            .details(json!({ "project": a.project_id, "rule": a.rule, "status": status })),
        meta,
    )
    .await?;
    tx.commit().await?;
    if let (Handling::Accept, Some(project)) = (how, a.project_id) {
        super::publish(svc, project, "members", json!({})).await;
    }
    Ok(())
}

/// Accepting a failed-refund alert tries the refund again now; while the provider still does not
/// take it, the alert stays open and the answer says why.
async fn retry_refund(svc: &Services, alert: Uuid) -> Result<(), AppError> {
    let Some(a) = sqlx::query!(
        "SELECT rule, subject, status FROM ops_alerts WHERE id = $1",
        alert
    )
    .fetch_optional(&svc.db)
    .await?
    else {
        return Err(AppError::NotFound);
    };
    if a.rule != AlertRule::RefundFailing.as_str() || a.status != "open" {
        return Ok(());
    }
    let Some(refund) = a
        .subject
        .strip_prefix("refund:")
        .and_then(|id| Uuid::parse_str(id).ok())
    else {
        return Err(AppError::Internal);
    };
    let mut conn = svc.db.acquire().await?;
    refunds::requeue(&mut conn, refund).await?;
    drop(conn);
    match refunds::pay(svc, refund).await? {
        refunds::Outcome::Paid => Ok(()),
        refunds::Outcome::Busy => Err(AppError::Conflict(
            "This refund is being tried right now; look again in a minute.".into(),
        )),
        refunds::Outcome::Pending(why) | refunds::Outcome::Failed(why) => {
            Err(AppError::Conflict(format!(
                "The payment provider still did not take the refund ({why}). The alert stays open."
            )))
        }
    }
}
