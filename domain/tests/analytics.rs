//! The team's report and its CSV export against real Postgres: stages set by hand, the SDR
//! leaderboard, where the period's leads stand, new leads a day, and every lead as a file a
//! spreadsheet opens safely. An SDR gets neither.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{leads_grant, services};
use domain::leads::ChannelKind;
use domain::leads::Lifecycle;
use domain::server::channels::intake;
use domain::server::leads::{analytics, inbox, scoring};
use domain::server::Services;
use domain::AppError;
use serde_json::json;
use sqlx::PgPool;

async fn deliver(svc: &Services, body: serde_json::Value) {
    common::deliver_whatsapp(svc, &body).await;
}

fn writes(from: &str, name: &str, id: &str, text: &str) -> serde_json::Value {
    common::wa_text(from, name, id, common::now_ts(), text)
}

#[sqlx::test(migrations = "../migrations")]
async fn managers_see_the_leaderboard_the_funnel_and_export_every_lead(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    deliver(
        &svc,
        writes(
            "14155552671",
            "Ana",
            "w1",
            "We have a budget of $60,000 and want to start next week. Can we book a call?",
        ),
    )
    .await;
    deliver(
        &svc,
        writes(
            "447911123456",
            "=HYPERLINK(\"http://x\")",
            "w2",
            "What would a website redesign cost? We have about $5,000 and want it in two months.",
        ),
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let g = leads_grant(&svc, &boss).await;
    let gs = leads_grant(&svc, &sam).await;
    let rows = inbox::list(&svc, &g, boss.id, &Default::default())
        .await
        .unwrap();
    let ana = rows.iter().find(|r| r.name == "Ana").unwrap().lead;
    let other = rows.iter().find(|r| r.name != "Ana").unwrap().lead;

    // Sam answers Ana from the business phone (a second later), and wins her; the other says
    // no.
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + 1;
    deliver(
        &svc,
        json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "smb_message_echoes", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "message_echoes": [ { "from": "15550001111", "to": "14155552671", "id": "w3",
                                  "timestamp": now.to_string(), "type": "text",
                                  "text": { "body": "Hi Ana, 3 pm?" } } ] } } ] } ] }),
    )
    .await;
    let e = inbox::set_stage(&svc, &gs, sam.id, ana, "new")
        .await
        .unwrap_err();
    assert!(
        e.message_for("stage").is_some(),
        "a lead never goes back to new"
    );
    let e = inbox::set_stage(&svc, &gs, sam.id, ana, "bought")
        .await
        .unwrap_err();
    assert!(e.message_for("stage").is_some());
    inbox::set_stage(&svc, &gs, sam.id, ana, "won")
        .await
        .unwrap();
    inbox::set_stage(&svc, &g, boss.id, other, "lost")
        .await
        .unwrap();
    let c = inbox::conversation(&svc, &g, boss.id, ana).await.unwrap();
    assert_eq!(c.lead.lifecycle, Lifecycle::Won);

    // The SDR sees only their own leads: no report, no export.
    assert_eq!(
        analytics::report(&svc, &gs, 30).await.unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        analytics::export(&svc, &gs).await.unwrap_err(),
        AppError::Forbidden
    );
    let bad = analytics::report(&svc, &g, 12).await.unwrap_err();
    assert_eq!(
        bad.message_for("days"),
        Some("Choose the last 7, 30 or 90 days.")
    );

    let r = analytics::report(&svc, &g, 7).await.unwrap();
    assert_eq!(r.leads(), 2);
    assert_eq!(r.reached(Lifecycle::Won), 1);
    assert_eq!(r.conversion_percent(), Some(50));
    assert_eq!(r.by_day.len(), 7);
    let today = r.by_day.last().unwrap();
    assert_eq!(today.total(), 2);
    assert_eq!(today.hot, 1);
    assert_eq!(r.by_day[..6].iter().map(|d| d.total()).sum::<u32>(), 0);
    assert_eq!(r.leaderboard.len(), 1);
    let s = &r.leaderboard[0];
    assert_eq!(s.name, "Sam");
    assert_eq!((s.assigned, s.answered, s.won, s.lost), (2, 1, 1, 1));
    assert_eq!((s.sla_met, s.sla_missed), (1, 0));
    assert_eq!(s.sla_percent(), Some(100));
    assert_eq!(s.median_first_answer_minutes, Some(0));
    assert_eq!(s.open, 0, "won and lost leads are not open");

    // Every lead as CSV: a header, one row a lead, and a name a spreadsheet would run is text.
    let (name, csv) = analytics::export(&svc, &g).await.unwrap();
    assert_eq!(name, "team-a-leads.csv");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        "id,name,identities,source,stage,score,band,assigned_to,status,created_at,last_message_at"
    );
    let ana_row = lines.iter().find(|l| l.contains(",Ana,")).unwrap();
    assert!(ana_row.contains(",phone:+14155552671,"), "{ana_row}");
    assert!(ana_row.contains(",won,"), "{ana_row}");
    assert!(ana_row.contains(",HOT,Sam,open,"), "{ana_row}");
    let other_row = lines
        .iter()
        .find(|l| !l.contains(",Ana,") && !l.starts_with("id,"))
        .unwrap();
    assert!(
        other_row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{other_row}"
    );
}
