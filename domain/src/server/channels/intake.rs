//! The intake of Meta's webhooks (`migrations/…_channels.sql`): a verified body is stored raw
//! ([`receive`]) before the sender gets its 200, then [`process_pending`] reads it from the store
//! and routes every message and status in it to the tenant whose channel the payload names.
//!
//! Nothing is lost on the way: a crash between the two steps leaves the event `pending` for the
//! next run (any instance; rows are claimed with `SKIP LOCKED`), a body delivered twice is stored
//! once, a message delivered twice is stored once, a status never moves a message backwards, and
//! what reaches no channel or cannot be read is kept raw for the platform's admins.

use std::collections::HashMap;

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::{db, leads, Services};
use crate::leads::contact::{self, Identity, Normalized};
use crate::leads::meta::{self, Delivery, Item};
use crate::leads::ChannelKind;
use crate::types::TenantId;
use crate::AppError;

/// What [`receive`] did with a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored as this event, to be processed.
    Stored(i64),
    /// The same body was stored before (a retry): nothing new.
    Duplicate,
}

fn webhook_kind(kind: ChannelKind) -> Result<&'static str, AppError> {
    match kind {
        ChannelKind::Email => Err(AppError::BadRequest(
            "email does not arrive through Meta's webhooks".into(),
        )),
        other => Ok(other.as_str()),
    }
}

/// Stores a verified body durably (it is committed when this returns). The caller checked the
/// signature; nothing here parses the body.
pub async fn receive(svc: &Services, kind: ChannelKind, body: &[u8]) -> Result<Received, AppError> {
    let kind = webhook_kind(kind)?;
    let digest = Sha256::digest(body).to_vec();
    let mut tx = db::platform_tx(&svc.db).await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO webhook_events (kind, body, body_sha256) VALUES ($1, $2, $3)
           ON CONFLICT ON CONSTRAINT webhook_events_body_key DO NOTHING
           RETURNING id"#,
        kind,
        body,
        digest
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id.map_or(Received::Duplicate, Received::Stored))
}

/// A tenant's channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Its id.
    pub id: Uuid,
    /// Whose it is.
    pub tenant: TenantId,
    /// WhatsApp, Messenger, Instagram or email.
    pub kind: ChannelKind,
    /// Meta's id for it (phone number id, page id, Instagram account id) or the email address.
    pub external_id: String,
    /// What the team calls it.
    pub name: String,
    /// Whether replies may use Meta's human-agent tag (a 7-day window on Messenger and
    /// Instagram).
    pub human_agent: bool,
}

/// Connects a channel to `tenant`. Meta's id may belong to one tenant only: it is what routes
/// the webhooks.
pub async fn connect(
    svc: &Services,
    tenant: TenantId,
    kind: ChannelKind,
    external_id: &str,
    name: &str,
) -> Result<Channel, AppError> {
    let external_id = external_id.trim();
    let name = name.trim();
    let mut errors = Vec::new();
    if external_id.is_empty() || external_id.len() > 200 {
        errors.push(crate::error::FieldError::new(
            "external_id",
            match kind {
                ChannelKind::Whatsapp => "Enter the phone number id from WhatsApp Manager.",
                ChannelKind::Messenger => "Enter the Facebook page id.",
                ChannelKind::Instagram => "Enter the Instagram account id.",
                ChannelKind::Email => "Enter the inbox's email address.",
            },
        ));
    }
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(crate::error::FieldError::new(
            "name",
            "Give the channel a name of 1 to 120 characters.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let channel = Channel {
        id: Uuid::now_v7(),
        tenant,
        kind,
        external_id: external_id.to_owned(),
        name: name.to_owned(),
        human_agent: false,
    };
    // The uniqueness check must see every tenant's channels, so it runs in platform scope; the
    // insert itself names the caller's tenant.
    let mut tx = db::platform_tx(&svc.db).await?;
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO channels (id, tenant_id, kind, external_id, name) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT ON CONSTRAINT channels_external_key DO NOTHING
           RETURNING id"#,
        channel.id,
        tenant.0,
        kind.as_str(),
        channel.external_id,
        channel.name
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    if inserted.is_none() {
        return Err(AppError::Conflict(format!(
            "This {} id is already connected to a team. Disconnect it there first.",
            kind.label()
        )));
    }
    Ok(channel)
}

/// What one run of [`process_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processed {
    /// Events read.
    pub events: usize,
    /// Messages stored (duplicates are not counted).
    pub messages: usize,
    /// Statuses that moved a message forward (stale ones are not counted).
    pub statuses: usize,
    /// Items kept raw for the admins.
    pub leftovers: usize,
    /// Events whose body was not JSON.
    pub failed: usize,
    /// The channels that got new messages or statuses, to tell their inboxes.
    pub touched: Vec<(TenantId, Uuid)>,
}

#[derive(Clone, Copy)]
struct Route {
    channel: Uuid,
    tenant: Uuid,
}

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// Processes up to `limit` stored events, oldest first, in one transaction: each instance
/// claims different rows, and a failure leaves them all pending for the next run.
pub async fn process_pending(svc: &Services, limit: i64) -> Result<Processed, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let events = sqlx::query!(
        r#"SELECT id, kind, body FROM webhook_events
           WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"#,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut done = Processed {
        events: events.len(),
        ..Processed::default()
    };
    let mut routes: HashMap<(String, String), Option<Route>> = HashMap::new();
    let mut people = People::default();
    for event in events {
        let Some(kind) = ChannelKind::parse(&event.kind) else {
            // The table's CHECK admits only Meta's kinds; this cannot happen.
            return Err(AppError::Internal);
        };
        let items = match meta::parse(kind, &event.body) {
            Ok(items) => items,
            Err(error) => {
                sqlx::query!(
                    r#"UPDATE webhook_events SET status = 'failed', error = $2, processed_at = now()
                       WHERE id = $1"#,
                    event.id,
                    error
                )
                .execute(&mut *tx)
                .await?;
                done.failed += 1;
                continue;
            }
        };
        for item in items {
            let external = match &item {
                Item::Message(m) => Some(m.channel.clone()),
                Item::Status(s) => Some(s.channel.clone()),
                Item::Watermark { channel, .. } => Some(channel.clone()),
                Item::Unknown { .. } => None,
            };
            let route = match &external {
                Some(ext) => {
                    let key = (event.kind.clone(), ext.clone());
                    match routes.get(&key) {
                        Some(found) => *found,
                        None => {
                            let found = sqlx::query!(
                                "SELECT id, tenant_id FROM channels WHERE kind = $1 AND external_id = $2",
                                event.kind,
                                ext
                            )
                            .fetch_optional(&mut *tx)
                            .await?
                            .map(|r| Route {
                                channel: r.id,
                                tenant: r.tenant_id,
                            });
                            routes.insert(key, found);
                            found
                        }
                    }
                }
                None => None,
            };
            let moved = match (item, route) {
                (Item::Message(m), Some(r)) => {
                    let lead = people.lead_of(&mut tx, kind, r, &m).await?;
                    store_message(&mut tx, r, &m, lead).await?
                }
                (Item::Status(s), Some(r)) => store_status(&mut tx, r, &s).await?,
                (
                    Item::Watermark {
                        contact,
                        status,
                        watermark,
                        ..
                    },
                    Some(r),
                ) => store_watermark(&mut tx, r, &contact, status, watermark).await?,
                (Item::Unknown { channel, at, raw }, _) => {
                    keep(
                        &mut tx,
                        event.id,
                        &event.kind,
                        "unknown",
                        channel,
                        &at,
                        &raw,
                    )
                    .await?;
                    done.leftovers += 1;
                    continue;
                }
                (item, None) => {
                    let raw = serde_json::to_value(&item).unwrap_or_default();
                    let at = match &item {
                        Item::Message(_) => "message",
                        Item::Status(_) => "status",
                        _ => "watermark",
                    };
                    keep(
                        &mut tx,
                        event.id,
                        &event.kind,
                        "unrouted",
                        external,
                        at,
                        &raw,
                    )
                    .await?;
                    done.leftovers += 1;
                    continue;
                }
            };
            let Some(r) = route else { continue };
            match moved {
                Moved::Message => done.messages += 1,
                Moved::Status(n) => done.statuses += n,
                Moved::Nothing => continue,
            }
            let touched = (TenantId(r.tenant), r.channel);
            if !done.touched.contains(&touched) {
                done.touched.push(touched);
            }
        }
        sqlx::query!(
            "UPDATE webhook_events SET status = 'processed', processed_at = now() WHERE id = $1",
            event.id
        )
        .execute(&mut *tx)
        .await?;
    }
    people.note_activity(&mut tx).await?;
    tx.commit().await?;
    for (tenant, channel) in &done.touched {
        publish(svc, *tenant, InboxEvent::Channel { channel: *channel }).await;
    }
    Ok(done)
}

/// The leads of the people a batch heard from, found once per batch (their identities stay
/// locked until it commits), and when each last wrote.
#[derive(Default)]
struct People {
    leads: HashMap<(Uuid, String), Uuid>,
    last_inbound: HashMap<Uuid, OffsetDateTime>,
    first_outbound: HashMap<Uuid, OffsetDateTime>,
    last_message: HashMap<Uuid, OffsetDateTime>,
}

impl People {
    async fn lead_of(
        &mut self,
        tx: &mut sqlx::PgConnection,
        kind: ChannelKind,
        r: Route,
        m: &meta::Message,
    ) -> Result<Option<Uuid>, AppError> {
        let identity = match kind {
            // A WhatsApp id is the number's digits: the lead is found by phone, so a person who
            // later fills in a form with that number is the same lead.
            ChannelKind::Whatsapp => match contact::whatsapp_e164(&m.contact) {
                Ok(phone) => Identity::Phone(phone),
                Err(_) => return Ok(None),
            },
            ChannelKind::Messenger => Identity::Messenger(m.contact.clone()),
            ChannelKind::Instagram => Identity::Instagram(m.contact.clone()),
            ChannelKind::Email => return Ok(None),
        };
        let key = (r.tenant, identity.key());
        let lead = match self.leads.get(&key) {
            Some(lead) => *lead,
            None => {
                let person = Normalized {
                    identities: vec![identity],
                    ..Normalized::default()
                };
                // An echo's profile name is the business's, not the contact's.
                let name = m.contact_name.as_deref().filter(|_| !m.outbound);
                let found =
                    leads::resolve(tx, TenantId(r.tenant), &person, name, kind.as_str()).await?;
                self.leads.insert(key, found.lead);
                found.lead
            }
        };
        let when = at(m.at);
        let last = self.last_message.entry(lead).or_insert(when);
        *last = (*last).max(when);
        if m.outbound {
            let first = self.first_outbound.entry(lead).or_insert(when);
            *first = (*first).min(when);
        } else {
            let last = self.last_inbound.entry(lead).or_insert(when);
            *last = (*last).max(when);
        }
        Ok(Some(lead))
    }

    /// Records when each lead last wrote (it opens the messaging window, reopens a resolved
    /// conversation and asks for their score again) and when their conversation last moved;
    /// records the team's first answer to a lead that was waiting for one.
    async fn note_activity(&self, tx: &mut sqlx::PgConnection) -> Result<(), AppError> {
        if !self.last_message.is_empty() {
            let mut ids = Vec::with_capacity(self.last_message.len());
            let mut last = Vec::with_capacity(ids.capacity());
            // When they last wrote, for the leads that did (`heard`).
            let mut inbound = Vec::with_capacity(ids.capacity());
            let mut heard = Vec::with_capacity(ids.capacity());
            for (lead, at) in &self.last_message {
                ids.push(*lead);
                last.push(*at);
                let theirs = self.last_inbound.get(lead);
                inbound.push(theirs.copied().unwrap_or(*at));
                heard.push(theirs.is_some());
            }
            sqlx::query!(
                r#"UPDATE leads l
                   SET last_message_at = GREATEST(l.last_message_at, n.last),
                       last_inbound_at = CASE WHEN n.heard THEN GREATEST(l.last_inbound_at, n.inbound)
                                              ELSE l.last_inbound_at END,
                       score_requested_at = CASE WHEN n.heard THEN now() ELSE l.score_requested_at END,
                       status = CASE WHEN n.heard THEN 'open' ELSE l.status END,
                       resolved_at = CASE WHEN n.heard THEN NULL ELSE l.resolved_at END
                   FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::bool[])
                        AS n(id, last, inbound, heard)
                   WHERE l.id = n.id"#,
                &ids,
                &last,
                &inbound,
                &heard
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.first_outbound.is_empty() {
            let (ids, times): (Vec<Uuid>, Vec<OffsetDateTime>) =
                self.first_outbound.iter().map(|(k, v)| (*k, *v)).unzip();
            leads::routing::answered(tx, &ids, &times).await?;
        }
        Ok(())
    }
}

enum Moved {
    Message,
    Status(usize),
    Nothing,
}

async fn store_message(
    tx: &mut sqlx::PgConnection,
    r: Route,
    m: &meta::Message,
    lead: Option<Uuid>,
) -> Result<Moved, AppError> {
    // A row that only held an early status is filled in; a stored message is left as it is.
    let stored = sqlx::query_scalar!(
        r#"INSERT INTO channel_messages
             (id, tenant_id, channel_id, provider_id, direction, contact, contact_name, kind, body,
              media, refers_to, sent_at, raw, lead_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT ON CONSTRAINT channel_messages_provider_key DO UPDATE
             SET status_only = false, direction = EXCLUDED.direction, contact = EXCLUDED.contact,
                 contact_name = EXCLUDED.contact_name, kind = EXCLUDED.kind, body = EXCLUDED.body,
                 media = EXCLUDED.media, refers_to = EXCLUDED.refers_to,
                 sent_at = EXCLUDED.sent_at, raw = EXCLUDED.raw, lead_id = EXCLUDED.lead_id
             WHERE channel_messages.status_only
           RETURNING id"#,
        Uuid::now_v7(),
        r.tenant,
        r.channel,
        m.id,
        if m.outbound { "out" } else { "in" },
        m.contact,
        m.contact_name,
        m.kind,
        m.text,
        m.media,
        m.refers_to,
        at(m.at),
        m.raw,
        lead
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(if stored.is_some() {
        Moved::Message
    } else {
        Moved::Nothing
    })
}

async fn store_status(
    tx: &mut sqlx::PgConnection,
    r: Route,
    s: &meta::Status,
) -> Result<Moved, AppError> {
    // Only forward: a status replaces one of lower rank, whatever order they arrive in.
    let moved = sqlx::query_scalar!(
        r#"INSERT INTO channel_messages
             (id, tenant_id, channel_id, provider_id, status_only, status, status_rank, status_at, error)
           VALUES ($1, $2, $3, $4, true, $5, $6, $7, $8)
           ON CONFLICT ON CONSTRAINT channel_messages_provider_key DO UPDATE
             SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank,
                 status_at = EXCLUDED.status_at, error = EXCLUDED.error
             WHERE channel_messages.status_rank < EXCLUDED.status_rank
           RETURNING id"#,
        Uuid::now_v7(),
        r.tenant,
        r.channel,
        s.message,
        s.status.as_str(),
        i16::from(s.status.rank()),
        at(s.at),
        s.error
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(if moved.is_some() {
        Moved::Status(1)
    } else {
        Moved::Nothing
    })
}

async fn store_watermark(
    tx: &mut sqlx::PgConnection,
    r: Route,
    contact: &str,
    status: Delivery,
    watermark_ms: i64,
) -> Result<Moved, AppError> {
    let when = OffsetDateTime::from_unix_timestamp_nanos(i128::from(watermark_ms) * 1_000_000)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let moved = sqlx::query!(
        r#"UPDATE channel_messages
           SET status = $4, status_rank = $5, status_at = $3
           WHERE channel_id = $1 AND contact = $2 AND direction = 'out' AND NOT status_only
             AND sent_at <= $3 AND status_rank < $5
             -- A reply still in our queue has not reached Meta: no watermark covers it.
             AND status IS DISTINCT FROM 'queued'"#,
        r.channel,
        contact,
        when,
        status.as_str(),
        i16::from(status.rank())
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(match usize::try_from(moved) {
        Ok(0) | Err(_) => Moved::Nothing,
        Ok(n) => Moved::Status(n),
    })
}

#[allow(clippy::too_many_arguments)]
async fn keep(
    tx: &mut sqlx::PgConnection,
    event: i64,
    kind: &str,
    reason: &str,
    external_id: Option<String>,
    location: &str,
    raw: &serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"INSERT INTO webhook_leftovers (event_id, kind, reason, external_id, location, raw)
           VALUES ($1, $2, $3, $4, $5, $6)"#,
        event,
        kind,
        reason,
        external_id,
        location,
        raw
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What the platform's admins see of an event that reached no channel or could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    /// The stored event it came from.
    pub event: i64,
    /// The webhook it came through.
    pub kind: String,
    /// `unrouted` (no tenant has connected that id) or `unknown` (not a kind this code reads).
    pub reason: String,
    /// The channel id the payload named, if any.
    pub external_id: Option<String>,
    /// Where in the payload.
    pub location: String,
    /// As received.
    pub raw: serde_json::Value,
}

/// The newest leftovers. The caller must have checked that a platform admin is asking.
pub async fn leftovers(svc: &Services, limit: i64) -> Result<Vec<Leftover>, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let rows = sqlx::query!(
        r#"SELECT event_id, kind, reason, external_id, location, raw FROM webhook_leftovers
           ORDER BY created_at DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Leftover {
            event: r.event_id,
            kind: r.kind,
            reason: r.reason,
            external_id: r.external_id,
            location: r.location,
            raw: r.raw,
        })
        .collect())
}

/// What an inbox hears: a channel has new messages or statuses, or a lead was scored or routed.
/// Subscribers reload what the event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxEvent {
    /// The channel with new messages or statuses.
    Channel {
        /// Which.
        channel: Uuid,
    },
    /// A lead whose score, band, assignee or SLA changed.
    Lead {
        /// Which.
        lead: Uuid,
        /// Who has it now.
        assignee: Option<Uuid>,
    },
}

/// An inbox event as published: whose inbox, and what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxNotice {
    /// The tenant whose inboxes hear it.
    pub tenant: Uuid,
    /// What happened.
    #[serde(flatten)]
    pub event: InboxEvent,
}

/// The Redis channel inbox events travel on, for every tenant (each instance routes them to
/// the open inboxes of the tenant they name).
pub fn inbox_channel(prefix: &str) -> String {
    format!("{prefix}:inbox")
}

/// Tells every instance about `event` in `tenant`'s inboxes, after the change is committed. A
/// failed publish is logged: the inbox catches up when it next loads.
pub async fn publish(svc: &Services, tenant: TenantId, event: InboxEvent) {
    let notice = InboxNotice {
        tenant: tenant.0,
        event,
    };
    let Ok(payload) = serde_json::to_string(&notice) else {
        return;
    };
    let mut r = svc.redis.clone();
    let sent: Result<i64, _> = r
        .publish(inbox_channel(&svc.settings.redis_prefix), payload)
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, ?notice, "could not publish an inbox event");
    }
}
