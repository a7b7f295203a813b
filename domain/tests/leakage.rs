//! The leakage scan against real Postgres and Redis: a lead left unanswered for half an hour, or
//! unopened for a quarter, alerts the SDR who has them; a HOT lead left unanswered goes to another
//! SDR online; alerts clear once the conversation is opened, answered or moved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, leads_grant, member, services, team};
use domain::leads::leakage::LeakKind;
use domain::leads::ChannelKind;
use domain::server::channels::intake;
use domain::server::leads::leakage;
use domain::server::leads::routing::{self, SdrSettings};
use domain::server::leads::{inbox, scoring};
use domain::server::Services;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

async fn writes(svc: &Services, from: &str, name: &str, id: &str, minutes_ago: i64, text: &str) {
    let ts = common::now_ts() - minutes_ago * 60;
    common::deliver_whatsapp(svc, &common::wa_text(from, name, id, ts, text)).await;
}

async fn lead(owner: &PgPool, name: &str) -> (Uuid, Option<Uuid>) {
    let r = sqlx::query!("SELECT id, assignee FROM leads WHERE name = $1", name)
        .fetch_one(&all_rows(owner).await)
        .await
        .unwrap();
    (r.id, r.assignee)
}

#[sqlx::test(migrations = "../migrations")]
async fn leads_left_waiting_alert_their_sdr_and_hot_ones_move_on(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let sam = member(&svc, &owner, t, "sam@example.com", "Sam", "SDR").await;
    let kim = member(&svc, &owner, t, "kim@example.com", "Kim", "SDR").await;
    for who in [&sam, &kim] {
        let settings = SdrSettings {
            junior: false,
            capacity: 5,
        };
        routing::set_sdr(&svc, t, who.id, &settings).await.unwrap();
    }
    // Only Sam is online: the HOT lead goes to him.
    routing::set_online(&svc, t, sam.id, true).await.unwrap();
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    writes(
        &svc,
        "14155552671",
        "Ana",
        "w1",
        40,
        "We have a budget of $60,000 and want to start next week. Can we book a call?",
    )
    .await;
    writes(
        &svc,
        "447911123456",
        "Bo",
        "w2",
        20,
        "What would a website redesign cost? We have about $5,000 and want it in two months.",
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let (ana, with) = lead(&owner, "Ana").await;
    assert_eq!(with, Some(sam.id.0));
    // Bo (WARM) goes to whoever has the most room, online or not: Kim.
    let (bo, bo_with) = lead(&owner, "Bo").await;
    assert_eq!(bo_with, Some(kim.id.0));
    // Sam has had Ana for as long as she has waited.
    sqlx::query!(
        "UPDATE leads SET assigned_at = now() - interval '40 minutes' WHERE id = $1",
        ana
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();

    // Nobody else is online: Ana (40 minutes unanswered and unopened) alerts Sam and stays
    // with him; Bo (20 minutes unopened) alerts Kim.
    let done = leakage::scan(&svc).await.unwrap();
    assert_eq!((done.opened, done.cleared, done.moved), (3, 0, 0));
    let gs = leads_grant(&svc, &sam).await;
    let home = inbox::home(&svc, &gs, sam.id).await.unwrap();
    let alerts: Vec<(String, LeakKind)> = home
        .alerts
        .iter()
        .map(|a| (a.name.clone(), a.kind))
        .collect();
    assert_eq!(
        alerts,
        [
            ("Ana".to_owned(), LeakKind::ReplyPending),
            ("Ana".to_owned(), LeakKind::Unseen),
        ]
    );
    assert_eq!(
        home.alerts[0].text(),
        "Ana (HOT) is waiting for your answer."
    );
    let rows = inbox::list(&svc, &gs, sam.id, &Default::default())
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.leaking));
    // A second scan finds nothing new.
    assert_eq!(leakage::scan(&svc).await.unwrap(), Default::default());

    // Kim opens Bo's conversation: that alert clears.
    let gk = leads_grant(&svc, &kim).await;
    let kims = inbox::home(&svc, &gk, kim.id).await.unwrap().alerts;
    assert_eq!(kims.len(), 1);
    assert_eq!(
        kims[0].text(),
        "Bo (WARM) wrote and you have not opened it yet."
    );
    inbox::conversation(&svc, &gk, kim.id, bo).await.unwrap();
    let done = leakage::scan(&svc).await.unwrap();
    assert_eq!((done.opened, done.cleared), (0, 1));

    // Kim comes online. Ana's leak was told already, so she stays. When it is told again (as
    // when Sam had answered and she wrote again), she moves to Kim.
    routing::set_online(&svc, t, kim.id, true).await.unwrap();
    assert_eq!(leakage::scan(&svc).await.unwrap().moved, 0);
    sqlx::query!(
        "UPDATE lead_alerts SET cleared_at = now() WHERE lead_id = $1",
        ana
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    let done = leakage::scan(&svc).await.unwrap();
    assert_eq!(done.moved, 1);
    let (_, with) = lead(&owner, "Ana").await;
    assert_eq!(
        with,
        Some(kim.id.0),
        "a HOT lead left waiting goes to someone online"
    );
    let history: Vec<String> = sqlx::query_scalar!(
        "SELECT kind FROM lead_events WHERE lead_id = $1 ORDER BY id",
        ana
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(history.iter().filter(|k| *k == "leaked").count(), 4);
    assert_eq!(history.last().map(String::as_str), Some("assigned"));

    // Sam's alerts about Ana clear; Kim's start, and do not move her on again so soon.
    let done = leakage::scan(&svc).await.unwrap();
    assert_eq!((done.opened, done.cleared, done.moved), (2, 2, 0));
    let kims = inbox::home(&svc, &gk, kim.id).await.unwrap().alerts;
    assert_eq!(kims.len(), 2);
    assert!(inbox::home(&svc, &gs, sam.id)
        .await
        .unwrap()
        .alerts
        .is_empty());

    // Kim answers and opens it: nothing is left waiting.
    let echo = json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "smb_message_echoes", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "message_echoes": [ { "from": "15550001111", "to": "14155552671", "id": "w3",
                                  "timestamp": time::OffsetDateTime::now_utc().unix_timestamp().to_string(),
                                  "type": "text", "text": { "body": "Hi Ana, Kim here. 3 pm?" } } ] } } ] } ] })
    .to_string();
    intake::receive(&svc, ChannelKind::Whatsapp, echo.as_bytes())
        .await
        .unwrap();
    intake::process_pending(&svc, 10).await.unwrap();
    inbox::conversation(&svc, &gk, kim.id, ana).await.unwrap();
    let done = leakage::scan(&svc).await.unwrap();
    assert_eq!((done.opened, done.cleared), (0, 2));
    assert!(inbox::home(&svc, &gk, kim.id)
        .await
        .unwrap()
        .alerts
        .is_empty());
}
