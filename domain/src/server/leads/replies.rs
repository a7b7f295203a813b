//! Replies from the unified inbox, and the outbox that sends them.
//!
//! An agent's reply is checked against the messaging window when it is written ([`send`]): a
//! free-form text only inside the window, a template at any time. It is stored at once as a
//! `queued` message of the conversation (the page shows it with its status), counts as the
//! team's answer for the first-response SLA, and is sent by the worker ([`deliver`]) through
//! Meta's Graph API with the channel's access token. A channel without a token keeps its replies
//! queued with that reason until an admin adds one. Meta being unreachable is retried with
//! backoff; a refusal from Meta marks the message failed with what Meta said. A free-form text
//! whose window closed while it waited is not sent: it fails with the reason.
//!
//! Channel settings (the access token, the human-agent tag), templates and canned responses are
//! kept here too.

use serde_json::json;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::event;
use super::inbox::working;
use super::routing::{self, announce};
use crate::leads::attachment::{
    caption_rides, check_attachment, check_caption, sniff, Attachment, AttachmentKind,
};
use crate::leads::reply::{
    check_template, check_text, graph_request, has_templates, media_upload, render, sent_id,
    uploaded_id, Canned, ChannelSettings, ChannelsPage, Compose, Composer, Outgoing, ReplyTarget,
    TemplateCategory, TemplateChoice, TemplateSpec, CANNED_BODY_MAX, CANNED_TITLE_MAX,
};
use crate::leads::window::{closed_reason, window, Window};
use crate::leads::ChannelKind;
use crate::permissions::{allowed, Access, Resource};
use crate::server::channels::graph::{FilePart, SendError};
use crate::server::crypto::{self, Purpose};
use crate::server::guard::TenantGrant;
use crate::server::{db, throttle, Services};
use crate::types::UserId;
use crate::{AppError, FieldError};

/// Tries before a reply Meta keeps failing on is given up.
pub const MAX_ATTEMPTS: i16 = 5;
/// How long a worker holds a reply it is sending before another may try.
const CLAIM: Duration = Duration::minutes(2);
/// Outbound messages a team may queue, and the workers send for it, in a second.
pub const TEAM_PER_SECOND: u64 = 5;
/// Outbound messages every team together may queue, and the workers send, in a second.
pub const ALL_PER_SECOND: u64 = 1_000;

/// Counts one outbound message of `tenant` against the limits (`what`: `queue` for the API and
/// the composer, `send` for the workers); refused with the seconds to wait when over either.
pub async fn outbound_limit(
    svc: &Services,
    tenant: crate::types::TenantId,
    what: &str,
) -> Result<(), AppError> {
    let team = tenant.0.to_string();
    throttle::rate_limit(svc, &["outbound", what, &team], TEAM_PER_SECOND, 1).await?;
    throttle::rate_limit(svc, &["outbound", what, "all"], ALL_PER_SECOND, 1).await
}

fn held_reason(kind: ChannelKind, name: &str) -> String {
    if kind == ChannelKind::Email {
        return format!(
            "Waiting to be sent: “{name}” has no SMTP server yet. An admin adds it on the team's channels page, and what waits goes out then."
        );
    }
    format!(
        "Waiting to be sent: “{name}” has no access token yet. An admin adds it on the team's channels page, and what waits goes out then."
    )
}

fn token_aad(channel: Uuid) -> Vec<u8> {
    [b"channel_token:".as_slice(), channel.as_bytes()].concat()
}

/// The channels `lead` wrote on (the latest first), with what may be sent on each now.
pub(super) async fn targets(
    tx: &mut PgConnection,
    lead: Uuid,
    now: OffsetDateTime,
    busy: Option<&str>,
) -> Result<Vec<(ReplyTarget, String)>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.kind, c.name, c.human_agent, c.access_token IS NOT NULL AS "has_token!",
                  COALESCE((array_agg(m.contact ORDER BY m.sent_at DESC) FILTER (WHERE m.direction = 'in'))[1],
                           (array_agg(m.contact ORDER BY m.sent_at DESC))[1]) AS "contact!",
                  max(m.sent_at) FILTER (WHERE m.direction = 'in') AS last_in,
                  max(m.sent_at) AS "last!"
           FROM channel_messages m JOIN channels c ON c.id = m.channel_id
           WHERE m.lead_id = $1 AND NOT m.status_only
           GROUP BY c.id
           ORDER BY 8 DESC"#,
        lead
    )
    .fetch_all(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let templates = templates_of(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let kind = ChannelKind::parse(&r.kind)?;
            // Over the last level of backlog only templates go, wherever the window stands.
            let (w, reason) = match busy {
                Some(why) => (Window::TemplatesOnly, Some(why.to_owned())),
                None => {
                    let w = window(kind, r.last_in, r.human_agent, now);
                    (
                        w,
                        (!w.free_form()).then(|| closed_reason(kind, r.human_agent)),
                    )
                }
            };
            let target = ReplyTarget {
                channel: r.id,
                kind,
                channel_name: r.name.clone(),
                window: w,
                closed_reason: reason,
                templates: if has_templates(kind) {
                    of_channel(&templates, r.id)
                } else {
                    Vec::new()
                },
                held: (!r.has_token).then(|| held_reason(kind, &r.name)),
            };
            Some((target, r.contact))
        })
        .collect())
}

/// The templates of `channels`, each with its channel, by name and language.
async fn templates_of(
    tx: &mut PgConnection,
    channels: &[Uuid],
) -> Result<Vec<(Uuid, TemplateChoice)>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT id, channel_id, name, language, category, body, variables
           FROM message_templates WHERE channel_id = ANY($1) ORDER BY name, language"#,
        channels
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|t| {
            let choice = TemplateChoice {
                id: t.id,
                name: t.name,
                language: t.language,
                category: TemplateCategory::parse(&t.category)?,
                body: t.body,
                variables: u8::try_from(t.variables).ok()?,
            };
            Some((t.channel_id, choice))
        })
        .collect())
}

fn of_channel(templates: &[(Uuid, TemplateChoice)], channel: Uuid) -> Vec<TemplateChoice> {
    templates
        .iter()
        .filter(|(c, _)| *c == channel)
        .map(|(_, t)| t.clone())
        .collect()
}

async fn canned_list(tx: &mut PgConnection) -> Result<Vec<Canned>, AppError> {
    Ok(sqlx::query_as!(
        Canned,
        "SELECT id, title, body FROM canned_responses ORDER BY title, id"
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// Why only templates may be sent for `tenant` now (its backlog is over the last level).
pub(super) async fn templates_only(
    svc: &Services,
    tenant: crate::types::TenantId,
) -> Result<Option<String>, AppError> {
    Ok(super::backpressure::backlog(svc, tenant)
        .await?
        .templates_only())
}

/// What the conversation with `lead` can be answered with, inside the caller's transaction
/// (`busy`: why only templates may go now, from [`templates_only`]).
pub(super) async fn composer(
    tx: &mut PgConnection,
    lead: Uuid,
    busy: Option<&str>,
) -> Result<Composer, AppError> {
    let targets = targets(tx, lead, OffsetDateTime::now_utc(), busy)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    Ok(Composer {
        targets,
        canned: canned_list(tx).await?,
    })
}

/// What `me` can answer `lead` with, if they may work the conversation (the REST API's view of
/// the composer: the window of each channel and the templates it offers).
pub async fn composer_for(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<Composer, AppError> {
    let busy = templates_only(svc, grant.tenant).await?;
    let (mut tx, _) = working(svc, grant, me, lead).await?;
    let c = composer(&mut tx, lead, busy.as_deref()).await?;
    tx.commit().await?;
    Ok(c)
}

/// Sends `compose` to `lead` on `channel` as `me`: checked, queued (shown at once), sent by the
/// worker. Answers the message's id.
pub async fn send(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    channel: Uuid,
    compose: &Compose,
) -> Result<Uuid, AppError> {
    let now = OffsetDateTime::now_utc();
    let busy = templates_only(svc, grant.tenant).await?;
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let (target, contact) = target_of(&mut tx, lead, channel, now, busy.as_deref()).await?;
    let (kind, body, template) = match compose {
        Compose::Text { body } => {
            if let Some(reason) = &target.closed_reason {
                return Err(AppError::Conflict(reason.clone()));
            }
            let body = check_text(target.kind, body)
                .map_err(|m| AppError::Validation(vec![FieldError::new("reply", m)]))?;
            ("text", body, None)
        }
        Compose::Template {
            template,
            variables,
        } => {
            let Some(t) = target.templates.iter().find(|t| t.id == *template) else {
                return Err(AppError::Validation(vec![FieldError::new(
                    "template",
                    "Choose one of this channel's templates.",
                )]));
            };
            let body = render(&t.body, variables)
                .map_err(|m| AppError::Validation(vec![FieldError::new("variables", m)]))?;
            let values: Vec<&str> = variables.iter().map(|v| v.trim()).collect();
            let spec = json!({ "name": t.name, "language": t.language, "values": values });
            ("template", body, Some(spec))
        }
    };
    // Counted once the reply is good to go: a refused one costs the team nothing.
    outbound_limit(svc, grant.tenant, "queue").await?;
    let out = Queued {
        tenant: grant.tenant,
        lead,
        channel,
        contact: &contact,
        kind,
        body: &body,
        template,
        raw: json!({ "composed": compose }),
        author: Some(me),
        held: target.held.as_deref(),
        at: now,
        file: None,
    };
    let id = queue(&mut tx, &out).await?;
    routing::answered(&mut tx, &[lead], &[now]).await?;
    let detail = json!({ "by": me.0, "message": id, "kind": kind, "channel": channel });
    event(&mut tx, grant.tenant, lead, "replied", detail).await?;
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(id)
}

/// The channel `channel` of `lead`'s conversation, as the composer offers it, with the contact's
/// id there; refused when they never wrote on it.
async fn target_of(
    tx: &mut PgConnection,
    lead: Uuid,
    channel: Uuid,
    now: OffsetDateTime,
    busy: Option<&str>,
) -> Result<(ReplyTarget, String), AppError> {
    targets(tx, lead, now, busy)
        .await?
        .into_iter()
        .find(|(t, _)| t.channel == channel)
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "channel",
                "They have not written on this channel; answer on one they used.",
            )])
        })
}

/// A file an agent sends, as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReply {
    /// Its name on the agent's computer.
    pub name: String,
    /// Its bytes (at most one past [`crate::leads::attachment::ATTACHMENT_MAX`]: enough to say
    /// it is too large).
    pub bytes: Vec<u8>,
    /// Words to go with it (may be blank).
    pub caption: String,
}

/// Sends a file to `lead` on `channel` as `me`, like [`send`] a text: only inside the window,
/// checked for what the channel takes (its type read from its bytes), queued (shown at once,
/// with the file) and sent by the worker. A caption the channel cannot carry with the file
/// (Messenger, Instagram, WhatsApp audio) follows it as a text message. Answers the file's
/// message id.
pub async fn send_file(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    channel: Uuid,
    file: &FileReply,
) -> Result<Uuid, AppError> {
    let now = OffsetDateTime::now_utc();
    let busy = templates_only(svc, grant.tenant).await?;
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let (target, contact) = target_of(&mut tx, lead, channel, now, busy.as_deref()).await?;
    if let Some(reason) = &target.closed_reason {
        return Err(AppError::Conflict(reason.clone()));
    }
    let invalid = |field: &str, m: String| AppError::Validation(vec![FieldError::new(field, m)]);
    let mime = sniff(&file.name, &file.bytes);
    let attachment = check_attachment(target.kind, &file.name, mime, file.bytes.len())
        .map_err(|m| invalid("file", m))?;
    let caption = check_caption(target.kind, attachment.kind, &file.caption)
        .map_err(|m| invalid("caption", m))?;
    let rides = caption_rides(target.kind, attachment.kind);
    let follows = caption.as_deref().filter(|_| !rides);
    outbound_limit(svc, grant.tenant, "queue").await?;
    if follows.is_some() {
        outbound_limit(svc, grant.tenant, "queue").await?;
    }
    let out = Queued {
        tenant: grant.tenant,
        lead,
        channel,
        contact: &contact,
        kind: attachment.kind.as_str(),
        body: if rides {
            caption.as_deref().unwrap_or_default()
        } else {
            ""
        },
        template: None,
        raw: json!({ "composed": { "kind": "file", "name": attachment.name, "caption": caption } }),
        author: Some(me),
        held: target.held.as_deref(),
        at: now,
        file: Some((&attachment, &file.bytes)),
    };
    let id = queue(&mut tx, &out).await?;
    if let Some(text) = follows {
        // Just after the file, so it is sent after it.
        let after = Queued {
            kind: "text",
            body: text,
            raw: json!({ "composed": { "kind": "caption", "of": id } }),
            at: now + Duration::milliseconds(1),
            file: None,
            ..out
        };
        queue(&mut tx, &after).await?;
    }
    routing::answered(&mut tx, &[lead], &[now]).await?;
    let detail =
        json!({ "by": me.0, "message": id, "kind": attachment.kind.as_str(), "channel": channel });
    event(&mut tx, grant.tenant, lead, "replied", detail).await?;
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(id)
}

/// A message to queue for sending.
pub(super) struct Queued<'a> {
    pub tenant: crate::types::TenantId,
    pub lead: Uuid,
    pub channel: Uuid,
    /// The contact's id on the channel.
    pub contact: &'a str,
    /// `text` or `template`.
    pub kind: &'a str,
    pub body: &'a str,
    /// A template's name, language and values.
    pub template: Option<serde_json::Value>,
    /// What composed it.
    pub raw: serde_json::Value,
    /// Who wrote it (None: an automation).
    pub author: Option<UserId>,
    /// Why it waits, when the channel cannot send yet.
    pub held: Option<&'a str>,
    pub at: OffsetDateTime,
    /// A file it carries, checked, with its bytes.
    pub file: Option<(&'a Attachment, &'a [u8])>,
}

/// Stores `m` as a queued outbound message of the conversation (shown at once, sent by
/// [`deliver`]) and moves the conversation's last activity; answers its id.
pub(super) async fn queue(tx: &mut PgConnection, m: &Queued<'_>) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        r#"INSERT INTO channel_messages
             (id, tenant_id, channel_id, provider_id, direction, contact, kind, body, template,
              sent_at, status, status_rank, raw, lead_id, author_id, next_attempt_at, error,
              media_state)
           VALUES ($1, $2, $3, $4, 'out', $5, $6, NULLIF($7, ''), $8, $9, 'queued', 0, $10, $11,
                   $12, $9, $13, CASE WHEN $14 THEN 'fetched' END)"#,
        id,
        m.tenant.0,
        m.channel,
        format!("local:{id}"),
        m.contact,
        m.kind,
        m.body,
        m.template,
        m.at,
        m.raw,
        m.lead,
        m.author.map(|a| a.0),
        m.held,
        m.file.is_some()
    )
    .execute(&mut *tx)
    .await?;
    if let Some((f, bytes)) = m.file {
        sqlx::query!(
            r#"INSERT INTO channel_media (message_id, tenant_id, mime, size, bytes, name)
               VALUES ($1, $2, $3, $4, $5, $6)"#,
            id,
            m.tenant.0,
            f.mime,
            bytes.len() as i64,
            bytes,
            f.name
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE leads SET last_message_at = GREATEST(last_message_at, $2) WHERE id = $1",
        m.lead,
        m.at
    )
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// What one run of [`deliver`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Accepted by Meta.
    pub sent: usize,
    /// Refused, given up, or out of their window.
    pub failed: usize,
    /// To be tried again later.
    pub retried: usize,
    /// Held back a moment by the outbound rate limits.
    pub deferred: usize,
}

/// Sends up to `limit` queued replies whose channel has an access token, each by one worker
/// across every instance (claimed for two minutes).
pub async fn deliver(svc: &Services, limit: i64) -> Result<Delivered, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let claimed = sqlx::query!(
        r#"WITH claimed AS (
             UPDATE channel_messages m SET next_attempt_at = now() + $2::interval, attempts = attempts + 1
             WHERE m.id IN (SELECT q.id FROM channel_messages q JOIN channels c ON c.id = q.channel_id
                            WHERE q.status = 'queued' AND q.next_attempt_at <= now()
                              AND c.access_token IS NOT NULL
                            ORDER BY q.next_attempt_at, q.id LIMIT $1
                            FOR UPDATE OF q SKIP LOCKED)
             RETURNING m.id, m.tenant_id, m.channel_id, m.lead_id, m.contact, m.kind, m.body,
                       m.template, m.attempts, m.media_state, m.media)
           SELECT q.id, q.tenant_id, q.channel_id, q.lead_id, q.contact AS "contact!",
                  q.kind AS "kind!", q.body, q.template, q.attempts,
                  (SELECT f.name FROM channel_media f
                   WHERE f.message_id = q.id AND q.media_state = 'fetched') AS file_name,
                  q.media AS uploaded,
                  c.kind AS channel_kind, c.external_id, c.human_agent, c.name AS channel_name,
                  c.access_token AS "access_token!",
                  (SELECT l.assignee FROM leads l WHERE l.id = q.lead_id) AS assignee,
                  (SELECT max(i.sent_at) FROM channel_messages i
                   WHERE i.lead_id = q.lead_id AND i.channel_id = q.channel_id
                     AND i.direction = 'in' AND NOT i.status_only) AS last_in
           FROM claimed q JOIN channels c ON c.id = q.channel_id"#,
        limit,
        sqlx::postgres::types::PgInterval::try_from(CLAIM.unsigned_abs())
            .map_err(|_| AppError::Internal)?
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut done = Delivered::default();
    for m in claimed {
        let now = OffsetDateTime::now_utc();
        let Some(kind) = ChannelKind::parse(&m.channel_kind) else {
            continue;
        };
        // Over the team's or everyone's rate: it waits its turn (not a failed try). Another
        // team's messages in the same run still go.
        let tenant = crate::types::TenantId(m.tenant_id);
        if let Err(AppError::RateLimited { retry_after_secs }) =
            outbound_limit(svc, tenant, "send").await
        {
            let mut tx = db::platform_tx(&svc.db).await?;
            sqlx::query!(
                r#"UPDATE channel_messages
                   SET next_attempt_at = now() + make_interval(secs => $2), attempts = attempts - 1
                   WHERE id = $1 AND status = 'queued'"#,
                m.id,
                retry_after_secs as f64
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            done.deferred += 1;
            continue;
        }
        // A file the agent sent: its bytes and name wait beside the message.
        let file = match (AttachmentKind::parse(&m.kind), m.file_name) {
            (Some(kind), Some(name)) => Some(Outbound {
                id: m.id,
                kind,
                name,
                uploaded: m.uploaded,
            }),
            _ => None,
        };
        let prepared = prepare(
            svc,
            &m.kind,
            m.body.as_deref(),
            m.template.as_ref(),
            kind,
            m.channel_id,
            &m.access_token,
            m.human_agent,
            m.last_in,
            now,
        );
        let outcome = match (prepared, file.as_ref()) {
            (Err(reason), _) => Err(SendError::Refused(reason)),
            (Ok((secret, Prepared::Text(body, _))), file) if kind == ChannelKind::Email => {
                let reply = EmailReply {
                    id: m.id,
                    channel: m.channel_id,
                    lead: m.lead_id,
                    from_name: &m.channel_name,
                    from: &m.external_id,
                    to: &m.contact,
                    body: &body,
                    file,
                };
                email_reply(svc, &secret, reply).await
            }
            (Ok((token, out)), Some(file)) => {
                let to = (kind, m.external_id.as_str(), m.contact.as_str());
                let caption = match &out {
                    Prepared::Text(t, _) if !t.is_empty() => Some(t.as_str()),
                    _ => None,
                };
                send_graph_file(svc, &token, to, file, caption, out.tagged()).await
            }
            (Ok((token, out)), None) => {
                let values: Vec<String>;
                let outgoing = match &out {
                    Prepared::Text(t, _) => Outgoing::Text(t),
                    Prepared::Template { name, language, v } => {
                        values = v.clone();
                        Outgoing::Template {
                            name,
                            language,
                            values: &values,
                        }
                    }
                };
                match graph_request(kind, &m.external_id, &m.contact, outgoing, out.tagged()) {
                    Some((path, body)) => svc
                        .graph
                        .send(&path, &token, &body)
                        .await
                        .map(|sent| (sent, body)),
                    None => Err(SendError::Refused(format!(
                        "{} does not send this kind of message.",
                        kind.label()
                    ))),
                }
            }
        };
        let mut tx = db::platform_tx(&svc.db).await?;
        match outcome {
            Ok((provider_id, request)) => {
                record_sent(&mut tx, m.id, m.channel_id, &provider_id, request).await?;
                done.sent += 1;
            }
            Err(SendError::Refused(reason)) => {
                fail(&mut tx, m.id, &reason).await?;
                done.failed += 1;
            }
            Err(SendError::Unavailable(reason)) if m.attempts >= MAX_ATTEMPTS => {
                let reason = format!("{reason} Gave up after {MAX_ATTEMPTS} tries.");
                fail(&mut tx, m.id, &reason).await?;
                done.failed += 1;
            }
            Err(SendError::Unavailable(reason)) => {
                let wait = backoff(m.attempts);
                let at = now + wait;
                let note = format!(
                    "{reason} Trying again at {:02}:{:02}:{:02} UTC.",
                    at.hour(),
                    at.minute(),
                    at.second()
                );
                sqlx::query!(
                    "UPDATE channel_messages SET next_attempt_at = $2, error = $3 WHERE id = $1 AND status = 'queued'",
                    m.id,
                    at,
                    note
                )
                .execute(&mut *tx)
                .await?;
                done.retried += 1;
            }
        }
        tx.commit().await?;
        if let Some(lead) = m.lead_id {
            announce(svc, crate::types::TenantId(m.tenant_id), lead, m.assignee).await;
        }
    }
    Ok(done)
}

/// A file to send, as the worker claimed it.
struct Outbound {
    /// Its message.
    id: Uuid,
    kind: AttachmentKind,
    /// Its name as the contact sees it.
    name: String,
    /// The media id WhatsApp gave it on an earlier try: sent by it, not uploaded again.
    uploaded: Option<String>,
}

/// Keeps the media id WhatsApp gave the file message `id`, so that a try that fails after the
/// upload sends the same media next time instead of uploading the file again.
async fn keep_uploaded(svc: &Services, id: Uuid, media: &str) -> Result<(), SendError> {
    let kept = async {
        let mut tx = db::platform_tx(&svc.db).await?;
        sqlx::query!(
            "UPDATE channel_messages SET media = $2 WHERE id = $1",
            id,
            media
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    };
    kept.await
        .map_err(|_| SendError::Unavailable("The uploaded file could not be noted.".into()))
}

/// The bytes and media type of the file message `id` carries.
async fn file_bytes(svc: &Services, id: Uuid) -> Result<(String, Vec<u8>), SendError> {
    let read = async {
        let mut tx = db::platform_tx(&svc.db).await?;
        let f = sqlx::query!(
            "SELECT mime, bytes FROM channel_media WHERE message_id = $1",
            id
        )
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(f)
    };
    match read.await {
        Ok(Some(f)) => Ok((f.mime, f.bytes)),
        Ok(None) => Err(SendError::Refused(
            "The file is no longer kept, so it cannot be sent.".into(),
        )),
        Err(_) => Err(SendError::Unavailable("The file could not be read.".into())),
    }
}

/// Sends a file through the Graph API from the channel (`to`: its kind, its id at Meta, and the
/// contact's id): on WhatsApp uploaded, then sent by the media id Meta gives it (with the
/// caption; the id is kept, so a retry after a failed send does not upload it again); on
/// Messenger and Instagram uploaded and sent in one form. Answers Meta's id for the message and
/// what was sent (without the bytes).
async fn send_graph_file(
    svc: &Services,
    token: &str,
    (channel, sender, contact): (ChannelKind, &str, &str),
    file: &Outbound,
    caption: Option<&str>,
    tagged: bool,
) -> Result<(String, serde_json::Value), SendError> {
    let (media, uploaded) = match &file.uploaded {
        Some(media) if channel == ChannelKind::Whatsapp => (
            media.clone(),
            json!({ "media": media, "uploaded_before": true }),
        ),
        _ => {
            let (mime, bytes) = file_bytes(svc, file.id).await?;
            let Some(up) = media_upload(channel, sender, contact, file.kind, &mime, tagged) else {
                return Err(SendError::Refused(format!(
                    "{} does not send files this way.",
                    channel.label()
                )));
            };
            let part = FilePart {
                field: up.file_field,
                name: &file.name,
                mime: &mime,
                bytes: &bytes,
            };
            let answer = svc.graph.upload(&up.path, token, &up.fields, part).await?;
            let fields: serde_json::Map<String, serde_json::Value> = up
                .fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect();
            let uploaded = json!({ "path": up.path, "fields": fields, "file": { "name": file.name, "mime": mime, "size": bytes.len() } });
            if channel != ChannelKind::Whatsapp {
                let sent = sent_id(&answer).ok_or_else(|| {
                    SendError::Unavailable("Meta took the file but named no message for it.".into())
                })?;
                return Ok((sent, json!({ "upload": uploaded })));
            }
            let media = uploaded_id(&answer).ok_or_else(|| {
                SendError::Unavailable("Meta took the file but named no media id for it.".into())
            })?;
            keep_uploaded(svc, file.id, &media).await?;
            (media, uploaded)
        }
    };
    let out = Outgoing::Media {
        kind: file.kind,
        id: &media,
        caption,
        name: &file.name,
    };
    let Some((path, body)) = graph_request(channel, sender, contact, out, false) else {
        return Err(SendError::Refused(
            "WhatsApp does not send this file.".into(),
        ));
    };
    let sent = svc.graph.send(&path, token, &body).await?;
    Ok((sent, json!({ "upload": uploaded, "message": body })))
}

/// A reply by email, as the worker claimed it.
struct EmailReply<'a> {
    id: Uuid,
    channel: Uuid,
    lead: Option<Uuid>,
    from_name: &'a str,
    from: &'a str,
    to: &'a str,
    body: &'a str,
    /// A file it carries.
    file: Option<&'a Outbound>,
}

/// Sends a reply by email through the channel's SMTP server, in the thread of the contact's
/// latest email on the channel; answers its Message-ID and what was sent.
async fn email_reply(
    svc: &Services,
    smtp_url: &str,
    r: EmailReply<'_>,
) -> Result<(String, serde_json::Value), SendError> {
    use crate::leads::email::{message_id, references, reply_subject};
    use crate::server::channels::email;
    let parent = async {
        let mut tx = db::platform_tx(&svc.db).await?;
        let parent = sqlx::query!(
            r#"SELECT provider_id, raw->>'subject' AS subject,
                      COALESCE(raw->'references', '[]'::jsonb) AS "references!"
               FROM channel_messages
               WHERE channel_id = $1 AND lead_id = $2 AND direction = 'in' AND NOT status_only
               ORDER BY sent_at DESC, id DESC LIMIT 1"#,
            r.channel,
            r.lead
        )
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(parent)
    }
    .await
    .map_err(|_| SendError::Unavailable("The conversation could not be read.".into()))?;
    let (subject, in_reply_to, refs) = match parent {
        Some(p) => {
            let prior: Vec<String> = serde_json::from_value(p.references).unwrap_or_default();
            let refs = references(&prior, &p.provider_id);
            (
                reply_subject(p.subject.as_deref()),
                Some(p.provider_id),
                refs,
            )
        }
        None => (reply_subject(None), None, Vec::new()),
    };
    let attachment = match r.file {
        Some(f) => {
            let (mime, bytes) = file_bytes(svc, f.id).await?;
            Some(email::File {
                name: f.name.clone(),
                mime,
                bytes,
            })
        }
        None => None,
    };
    let out = email::Outgoing {
        from_name: r.from_name.to_owned(),
        from: r.from.to_owned(),
        to: r.to.to_owned(),
        subject,
        body: r.body.to_owned(),
        message_id: message_id(r.id, r.from),
        in_reply_to,
        references: refs,
        attachment,
    };
    email::send(smtp_url, &out).await?;
    let sent = json!({
        "subject": out.subject,
        "to": out.to,
        "message_id": out.message_id,
        "in_reply_to": out.in_reply_to,
        "references": out.references,
        "attachment": out.attachment.as_ref().map(|f| json!({ "name": f.name, "mime": f.mime, "size": f.bytes.len() })),
    });
    Ok((out.message_id, sent))
}

/// How long to wait after the `attempts`-th try failed: 30 s, 1, 2, 4, 8 minutes.
pub fn backoff(attempts: i16) -> Duration {
    let n = u32::try_from(attempts.clamp(1, 5) - 1).unwrap_or(0);
    Duration::seconds(30 * 2_i64.pow(n))
}

/// A reply ready for the Graph API.
enum Prepared {
    Text(String, bool),
    Template {
        name: String,
        language: String,
        v: Vec<String>,
    },
}

impl Prepared {
    fn tagged(&self) -> bool {
        matches!(self, Self::Text(_, true))
    }
}

/// The access token of `channel`, unsealed; or why it cannot be read.
pub(crate) fn open_token(svc: &Services, channel: Uuid, sealed: &[u8]) -> Result<String, String> {
    crypto::open(
        &svc.settings.data_key,
        Purpose::ChannelToken,
        &token_aad(channel),
        sealed,
    )
    .ok()
    .and_then(|t| String::from_utf8(t).ok())
    .ok_or_else(|| {
        "The channel's access token could not be read; an admin sets it again.".to_owned()
    })
}

/// The channel's token and the reply as it goes out; or why it must not go.
#[allow(clippy::too_many_arguments)]
fn prepare(
    svc: &Services,
    kind_of_message: &str,
    body: Option<&str>,
    template: Option<&serde_json::Value>,
    kind: ChannelKind,
    channel: Uuid,
    sealed_token: &[u8],
    human_agent: bool,
    last_in: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(String, Prepared), String> {
    let token = open_token(svc, channel, sealed_token)?;
    let out = match (kind_of_message, template) {
        ("template", Some(t)) => Prepared::Template {
            name: t["name"].as_str().unwrap_or_default().to_owned(),
            language: t["language"].as_str().unwrap_or_default().to_owned(),
            v: t["values"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        },
        _ => {
            if !window(kind, last_in, human_agent, now).free_form() {
                return Err(format!(
                    "Not sent: the window closed while it waited. {}",
                    closed_reason(kind, human_agent)
                ));
            }
            // Past the first 24 hours, Messenger and Instagram need the human-agent tag.
            let tagged = matches!(kind, ChannelKind::Messenger | ChannelKind::Instagram)
                && last_in.is_some_and(|at| now >= at + Duration::hours(24));
            Prepared::Text(body.unwrap_or_default().to_owned(), tagged)
        }
    };
    Ok((token, out))
}

async fn fail(tx: &mut PgConnection, id: Uuid, reason: &str) -> Result<(), AppError> {
    sqlx::query!(
        r#"UPDATE channel_messages SET status = 'failed', status_rank = 2, status_at = now(),
                  error = $2, next_attempt_at = NULL
           WHERE id = $1 AND status = 'queued'"#,
        id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Gives the reply Meta's id. A status or an echo of it that Meta delivered before this was
/// written sits in a row of its own: that row is folded into the reply (a status never moves
/// backwards).
async fn record_sent(
    tx: &mut PgConnection,
    id: Uuid,
    channel: Uuid,
    provider_id: &str,
    request: serde_json::Value,
) -> Result<(), AppError> {
    let early = sqlx::query!(
        r#"DELETE FROM channel_messages WHERE channel_id = $1 AND provider_id = $2 AND id <> $3
           RETURNING status, status_rank, status_at"#,
        channel,
        provider_id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (status, rank, at) = match early {
        Some(e) if e.status_rank > 1 => (e.status, e.status_rank, e.status_at),
        _ => (Some("sent".to_owned()), 1, Some(OffsetDateTime::now_utc())),
    };
    sqlx::query!(
        r#"UPDATE channel_messages SET provider_id = $2, status = $3, status_rank = $4,
                  status_at = $5, error = NULL, next_attempt_at = NULL, raw = $6
           WHERE id = $1"#,
        id,
        provider_id,
        status,
        rank,
        at,
        request
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn may_connect(grant: &TenantGrant) -> bool {
    allowed(grant.role, Resource::Infrastructure, Access::Write).is_some()
}

fn may_edit(grant: &TenantGrant) -> bool {
    allowed(grant.role, Resource::Settings, Access::Write).is_some()
}

/// The team's channels, templates and canned responses, for whoever may read its settings.
pub async fn channels_page(svc: &Services, grant: &TenantGrant) -> Result<ChannelsPage, AppError> {
    if allowed(grant.role, Resource::Settings, Access::Read).is_none()
        && allowed(grant.role, Resource::Infrastructure, Access::Read).is_none()
    {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let team = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", grant.tenant.0)
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query!(
        r#"SELECT c.id, c.kind, c.name, c.external_id, c.human_agent,
                  c.access_token IS NOT NULL AS "has_token!",
                  (SELECT count(*) FROM channel_messages m WHERE m.channel_id = c.id AND m.status = 'queued') AS "queued!"
           FROM channels c ORDER BY c.name, c.id"#
    )
    .fetch_all(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let templates = templates_of(&mut tx, &ids).await?;
    let canned = canned_list(&mut tx).await?;
    tx.commit().await?;
    let channels = rows
        .into_iter()
        .filter_map(|r| {
            Some(ChannelSettings {
                id: r.id,
                kind: ChannelKind::parse(&r.kind)?,
                name: r.name,
                external_id: r.external_id,
                human_agent: r.human_agent,
                has_token: r.has_token,
                queued: u32::try_from(r.queued).unwrap_or(u32::MAX),
                templates: of_channel(&templates, r.id),
            })
        })
        .collect();
    Ok(ChannelsPage {
        team,
        channels,
        canned,
        can_connect: may_connect(grant),
        can_edit: may_edit(grant),
    })
}

/// Connects a channel to the caller's team (owners and admins): a WhatsApp number, a page, an
/// Instagram account or an email address, by the id that routes its messages.
pub async fn connect(
    svc: &Services,
    grant: &TenantGrant,
    kind: &str,
    external_id: &str,
    name: &str,
) -> Result<crate::server::channels::intake::Channel, AppError> {
    if !may_connect(grant) {
        return Err(AppError::Forbidden);
    }
    let Some(kind) = ChannelKind::parse(kind) else {
        return Err(AppError::Validation(vec![FieldError::new(
            "kind",
            "Choose WhatsApp, Messenger, Instagram or Email.",
        )]));
    };
    crate::server::channels::intake::connect(svc, grant.tenant, kind, external_id, name).await
}

/// Stores `token` as the channel's access token for sending (sealed), or removes it when empty;
/// for an email channel, the URL of the SMTP server its replies go out through. Replies that
/// waited for it are sent at once.
pub async fn set_token(
    svc: &Services,
    grant: &TenantGrant,
    channel: Uuid,
    token: &str,
) -> Result<(), AppError> {
    if !may_connect(grant) {
        return Err(AppError::Forbidden);
    }
    let token = token.trim();
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let kind = sqlx::query_scalar!("SELECT kind FROM channels WHERE id = $1", channel)
        .fetch_optional(&mut *tx)
        .await?
        .and_then(|k| ChannelKind::parse(&k))
        .ok_or(AppError::NotFound)?;
    if kind == ChannelKind::Email && !token.is_empty() {
        crate::server::channels::email::check_smtp_url(token)
            .map_err(|m| AppError::Validation(vec![FieldError::new("token", m)]))?;
    }
    if token.len() > 2048 || token.chars().any(char::is_whitespace) {
        return Err(AppError::Validation(vec![FieldError::new(
            "token",
            "Paste the access token from Meta's developer dashboard: one word of at most 2,048 characters.",
        )]));
    }
    let sealed = if token.is_empty() {
        None
    } else {
        Some(crypto::seal(
            &svc.settings.data_key,
            Purpose::ChannelToken,
            &token_aad(channel),
            token.as_bytes(),
        )?)
    };
    let found = sqlx::query!(
        "UPDATE channels SET access_token = $2 WHERE id = $1",
        channel,
        sealed
    )
    .execute(&mut *tx)
    .await?;
    if found.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    if sealed.is_some() {
        sqlx::query!(
            r#"UPDATE channel_messages SET next_attempt_at = now(), error = NULL
               WHERE channel_id = $1 AND status = 'queued'"#,
            channel
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Turns the human-agent tag on or off for a Messenger or Instagram channel.
pub async fn set_human_agent(
    svc: &Services,
    grant: &TenantGrant,
    channel: Uuid,
    on: bool,
) -> Result<(), AppError> {
    if !may_connect(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let kind = sqlx::query_scalar!("SELECT kind FROM channels WHERE id = $1", channel)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(kind.as_str(), "messenger" | "instagram") {
        return Err(AppError::Validation(vec![FieldError::new(
            "human_agent",
            "The human-agent tag is for Messenger and Instagram only.",
        )]));
    }
    sqlx::query!(
        "UPDATE channels SET human_agent = $2 WHERE id = $1",
        channel,
        on
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a template to a WhatsApp channel, as approved in WhatsApp Manager.
pub async fn add_template(
    svc: &Services,
    grant: &TenantGrant,
    channel: Uuid,
    spec: &TemplateSpec,
) -> Result<Uuid, AppError> {
    if !may_edit(grant) {
        return Err(AppError::Forbidden);
    }
    let (category, variables) = check_template(spec).map_err(AppError::Validation)?;
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let kind = sqlx::query_scalar!("SELECT kind FROM channels WHERE id = $1", channel)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if ChannelKind::parse(&kind).is_none_or(|k| !has_templates(k)) {
        return Err(AppError::Validation(vec![FieldError::new(
            "name",
            "Templates are for WhatsApp channels.",
        )]));
    }
    let id = Uuid::now_v7();
    let inserted = sqlx::query!(
        r#"INSERT INTO message_templates (id, tenant_id, channel_id, name, language, category, body, variables)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT ON CONSTRAINT message_templates_key DO NOTHING"#,
        id,
        grant.tenant.0,
        channel,
        spec.name.trim(),
        spec.language.trim(),
        category.as_str(),
        spec.body.trim(),
        i16::from(variables)
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Validation(vec![FieldError::new(
            "name",
            "This channel already has a template with this name and language.",
        )]));
    }
    tx.commit().await?;
    Ok(id)
}

/// Removes a template (messages already sent with it keep their text).
pub async fn remove_template(
    svc: &Services,
    grant: &TenantGrant,
    template: Uuid,
) -> Result<(), AppError> {
    if !may_edit(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let gone = sqlx::query!("DELETE FROM message_templates WHERE id = $1", template)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Adds a canned response.
pub async fn add_canned(
    svc: &Services,
    grant: &TenantGrant,
    title: &str,
    body: &str,
) -> Result<Uuid, AppError> {
    if !may_edit(grant) {
        return Err(AppError::Forbidden);
    }
    let (title, body) = (title.trim(), body.trim());
    let mut errors = Vec::new();
    if title.is_empty() || title.chars().count() > CANNED_TITLE_MAX {
        errors.push(FieldError::new(
            "title",
            "Give it a title of 1 to 80 characters.",
        ));
    }
    if body.is_empty() || body.chars().count() > CANNED_BODY_MAX {
        errors.push(FieldError::new(
            "body",
            "Write the answer (1 to 4,096 characters).",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = Uuid::now_v7();
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let inserted = sqlx::query!(
        r#"INSERT INTO canned_responses (id, tenant_id, title, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT ON CONSTRAINT canned_responses_title_key DO NOTHING"#,
        id,
        grant.tenant.0,
        title,
        body
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Validation(vec![FieldError::new(
            "title",
            "The team already has a canned response with this title.",
        )]));
    }
    tx.commit().await?;
    Ok(id)
}

/// Removes a canned response.
pub async fn remove_canned(svc: &Services, grant: &TenantGrant, id: Uuid) -> Result<(), AppError> {
    if !may_edit(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let gone = sqlx::query!("DELETE FROM canned_responses WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_30_seconds_to_8_minutes() {
        let waits: Vec<i64> = (1..=6).map(|a| backoff(a).whole_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 480]);
    }
}
