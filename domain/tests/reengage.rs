//! The AI re-engagement against real Postgres and Redis: a COLD lead routed to the AI gets one
//! message on the channel they wrote on: the AI's draft inside the 24 hours, a template with
//! their first name outside it, nothing (with the reason in the history) when no template fits;
//! each is billed as a cold recovery and never sent twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, deliver_whatsapp, lead_named, leads_grant, now_ts, services, wa_text};
use domain::leads::reply::TemplateSpec;
use domain::leads::ChannelKind;
use domain::server::channels::intake;
use domain::server::leads::reengage::{self, Reengaged};
use domain::server::leads::{drafts, inbox, replies, scoring};
use sqlx::PgPool;
use uuid::Uuid;

async fn history(owner: &PgPool, lead: Uuid) -> Vec<(String, serde_json::Value)> {
    sqlx::query!(
        "SELECT kind, detail FROM lead_events WHERE lead_id = $1 ORDER BY id",
        lead
    )
    .fetch_all(&all_rows(owner).await)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.kind, r.detail))
    .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn cold_leads_get_one_message_by_the_window_rules(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    let channel = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let owner_grant = common::owner_grant(t);
    drafts::set_facts(
        &svc,
        &owner_grant,
        &domain::leads::facts::FactsForm {
            business_name: "Acme Studio".into(),
            offerings: "Website redesign: 6000".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Only a template the automation cannot fill in alone (two values).
    let follow_up = TemplateSpec {
        name: "follow_up".into(),
        language: "en_US".into(),
        category: "utility".into(),
        body: "Hi {{1}}, thanks for asking about {{2}}.".into(),
    };
    replies::add_template(&svc, &owner_grant, channel.id, &follow_up)
        .await
        .unwrap();

    // Lena wrote by email and Tom on WhatsApp, three days ago: both COLD, both with the AI.
    replies::connect(
        &svc,
        &owner_grant,
        "email",
        "sales@team-a.test",
        "Sales email",
    )
    .await
    .unwrap();
    let three_days_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap();
    let mail = format!(
        "From: Lena Fischer <lena@example.com>\r\nTo: sales@team-a.test\r\nSubject: Websites\r\n\
         Date: {three_days_ago}\r\nMessage-ID: <lena-1@example.com>\r\n\r\nJust browsing for now, thanks.\r\n"
    );
    intake::receive(&svc, ChannelKind::Email, mail.as_bytes())
        .await
        .unwrap();
    intake::process_pending(&svc, 10).await.unwrap();
    deliver_whatsapp(
        &svc,
        &wa_text(
            "4915112345679",
            "Tom Weber",
            "w2",
            now_ts() - 3 * 86_400,
            "Just browsing for now, thanks.",
        ),
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let (lena, tom) = (
        lead_named(&owner, "Lena Fischer").await,
        lead_named(&owner, "Tom Weber").await,
    );
    let routed: Vec<String> = sqlx::query_scalar!(
        "SELECT routing FROM leads WHERE id = ANY($1) ORDER BY name",
        &[lena, tom]
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(routed, ["nurture", "nurture"]);

    let done = reengage::run(&svc, 10).await.unwrap();
    assert_eq!(
        done,
        Reengaged {
            sent: 1,
            skipped: 1,
            later: 0
        }
    );
    // Lena, on email (no window): the AI's draft, queued on her channel (waiting for its SMTP
    // server),
    // shown as the AI's, billed once as a cold recovery.
    let gb = leads_grant(&svc, &boss).await;
    let c = inbox::conversation(&svc, &gb, boss.id, lena).await.unwrap();
    let m = c.messages.last().unwrap();
    assert!(!m.inbound);
    assert_eq!(m.kind, "text");
    assert_eq!(m.author.as_deref(), Some("AI re-engagement"));
    assert_eq!(m.status.as_deref(), Some("queued"));
    assert!(
        m.body.as_deref().unwrap().contains("Acme Studio"),
        "{:?}",
        m.body
    );
    let h = history(&owner, lena).await;
    let (kind, detail) = h.last().unwrap();
    assert_eq!(kind, "reengaged");
    assert_eq!(detail["message"], m.id.to_string());
    let charged = sqlx::query!(
        "SELECT operation, tenths, key FROM token_charges WHERE subject = $1 AND operation = 'cold_recovery'",
        format!("lead:{lena}")
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(charged.len(), 1);
    assert_eq!(charged[0].tenths, 25);
    assert_eq!(charged[0].key, format!("reengage:{}", m.id));

    // Tom, outside the window, with no template the automation can fill: nothing sent, and the
    // history says why.
    let c = inbox::conversation(&svc, &gb, boss.id, tom).await.unwrap();
    assert_eq!(c.messages.len(), 1);
    let h = history(&owner, tom).await;
    let (kind, detail) = h.last().unwrap();
    assert_eq!(kind, "reengage_skipped");
    let why = detail["reason"].as_str().unwrap();
    assert!(why.starts_with("More than 24 hours have passed"), "{why}");
    assert!(
        why.contains("at most one value (their first name)"),
        "{why}"
    );

    // Never twice.
    assert_eq!(reengage::run(&svc, 10).await.unwrap(), Reengaged::default());

    // With a marketing template of one value, the next cold lead outside the window gets it,
    // with their first name.
    let come_back = TemplateSpec {
        name: "come_back".into(),
        language: "en_US".into(),
        category: "marketing".into(),
        body: "Hi {{1}}, we have new packages this month. Want to hear about them?".into(),
    };
    replies::add_template(&svc, &owner_grant, channel.id, &come_back)
        .await
        .unwrap();
    deliver_whatsapp(
        &svc,
        &wa_text(
            "4915112345670",
            "Mia Braun",
            "w3",
            now_ts() - 2 * 86_400,
            "Just browsing for now, thanks.",
        ),
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    assert_eq!(reengage::run(&svc, 10).await.unwrap().sent, 1);
    let mia = lead_named(&owner, "Mia Braun").await;
    let c = inbox::conversation(&svc, &gb, boss.id, mia).await.unwrap();
    let m = c.messages.last().unwrap();
    assert_eq!(m.kind, "template");
    assert_eq!(
        m.body.as_deref(),
        Some("Hi Mia, we have new packages this month. Want to hear about them?")
    );
    assert_eq!(m.author.as_deref(), Some("AI re-engagement"));

    // A lead that left the AI's care before its turn gets nothing.
    deliver_whatsapp(
        &svc,
        &wa_text(
            "4915112345671",
            "Jan Roth",
            "w4",
            now_ts() - 30,
            "Just browsing for now, thanks.",
        ),
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let jan = lead_named(&owner, "Jan Roth").await;
    inbox::assign(&svc, &gb, boss.id, jan, Some(sam.id))
        .await
        .unwrap();
    assert_eq!(reengage::run(&svc, 10).await.unwrap(), Reengaged::default());
    assert!(!history(&owner, jan)
        .await
        .iter()
        .any(|(k, _)| k.starts_with("reengage")));
}
