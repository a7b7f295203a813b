//! The milestone flow in Postgres. [`act`] locks the milestone, checks the step against the
//! rules in [`crate::project`], moves the money the step moves (a release minus the fee, a
//! dispute's split), records the step, the delivery, the QA checklist or the dispute, and the
//! audit entry — all in one transaction. Two people acting on one milestone at once are
//! serialised by the lock: the second sees the first's result and is refused with a message.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::refunds::{self, Reason};
use crate::ai::builtin::QaChecker;
use crate::ai::{Need, QaInput, TalentKind};
use crate::ledger::{Account, Movement};
use crate::money::{Currency, Money};
use crate::project::{
    fee, milestone_activity, step, MilestoneAction, MilestoneStatus, Party, Resolution, StepError,
    StepInput, Suggestion,
};
use crate::roles::PlatformRole;
use crate::server::ai::RunContext;
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{ledger, RequestMeta, Services};
use crate::types::UserId;
use crate::user::SessionUser;
use crate::AppError;

/// Who takes a step: a signed-in person, or the scheduler.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A person.
    Person(&'a SessionUser),
    /// The scheduler (auto-approve).
    System,
}

impl Actor<'_> {
    fn id(&self) -> Option<Uuid> {
        match self {
            Self::Person(u) => Some(u.id.0),
            Self::System => None,
        }
    }
}

/// Books a movement built by one of the ledger's constructors, in the step's transaction.
async fn book(
    conn: &mut sqlx::PgConnection,
    movement: Result<Movement, crate::ledger::LedgerError>,
    memo: serde_json::Value,
) -> Result<(), AppError> {
    let mv = movement.map_err(|_| AppError::Internal)?;
    ledger::apply(conn, &mv, &memo).await?;
    Ok(())
}

fn refused(e: StepError) -> AppError {
    match e {
        StepError::NotYours(_) => AppError::Forbidden,
        StepError::WrongState { .. } => AppError::Conflict(e.to_string()),
    }
}

/// Takes `action` on `milestone`. Returns the milestone's new status.
pub async fn act(
    svc: &Services,
    actor: Actor<'_>,
    milestone: Uuid,
    action: MilestoneAction,
    input: &StepInput,
    meta: &RequestMeta,
) -> Result<MilestoneStatus, AppError> {
    // Who may see the project decides who may act; anyone else is told it does not exist.
    let project = sqlx::query_scalar!("SELECT project_id FROM milestones WHERE id = $1", milestone)
        .fetch_optional(&svc.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let party = match actor {
        Actor::Person(u) => super::access(&svc.db, u, project).await?.party,
        Actor::System => Party::System,
    };

    let mut tx = db::begin(&svc.db).await?;
    let m = sqlx::query!(
        "SELECT m.status, m.amount_minor, m.currency, m.fee_bps, m.freelancer_id, m.acceptance_criteria,
                m.title, m.released_minor, m.reversed_minor, p.customer_id
         FROM milestones m JOIN projects p ON p.id = m.project_id
         WHERE m.id = $1 FOR UPDATE OF m",
        milestone
    )
    .fetch_one(&mut *tx)
    .await?;
    let from = MilestoneStatus::parse(&m.status).ok_or(AppError::Internal)?;
    let c: Currency = m.currency.parse().unwrap_or(Currency::USD);
    let held = Money::new(m.amount_minor, c);
    let to = step(from, action, party, input.resolution).map_err(refused)?;
    input.check(action, &m.acceptance_criteria, held)?;
    let fee_bps = m.fee_bps.unwrap_or(0).max(0) as u32;
    let mut released = 0i64;
    let mut refunded = 0i64;
    let mut reversed = 0i64;
    let mut refund = None;

    match action {
        MilestoneAction::Start => {
            if m.freelancer_id.is_none() {
                return Err(AppError::Conflict(
                    "No freelancer is assigned to this milestone yet.".into(),
                ));
            }
        }
        MilestoneAction::Submit => {
            let actor_id = actor.id().ok_or(AppError::Internal)?;
            let links: Vec<String> = input
                .links
                .iter()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect();
            let ctx = RunContext {
                tenant: None,
                user: Some(UserId(actor_id)),
                subject: Some(format!("milestone:{milestone}")),
            };
            let qa = svc
                .ai
                .run::<QaChecker>(
                    &svc.db,
                    &ctx,
                    &QaInput {
                        acceptance_criteria: m.acceptance_criteria.clone(),
                        submission: input.notes.trim().to_owned(),
                        attachments: links.clone(),
                    },
                )
                .await?;
            sqlx::query!(
                "INSERT INTO submissions (id, milestone_id, author_id, notes, links, qa_run)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                Uuid::now_v7(),
                milestone,
                actor_id,
                input.notes.trim(),
                &links,
                qa.id
            )
            .execute(&mut *tx)
            .await?;
        }
        MilestoneAction::QaPass | MilestoneAction::QaFail => {
            let sub = sqlx::query_scalar!(
                "SELECT id FROM submissions WHERE milestone_id = $1 ORDER BY created_at DESC LIMIT 1",
                milestone
            )
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query!(
                "INSERT INTO qa_reviews (id, milestone_id, submission_id, reviewer_id, checklist, passed, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                Uuid::now_v7(),
                milestone,
                sub,
                actor.id().ok_or(AppError::Internal)?,
                serde_json::to_value(&input.checklist).map_err(|_| AppError::Internal)?,
                action == MilestoneAction::QaPass,
                input.note.trim()
            )
            .execute(&mut *tx)
            .await?;
        }
        MilestoneAction::Approve | MilestoneAction::AutoApprove => {
            let freelancer = m.freelancer_id.ok_or_else(|| {
                AppError::Conflict("No freelancer is assigned to receive this payment.".into())
            })?;
            book(
                &mut tx,
                Movement::release(
                    format!("release:{milestone}"),
                    milestone,
                    freelancer,
                    held,
                    fee_bps,
                ),
                json!({ "milestone": milestone, "action": action.as_str() }),
            )
            .await?;
            released = held.minor;
        }
        MilestoneAction::Dispute => {
            sqlx::query!(
                "INSERT INTO disputes (id, milestone_id, opened_by, reason) VALUES ($1, $2, $3, $4)",
                Uuid::now_v7(),
                milestone,
                actor.id().ok_or(AppError::Internal)?,
                input.note.trim()
            )
            .execute(&mut *tx)
            .await?;
        }
        MilestoneAction::Resolve => {
            let resolution = input.resolution.ok_or(AppError::Internal)?;
            let (to_freelancer, to_customer) = resolution
                .split(held)
                .map_err(|e| AppError::field("release", e))?;
            if to_freelancer.minor > 0 {
                let freelancer = m.freelancer_id.ok_or_else(|| {
                    AppError::Conflict("No freelancer is assigned to receive a release.".into())
                })?;
                book(
                    &mut tx,
                    Movement::release(
                        format!("release:{milestone}"),
                        milestone,
                        freelancer,
                        to_freelancer,
                        fee_bps,
                    ),
                    json!({ "milestone": milestone, "dispute": true }),
                )
                .await?;
            }
            if to_customer.minor > 0 {
                refund = Some(
                    refunds::owe(
                        &mut tx,
                        milestone,
                        m.customer_id,
                        to_customer,
                        Reason::Dispute,
                        input.note.trim(),
                    )
                    .await?,
                );
            }
            let outcome = match resolution {
                Resolution::Release => "release",
                Resolution::Partial(_) => "partial",
                Resolution::Refund => "refund",
            };
            sqlx::query!(
                "UPDATE disputes SET outcome = $2, release_minor = $3, resolved_by = $4, resolved_at = now()
                 WHERE milestone_id = $1 AND resolved_at IS NULL",
                milestone,
                outcome,
                to_freelancer.minor,
                actor.id()
            )
            .execute(&mut *tx)
            .await?;
            released = to_freelancer.minor;
            refunded = to_customer.minor;
        }
        MilestoneAction::Reverse => {
            let freelancer = m.freelancer_id.ok_or(AppError::Internal)?;
            let back = Money::new(m.released_minor - m.reversed_minor, c);
            if back.minor <= 0 {
                return Err(AppError::Conflict(
                    "Nothing released on this milestone is left to take back.".into(),
                ));
            }
            // The freelancer's share must still be with the platform. A payout since the
            // release would leave their balance short; the ledger would refuse it as well, but
            // this says so in words ops can act on.
            let share = Money::new(back.minor - fee(back, fee_bps).minor, c);
            let left =
                ledger::available(&mut tx, Account::FreelancerPayable(freelancer), c).await?;
            if left.minor < share.minor {
                return Err(AppError::Conflict(format!(
                    "The freelancer has {left} left of the {share} released to them (the rest was paid out), so this release cannot be taken back here. Settle it with the freelancer first."
                )));
            }
            book(
                &mut tx,
                Movement::reverse_release(
                    format!("reverse_release:{milestone}"),
                    milestone,
                    freelancer,
                    back,
                    fee_bps,
                ),
                json!({ "milestone": milestone, "reason": input.note.trim() }),
            )
            .await?;
            refund = Some(
                refunds::owe(
                    &mut tx,
                    milestone,
                    m.customer_id,
                    back,
                    Reason::AfterRelease,
                    input.note.trim(),
                )
                .await?,
            );
            refunded = back.minor;
            reversed = back.minor;
        }
        MilestoneAction::Fund | MilestoneAction::RequestChanges => {}
    }

    let rule = super::earnings::pricing(&mut tx).await?;
    sqlx::query!(
        "UPDATE milestones SET status = $2,
           approve_by = CASE WHEN $2 = 'awaiting_approval' THEN now() + make_interval(days => $3::int) END,
           reminded_at = CASE WHEN $2 = 'awaiting_approval' THEN NULL ELSE reminded_at END,
           released_minor = released_minor + $4, refunded_minor = refunded_minor + $5,
           reversed_minor = reversed_minor + $6
         WHERE id = $1",
        milestone,
        to.as_str(),
        rule.auto_approve_days as i32,
        released,
        refunded,
        reversed
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO milestone_events (id, milestone_id, actor_id, action, from_status, to_status, note, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        Uuid::now_v7(),
        milestone,
        actor.id(),
        action.as_str(),
        from.as_str(),
        to.as_str(),
        input.note.trim(),
        json!({ "released_minor": released, "refunded_minor": refunded, "reversed_minor": reversed, "fee_bps": fee_bps })
    )
    .execute(&mut *tx)
    .await?;
    if to.is_final() {
        sqlx::query!(
            "UPDATE projects SET status = 'completed' WHERE id = $1
               AND NOT EXISTS (SELECT 1 FROM milestones WHERE project_id = $1 AND status NOT IN ('released','refunded'))",
            project
        )
        .execute(&mut *tx)
        .await?;
    }
    let mut ev = AuditEvent::new(match action {
        MilestoneAction::Approve | MilestoneAction::AutoApprove => "milestone.released",
        MilestoneAction::Resolve => "milestone.dispute_resolved",
        MilestoneAction::Reverse => "milestone.release_reversed",
        MilestoneAction::Dispute => "milestone.disputed",
        _ => "milestone.step",
    })
    .target(format!("milestone:{milestone}"))
    .details(json!({ "action": action.as_str(), "from": from.as_str(), "to": to.as_str(), "released_minor": released, "refunded_minor": refunded }));
    if let Actor::Person(u) = actor {
        ev = ev.actor(u.id).email(u.email.clone());
    }
    audit::append(&mut tx, ev, meta).await?;
    let line = milestone_activity(action, &m.title);
    super::workspace::record(&mut tx, project, actor.id(), &line).await?;
    tx.commit().await?;

    if let Some(id) = refund {
        // The refund is owed in the ledger and recorded; a provider that does not take it now
        // is asked again by the scheduler.
        if let Err(e) = refunds::pay(svc, id).await {
            tracing::error!(%milestone, refund = %id, error = %e, "a refund was booked but not yet paid");
        }
    }
    super::publish(svc, project, "milestone", json!({ "milestone": milestone })).await;
    Ok(to)
}

/// Ops assigns a freelancer to a project: every milestone not yet paid goes to them.
pub async fn assign(
    svc: &Services,
    staff: &SessionUser,
    project: Uuid,
    freelancer: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let mut tx = db::begin(&svc.db).await?;
    assign_in(&mut tx, svc, staff, project, freelancer, meta).await?;
    tx.commit().await?;
    super::publish(svc, project, "members", json!({})).await;
    Ok(())
}

/// [`assign`] inside the caller's transaction (accepting an application, say); the caller
/// announces it after committing.
pub(crate) async fn assign_in(
    tx: &mut PgConnection,
    svc: &Services,
    staff: &SessionUser,
    project: Uuid,
    freelancer: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if super::access(&svc.db, staff, project).await?.party != Party::Staff {
        return Err(AppError::Forbidden);
    }
    let who = sqlx::query!(
        "SELECT role, display_name FROM users WHERE id = $1",
        freelancer
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::field("freelancer", "There is no such person."))?;
    if who.role != PlatformRole::Freelancer.as_str() {
        return Err(AppError::field(
            "freelancer",
            "Only freelancers can be assigned to deliver a project.",
        ));
    }
    // Only a profile ops approved delivers work, whichever way the name reached the form.
    let status = sqlx::query_scalar!(
        "SELECT status FROM talent_profiles WHERE user_id = $1",
        freelancer
    )
    .fetch_optional(&mut *tx)
    .await?;
    if status.as_deref() != Some("approved") {
        return Err(AppError::field(
            "freelancer",
            format!(
                "{} cannot be assigned until ops approve their freelancer profile.",
                who.display_name
            ),
        ));
    }
    super::add_member(tx, project, freelancer, "freelancer", staff.id.0).await?;
    sqlx::query!(
        "UPDATE milestones SET freelancer_id = $2
         WHERE project_id = $1 AND status NOT IN ('released','refunded','disputed','awaiting_approval')",
        project,
        freelancer
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut *tx,
        AuditEvent::by("project.freelancer_assigned", staff)
            .target(format!("project:{project}"))
            .details(json!({ "freelancer": freelancer })),
        meta,
    )
    .await?;
    let line = format!("assigned {} to deliver the project", who.display_name);
    super::workspace::record(tx, project, Some(staff.id.0), &line).await?;
    Ok(())
}

/// Freelancers the matcher suggests for a project, with its reasons; only people with an
/// account can be assigned, so only they are listed.
pub async fn suggest(
    svc: &Services,
    staff: &SessionUser,
    project: Uuid,
) -> Result<Vec<Suggestion>, AppError> {
    if super::access(&svc.db, staff, project).await?.party != Party::Staff {
        return Err(AppError::Forbidden);
    }
    let p = sqlx::query!(
        "SELECT summary, deliverables FROM projects WHERE id = $1",
        project
    )
    .fetch_one(&svc.db)
    .await?;
    let ctx = RunContext {
        tenant: None,
        user: Some(staff.id),
        subject: Some(format!("project:{project}")),
    };
    let need = Need {
        text: format!("{} {}", p.summary, p.deliverables.join(". ")),
        skills: vec![],
        kind: Some(TalentKind::Freelancer),
        utc_offset_minutes: None,
        hours_per_week: None,
        limit: Some(10),
    };
    let run = svc.ai.match_talent(&svc.db, &ctx, need).await?;
    let ids: Vec<Uuid> = run.analysis.output.matches.iter().map(|m| m.id).collect();
    let users = sqlx::query!(
        "SELECT t.id, t.user_id AS \"user_id!\" FROM talent_profiles t JOIN users u ON u.id = t.user_id
         WHERE t.id = ANY($1) AND u.role = 'FREELANCER'",
        &ids
    )
    .fetch_all(&svc.db)
    .await?;
    Ok(run
        .analysis
        .output
        .matches
        .into_iter()
        .filter_map(|m| {
            let user = users.iter().find(|u| u.id == m.id)?.user_id;
            Some(Suggestion {
                user_id: user,
                name: m.name,
                score: m.score,
                reasons: m.factors.into_iter().map(|f| f.reason).collect(),
            })
        })
        .collect())
}

/// Approves every milestone whose approval window has passed; answers how many. Run by the
/// scheduler.
pub async fn auto_approve_due(svc: &Services) -> Result<usize, AppError> {
    let due = sqlx::query_scalar!(
        "SELECT id FROM milestones WHERE status = 'awaiting_approval' AND approve_by <= now() ORDER BY approve_by LIMIT 100"
    )
    .fetch_all(&svc.db)
    .await?;
    let mut n = 0;
    for id in due {
        match act(
            svc,
            Actor::System,
            id,
            MilestoneAction::AutoApprove,
            &StepInput::default(),
            &RequestMeta::default(),
        )
        .await
        {
            Ok(_) => n += 1,
            // Someone answered between the query and the lock.
            Err(AppError::Conflict(_)) => {}
            Err(e) => tracing::error!(milestone = %id, error = %e, "auto-approve failed"),
        }
    }
    Ok(n)
}

/// Reminds customers two days before a milestone is approved automatically; answers how many
/// reminders went out.
pub async fn remind_due(svc: &Services) -> Result<usize, AppError> {
    let rows = sqlx::query!(
        "UPDATE milestones m SET reminded_at = now()
         FROM projects p, users u
         WHERE p.id = m.project_id AND u.id = p.customer_id
           AND m.status = 'awaiting_approval' AND m.reminded_at IS NULL
           AND m.approve_by <= now() + interval '2 days'
         RETURNING m.id, m.title, m.approve_by, p.id AS project, p.title AS project_title, u.email"
    )
    .fetch_all(&svc.db)
    .await?;
    let n = rows.len();
    for r in rows {
        let Ok(to) = crate::types::Email::parse(&r.email) else {
            continue;
        };
        let when = r.approve_by.map(crate::server::rfc3339).unwrap_or_default();
        let body = format!(
            "\"{}\" in {} passed QA and is waiting for your approval.\n\nIf you do nothing it will be approved automatically at {when} and the held funds released to the freelancer.\n\nReview it: {}/projects/{}\n",
            r.title, r.project_title, svc.settings.base_url, r.project
        );
        if let Err(e) = svc
            .mailer
            .send(
                &to,
                &format!("Waiting for your approval: {}", r.title),
                &body,
            )
            .await
        {
            tracing::warn!(milestone = %r.id, error = %e, "approval reminder not sent");
        }
    }
    Ok(n)
}
