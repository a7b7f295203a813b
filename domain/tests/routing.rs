//! Scoring and routing leads against real Postgres and Redis: a lead who writes is scored with
//! its reasons and history and goes to an SDR at once when HOT; concurrent routings never assign
//! a lead twice nor push an SDR over capacity; COLD leads spend a day with the AI re-engagement
//! and then go to the juniors; a missed HOT SLA is recorded and the lead moves to someone online.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, meta, services, team};
use domain::ai::LeadIntent;
use domain::leads::contact::{normalize, RawContact};
use domain::leads::routing::HOT_SLA_MINUTES;
use domain::leads::ChannelKind;
use domain::leads::{score, Lifecycle, ScoreInput};
use domain::server::channels::intake::{self, InboxEvent, InboxNotice};
use domain::server::leads::routing::{self, Routed, SdrSettings};
use domain::server::leads::{self, scoring};
use domain::server::{accounts, db, Services};
use domain::types::{TenantId, UserId};
use futures::StreamExt;
use phonenumber::country::Id;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// A new account who is an SDR of `tenant` with `capacity`, online or not.
async fn sdr(
    svc: &Services,
    owner: &PgPool,
    tenant: TenantId,
    email: &str,
    junior: bool,
    capacity: u32,
    online: bool,
) -> UserId {
    let user = accounts::sign_up(
        svc,
        email,
        "correct horse battery",
        "SDR",
        &meta("10.0.0.2"),
    )
    .await
    .unwrap()
    .user
    .id;
    sqlx::query!(
        "INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'SDR')",
        tenant.0,
        user.0
    )
    .execute(&all_rows(owner).await)
    .await
    .unwrap();
    routing::set_sdr(svc, tenant, user, &SdrSettings { junior, capacity })
        .await
        .unwrap();
    routing::set_online(svc, tenant, user, online)
        .await
        .unwrap();
    user
}

/// A lead from a form, with the score these facts make.
async fn scored_lead(svc: &Services, tenant: TenantId, email: &str, input: &ScoreInput) -> Uuid {
    let raw = RawContact {
        emails: vec![email.into()],
        ..RawContact::default()
    };
    let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
    let lead = leads::resolve(&mut tx, tenant, &normalize(&raw, Id::US), None, "form")
        .await
        .unwrap()
        .lead;
    routing::keep_score(&mut tx, tenant, lead, &score(input), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    lead
}

fn hot() -> ScoreInput {
    ScoreInput {
        budget_usd: Some(80_000),
        intent: Some(LeadIntent::High),
        buying_signals: 2,
        objections: 0,
        inbound_messages: 6,
        hours_since_inbound: Some(0.2),
        reply_minutes: Some(3),
        lifecycle: Lifecycle::Engaged,
    }
}

fn cold() -> ScoreInput {
    ScoreInput {
        budget_usd: None,
        intent: Some(LeadIntent::Low),
        buying_signals: 0,
        objections: 1,
        inbound_messages: 1,
        hours_since_inbound: Some(200.0),
        reply_minutes: None,
        lifecycle: Lifecycle::New,
    }
}

async fn route(svc: &Services, tenant: TenantId, lead: Uuid) -> Routed {
    let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
    let r = routing::route(&mut tx, lead).await.unwrap();
    tx.commit().await.unwrap();
    r
}

struct State {
    routing: String,
    assignee: Option<Uuid>,
    note: Option<String>,
    sla_minutes: Option<i64>,
    breached: bool,
    history: Vec<String>,
}

async fn state(svc: &Services, tenant: TenantId, lead: Uuid) -> State {
    let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
    let r = sqlx::query!(
        r#"SELECT routing, assignee, routing_note, sla_breached_at IS NOT NULL AS "breached!",
                  round(EXTRACT(EPOCH FROM first_response_due - now()) / 60)::bigint AS sla
           FROM leads WHERE id = $1"#,
        lead
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let history = sqlx::query_scalar!(
        "SELECT kind FROM lead_events WHERE lead_id = $1 ORDER BY id",
        lead
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    State {
        routing: r.routing,
        assignee: r.assignee,
        note: r.routing_note,
        sla_minutes: r.sla,
        breached: r.breached,
        history,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lead_who_writes_is_scored_with_reasons_and_goes_to_an_sdr_at_once(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let offline = sdr(&svc, &owner, t, "off@example.com", false, 10, false).await;
    let online = sdr(&svc, &owner, t, "on@example.com", false, 10, true).await;
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut sub = redis::Client::open(url)
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    sub.subscribe(intake::inbox_channel(&svc.settings.redis_prefix))
        .await
        .unwrap();

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let body = json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
            "messages": [
                { "from": "14155552671", "id": "wamid.1", "timestamp": (now - 60).to_string(), "type": "text",
                  "text": { "body": "Hi! We need a new online store, our budget is $60,000." } },
                { "from": "14155552671", "id": "wamid.2", "timestamp": now.to_string(), "type": "text",
                  "text": { "body": "We are ready to start next week. Can we book a call today?" } }
            ] } } ] } ] })
    .to_string();
    intake::receive(&svc, ChannelKind::Whatsapp, body.as_bytes())
        .await
        .unwrap();
    intake::process_pending(&svc, 10).await.unwrap();

    let done = scoring::score_pending(&svc, 10).await.unwrap();
    assert_eq!((done.scored, done.assigned), (1, 1));
    // Nothing is scored twice for the same messages.
    assert_eq!(scoring::score_pending(&svc, 10).await.unwrap().scored, 0);

    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let lead = sqlx::query!(
        r#"SELECT id, score, band, score_factors, score_reasoning, score_requested_at
           FROM leads WHERE name = 'Ana'"#
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let history = sqlx::query!(
        r#"SELECT s.score, s.band, s.factors, s.reasoning, r.analyzer, r.subject
           FROM lead_scores s JOIN ai_runs r ON r.id = s.ai_run_id WHERE s.lead_id = $1"#,
        lead.id
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let points = lead.score.expect("scored");
    assert!(
        points >= 61,
        "a $60K buyer who wants a call is HOT: {points}"
    );
    assert_eq!(lead.band.as_deref(), Some("hot"));
    assert!(lead.score_requested_at.is_none());
    // The top three factors, most first, each with a reason a person can check.
    let factors = lead.score_factors.unwrap();
    let factors = factors.as_array().unwrap();
    assert_eq!(factors.len(), 3);
    assert_eq!(factors[0]["kind"], "budget");
    assert_eq!(factors[0]["reason"], "Budget of $60,000 stated");
    let reasoning = lead.score_reasoning.unwrap();
    assert!(reasoning.contains("Budget of $60,000"), "{reasoning}");
    // Its history names the AI run that read the conversation.
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].score, points);
    assert_eq!(history[0].reasoning, reasoning);
    assert_eq!(history[0].analyzer, "qualify");
    assert_eq!(
        history[0].subject.as_deref(),
        Some(format!("lead:{}", lead.id).as_str())
    );

    // HOT goes at once to the SDR who is online, with ten minutes to answer.
    let s = state(&svc, t, lead.id).await;
    assert_eq!(s.routing, "assigned");
    assert_eq!(s.assignee, Some(online.0));
    assert_ne!(s.assignee, Some(offline.0));
    assert_eq!(s.sla_minutes, Some(i64::from(HOT_SLA_MINUTES)));
    // A $60K budget, ready to start and asking for a call: a person takes it, whatever the AI
    // thinks of it.
    assert_eq!(s.history, ["created", "scored", "escalated", "assigned"]);

    // The team's open inboxes hear it: first the channel, then the lead and who has it.
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), sub.on_message().next())
            .await
            .expect("inbox events within 5 s")
            .unwrap();
        let notice: InboxNotice =
            serde_json::from_str(&msg.get_payload::<String>().unwrap()).unwrap();
        assert_eq!(notice.tenant, t.0);
        heard.push(notice.event);
    }
    assert!(matches!(heard[0], InboxEvent::Channel { .. }));
    assert_eq!(
        heard[1],
        InboxEvent::Lead {
            lead: lead.id,
            assignee: Some(online.0)
        }
    );

    // The SDR answers from the business's phone (an echo): the SLA is met, the lead contacted.
    let echo = json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "smb_message_echoes", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "message_echoes": [ { "from": "15550001111", "to": "14155552671", "id": "wamid.3",
                                  "timestamp": (now + 30).to_string(), "type": "text",
                                  "text": { "body": "Hi Ana, happy to. 3 pm?" } } ] } } ] } ] })
    .to_string();
    intake::receive(&svc, ChannelKind::Whatsapp, echo.as_bytes())
        .await
        .unwrap();
    intake::process_pending(&svc, 10).await.unwrap();
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let answered = sqlx::query!(
        "SELECT first_response_at, lifecycle FROM leads WHERE id = $1",
        lead.id
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        answered.first_response_at.map(|t| t.unix_timestamp()),
        Some(now + 30)
    );
    assert_eq!(answered.lifecycle, "contacted");
    assert_eq!(
        state(&svc, t, lead.id)
            .await
            .history
            .last()
            .map(String::as_str),
        Some("first_response")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_routings_never_assign_a_lead_twice_nor_overfill_an_sdr(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let a = sdr(&svc, &owner, t, "a@example.com", false, 3, true).await;
    let b = sdr(&svc, &owner, t, "b@example.com", false, 3, true).await;
    let mut leads = Vec::new();
    for i in 0..10 {
        leads.push(scored_lead(&svc, t, &format!("buyer{i}@example.com"), &hot()).await);
    }
    // Every lead routed twice, all at once.
    let mut tasks = tokio::task::JoinSet::new();
    for lead in leads.iter().chain(leads.iter()).copied() {
        let svc = svc.clone();
        tasks.spawn(async move { route(&svc, t, lead).await });
    }
    let mut assigned = 0;
    while let Some(r) = tasks.join_next().await {
        if matches!(r.unwrap(), Routed::Assigned(_)) {
            assigned += 1;
        }
    }
    assert_eq!(assigned, 6, "two SDRs with room for three each");
    let mut per_sdr = std::collections::HashMap::new();
    for lead in &leads {
        let s = state(&svc, t, *lead).await;
        let times = s.history.iter().filter(|k| *k == "assigned").count();
        match s.assignee {
            Some(who) => {
                assert_eq!(times, 1, "assigned once");
                *per_sdr.entry(who).or_insert(0) += 1;
            }
            None => {
                assert_eq!(times, 0);
                assert_eq!(s.routing, "waiting");
                assert_eq!(s.note.as_deref(), Some("Every SDR online is at capacity."));
                // The SLA runs while it waits.
                assert_eq!(s.sla_minutes, Some(i64::from(HOT_SLA_MINUTES)));
            }
        }
    }
    assert_eq!(per_sdr.get(&a.0), Some(&3));
    assert_eq!(per_sdr.get(&b.0), Some(&3));

    // A third SDR comes online: the sweep gives them the waiting leads, up to their capacity.
    let c = sdr(&svc, &owner, t, "c@example.com", false, 2, true).await;
    let swept = routing::sweep(&svc, 100).await.unwrap();
    assert_eq!(swept.assigned, 2);
    let mut waiting = 0;
    let mut with_c = 0;
    for lead in &leads {
        let s = state(&svc, t, *lead).await;
        waiting += usize::from(s.assignee.is_none());
        with_c += usize::from(s.assignee == Some(c.0));
    }
    assert_eq!((waiting, with_c), (2, 2));
}

#[sqlx::test(migrations = "../migrations")]
async fn cold_leads_get_a_day_of_re_engagement_then_go_to_the_juniors(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    sdr(&svc, &owner, t, "senior@example.com", false, 10, true).await;
    let lead = scored_lead(&svc, t, "maybe@example.com", &cold()).await;
    assert_eq!(route(&svc, t, lead).await, Routed::Nurture);
    let s = state(&svc, t, lead).await;
    assert_eq!((s.routing.as_str(), s.assignee), ("nurture", None));
    // Still within its day: the sweep leaves it alone.
    assert_eq!(routing::sweep(&svc, 10).await.unwrap().assigned, 0);
    assert_eq!(state(&svc, t, lead).await.routing, "nurture");

    // The day is up, and the team has no juniors: it waits in the junior pool, saying why.
    sqlx::query!(
        "UPDATE leads SET nurture_until = now() - interval '1 minute' WHERE id = $1",
        lead
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    routing::sweep(&svc, 10).await.unwrap();
    let s = state(&svc, t, lead).await;
    assert_eq!(s.routing, "junior_pool");
    assert_eq!(s.note.as_deref(), Some("The team has no junior SDRs."));
    assert_eq!(s.sla_minutes, Some(72 * 60));

    // A junior joins: the next sweep gives them the lead; the senior never gets it.
    let junior = sdr(&svc, &owner, t, "junior@example.com", true, 5, false).await;
    assert_eq!(routing::sweep(&svc, 10).await.unwrap().assigned, 1);
    let s = state(&svc, t, lead).await;
    assert_eq!(
        (s.routing.as_str(), s.assignee),
        ("assigned", Some(junior.0))
    );
    assert_eq!(
        s.history,
        ["created", "scored", "nurture", "junior_pool", "assigned"]
    );

    // A nurtured lead who warms up goes to an SDR without waiting out the day.
    let other = scored_lead(&svc, t, "later@example.com", &cold()).await;
    route(&svc, t, other).await;
    let mut warm = hot();
    warm.budget_usd = Some(8_000);
    warm.intent = Some(LeadIntent::Medium);
    warm.buying_signals = 0;
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    routing::keep_score(&mut tx, t, other, &score(&warm), None)
        .await
        .unwrap();
    let routed = routing::route(&mut tx, other).await.unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(routed, Routed::Assigned(_)), "{routed:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_missed_hot_sla_is_recorded_and_the_lead_goes_to_someone_who_can_answer(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let first = sdr(&svc, &owner, t, "first@example.com", false, 5, true).await;
    let lead = scored_lead(&svc, t, "urgent@example.com", &hot()).await;
    assert_eq!(route(&svc, t, lead).await, Routed::Assigned(first.0));
    let second = sdr(&svc, &owner, t, "second@example.com", false, 5, true).await;

    // Ten minutes pass without an answer.
    sqlx::query!(
        "UPDATE leads SET first_response_due = now() - interval '1 second' WHERE id = $1",
        lead
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    let swept = routing::sweep(&svc, 10).await.unwrap();
    assert_eq!((swept.breached, swept.assigned), (1, 1));
    let s = state(&svc, t, lead).await;
    // The miss is in the history; the new SDR's ten minutes run from now.
    assert!(!s.breached);
    assert_eq!(s.assignee, Some(second.0));
    assert_eq!(s.sla_minutes, Some(i64::from(HOT_SLA_MINUTES)));
    assert_eq!(
        s.history,
        ["created", "scored", "assigned", "sla_breached", "assigned"]
    );
    assert_eq!(routing::sweep(&svc, 10).await.unwrap().breached, 0);

    // When nobody else can take it, the miss is recorded once and the lead stays.
    sqlx::query!(
        "UPDATE leads SET first_response_due = now() - interval '1 second' WHERE id = $1",
        lead
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    routing::set_online(&svc, t, first, false).await.unwrap();
    let swept = routing::sweep(&svc, 10).await.unwrap();
    assert_eq!((swept.breached, swept.assigned), (1, 0));
    let s = state(&svc, t, lead).await;
    assert!(s.breached);
    assert_eq!(s.assignee, Some(second.0));
    assert_eq!(routing::sweep(&svc, 10).await.unwrap().breached, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn sdr_settings_refuse_what_cannot_work(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let stranger = accounts::sign_up(
        &svc,
        "x@example.com",
        "correct horse battery",
        "X",
        &meta("10.0.0.3"),
    )
    .await
    .unwrap()
    .user
    .id;
    let e = routing::set_sdr(
        &svc,
        t,
        stranger,
        &SdrSettings {
            junior: false,
            capacity: 5,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("user"),
        Some("Only a member of the team can take leads.")
    );
    let e = routing::set_sdr(
        &svc,
        t,
        stranger,
        &SdrSettings {
            junior: false,
            capacity: 0,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("capacity"),
        Some("Capacity is between 1 and 1,000 open leads.")
    );
    let e = routing::set_online(&svc, t, stranger, true)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ask a manager"), "{e}");
}

/// A WhatsApp text from `from` (named `name`) to the team's line, taken in and processed.
async fn writes(svc: &Services, from: &str, name: &str, id: &str, ts: i64, text: &str) {
    common::deliver_whatsapp(svc, &common::wa_text(from, name, id, ts, text)).await;
}

/// The lead named `name`: its id, band, escalation reasons (as stored) and whether it is
/// escalated.
async fn escalation_of(
    svc: &Services,
    t: TenantId,
    name: &str,
) -> (Uuid, String, Vec<String>, bool) {
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let r = sqlx::query!(
        r#"SELECT id, band AS "band!", escalation, escalated_at IS NOT NULL AS "escalated!"
           FROM leads WHERE name = $1"#,
        name
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let kinds = r
        .escalation
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    (r.id, r.band, kinds, r.escalated)
}

#[sqlx::test(migrations = "../migrations")]
async fn escalations_hand_the_conversation_to_a_person_at_once_until_resolved(owner: PgPool) {
    use domain::leads::inbox::{ConversationStatus, InboxFilter};
    use domain::server::leads::inbox;
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let online = sdr(&svc, &owner, t, "on@example.com", false, 10, true).await;
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    sqlx::query!(
        "UPDATE tenant_settings SET competitors = '{Northwind Digital}' WHERE tenant_id = $1",
        t.0
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    writes(
        &svc,
        "447911123456",
        "Bo",
        "w1",
        now - 300,
        "Not now, maybe next year. Northwind Digital already sent us an offer.",
    )
    .await;
    writes(&svc, "4915112345678", "Cy", "w2", now - 200, "Hi").await;
    writes(
        &svc,
        "34600123456",
        "Di",
        "w3",
        now - 100,
        "Just browsing, maybe next year. Is your contract under Spanish law? Our lawyer asks.",
    )
    .await;
    writes(
        &svc,
        "33612345678",
        "Ed",
        "w4",
        now - 50,
        "Not now, maybe next year.",
    )
    .await;
    let done = scoring::score_pending(&svc, 10).await.unwrap();
    assert_eq!(done.scored, 4);

    // Bo is COLD, but named a competitor: a person takes it now, not the AI re-engagement.
    let (bo, band, reasons, escalated) = escalation_of(&svc, t, "Bo").await;
    assert_eq!(band, "cold");
    assert_eq!(reasons, ["competitor"]);
    assert!(escalated);
    let s = state(&svc, t, bo).await;
    assert_eq!(s.routing, "assigned");
    assert_eq!(s.assignee, Some(online.0));
    assert_eq!(s.sla_minutes, Some(i64::from(HOT_SLA_MINUTES)));
    assert_eq!(s.history, ["created", "scored", "escalated", "assigned"]);
    // Cy said only "Hi": the AI cannot tell what they want.
    let (_, _, reasons, _) = escalation_of(&svc, t, "Cy").await;
    assert_eq!(reasons, ["low_confidence"]);
    // Di asks a legal question.
    let (_, _, reasons, _) = escalation_of(&svc, t, "Di").await;
    assert_eq!(reasons, ["sensitive"]);
    // Ed is plainly COLD: the AI re-engagement has him.
    let (ed, band, reasons, escalated) = escalation_of(&svc, t, "Ed").await;
    assert_eq!(
        (band.as_str(), reasons.len(), escalated),
        ("cold", 0, false)
    );
    assert_eq!(state(&svc, t, ed).await.routing, "nurture");

    // The inbox shows why, and lists the escalated ones on their own.
    let g = common::leads_grant(&svc, &boss).await;
    let c = inbox::conversation(&svc, &g, boss.id, bo).await.unwrap();
    assert_eq!(c.lead.escalation, ["Mentioned Northwind Digital"]);
    assert!(c.lead.escalated_at.is_some());
    let only = InboxFilter {
        escalated: true,
        ..InboxFilter::default()
    };
    let listed = inbox::list(&svc, &g, boss.id, &only).await.unwrap();
    let mut names: Vec<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Bo", "Cy", "Di"]);
    let cy = listed.iter().find(|r| r.name == "Cy").unwrap();
    assert_eq!(
        cy.escalation,
        ["The AI is not sure what they want (45 % confident)"]
    );

    // A calmer message closes nothing; a new reason is added and told.
    writes(
        &svc,
        "447911123456",
        "Bo",
        "w5",
        now - 20,
        "Honestly we could also pay by card, how do I pay?",
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let (_, _, reasons, escalated) = escalation_of(&svc, t, "Bo").await;
    assert!(escalated);
    assert_eq!(reasons, ["competitor", "ready_to_buy"]);
    let s = state(&svc, t, bo).await;
    assert_eq!(
        s.history.iter().filter(|k| *k == "escalated").count(),
        2,
        "{:?}",
        s.history
    );

    // Resolving it closes the escalation; its reasons are kept as handled.
    inbox::set_status(&svc, &g, boss.id, bo, ConversationStatus::Resolved)
        .await
        .unwrap();
    let (_, _, reasons, escalated) = escalation_of(&svc, t, "Bo").await;
    assert!(!escalated);
    assert_eq!(reasons, ["competitor", "ready_to_buy"]);
    let c = inbox::conversation(&svc, &g, boss.id, bo).await.unwrap();
    assert!(c.lead.escalation.is_empty() && c.lead.escalated_at.is_none());
    let echo = json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "smb_message_echoes", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "message_echoes": [ { "from": "15550001111", "to": "447911123456", "id": "w6",
                                  "timestamp": (now - 10).to_string(), "type": "text",
                                  "text": { "body": "Thanks Bo, card works. Here is the link." } } ] } } ] } ] })
    .to_string();
    intake::receive(&svc, ChannelKind::Whatsapp, echo.as_bytes())
        .await
        .unwrap();
    intake::process_pending(&svc, 10).await.unwrap();
    writes(&svc, "447911123456", "Bo", "w7", now, "Thanks, talk soon.").await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let (_, _, reasons, escalated) = escalation_of(&svc, t, "Bo").await;
    assert!(
        !escalated,
        "what was handled does not escalate again: {reasons:?}"
    );
    // A new reason opens it again.
    writes(
        &svc,
        "447911123456",
        "Bo",
        "w8",
        now + 1,
        "One more thing: our lawyer wants to see the contract first.",
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let (_, _, reasons, escalated) = escalation_of(&svc, t, "Bo").await;
    assert!(escalated);
    assert_eq!(reasons, ["competitor", "ready_to_buy", "sensitive"]);
}
