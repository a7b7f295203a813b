//! The unified inbox against real Postgres: one conversation per lead across channels, filters
//! and search, unread marks per person, what an SDR may see and do, hand assignment within
//! capacity, resolve and reopen (a new message reopens), tags and private notes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, leads_grant, member, services, team};
use domain::ai::LeadBand;
use domain::leads::inbox::{AssigneeFilter, ConversationStatus, InboxFilter};
use domain::leads::ChannelKind;
use domain::server::channels::intake;
use domain::server::leads::inbox;
use domain::server::leads::routing::{self, SdrSettings};
use domain::server::leads::scoring;
use domain::server::Services;
use domain::AppError;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn deliver(svc: &Services, kind: ChannelKind, body: Value) {
    intake::receive(svc, kind, body.to_string().as_bytes())
        .await
        .unwrap();
    intake::process_pending(svc, 10).await.unwrap();
}

fn whatsapp(from: &str, name: &str, id: &str, ts: i64, text: &str) -> Value {
    json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "contacts": [ { "profile": { "name": name }, "wa_id": from } ],
            "messages": [ { "from": from, "id": id, "timestamp": ts.to_string(), "type": "text",
                            "text": { "body": text } } ] } } ] } ] })
}

fn names(rows: &[domain::leads::inbox::ConversationRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_team_sees_each_lead_as_one_conversation_and_works_it(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let sam = member(&svc, &owner, t, "sam@example.com", "Sam", "SDR").await;
    let kim = member(&svc, &owner, t, "kim@example.com", "Kim", "SDR").await;
    let rea = member(&svc, &owner, t, "rea@example.com", "Rea", "READONLY").await;
    routing::set_sdr(
        &svc,
        t,
        sam.id,
        &SdrSettings {
            junior: false,
            capacity: 5,
        },
    )
    .await
    .unwrap();
    routing::set_sdr(
        &svc,
        t,
        kim.id,
        &SdrSettings {
            junior: true,
            capacity: 1,
        },
    )
    .await
    .unwrap();
    routing::set_online(&svc, t, sam.id, true).await.unwrap();
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    intake::connect(&svc, t, ChannelKind::Messenger, "PAGE1", "Facebook page")
        .await
        .unwrap();

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    deliver(
        &svc,
        ChannelKind::Whatsapp,
        whatsapp(
            "14155552671",
            "Ana",
            "w1",
            now - 300,
            "We have a budget of $60,000 and want to start next week. Can we book a call?",
        ),
    )
    .await;
    deliver(
        &svc,
        ChannelKind::Whatsapp,
        whatsapp(
            "447911123456",
            "Bo",
            "w2",
            now - 200,
            "just looking, maybe next year",
        ),
    )
    .await;
    deliver(&svc, ChannelKind::Messenger, json!({ "object": "page", "entry": [ { "id": "PAGE1", "time": now * 1000,
        "messaging": [ { "sender": { "id": "PSID9" }, "recipient": { "id": "PAGE1" }, "timestamp": (now - 8 * 86_400) * 1000,
                         "message": { "mid": "m1", "text": "Sorry, wrong page. Not now, thanks." } } ] } ] })).await;
    scoring::score_pending(&svc, 10).await.unwrap();

    // The owner sees every conversation, the latest message first, all unread.
    let g = leads_grant(&svc, &boss).await;
    let all = inbox::list(&svc, &g, boss.id, &InboxFilter::default())
        .await
        .unwrap();
    assert_eq!(names(&all), ["Bo", "Ana", "messenger:PSID9"]);
    assert!(all.iter().all(|r| r.unread && r.last_inbound));
    assert_eq!(all[2].channels, [ChannelKind::Messenger]);
    assert_eq!(
        all[2].last_text.as_deref(),
        Some("Sorry, wrong page. Not now, thanks.")
    );
    // Only the HOT lead went to an SDR; the two COLD ones are with the AI re-engagement.
    assert_eq!(all[0].band, Some(LeadBand::Cold));
    assert_eq!(all[2].band, Some(LeadBand::Cold));
    let ana = all[1].clone();
    assert_eq!(ana.band, Some(LeadBand::Hot));
    assert_eq!(ana.assignee.as_deref(), Some("Sam"));
    assert!(ana.due.is_some() && !ana.late);

    let find = |f: InboxFilter| {
        let svc = svc.clone();
        let me = boss.id;
        async move { inbox::list(&svc, &g, me, &f).await.unwrap() }
    };
    let only = |s: &str| InboxFilter {
        search: s.into(),
        ..InboxFilter::default()
    };
    assert_eq!(names(&find(only("budget")).await), ["Ana"]);
    assert_eq!(names(&find(only("+1415")).await), ["Ana"]);
    assert_eq!(names(&find(only("WRONG page")).await), ["messenger:PSID9"]);
    // The pattern characters are taken literally: no message has a % or an _.
    assert!(find(only("%")).await.is_empty() && find(only("_")).await.is_empty());
    let messenger = InboxFilter {
        channel: Some(ChannelKind::Messenger),
        ..InboxFilter::default()
    };
    assert_eq!(names(&find(messenger).await), ["messenger:PSID9"]);
    let hot = InboxFilter {
        band: Some(LeadBand::Hot),
        ..InboxFilter::default()
    };
    assert_eq!(names(&find(hot).await), ["Ana"]);
    let nobodys = InboxFilter {
        assignee: AssigneeFilter::Unassigned,
        ..InboxFilter::default()
    };
    assert_eq!(names(&find(nobodys).await), ["Bo", "messenger:PSID9"]);
    let long = only(&"x".repeat(101));
    let e = inbox::list(&svc, &g, boss.id, &long).await.unwrap_err();
    assert_eq!(
        e.message_for("search"),
        Some("Search for at most 100 characters.")
    );

    // Opening a conversation shows the lead, their score and why, and marks it read for me only.
    let c = inbox::conversation(&svc, &g, boss.id, ana.lead)
        .await
        .unwrap();
    assert_eq!(c.lead.identities, ["phone:+14155552671"]);
    assert_eq!(c.lead.factors.len(), 3);
    assert!(c.lead.reasoning.as_deref().unwrap().contains("$60,000"));
    assert_eq!(c.messages.len(), 1);
    assert_eq!(c.messages[0].channel_name, "Sales line");
    assert!(c.can_work);
    let sdrs = c.sdrs.expect("the owner may assign");
    assert_eq!(
        sdrs.iter()
            .map(|s| (s.name.as_str(), s.open, s.capacity))
            .collect::<Vec<_>>(),
        [("Kim", 0, 1), ("Sam", 1, 5)]
    );
    let unread = InboxFilter {
        unread: true,
        ..InboxFilter::default()
    };
    assert_eq!(
        names(&find(unread.clone()).await),
        ["Bo", "messenger:PSID9"]
    );

    // An SDR sees only the conversations given to them, whatever the filter says.
    let gs = leads_grant(&svc, &sam).await;
    let mine = inbox::list(&svc, &gs, sam.id, &InboxFilter::default())
        .await
        .unwrap();
    assert_eq!(names(&mine), ["Ana"]);
    assert!(mine[0].unread, "read marks are per person");
    let bo = all[0].lead;
    assert_eq!(
        inbox::conversation(&svc, &gs, sam.id, bo)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        inbox::add_note(&svc, &gs, sam.id, bo, "hi")
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        inbox::assign(&svc, &gs, sam.id, bo, Some(sam.id))
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    let c = inbox::conversation(&svc, &gs, sam.id, ana.lead)
        .await
        .unwrap();
    assert!(c.can_work && c.sdrs.is_none());

    // The owner gives Bo to Kim by hand; Kim is then full, and a non-SDR can't take leads.
    inbox::assign(&svc, &g, boss.id, bo, Some(kim.id))
        .await
        .unwrap();
    let psid = all[2].lead;
    let e = inbox::assign(&svc, &g, boss.id, psid, Some(kim.id))
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("assignee"),
        Some("They already have 1 of 1 open leads.")
    );
    let e = inbox::assign(&svc, &g, boss.id, psid, Some(rea.id))
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("assignee"),
        Some("Only an SDR of the team can take leads.")
    );
    let kims = InboxFilter::default();
    let gk = leads_grant(&svc, &kim).await;
    assert_eq!(
        names(&inbox::list(&svc, &gk, kim.id, &kims).await.unwrap()),
        ["Bo"]
    );
    // Back to the queue: Kim no longer sees it.
    inbox::assign(&svc, &g, boss.id, bo, None).await.unwrap();
    assert!(inbox::list(&svc, &gk, kim.id, &kims)
        .await
        .unwrap()
        .is_empty());

    // Sam works Ana's conversation: a note, tags, resolved.
    let e = inbox::add_note(&svc, &gs, sam.id, ana.lead, "   ")
        .await
        .unwrap_err();
    assert_eq!(e.message_for("note"), Some("Write the note first."));
    inbox::add_note(&svc, &gs, sam.id, ana.lead, "Wants a call at 3 pm.")
        .await
        .unwrap();
    let tags = inbox::set_tags(&svc, &gs, sam.id, ana.lead, " VIP, Follow-up ,vip")
        .await
        .unwrap();
    assert_eq!(tags, ["vip", "follow-up"]);
    inbox::set_status(&svc, &gs, sam.id, ana.lead, ConversationStatus::Resolved)
        .await
        .unwrap();
    let c = inbox::conversation(&svc, &g, boss.id, ana.lead)
        .await
        .unwrap();
    assert_eq!(c.notes.len(), 1);
    assert_eq!(
        (c.notes[0].author.as_str(), c.notes[0].body.as_str()),
        ("Sam", "Wants a call at 3 pm.")
    );
    assert_eq!(c.lead.tags, ["vip", "follow-up"]);
    assert_eq!(c.lead.status, ConversationStatus::Resolved);
    let open = InboxFilter {
        status: Some(ConversationStatus::Open),
        ..InboxFilter::default()
    };
    assert!(!names(&find(open.clone()).await).contains(&"Ana"));

    // Read-only members look but do not touch.
    let gr = leads_grant(&svc, &rea).await;
    assert_eq!(
        inbox::list(&svc, &gr, rea.id, &InboxFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(
        !inbox::conversation(&svc, &gr, rea.id, ana.lead)
            .await
            .unwrap()
            .can_work
    );
    assert_eq!(
        inbox::set_status(&svc, &gr, rea.id, ana.lead, ConversationStatus::Open)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );

    // Ana writes again: her conversation is open, first in the list, and unread.
    deliver(
        &svc,
        ChannelKind::Whatsapp,
        whatsapp("14155552671", "Ana", "w9", now, "Still there?"),
    )
    .await;
    let again = find(open).await;
    assert_eq!(names(&again)[0], "Ana");
    assert!(again[0].unread);
    let history: Vec<String> = sqlx::query_scalar!(
        "SELECT kind FROM lead_events WHERE lead_id = $1 ORDER BY id",
        ana.lead
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(
        history,
        // A $60,000 budget and a call asked for: escalated to a person as she was scored.
        [
            "created",
            "scored",
            "escalated",
            "assigned",
            "tagged",
            "resolved"
        ]
    );
}
