//! The workspace's AI risk panel, for staff: the project risk analyzer reads the project as it
//! stands (milestones and their due dates, the task board, who has gone quiet in the chat) and
//! suggests a level, what it saw and what a person could do. The suggestion is advisory: staff
//! accept it, which puts each suggested action on the task board, or dismiss it; either way
//! the decision is stored with the logged run and in the audit trail.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ai::builtin::ProjectRisk;
use crate::ai::{
    Analysis, Decision, MilestoneSnapshot, MilestoneState, ProjectSnapshot, RiskLevel, RiskReport,
};
use crate::project::{MilestoneStatus, Party, RiskPanel};
use crate::server::ai::{store, RunContext};
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::user::SessionUser;
use crate::workspace::{CheckedTask, Priority};
use crate::AppError;

/// Days until due for a milestone without a due date: beyond anything the analyzer weighs.
const NO_DUE_DATE: i32 = 365;

/// How far along a milestone in `status` is, given the share of the board's tasks done
/// (tasks belong to the project, not to one milestone, so that share stands for the work under
/// way).
fn progress(status: MilestoneStatus, done_pct: u8) -> (MilestoneState, u8) {
    use MilestoneStatus as S;
    match status {
        S::Unfunded | S::Funded => (MilestoneState::Planned, 0),
        S::InProgress | S::Disputed => (MilestoneState::InProgress, done_pct),
        S::Submitted | S::AwaitingApproval => (MilestoneState::Submitted, 100),
        S::Released | S::Refunded => (MilestoneState::Approved, 100),
    }
}

/// The project as the risk analyzer sees it.
pub async fn snapshot(conn: &mut PgConnection, project: Uuid) -> Result<ProjectSnapshot, AppError> {
    let tasks = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status <> 'done') AS "open!",
                  count(*) FILTER (WHERE status = 'done') AS "done!",
                  count(*) FILTER (WHERE status <> 'done' AND due_on < current_date) AS "overdue!"
           FROM project_tasks WHERE project_id = $1 AND deleted_at IS NULL"#,
        project
    )
    .fetch_one(&mut *conn)
    .await?;
    let total = tasks.open + tasks.done;
    let done_pct = if total == 0 {
        0
    } else {
        (tasks.done * 100 / total) as u8
    };
    let milestones = sqlx::query!(
        r#"SELECT title, status,
                  floor(extract(epoch FROM (due_at - now())) / 86400)::int AS due_in_days
           FROM milestones WHERE project_id = $1 ORDER BY position"#,
        project
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|m| {
        let status = MilestoneStatus::parse(&m.status).unwrap_or(MilestoneStatus::Unfunded);
        let (state, progress_pct) = progress(status, done_pct);
        MilestoneSnapshot {
            title: m.title,
            due_in_days: m.due_in_days.unwrap_or(NO_DUE_DATE),
            state,
            progress_pct,
        }
    })
    .collect();
    let silence = sqlx::query!(
        r#"SELECT
             (SELECT extract(day FROM now() - max(m.created_at))::int FROM messages m
               WHERE m.project_id = p.id AND m.author_id = p.customer_id AND m.deleted_at IS NULL) AS customer,
             (SELECT extract(day FROM now() - max(m.created_at))::int FROM messages m
               JOIN project_members pm ON pm.project_id = m.project_id AND pm.user_id = m.author_id AND pm.role = 'freelancer'
               WHERE m.project_id = p.id AND m.deleted_at IS NULL) AS freelancer
           FROM projects p WHERE p.id = $1"#,
        project
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(ProjectSnapshot {
        milestones,
        customer_silent_days: silence.customer.map(|d| d.max(0) as u32),
        freelancer_silent_days: silence.freelancer.map(|d| d.max(0) as u32),
        overdue_tasks: tasks.overdue as u32,
        open_tasks: tasks.open as u32,
    })
}

async fn staff_on(svc: &Services, user: &SessionUser, project: Uuid) -> Result<(), AppError> {
    match super::access(&svc.db, user, project).await?.party {
        Party::Staff => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

fn subject(project: Uuid) -> String {
    format!("project:{project}")
}

/// Runs the risk analyzer on the project now (logged) and answers the panel.
pub async fn assess(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<RiskPanel, AppError> {
    staff_on(svc, user, project).await?;
    let mut conn = svc.db.acquire().await?;
    let snap = snapshot(&mut conn, project).await?;
    drop(conn);
    let ctx = RunContext {
        tenant: None,
        user: Some(user.id),
        subject: Some(subject(project)),
    };
    let run = svc.ai.run::<ProjectRisk>(&svc.db, &ctx, &snap).await?;
    // As stored, so the panel shows the same whether just run or opened later.
    match latest(svc, project).await? {
        Some(p) if p.run == run.id => Ok(p),
        _ => Ok(panel(
            run.id,
            run.analysis,
            rfc3339(time::OffsetDateTime::now_utc()),
            None,
        )),
    }
}

fn panel(run: Uuid, a: Analysis<RiskReport>, at: String, decision: Option<String>) -> RiskPanel {
    RiskPanel {
        run,
        level: a.output.level,
        signals: a.output.signals,
        actions: a.output.suggested_actions,
        reason: a.reason,
        confidence: a.confidence,
        at,
        decision,
    }
}

/// The latest risk assessment of the project whose answer was used, if any (staff only; the
/// caller checked).
pub async fn latest(svc: &Services, project: Uuid) -> Result<Option<RiskPanel>, AppError> {
    let mut tx = crate::server::db::platform_tx(&svc.db).await?;
    let row = sqlx::query!(
        "SELECT id, output, decision, created_at FROM ai_runs
         WHERE subject = $1 AND analyzer = 'project_risk' AND status = 'ok'
         ORDER BY created_at DESC LIMIT 1",
        subject(project)
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.and_then(|r| {
        let a: Analysis<RiskReport> = serde_json::from_value(r.output?).ok()?;
        Some(panel(r.id, a, rfc3339(r.created_at), r.decision))
    }))
}

/// Staff accept the latest assessment (each suggested action becomes a task on the board) or
/// dismiss it. Only the project's own, undecided assessment can be decided.
pub async fn decide(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    run: Uuid,
    accept: bool,
    meta: &RequestMeta,
) -> Result<usize, AppError> {
    staff_on(svc, user, project).await?;
    let current = latest(svc, project)
        .await?
        .filter(|p| p.run == run)
        .ok_or_else(|| {
            AppError::Conflict(
                "This is not the project's latest risk check; reload to see the current one."
                    .into(),
            )
        })?;
    if let Some(d) = &current.decision {
        return Err(AppError::Conflict(format!(
            "This risk check was already {d}."
        )));
    }
    let decision = if accept {
        Decision::Accepted
    } else {
        Decision::Rejected
    };
    // The decision first: its row lock and check make a second decision fail, so the tasks
    // are added once.
    store::decide(&svc.db, None, run, decision, None, user.id).await?;
    let mut tx = db::begin(&svc.db).await?;
    let mut added = 0;
    if accept {
        let priority = match current.level {
            RiskLevel::High => Priority::High,
            _ => Priority::Normal,
        };
        let seen: Vec<String> = current.signals.iter().map(|s| s.detail.clone()).collect();
        for action in &current.actions {
            let task = CheckedTask {
                title: action.chars().take(200).collect(),
                notes: format!(
                    "From the AI risk check ({} risk): {}",
                    current.level.as_str(),
                    seen.join("; ")
                )
                .chars()
                .take(5_000)
                .collect(),
                assignee: None,
                due: None,
                priority,
            };
            super::workspace::insert_task(&mut tx, project, user.id.0, &task).await?;
            added += 1;
        }
    }
    super::workspace::record(
        &mut tx,
        project,
        Some(user.id.0),
        &format!(
            "{} the AI risk check ({} risk)",
            if accept { "accepted" } else { "dismissed" },
            current.level.as_str()
        ),
    )
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("ai.decision", user)
            .target(format!("ai_run:{run}"))
            .details(json!({ "project": project, "analyzer": "project_risk", "decision": decision.as_str(), "tasks": added })),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::publish(svc, project, "tasks", json!({})).await;
    Ok(added)
}

/// The panel as staff open it: the latest assessment, if any.
pub async fn current(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<Option<RiskPanel>, AppError> {
    staff_on(svc, user, project).await?;
    latest(svc, project).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_the_milestone_and_the_board() {
        assert_eq!(
            progress(MilestoneStatus::Funded, 80),
            (MilestoneState::Planned, 0)
        );
        assert_eq!(
            progress(MilestoneStatus::InProgress, 40),
            (MilestoneState::InProgress, 40)
        );
        assert_eq!(
            progress(MilestoneStatus::AwaitingApproval, 10),
            (MilestoneState::Submitted, 100)
        );
        assert_eq!(
            progress(MilestoneStatus::Refunded, 0),
            (MilestoneState::Approved, 100)
        );
    }
}
