//! Backpressure against real Postgres and Redis: as the backlog deepens past 1,000, 2,000 and
//! 5,000, analytics and leak scans wait, AI drafts come from the built-in engine, and only
//! templates may be sent; everything comes back as it drains. A team's own backlog steps back
//! only that team, and one team's flood of leads to score never holds up another's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, deliver_whatsapp, leads_grant, now_ts, services, team, wa_text};
use domain::leads::backpressure::DEFAULT_DRAFT_NOTE;
use domain::leads::reply::{Compose, TemplateSpec};
use domain::leads::{ChannelKind, Window};
use domain::server::channels::intake;
use domain::server::leads::{analytics, backpressure, drafts, inbox, leakage, replies, scoring};
use domain::AppError;
use sqlx::PgPool;
use uuid::Uuid;

/// Makes `n` webhook events wait in the intake (as if the worker had fallen behind).
async fn pile_up(owner: &PgPool, n: i64) {
    sqlx::query!(
        r#"INSERT INTO webhook_events (kind, body, body_sha256)
           SELECT 'whatsapp', convert_to('{}', 'UTF8'), sha256(convert_to(gen_random_uuid()::text, 'UTF8'))
           FROM generate_series(1, $1::int8)"#,
        n
    )
    .execute(&all_rows(owner).await)
    .await
    .unwrap();
}

/// The intake caught up.
async fn drain(owner: &PgPool) {
    sqlx::query!("DELETE FROM webhook_events WHERE body = convert_to('{}', 'UTF8')")
        .execute(&all_rows(owner).await)
        .await
        .unwrap();
}

fn busy(e: AppError) -> (String, u64) {
    match e {
        AppError::Busy {
            message,
            retry_after_secs,
        } => (message, retry_after_secs),
        other => panic!("not deferred: {other:?}"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deep_backlog_steps_back_level_by_level_and_recovers(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    let channel = intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let (gs, gb) = (
        leads_grant(&svc, &sam).await,
        leads_grant(&svc, &boss).await,
    );
    let owner_grant = common::owner_grant(t);
    let spec = TemplateSpec {
        name: "follow_up".into(),
        language: "en_US".into(),
        category: "utility".into(),
        body: "Hi {{1}}, shall we pick this up again?".into(),
    };
    replies::add_template(&svc, &owner_grant, channel.id, &spec)
        .await
        .unwrap();
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
    deliver_whatsapp(
        &svc,
        &wa_text(
            "14155552671",
            "Ana",
            "w1",
            now_ts() - 60,
            "What does a website redesign cost? We have about $8,000.",
        ),
    )
    .await;
    scoring::score_pending(&svc, 10).await.unwrap();
    let ana: Uuid = sqlx::query_scalar!("SELECT id FROM leads")
        .fetch_one(&all_rows(&owner).await)
        .await
        .unwrap();

    // Normal: nothing stepped back.
    let home = inbox::home(&svc, &gs, sam.id).await.unwrap();
    assert_eq!(home.busy, None);
    analytics::report(&svc, &gb, 7).await.unwrap();
    assert!(!leakage::scan(&svc).await.unwrap().all_deferred);
    let d = drafts::draft(&svc, &gs, sam.id, ana).await.unwrap();
    assert_eq!(d.note, None);

    // Over 1,000: analytics and scans wait; the banner says so, with what waits.
    pile_up(&owner, 1_001).await;
    let b = backpressure::backlog(&svc, t).await.unwrap();
    assert_eq!((b.intake, b.scoring, b.replies), (1_001, 0, 0));
    let home = inbox::home(&svc, &gs, sam.id).await.unwrap();
    assert_eq!(
        home.busy.as_deref(),
        Some("The inbox is catching up: 1,001 messages, leads and replies are waiting. Analytics and leak scans wait until it has.")
    );
    let (message, retry) = busy(analytics::report(&svc, &gb, 7).await.unwrap_err());
    assert_eq!(retry, 30);
    assert!(
        message.contains("Analytics come back on their own"),
        "{message}"
    );
    assert_eq!(
        AppError::Busy {
            message,
            retry_after_secs: retry
        }
        .status(),
        503
    );
    busy(analytics::export(&svc, &gb).await.unwrap_err());
    assert!(leakage::scan(&svc).await.unwrap().all_deferred);
    // Drafts still come from the configured engine.
    assert_eq!(
        drafts::draft(&svc, &gs, sam.id, ana).await.unwrap().note,
        None
    );

    // Over 2,000: drafts come from the built-in engine only, and say so; it is still logged.
    pile_up(&owner, 1_000).await;
    let d = drafts::draft(&svc, &gs, sam.id, ana).await.unwrap();
    assert_eq!(d.note.as_deref(), Some(DEFAULT_DRAFT_NOTE));
    assert!(!d.text.is_empty());
    let logged = sqlx::query_scalar!("SELECT engine FROM ai_runs WHERE id = $1", d.run)
        .fetch_one(&all_rows(&owner).await)
        .await
        .unwrap();
    assert_eq!(logged, "builtin");

    // Over 5,000: only templates, in the composer and at send, inside the 24 hours too.
    pile_up(&owner, 3_000).await;
    let c = inbox::conversation(&svc, &gs, sam.id, ana).await.unwrap();
    let target = &c.composer.unwrap().targets[0];
    assert_eq!(target.window, Window::TemplatesOnly);
    let reason = target.closed_reason.clone().unwrap();
    assert!(
        reason.starts_with("The inbox is catching up: 5,001"),
        "{reason}"
    );
    assert!(reason.ends_with("only an approved template can be sent."));
    let text = Compose::Text {
        body: "Hi Ana, $6,000 covers it.".into(),
    };
    let e = replies::send(&svc, &gs, sam.id, ana, channel.id, &text)
        .await
        .unwrap_err();
    assert_eq!(e, AppError::Conflict(reason));
    let template = Compose::Template {
        template: target.templates[0].id,
        variables: vec!["Ana".into()],
    };
    replies::send(&svc, &gs, sam.id, ana, channel.id, &template)
        .await
        .unwrap();
    assert!(inbox::home(&svc, &gs, sam.id)
        .await
        .unwrap()
        .busy
        .unwrap()
        .contains("Only templates can be sent"));

    // Drained: everything is back.
    drain(&owner).await;
    assert_eq!(inbox::home(&svc, &gs, sam.id).await.unwrap().busy, None);
    analytics::report(&svc, &gb, 7).await.unwrap();
    replies::send(&svc, &gs, sam.id, ana, channel.id, &text)
        .await
        .unwrap();
    assert_eq!(
        drafts::draft(&svc, &gs, sam.id, ana).await.unwrap().note,
        None
    );
    assert!(!leakage::scan(&svc).await.unwrap().all_deferred);
}

#[sqlx::test(migrations = "../migrations")]
async fn one_teams_flood_steps_back_that_team_only_and_never_holds_up_another(owner: PgPool) {
    let svc = services(&owner).await;
    let a = team(&svc, "team-a").await;
    let b = team(&svc, "team-b").await;
    let all = all_rows(&owner).await;
    // Team A is flooded: 1,001 new leads to score, marked before team B's two.
    sqlx::query!(
        r#"INSERT INTO leads (id, tenant_id, source, score_requested_at)
           SELECT gen_random_uuid(), $1, 'api', now() - interval '1 hour' + g * interval '1 ms'
           FROM generate_series(1, 1001) g"#,
        a.0
    )
    .execute(&all)
    .await
    .unwrap();
    sqlx::query!(
        r#"INSERT INTO leads (id, tenant_id, source, score_requested_at)
           SELECT gen_random_uuid(), $1, 'api', now() - interval '1 minute' + g * interval '1 ms'
           FROM generate_series(1, 2) g"#,
        b.0
    )
    .execute(&all)
    .await
    .unwrap();

    // Only team A steps back.
    let (ba, la) = backpressure::level(&svc, a).await.unwrap();
    let (bb, lb) = backpressure::level(&svc, b).await.unwrap();
    assert_eq!((ba.scoring, bb.scoring), (1_001, 2));
    assert!(la.defers_background());
    assert!(!lb.defers_background());
    let scan = leakage::scan(&svc).await.unwrap();
    assert_eq!((scan.all_deferred, scan.deferred), (false, 1));

    // The scorer takes the teams in turns: team B's two leads are among the first four, though
    // a thousand of team A's were marked before them.
    scoring::score_pending(&svc, 4).await.unwrap();
    let scored = sqlx::query!(
        r#"SELECT tenant_id, count(*) AS "n!" FROM leads WHERE score IS NOT NULL GROUP BY tenant_id"#
    )
    .fetch_all(&all)
    .await
    .unwrap();
    let of = |t: domain::types::TenantId| {
        scored
            .iter()
            .find(|r| r.tenant_id == t.0)
            .map_or(0, |r| r.n)
    };
    assert_eq!((of(a), of(b)), (2, 2));
}
