//! Replies from the inbox against real Postgres, and a stand-in for Meta's Graph API on a local
//! port: a reply inside the window is queued at once (and waits, saying why, while the channel
//! has no access token), then goes out with the channel's token, retried when Meta fails and
//! failed with Meta's words when Meta refuses; statuses move it on and never back. Outside the
//! window only templates go, with their variables filled in; a text whose window closed while it
//! waited is not sent. Messenger's human-agent tag stretches the window to 7 days.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use common::{all_rows, leads_grant, member, services, team};
use domain::leads::reply::{Compose, TemplateSpec};
use domain::leads::{ChannelKind, Window};
use domain::server::channels::intake;
use domain::server::leads::replies::{self, Delivered};
use domain::server::leads::{inbox, scoring};
use domain::server::Services;
use domain::AppError;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// What the stand-in Graph API received, and what it answers next (else a new message id).
#[derive(Default)]
struct Graph {
    seen: Mutex<Vec<(String, String, Value)>>,
    script: Mutex<VecDeque<(u16, Value)>>,
    /// The multipart forms it took: the path, the text fields, and the file (its field, name,
    /// type and bytes).
    forms: Mutex<Vec<Form>>,
}

#[derive(Debug, Clone)]
struct Form {
    path: String,
    auth: String,
    fields: Vec<(String, String)>,
    file: Option<(String, String, String, Vec<u8>)>,
}

fn auth_of(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Meta's `/{sender}/messages`: a JSON message (WhatsApp, or a Messenger text), or a multipart
/// form that uploads and sends a file (Messenger, Instagram).
async fn graph_send(
    State(g): State<Arc<Graph>>,
    Path(sender): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> (StatusCode, Json<Value>) {
    let auth = auth_of(&headers);
    let multipart = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let form = read_form(format!("{sender}/messages"), auth, request).await;
        let n = {
            let mut forms = g.forms.lock().unwrap();
            forms.push(form);
            forms.len()
        };
        let next = g.script.lock().unwrap().pop_front();
        let (status, answer) = next.unwrap_or_else(|| {
            (
                200,
                json!({ "recipient_id": "PSID", "message_id": format!("mid.FILE{n}") }),
            )
        });
        return (StatusCode::from_u16(status).unwrap(), Json(answer));
    }
    let Json(body) = Json::<Value>::from_request(request, &()).await.unwrap();
    let n = {
        let mut seen = g.seen.lock().unwrap();
        seen.push((sender, auth, body));
        seen.len()
    };
    let next = g.script.lock().unwrap().pop_front();
    let (status, answer) = next.unwrap_or_else(|| {
        (
            200,
            json!({ "messages": [{ "id": format!("wamid.OUT{n}") }] }),
        )
    });
    (StatusCode::from_u16(status).unwrap(), Json(answer))
}

/// WhatsApp's `/{phone number id}/media`: takes a file, answers its media id.
async fn graph_media(
    State(g): State<Arc<Graph>>,
    Path(sender): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> (StatusCode, Json<Value>) {
    let form = read_form(format!("{sender}/media"), auth_of(&headers), request).await;
    let n = {
        let mut forms = g.forms.lock().unwrap();
        forms.push(form);
        forms.len()
    };
    let next = g.script.lock().unwrap().pop_front();
    let (status, answer) = next.unwrap_or_else(|| (200, json!({ "id": format!("MEDIA{n}") })));
    (StatusCode::from_u16(status).unwrap(), Json(answer))
}

async fn read_form(path: String, auth: String, request: Request) -> Form {
    let mut multipart = Multipart::from_request(request, &()).await.unwrap();
    let mut form = Form {
        path,
        auth,
        fields: Vec::new(),
        file: None,
    };
    while let Some(field) = multipart.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let kind = field.content_type().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.unwrap().to_vec();
                form.file = Some((name, file_name, kind, bytes));
            }
            None => form.fields.push((name, field.text().await.unwrap())),
        }
    }
    form
}

/// `svc` sending to a stand-in Graph API.
async fn with_graph(svc: &Services) -> (Services, Arc<Graph>) {
    let g = Arc::new(Graph::default());
    let app = axum::Router::new()
        .route("/{sender}/messages", axum::routing::post(graph_send))
        .route("/{sender}/media", axum::routing::post(graph_media))
        .with_state(g.clone());
    (common::stand_in_graph(svc, app).await.0, g)
}

async fn deliver_in(svc: &Services, kind: ChannelKind, body: Value) {
    common::deliver(svc, kind, &body).await;
}

fn whatsapp(value: Value) -> Value {
    let mut value = value;
    value["metadata"] = json!({ "phone_number_id": "PN1" });
    json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": value } ] } ] })
}

fn wa_text(from: &str, name: &str, id: &str, ts: i64, text: &str) -> Value {
    whatsapp(json!({
        "contacts": [ { "profile": { "name": name }, "wa_id": from } ],
        "messages": [ { "from": from, "id": id, "timestamp": ts.to_string(), "type": "text",
                        "text": { "body": text } } ] }))
}

fn wa_status(id: &str, ts: i64, status: &str) -> Value {
    whatsapp(
        json!({ "statuses": [ { "id": id, "status": status, "timestamp": ts.to_string(),
                                     "recipient_id": "14155552671" } ] }),
    )
}

async fn lead_of(owner: &PgPool, contact: &str) -> Uuid {
    sqlx::query_scalar!(
        "SELECT lead_id AS \"lead!\" FROM channel_messages WHERE contact = $1 AND lead_id IS NOT NULL LIMIT 1",
        contact
    )
    .fetch_one(&all_rows(owner).await)
    .await
    .unwrap()
}

struct Out {
    provider_id: String,
    status: Option<String>,
    error: Option<String>,
    body: Option<String>,
    attempts: i16,
}

async fn out(owner: &PgPool, id: Uuid) -> Out {
    let r = sqlx::query!(
        "SELECT provider_id, status, error, body, attempts FROM channel_messages WHERE id = $1",
        id
    )
    .fetch_one(&all_rows(owner).await)
    .await
    .unwrap();
    Out {
        provider_id: r.provider_id,
        status: r.status,
        error: r.error,
        body: r.body,
        attempts: r.attempts,
    }
}

/// Makes every queued reply due now (as if its backoff had passed).
async fn due_now(owner: &PgPool) {
    sqlx::query!("UPDATE channel_messages SET next_attempt_at = now() WHERE status = 'queued'")
        .execute(&all_rows(owner).await)
        .await
        .unwrap();
}

fn text(body: &str) -> Compose {
    Compose::Text { body: body.into() }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reply_inside_the_window_waits_for_a_token_then_goes_out_and_moves_forward(
    owner: PgPool,
) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    let channel = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text(
            "14155552671",
            "Ana",
            "w1",
            now - 300,
            "We have a budget of $60,000 and want to start next week. Can we book a call?",
        ),
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let ana = lead_of(&owner, "14155552671").await;
    let (gs, gb) = (
        leads_grant(&svc, &sam).await,
        leads_grant(&svc, &boss).await,
    );

    // Sam has Ana (HOT): the composer offers the WhatsApp line, open for 24 h after her
    // message, and says replies wait because the line has no token yet.
    let c = inbox::conversation(&svc, &gs, sam.id, ana).await.unwrap();
    let composer = c.composer.expect("Sam works Ana's conversation");
    assert_eq!(composer.targets.len(), 1);
    let target = &composer.targets[0];
    assert_eq!(target.channel, channel.id);
    let Window::Open {
        closes: Some(closes),
    } = target.window
    else {
        panic!("the window is open: {:?}", target.window);
    };
    assert_eq!(closes.unix_timestamp(), now - 300 + 86_400);
    assert!(target.closed_reason.is_none());
    assert!(target
        .held
        .as_deref()
        .unwrap()
        .contains("has no access token yet"));

    // Bad input is refused with its reason, and nothing is stored.
    let e = replies::send(&svc, &gs, sam.id, ana, channel.id, &text("   "))
        .await
        .unwrap_err();
    assert_eq!(e.message_for("reply"), Some("Write the reply first."));
    let e = replies::send(&svc, &gs, sam.id, ana, channel.id, &text(&"x".repeat(4097)))
        .await
        .unwrap_err();
    assert!(e.message_for("reply").unwrap().contains("at most 4096"));
    let e = replies::send(&svc, &gs, sam.id, ana, Uuid::now_v7(), &text("Hi"))
        .await
        .unwrap_err();
    assert!(e.message_for("channel").is_some());

    let reply = "Thanks Ana! I can call you tomorrow at 10:00. Does that work?";
    let id = replies::send(&svc, &gs, sam.id, ana, channel.id, &text(reply))
        .await
        .unwrap();
    // It shows at once, as Sam's, queued with the reason; and it is the first answer.
    let c = inbox::conversation(&svc, &gs, sam.id, ana).await.unwrap();
    let m = c.messages.last().unwrap();
    assert_eq!((m.id, m.inbound), (id, false));
    assert_eq!(m.body.as_deref(), Some(reply));
    assert_eq!(m.author.as_deref(), Some("Sam"));
    assert_eq!(m.status.as_deref(), Some("queued"));
    assert!(m
        .error
        .as_deref()
        .unwrap()
        .contains("has no access token yet"));
    assert_eq!(c.lead.due, None, "the first answer is in");
    assert_eq!(c.lead.lifecycle, domain::leads::Lifecycle::Contacted);

    // Nothing goes out without a token.
    let (svc, graph) = with_graph(&svc).await;
    assert_eq!(
        replies::deliver(&svc, 10).await.unwrap(),
        Delivered::default()
    );
    assert!(graph.seen.lock().unwrap().is_empty());

    // Only who may connect channels sets the token; it is stored sealed.
    let e = replies::set_token(&svc, &gs, channel.id, "EAAB-secret")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden));
    let e = replies::set_token(&svc, &gb, channel.id, "two words")
        .await
        .unwrap_err();
    assert!(e.message_for("token").is_some());
    replies::set_token(&svc, &gb, channel.id, " EAAB-secret ")
        .await
        .unwrap();
    let sealed = sqlx::query_scalar!(
        "SELECT access_token AS \"t!\" FROM channels WHERE id = $1",
        channel.id
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert!(!sealed.windows(11).any(|w| w == b"EAAB-secret"));
    let page = replies::channels_page(&svc, &gb).await.unwrap();
    assert!(page.channels[0].has_token && page.can_connect && page.can_edit);
    assert_eq!(page.channels[0].queued, 1);
    assert!(matches!(
        replies::channels_page(&svc, &gs).await.unwrap_err(),
        AppError::Forbidden
    ));

    // Meta fails once: the reply stays queued and says when it is tried again.
    graph.script.lock().unwrap().push_back((
        503,
        json!({ "error": { "message": "Service temporarily unavailable", "code": 2 } }),
    ));
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.retried), (0, 1));
    let o = out(&owner, id).await;
    assert_eq!((o.status.as_deref(), o.attempts), (Some("queued"), 1));
    assert!(o
        .error
        .as_deref()
        .unwrap()
        .starts_with("Service temporarily unavailable (Meta error 2) Trying again at"));
    // Not before its time.
    assert_eq!(
        replies::deliver(&svc, 10).await.unwrap(),
        Delivered::default()
    );
    due_now(&owner).await;
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!(d.sent, 1);
    {
        let seen = graph.seen.lock().unwrap();
        let (sender, auth, body) = seen.last().unwrap();
        assert_eq!(sender, "PN1");
        assert_eq!(auth, "Bearer EAAB-secret");
        assert_eq!(body["to"], "14155552671");
        assert_eq!(body["type"], "text");
        assert_eq!(body["text"]["body"], reply);
    }
    let o = out(&owner, id).await;
    assert_eq!(o.provider_id, "wamid.OUT2");
    assert_eq!((o.status.as_deref(), o.error), (Some("sent"), None));

    // Meta's statuses move it on, in whatever order they come, never back.
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_status("wamid.OUT2", now, "read"),
    )
    .await;
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_status("wamid.OUT2", now, "delivered"),
    )
    .await;
    assert_eq!(out(&owner, id).await.status.as_deref(), Some("read"));

    // A refusal from Meta fails the reply with Meta's words; it is not tried again.
    let id2 = replies::send(&svc, &gs, sam.id, ana, channel.id, &text("One more thing"))
        .await
        .unwrap();
    graph.script.lock().unwrap().push_back((
        400,
        json!({ "error": { "message": "Invalid OAuth access token.", "code": 190 } }),
    ));
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!(d.failed, 1);
    let o = out(&owner, id2).await;
    assert_eq!(o.status.as_deref(), Some("failed"));
    assert_eq!(
        o.error.as_deref(),
        Some("Invalid OAuth access token. (Meta error 190)")
    );
    due_now(&owner).await;
    assert_eq!(
        replies::deliver(&svc, 10).await.unwrap(),
        Delivered::default()
    );

    // A status that arrives before the reply was given its id is folded into it.
    let id3 = replies::send(&svc, &gs, sam.id, ana, channel.id, &text("See you then"))
        .await
        .unwrap();
    let next = format!("wamid.OUT{}", graph.seen.lock().unwrap().len() + 1);
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_status(&next, now, "delivered"),
    )
    .await;
    replies::deliver(&svc, 10).await.unwrap();
    let o = out(&owner, id3).await;
    assert_eq!(
        (o.provider_id.as_str(), o.status.as_deref()),
        (next.as_str(), Some("delivered"))
    );

    // The history says who replied.
    let replied = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM lead_events WHERE lead_id = $1 AND kind = 'replied'",
        ana
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(replied, 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn outside_the_window_only_templates_go_out(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let sam = member(&svc, &owner, t, "sam@example.com", "Sam", "SDR").await;
    let wa = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let page = intake::connect(&svc, t, ChannelKind::Messenger, "PAGE1", "Facebook page")
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text(
            "14155552671",
            "Ana",
            "w1",
            now - 25 * 3600,
            "Tell me more about the audit.",
        ),
    )
    .await;
    deliver_in(&svc, ChannelKind::Messenger, json!({ "object": "page", "entry": [ { "id": "PAGE1", "time": now * 1000,
        "messaging": [ { "sender": { "id": "PSID9" }, "recipient": { "id": "PAGE1" }, "timestamp": (now - 3 * 86_400) * 1000,
                         "message": { "mid": "m1", "text": "Is the offer still on?" } } ] } ] })).await;
    let ana = lead_of(&owner, "14155552671").await;
    let bo = lead_of(&owner, "PSID9").await;
    let (gb, gs) = (
        leads_grant(&svc, &boss).await,
        leads_grant(&svc, &sam).await,
    );

    // 25 hours on: templates only, and the composer says why; a text is refused with it.
    let c = inbox::conversation(&svc, &gb, boss.id, ana).await.unwrap();
    let target = c.composer.unwrap().targets[0].clone();
    assert_eq!(target.window, Window::TemplatesOnly);
    let reason = target.closed_reason.unwrap();
    assert!(reason.starts_with("More than 24 hours have passed since their last WhatsApp message"));
    assert!(target.templates.is_empty());
    let e = replies::send(&svc, &gb, boss.id, ana, wa.id, &text("Hello again"))
        .await
        .unwrap_err();
    assert!(matches!(&e, AppError::Conflict(m) if *m == reason));

    // Templates: checked field by field, once per name and language, WhatsApp only, and not by
    // an SDR.
    let spec = TemplateSpec {
        name: "follow_up".into(),
        language: "en_US".into(),
        category: "utility".into(),
        body: "Hi {{1}}, still keen on {{2}}?".into(),
    };
    let bad = TemplateSpec {
        name: "Follow up".into(),
        ..spec.clone()
    };
    let e = replies::add_template(&svc, &gb, wa.id, &bad)
        .await
        .unwrap_err();
    assert!(e.message_for("name").unwrap().contains("lowercase letters"));
    assert!(matches!(
        replies::add_template(&svc, &gs, wa.id, &spec)
            .await
            .unwrap_err(),
        AppError::Forbidden
    ));
    let e = replies::add_template(&svc, &gb, page.id, &spec)
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("name"),
        Some("Templates are for WhatsApp channels.")
    );
    let template = replies::add_template(&svc, &gb, wa.id, &spec)
        .await
        .unwrap();
    let e = replies::add_template(&svc, &gb, wa.id, &spec)
        .await
        .unwrap_err();
    assert!(e
        .message_for("name")
        .unwrap()
        .contains("already has a template"));

    let c = inbox::conversation(&svc, &gb, boss.id, ana).await.unwrap();
    let offered = &c.composer.unwrap().targets[0].templates;
    assert_eq!(offered.len(), 1);
    assert_eq!((offered[0].id, offered[0].variables), (template, 2));
    let send_template = |variables: &[&str]| Compose::Template {
        template,
        variables: variables.iter().map(|v| v.to_string()).collect(),
    };
    let e = replies::send(&svc, &gb, boss.id, ana, wa.id, &send_template(&["Ana"]))
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("variables"),
        Some("This template takes 2 values; 1 given.")
    );
    let id = replies::send(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &send_template(&["Ana", " the audit "]),
    )
    .await
    .unwrap();
    assert_eq!(
        out(&owner, id).await.body.as_deref(),
        Some("Hi Ana, still keen on the audit?")
    );

    // Messenger, three days on: closed without the human-agent tag, and Messenger has no
    // templates; with the tag the window is 7 days, and a late reply carries it.
    let c = inbox::conversation(&svc, &gb, boss.id, bo).await.unwrap();
    let target = c.composer.unwrap().targets[0].clone();
    assert_eq!(target.window, Window::TemplatesOnly);
    assert!(target.templates.is_empty());
    let e = replies::set_human_agent(&svc, &gb, wa.id, true)
        .await
        .unwrap_err();
    assert!(e.message_for("human_agent").is_some());
    replies::set_human_agent(&svc, &gb, page.id, true)
        .await
        .unwrap();
    let c = inbox::conversation(&svc, &gb, boss.id, bo).await.unwrap();
    assert!(c.composer.unwrap().targets[0].window.free_form());
    let late = replies::send(&svc, &gb, boss.id, bo, page.id, &text("Yes, until Friday."))
        .await
        .unwrap();

    // A text queued inside the window whose window closed before a token came is not sent.
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text("14155552671", "Ana", "w2", now - 60, "Sorry, I was away."),
    )
    .await;
    let stale = replies::send(&svc, &gb, boss.id, ana, wa.id, &text("Welcome back!"))
        .await
        .unwrap();
    sqlx::query!(
        "UPDATE channel_messages SET sent_at = sent_at - interval '2 days' WHERE provider_id = 'w2'"
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();

    let (svc, graph) = with_graph(&svc).await;
    replies::set_token(&svc, &gb, wa.id, "WA-TOKEN")
        .await
        .unwrap();
    replies::set_token(&svc, &gb, page.id, "PAGE-TOKEN")
        .await
        .unwrap();
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.failed), (2, 1));
    let seen = graph.seen.lock().unwrap().clone();
    let template_call = seen.iter().find(|(s, _, _)| s == "PN1").unwrap();
    assert_eq!(template_call.1, "Bearer WA-TOKEN");
    assert_eq!(template_call.2["template"]["name"], "follow_up");
    assert_eq!(template_call.2["template"]["language"]["code"], "en_US");
    assert_eq!(
        template_call.2["template"]["components"][0]["parameters"][1]["text"],
        "the audit"
    );
    let page_call = seen.iter().find(|(s, _, _)| s == "PAGE1").unwrap();
    assert_eq!(page_call.1, "Bearer PAGE-TOKEN");
    assert_eq!(page_call.2["recipient"]["id"], "PSID9");
    assert_eq!(page_call.2["tag"], "HUMAN_AGENT");
    assert_eq!(out(&owner, late).await.status.as_deref(), Some("sent"));
    let o = out(&owner, stale).await;
    assert_eq!(o.status.as_deref(), Some("failed"));
    assert!(o
        .error
        .unwrap()
        .starts_with("Not sent: the window closed while it waited."));
    assert_eq!(seen.len(), 2, "the stale text never reached Meta");
}

#[sqlx::test(migrations = "../migrations")]
async fn canned_responses_are_the_teams_and_kept_once_per_title(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let sam = member(&svc, &owner, t, "sam@example.com", "Sam", "SDR").await;
    let (gb, gs) = (
        leads_grant(&svc, &boss).await,
        leads_grant(&svc, &sam).await,
    );
    let e = replies::add_canned(&svc, &gb, " ", "").await.unwrap_err();
    assert!(e.message_for("title").is_some() && e.message_for("body").is_some());
    assert!(matches!(
        replies::add_canned(&svc, &gs, "Pricing", "From $2,500.")
            .await
            .unwrap_err(),
        AppError::Forbidden
    ));
    let id = replies::add_canned(&svc, &gb, "Pricing", "From $2,500.")
        .await
        .unwrap();
    let e = replies::add_canned(&svc, &gb, "Pricing", "Again")
        .await
        .unwrap_err();
    assert!(e.message_for("title").unwrap().contains("already has"));
    let page = replies::channels_page(&svc, &gb).await.unwrap();
    assert_eq!(page.canned.len(), 1);
    assert_eq!(page.canned[0].body, "From $2,500.");
    replies::remove_canned(&svc, &gb, id).await.unwrap();
    assert!(matches!(
        replies::remove_canned(&svc, &gb, id).await.unwrap_err(),
        AppError::NotFound
    ));
}

fn acme_facts() -> domain::leads::facts::FactsForm {
    domain::leads::facts::FactsForm {
        business_name: "Acme Apps".into(),
        offerings: "Booking app: from $8,000\nMobile app: 12000".into(),
        proof: "We built the booking app of Casa Verde".into(),
        insights: String::new(),
        booking_link: "https://cal.example.com/acme".into(),
        availability: "on weekdays".into(),
        competitors: String::new(),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_ai_draft_answers_from_the_teams_facts_and_sends_nothing(owner: PgPool) {
    use domain::server::leads::drafts;
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    intake::connect(&svc, a, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let admin = member(&svc, &owner, a, "admin@a.test", "Ada Admin", "ADMIN").await;
    let sdr = member(&svc, &owner, a, "sdr@a.test", "Sam Sdr", "SDR").await;
    let (ga, gs) = (
        leads_grant(&svc, &admin).await,
        leads_grant(&svc, &sdr).await,
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text(
            "14155552671",
            "Ana Lopez",
            "wamid.1",
            now,
            "Hi, do you build booking apps? What would it cost?",
        ),
    )
    .await;
    let lead = lead_of(&owner, "14155552671").await;

    // No facts yet: the AI has nothing true to say, and says where they are written.
    let e = drafts::draft(&svc, &ga, admin.id, lead).await.unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.contains("business facts") && m.contains("channels page")),
        "{e:?}"
    );
    // An SDR neither reads nor writes them (they are the team's settings).
    assert_eq!(
        drafts::facts(&svc, &gs).await.unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        drafts::set_facts(&svc, &gs, &acme_facts())
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    // A wrong field says why, and nothing is kept.
    let mut bad = acme_facts();
    bad.booking_link = "cal.example.com/acme".into();
    bad.offerings = "Booking app: 8k".into();
    let e = drafts::set_facts(&svc, &ga, &bad).await.unwrap_err();
    assert!(e.message_for("booking_link").is_some(), "{e:?}");
    assert!(e.message_for("offerings").unwrap().starts_with("Line 1:"));
    assert_eq!(drafts::facts(&svc, &ga).await.unwrap().business_name, "");

    let kept = drafts::set_facts(&svc, &ga, &acme_facts()).await.unwrap();
    assert_eq!(kept.offerings, "Booking app: 8000\nMobile app: 12000");
    assert_eq!(drafts::facts(&svc, &ga).await.unwrap(), kept);

    // The SDR may not draft for a conversation that is not theirs; the admin may.
    assert_eq!(
        drafts::draft(&svc, &gs, sdr.id, lead).await.unwrap_err(),
        AppError::NotFound
    );
    let d = drafts::draft(&svc, &ga, admin.id, lead).await.unwrap();
    assert!(
        d.text.starts_with("Hi Ana, thanks for reaching out!"),
        "{}",
        d.text
    );
    assert!(
        d.text.contains("Acme Apps can help with Booking app"),
        "{}",
        d.text
    );
    assert!(d.text.contains("$8,000"), "{}", d.text);
    assert_eq!(d.language, "en");
    assert!(
        d.facts_used.iter().any(|f| f == "Booking app"),
        "{:?}",
        d.facts_used
    );

    // The run is in the AI log, about this lead, triggered by the admin; nothing was sent.
    let all = all_rows(&owner).await;
    let run: (String, String, Option<Uuid>, Option<String>) =
        sqlx::query_as("SELECT analyzer, status, triggered_by, subject FROM ai_runs WHERE id = $1")
            .bind(d.run)
            .fetch_one(&all)
            .await
            .unwrap();
    assert_eq!(
        run,
        (
            "reply".into(),
            "ok".into(),
            Some(admin.id.0),
            Some(format!("lead:{lead}"))
        )
    );
    let sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM channel_messages WHERE direction = 'out'")
            .fetch_one(&all)
            .await
            .unwrap();
    assert_eq!(sent, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn outbound_messages_are_limited_per_team_and_paced_by_the_workers(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let channel = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text(
            "14155552671",
            "Ana",
            "w1",
            now,
            "Hello, do you build shops?",
        ),
    )
    .await;
    let ana = lead_of(&owner, "14155552671").await;
    let g = leads_grant(&svc, &boss).await;

    // Five a second for the team; the sixth is told how long to wait, and nothing is stored.
    let mut queued = Vec::new();
    for n in 1..=5 {
        let id = replies::send(
            &svc,
            &g,
            boss.id,
            ana,
            channel.id,
            &text(&format!("Reply {n}")),
        )
        .await
        .unwrap();
        queued.push(id);
    }
    let e = replies::send(&svc, &g, boss.id, ana, channel.id, &text("Reply 6"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::RateLimited { retry_after_secs } if (1..=2).contains(&retry_after_secs)),
        "{e:?}"
    );
    let stored = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM channel_messages WHERE direction = 'out'"#
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(stored, 5);

    // Another team is not held back by this one.
    let u = team(&svc, "team-b").await;
    let other_boss = common::with_two_factor(&svc, "team-b@example.com").await;
    let other_line = intake::connect(&svc, u, ChannelKind::Whatsapp, "PN2", "Line B")
        .await
        .unwrap();
    let mut body = wa_text("447911123456", "Bo", "w2", now, "Hi there");
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("PN2");
    deliver_in(&svc, ChannelKind::Whatsapp, body).await;
    let bo = lead_of(&owner, "447911123456").await;
    let gb = domain::server::guard::tenant(
        &svc.db,
        Some(&other_boss),
        "team-b",
        domain::permissions::Resource::Leads,
        domain::permissions::Access::Read,
    )
    .await
    .unwrap();
    replies::send(&svc, &gb, other_boss.id, bo, other_line.id, &text("Hi Bo"))
        .await
        .unwrap();

    // A second later the team may queue again: seven wait in all.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    for n in 6..=7 {
        replies::send(
            &svc,
            &g,
            boss.id,
            ana,
            channel.id,
            &text(&format!("Reply {n}")),
        )
        .await
        .unwrap();
    }

    // The workers send five of them in a second and hold the rest back a moment, not as a
    // failed try.
    let (svc, graph) = with_graph(&svc).await;
    replies::set_token(&svc, &g, channel.id, "EAAB-secret")
        .await
        .unwrap();
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.deferred, d.failed), (5, 2, 0));
    let held = sqlx::query!(
        r#"SELECT attempts, next_attempt_at > now() AS "later!" FROM channel_messages
           WHERE direction = 'out' AND status = 'queued' AND tenant_id = $1"#,
        t.0
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|h| h.attempts == 0 && h.later));
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    due_now(&owner).await;
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.deferred), (2, 0));
    assert_eq!(graph.seen.lock().unwrap().len(), 7);
}

/// A PNG the size of `n` bytes (its first bytes say PNG).
fn png(n: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(n, 7);
    bytes
}

fn file(name: &str, bytes: Vec<u8>, caption: &str) -> replies::FileReply {
    replies::FileReply {
        name: name.into(),
        bytes,
        caption: caption.into(),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn files_go_out_the_way_each_channel_takes_them(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t, boss, ..
    } = common::sales_team(&svc, &owner).await;
    let wa = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let page = intake::connect(&svc, t, ChannelKind::Messenger, "PAGE1", "Facebook page")
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text(
            "14155552671",
            "Ana",
            "w1",
            now - 60,
            "Can you send the plan?",
        ),
    )
    .await;
    deliver_in(
        &svc,
        ChannelKind::Whatsapp,
        wa_text("14155550000", "Cy", "w2", now - 25 * 3600, "Hello?"),
    )
    .await;
    deliver_in(&svc, ChannelKind::Messenger, json!({ "object": "page", "entry": [ { "id": "PAGE1", "time": now * 1000,
        "messaging": [ { "sender": { "id": "PSID9" }, "recipient": { "id": "PAGE1" }, "timestamp": (now - 60) * 1000,
                         "message": { "mid": "m1", "text": "Send me the details please" } } ] } ] })).await;
    let (ana, cy, bo) = (
        lead_of(&owner, "14155552671").await,
        lead_of(&owner, "14155550000").await,
        lead_of(&owner, "PSID9").await,
    );
    let gb = leads_grant(&svc, &boss).await;
    let all = all_rows(&owner).await;
    let outbound = || async {
        sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM channel_messages WHERE direction = 'out'"
        )
        .fetch_one(&all)
        .await
        .unwrap()
    };

    // What WhatsApp does not take is refused at the file, with what it takes; a caption over
    // WhatsApp's 1,024 characters at the caption; an empty file, a file too large and a closed
    // window too. Nothing is stored.
    let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
    let e = replies::send_file(&svc, &gb, boss.id, ana, wa.id, &file("wave.gif", gif, ""))
        .await
        .unwrap_err();
    let said = e.message_for("file").unwrap();
    assert!(
        said.starts_with("WhatsApp does not take this kind of file (image/gif)."),
        "{said}"
    );
    assert!(said.contains("JPEG or PNG images up to 5 MB"), "{said}");
    let e = replies::send_file(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &file("plan.png", png(100), &"x".repeat(1025)),
    )
    .await
    .unwrap_err();
    assert!(e
        .message_for("caption")
        .unwrap()
        .contains("at most 1024 characters"));
    let e = replies::send_file(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &file("plan.png", Vec::new(), ""),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("file"),
        Some("This file is empty; choose the file again.")
    );
    let e = replies::send_file(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &file("big.png", png(5 * 1024 * 1024 + 1), ""),
    )
    .await
    .unwrap_err();
    assert!(e
        .message_for("file")
        .unwrap()
        .starts_with("WhatsApp takes images of at most 5.0 MB"));
    let e = replies::send_file(
        &svc,
        &gb,
        boss.id,
        cy,
        wa.id,
        &file("plan.png", png(100), ""),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.starts_with("More than 24 hours")),
        "{e:?}"
    );
    assert_eq!(outbound().await, 0);

    // A PNG with a caption: shown at once as the team's image, queued, its bytes kept.
    let plan = png(2_000);
    let image = replies::send_file(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &file("C:\\plans\\plan v2.png", plan.clone(), " The plan "),
    )
    .await
    .unwrap();
    let c = inbox::conversation(&svc, &gb, boss.id, ana).await.unwrap();
    let m = c.messages.last().unwrap();
    assert_eq!((m.id, m.inbound, m.kind.as_str()), (image, false, "image"));
    assert_eq!(m.body.as_deref(), Some("The plan"));
    assert_eq!(m.status.as_deref(), Some("queued"));
    let media = m.media.clone().unwrap();
    assert_eq!(
        (media.state.as_str(), media.mime.as_deref()),
        ("fetched", Some("image/png"))
    );
    let kept = inbox::media(&svc, &gb, boss.id, image).await.unwrap();
    assert_eq!(
        (kept.name.as_deref(), kept.bytes.len()),
        (Some("plan v2.png"), 2_000)
    );

    // On Messenger a PDF goes in one form, and the caption follows it as a text.
    let pdf = b"%PDF-1.7 details".to_vec();
    let doc = replies::send_file(
        &svc,
        &gb,
        boss.id,
        bo,
        page.id,
        &file("details.pdf", pdf.clone(), "Details inside"),
    )
    .await
    .unwrap();
    let c = inbox::conversation(&svc, &gb, boss.id, bo).await.unwrap();
    let mine: Vec<(String, Option<String>)> = c
        .messages
        .iter()
        .filter(|m| !m.inbound)
        .map(|m| (m.kind.clone(), m.body.clone()))
        .collect();
    assert_eq!(
        mine,
        [
            ("document".to_owned(), None),
            ("text".to_owned(), Some("Details inside".to_owned()))
        ]
    );

    // With tokens, the worker sends them: WhatsApp's file is uploaded, then sent by its id with
    // the caption; Messenger's goes up and out in one form, then the caption.
    let (svc, graph) = with_graph(&svc).await;
    replies::set_token(&svc, &gb, wa.id, "EAAB-secret")
        .await
        .unwrap();
    replies::set_token(&svc, &gb, page.id, "EAAB-page")
        .await
        .unwrap();
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.failed, d.retried), (3, 0, 0), "{d:?}");
    let forms = graph.forms.lock().unwrap().clone();
    assert_eq!(forms.len(), 2, "{forms:?}");
    let up = forms.iter().find(|f| f.path == "PN1/media").unwrap();
    assert_eq!(up.auth, "Bearer EAAB-secret");
    assert_eq!(
        up.fields,
        [
            ("messaging_product".to_owned(), "whatsapp".to_owned()),
            ("type".to_owned(), "image/png".to_owned())
        ]
    );
    assert_eq!(
        up.file,
        Some((
            "file".to_owned(),
            "plan v2.png".to_owned(),
            "image/png".to_owned(),
            plan
        ))
    );
    let media_id = format!(
        "MEDIA{}",
        forms.iter().position(|f| f.path == "PN1/media").unwrap() + 1
    );
    let sent = graph.seen.lock().unwrap().clone();
    let wa_message = sent.iter().find(|(p, _, _)| p == "PN1").unwrap();
    assert_eq!(wa_message.2["type"], "image");
    assert_eq!(
        wa_message.2["image"],
        json!({ "id": media_id, "caption": "The plan" })
    );
    assert_eq!(wa_message.2["to"], "14155552671");

    let form = forms.iter().find(|f| f.path == "PAGE1/messages").unwrap();
    assert_eq!(form.auth, "Bearer EAAB-page");
    let field = |name: &str| {
        form.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| serde_json::from_str::<Value>(v).unwrap_or(json!(v)))
            .unwrap()
    };
    assert_eq!(field("recipient"), json!({ "id": "PSID9" }));
    assert_eq!(field("message")["attachment"]["type"], "file");
    assert_eq!(field("messaging_type"), json!("RESPONSE"));
    let (file_field, name, kind, bytes) = form.file.clone().unwrap();
    assert_eq!(
        (file_field.as_str(), name.as_str(), kind.as_str()),
        ("filedata", "details.pdf", "application/pdf")
    );
    assert_eq!(bytes, pdf);
    let caption = sent.iter().find(|(p, _, _)| p == "PAGE1").unwrap();
    assert_eq!(caption.2["message"]["text"], "Details inside");

    let o = out(&owner, image).await;
    assert_eq!((o.status.as_deref(), o.error), (Some("sent"), None));
    assert!(o.provider_id.starts_with("wamid.OUT"));
    let o = out(&owner, doc).await;
    assert_eq!(
        (o.status.as_deref(), o.provider_id.as_str()),
        (Some("sent"), "mid.FILE2")
    );

    // Meta refusing a file fails it with Meta's words; the file stays to see.
    let again = replies::send_file(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &file("second.png", png(300), ""),
    )
    .await
    .unwrap();
    graph.script.lock().unwrap().push_back((
        400,
        json!({ "error": { "message": "(#131053) Media upload error", "code": 131053 } }),
    ));
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!(d.failed, 1, "{d:?}");
    let o = out(&owner, again).await;
    assert_eq!(o.status.as_deref(), Some("failed"));
    assert_eq!(
        o.error.as_deref(),
        Some("(#131053) Media upload error (Meta error 131053)")
    );
    assert_eq!(
        inbox::media(&svc, &gb, boss.id, again)
            .await
            .unwrap()
            .bytes
            .len(),
        300
    );

    // Uploaded, then the send fails (Meta is down): the retry sends the same media id and does
    // not upload the file again.
    let third = replies::send_file(
        &svc,
        &gb,
        boss.id,
        ana,
        wa.id,
        &file("third.png", png(400), "Third"),
    )
    .await
    .unwrap();
    let uploads_before = graph.forms.lock().unwrap().len();
    graph.script.lock().unwrap().extend([
        (200, json!({ "id": "MEDIA-KEPT" })),
        (
            503,
            json!({ "error": { "message": "Service temporarily unavailable", "code": 2 } }),
        ),
    ]);
    // The team may send 5 a second, and it sent as many just now: each try waits for the next
    // second's allowance.
    let next_second = || tokio::time::sleep(std::time::Duration::from_millis(1_100));
    next_second().await;
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.retried), (0, 1), "{d:?}");
    assert_eq!(graph.forms.lock().unwrap().len(), uploads_before + 1);
    due_now(&owner).await;
    next_second().await;
    let d = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((d.sent, d.failed), (1, 0), "{d:?}");
    assert_eq!(
        graph.forms.lock().unwrap().len(),
        uploads_before + 1,
        "the file was uploaded again"
    );
    let sent = graph.seen.lock().unwrap().clone();
    let (path, _, body) = sent.last().unwrap();
    assert_eq!(path, "PN1");
    assert_eq!(
        body["image"],
        json!({ "id": "MEDIA-KEPT", "caption": "Third" })
    );
    assert_eq!(out(&owner, third).await.status.as_deref(), Some("sent"));
}
