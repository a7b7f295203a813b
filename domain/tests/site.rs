//! The marketing site against real Postgres and Redis: seeded content, drafts with stale-save
//! protection, publish, schedule, rollback, reusable blocks, sanitising, leads and the
//! conversion report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{meta, services, user};
use domain::server::site::leads::{self, ClientEvent, Submission};
use domain::server::site::{editor, public, seed as site_seed};
use domain::server::{seed, Services};
use domain::site::diff::ChangeKind;
use domain::site::lead::LeadForm;
use domain::site::views::PageStatus;
use domain::site::{Block, PageContent};
use domain::user::SessionUser;
use domain::AppError;
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

async fn seeded(owner: &PgPool) -> (Services, SessionUser) {
    let svc = services(owner).await;
    seed::seed_demo(&svc).await.unwrap();
    let editor = user(&svc, "editor@demo.fluxorae.test").await;
    (svc, editor)
}

fn hero_title(c: &PageContent) -> &str {
    c.blocks[0].p().str("title")
}

fn set_hero_title(c: &mut PageContent, title: &str) {
    c.blocks[0].props.insert("title".into(), json!(title));
}

async fn audit_actions(svc: &Services) -> Vec<String> {
    let mut tx = domain::server::db::platform_tx(&svc.db).await.unwrap();
    sqlx::query_scalar!("SELECT action FROM audit_log WHERE action LIKE 'site.%' ORDER BY seq")
        .fetch_all(&mut *tx)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_demo_site_is_seeded_published_and_listed(owner: PgPool) {
    let (svc, _) = seeded(&owner).await;
    let home = public::published(&svc, "/")
        .await
        .unwrap()
        .expect("a home page");
    assert_eq!(home.path, "/");
    assert_eq!(home.content.blocks[0].kind, "hero");
    assert!(!home.published_at.is_empty());
    let hub = public::published(&svc, "/case-studies")
        .await
        .unwrap()
        .unwrap();
    let cards: usize = hub.listings.values().map(Vec::len).sum();
    assert!(cards >= 4, "the hub lists the case studies: {cards}");
    let sitemap = public::sitemap(&svc).await.unwrap();
    for path in site_seed::seeded_paths() {
        assert!(
            sitemap.contains(&format!("<loc>http://localhost:3000{path}</loc>")),
            "{path} missing from the sitemap"
        );
    }
    assert_eq!(
        site_seed::seed_site(&svc).await.unwrap(),
        0,
        "seeding again adds nothing"
    );
    assert!(public::published(&svc, "/no-such-page")
        .await
        .unwrap()
        .is_none());
    assert!(public::published(&svc, "/admin").await.unwrap().is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn draft_publish_and_rollback(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let m = meta("203.0.113.5");
    let id = editor::create_page(
        &svc,
        &editor,
        "page",
        "launch-week",
        "Launch week",
        "landing",
        &m,
    )
    .await
    .unwrap();
    let page = editor::load_page(&svc.db, &id).await.unwrap();
    assert_eq!(page.summary.status, PageStatus::Draft);
    assert!(
        public::published(&svc, "/launch-week")
            .await
            .unwrap()
            .is_none(),
        "a draft is not public"
    );

    let mut content = page.content.clone();
    set_hero_title(&mut content, "Launch week: ship in seven days");
    let saved = editor::save_draft(&svc, &editor, &id, page.version, content.clone())
        .await
        .unwrap();
    assert_eq!(saved.version, page.version + 1);
    let r1 = editor::publish(&svc, &editor, &id, saved.version, &m)
        .await
        .unwrap();
    assert_eq!(r1, 1);
    let live = public::published(&svc, "/launch-week")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hero_title(&live.content), "Launch week: ship in seven days");

    set_hero_title(&mut content, "Launch week, take two");
    let saved = editor::save_draft(&svc, &editor, &id, saved.version, content.clone())
        .await
        .unwrap();
    assert_eq!(
        editor::load_page(&svc.db, &id)
            .await
            .unwrap()
            .summary
            .status,
        PageStatus::Changed
    );
    let r2 = editor::publish(&svc, &editor, &id, saved.version, &m)
        .await
        .unwrap();
    assert_eq!(r2, 2);
    let live = public::published(&svc, "/launch-week")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        hero_title(&live.content),
        "Launch week, take two",
        "publishing drops the cached copy"
    );

    let revs = editor::revisions(&svc.db, &id).await.unwrap();
    assert_eq!(
        revs.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(revs[0].live && !revs[1].live);
    let d = editor::revision_diff(&svc.db, &id, Some(1), Some(2))
        .await
        .unwrap();
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert_eq!(d.changes[0].kind, ChangeKind::Edited);
    assert_eq!(d.changes[0].before, "Launch week: ship in seven days");
    assert_eq!(d.changes[0].after, "Launch week, take two");

    let r3 = editor::rollback(&svc, &editor, &id, 1, &m).await.unwrap();
    assert_eq!(r3, 3);
    let live = public::published(&svc, "/launch-week")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hero_title(&live.content), "Launch week: ship in seven days");
    let page = editor::load_page(&svc.db, &id).await.unwrap();
    assert_eq!(
        hero_title(&page.content),
        "Launch week: ship in seven days",
        "the draft follows the rollback"
    );
    assert_eq!(page.summary.status, PageStatus::Published);
    let revs = editor::revisions(&svc.db, &id).await.unwrap();
    assert_eq!(
        (revs[0].reason.as_str(), revs[0].restored_from),
        ("rollback", Some(1))
    );

    assert_eq!(
        audit_actions(&svc).await,
        vec![
            "site.page_created",
            "site.published",
            "site.published",
            "site.rolled_back"
        ]
    );
    let chain = domain::server::audit::verify(&svc.db).await.unwrap();
    assert_eq!(chain.first_broken, None, "{chain:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stale_save_is_refused_and_names_who_saved(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let admin = user(&svc, "admin@demo.fluxorae.test").await;
    let pages = editor::list_pages(&svc.db).await.unwrap();
    let pricing = pages.iter().find(|p| p.path == "/pricing").unwrap();
    let opened_by_editor = editor::load_page(&svc.db, &pricing.id).await.unwrap();
    let opened_by_admin = editor::load_page(&svc.db, &pricing.id).await.unwrap();

    let mut mine = opened_by_editor.content.clone();
    set_hero_title(&mut mine, "Prices you can plan around");
    editor::save_draft(&svc, &editor, &pricing.id, opened_by_editor.version, mine)
        .await
        .unwrap();

    let mut theirs = opened_by_admin.content.clone();
    set_hero_title(&mut theirs, "The admin's title");
    let err = editor::save_draft(
        &svc,
        &admin,
        &pricing.id,
        opened_by_admin.version,
        theirs.clone(),
    )
    .await
    .unwrap_err();
    let AppError::Conflict(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains(&editor.display_name), "{msg}");
    assert!(msg.contains("Reload"), "{msg}");
    let err = editor::publish(
        &svc,
        &admin,
        &pricing.id,
        opened_by_admin.version,
        &meta("203.0.113.6"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, AppError::Conflict(_)),
        "a stale publish is refused too: {err:?}"
    );
    let now = editor::load_page(&svc.db, &pricing.id).await.unwrap();
    assert_eq!(
        hero_title(&now.content),
        "Prices you can plan around",
        "nothing was overwritten"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn saves_are_validated_and_rich_text_is_sanitised(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let id = editor::create_page(
        &svc,
        &editor,
        "article",
        "xss-test",
        "A test",
        "article",
        &meta("203.0.113.7"),
    )
    .await
    .unwrap();
    let page = editor::load_page(&svc.db, &id).await.unwrap();

    let mut bad = page.content.clone();
    bad.blocks
        .push(serde_json::from_value(json!({"id": "x", "type": "marquee", "props": {}})).unwrap());
    bad.title = String::new();
    let err = editor::save_draft(&svc, &editor, &id, page.version, bad)
        .await
        .unwrap_err();
    assert_eq!(
        err.message_for("block.x"),
        Some("Unknown block type \"marquee\".")
    );
    assert_eq!(err.message_for("title"), Some("Title is required."));

    let mut dangling = page.content.clone();
    dangling.blocks.push(
        serde_json::from_value(json!({"id": "g", "type": "global", "v": 1,
        "props": {"ref": "0193a000-0000-7000-8000-0000000000ff"}}))
        .unwrap(),
    );
    let err = editor::save_draft(&svc, &editor, &id, page.version, dangling)
        .await
        .unwrap_err();
    assert!(err.message_for("block.g.ref").is_some(), "{err:?}");

    let mut content = page.content.clone();
    let text = content
        .blocks
        .iter_mut()
        .find(|b| b.kind == "rich_text")
        .unwrap();
    text.props.insert(
        "body".into(),
        json!("<p>Hello<script>alert(1)</script> <a href=\"javascript:alert(2)\">there</a></p>"),
    );
    let saved = editor::save_draft(&svc, &editor, &id, page.version, content)
        .await
        .unwrap();
    let body = saved
        .content
        .blocks
        .iter()
        .find(|b| b.kind == "rich_text")
        .unwrap()
        .p()
        .str("body")
        .to_owned();
    assert!(
        !body.contains("script") && !body.contains("javascript"),
        "{body}"
    );
    let stored = editor::load_page(&svc.db, &id).await.unwrap();
    let stored_body = stored
        .content
        .blocks
        .iter()
        .find(|b| b.kind == "rich_text")
        .unwrap()
        .p()
        .str("body")
        .to_owned();
    assert_eq!(stored_body, body, "what is stored is the clean version");

    // Something written past the editor (an old import, a hand edit) is cleaned when rendered.
    sqlx::query!(
        "UPDATE site_pages SET draft = jsonb_set(draft, '{blocks,1,props,body}', '\"<p>x</p><img src=x onerror=alert(1)>\"') WHERE id = $1",
        uuid::Uuid::parse_str(&id).unwrap()
    )
    .execute(&owner)
    .await
    .unwrap();
    let link = editor::create_preview_link(&svc, &editor, &id)
        .await
        .unwrap();
    let preview = public::preview(&svc, link.trim_start_matches("/preview/"))
        .await
        .unwrap();
    assert!(preview.preview);
    let shown = preview.content.blocks[1].p().str("body");
    assert_eq!(shown, "<p>x</p>");
    assert!(matches!(
        public::preview(&svc, "not-a-token").await,
        Err(AppError::NotFound)
    ));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_scheduled_publish_goes_live_when_due(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let m = meta("203.0.113.8");
    let id = editor::create_page(
        &svc,
        &editor,
        "page",
        "spring-offer",
        "Spring offer",
        "blank",
        &m,
    )
    .await
    .unwrap();
    let page = editor::load_page(&svc.db, &id).await.unwrap();
    let soon = OffsetDateTime::now_utc() + time::Duration::minutes(5);
    let err = editor::schedule(
        &svc,
        &editor,
        &id,
        page.version,
        OffsetDateTime::now_utc(),
        &m,
    )
    .await
    .unwrap_err();
    assert!(err.message_for("publish_at").is_some());
    editor::schedule(&svc, &editor, &id, page.version, soon, &m)
        .await
        .unwrap();
    assert_eq!(
        editor::load_page(&svc.db, &id)
            .await
            .unwrap()
            .summary
            .status,
        PageStatus::Scheduled
    );
    assert!(
        editor::publish_due(&svc, OffsetDateTime::now_utc())
            .await
            .unwrap()
            .is_empty(),
        "not yet"
    );
    assert!(public::published(&svc, "/spring-offer")
        .await
        .unwrap()
        .is_none());
    let went = editor::publish_due(&svc, soon + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(went, vec!["/spring-offer".to_owned()]);
    assert!(public::published(&svc, "/spring-offer")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        editor::load_page(&svc.db, &id)
            .await
            .unwrap()
            .summary
            .status,
        PageStatus::Published
    );
    assert!(
        editor::publish_due(&svc, soon + time::Duration::seconds(2))
            .await
            .unwrap()
            .is_empty(),
        "only once"
    );
    let actions = audit_actions(&svc).await;
    assert_eq!(
        actions,
        vec![
            "site.page_created",
            "site.publish_scheduled",
            "site.published"
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn editing_a_reusable_block_changes_every_page_that_shows_it(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let globals = editor::list_globals(&svc.db).await.unwrap();
    let g = globals.first().unwrap();
    assert!(g.used_by >= 2, "the closing block is shared: {}", g.used_by);
    let before = public::published(&svc, "/services").await.unwrap().unwrap();
    assert!(before.globals.contains_key(&g.id));
    let mut blocks: Vec<Block> = g.blocks.clone();
    blocks[0]
        .props
        .insert("title".into(), json!("Let's talk this week"));
    editor::save_global(
        &svc,
        &editor,
        &g.id,
        g.version,
        &g.name,
        blocks.clone(),
        &meta("203.0.113.9"),
    )
    .await
    .unwrap();
    for path in ["/services", "/pricing"] {
        let page = public::published(&svc, path).await.unwrap().unwrap();
        if let Some(shown) = page.globals.get(&g.id) {
            assert_eq!(shown[0].p().str("title"), "Let's talk this week", "{path}");
        }
    }
    let after = public::published(&svc, "/services").await.unwrap().unwrap();
    assert_eq!(
        after.globals[&g.id][0].p().str("title"),
        "Let's talk this week"
    );
    let err = editor::save_global(
        &svc,
        &editor,
        &g.id,
        g.version,
        &g.name,
        blocks,
        &meta("203.0.113.9"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_cache_serves_one_copy_until_something_is_published(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let a = public::published(&svc, "/about").await.unwrap().unwrap();
    let b = public::published(&svc, "/about").await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let pages = editor::list_pages(&svc.db).await.unwrap();
    let about = pages.iter().find(|p| p.path == "/about").unwrap();
    let page = editor::load_page(&svc.db, &about.id).await.unwrap();
    editor::publish(
        &svc,
        &editor,
        &about.id,
        page.version,
        &meta("203.0.113.10"),
    )
    .await
    .unwrap();
    let c = public::published(&svc, "/about").await.unwrap().unwrap();
    assert!(!Arc::ptr_eq(&a, &c));
}

fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn leads_are_checked_stored_and_reported(owner: PgPool) {
    let (svc, _) = seeded(&owner).await;
    let m = meta("198.51.100.20");
    let token = leads::form_token(&svc, OffsetDateTime::now_utc() - time::Duration::seconds(8));
    let good = |extra: &[(&str, &str)]| {
        let mut f = form(&[
            ("form", "contact"),
            ("token", &token),
            ("source_page", "/contact"),
            ("name", "Ana Silva"),
            ("email", "ana@meridian.example"),
            ("message", "We want a booking app for our 12 clinics."),
            ("consent", "on"),
            ("utm_source", "newsletter"),
            ("utm_campaign", "spring"),
            ("cta", "book-a-call"),
            ("website", ""),
        ]);
        for (k, v) in extra {
            f.insert(k.to_string(), v.to_string());
        }
        f
    };
    let Submission::Stored {
        id,
        form: kind,
        source_page,
    } = leads::submit(&svc, good(&[]), &m).await.unwrap()
    else {
        panic!("a good lead is stored")
    };
    assert_eq!(
        (kind, source_page.as_str()),
        (LeadForm::Contact, "/contact")
    );
    let row = sqlx::query!(
        "SELECT email, consent_at, consent_text, ip, user_agent, utm_source, utm_campaign, source_page, cta FROM site_leads WHERE id = $1",
        id
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    assert_eq!(row.email, "ana@meridian.example");
    assert!(row.consent_text.contains("contact me"));
    assert!(row.consent_at <= OffsetDateTime::now_utc());
    assert_eq!(row.ip.as_deref(), Some("198.51.100.20"));
    assert_eq!(row.user_agent.as_deref(), Some("integration-test"));
    assert_eq!(
        (row.utm_source.as_deref(), row.utm_campaign.as_deref()),
        (Some("newsletter"), Some("spring"))
    );
    assert_eq!(
        (row.source_page.as_str(), row.cta.as_deref()),
        ("/contact", Some("book-a-call"))
    );

    // The spam trap: answered as a success, stored nowhere.
    let spam = leads::submit(&svc, good(&[("website", "http://spam.example")]), &m)
        .await
        .unwrap();
    assert!(matches!(spam, Submission::Spam { .. }));
    // Too fast for a person.
    let fresh = leads::form_token(&svc, OffsetDateTime::now_utc());
    let Submission::Refused { echo, .. } = leads::submit(&svc, good(&[("token", &fresh)]), &m)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(
        echo.errors[0].message.contains("quicker"),
        "{:?}",
        echo.errors
    );
    assert_eq!(
        echo.values.get("name").map(String::as_str),
        Some("Ana Silva"),
        "what was typed is kept"
    );
    // A forged token.
    let Submission::Refused { echo, .. } = leads::submit(&svc, good(&[("token", "1.abc")]), &m)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(echo.errors[0].message.contains("expired"));
    // Field errors, kept for showing again.
    let Submission::Refused { echo, .. } =
        leads::submit(&svc, good(&[("email", "ana@"), ("consent", "")]), &m)
            .await
            .unwrap()
    else {
        panic!()
    };
    let fields: Vec<&str> = echo.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["email", "consent"]);
    let kept = leads::keep_echo(&svc, &echo).await.unwrap();
    assert_eq!(leads::echo(&svc, &kept).await.unwrap(), Some(echo.clone()));
    assert_eq!(leads::echo(&svc, "../../etc").await.unwrap(), None);

    let count = sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM site_leads")
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(count, 1, "only the good lead was stored");

    // The rate limit: five per IP per window, counted from the checks that passed the token.
    let mut last = None;
    for _ in 0..6 {
        last = Some(
            leads::submit(&svc, good(&[]), &meta("198.51.100.21"))
                .await
                .unwrap(),
        );
    }
    let Some(Submission::Refused { echo, .. }) = last else {
        panic!("{last:?}")
    };
    assert!(
        echo.errors[0].message.contains("several messages"),
        "{:?}",
        echo.errors
    );

    // Conversion events and the report.
    let ev = |kind: &str, path: &str, cta: Option<&str>| ClientEvent {
        kind: kind.into(),
        path: path.into(),
        cta: cta.map(Into::into),
        target: cta.map(|_| "/book-a-call".into()),
    };
    let kept = leads::record_events(
        &svc,
        &[
            ev("view", "/contact", None),
            ev("view", "/contact", None),
            ev("cta_click", "/contact", Some("book-a-call")),
            ev("view", "/admin", None),
            ev("hover", "/contact", None),
            ev("cta_click", "/contact", Some("<script>")),
        ],
        &m,
    )
    .await
    .unwrap();
    assert_eq!(kept, 3, "malformed events are dropped");
    let report = leads::conversion_report(&svc.db, 30).await.unwrap();
    let contact = report.pages.iter().find(|r| r.key == "/contact").unwrap();
    assert_eq!((contact.views, contact.clicks), (2, 1));
    assert_eq!(
        contact.leads, 6,
        "one lead, then five more before the limit"
    );
    let cta = report.ctas.iter().find(|r| r.key == "book-a-call").unwrap();
    assert_eq!((cta.clicks, cta.leads), (1, 6));
    assert_eq!(report.total_leads, 6);
    assert_eq!(leads::recent_leads(&svc.db, 10).await.unwrap().len(), 6);
}

#[sqlx::test(migrations = "../migrations")]
async fn old_documents_render_and_the_batch_migration_rewrites_them(owner: PgPool) {
    let (svc, editor) = seeded(&owner).await;
    let id = editor::create_page(
        &svc,
        &editor,
        "page",
        "legacy",
        "Legacy",
        "blank",
        &meta("203.0.113.11"),
    )
    .await
    .unwrap();
    let page = editor::load_page(&svc.db, &id).await.unwrap();
    editor::publish(&svc, &editor, &id, page.version, &meta("203.0.113.11"))
        .await
        .unwrap();
    // Write the page as an old version of the software did: hero v1.
    let old = json!({"id": "h", "type": "hero", "v": 1, "props": {"headline": "Built before v2", "tagline": "Old but gold", "cta_text": "Book a Call", "cta_url": "/book-a-call"}});
    let uid = uuid::Uuid::parse_str(&id).unwrap();
    sqlx::query!("UPDATE site_pages SET draft = jsonb_set(draft, '{blocks}', jsonb_build_array($1::jsonb)) WHERE id = $2", old, uid)
        .execute(&owner)
        .await
        .unwrap();
    sqlx::query!("UPDATE site_revisions SET content = jsonb_set(content, '{blocks}', jsonb_build_array($1::jsonb)) WHERE page_id = $2", old, uid)
        .execute(&owner)
        .await
        .unwrap();
    svc.site.invalidate();
    let live = public::published(&svc, "/legacy").await.unwrap().unwrap();
    assert_eq!(live.content.blocks[0].v, 2, "migrated on read");
    assert_eq!(hero_title(&live.content), "Built before v2");
    assert_eq!(
        live.content.blocks[0].p().link("primary").unwrap().href,
        "/book-a-call"
    );
    assert_eq!(
        hero_title(&editor::load_page(&svc.db, &id).await.unwrap().content),
        "Built before v2"
    );

    let done = editor::migrate_stored(&svc.db).await.unwrap();
    assert_eq!((done.drafts, done.revisions), (1, 1));
    let stored = sqlx::query_scalar!(
        "SELECT draft->'blocks'->0->>'v' FROM site_pages WHERE id = $1",
        uid
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    assert_eq!(stored.as_deref(), Some("2"));
    assert_eq!(
        editor::migrate_stored(&svc.db).await.unwrap(),
        editor::Migrated::default(),
        "nothing left to do"
    );
}
