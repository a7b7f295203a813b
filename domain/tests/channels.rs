//! The intake of Meta's webhooks against real Postgres and Redis: bodies stored once, every
//! message and status routed to the tenant whose channel the payload names, statuses that never
//! move backwards, and what reaches no channel kept raw for the admins.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{services, team};
use domain::leads::ChannelKind;
use domain::server::channels::intake::{self, InboxEvent, InboxNotice, Received};
use domain::server::{db, Services};
use domain::types::TenantId;
use domain::AppError;
use futures::StreamExt;
use serde_json::{json, Value};
use sqlx::PgPool;

#[derive(Debug, PartialEq)]
struct Row {
    provider_id: String,
    status_only: bool,
    direction: Option<String>,
    contact: Option<String>,
    contact_name: Option<String>,
    kind: Option<String>,
    body: Option<String>,
    media: Option<String>,
    status: Option<String>,
}

/// The messages `tenant` can read, oldest first (as the tenant's own transactions see them).
async fn inbox(svc: &Services, tenant: TenantId) -> Vec<Row> {
    let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT provider_id, status_only, direction, contact, contact_name, kind, body, media, status
           FROM channel_messages ORDER BY provider_id"#
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rows
}

fn whatsapp(phone_number_id: &str, messages: Value, statuses: Value) -> Vec<u8> {
    json!({ "object": "whatsapp_business_account", "entry": [ { "id": "WABA", "changes": [
        { "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550001111", "phone_number_id": phone_number_id },
            "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
            "messages": messages, "statuses": statuses } } ] } ] })
    .to_string()
    .into_bytes()
}

fn text(id: &str, ts: i64, body: &str) -> Value {
    json!({ "from": "14155552671", "id": id, "timestamp": ts.to_string(), "type": "text", "text": { "body": body } })
}

fn status(id: &str, ts: i64, s: &str) -> Value {
    json!({ "id": id, "status": s, "timestamp": ts.to_string(), "recipient_id": "14155552671" })
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stored_event_reaches_each_tenants_channel_once_and_is_heard_live(owner: PgPool) {
    let svc = services(&owner).await;
    let (a, b) = (team(&svc, "team-a").await, team(&svc, "team-b").await);
    let wa = intake::connect(&svc, a, ChannelKind::Whatsapp, " PN1 ", "Sales line")
        .await
        .unwrap();
    assert_eq!(wa.external_id, "PN1");
    let wb = intake::connect(&svc, b, ChannelKind::Whatsapp, "PN2", "Support")
        .await
        .unwrap();
    // A Meta id routes to one team only.
    let e = intake::connect(&svc, b, ChannelKind::Whatsapp, "PN1", "Mine")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.contains("already connected")),
        "{e:?}"
    );
    let e = intake::connect(&svc, b, ChannelKind::Messenger, "", "")
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("external_id"),
        Some("Enter the Facebook page id.")
    );
    assert!(e.message_for("name").is_some());

    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut sub = redis::Client::open(url)
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    sub.subscribe(intake::inbox_channel(&svc.settings.redis_prefix))
        .await
        .unwrap();

    // Two entries, three changes: team A's number, team B's number, and a field no code reads.
    let body = json!({ "object": "whatsapp_business_account", "entry": [
        { "id": "WABA1", "changes": [
            { "field": "messages", "value": {
                "metadata": { "phone_number_id": "PN1" },
                "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
                "messages": [
                    text("wamid.1", 1_764_590_400, "Hi, price?"),
                    { "from": "14155552671", "id": "wamid.2", "timestamp": "1764590401", "type": "image",
                      "image": { "id": "MEDIA9", "mime_type": "image/jpeg", "caption": "our logo" } },
                    { "from": "14155552671", "id": "wamid.3", "timestamp": "1764590402", "type": "interactive",
                      "interactive": { "type": "list_reply", "list_reply": { "id": "pro", "title": "Pro plan" } } },
                    { "from": "14155552671", "id": "wamid.4", "timestamp": "1764590403", "type": "reaction",
                      "reaction": { "message_id": "wamid.1", "emoji": "👍" } }
                ],
                "statuses": [ status("wamid.out1", 1_764_590_500, "delivered") ] } },
            { "field": "account_update", "value": { "event": "VERIFIED_ACCOUNT" } } ] },
        { "id": "WABA2", "changes": [
            { "field": "messages", "value": { "metadata": { "phone_number_id": "PN2" },
              "contacts": [ { "profile": { "name": "Ana at B" }, "wa_id": "14155552671" } ],
              "messages": [ { "from": "447911123456", "id": "wamid.9", "timestamp": "1764590600",
                              "type": "text", "text": { "body": "second entry" } },
                            // The same person writes to the other team: a lead of its own there.
                            text("wamid.10", 1_764_590_601, "Hello B") ] } } ] }
    ] })
    .to_string();
    let first = intake::receive(&svc, ChannelKind::Whatsapp, body.as_bytes())
        .await
        .unwrap();
    assert!(matches!(first, Received::Stored(_)), "{first:?}");
    // Meta retries until it gets a 200: the same body again is stored once.
    assert_eq!(
        intake::receive(&svc, ChannelKind::Whatsapp, body.as_bytes())
            .await
            .unwrap(),
        Received::Duplicate
    );
    // Nothing is in an inbox until the worker has read the store.
    assert!(inbox(&svc, a).await.is_empty());

    let done = intake::process_pending(&svc, 100).await.unwrap();
    assert_eq!(
        (
            done.events,
            done.messages,
            done.statuses,
            done.leftovers,
            done.failed
        ),
        (1, 6, 1, 1, 0)
    );
    assert_eq!(done.touched.len(), 2);

    let rows = inbox(&svc, a).await;
    let ids: Vec<&str> = rows.iter().map(|r| r.provider_id.as_str()).collect();
    assert_eq!(
        ids,
        ["wamid.1", "wamid.2", "wamid.3", "wamid.4", "wamid.out1"]
    );
    assert_eq!(
        rows[0],
        Row {
            provider_id: "wamid.1".into(),
            status_only: false,
            direction: Some("in".into()),
            contact: Some("14155552671".into()),
            contact_name: Some("Ana".into()),
            kind: Some("text".into()),
            body: Some("Hi, price?".into()),
            media: None,
            status: None,
        }
    );
    assert_eq!(
        (
            rows[1].kind.as_deref(),
            rows[1].media.as_deref(),
            rows[1].body.as_deref()
        ),
        (Some("image"), Some("MEDIA9"), Some("our logo"))
    );
    assert_eq!(rows[2].body.as_deref(), Some("Pro plan"));
    assert_eq!(
        (rows[3].kind.as_deref(), rows[3].body.as_deref()),
        (Some("reaction"), Some("👍"))
    );
    // A status for a message this inbox has not seen yet waits for it.
    assert!(rows[4].status_only && rows[4].status.as_deref() == Some("delivered"));
    let theirs = inbox(&svc, b).await;
    let bodies: Vec<Option<&str>> = theirs.iter().map(|r| r.body.as_deref()).collect();
    assert_eq!(bodies, [Some("Hello B"), Some("second entry")]);
    assert_ne!(wa.id, wb.id);
    // The sender is a lead, found by phone in E.164, with her profile name, and every message she
    // sent is in her conversation.
    let mut tx = db::tenant_tx(&svc.db, a).await.unwrap();
    let ana = sqlx::query!(
        r#"SELECT l.id, l.name, l.source, l.last_inbound_at FROM leads l
           JOIN lead_identities i ON i.lead_id = l.id WHERE i.identity = 'phone:+14155552671'"#
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        (ana.name.as_deref(), ana.source.as_str()),
        (Some("Ana"), "whatsapp")
    );
    assert_eq!(
        ana.last_inbound_at.map(|t| t.unix_timestamp()),
        Some(1_764_590_403)
    );
    let hers: Vec<String> = sqlx::query_scalar!(
        "SELECT provider_id FROM channel_messages WHERE lead_id = $1 ORDER BY provider_id",
        ana.id
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(hers, ["wamid.1", "wamid.2", "wamid.3", "wamid.4"]);
    tx.commit().await.unwrap();
    // Team B's lead for the same number, made in the same statement as team A's, is its own:
    // its name and message, none of team A's.
    let mut tx = db::tenant_tx(&svc.db, b).await.unwrap();
    let hers_at_b = sqlx::query!(
        r#"SELECT l.id, l.name, array_agg(m.provider_id ORDER BY m.provider_id) AS "messages!"
           FROM leads l JOIN lead_identities i ON i.lead_id = l.id
           JOIN channel_messages m ON m.lead_id = l.id
           WHERE i.identity = 'phone:+14155552671' GROUP BY l.id, l.name"#
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_ne!(hers_at_b.id, ana.id);
    assert_eq!(
        (hers_at_b.name.as_deref(), hers_at_b.messages.as_slice()),
        (Some("Ana at B"), ["wamid.10".to_owned()].as_slice())
    );

    // Each team's open inboxes hear which of its channels changed.
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), sub.on_message().next())
            .await
            .expect("inbox events within 5 s")
            .unwrap();
        let notice: InboxNotice =
            serde_json::from_str(&msg.get_payload::<String>().unwrap()).unwrap();
        heard.push(notice);
    }
    heard.sort_by_key(|n| n.tenant != a.0);
    assert_eq!(
        heard,
        [
            InboxNotice {
                tenant: a.0,
                event: InboxEvent::Channel { channel: wa.id }
            },
            InboxNotice {
                tenant: b.0,
                event: InboxEvent::Channel { channel: wb.id }
            }
        ]
    );

    // The admins see what no code reads, raw; the event is done and not read again.
    let left = intake::leftovers(&svc, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].reason.as_str(), left[0].location.as_str()),
        ("unknown", "entry.changes.field=account_update")
    );
    assert_eq!(left[0].raw["value"]["event"], "VERIFIED_ACCOUNT");
    assert_eq!(intake::process_pending(&svc, 100).await.unwrap().events, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn statuses_never_move_backwards_and_duplicates_change_nothing(owner: PgPool) {
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    intake::connect(&svc, a, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    intake::connect(&svc, a, ChannelKind::Messenger, "PAGE1", "Page")
        .await
        .unwrap();
    let deliver = |body: Vec<u8>, kind| {
        let svc = svc.clone();
        async move {
            intake::receive(&svc, kind, &body).await.unwrap();
            intake::process_pending(&svc, 100).await.unwrap()
        }
    };
    let wa = ChannelKind::Whatsapp;
    let status_of = |rows: &[Row], id: &str| {
        rows.iter()
            .find(|r| r.provider_id == id)
            .and_then(|r| r.status.clone())
    };

    // Out of order: delivered, then sent, then read, then a stale failure.
    deliver(
        whatsapp(
            "PN1",
            json!([]),
            json!([status("wamid.out", 20, "delivered")]),
        ),
        wa,
    )
    .await;
    let late_sent = deliver(
        whatsapp("PN1", json!([]), json!([status("wamid.out", 10, "sent")])),
        wa,
    )
    .await;
    assert_eq!(late_sent.statuses, 0);
    assert_eq!(
        status_of(&inbox(&svc, a).await, "wamid.out").as_deref(),
        Some("delivered")
    );
    deliver(
        whatsapp("PN1", json!([]), json!([status("wamid.out", 30, "read")])),
        wa,
    )
    .await;
    let stale = deliver(
        whatsapp(
            "PN1",
            json!([]),
            json!([{ "id": "wamid.out", "status": "failed", "timestamp": "40",
                     "errors": [ { "code": 131047, "title": "Re-engagement message" } ] }]),
        ),
        wa,
    )
    .await;
    assert_eq!(stale.statuses, 0);
    assert_eq!(
        status_of(&inbox(&svc, a).await, "wamid.out").as_deref(),
        Some("read")
    );

    // A message delivered again inside another payload is stored once and keeps its text.
    let first = deliver(
        whatsapp("PN1", json!([text("wamid.in", 50, "hello")]), json!([])),
        wa,
    )
    .await;
    assert_eq!(first.messages, 1);
    let again = deliver(
        whatsapp(
            "PN1",
            json!([text("wamid.in", 50, "hello (changed in transit)")]),
            json!([status("wamid.other", 51, "sent")]),
        ),
        wa,
    )
    .await;
    assert_eq!((again.events, again.messages, again.statuses), (1, 0, 1));
    let rows = inbox(&svc, a).await;
    let hello: Vec<&Row> = rows
        .iter()
        .filter(|r| r.provider_id == "wamid.in")
        .collect();
    assert_eq!(hello.len(), 1);
    assert_eq!(hello[0].body.as_deref(), Some("hello"));

    // Messenger: the page's own message (an echo), then a read watermark before its delivery
    // receipt: the receipt arrives last and changes nothing.
    let page = |messaging: Value| {
        json!({ "object": "page", "entry": [ { "id": "PAGE1", "time": 1, "messaging": messaging } ] })
            .to_string()
            .into_bytes()
    };
    let echo = deliver(
        page(
            json!([{ "sender": { "id": "PAGE1" }, "recipient": { "id": "PSID1" },
                      "timestamp": 1_764_590_401_000i64,
                      "message": { "mid": "m_2", "text": "hi from the app", "is_echo": true } }]),
        ),
        ChannelKind::Messenger,
    )
    .await;
    assert_eq!(echo.messages, 1);
    let read = deliver(
        page(json!([{ "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" },
                      "timestamp": 1_764_590_405_000i64, "read": { "watermark": 1_764_590_405_000i64 } }])),
        ChannelKind::Messenger,
    )
    .await;
    assert_eq!(read.statuses, 1);
    let receipt = deliver(
        page(
            json!([{ "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" },
                      "timestamp": 1_764_590_406_000i64,
                      "delivery": { "mids": [ "m_2" ], "watermark": 1_764_590_404_000i64 } }]),
        ),
        ChannelKind::Messenger,
    )
    .await;
    assert_eq!(receipt.statuses, 0);
    let rows = inbox(&svc, a).await;
    let m2 = rows.iter().find(|r| r.provider_id == "m_2").unwrap();
    assert_eq!(
        (
            m2.direction.as_deref(),
            m2.status.as_deref(),
            m2.status_only
        ),
        (Some("out"), Some("read"), false)
    );

    // A status that came before its message: the message fills the row, the status stays.
    deliver(
        whatsapp(
            "PN1",
            json!([]),
            json!([status("wamid.early", 60, "delivered")]),
        ),
        wa,
    )
    .await;
    let filled = deliver(
        whatsapp(
            "PN1",
            json!([text("wamid.early", 59, "early bird")]),
            json!([]),
        ),
        wa,
    )
    .await;
    assert_eq!(filled.messages, 1);
    let rows = inbox(&svc, a).await;
    let early = rows
        .iter()
        .find(|r| r.provider_id == "wamid.early")
        .unwrap();
    assert_eq!(
        (
            early.status_only,
            early.body.as_deref(),
            early.status.as_deref()
        ),
        (false, Some("early bird"), Some("delivered"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn what_reaches_no_channel_is_kept_and_workers_never_share_an_event(owner: PgPool) {
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    intake::connect(&svc, a, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();

    // An Instagram account nobody connected, and a body that is not JSON.
    let dm = json!({ "object": "instagram", "entry": [ { "id": "IG404", "time": 1, "messaging": [
        { "sender": { "id": "IGSID1" }, "recipient": { "id": "IG404" }, "timestamp": 1_764_590_400_000i64,
          "message": { "mid": "ig_1", "text": "anyone there?" } } ] } ] })
    .to_string();
    intake::receive(&svc, ChannelKind::Instagram, dm.as_bytes())
        .await
        .unwrap();
    let Received::Stored(broken) = intake::receive(&svc, ChannelKind::Whatsapp, b"{not json")
        .await
        .unwrap()
    else {
        panic!("stored")
    };

    let done = intake::process_pending(&svc, 100).await.unwrap();
    assert_eq!(
        (done.events, done.leftovers, done.failed, done.messages),
        (2, 1, 1, 0)
    );
    let left = intake::leftovers(&svc, 10).await.unwrap();
    assert_eq!(
        (left[0].reason.as_str(), left[0].external_id.as_deref()),
        ("unrouted", Some("IG404"))
    );
    assert_eq!(left[0].raw["text"], "anyone there?");
    let all = common::all_rows(&owner).await;
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM webhook_events WHERE id = $1")
            .bind(broken)
            .fetch_one(&all)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("not JSON"));
    // The raw events are the platform's: a tenant's transaction sees none of them.
    let mut tx = db::tenant_tx(&svc.db, a).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_events")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    tx.commit().await.unwrap();

    // Forty events, two workers at once, ten at a time: each event is processed exactly once.
    for i in 0..40 {
        let body = whatsapp(
            "PN1",
            json!([text(&format!("wamid.c{i}"), 100 + i, "hi")]),
            json!([]),
        );
        intake::receive(&svc, ChannelKind::Whatsapp, &body)
            .await
            .unwrap();
    }
    // Each worker starts its claims after the last event it read, as the server's does.
    let worker = |svc: Services| async move {
        let mut total = intake::Processed::default();
        let mut after = 0;
        loop {
            let done = intake::process_pending_after(&svc, after, 10)
                .await
                .unwrap();
            if done.events == 0 {
                return total;
            }
            after = done.last.unwrap();
            total.events += done.events;
            total.messages += done.messages;
        }
    };
    let (x, y) = tokio::join!(
        tokio::spawn(worker(svc.clone())),
        tokio::spawn(worker(svc.clone()))
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!((x.events + y.events, x.messages + y.messages), (40, 40));
    assert_eq!(inbox(&svc, a).await.len(), 40);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_claim_after_a_mark_leaves_older_events_to_a_sweep_below_it(owner: PgPool) {
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    intake::connect(&svc, a, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = whatsapp(
            "PN1",
            json!([text(&format!("wamid.m{i}"), 100 + i, "hi")]),
            json!([]),
        );
        let Received::Stored(id) = intake::receive(&svc, ChannelKind::Whatsapp, &body)
            .await
            .unwrap()
        else {
            panic!("stored")
        };
        ids.push(id);
    }

    // Another instance holds the first event (its batch will fail); this worker takes the
    // others and reports the last id it read.
    let all = common::all_rows(&owner).await;
    let mut other = db::begin(&all).await.unwrap();
    sqlx::query("SELECT id FROM webhook_events WHERE id = $1 FOR UPDATE")
        .bind(ids[0])
        .execute(&mut *other)
        .await
        .unwrap();
    let done = intake::process_pending_after(&svc, 0, 10).await.unwrap();
    assert_eq!(
        (done.events, done.messages, done.last),
        (2, 2, Some(ids[2]))
    );
    other.rollback().await.unwrap();

    // The first event is pending again, below the mark: a claim after the mark does not see
    // it, nor does a sweep that stops short of it; a sweep up to it takes it, once.
    let done = intake::process_pending_after(&svc, ids[2], 10)
        .await
        .unwrap();
    assert_eq!((done.events, done.last), (0, None));
    let done = intake::process_pending_between(&svc, 0, ids[0] - 1, 10)
        .await
        .unwrap();
    assert_eq!((done.events, done.last), (0, None));
    let done = intake::process_pending_between(&svc, 0, ids[0], 10)
        .await
        .unwrap();
    assert_eq!(
        (done.events, done.messages, done.last),
        (1, 1, Some(ids[0]))
    );
    assert_eq!(intake::process_pending(&svc, 10).await.unwrap().events, 0);
    let got: Vec<String> = inbox(&svc, a)
        .await
        .into_iter()
        .map(|r| r.provider_id)
        .collect();
    assert_eq!(got, ["wamid.m0", "wamid.m1", "wamid.m2"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn bodies_received_together_share_a_commit_and_a_batch_finds_each_person_once(owner: PgPool) {
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    intake::connect(&svc, a, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let woken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let store = {
        let woken = woken.clone();
        intake::Store::start(svc.clone(), move || {
            woken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let from = |who: &str, name: &str, id: &str, ts: i64, body: &str| {
        json!({ "object": "whatsapp_business_account", "entry": [ { "id": "WABA", "changes": [
            { "field": "messages", "value": {
                "metadata": { "phone_number_id": "PN1" },
                "contacts": [ { "profile": { "name": name }, "wa_id": who } ],
                "messages": [ { "from": who, "id": id, "timestamp": ts.to_string(), "type": "text",
                                "text": { "body": body } } ] } } ] } ] })
        .to_string()
        .into_bytes()
    };
    // Ana writes five times, Ben once, Ana's third message arrives twice in two bodies, and
    // one body is delivered twice (a retry): all at the same moment.
    let mut bodies = Vec::new();
    for n in 0..5 {
        bodies.push(from(
            "14155552671",
            "Ana",
            &format!("wamid.a{n}"),
            1_764_590_400 + n,
            &format!("Ana {n}: we need a booking app"),
        ));
    }
    bodies.push(from(
        "447911123456",
        "Ben",
        "wamid.b0",
        1_764_590_500,
        "Hello",
    ));
    bodies.push(whatsapp(
        "PN1",
        json!([text("wamid.a2", 1_764_590_402, "Ana 2 again")]),
        json!([
            status("wamid.out", 30, "read"),
            status("wamid.out", 10, "sent"),
            status("wamid.out", 20, "delivered")
        ]),
    ));
    bodies.push(bodies[5].clone());
    let answers = futures::future::join_all(
        bodies
            .iter()
            .map(|b| store.receive(ChannelKind::Whatsapp, b.clone())),
    )
    .await;
    let answers: Vec<Received> = answers.into_iter().map(Result::unwrap).collect();
    let stored: Vec<i64> = answers
        .iter()
        .filter_map(|r| match r {
            Received::Stored(id) => Some(*id),
            Received::Duplicate => None,
        })
        .collect();
    assert_eq!(stored.len(), 7, "{answers:?}");
    assert_eq!(answers[7], Received::Duplicate);
    // Stored in the order received, so they are processed in that order.
    assert!(stored.windows(2).all(|w| w[0] < w[1]), "{stored:?}");
    assert!(woken.load(std::sync::atomic::Ordering::SeqCst) >= 1);

    let done = intake::process_pending(&svc, 500).await.unwrap();
    assert_eq!(
        (done.events, done.messages, done.statuses, done.failed),
        (7, 6, 1, 0)
    );
    let rows = inbox(&svc, a).await;
    assert_eq!(rows.len(), 7, "six messages and one status-only row");
    let out = rows.iter().find(|r| r.provider_id == "wamid.out").unwrap();
    assert_eq!(out.status.as_deref(), Some("read"));
    let ana2 = rows.iter().find(|r| r.provider_id == "wamid.a2").unwrap();
    assert_eq!(ana2.body.as_deref(), Some("Ana 2: we need a booking app"));

    // One lead per person, named after their profile, each created once and marked for scoring.
    let all = common::all_rows(&owner).await;
    let leads: Vec<(String, i64, i64, bool)> = sqlx::query_as(
        r#"SELECT l.name,
                  (SELECT count(*) FROM channel_messages m WHERE m.lead_id = l.id),
                  (SELECT count(*) FROM lead_events e WHERE e.lead_id = l.id AND e.kind = 'created'),
                  l.score_requested_at IS NOT NULL AND l.last_inbound_at IS NOT NULL
           FROM leads l ORDER BY l.name"#,
    )
    .fetch_all(&all)
    .await
    .unwrap();
    assert_eq!(
        leads,
        vec![("Ana".into(), 5, 1, true), ("Ben".into(), 1, 1, true)]
    );
    let last: (time::OffsetDateTime,) =
        sqlx::query_as("SELECT last_inbound_at FROM leads WHERE name = 'Ana'")
            .fetch_one(&all)
            .await
            .unwrap();
    assert_eq!(last.0.unix_timestamp(), 1_764_590_404);

    // Ana writes again later: the same lead, found through her number.
    store
        .receive(
            ChannelKind::Whatsapp,
            from(
                "14155552671",
                "Ana B.",
                "wamid.a9",
                1_764_590_900,
                "still there?",
            ),
        )
        .await
        .unwrap();
    intake::process_pending(&svc, 500).await.unwrap();
    let ana: (String, i64) = sqlx::query_as(
        r#"SELECT l.name, (SELECT count(*) FROM channel_messages m WHERE m.lead_id = l.id)
           FROM leads l WHERE l.name LIKE 'Ana%'"#,
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(ana, ("Ana".into(), 6));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_transactions_scope_lazy_commit_and_keyed_plans_are_its_own_and_the_stores_commits_wait_for_the_disk(
    owner: PgPool,
) {
    // One connection, so the transaction after the lazy one reuses it.
    let opts = owner.connect_options().as_ref().clone();
    let pool = db::app_pool(opts, 1).await.unwrap();
    let mut tx = db::lazy_platform_tx(&pool).await.unwrap();
    assert_eq!(setting(&mut tx, "synchronous_commit").await, "off");
    assert_eq!(setting(&mut tx, "enable_seqscan").await, "on");
    tx.commit().await.unwrap();
    // The next transaction on that connection (a webhook body being stored, say) waits for the
    // disk again.
    let mut tx = db::platform_tx(&pool).await.unwrap();
    assert_eq!(setting(&mut tx, "synchronous_commit").await, "on");
    assert_eq!(setting(&mut tx, "app.scope").await, "platform");
    tx.commit().await.unwrap();
    // The intake's transaction plans by key, and only it: on an empty table, a batch's leads
    // found by id through the index, where any other transaction reads the whole table (the
    // plan that outgrows the table when a connection keeps it).
    let by_id = "EXPLAIN UPDATE leads l SET name = l.name \
                 FROM unnest(ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 50))) AS n(id) \
                 WHERE l.id = n.id";
    let mut tx = db::lazy_keyed_platform_tx(&pool).await.unwrap();
    assert_eq!(setting(&mut tx, "synchronous_commit").await, "off");
    assert_eq!(setting(&mut tx, "app.scope").await, "platform");
    let plan = plan_of(&mut tx, by_id).await;
    assert!(plan.contains("Index Scan using leads_pkey"), "{plan}");
    tx.commit().await.unwrap();
    let mut tx = db::platform_tx(&pool).await.unwrap();
    assert_eq!(setting(&mut tx, "enable_seqscan").await, "on");
    let plan = plan_of(&mut tx, by_id).await;
    assert!(plan.contains("Seq Scan on leads"), "{plan}");
    tx.commit().await.unwrap();
    // A lazy tenant transaction has its tenant and its lazy commit, and neither outlives it.
    let tenant = TenantId(uuid::Uuid::now_v7());
    let mut tx = db::lazy_tenant_tx(&pool, tenant).await.unwrap();
    assert_eq!(setting(&mut tx, "synchronous_commit").await, "off");
    assert_eq!(
        setting(&mut tx, "app.tenant_id").await,
        tenant.0.to_string()
    );
    assert_eq!(setting(&mut tx, "app.scope").await, "");
    tx.rollback().await.unwrap();
    let mut tx = db::tenant_tx(&pool, tenant).await.unwrap();
    assert_eq!(setting(&mut tx, "synchronous_commit").await, "on");
    tx.commit().await.unwrap();
    let mut tx = db::platform_tx(&pool).await.unwrap();
    assert_eq!(setting(&mut tx, "app.tenant_id").await, "");
    tx.commit().await.unwrap();
}

/// The plan Postgres makes for `explain` (an `EXPLAIN` statement), one line per node.
async fn plan_of(tx: &mut sqlx::PgConnection, explain: &str) -> String {
    sqlx::query_scalar::<_, String>(explain)
        .fetch_all(tx)
        .await
        .unwrap()
        .join("\n")
}

/// A setting of the transaction, as `current_setting` reads it (blank for a custom one not set).
async fn setting(tx: &mut sqlx::PgConnection, name: &str) -> String {
    sqlx::query_scalar::<_, Option<String>>("SELECT current_setting($1, true)")
        .bind(name)
        .fetch_one(tx)
        .await
        .unwrap()
        .unwrap_or_default()
}
