//! The AI re-engagement, by the rules of [`crate::leads::reengage`]: a COLD lead routed to the
//! AI (`routing = 'nurture'`) is due once (`reengage_after`, set when the nurture starts). The
//! worker claims due leads for ten minutes (a crash retries them then), and for each one queues
//! one message on the channel the lead last wrote on, as an agent's reply would go: the window,
//! the outbound limits, the backlog's templates-only level and the channel's held state all
//! apply. The message is the AI's draft (band COLD, from the team's facts, logged as every run)
//! inside the window, else a template with the lead's first name. It is billed as a cold
//! recovery, written to the history (`reengaged`) and shown as the AI's in the conversation.
//! When nothing may go, the history says why (`reengage_skipped`) and it is not tried again; a
//! team out of tokens is tried again an hour later.

use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::replies::{self, queue, Queued};
use super::{billing, drafts, event, routing};
use crate::ai::builtin::ReplyDrafter;
use crate::ai::{LeadBand, ReplyInput};
use crate::leads::billing::Operation;
use crate::leads::reengage::{plan, Plan};
use crate::leads::reply::{check_text, render};
use crate::server::ai::RunContext;
use crate::server::{db, Services};
use crate::types::TenantId;
use crate::AppError;

/// How long a worker holds a due lead before another may try it.
const CLAIM_MINUTES: i32 = 10;
/// How long a team out of tokens waits before its leads are tried again.
const PAUSED_MINUTES: i32 = 60;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reengaged {
    /// Messages queued.
    pub sent: usize,
    /// Leads nothing could be sent to (the history says why).
    pub skipped: usize,
    /// Leads left for later: out of tokens, or over the outbound limits.
    pub later: usize,
}

async fn due_later(svc: &Services, lead: Uuid, minutes: i32) -> Result<(), AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    sqlx::query!(
        "UPDATE leads SET reengage_after = now() + make_interval(mins => $2) WHERE id = $1",
        lead,
        minutes
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Re-engages up to `limit` due leads.
pub async fn run(svc: &Services, limit: i64) -> Result<Reengaged, AppError> {
    let claimed = {
        let mut tx = db::platform_tx(&svc.db).await?;
        let rows = sqlx::query!(
            r#"UPDATE leads SET reengage_after = now() + make_interval(mins => $2)
               WHERE id IN (SELECT id FROM leads WHERE reengage_after <= now()
                            ORDER BY reengage_after LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED)
               RETURNING id, tenant_id,
                         (routing = 'nurture' AND merged_into IS NULL AND status = 'open'
                          AND last_inbound_at IS NOT NULL) AS "nurtured!""#,
            limit,
            CLAIM_MINUTES
        )
        .fetch_all(&mut *tx)
        .await?;
        // Leads that left the AI's care meanwhile are not due any more.
        let gone: Vec<Uuid> = rows.iter().filter(|r| !r.nurtured).map(|r| r.id).collect();
        sqlx::query!(
            "UPDATE leads SET reengage_after = NULL WHERE id = ANY($1)",
            &gone
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.into_iter()
            .filter(|r| r.nurtured)
            .map(|r| (TenantId(r.tenant_id), r.id))
            .collect::<Vec<_>>()
    };
    let mut done = Reengaged::default();
    for (tenant, lead) in claimed {
        if billing::check(svc, tenant, Operation::ColdRecovery)
            .await
            .is_err()
        {
            due_later(svc, lead, PAUSED_MINUTES).await?;
            done.later += 1;
            continue;
        }
        match one(svc, tenant, lead).await {
            Ok(Some(true)) => done.sent += 1,
            Ok(Some(false)) => done.skipped += 1,
            Ok(None) => done.later += 1,
            // One lead that fails does not hold up the others; its claim runs out and a later
            // run tries it again.
            Err(e) => tracing::warn!(error = %e, %lead, "re-engagement failed; retrying later"),
        }
    }
    Ok(done)
}

/// Re-engages one claimed lead: `Some(true)` sent, `Some(false)` skipped (with the reason in
/// the history), `None` left for later.
async fn one(svc: &Services, tenant: TenantId, lead: Uuid) -> Result<Option<bool>, AppError> {
    let now = OffsetDateTime::now_utc();
    // One read of the backlog: the templates-only level and the built-in drafts' level.
    let backlog = super::backpressure::backlog(svc, tenant).await?;
    let (busy, level) = (backlog.templates_only(), backlog.level());
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    let about = sqlx::query!(
        r#"SELECT name,
                  (SELECT m.body FROM channel_messages m
                   WHERE m.lead_id = l.id AND m.direction = 'in' AND NOT m.status_only
                     AND m.body IS NOT NULL AND btrim(m.body) <> ''
                   ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS last_message
           FROM leads l WHERE id = $1"#,
        lead
    )
    .fetch_one(&mut *tx)
    .await?;
    let target = replies::targets(&mut tx, lead, now, busy.as_deref())
        .await?
        .into_iter()
        .next();
    let facts = drafts::stored(&mut tx).await?;
    tx.commit().await?;
    let has_facts = !facts.business_name.is_empty() && about.last_message.is_some();
    let decided = plan(
        target.as_ref().map(|(t, _)| t),
        has_facts,
        about.name.as_deref(),
    );

    if let Plan::Skip(why) = &decided {
        let mut tx = db::tenant_tx(&svc.db, tenant).await?;
        event(
            &mut tx,
            tenant,
            lead,
            "reengage_skipped",
            json!({ "reason": why }),
        )
        .await?;
        sqlx::query!("UPDATE leads SET reengage_after = NULL WHERE id = $1", lead)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(Some(false));
    }
    // A plan other than a skip has a channel.
    let Some((t, contact)) = target else {
        return Err(AppError::Internal);
    };
    let (kind, body, template, raw) = match decided {
        Plan::Skip(_) => return Err(AppError::Internal),
        Plan::Draft => {
            let input = ReplyInput {
                band: LeadBand::Cold,
                contact_name: about
                    .name
                    .as_deref()
                    .and_then(|n| n.split_whitespace().next())
                    .map(str::to_owned),
                last_message: about.last_message.clone().unwrap_or_default(),
                facts,
            };
            let ctx = RunContext {
                tenant: Some(tenant),
                user: None,
                subject: Some(format!("lead:{lead}")),
            };
            let run = if level.default_replies_only() {
                svc.ai
                    .run_builtin::<ReplyDrafter>(&svc.db, &ctx, &input)
                    .await?
            } else {
                svc.ai.run::<ReplyDrafter>(&svc.db, &ctx, &input).await?
            };
            let text = check_text(t.kind, &run.analysis.output.text).map_err(|m| {
                tracing::warn!(%lead, reason = %m, "the re-engagement draft cannot be sent");
                AppError::Internal
            })?;
            let raw = json!({ "automation": "reengage", "run": run.id });
            ("text", text, None, raw)
        }
        Plan::Template { template, values } => {
            let Some(choice) = t.templates.iter().find(|c| c.id == template) else {
                return Err(AppError::Internal);
            };
            let body = render(&choice.body, &values).map_err(|_| AppError::Internal)?;
            let spec =
                json!({ "name": choice.name, "language": choice.language, "values": values });
            let raw = json!({ "automation": "reengage", "template": choice.id });
            ("template", body, Some(spec), raw)
        }
    };
    if let Err(AppError::RateLimited { retry_after_secs }) =
        replies::outbound_limit(svc, tenant, "queue").await
    {
        let minutes = i32::try_from(retry_after_secs.div_ceil(60))
            .unwrap_or(1)
            .max(1);
        due_later(svc, lead, minutes).await?;
        return Ok(None);
    }
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    let id = queue(
        &mut tx,
        &Queued {
            tenant,
            lead,
            channel: t.channel,
            contact: &contact,
            kind,
            body: &body,
            template,
            raw,
            author: None,
            held: t.held.as_deref(),
            at: now,
            file: None,
        },
    )
    .await?;
    let detail = json!({ "message": id, "kind": kind, "channel": t.channel });
    event(&mut tx, tenant, lead, "reengaged", detail).await?;
    let charged = billing::meter(
        &mut tx,
        tenant,
        Operation::ColdRecovery,
        &format!("reengage:{id}"),
        Some(&format!("lead:{lead}")),
    )
    .await?;
    sqlx::query!("UPDATE leads SET reengage_after = NULL WHERE id = $1", lead)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if let billing::Charged::Done {
        crossed: Some(level),
    } = charged
    {
        billing::warn(svc, tenant, level).await;
    }
    routing::announce(svc, tenant, lead, None).await;
    Ok(Some(true))
}
