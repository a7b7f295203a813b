//! The unified inbox in Postgres: the conversation list with its filters and search, a
//! conversation with the lead's whole history across channels, and what the team does with it
//! (assign, resolve and reopen, tags, private notes). Every call works inside the tenant's
//! row-level security and by the permission matrix: an SDR sees and works only the leads given
//! to them; managers, admins and owners see all and assign; read-only roles only look.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::event;
use super::routing::{self, announce};
use crate::ai::LeadBand;
use crate::leads::escalation::Escalation;
use crate::leads::inbox::{
    parse_tags, AssigneeFilter, Conversation, ConversationRow, ConversationStatus, InboxFilter,
    InboxHome, InboxMedia, InboxMessage, LeadNote, LeadProfile, SdrChoice, NOTE_MAX, SEARCH_MAX,
};
use crate::leads::routing::{sla_minutes, Decision, HOT_SLA_MINUTES, JUNIOR_SLA_MINUTES};
use crate::leads::{ChannelKind, Lifecycle, ScoreFactor};
use crate::permissions::{allowed, Access, Resource, Scope};
use crate::server::guard::TenantGrant;
use crate::server::{db, rfc3339, Services};
use crate::types::UserId;
use crate::{AppError, FieldError};

/// Most conversations a list returns.
const LIST_MAX: i64 = 200;
/// Most messages a conversation returns (the latest).
const MESSAGES_MAX: i64 = 200;

pub(super) fn only_mine(grant: &TenantGrant) -> bool {
    grant.scope == Scope::AssignedOnly
}

/// May assign leads: managers, admins and owners.
fn may_assign(grant: &TenantGrant) -> bool {
    allowed(grant.role, Resource::Leads, Access::Write) == Some(Scope::All)
}

/// May work a lead (notes, tags, resolve): whoever may write leads, and an SDR on their own.
fn may_work(grant: &TenantGrant, assignee: Option<Uuid>, me: UserId) -> bool {
    may_assign(grant) || (only_mine(grant) && assignee == Some(me.0))
}

/// `%text%` for ILIKE, with the pattern characters in `text` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The inbox's frame for `me` in the team of `grant`.
pub async fn home(svc: &Services, grant: &TenantGrant, me: UserId) -> Result<InboxHome, AppError> {
    let backlog = super::backpressure::backlog(svc, grant.tenant).await?;
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let team = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", grant.tenant.0)
        .fetch_one(&mut *tx)
        .await?;
    let online = sqlx::query_scalar!(
        "SELECT online FROM sdr_profiles WHERE tenant_id = $1 AND user_id = $2",
        grant.tenant.0,
        me.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (_, tokens) = super::billing::allowance(&mut tx, grant.tenant).await?;
    let alerts = super::leakage::alerts_of(&mut tx, me).await?;
    tx.commit().await?;
    Ok(InboxHome {
        team,
        only_mine: only_mine(grant),
        online,
        tokens: tokens.notice(),
        tokens_paused: tokens.usage() == crate::leads::billing::Usage::Paused,
        alerts,
        busy: crate::leads::backpressure::banner(&backlog),
    })
}

/// The conversations `me` may see that match `filter`, the latest message first. A conversation
/// is unread for `me` while a message from the lead arrived after they last opened it (arrived:
/// stored here, whatever time the channel says it was sent).
pub async fn list(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    filter: &InboxFilter,
) -> Result<Vec<ConversationRow>, AppError> {
    let search = filter.search.trim();
    if search.chars().count() > SEARCH_MAX {
        return Err(AppError::Validation(vec![FieldError::new(
            "search",
            format!("Search for at most {SEARCH_MAX} characters."),
        )]));
    }
    let assignee = match (only_mine(grant), filter.assignee) {
        (true, _) | (false, AssigneeFilter::Me) => Some(me.0),
        _ => None,
    };
    let unassigned = !only_mine(grant) && filter.assignee == AssigneeFilter::Unassigned;
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let rows = sqlx::query!(
        r#"SELECT l.id, l.score, l.band, l.status, l.tags,
                  CASE WHEN l.escalated_at IS NOT NULL THEN l.escalation END AS escalation,
                  EXISTS (SELECT 1 FROM lead_alerts a WHERE a.lead_id = l.id AND a.cleared_at IS NULL)
                    AS "leaking!",
                  COALESCE(l.name, (SELECT min(i.identity) FROM lead_identities i WHERE i.lead_id = l.id),
                           'Unknown') AS "name!",
                  ARRAY(SELECT DISTINCT c.kind FROM channel_messages m JOIN channels c ON c.id = m.channel_id
                        WHERE m.lead_id = l.id AND NOT m.status_only ORDER BY c.kind) AS "channels!",
                  lm.body AS "last_body?", lm.kind AS "last_kind?", lm.sent_at AS "last_at?",
                  lm.direction AS "last_direction?",
                  u.display_name AS "assignee?",
                  CASE WHEN l.first_response_at IS NULL THEN l.first_response_due END AS due,
                  COALESCE(l.first_response_at IS NULL AND l.first_response_due < now(), false) AS "late!",
                  EXISTS (SELECT 1 FROM channel_messages m
                          WHERE m.lead_id = l.id AND m.direction = 'in' AND NOT m.status_only
                            AND m.created_at > COALESCE(r.read_at, '-infinity')) AS "unread!"
           FROM leads l
           LEFT JOIN LATERAL (SELECT m.body, m.kind, m.sent_at, m.direction FROM channel_messages m
                              WHERE m.lead_id = l.id AND NOT m.status_only
                              ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) lm ON true
           LEFT JOIN users u ON u.id = l.assignee
           LEFT JOIN lead_reads r ON r.lead_id = l.id AND r.user_id = $1
           WHERE l.merged_into IS NULL
             AND ($2::uuid IS NULL OR l.assignee = $2)
             AND (NOT $3 OR l.assignee IS NULL)
             AND ($4::text IS NULL OR l.status = $4)
             AND ($5::text IS NULL OR l.band = $5)
             AND ($6::text IS NULL OR EXISTS (
                   SELECT 1 FROM channel_messages m JOIN channels c ON c.id = m.channel_id
                   WHERE m.lead_id = l.id AND c.kind = $6))
             AND ($7 = '' OR l.name ILIKE $8
                  OR EXISTS (SELECT 1 FROM lead_identities i WHERE i.lead_id = l.id AND i.identity ILIKE $8)
                  OR EXISTS (SELECT 1 FROM channel_messages m WHERE m.lead_id = l.id AND m.body ILIKE $8))
             AND (NOT $9 OR EXISTS (SELECT 1 FROM channel_messages m
                                    WHERE m.lead_id = l.id AND m.direction = 'in' AND NOT m.status_only
                                      AND m.created_at > COALESCE(r.read_at, '-infinity')))
             AND (NOT $11 OR l.escalated_at IS NOT NULL)
           ORDER BY l.last_message_at DESC NULLS LAST, l.created_at DESC, l.id
           LIMIT $10"#,
        me.0,
        assignee,
        unassigned,
        filter.status.map(ConversationStatus::as_str),
        filter.band.map(LeadBand::as_str),
        filter.channel.map(ChannelKind::as_str),
        search,
        contains_pattern(search),
        filter.unread,
        LIST_MAX,
        filter.escalated
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| ConversationRow {
            lead: r.id,
            name: r.name,
            channels: r
                .channels
                .iter()
                .filter_map(|c| ChannelKind::parse(c))
                .collect(),
            last_text: r.last_body.or(r.last_kind),
            last_at: r.last_at.map(rfc3339),
            last_inbound: r.last_direction.as_deref() == Some("in"),
            score: r.score.and_then(|s| u8::try_from(s).ok()),
            band: r.band.as_deref().and_then(LeadBand::parse),
            assignee: r.assignee,
            status: ConversationStatus::parse(&r.status).unwrap_or(ConversationStatus::Open),
            unread: r.unread,
            tags: r.tags,
            due: r.due.map(rfc3339),
            late: r.late,
            escalation: reasons(r.escalation),
            leaking: r.leaking,
        })
        .collect())
}

/// The reasons of an open escalation, as the person taking over reads them.
fn reasons(open: Option<serde_json::Value>) -> Vec<String> {
    open.and_then(|v| serde_json::from_value::<Vec<Escalation>>(v).ok())
        .unwrap_or_default()
        .iter()
        .map(Escalation::reason)
        .collect()
}

/// The lead's profile, if `me` may see it.
async fn profile(
    tx: &mut PgConnection,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<LeadProfile, AppError> {
    let r = sqlx::query!(
        r#"SELECT l.id, l.name, l.source, l.lifecycle, l.score, l.band, l.score_factors,
                  l.score_reasoning, l.assignee, u.display_name AS "assignee_name?", l.routing,
                  l.routing_note, l.status, l.tags, l.invalid_phones, l.invalid_emails,
                  CASE WHEN l.escalated_at IS NOT NULL THEN l.escalation END AS escalation,
                  l.escalated_at,
                  CASE WHEN l.first_response_at IS NULL THEN l.first_response_due END AS due,
                  COALESCE(l.first_response_at IS NULL AND l.first_response_due < now(), false) AS "late!"
           FROM leads l LEFT JOIN users u ON u.id = l.assignee
           WHERE l.id = $1 AND l.merged_into IS NULL"#,
        lead
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if only_mine(grant) && r.assignee != Some(me.0) {
        return Err(AppError::NotFound);
    }
    let identities = sqlx::query_scalar!(
        "SELECT identity FROM lead_identities WHERE lead_id = $1 ORDER BY identity",
        lead
    )
    .fetch_all(&mut *tx)
    .await?;
    let factors: Vec<ScoreFactor> = r
        .score_factors
        .and_then(|f| serde_json::from_value(f).ok())
        .unwrap_or_default();
    let name = r
        .name
        .or_else(|| identities.first().cloned())
        .unwrap_or_else(|| "Unknown".into());
    Ok(LeadProfile {
        id: r.id,
        name,
        identities,
        invalid: r
            .invalid_phones
            .into_iter()
            .chain(r.invalid_emails)
            .collect(),
        source: r.source,
        lifecycle: Lifecycle::parse(&r.lifecycle).unwrap_or(Lifecycle::New),
        score: r.score.and_then(|s| u8::try_from(s).ok()),
        band: r.band.as_deref().and_then(LeadBand::parse),
        factors,
        reasoning: r.score_reasoning,
        assignee: r.assignee.zip(r.assignee_name),
        routing: r.routing,
        routing_note: r.routing_note,
        due: r.due.map(rfc3339),
        late: r.late,
        status: ConversationStatus::parse(&r.status).unwrap_or(ConversationStatus::Open),
        tags: r.tags,
        escalation: reasons(r.escalation),
        escalated_at: r.escalated_at.map(rfc3339),
    })
}

/// The SDRs a conversation can be given to, with their load.
async fn sdr_choices(
    tx: &mut PgConnection,
    grant: &TenantGrant,
) -> Result<Vec<SdrChoice>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT s.user_id, u.display_name, s.capacity, s.online,
                  (SELECT count(*) FROM leads l
                   WHERE l.tenant_id = s.tenant_id AND l.assignee = s.user_id
                     AND l.merged_into IS NULL AND l.lifecycle NOT IN ('won','lost')) AS "open!"
           FROM sdr_profiles s JOIN users u ON u.id = s.user_id
           WHERE s.tenant_id = $1 ORDER BY u.display_name, s.user_id"#,
        grant.tenant.0
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SdrChoice {
            user: r.user_id,
            name: r.display_name,
            open: u32::try_from(r.open).unwrap_or(u32::MAX),
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            online: r.online,
        })
        .collect())
}

/// Opens a conversation: the lead, their messages on every channel, the notes; marks it read
/// for `me`.
pub async fn conversation(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<Conversation, AppError> {
    let busy = super::replies::templates_only(svc, grant.tenant).await?;
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let profile = profile(&mut tx, grant, me, lead).await?;
    let mut messages: Vec<InboxMessage> = sqlx::query!(
        r#"SELECT m.id, c.kind AS channel, c.name AS channel_name, m.direction AS "direction!",
                  m.kind AS "kind!", m.body, m.sent_at AS "sent_at!", m.status, m.error,
                  COALESCE(u.display_name,
                           CASE WHEN m.raw->>'automation' = 'reengage' THEN 'AI re-engagement' END) AS "author?",
                  CASE WHEN c.kind = 'email' THEN m.raw->>'subject' END AS subject,
                  m.media_state, m.media_error, f.mime AS "media_mime?",
                  f.name AS "media_name?",
                  c.access_token IS NOT NULL AS "can_fetch!"
           FROM channel_messages m JOIN channels c ON c.id = m.channel_id
                LEFT JOIN users u ON u.id = m.author_id
                LEFT JOIN channel_media f ON f.message_id = m.id
           WHERE m.lead_id = $1 AND NOT m.status_only
           ORDER BY m.sent_at DESC, m.id DESC LIMIT $2"#,
        lead,
        MESSAGES_MAX
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .filter_map(|m| {
        Some(InboxMessage {
            id: m.id,
            channel: ChannelKind::parse(&m.channel)?,
            channel_name: m.channel_name,
            inbound: m.direction == "in",
            kind: m.kind,
            body: m.body,
            subject: m.subject,
            at: rfc3339(m.sent_at),
            status: m.status,
            error: m.error,
            author: m.author,
            media: m.media_state.map(|state| InboxMedia {
                state,
                error: m.media_error,
                mime: m.media_mime,
                can_fetch: m.can_fetch,
                name: m.media_name,
            }),
        })
    })
    .collect();
    messages.reverse();
    let notes = sqlx::query!(
        r#"SELECT u.display_name, n.body, n.created_at FROM lead_notes n JOIN users u ON u.id = n.author_id
           WHERE n.lead_id = $1 ORDER BY n.created_at, n.id"#,
        lead
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|n| LeadNote {
        author: n.display_name,
        body: n.body,
        at: rfc3339(n.created_at),
    })
    .collect();
    let can_work = may_work(grant, profile.assignee.as_ref().map(|a| a.0), me);
    let composer = if can_work {
        Some(super::replies::composer(&mut tx, lead, busy.as_deref()).await?)
    } else {
        None
    };
    let booking = if can_work {
        Some(super::booking::panel(&mut tx, lead).await?)
    } else {
        None
    };
    let sdrs = if may_assign(grant) {
        Some(sdr_choices(&mut tx, grant).await?)
    } else {
        None
    };
    sqlx::query!(
        r#"INSERT INTO lead_reads (tenant_id, lead_id, user_id, read_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (lead_id, user_id) DO UPDATE SET read_at = now()"#,
        grant.tenant.0,
        lead,
        me.0
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Conversation {
        lead: profile,
        messages,
        notes,
        sdrs,
        can_work,
        composer,
        booking,
    })
}

/// Opens a transaction with `lead` locked, if `me` may work it.
pub(super) async fn working(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, Option<Uuid>), AppError> {
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let assignee = sqlx::query_scalar!(
        "SELECT assignee FROM leads WHERE id = $1 AND merged_into IS NULL FOR NO KEY UPDATE",
        lead
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if only_mine(grant) && assignee != Some(me.0) {
        return Err(AppError::NotFound);
    }
    if !may_work(grant, assignee, me) {
        return Err(AppError::Forbidden);
    }
    Ok((tx, assignee))
}

/// A message's fetched media, for someone who may see the message's conversation: its
/// message kind, media type and bytes. Anyone else, and media not fetched, get 404.
pub async fn media(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    message: Uuid,
) -> Result<MessageFile, AppError> {
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let m = sqlx::query!(
        r#"SELECT m.kind AS "kind!", f.mime, f.bytes, l.assignee, f.name
           FROM channel_messages m JOIN channel_media f ON f.message_id = m.id
                JOIN leads l ON l.id = m.lead_id
           WHERE m.id = $1"#,
        message
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if only_mine(grant) && m.assignee != Some(me.0) {
        return Err(AppError::NotFound);
    }
    Ok(MessageFile {
        kind: m.kind,
        name: m.name,
        mime: m.mime,
        bytes: m.bytes,
    })
}

/// The file a message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFile {
    /// The message's kind (image, document, …).
    pub kind: String,
    /// Its name, for a file the team sent.
    pub name: Option<String>,
    /// Its media type.
    pub mime: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Resolves or reopens a conversation.
pub async fn set_status(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    status: ConversationStatus,
) -> Result<(), AppError> {
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let changed = sqlx::query!(
        r#"UPDATE leads SET status = $2,
                  resolved_at = CASE WHEN $2 = 'resolved' THEN now() END,
                  -- Resolving closes an escalation: the person who took over is done. Its
                  -- reasons stay, as handled: only a new one opens it again.
                  escalated_at = CASE WHEN $2 = 'resolved' THEN NULL ELSE escalated_at END
           WHERE id = $1 AND status <> $2"#,
        lead,
        status.as_str()
    )
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() > 0 {
        let kind = match status {
            ConversationStatus::Resolved => "resolved",
            ConversationStatus::Open => "reopened",
        };
        event(&mut tx, grant.tenant, lead, kind, json!({ "by": me.0 })).await?;
    }
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(())
}

/// Sets a conversation's tags from what a person typed (comma-separated).
pub async fn set_tags(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    input: &str,
) -> Result<Vec<String>, AppError> {
    let tags =
        parse_tags(input).map_err(|m| AppError::Validation(vec![FieldError::new("tags", m)]))?;
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let before = sqlx::query_scalar!(
        r#"UPDATE leads n SET tags = $2 FROM leads o WHERE n.id = $1 AND o.id = n.id
           RETURNING o.tags"#,
        lead,
        &tags
    )
    .fetch_one(&mut *tx)
    .await?;
    if before != tags {
        let detail = json!({ "by": me.0, "tags": tags, "before": before });
        event(&mut tx, grant.tenant, lead, "tagged", detail).await?;
    }
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(tags)
}

/// Moves a lead to another stage (contacted, engaged, qualified, proposal sent, won, lost), as
/// whoever works the conversation decides; the history keeps each move.
pub async fn set_stage(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    stage: &str,
) -> Result<(), AppError> {
    let stage = Lifecycle::parse(stage)
        .filter(|l| *l != Lifecycle::New)
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "stage",
                "Choose contacted, engaged, qualified, proposal sent, won or lost.",
            )])
        })?;
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let before = sqlx::query_scalar!(
        r#"UPDATE leads n SET lifecycle = $2, stage_at = now()
           FROM leads o WHERE n.id = $1 AND o.id = n.id AND o.lifecycle <> $2
           RETURNING o.lifecycle"#,
        lead,
        stage.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(before) = before {
        let detail = json!({ "by": me.0, "from": before, "to": stage.as_str() });
        event(&mut tx, grant.tenant, lead, "stage", detail).await?;
    }
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(())
}

/// Adds a private note to a conversation.
pub async fn add_note(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    body: &str,
) -> Result<(), AppError> {
    let body = body.trim();
    let problem = if body.is_empty() {
        Some("Write the note first.".to_owned())
    } else if body.chars().count() > NOTE_MAX {
        Some(format!("A note has at most {} characters.", "4,000"))
    } else {
        None
    };
    if let Some(m) = problem {
        return Err(AppError::Validation(vec![FieldError::new("note", m)]));
    }
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    sqlx::query!(
        "INSERT INTO lead_notes (id, tenant_id, lead_id, author_id, body) VALUES ($1, $2, $3, $4, $5)",
        Uuid::now_v7(),
        grant.tenant.0,
        lead,
        me.0,
        body
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(())
}

/// Gives a conversation to `to` (an SDR of the team), or back to the queue (`None`), by hand.
/// The SDR's capacity holds for hand assignments too; the same locks as routing keep a lead
/// from going to two people at once.
pub async fn assign(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    to: Option<UserId>,
) -> Result<(), AppError> {
    if !may_assign(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let locked = routing::lock(&mut tx, lead)
        .await?
        .ok_or(AppError::NotFound)?;
    let refuse = |m: String| AppError::Validation(vec![FieldError::new("assignee", m)]);
    let sla = if locked.escalated {
        HOT_SLA_MINUTES
    } else {
        locked.score.map_or(JUNIOR_SLA_MINUTES, sla_minutes)
    };
    let decision = match to {
        Some(user) if locked.assignee == Some(user.0) => return Ok(()),
        Some(user) => {
            let team = routing::sdrs(&mut tx, grant.tenant.0, None).await?;
            let Some(sdr) = team.iter().find(|s| s.user == user.0) else {
                return Err(refuse("Only an SDR of the team can take leads.".into()));
            };
            if sdr.open >= sdr.capacity {
                return Err(refuse(format!(
                    "They already have {} of {} open leads.",
                    sdr.open, sdr.capacity
                )));
            }
            Decision::Assign {
                sdr: user.0,
                sla_minutes: sla,
            }
        }
        None if locked.assignee.is_none() => return Ok(()),
        None => Decision::Wait {
            sla_minutes: sla,
            pool: crate::leads::routing::Pool::Team,
            reason: "Put back in the queue by hand.".into(),
        },
    };
    let routed = routing::apply(&mut tx, lead, &locked, decision, Some(me.0)).await?;
    tx.commit().await?;
    let assignee = match routed {
        routing::Routed::Assigned(u) => Some(u),
        _ => None,
    };
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(())
}
