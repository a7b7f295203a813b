//! Projects in Postgres: the wizard ([`wizard`]), paying into held funds ([`funding`]), the
//! milestone flow ([`flow`]), refunds paid through the provider ([`refunds`]), freelancers' earnings and payouts ([`earnings`]), and the
//! workspace view and who may see it (here).
//!
//! Who may see a project: its customer, the freelancers assigned to it, and Fluxorae staff
//! (employees and admins). Everyone else gets "not found", so a project's existence does not
//! leak.

pub mod automation;
pub mod chat;
pub mod earnings;
pub mod flow;
pub mod funding;
pub mod refunds;
pub mod risk;
pub mod wizard;
pub mod workspace;

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::money::{Currency, Money};
use crate::project::{
    available, CheckItem, DisputeView, HistoryEntry, Member, MilestoneAction, MilestoneStatus,
    MilestoneView, Party, ProjectSummary, QaView, SubmissionView, WorkspaceView,
};
use crate::server::{rfc3339, Services};
use crate::user::SessionUser;
use crate::AppError;

/// How the asker stands to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Their party.
    pub party: Party,
    /// The project's customer.
    pub customer: Uuid,
}

/// How `user` stands to `project`, or "not found" when they may not see it.
pub async fn access(db: &PgPool, user: &SessionUser, project: Uuid) -> Result<Access, AppError> {
    let row = sqlx::query!(
        r#"SELECT p.customer_id,
                  EXISTS (SELECT 1 FROM project_members m
                          WHERE m.project_id = p.id AND m.user_id = $2 AND m.role = 'freelancer') AS "assigned!"
           FROM projects p WHERE p.id = $1"#,
        project,
        user.id.0
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)?;
    let party = Party::of(user.role, row.customer_id == user.id.0, row.assigned)
        .ok_or(AppError::NotFound)?;
    Ok(Access {
        party,
        customer: row.customer_id,
    })
}

/// Adds `user` to `project` as `role` (`freelancer`, `pm` or `qa`); already a member, nothing
/// changes.
pub(crate) async fn add_member(
    conn: &mut sqlx::PgConnection,
    project: Uuid,
    user: Uuid,
    role: &str,
    added_by: Uuid,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO project_members (project_id, user_id, role, added_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, user_id) DO NOTHING",
        project,
        user,
        role,
        added_by
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether `user` is Fluxorae staff (an employee or an admin).
pub fn is_staff(user: &SessionUser) -> bool {
    matches!(
        user.role,
        crate::roles::PlatformRole::Employee | crate::roles::PlatformRole::Admin
    )
}

/// The projects `user` may see: their own as a customer, those they are assigned to, or all of
/// them for staff; newest first.
pub async fn list(db: &PgPool, user: &SessionUser) -> Result<Vec<ProjectSummary>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT p.id, p.title, p.status, p.currency, u.display_name AS customer,
                  count(m.id) AS "milestones!",
                  count(m.id) FILTER (WHERE m.status = 'released') AS "released!",
                  coalesce(sum(m.amount_minor), 0)::bigint AS "total!",
                  coalesce(sum(m.amount_minor) FILTER (WHERE m.status IN
                    ('funded','in_progress','submitted','awaiting_approval','disputed')), 0)::bigint AS "held!"
           FROM projects p
           JOIN users u ON u.id = p.customer_id
           LEFT JOIN milestones m ON m.project_id = p.id
           WHERE $2 OR p.customer_id = $1
              OR EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = p.id AND pm.user_id = $1)
           GROUP BY p.id, u.display_name
           ORDER BY p.created_at DESC
           LIMIT 200"#,
        user.id.0,
        is_staff(user)
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = currency(&r.currency);
            ProjectSummary {
                id: r.id,
                title: r.title,
                status: r.status,
                customer: r.customer,
                released: r.released as usize,
                milestones: r.milestones as usize,
                total: Money::new(r.total, c),
                held: Money::new(r.held, c),
            }
        })
        .collect())
}

fn currency(code: &str) -> Currency {
    code.parse().unwrap_or(Currency::USD)
}

/// Where a refund stands, in words for the workspace.
fn refund_line(amount: Money, status: &str, attempts: i32) -> String {
    match status {
        "paid" => format!("Refund of {amount}: paid back to the card."),
        "failed" => format!(
            "Refund of {amount}: the payment provider refused it; our team has been told and will sort it out."
        ),
        _ if attempts == 0 => format!("Refund of {amount}: being sent to the payment provider."),
        _ => format!(
            "Refund of {amount}: the payment provider has not taken it yet (tried {attempts} time{}); it is tried again automatically.",
            if attempts == 1 { "" } else { "s" }
        ),
    }
}

fn status(s: &str) -> MilestoneStatus {
    MilestoneStatus::parse(s).unwrap_or(MilestoneStatus::Unfunded)
}

/// The workspace of `project` as `user` may see it.
pub async fn workspace(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<WorkspaceView, AppError> {
    let acc = access(&svc.db, user, project).await?;
    let db = &svc.db;
    let p = sqlx::query!(
        "SELECT title, summary, deliverables FROM projects WHERE id = $1",
        project
    )
    .fetch_one(db)
    .await?;
    let mut members = vec![];
    let customer =
        sqlx::query_scalar!("SELECT display_name FROM users WHERE id = $1", acc.customer)
            .fetch_one(db)
            .await?;
    members.push(Member {
        id: acc.customer,
        name: customer,
        role: "customer".into(),
    });
    let rows = sqlx::query!(
        "SELECT m.user_id, u.display_name, m.role FROM project_members m JOIN users u ON u.id = m.user_id
         WHERE m.project_id = $1 ORDER BY m.created_at",
        project
    )
    .fetch_all(db)
    .await?;
    members.extend(rows.into_iter().map(|r| Member {
        id: r.user_id,
        name: r.display_name,
        role: r.role,
    }));

    let ms = sqlx::query!(
        "SELECT id, position, title, acceptance_criteria, weeks, amount_minor, currency, status,
                fee_bps, due_at, approve_by, released_minor, refunded_minor, freelancer_id
         FROM milestones WHERE project_id = $1 ORDER BY position",
        project
    )
    .fetch_all(db)
    .await?;
    let ids: Vec<Uuid> = ms.iter().map(|m| m.id).collect();

    let refunds = sqlx::query!(
        "SELECT milestone_id, amount_minor, currency, status, attempts FROM refunds
         WHERE milestone_id = ANY($1) ORDER BY created_at",
        &ids
    )
    .fetch_all(db)
    .await?;
    let subs = sqlx::query!(
        "SELECT DISTINCT ON (s.milestone_id) s.milestone_id, s.id, s.notes, s.links, s.qa_run, s.created_at,
                u.display_name
         FROM submissions s JOIN users u ON u.id = s.author_id
         WHERE s.milestone_id = ANY($1) ORDER BY s.milestone_id, s.created_at DESC",
        &ids
    )
    .fetch_all(db)
    .await?;
    let qas = sqlx::query!(
        "SELECT DISTINCT ON (q.milestone_id) q.milestone_id, q.checklist, q.passed, q.note, q.created_at,
                u.display_name
         FROM qa_reviews q JOIN users u ON u.id = q.reviewer_id
         WHERE q.milestone_id = ANY($1) ORDER BY q.milestone_id, q.created_at DESC",
        &ids
    )
    .fetch_all(db)
    .await?;
    let disputes = sqlx::query!(
        "SELECT DISTINCT ON (d.milestone_id) d.milestone_id, d.reason, d.outcome, d.release_minor,
                u.display_name
         FROM disputes d JOIN users u ON u.id = d.opened_by
         WHERE d.milestone_id = ANY($1) ORDER BY d.milestone_id, d.created_at DESC",
        &ids
    )
    .fetch_all(db)
    .await?;
    let events = sqlx::query!(
        "SELECT e.milestone_id, e.action, e.to_status, e.note, e.created_at, u.display_name AS \"actor?\"
         FROM milestone_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.milestone_id = ANY($1) ORDER BY e.created_at, e.id",
        &ids
    )
    .fetch_all(db)
    .await?;
    // The QA analyzer's suggestions, for staff reviewing a delivery.
    let qa_runs: Vec<Uuid> = if acc.party == Party::Staff {
        subs.iter().filter_map(|s| s.qa_run).collect()
    } else {
        vec![]
    };
    let mut suggestions = std::collections::HashMap::new();
    if !qa_runs.is_empty() {
        let mut tx = crate::server::db::platform_tx(db).await?;
        for r in sqlx::query!(
            "SELECT id, output FROM ai_runs WHERE id = ANY($1)",
            &qa_runs
        )
        .fetch_all(&mut *tx)
        .await?
        {
            let report = r
                .output
                .and_then(|o| o.get("output").cloned())
                .and_then(|o| serde_json::from_value::<crate::ai::QaReport>(o).ok());
            if let Some(report) = report {
                suggestions.insert(r.id, report);
            }
        }
        tx.commit().await?;
    }

    let pending_payment = if acc.party == Party::Customer {
        sqlx::query_scalar!(
            "SELECT id FROM payments WHERE project_id = $1 AND status = 'requires_action'
             ORDER BY created_at DESC LIMIT 1",
            project
        )
        .fetch_optional(db)
        .await?
    } else {
        None
    };

    let milestones = ms
        .into_iter()
        .map(|m| {
            let c = currency(&m.currency);
            let st = status(&m.status);
            let mut actions = available(st, acc.party);
            if m.freelancer_id.is_none() {
                // Nobody can start or be paid before a freelancer is assigned.
                actions.retain(|a| !matches!(a, MilestoneAction::Start | MilestoneAction::Approve));
            }
            let submission = subs.iter().find(|s| s.milestone_id == m.id);
            MilestoneView {
                id: m.id,
                position: m.position,
                title: m.title,
                acceptance_criteria: m.acceptance_criteria,
                weeks: m.weeks,
                amount: Money::new(m.amount_minor, c),
                status: st,
                fee_bps: m.fee_bps.map(|f| f.max(0) as u32),
                due_at: m.due_at.map(rfc3339),
                approve_by: m.approve_by.map(rfc3339),
                released: Money::new(m.released_minor, c),
                refunded: Money::new(m.refunded_minor, c),
                refunds: refunds
                    .iter()
                    .filter(|r| r.milestone_id == m.id)
                    .map(|r| {
                        refund_line(
                            Money::new(r.amount_minor, currency(&r.currency)),
                            &r.status,
                            r.attempts,
                        )
                    })
                    .collect(),
                actions,
                qa_suggestion: submission
                    .and_then(|s| s.qa_run)
                    .and_then(|r| suggestions.get(&r).cloned()),
                submission: submission.map(|s| SubmissionView {
                    id: s.id,
                    notes: s.notes.clone(),
                    links: s.links.clone(),
                    author: s.display_name.clone(),
                    at: rfc3339(s.created_at),
                }),
                qa: qas.iter().find(|q| q.milestone_id == m.id).map(|q| QaView {
                    reviewer: q.display_name.clone(),
                    checklist: serde_json::from_value::<Vec<CheckItem>>(q.checklist.clone())
                        .unwrap_or_default(),
                    passed: q.passed,
                    note: q.note.clone(),
                    at: rfc3339(q.created_at),
                }),
                dispute: disputes
                    .iter()
                    .find(|d| d.milestone_id == m.id)
                    .map(|d| DisputeView {
                        opened_by: d.display_name.clone(),
                        reason: d.reason.clone(),
                        outcome: d.outcome.clone(),
                        released: d.release_minor.map(|r| Money::new(r, c)),
                    }),
                history: events
                    .iter()
                    .filter(|e| e.milestone_id == m.id)
                    .map(|e| HistoryEntry {
                        actor: e.actor.clone().unwrap_or_default(),
                        action: MilestoneAction::parse(&e.action)
                            .map_or_else(|| e.action.clone(), |a| a.label().to_owned()),
                        to: status(&e.to_status),
                        note: e.note.clone(),
                        at: rfc3339(e.created_at),
                    })
                    .collect(),
            }
        })
        .collect();

    Ok(WorkspaceView {
        id: project,
        title: p.title,
        summary: p.summary,
        deliverables: p.deliverables,
        party: acc.party,
        me: user.id.0,
        members,
        milestones,
        pending_payment,
        tasks: workspace::load_tasks(svc, acc.party, user, project).await?,
        files: workspace::load_files(svc, acc.party, user, project).await?,
        activity: workspace::load_activity(svc, project).await?,
    })
}

/// Something changed in a project; open workspaces refresh what it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectEvent {
    /// The project.
    pub project: Uuid,
    /// `milestone`, `message`, `typing`, `read`, `presence`, `members`, `tasks`, `files`.
    pub kind: String,
    /// What the event carries (a message, who is typing).
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The channel project events travel on between instances.
pub fn channel(prefix: &str) -> String {
    format!("{prefix}:project-events")
}

/// Publishes a project event to every instance (best effort: a page that misses one catches up
/// on its next load).
pub async fn publish(svc: &Services, project: Uuid, kind: &str, data: serde_json::Value) {
    let ev = ProjectEvent {
        project,
        kind: kind.to_owned(),
        data,
    };
    let Ok(payload) = serde_json::to_string(&ev) else {
        return;
    };
    let mut r = svc.redis.clone();
    let sent: Result<i64, _> = r
        .publish(channel(&svc.settings.redis_prefix), payload)
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, %project, "could not publish a project event");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_says_where_it_stands() {
        let usd = Money::new(80_000, Currency::USD);
        assert_eq!(
            refund_line(usd, "paid", 1),
            "Refund of $800.00: paid back to the card."
        );
        assert_eq!(
            refund_line(usd, "pending", 0),
            "Refund of $800.00: being sent to the payment provider."
        );
        assert!(refund_line(usd, "pending", 1).contains("(tried 1 time)"));
        assert!(refund_line(usd, "pending", 3).contains("(tried 3 times)"));
        assert!(refund_line(usd, "failed", 2).contains("refused it"));
    }
}
