//! The media contacts send, against real Postgres and a stand-in for Meta's Graph API on a local
//! port: kept waiting (and saying so) while the channel has no access token, then fetched with
//! it: a WhatsApp media id looked up and downloaded with the token, a Messenger attachment's URL
//! downloaded without it. A failed try is tried again later, what Meta refuses or what is too
//! large is marked so with the reason, and the bytes reach only those who may see the
//! conversation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use common::{all_rows, leads_grant, member, services, team};
use domain::leads::ChannelKind;
use domain::server::channels::{intake, media};
use domain::server::leads::{inbox, replies};
use domain::server::Services;
use domain::AppError;
use serde_json::{json, Value};
use sqlx::PgPool;

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
const PDF: &[u8] = b"%PDF-1.7 brief";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G'];

/// What the stand-in was asked (path and the Authorization header), and how often each path.
#[derive(Default)]
struct Graph {
    base: Mutex<String>,
    seen: Mutex<Vec<(String, String)>>,
    tries: Mutex<HashMap<String, u32>>,
}

async fn graph_get(
    State(g): State<Arc<Graph>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    g.seen.lock().unwrap().push((path.clone(), auth.clone()));
    let tries = {
        let mut t = g.tries.lock().unwrap();
        let n = t.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let base = g.base.lock().unwrap().clone();
    // The media CDN and Graph itself want the token; the page's attachment URL does not.
    if !path.starts_with("cdn/") && auth != "Bearer EAAB-secret" {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": { "message": "Invalid OAuth access token." } })),
        )
            .into_response();
    }
    match path.as_str() {
        "MEDIA1" => Json(
            json!({ "url": format!("{base}/dl/MEDIA1"), "mime_type": "image/jpeg",
                                 "file_size": JPEG.len(), "id": "MEDIA1" }),
        )
        .into_response(),
        "dl/MEDIA1" => ([("content-type", "application/octet-stream")], JPEG).into_response(),
        // Meta is down the first time.
        "MEDIA2" if tries == 1 => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": { "message": "Service temporarily unavailable" } })),
        )
            .into_response(),
        "MEDIA2" => {
            Json(json!({ "url": format!("{base}/dl/MEDIA2"), "mime_type": "application/pdf" }))
                .into_response()
        }
        "dl/MEDIA2" => ([("content-type", "application/pdf")], PDF).into_response(),
        "BIG" => Json(
            json!({ "url": format!("{base}/dl/BIG"), "mime_type": "video/mp4",
                              "file_size": 200_000_000u64 }),
        )
        .into_response(),
        "cdn/pic.png" => ([("content-type", "image/png")], PNG).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": { "message": "Media not found." } })),
        )
            .into_response(),
    }
}

/// `svc` fetching from a stand-in Graph API.
async fn with_graph(svc: &Services) -> (Services, Arc<Graph>) {
    let g = Arc::new(Graph::default());
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::get(graph_get))
        .with_state(g.clone());
    let (svc, base) = common::stand_in_graph(svc, app).await;
    *g.base.lock().unwrap() = base;
    (svc, g)
}

async fn deliver_in(svc: &Services, kind: ChannelKind, body: Value) {
    common::deliver(svc, kind, &body).await;
}

/// Each message's kind and where its media stands (state, error, type), oldest first.
type MediaRow = (String, Option<(String, Option<String>, Option<String>)>);

async fn media_of(
    svc: &Services,
    grant: &domain::server::guard::TenantGrant,
    me: domain::types::UserId,
    lead: uuid::Uuid,
) -> (Vec<MediaRow>, Vec<Option<String>>) {
    let c = inbox::conversation(svc, grant, me, lead).await.unwrap();
    let rows = c
        .messages
        .iter()
        .map(|m| {
            (
                m.kind.clone(),
                m.media
                    .as_ref()
                    .map(|x| (x.state.clone(), x.error.clone(), x.mime.clone())),
            )
        })
        .collect();
    let notes = c
        .messages
        .iter()
        .map(|m| m.media.as_ref().and_then(|x| x.note(&m.kind, m.channel)))
        .collect();
    (rows, notes)
}

#[sqlx::test(migrations = "../migrations")]
async fn media_is_fetched_with_the_channels_token_kept_for_the_team_and_retried(owner: PgPool) {
    let svc = services(&owner).await;
    // The owner in platform scope: every row, as the checks below read them.
    let owner = all_rows(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let sam = member(&svc, &owner, t, "sam@example.com", "Sam", "SDR").await;
    let wa = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let page = intake::connect(&svc, t, ChannelKind::Messenger, "PAGE1", "Facebook page")
        .await
        .unwrap();
    let (svc, graph) = with_graph(&svc).await;
    let base = graph.base.lock().unwrap().clone();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ts = |n: i64| (now - 100 + n).to_string();
    let wa_media = |id: &str, n: i64, kind: &str, media: Value| {
        let mut m = json!({ "from": "14155552671", "id": id, "timestamp": ts(n), "type": kind });
        m[kind] = media;
        m
    };
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
            { "field": "messages", "value": {
                "metadata": { "phone_number_id": "PN1" },
                "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
                "messages": [
                    { "from": "14155552671", "id": "w0", "timestamp": ts(0), "type": "text", "text": { "body": "Here you go" } },
                    wa_media("w1", 1, "image", json!({ "id": "MEDIA1", "mime_type": "image/jpeg", "caption": "our logo" })),
                    wa_media("w2", 2, "document", json!({ "id": "MEDIA2", "filename": "brief.pdf" })),
                    wa_media("w3", 3, "audio", json!({ "id": "GONE" })),
                    wa_media("w4", 4, "video", json!({ "id": "BIG" }))
                ] } } ] } ] }),
    )
    .await;
    deliver_in(&svc, ChannelKind::Messenger, json!({ "object": "page", "entry": [ { "id": "PAGE1", "time": now * 1000,
        "messaging": [ { "sender": { "id": "PSID9" }, "recipient": { "id": "PAGE1" }, "timestamp": (now - 50) * 1000,
                         "message": { "mid": "m1", "attachments": [
                             { "type": "image", "payload": { "url": format!("{base}/cdn/pic.png") } } ] } } ] } ] })).await;
    let lead_of = |contact: &'static str| {
        let owner = owner.clone();
        async move {
            sqlx::query_scalar::<_, uuid::Uuid>(
                "SELECT lead_id FROM channel_messages WHERE contact = $1 AND lead_id IS NOT NULL LIMIT 1",
            )
            .bind(contact)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let (ana, bo) = (lead_of("14155552671").await, lead_of("PSID9").await);
    let (gb, gs) = (
        leads_grant(&svc, &boss).await,
        leads_grant(&svc, &sam).await,
    );

    // Without a token the media waits, and the inbox says what it waits for.
    let (rows, notes) = media_of(&svc, &gb, boss.id, ana).await;
    let waiting = Some(("waiting".to_owned(), None, None));
    assert_eq!(
        rows,
        [
            ("text".to_owned(), None),
            ("image".to_owned(), waiting.clone()),
            ("document".to_owned(), waiting.clone()),
            ("audio".to_owned(), waiting.clone()),
            ("video".to_owned(), waiting.clone()),
        ]
    );
    assert_eq!(
        notes[1].as_deref(),
        Some("This image is fetched once the channel has an access token (Channels).")
    );
    assert_eq!(
        media::fetch_pending(&svc, 10).await.unwrap(),
        media::Fetched::default()
    );
    assert!(graph.seen.lock().unwrap().is_empty());

    // With the tokens set, each medium is fetched once; Meta's failure is tried again later.
    for channel in [wa.id, page.id] {
        replies::set_token(&svc, &gb, channel, "EAAB-secret")
            .await
            .unwrap();
    }
    assert_eq!(
        media::fetch_pending(&svc, 10).await.unwrap(),
        media::Fetched {
            fetched: 2,
            retried: 1,
            failed: 2
        }
    );
    let (rows, notes) = media_of(&svc, &gb, boss.id, ana).await;
    assert_eq!(
        rows[1].1,
        Some(("fetched".to_owned(), None, Some("image/jpeg".to_owned())))
    );
    assert_eq!(notes[1], None);
    assert_eq!(
        notes[2].as_deref(),
        Some("Fetching this document again shortly (Service temporarily unavailable)")
    );
    assert_eq!(
        notes[3].as_deref(),
        Some("This audio message could not be fetched: Media not found.")
    );
    assert_eq!(
        notes[4].as_deref(),
        Some("This video is larger than the inbox keeps (16 MB); open it in WhatsApp.")
    );
    // The token went to Graph and its media URL, never to the page's attachment URL.
    let seen = graph.seen.lock().unwrap().clone();
    let auth_of = |p: &str| {
        seen.iter()
            .find(|(path, _)| path == p)
            .map(|(_, a)| a.clone())
    };
    assert_eq!(auth_of("MEDIA1").as_deref(), Some("Bearer EAAB-secret"));
    assert_eq!(auth_of("dl/MEDIA1").as_deref(), Some("Bearer EAAB-secret"));
    assert_eq!(auth_of("cdn/pic.png").as_deref(), Some(""));
    assert!(
        auth_of("dl/BIG").is_none(),
        "what Meta says is too large is not downloaded"
    );

    // The bytes, for the owner; the SDR sees conversations assigned to them only.
    let image = sqlx::query_scalar::<_, uuid::Uuid>(
        "SELECT id FROM channel_messages WHERE provider_id = 'w1'",
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    let f = inbox::media(&svc, &gb, boss.id, image).await.unwrap();
    assert_eq!(
        (f.kind.as_str(), f.mime.as_str(), f.bytes.as_slice(), f.name),
        ("image", "image/jpeg", JPEG, None)
    );
    assert!(matches!(
        inbox::media(&svc, &gs, sam.id, image).await,
        Err(AppError::NotFound)
    ));
    let (rows, _) = media_of(&svc, &gb, boss.id, bo).await;
    assert_eq!(
        rows,
        [(
            "image".to_owned(),
            Some(("fetched".to_owned(), None, Some("image/png".to_owned())))
        )]
    );

    // Nothing is fetched twice, and the document waits its turn; when it is due, it comes.
    assert_eq!(
        media::fetch_pending(&svc, 10).await.unwrap(),
        media::Fetched::default()
    );
    sqlx::query("UPDATE channel_messages SET media_next_at = now() WHERE provider_id = 'w2'")
        .execute(&owner)
        .await
        .unwrap();
    assert_eq!(
        media::fetch_pending(&svc, 10).await.unwrap(),
        media::Fetched {
            fetched: 1,
            ..Default::default()
        }
    );
    let document = sqlx::query_scalar::<_, uuid::Uuid>(
        "SELECT id FROM channel_messages WHERE provider_id = 'w2'",
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    let f = inbox::media(&svc, &gb, boss.id, document).await.unwrap();
    assert_eq!(
        (f.mime.as_str(), f.bytes.as_slice()),
        ("application/pdf", PDF)
    );
    assert_eq!(graph.tries.lock().unwrap()["MEDIA1"], 1);
}
