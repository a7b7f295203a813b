//! AI drafts in the inbox's composer. The team writes its business facts once (the channels
//! page); an agent working a conversation asks for a draft of the answer to the lead's last
//! message. The draft is written by the AI layer (the built-in engine, or the configured model,
//! every run logged) from those facts only, in the language of the message, for the lead's
//! band; a draft claiming a number or link the facts lack is rejected by the layer. It goes into
//! the agent's reply box to check and edit: nothing is sent until the agent sends it.

use uuid::Uuid;

use super::billing;
use super::inbox::working;
use crate::ai::builtin::ReplyDrafter;
use crate::ai::{LeadBand, ReplyInput, TenantFacts};
use crate::leads::billing::Operation;
use crate::leads::facts::{parse_all, to_form, Drafted, FactsForm};
use crate::permissions::{allowed, Access, Resource};
use crate::server::ai::RunContext;
use crate::server::guard::TenantGrant;
use crate::server::{db, Services};
use crate::types::UserId;
use crate::AppError;

fn may_read(grant: &TenantGrant) -> bool {
    allowed(grant.role, Resource::Settings, Access::Read).is_some()
}

fn may_edit(grant: &TenantGrant) -> bool {
    allowed(grant.role, Resource::Settings, Access::Write).is_some()
}

pub(super) async fn stored(tx: &mut sqlx::PgConnection) -> Result<TenantFacts, AppError> {
    let raw = sqlx::query_scalar!(
        "SELECT reply_facts FROM tenant_settings WHERE tenant_id = app_tenant_id()"
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(raw
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// The team's facts as the form shows them (empty until someone writes them).
pub async fn facts(svc: &Services, grant: &TenantGrant) -> Result<FactsForm, AppError> {
    if !may_read(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let facts = stored(&mut tx).await?;
    let rivals = competitors(&mut tx).await?;
    tx.commit().await?;
    Ok(to_form(&facts, &rivals))
}

/// The team's competitors (`tenant_settings.competitors`), as written.
pub(super) async fn competitors(tx: &mut sqlx::PgConnection) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT competitors FROM tenant_settings WHERE tenant_id = app_tenant_id()"
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or_default())
}

/// Keeps the team's facts, checked field by field (owners, admins and product).
pub async fn set_facts(
    svc: &Services,
    grant: &TenantGrant,
    form: &FactsForm,
) -> Result<FactsForm, AppError> {
    if !may_edit(grant) {
        return Err(AppError::Forbidden);
    }
    let (facts, rivals) = parse_all(form).map_err(AppError::Validation)?;
    let value = serde_json::to_value(&facts).map_err(|_| AppError::Internal)?;
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    sqlx::query!(
        "UPDATE tenant_settings SET reply_facts = $2, competitors = $3 WHERE tenant_id = $1",
        grant.tenant.0,
        value,
        &rivals
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(to_form(&facts, &rivals))
}

/// A draft of the answer to `lead`'s last message, for `me` to check and send, if they may
/// work the conversation.
pub async fn draft(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<Drafted, AppError> {
    let (mut tx, _) = working(svc, grant, me, lead).await?;
    let about = sqlx::query!(
        r#"SELECT l.name, l.band,
                  (SELECT m.body FROM channel_messages m
                   WHERE m.lead_id = l.id AND m.direction = 'in' AND NOT m.status_only
                     AND m.body IS NOT NULL AND btrim(m.body) <> ''
                   ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS last_message
           FROM leads l WHERE l.id = $1"#,
        lead
    )
    .fetch_one(&mut *tx)
    .await?;
    let facts = stored(&mut tx).await?;
    // The lead stays unlocked while the AI writes.
    tx.commit().await?;
    if facts.business_name.is_empty() {
        return Err(AppError::Conflict(
            "The AI drafts only from your team's business facts, and none are written yet: an admin adds them on the team's channels page.".into(),
        ));
    }
    let Some(last_message) = about.last_message else {
        return Err(AppError::Conflict(
            "They have not written anything in words yet, so there is nothing to draft an answer to.".into(),
        ));
    };
    // A lead not scored yet is answered as a warm one.
    let band = about
        .band
        .as_deref()
        .and_then(LeadBand::parse)
        .unwrap_or(LeadBand::Warm);
    // What the rate card calls the message drafted for this band.
    let op = match band {
        LeadBand::Hot => Operation::PersuasionMessage,
        LeadBand::Warm => Operation::QualificationMessage,
        LeadBand::Cold => Operation::ColdRecovery,
    };
    billing::check(svc, grant.tenant, op)
        .await
        .map_err(|r| AppError::Conflict(r.message().into()))?;
    let input = ReplyInput {
        band,
        contact_name: about
            .name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .map(str::to_owned),
        last_message,
        facts,
    };
    let ctx = RunContext {
        tenant: Some(grant.tenant),
        user: Some(me),
        subject: Some(format!("lead:{lead}")),
    };
    // Over the second level of backlog, drafts come from the built-in engine: no model call.
    let (_, level) = super::backpressure::level(svc, grant.tenant).await?;
    let by_default = level.default_replies_only();
    let run = if by_default {
        svc.ai
            .run_builtin::<ReplyDrafter>(&svc.db, &ctx, &input)
            .await?
    } else {
        svc.ai.run::<ReplyDrafter>(&svc.db, &ctx, &input).await?
    };
    // The draft is written: it is billed whatever is left.
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let charged = billing::meter(
        &mut tx,
        grant.tenant,
        op,
        &format!("draft:{}", run.id),
        Some(&format!("lead:{lead}")),
    )
    .await?;
    tx.commit().await?;
    if let billing::Charged::Done {
        crossed: Some(level),
    } = charged
    {
        billing::warn(svc, grant.tenant, level).await;
    }
    Ok(Drafted {
        text: run.analysis.output.text,
        language: run.analysis.output.language.code,
        facts_used: run.analysis.output.facts_used,
        run: run.id,
        note: by_default.then(|| crate::leads::backpressure::DEFAULT_DRAFT_NOTE.to_owned()),
    })
}
