//! The intake of Meta's webhooks (`migrations/…_channels.sql`): a verified body is stored raw
//! ([`receive`]) before the sender gets its 200, then [`process_pending`] reads it from the store
//! and routes every message and status in it to the tenant whose channel the payload names.
//!
//! Nothing is lost on the way: a crash between the two steps leaves the event `pending` for the
//! next run (any instance; rows are claimed with `SKIP LOCKED`), a body delivered twice is stored
//! once, a message delivered twice is stored once, a status never moves a message backwards, and
//! what reaches no channel or cannot be read is kept raw for the platform's admins.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::{db, leads, Services};
use crate::leads::billing::Operation;
use crate::leads::contact::{self, Identity};
use crate::leads::meta::{self, Delivery, Item};
use crate::leads::ChannelKind;
use crate::server::leads::billing::Metered;
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
    Ok(kind.as_str())
}

/// Stores a verified body durably (it is committed when this returns). The caller checked the
/// signature; nothing here parses the body.
pub async fn receive(svc: &Services, kind: ChannelKind, body: &[u8]) -> Result<Received, AppError> {
    let mut got = receive_many(svc, &[(kind, body)]).await?;
    got.pop().ok_or(AppError::Internal)
}

/// Stores several verified bodies in one transaction, in the order given (the order they are
/// processed in), and says for each whether it was stored or was a retry of one stored before
/// (or earlier in the same call).
pub async fn receive_many(
    svc: &Services,
    bodies: &[(ChannelKind, &[u8])],
) -> Result<Vec<Received>, AppError> {
    let n = bodies.len();
    let (mut kinds, mut raw, mut digests) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (kind, body) in bodies {
        kinds.push(webhook_kind(*kind)?.to_owned());
        raw.push(body.to_vec());
        digests.push(Sha256::digest(body).to_vec());
    }
    let mut tx = db::platform_tx(&svc.db).await?;
    let stored = sqlx::query!(
        r#"INSERT INTO webhook_events (kind, body, body_sha256)
           SELECT n.kind, n.body, n.digest
           FROM unnest($1::text[], $2::bytea[], $3::bytea[]) WITH ORDINALITY AS n(kind, body, digest, at)
           ORDER BY n.at
           ON CONFLICT ON CONSTRAINT webhook_events_body_key DO NOTHING
           RETURNING id, kind, body_sha256"#,
        &kinds,
        &raw,
        &digests
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut ids: HashMap<(String, Vec<u8>), i64> = stored
        .into_iter()
        .map(|r| ((r.kind, r.body_sha256), r.id))
        .collect();
    Ok(kinds
        .into_iter()
        .zip(digests)
        // The first of two equal bodies takes the id; the second is a duplicate.
        .map(|key| {
            ids.remove(&key)
                .map_or(Received::Duplicate, Received::Stored)
        })
        .collect())
}

/// What the webhook endpoints hand over: one body to store, and where its answer goes.
struct Handover {
    kind: ChannelKind,
    body: Vec<u8>,
    answer: tokio::sync::oneshot::Sender<Result<Received, AppError>>,
}

/// Bodies received at once are stored together ("group commit"): each request still gets its
/// 200 only after its body is committed, but many requests share one transaction and one flush
/// to disk, so the database's commits, not the requests, set the pace. One writer stores a
/// batch at a time, taking everything that arrived while the last one committed: under 3,000
/// bodies a second, four writers committing side by side made more, smaller commits, and the
/// processing worker's batches waited behind their flushes (a whole-path p99 two to three times
/// as long; docs/BENCHMARKS.md, eleventh sitting).
#[derive(Clone)]
pub struct Store {
    queue: tokio::sync::mpsc::Sender<Handover>,
}

impl Store {
    /// The most bodies stored in one transaction.
    pub const BATCH: usize = 256;

    /// Starts the writer; `stored` is called after each batch that stored something (to wake
    /// the processing worker).
    pub fn start(svc: Services, stored: impl Fn() + Send + Sync + 'static) -> Self {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<Handover>(Self::BATCH * 16);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(Self::BATCH);
            // Waits for one body, then takes every one already waiting (up to a batch).
            while rx.recv_many(&mut batch, Self::BATCH).await > 0 {
                let bodies: Vec<(ChannelKind, &[u8])> =
                    batch.iter().map(|d| (d.kind, d.body.as_slice())).collect();
                let result = receive_many(&svc, &bodies).await;
                if let Err(e) = &result {
                    tracing::warn!(error = %e, bodies = batch.len(), "webhook bodies could not be stored");
                }
                let mut any = false;
                match result {
                    Ok(got) => {
                        for (d, r) in batch.drain(..).zip(got) {
                            any |= matches!(r, Received::Stored(_));
                            let _ = d.answer.send(Ok(r));
                        }
                    }
                    Err(e) => {
                        for d in batch.drain(..) {
                            let _ = d.answer.send(Err(e.clone()));
                        }
                    }
                }
                if any {
                    stored();
                }
            }
        });
        Store { queue }
    }

    /// Stores a verified body with others received meanwhile; returns once it is committed.
    pub async fn receive(&self, kind: ChannelKind, body: Vec<u8>) -> Result<Received, AppError> {
        webhook_kind(kind)?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue
            .send(Handover { kind, body, answer })
            .await
            .map_err(|_| AppError::Internal)?;
        answered.await.map_err(|_| AppError::Internal)?
    }
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
    // An address is kept as the intake reads recipients: trimmed and lower-cased.
    let address = (kind == ChannelKind::Email)
        .then(|| contact::email(external_id))
        .flatten();
    let external_id = address.as_deref().unwrap_or(external_id.trim());
    let name = name.trim();
    let mut errors = Vec::new();
    if external_id.is_empty()
        || external_id.len() > 200
        || (kind == ChannelKind::Email && address.is_none())
    {
        errors.push(crate::error::FieldError::new(
            "external_id",
            match kind {
                ChannelKind::Whatsapp => "Enter the phone number id from WhatsApp Manager.",
                ChannelKind::Messenger => "Enter the Facebook page id.",
                ChannelKind::Instagram => "Enter the Instagram account id.",
                ChannelKind::Email => "Enter the inbox's email address, like sales@example.com.",
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
            "This {} is already connected to a team. Disconnect it there first.",
            match kind {
                ChannelKind::Email => "address",
                ChannelKind::Whatsapp => "phone number id",
                ChannelKind::Messenger => "page id",
                ChannelKind::Instagram => "Instagram account id",
            }
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
    /// The highest id of the events read (they are read in order), where the next claim may
    /// start.
    pub last: Option<i64>,
}

#[derive(Clone, Copy)]
struct Route {
    channel: Uuid,
    tenant: Uuid,
}

/// The time a payload gives in seconds since the epoch; one before 1970 or after 9999 (which no
/// genuine payload has, and which Postgres or RFC 3339 could not hold) reads as now.
fn at(seconds: i64) -> OffsetDateTime {
    if !(0..=253_402_300_799).contains(&seconds) {
        return OffsetDateTime::now_utc();
    }
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// Processes up to `limit` stored events, oldest first, in one transaction: each instance
/// claims different rows, and a failure leaves them all pending for the next run.
///
/// The work is done in bulk, a statement per kind of thing rather than per message: the
/// channels the batch names are found in one query, the identities of everyone who wrote are
/// locked and looked up in one each, new people become leads (with their identities) in one,
/// the messages and the statuses are written in one each, the leads' activity and the events'
/// new state in one, and the charges in one. Under load the round trips, not the statements'
/// work, make most of a batch's time (a fan-out batch of 14 events spent about 4 ms in
/// Postgres and 16 ms in all), so each one saved counts.
pub async fn process_pending(svc: &Services, limit: i64) -> Result<Processed, AppError> {
    process_pending_after(svc, 0, limit).await
}

/// [`process_pending`] for the events after `after` only (their ids are greater). A worker that
/// keeps the last id it claimed starts its next claim there, so the claim does not walk the
/// events processed since the table was last vacuumed: in the pending index they stay as dead
/// entries at its oldest end, and walking them made each claim cost more the longer the intake
/// ran (1 ms a batch at the start of a 30 s run at 3,000 messages a second, 12 ms at its end;
/// docs/BENCHMARKS.md, twelfth sitting). An event below that mark can still be pending (another
/// instance's batch failed, or one instance's events committed after a later id of another's):
/// the worker's periodic sweep from lower down ([`SweepFloor`]) takes it.
pub async fn process_pending_after(
    svc: &Services,
    after: i64,
    limit: i64,
) -> Result<Processed, AppError> {
    process_pending_between(svc, after, i64::MAX, limit).await
}

/// [`process_pending_after`] for the events up to `upto` only (their ids are not greater): a
/// sweep for events left behind takes those below where the claims have reached, and leaves
/// the newer ones to them.
pub async fn process_pending_between(
    svc: &Services,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Processed, AppError> {
    let started = std::time::Instant::now();
    let mut lap = Laps::default();
    // The events are durable; what is made of them is made again if a crash loses it.
    let mut tx = db::lazy_keyed_platform_tx(&svc.db).await?;
    let events = sqlx::query!(
        r#"SELECT id, kind, body FROM webhook_events
           WHERE status = 'pending' AND id > $2 AND id <= $3
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"#,
        limit,
        after,
        upto
    )
    .fetch_all(&mut *tx)
    .await?;
    lap.claim = started.elapsed();
    let mut done = Processed {
        events: events.len(),
        last: events.last().map(|e| e.id),
        ..Processed::default()
    };
    if events.is_empty() {
        tx.commit().await?;
        return Ok(done);
    }

    // Read every body; what is not JSON fails at once, with the reason.
    let mut read: Vec<(i64, ChannelKind, Vec<Item>)> = Vec::with_capacity(events.len());
    let mut processed: Vec<i64> = Vec::with_capacity(events.len());
    for event in events {
        let Some(kind) = ChannelKind::parse(&event.kind) else {
            // The table's CHECK admits only Meta's kinds; this cannot happen.
            return Err(AppError::Internal);
        };
        let parsed = match kind {
            ChannelKind::Email => super::email::parse(&event.body),
            _ => meta::parse(kind, &event.body),
        };
        match parsed {
            Ok(items) => {
                processed.push(event.id);
                read.push((event.id, kind, items));
            }
            Err(error) => {
                sqlx::query!(
                    r#"UPDATE webhook_events SET status = 'failed', error = $2,
                              processed_at = clock_timestamp()
                       WHERE id = $1"#,
                    event.id,
                    error
                )
                .execute(&mut *tx)
                .await?;
                done.failed += 1;
            }
        }
    }

    lap.parse = started.elapsed();
    let routes = routes_of(&mut tx, &read).await?;
    lap.routes = started.elapsed();
    let mut batch = Batch::default();
    for (event, kind, mut items) in read {
        if kind == ChannelKind::Email {
            only_connected(&mut items, &routes);
        }
        for item in items {
            let external = match &item {
                Item::Message(m) => Some(m.channel.clone()),
                Item::Status(s) => Some(s.channel.clone()),
                Item::Watermark { channel, .. } => Some(channel.clone()),
                Item::Unknown { .. } => None,
            };
            let route = external
                .as_ref()
                .and_then(|ext| routes.get(&(kind.as_str(), ext.clone())).copied());
            match (item, route) {
                (Item::Message(m), Some(r)) => batch.message(kind, r, m),
                (Item::Status(s), Some(r)) => batch.status(r, s),
                (
                    Item::Watermark {
                        contact,
                        status,
                        watermark,
                        ..
                    },
                    Some(r),
                ) => batch.watermarks.push((r, contact, status, watermark)),
                (Item::Unknown { channel, at, raw }, _) => {
                    keep(&mut tx, event, kind.as_str(), "unknown", channel, &at, &raw).await?;
                    done.leftovers += 1;
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
                        event,
                        kind.as_str(),
                        "unrouted",
                        external,
                        at,
                        &raw,
                    )
                    .await?;
                    done.leftovers += 1;
                }
            }
        }
    }

    let leads = batch.resolve_leads(&mut tx).await?;
    lap.leads = started.elapsed();
    let mut touched: Vec<(Uuid, Uuid)> = Vec::new();
    let stored = store_messages(&mut tx, &batch.messages, &leads).await?;
    lap.messages = started.elapsed();
    done.messages = stored.len();
    let charges = inbound_charges(&batch.messages, &stored);
    touched.extend(stored.iter().map(|m| (m.tenant, m.channel)));
    let moved = store_statuses(&mut tx, &batch.statuses).await?;
    done.statuses = moved.len();
    touched.extend(moved);
    for (r, contact, status, watermark) in &batch.watermarks {
        let moved = store_watermark(&mut tx, *r, contact, *status, *watermark).await?;
        if moved > 0 {
            done.statuses += moved;
            touched.push((r.tenant, r.channel));
        }
    }
    for (tenant, channel) in touched {
        let t = (TenantId(tenant), channel);
        if !done.touched.contains(&t) {
            done.touched.push(t);
        }
    }
    lap.statuses = started.elapsed();
    note_activity(&mut tx, &batch.messages, &leads, &processed).await?;
    lap.marked = started.elapsed();
    // Billed last: metering locks each team's row of the day until the commit, and scoring
    // charges the same row, so the lock is held for this statement and the commit only.
    leads::billing::meter_many(&mut tx, &charges).await?;
    lap.billed = started.elapsed();
    tx.commit().await?;
    lap.committed = started.elapsed();
    let events: Vec<(TenantId, InboxEvent)> = done
        .touched
        .iter()
        .map(|(tenant, channel)| (*tenant, InboxEvent::Channel { channel: *channel }))
        .collect();
    publish_many(svc, &events).await;
    tracing::debug!(
        events = done.events,
        messages = done.messages,
        laps = ?lap,
        total = ?started.elapsed(),
        "intake batch"
    );
    Ok(done)
}

/// Where the intake's periodic sweep starts its claims. The intake's claims each start after
/// the last event claimed ([`process_pending_after`]), so an event that commits after a claim
/// has passed its id (a straggler: ids are taken when a body is stored, and commits need not
/// come in their order) or whose batch failed stays pending below the mark. A sweep, once
/// every period and apart from the intake, claims those ([`process_pending_between`]).
///
/// It does not start from the first event every time: the pending index keeps an entry for
/// each event processed since the table was last vacuumed, and a claim from the first walks
/// them all. When the intake itself swept from the first every 2 s, at 3,000 events a second
/// that claim grew to 150–200 ms in a 90 s run and held up every message that arrived
/// meanwhile (docs/BENCHMARKS.md, seventeenth sitting). So a sweep starts from where the
/// claims had reached two sweeps before: that takes every straggler that commits within a
/// period of taking its id. A sweep from the first every [`Self::FULL_EVERY`] sweeps, and the
/// next one after a failed batch, takes the rest (another instance's failed batch, a commit
/// later than a period); being apart from the intake, its walk holds up no message.
#[derive(Debug, Default, Clone)]
pub struct SweepFloor {
    /// Where the claims had reached when each of the last two sweeps began, oldest first.
    reached: [i64; 2],
    /// Sweeps begun.
    sweeps: u32,
    /// Whether the next sweep starts from the first event.
    full: bool,
}

impl SweepFloor {
    /// How often a sweep starts from the first event.
    pub const FULL_EVERY: u32 = 30;

    /// Begins a sweep, the claims having reached `reached`: returns the id its claim starts
    /// after.
    pub fn start(&mut self, reached: i64) -> i64 {
        let from = if self.full || self.sweeps.is_multiple_of(Self::FULL_EVERY) {
            0
        } else {
            self.reached[0]
        };
        self.full = false;
        self.sweeps = self.sweeps.wrapping_add(1);
        self.reached = [self.reached[1], reached];
        from
    }

    /// A batch failed: its events are pending again, wherever they are.
    pub fn failed(&mut self) {
        self.full = true;
    }
}

/// When each step of an intake batch ended, from its start (logged at debug level).
#[derive(Debug, Default)]
struct Laps {
    claim: std::time::Duration,
    parse: std::time::Duration,
    routes: std::time::Duration,
    leads: std::time::Duration,
    messages: std::time::Duration,
    statuses: std::time::Duration,
    /// The leads' activity and the events' mark, one statement.
    marked: std::time::Duration,
    billed: std::time::Duration,
    committed: std::time::Duration,
}

/// What the batch's new inbound messages cost their teams (never refused: messages always
/// arrive): a charge per team and kind of message, for as many messages as were stored now.
/// A message stored before (a retry, a duplicate) is not among them, so each is charged
/// once; the key is the first message's id, new with it.
fn inbound_charges(messages: &[Incoming], stored: &[Stored]) -> Vec<Metered> {
    let kinds: HashMap<Uuid, ChannelKind> =
        messages.iter().map(|i| (i.route.channel, i.kind)).collect();
    // In no particular order: the charges' statement takes the teams' rows of the day in order.
    let mut charges: HashMap<(Uuid, Operation), Metered> = HashMap::new();
    for m in stored.iter().filter(|m| m.inbound) {
        let operation = match kinds.get(&m.channel) {
            Some(ChannelKind::Whatsapp) => Operation::InboundWhatsapp,
            Some(ChannelKind::Messenger | ChannelKind::Instagram) => Operation::InboundSocialDm,
            Some(ChannelKind::Email) | None => continue,
        };
        charges
            .entry((m.tenant, operation))
            .and_modify(|c| c.units += 1)
            .or_insert_with(|| Metered {
                tenant: m.tenant,
                operation,
                units: 1,
                key: format!("in:{}", m.id),
            });
    }
    charges.into_values().collect()
}

/// The channel each (kind, Meta id) of the batch names, for those a tenant has connected.
async fn routes_of(
    tx: &mut sqlx::PgConnection,
    read: &[(i64, ChannelKind, Vec<Item>)],
) -> Result<HashMap<(&'static str, String), Route>, AppError> {
    let mut wanted: std::collections::HashSet<(&'static str, &str)> =
        std::collections::HashSet::new();
    for (_, kind, items) in read {
        for item in items {
            let ext = match item {
                Item::Message(m) => &m.channel,
                Item::Status(s) => &s.channel,
                Item::Watermark { channel, .. } => channel,
                Item::Unknown { .. } => continue,
            };
            wanted.insert((kind.as_str(), ext.as_str()));
        }
    }
    let (kinds, externals): (Vec<String>, Vec<String>) = wanted
        .into_iter()
        .map(|(k, e)| (k.to_owned(), e.to_owned()))
        .unzip();
    if kinds.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(sqlx::query!(
        r#"SELECT c.kind, c.external_id, c.id, c.tenant_id
           FROM unnest($1::text[], $2::text[]) AS k(kind, external_id)
           JOIN channels c ON c.kind = k.kind AND c.external_id = k.external_id"#,
        &kinds,
        &externals
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .filter_map(|r| {
        let kind = ChannelKind::parse(&r.kind)?.as_str();
        Some((
            (kind, r.external_id),
            Route {
                channel: r.id,
                tenant: r.tenant_id,
            },
        ))
    })
    .collect())
}

/// An email comes as one item per address it may have been sent to: of those, only the ones a
/// team has connected are kept (the message reaches each of those channels once); when none is,
/// the first is kept, to be shown to the admins as unrouted.
fn only_connected(items: &mut Vec<Item>, routes: &HashMap<(&'static str, String), Route>) {
    let connected = |i: &Item| match i {
        Item::Message(m) => routes.contains_key(&(ChannelKind::Email.as_str(), m.channel.clone())),
        _ => true,
    };
    if items.iter().any(connected) {
        items.retain(connected);
    } else {
        items.truncate(1);
    }
}

/// The number each WhatsApp id reads as (`None`: not a valid number), for the ids heard from
/// lately. Reading one with the phone number metadata (`phonenumber`, regular expressions per
/// country) took half the worker's time in a batch; a contact writes again and again.
static WHATSAPP_NUMBERS: std::sync::LazyLock<moka::sync::Cache<String, Option<String>>> =
    std::sync::LazyLock::new(|| moka::sync::Cache::new(100_000));

/// The identity a message's sender is known by, if it reads.
fn identity_of(kind: ChannelKind, m: &meta::Message) -> Option<Identity> {
    match kind {
        // A WhatsApp id is the number's digits: the lead is found by phone, so a person who
        // later fills in a form with that number is the same lead.
        ChannelKind::Whatsapp => WHATSAPP_NUMBERS
            .get_with_by_ref(m.contact.as_str(), || {
                contact::whatsapp_e164(&m.contact).ok()
            })
            .map(Identity::Phone),
        ChannelKind::Messenger => Some(Identity::Messenger(m.contact.clone())),
        ChannelKind::Instagram => Some(Identity::Instagram(m.contact.clone())),
        ChannelKind::Email => contact::email(&m.contact).map(Identity::Email),
    }
}

/// A message of the batch, with where it goes and whose it is.
struct Incoming {
    route: Route,
    kind: ChannelKind,
    /// The sender's identity key, when it reads.
    identity: Option<String>,
    message: meta::Message,
}

/// What a batch of events holds, gathered before anything is written.
#[derive(Default)]
struct Batch {
    /// Messages, the first of each (channel, Meta id) only.
    messages: Vec<Incoming>,
    seen: std::collections::HashSet<(Uuid, String)>,
    /// The highest status of each (channel, message) in the batch.
    statuses: HashMap<(Uuid, String), (Route, meta::Status)>,
    watermarks: Vec<(Route, String, Delivery, i64)>,
}

impl Batch {
    fn message(&mut self, kind: ChannelKind, route: Route, message: meta::Message) {
        // A message delivered twice in one batch is stored once, as it would be in two.
        if !self.seen.insert((route.channel, message.id.clone())) {
            return;
        }
        let identity = identity_of(kind, &message).map(|i| i.key());
        self.messages.push(Incoming {
            route,
            kind,
            identity,
            message,
        });
    }

    fn status(&mut self, route: Route, status: meta::Status) {
        // Statuses only move forward, so of several for one message only the highest counts.
        match self.statuses.entry((route.channel, status.message.clone())) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if status.status.rank() > e.get().1.status.rank() {
                    e.insert((route, status));
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((route, status));
            }
        }
    }

    /// The lead of everyone who wrote, by (tenant, identity): their identities are locked
    /// (held until the batch commits, as every intake does) and looked up, and people heard
    /// from for the first time become leads, named after their profile. A statement per step
    /// for the whole batch, however many teams it names.
    async fn resolve_leads(
        &self,
        tx: &mut sqlx::PgConnection,
    ) -> Result<HashMap<(Uuid, String), Uuid>, AppError> {
        // Each (tenant, identity) once, with the profile name and channel it first came with.
        let mut at: HashMap<(Uuid, &str), usize> = HashMap::new();
        let (mut tenants, mut keys) = (Vec::new(), Vec::new());
        let mut first: Vec<(Option<&str>, &'static str)> = Vec::new();
        for m in &self.messages {
            let Some(key) = &m.identity else { continue };
            // An echo's profile name is the business's, not the contact's.
            let name = m
                .message
                .contact_name
                .as_deref()
                .filter(|_| !m.message.outbound);
            let i = *at.entry((m.route.tenant, key.as_str())).or_insert_with(|| {
                tenants.push(m.route.tenant);
                keys.push(key.clone());
                first.push((None, m.kind.as_str()));
                keys.len() - 1
            });
            if first[i].0.is_none() {
                first[i].0 = name;
            }
        }
        let locks: Vec<String> = tenants
            .iter()
            .zip(&keys)
            .map(|(t, k)| leads::identity_lock(TenantId(*t), k))
            .collect();
        leads::lock_identities(tx, locks).await?;
        let mut found = leads::owners_across(tx, &tenants, &keys).await?;
        let mut new = leads::NewLeads::default();
        let mut identities = leads::NewIdentities::default();
        for ((tenant, key), (name, source)) in tenants.into_iter().zip(keys).zip(first) {
            if let std::collections::hash_map::Entry::Vacant(e) = found.entry((tenant, key)) {
                let lead = new.push(name, source);
                identities.push(tenant, e.key().1.clone(), lead);
                e.insert(lead);
            }
        }
        // Each new lead has one identity here, so the identities' tenants are the leads'.
        leads::create_leads_across(
            tx,
            &identities.tenants,
            &new,
            serde_json::json!({}),
            &identities,
        )
        .await?;
        Ok(found)
    }
}

/// A message [`store_messages`] stored now.
struct Stored {
    id: Uuid,
    tenant: Uuid,
    channel: Uuid,
    inbound: bool,
}

/// The batch's message rows, a typed array per column, sent in Postgres' binary format: no JSON
/// document of the rows is built here and parsed again by the database (57–61 µs of insert a row
/// against 61, a small part of it; the rest is the row's indexes and foreign keys).
#[derive(Default)]
struct MessageColumns<'a> {
    id: Vec<Uuid>,
    tenant_id: Vec<Uuid>,
    channel_id: Vec<Uuid>,
    provider_id: Vec<&'a str>,
    direction: Vec<&'static str>,
    contact: Vec<&'a str>,
    contact_name: Vec<Option<&'a str>>,
    kind: Vec<&'a str>,
    body: Vec<Option<&'a str>>,
    media: Vec<Option<&'a str>>,
    /// `waiting` when the inbox fetches its media ([`super::media`]).
    media_state: Vec<Option<&'static str>>,
    refers_to: Vec<Option<&'a str>>,
    sent_at: Vec<OffsetDateTime>,
    raw: Vec<&'a serde_json::Value>,
    lead_id: Vec<Option<Uuid>>,
}

/// Stores the batch's messages in one statement; returns the ones stored now (a message stored
/// before is left as it is, not counted).
async fn store_messages(
    tx: &mut sqlx::PgConnection,
    messages: &[Incoming],
    leads: &HashMap<(Uuid, String), Uuid>,
) -> Result<Vec<Stored>, AppError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = MessageColumns::default();
    for i in messages {
        let m = &i.message;
        c.id.push(Uuid::now_v7());
        c.tenant_id.push(i.route.tenant);
        c.channel_id.push(i.route.channel);
        c.provider_id.push(&m.id);
        c.direction.push(if m.outbound { "out" } else { "in" });
        c.contact.push(&m.contact);
        c.contact_name.push(m.contact_name.as_deref());
        c.kind.push(&m.kind);
        c.body.push(m.text.as_deref());
        c.media.push(m.media.as_deref());
        c.media_state
            .push((m.media.is_some() && meta::keeps_media(&m.kind)).then_some("waiting"));
        c.refers_to.push(m.refers_to.as_deref());
        c.sent_at.push(at(m.at));
        c.raw.push(&m.raw);
        c.lead_id.push(
            i.identity
                .as_ref()
                .and_then(|k| leads.get(&(i.route.tenant, k.clone())).copied()),
        );
    }
    // A row that only held an early status is filled in; a stored message is left as it is.
    let stored = sqlx::query!(
        r#"INSERT INTO channel_messages
             (id, tenant_id, channel_id, provider_id, direction, contact, contact_name, kind, body,
              media, media_state, refers_to, sent_at, raw, lead_id)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                                $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                                $11::text[], $12::text[], $13::timestamptz[], $14::jsonb[],
                                $15::uuid[])
           ON CONFLICT ON CONSTRAINT channel_messages_provider_key DO UPDATE
             SET status_only = false, direction = EXCLUDED.direction, contact = EXCLUDED.contact,
                 contact_name = EXCLUDED.contact_name, kind = EXCLUDED.kind, body = EXCLUDED.body,
                 media = EXCLUDED.media, media_state = EXCLUDED.media_state,
                 refers_to = EXCLUDED.refers_to,
                 sent_at = EXCLUDED.sent_at, raw = EXCLUDED.raw, lead_id = EXCLUDED.lead_id
             WHERE channel_messages.status_only
           RETURNING id, tenant_id, channel_id, direction AS "direction!""#,
        &c.id,
        &c.tenant_id,
        &c.channel_id,
        &c.provider_id as &[&str],
        &c.direction as &[&str],
        &c.contact as &[&str],
        &c.contact_name as &[Option<&str>],
        &c.kind as &[&str],
        &c.body as &[Option<&str>],
        &c.media as &[Option<&str>],
        &c.media_state as &[Option<&str>],
        &c.refers_to as &[Option<&str>],
        &c.sent_at,
        &c.raw as &[&serde_json::Value],
        &c.lead_id as &[Option<Uuid>]
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(stored
        .into_iter()
        .map(|r| Stored {
            id: r.id,
            tenant: r.tenant_id,
            channel: r.channel_id,
            inbound: r.direction == "in",
        })
        .collect())
}

/// Stores the batch's statuses in one statement; returns the (tenant, channel) of each one
/// that moved a message forward (a stale one moves nothing).
async fn store_statuses(
    tx: &mut sqlx::PgConnection,
    statuses: &HashMap<(Uuid, String), (Route, meta::Status)>,
) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let n = statuses.len();
    let (mut ids, mut tenants, mut channels) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut messages, mut states, mut ranks, mut times, mut errors) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (r, s) in statuses.values() {
        ids.push(Uuid::now_v7());
        tenants.push(r.tenant);
        channels.push(r.channel);
        messages.push(s.message.clone());
        states.push(s.status.as_str().to_owned());
        ranks.push(i16::from(s.status.rank()));
        times.push(at(s.at));
        errors.push(s.error.clone().unwrap_or_default());
    }
    // Only forward: a status replaces one of lower rank, whatever order they arrive in.
    let moved = sqlx::query!(
        r#"INSERT INTO channel_messages
             (id, tenant_id, channel_id, provider_id, status_only, status, status_rank, status_at, error)
           SELECT n.id, n.tenant_id, n.channel_id, n.provider_id, true, n.status, n.rank, n.at,
                  NULLIF(n.error, '')
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int2[],
                       $7::timestamptz[], $8::text[])
                AS n(id, tenant_id, channel_id, provider_id, status, rank, at, error)
           ON CONFLICT ON CONSTRAINT channel_messages_provider_key DO UPDATE
             SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank,
                 status_at = EXCLUDED.status_at, error = EXCLUDED.error
             WHERE channel_messages.status_rank < EXCLUDED.status_rank
           RETURNING tenant_id, channel_id"#,
        &ids,
        &tenants,
        &channels,
        &messages,
        &states,
        &ranks,
        &times,
        &errors
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(moved
        .into_iter()
        .map(|r| (r.tenant_id, r.channel_id))
        .collect())
}

/// Records when each lead last wrote (it opens the messaging window, reopens a resolved
/// conversation and asks for their score again), when their conversation last moved, and the
/// name their profile gives a lead that has none, and in the same statement (a round trip less
/// a batch) marks the batch's `processed` events processed; records the team's first answer to
/// a lead that was waiting for one.
async fn note_activity(
    tx: &mut sqlx::PgConnection,
    messages: &[Incoming],
    leads: &HashMap<(Uuid, String), Uuid>,
    processed: &[i64],
) -> Result<(), AppError> {
    #[derive(Default)]
    struct Activity<'a> {
        last: Option<OffsetDateTime>,
        inbound: Option<OffsetDateTime>,
        first_outbound: Option<OffsetDateTime>,
        name: Option<&'a str>,
    }
    let mut by_lead: HashMap<Uuid, Activity> = HashMap::new();
    for i in messages {
        let Some(lead) = i
            .identity
            .as_ref()
            .and_then(|k| leads.get(&(i.route.tenant, k.clone())))
        else {
            continue;
        };
        let m = &i.message;
        let when = at(m.at);
        let a = by_lead.entry(*lead).or_default();
        a.last = Some(a.last.map_or(when, |l| l.max(when)));
        if m.outbound {
            a.first_outbound = Some(a.first_outbound.map_or(when, |f| f.min(when)));
        } else {
            a.inbound = Some(a.inbound.map_or(when, |l| l.max(when)));
            if a.name.is_none() {
                a.name = m.contact_name.as_deref();
            }
        }
    }
    let mut ids: Vec<Uuid> = by_lead.keys().copied().collect();
    // One order for every batch, so two never wait on each other's rows.
    ids.sort_unstable();
    let (mut last, mut inbound, mut heard, mut names) = (
        Vec::with_capacity(ids.len()),
        Vec::with_capacity(ids.len()),
        Vec::with_capacity(ids.len()),
        Vec::with_capacity(ids.len()),
    );
    let (mut answered, mut answered_at) = (Vec::new(), Vec::new());
    for id in &ids {
        let a = &by_lead[id];
        let l = a.last.unwrap_or_else(OffsetDateTime::now_utc);
        last.push(l);
        inbound.push(a.inbound.unwrap_or(l));
        heard.push(a.inbound.is_some());
        names.push(
            a.name
                .map(str::trim)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect::<String>(),
        );
        if let Some(first) = a.first_outbound {
            answered.push(*id);
            answered_at.push(first);
        }
    }
    // With no lead to update, the events are marked all the same.
    sqlx::query!(
        r#"WITH marked AS (
             UPDATE webhook_events SET status = 'processed', processed_at = clock_timestamp()
             WHERE id = ANY($6))
           UPDATE leads l
           SET last_message_at = GREATEST(l.last_message_at, n.last),
               last_inbound_at = CASE WHEN n.heard THEN GREATEST(l.last_inbound_at, n.inbound)
                                      ELSE l.last_inbound_at END,
               score_requested_at = CASE WHEN n.heard THEN now() ELSE l.score_requested_at END,
               status = CASE WHEN n.heard THEN 'open' ELSE l.status END,
               resolved_at = CASE WHEN n.heard THEN NULL ELSE l.resolved_at END,
               name = COALESCE(l.name, NULLIF(n.name, ''))
           FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::bool[], $5::text[])
                AS n(id, last, inbound, heard, name)
           WHERE l.id = n.id"#,
        &ids,
        &last,
        &inbound,
        &heard,
        &names,
        processed
    )
    .execute(&mut *tx)
    .await?;
    if !answered.is_empty() {
        leads::routing::answered(tx, &answered, &answered_at).await?;
    }
    Ok(())
}

async fn store_watermark(
    tx: &mut sqlx::PgConnection,
    r: Route,
    contact: &str,
    status: Delivery,
    watermark_ms: i64,
) -> Result<usize, AppError> {
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
    Ok(usize::try_from(moved).unwrap_or(0))
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
    publish_many(svc, &[(tenant, event)]).await;
}

/// Tells every instance about each of `events`, in order, in one round trip to Redis (a
/// pipeline), after the changes are committed. A failure is logged: the inboxes catch up when
/// they next load.
pub async fn publish_many(svc: &Services, events: &[(TenantId, InboxEvent)]) {
    if events.is_empty() {
        return;
    }
    let channel = inbox_channel(&svc.settings.redis_prefix);
    let mut pipe = redis::pipe();
    for (tenant, event) in events {
        let notice = InboxNotice {
            tenant: tenant.0,
            event: *event,
        };
        if let Ok(payload) = serde_json::to_string(&notice) {
            pipe.publish(&channel, payload).ignore();
        }
    }
    let mut r = svc.redis.clone();
    let sent: Result<(), _> = pipe.query_async(&mut r).await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, events = events.len(), "could not publish inbox events");
    }
}

#[cfg(test)]
mod tests {
    use super::SweepFloor;

    #[test]
    fn a_sweep_starts_where_the_claims_had_reached_two_sweeps_before() {
        let mut floor = SweepFloor::default();
        // The first sweep starts from the first event.
        assert_eq!(floor.start(0), 0);
        assert_eq!(floor.start(100), 0);
        assert_eq!(floor.start(250), 0);
        assert_eq!(floor.start(400), 100);
        assert_eq!(floor.start(550), 250);
        // Claims that went nowhere (nothing new) keep the floor where it was.
        assert_eq!(floor.start(550), 400);
        assert_eq!(floor.start(550), 550);
    }

    #[test]
    fn every_so_often_and_after_a_failure_a_sweep_starts_from_the_first_event() {
        let mut floor = SweepFloor::default();
        let mut froms = Vec::new();
        for i in 0..=i64::from(SweepFloor::FULL_EVERY) {
            froms.push(floor.start(i * 10));
        }
        let full: Vec<usize> = froms
            .iter()
            .enumerate()
            .filter(|(_, f)| **f == 0)
            .map(|(i, _)| i)
            .collect();
        // Sweep 0, then the two whose floor is still 0 (nothing reached yet), then sweep 30.
        assert_eq!(full, [0, 1, 2, SweepFloor::FULL_EVERY as usize]);
        assert_eq!(froms[5], 30);

        floor.failed();
        assert_eq!(floor.start(1_000), 0);
        // Only the next one.
        assert_eq!(floor.start(1_100), 300);
    }
}
