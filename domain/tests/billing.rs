//! Token billing against real Postgres and Redis: every inbound message and paid operation is
//! charged once by its key, warnings come once at half of the month, and when the tokens run out
//! scoring and AI drafts pause with a clear banner while messages still arrive; a top-up or a
//! larger plan resumes them, and the waiting leads are scored then.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, leads_grant, meta, services, team};
use domain::leads::billing::{Operation, Refusal, Usage};
use domain::leads::facts::FactsForm;
use domain::leads::ChannelKind;
use domain::server::channels::intake;
use domain::server::leads::billing::{self, Charged};
use domain::server::leads::routing::{self, SdrSettings};
use domain::server::leads::{drafts, inbox, scoring};
use domain::server::{accounts, db, mail, Services};
use domain::types::TenantId;
use domain::AppError;
use sqlx::PgPool;

fn whatsapp(from: &str, name: &str, id: &str, text: &str) -> serde_json::Value {
    common::wa_text(from, name, id, common::now_ts(), text)
}

async fn deliver(svc: &Services, body: &serde_json::Value) {
    common::deliver_whatsapp(svc, body).await;
}

/// The team's charges: (operation, tenths), in order; and today's total.
async fn charges(svc: &Services, t: TenantId) -> (Vec<(String, i32)>, i64) {
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let rows = sqlx::query!("SELECT operation, tenths FROM token_charges ORDER BY id")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    let today = sqlx::query_scalar!(
        "SELECT tenths FROM token_days WHERE day = (now() AT TIME ZONE 'UTC')::date"
    )
    .fetch_optional(&mut *tx)
    .await
    .unwrap()
    .unwrap_or(0);
    tx.commit().await.unwrap();
    (
        rows.into_iter().map(|r| (r.operation, r.tenths)).collect(),
        today,
    )
}

/// Sets what the team used today (in tenths), as if it had been charged.
async fn used_today(owner: &PgPool, t: TenantId, tenths: i64) {
    sqlx::query!(
        r#"INSERT INTO token_days (tenant_id, day, tenths) VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2)
           ON CONFLICT (tenant_id, day) DO UPDATE SET tenths = $2"#,
        t.0,
        tenths
    )
    .execute(&all_rows(owner).await)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn tokens_are_charged_once_warned_paused_and_resumed(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let g = leads_grant(&svc, &boss).await;
    routing::set_sdr(
        &svc,
        t,
        boss.id,
        &SdrSettings {
            junior: false,
            capacity: 10,
        },
    )
    .await
    .unwrap();
    routing::set_online(&svc, t, boss.id, true).await.unwrap();
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();

    // A message is charged once, however often Meta delivers it.
    let first = whatsapp(
        "14155552671",
        "Ana",
        "wamid.1",
        "What would a website redesign cost? We have about $5,000 and want it in two months.",
    );
    deliver(&svc, &first).await;
    deliver(&svc, &first).await;
    let (rows, today) = charges(&svc, t).await;
    assert_eq!(rows, [("inbound_whatsapp".to_owned(), 1)]);
    assert_eq!(today, 1);

    // Scoring Ana, and routing her to the SDR online, are charged by the rate card.
    let done = scoring::score_pending(&svc, 10).await.unwrap();
    assert_eq!((done.scored, done.assigned, done.paused), (1, 1, 0));
    let (rows, today) = charges(&svc, t).await;
    assert_eq!(
        rows,
        [
            ("inbound_whatsapp".to_owned(), 1),
            ("scoring".to_owned(), 5),
            ("routing".to_owned(), 10),
        ]
    );
    assert_eq!(today, 16);
    let s = billing::status(&svc, &g).await.unwrap();
    assert_eq!(s.allowance.used_month, 16);
    assert_eq!(s.usage, Usage::Fine);
    assert_eq!(s.notice, None);
    let scored = s
        .by_operation
        .iter()
        .find(|u| u.operation == Operation::Scoring)
        .unwrap();
    assert_eq!((scored.count, scored.tenths), (1, 5));

    // Crossing half of the month's credits warns once, by mail to the owner.
    used_today(&owner, t, 24_999).await;
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let crossed = billing::meter(&mut tx, t, Operation::HumanReview, "review:1", None)
        .await
        .unwrap();
    assert_eq!(
        crossed,
        Charged::Done {
            crossed: Some(Usage::Half)
        }
    );
    let again = billing::meter(&mut tx, t, Operation::HumanReview, "review:2", None)
        .await
        .unwrap();
    assert_eq!(again, Charged::Done { crossed: None });
    let same = billing::meter(&mut tx, t, Operation::HumanReview, "review:2", None)
        .await
        .unwrap();
    assert_eq!(same, Charged::Again);
    tx.commit().await.unwrap();
    billing::warn(&svc, t, Usage::Half).await;
    let mails = mail::recent(&svc.db, 5).await.unwrap();
    let warned = mails
        .iter()
        .find(|m| m.subject.contains("half of this month's tokens"))
        .expect("the owner is warned");
    assert_eq!(warned.to, "team-a@example.com");
    assert!(
        warned.body.contains("Your team has used half"),
        "{}",
        warned.body
    );

    // Out of tokens: messages still arrive and are counted, but scoring and drafts pause.
    drafts::set_facts(
        &svc,
        &g,
        &FactsForm {
            business_name: "Acme Apps".into(),
            offerings: "Website redesign: 4000".into(),
            ..FactsForm::default()
        },
    )
    .await
    .unwrap();
    used_today(&owner, t, 50_000).await;
    deliver(
        &svc,
        &whatsapp(
            "447911123456",
            "Bo",
            "wamid.2",
            "Do you build online shops? Budget $9,000.",
        ),
    )
    .await;
    let done = scoring::score_pending(&svc, 10).await.unwrap();
    assert_eq!((done.scored, done.paused), (0, 1));
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let bo = sqlx::query!(
        r#"SELECT id, score, score_requested_at IS NOT NULL AS "marked!" FROM leads WHERE name = 'Bo'"#
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((bo.score, bo.marked), (None, true), "kept for later");
    let (rows, today) = charges(&svc, t).await;
    assert_eq!(rows.last().unwrap(), &("inbound_whatsapp".to_owned(), 1));
    assert_eq!(today, 50_001);
    let home = inbox::home(&svc, &g, boss.id).await.unwrap();
    assert!(home.tokens_paused);
    assert_eq!(
        home.tokens.as_deref(),
        Some(Refusal::OutOfCredits.message())
    );
    let refused = drafts::draft(&svc, &g, boss.id, bo.id).await.unwrap_err();
    assert_eq!(
        refused,
        AppError::Conflict(Refusal::OutOfCredits.message().into())
    );

    // Staff top up: the month has credits again, but today's limit still holds.
    let staff = accounts::sign_up(
        &svc,
        "ops@fluxorae.test",
        "correct horse battery",
        "Ops",
        &meta("10.0.0.3"),
    )
    .await
    .unwrap()
    .user;
    let refused = billing::top_up(
        &svc,
        &staff,
        "team-a",
        "1000",
        "Goodwill",
        &meta("10.0.0.3"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused, AppError::Forbidden, "only the platform's admins");
    sqlx::query!("UPDATE users SET role = 'ADMIN' WHERE id = $1", staff.id.0)
        .execute(&all_rows(&owner).await)
        .await
        .unwrap();
    let staff = common::user(&svc, "ops@fluxorae.test").await;
    let bad = billing::top_up(&svc, &staff, "team-a", "0", " ", &meta("10.0.0.3"))
        .await
        .unwrap_err();
    assert_eq!(
        bad.message_for("tokens"),
        Some("Enter a whole number of tokens from 1 to 1,000,000.")
    );
    assert!(bad.message_for("note").is_some());
    let s = billing::top_up(
        &svc,
        &staff,
        "team-a",
        "10,000",
        "Goodwill",
        &meta("10.0.0.3"),
    )
    .await
    .unwrap();
    assert_eq!(s.allowance.monthly, 50_000 + 100_000);
    assert_eq!(s.topups.len(), 1);
    assert_eq!(s.topups[0].note, "Goodwill");
    assert_eq!(s.notice.as_deref(), Some(Refusal::DailyLimit.message()));

    // A larger plan lifts today's limit: Bo is scored at the next run (his claim has run out).
    let s = billing::set_plan(&svc, &staff, "team-a", "scale", &meta("10.0.0.3"))
        .await
        .unwrap();
    assert_eq!(s.usage, Usage::Fine);
    assert!(
        billing::set_plan(&svc, &staff, "team-a", "gold", &meta("10.0.0.3"))
            .await
            .unwrap_err()
            .message_for("plan")
            .is_some()
    );
    sqlx::query!(
        "UPDATE leads SET score_claimed_until = now() - interval '1 second' WHERE id = $1",
        bo.id
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    let done = scoring::score_pending(&svc, 10).await.unwrap();
    assert_eq!((done.scored, done.paused), (1, 0));
    let home = inbox::home(&svc, &g, boss.id).await.unwrap();
    assert!(!home.tokens_paused && home.tokens.is_none());
    assert!(drafts::draft(&svc, &g, boss.id, bo.id).await.is_ok());
    let (rows, _) = charges(&svc, t).await;
    assert!(
        rows.iter()
            .any(|(op, _)| op == "qualification_message" || op == "persuasion_message"),
        "the draft is charged: {rows:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn owners_buy_tokens_by_card_once_per_payment(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    let g = leads_grant(&svc, &boss).await;
    let before = billing::status(&svc, &g).await.unwrap();
    assert!(before.can_buy);
    let monthly = before.allowance.monthly;

    // An SDR may not buy; a wrong pack or card is named at its field and nothing is added.
    let gs = leads_grant(&svc, &sam).await;
    assert!(!billing::status(&svc, &gs)
        .await
        .map(|s| s.can_buy)
        .unwrap_or(false));
    let e = billing::buy(
        &svc,
        &gs,
        &sam,
        "5k",
        "4242 4242 4242 4242",
        "attempt-1",
        &meta("10.0.0.4"),
    )
    .await
    .unwrap_err();
    assert_eq!(e, AppError::Forbidden);
    let e = billing::buy(
        &svc,
        &g,
        &boss,
        "2k",
        "4242 4242 4242 4242",
        "attempt-1",
        &meta("10.0.0.4"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.message_for("pack"), Some("Choose one of the packs."));
    let e = billing::buy(
        &svc,
        &g,
        &boss,
        "5k",
        "4000 0000 0000 0002",
        "attempt-1",
        &meta("10.0.0.4"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("card"),
        Some("Your card was declined. Try another card.")
    );
    assert_eq!(
        billing::status(&svc, &g).await.unwrap().allowance.monthly,
        monthly
    );

    // Paid: 5,000 tokens this month, with a note saying how. The same press twice buys once.
    let m = meta("10.0.0.4");
    let press = || {
        billing::buy(
            &svc,
            &g,
            &boss,
            "5k",
            "4242 4242 4242 4242",
            "attempt-1",
            &m,
        )
    };
    let (a, b) = tokio::join!(press(), press());
    let (a, b) = (a.unwrap(), b.unwrap());
    // And again once the first has gone through: still the same payment.
    press().await.unwrap();
    assert_eq!(
        a.allowance.monthly.max(b.allowance.monthly),
        monthly + 50_000
    );
    let s = billing::status(&svc, &g).await.unwrap();
    assert_eq!(s.allowance.monthly, monthly + 50_000);
    assert_eq!(s.topups.len(), 1);
    assert_eq!(s.topups[0].note, "Bought by card: 5,000 tokens for $90.00");
    // A later purchase (a new form) is a new payment; a form without its key is refused.
    let e = billing::buy(&svc, &g, &boss, "5k", "4242 4242 4242 4242", "", &m)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.contains("Reload the page")),
        "{e:?}"
    );
    let s = billing::buy(
        &svc,
        &g,
        &boss,
        "1k",
        "4242 4242 4242 4242",
        "attempt-2",
        &meta("10.0.0.4"),
    )
    .await
    .unwrap();
    assert_eq!(s.allowance.monthly, monthly + 60_000);
    let rows = sqlx::query!(
        r#"SELECT payment_ref AS "payment_ref!", amount_minor AS "amount_minor!" FROM token_topups
           WHERE tenant_id = $1 ORDER BY created_at"#,
        t.0
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].payment_ref, rows[1].payment_ref);
    assert_eq!((rows[0].amount_minor, rows[1].amount_minor), (9_000, 2_000));
    assert_eq!(purchases_audited(&owner).await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_purchase_the_bank_asks_to_confirm_adds_its_tokens_once_confirmed(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
        ..
    } = common::sales_team(&svc, &owner).await;
    let g = leads_grant(&svc, &boss).await;
    let monthly = billing::status(&svc, &g).await.unwrap().allowance.monthly;
    let m = meta("10.0.0.4");

    // The card asks for the bank's confirmation: nothing is added yet, and the page says what
    // waits. The same form sent twice is one purchase.
    let press = || {
        billing::buy(
            &svc,
            &g,
            &boss,
            "5k",
            "4000 0025 0000 3155",
            "attempt-3ds",
            &m,
        )
    };
    let first = press().await.unwrap();
    let again = press().await.unwrap();
    assert_eq!(first.allowance.monthly, monthly);
    let waiting = first
        .awaiting_bank
        .clone()
        .expect("a purchase waits for the bank");
    assert_eq!(waiting.pack, "5,000 tokens for $90.00");
    assert_eq!(again.awaiting_bank, Some(waiting.clone()));
    assert_eq!(
        billing::status(&svc, &g).await.unwrap().awaiting_bank,
        Some(waiting.clone())
    );
    let kept: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM token_purchases WHERE tenant_id = $1"#,
        t.0
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(kept, 1);

    // An SDR may not confirm it; a purchase that is not the team's is not found.
    let gs = leads_grant(&svc, &sam).await;
    let e = billing::confirm_purchase(&svc, &gs, &sam, waiting.id, &m)
        .await
        .unwrap_err();
    assert_eq!(e, AppError::Forbidden);
    let e = billing::confirm_purchase(&svc, &g, &boss, uuid::Uuid::now_v7(), &m)
        .await
        .unwrap_err();
    assert_eq!(e, AppError::NotFound);

    // Confirmed twice at once, and once more after: the pack's tokens are added once.
    let confirm = || billing::confirm_purchase(&svc, &g, &boss, waiting.id, &m);
    let (a, b) = tokio::join!(confirm(), confirm());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.allowance.monthly.max(b.allowance.monthly),
        monthly + 50_000
    );
    let s = confirm().await.unwrap();
    assert_eq!(s.allowance.monthly, monthly + 50_000);
    assert_eq!(s.awaiting_bank, None);
    assert_eq!(s.topups.len(), 1);
    assert_eq!(s.topups[0].note, "Bought by card: 5,000 tokens for $90.00");
    assert_eq!(purchases_audited(&owner).await, 1);
}

/// How many token purchases the audit log holds.
async fn purchases_audited(owner: &PgPool) -> i64 {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM audit_log WHERE action = 'tokens.bought'"#)
        .fetch_one(&all_rows(owner).await)
        .await
        .unwrap()
}

/// A WhatsApp text with Meta's message `id` from `from` to the business number `number`.
fn whatsapp_to(number: &str, from: &str, id: &str) -> serde_json::Value {
    let mut body = whatsapp(from, "Lead", id, "Hello, what would a website cost?");
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] =
        serde_json::json!(number);
    body
}

/// A Messenger message `mid` from `from` to the page `PAGE1` (the page's own when `echo`).
fn messenger(from: &str, mid: &str, echo: bool) -> serde_json::Value {
    let (sender, recipient) = if echo {
        ("PAGE1", from)
    } else {
        (from, "PAGE1")
    };
    serde_json::json!({ "object": "page", "entry": [ { "id": "PAGE1", "time": 1, "messaging": [
        { "sender": { "id": sender }, "recipient": { "id": recipient },
          "timestamp": common::now_ts() * 1000,
          "message": { "mid": mid, "text": "Hi there", "is_echo": echo } } ] } ] })
}

/// The team's charges as (operation, units, tenths), sorted.
async fn units(owner: &PgPool, t: TenantId) -> Vec<(String, i32, i32)> {
    let mut rows: Vec<(String, i32, i32)> =
        sqlx::query_as("SELECT operation, units, tenths FROM token_charges WHERE tenant_id = $1")
            .bind(t.0)
            .fetch_all(&all_rows(owner).await)
            .await
            .unwrap();
    rows.sort();
    rows
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_is_charged_once_per_team_and_kind_for_each_message_it_stored(owner: PgPool) {
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    let b = team(&svc, "team-b").await;
    let boss = common::with_two_factor(&svc, "team-a@example.com").await;
    let g = leads_grant(&svc, &boss).await;
    intake::connect(&svc, a, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    intake::connect(&svc, a, ChannelKind::Messenger, "PAGE1", "Page")
        .await
        .unwrap();
    intake::connect(&svc, b, ChannelKind::Whatsapp, "PN2", "Line B")
        .await
        .unwrap();
    let store = |kind, body: serde_json::Value| {
        let svc = svc.clone();
        async move {
            intake::receive(&svc, kind, body.to_string().as_bytes())
                .await
                .unwrap()
        }
    };

    // Received together and processed in one batch: to team A three WhatsApp messages (one
    // delivered twice in the batch), two Messenger messages and the page's own reply (not
    // charged: the team sent it); to team B two WhatsApp messages.
    let wa = ChannelKind::Whatsapp;
    store(wa, whatsapp_to("PN1", "14155550001", "wamid.a1")).await;
    let a2 = whatsapp_to("PN1", "14155550002", "wamid.a2");
    store(wa, a2.clone()).await;
    store(wa, whatsapp_to("PN1", "14155550003", "wamid.a3")).await;
    let mut again = whatsapp_to("PN1", "14155550001", "wamid.a1");
    again["entry"][0]["id"] = serde_json::json!("W2");
    store(wa, again).await;
    store(ChannelKind::Messenger, messenger("PSID1", "m_1", false)).await;
    store(ChannelKind::Messenger, messenger("PSID2", "m_2", false)).await;
    store(ChannelKind::Messenger, messenger("PSID1", "m_3", true)).await;
    store(wa, whatsapp_to("PN2", "14155550004", "wamid.b1")).await;
    store(wa, whatsapp_to("PN2", "14155550005", "wamid.b2")).await;
    let done = intake::process_pending(&svc, 100).await.unwrap();
    assert_eq!((done.events, done.messages), (9, 8));

    let a_rows = vec![
        ("inbound_social_dm".to_owned(), 2, 4),
        ("inbound_whatsapp".to_owned(), 3, 3),
    ];
    assert_eq!(units(&owner, a).await, a_rows);
    assert_eq!(
        units(&owner, b).await,
        [("inbound_whatsapp".to_owned(), 2, 2)]
    );
    assert_eq!(
        charges(&svc, a).await.1,
        7,
        "today: 3 × 0.1 + 2 × 0.2 tokens"
    );
    assert_eq!(charges(&svc, b).await.1, 2);
    // The tokens page counts messages, not charges.
    let s = billing::status(&svc, &g).await.unwrap();
    let used = |op| {
        s.by_operation
            .iter()
            .find(|u| u.operation == op)
            .map(|u| (u.count, u.tenths))
    };
    assert_eq!(used(Operation::InboundWhatsapp), Some((3, 3)));
    assert_eq!(used(Operation::InboundSocialDm), Some((2, 4)));
    assert_eq!(s.allowance.used_month, 7);

    // Meta's retry of a body, and a new body naming messages stored already, charge nothing.
    assert_eq!(store(wa, a2).await, intake::Received::Duplicate);
    let mut later = whatsapp_to("PN1", "14155550003", "wamid.a3");
    later["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] =
        serde_json::json!((common::now_ts() + 5).to_string());
    store(wa, later).await;
    let done = intake::process_pending(&svc, 100).await.unwrap();
    assert_eq!((done.events, done.messages), (1, 0));
    assert_eq!(units(&owner, a).await, a_rows);
    assert_eq!(charges(&svc, a).await.1, 7);
}
