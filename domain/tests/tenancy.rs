//! Tenant isolation under row-level security, the permission guard, the audit chain and API
//! refresh tokens, against real Postgres and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, meta, services, tamper};
use domain::permissions::{allowed, Access, Resource};
use domain::roles::{PlatformRole, TenantRole};
use domain::server::audit::{self, AuditEvent};
use domain::server::tenants::{self, TenantKind};
use domain::server::{accounts, db, guard, seed, tokens, Services};
use domain::types::Slug;
use domain::user::SessionUser;
use domain::AppError;
use sqlx::{Connection, PgPool};

const PW: &str = "correct horse battery";

async fn user(svc: &Services, email: &str) -> SessionUser {
    accounts::sign_up(svc, email, PW, "Member", &meta("10.0.0.1"))
        .await
        .unwrap()
        .user
}

/// Every table with a `tenant_id` column.
async fn tenant_owned_tables(owner: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.table_name::text FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
         WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
         ORDER BY 1",
    )
    .fetch_all(owner)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_app_role_owns_nothing_and_cannot_bypass_rls(owner: PgPool) {
    let svc = services(&owner).await;
    let (role, superuser, bypass): (String, bool, bool) =
        sqlx::query_as("SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&svc.db)
            .await
            .unwrap();
    assert_eq!(role, db::APP_ROLE);
    assert!(!superuser && !bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user",
    )
    .fetch_one(&svc.db)
    .await
    .unwrap();
    assert_eq!(owned, 0);
    let tables = tenant_owned_tables(&owner).await;
    assert!(
        tables.contains(&"tenant_members".to_owned()) && tables.contains(&"audit_log".to_owned())
    );
    for t in tables {
        let (enabled, forced): (bool, bool) =
            sqlx::query_as("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1 AND relkind = 'r'")
                .bind(&t)
                .fetch_one(&owner)
                .await
                .unwrap();
        assert!(
            enabled && forced,
            "{t} must enable and force row-level security"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_transaction_dropped_while_it_begins_leaves_no_transaction_behind(owner: PgPool) {
    // One connection, so every transaction and query below shares it.
    let opts = owner.connect_options().as_ref().clone();
    let pool = db::app_pool(opts, 1).await.unwrap();
    let mut left_open = Vec::new();
    // Dropped after 0, 1, 2, … polls: one of them falls between BEGIN going out and its answer
    // coming back, the moment a caller that went away (a closed page, a time limit) drops it.
    for polls in 0..60 {
        let mut begin = Box::pin(db::tenant_tx(
            &pool,
            domain::types::TenantId(uuid::Uuid::nil()),
        ));
        for _ in 0..polls {
            if futures::poll!(begin.as_mut()).is_ready() {
                break;
            }
            tokio::task::yield_now().await;
        }
        drop(begin);
        // Two queries of their own run in two transactions of their own, with two ids; inside
        // a transaction left open by the dropped BEGIN, they share its id.
        let mut ids = Vec::new();
        for _ in 0..2 {
            let id: i64 = sqlx::query_scalar("SELECT txid_current()")
                .fetch_one(&pool)
                .await
                .unwrap();
            ids.push(id);
        }
        if ids[0] == ids[1] {
            left_open.push(polls);
            // End it, so that the next round starts clean.
            sqlx::raw_sql("ROLLBACK").execute(&pool).await.unwrap();
        }
    }
    assert!(
        left_open.is_empty(),
        "dropped after these numbers of polls, a transaction stayed open: {left_open:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tenant_never_reads_another_tenants_rows(owner: PgPool) {
    let svc = services(&owner).await;
    let alice = user(&svc, "alice@example.com").await;
    let bob = user(&svc, "bob@example.com").await;
    let a = tenants::create(
        &svc,
        &alice,
        &Slug::parse("team-a").unwrap(),
        "Team A",
        TenantKind::SalesTeam,
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    let b = tenants::create(
        &svc,
        &bob,
        &Slug::parse("team-b").unwrap(),
        "Team B",
        TenantKind::Store,
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    // An AI run on each tenant's data, logged under that tenant.
    for (t, who) in [(a, &alice), (b, &bob)] {
        let ctx = domain::server::ai::RunContext {
            tenant: Some(t),
            user: Some(who.id),
            subject: None,
        };
        let input = domain::ai::InboundMessage {
            text: "any update on the quote?".into(),
        };
        svc.ai
            .run::<domain::ai::builtin::MessageAnalyzer>(&svc.db, &ctx, &input)
            .await
            .unwrap();
    }
    // A WhatsApp message to each tenant's own number: a channel, a message, a lead with its
    // identity and history.
    use domain::server::channels::intake;
    for (t, number) in [(a, "PN-A"), (b, "PN-B")] {
        intake::connect(
            &svc,
            t,
            domain::leads::ChannelKind::Whatsapp,
            number,
            "Sales",
        )
        .await
        .unwrap();
        let body = serde_json::json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
            { "field": "messages", "value": { "metadata": { "phone_number_id": number },
              "messages": [ { "from": "14155552671", "id": "wamid.t", "timestamp": "1764590400",
                              "type": "text", "text": { "body": "hello" } } ] } } ] } ] });
        intake::receive(
            &svc,
            domain::leads::ChannelKind::Whatsapp,
            body.to_string().as_bytes(),
        )
        .await
        .unwrap();
    }
    assert_eq!(intake::process_pending(&svc, 10).await.unwrap().messages, 2);
    // Media kept for each message (as the media worker keeps what it fetched).
    sqlx::query(
        "INSERT INTO channel_media (message_id, tenant_id, mime, size, bytes)
         SELECT id, tenant_id, 'image/png', 3, '\\x010203' FROM channel_messages WHERE provider_id = 'wamid.t'",
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    // Each owner takes leads, and each lead is scored (a score in its history) and routed.
    use domain::server::leads::{routing, scoring};
    for (t, who) in [(a, &alice), (b, &bob)] {
        let settings = routing::SdrSettings {
            junior: false,
            capacity: 5,
        };
        routing::set_sdr(&svc, t, who.id, &settings).await.unwrap();
    }
    assert_eq!(scoring::score_pending(&svc, 10).await.unwrap().scored, 2);
    // Each owner opens their conversation (a read mark) and writes a private note.
    use domain::permissions::{Access, Resource};
    use domain::server::leads::inbox;
    for (slug, who) in [("team-a", &alice), ("team-b", &bob)] {
        let grant =
            domain::server::guard::tenant(&svc.db, Some(who), slug, Resource::Leads, Access::Read)
                .await
                .unwrap();
        let list = inbox::list(&svc, &grant, who.id, &Default::default())
            .await
            .unwrap();
        assert_eq!(list.len(), 1, "each team sees its own conversation only");
        inbox::conversation(&svc, &grant, who.id, list[0].lead)
            .await
            .unwrap();
        inbox::add_note(&svc, &grant, who.id, list[0].lead, "Called, no answer.")
            .await
            .unwrap();
        // A template on the team's number and a canned response.
        use domain::server::leads::replies;
        let page = replies::channels_page(&svc, &grant).await.unwrap();
        assert_eq!(
            page.channels.len(),
            1,
            "each team sees its own channel only"
        );
        let spec = domain::leads::reply::TemplateSpec {
            name: "follow_up".into(),
            language: "en".into(),
            category: "utility".into(),
            body: "Hi {{1}}".into(),
        };
        replies::add_template(&svc, &grant, page.channels[0].id, &spec)
            .await
            .unwrap();
        replies::add_canned(&svc, &grant, "Hello", "Hi there!")
            .await
            .unwrap();
        // An import with a refused row.
        use domain::server::leads::import;
        let csv = b"name,email\nZed,zed@example.com\nNo one,\n";
        let v = import::upload(&svc, &grant, who.id, "a.csv", csv, "US")
            .await
            .unwrap();
        import::start(&svc, &grant, v.id, &v.mapping).await.unwrap();
        assert_eq!(import::run_pending(&svc).await.unwrap().rows, 2);
        // Booking hours, times offered, and a call booked.
        use domain::server::leads::booking;
        let settings = domain::server::guard::tenant(
            &svc.db,
            Some(who),
            slug,
            Resource::Settings,
            Access::Read,
        )
        .await
        .unwrap();
        booking::set_hours(
            &svc,
            &settings,
            &domain::leads::booking::HoursForm {
                time_zone: "UTC".into(),
                minutes: "30".into(),
                hours: "Mon-Sun 00:00-24:00".into(),
            },
        )
        .await
        .unwrap();
        let offer = booking::offer(&svc, &grant, who.id, list[0].lead)
            .await
            .unwrap();
        booking::book(&svc, &grant, who.id, list[0].lead, &offer.slots[0].start)
            .await
            .unwrap();
    }
    // Token billing: a plan, a top-up and a warning per team (charges came with the messages).
    {
        use domain::server::leads::billing;
        let staff = user(&svc, "ops@example.com").await;
        sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
            .bind(staff.id.0)
            .execute(&all_rows(&owner).await)
            .await
            .unwrap();
        let staff = SessionUser {
            role: PlatformRole::Admin,
            ..staff
        };
        for (t, slug, who) in [(a, "team-a", &alice), (b, "team-b", &bob)] {
            // A purchase waiting for the owner's bank to confirm it.
            let waiting = billing::buy(
                &svc,
                &common::owner_grant(t),
                who,
                "1k",
                "4000 0025 0000 3155",
                &format!("tenancy-{slug}"),
                &meta("10.0.0.9"),
            )
            .await
            .unwrap();
            assert!(waiting.awaiting_bank.is_some());
            billing::set_plan(&svc, &staff, slug, "growth", &meta("10.0.0.9"))
                .await
                .unwrap();
            billing::top_up(&svc, &staff, slug, "100", "Welcome", &meta("10.0.0.9"))
                .await
                .unwrap();
            // Just under half of the month used: the next charge warns.
            sqlx::query("UPDATE token_days SET tenths = 250480 WHERE tenant_id = $1")
                .bind(t.0)
                .execute(&all_rows(&owner).await)
                .await
                .unwrap();
            let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
            let charged = billing::meter(
                &mut tx,
                t,
                domain::leads::billing::Operation::HumanReview,
                "review:1",
                None,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            assert!(matches!(
                charged,
                billing::Charged::Done { crossed: Some(_) }
            ));
        }
    }
    // Each team's lead, with its owner, has waited 40 minutes for an answer: the leakage scan
    // alerts each owner.
    sqlx::query(
        "UPDATE leads l SET last_inbound_at = now() - interval '40 minutes',
                routing = 'assigned', nurture_until = NULL,
                assignee = (SELECT s.user_id FROM sdr_profiles s WHERE s.tenant_id = l.tenant_id)",
    )
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();
    let scanned = domain::server::leads::leakage::scan(&svc).await.unwrap();
    assert!(scanned.opened >= 2, "{scanned:?}");
    let everything = all_rows(&owner).await;
    for table in tenant_owned_tables(&owner).await {
        let total_b: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE tenant_id = $1"
        ))
        .bind(b.0)
        .fetch_one(&everything)
        .await
        .unwrap();
        assert!(total_b > 0, "the test needs rows of tenant B in {table}");
        let mut tx = db::tenant_tx(&svc.db, a).await.unwrap();
        // Even a query that forgets the tenant filter sees only tenant A.
        let seen_b: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE tenant_id = $1"
        ))
        .bind(b.0)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let foreign: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE tenant_id IS DISTINCT FROM $1"
        ))
        .bind(a.0)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(
            (seen_b, foreign),
            (0, 0),
            "{table} leaked rows across tenants"
        );
        tx.rollback().await.unwrap();
        // Without any tenant set, nothing is visible at all.
        let none: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&svc.db)
            .await
            .unwrap();
        assert_eq!(none, 0, "{table} is readable without a tenant");
    }
    // Writing into another tenant is refused too.
    let mut tx = db::tenant_tx(&svc.db, a).await.unwrap();
    let e =
        sqlx::query("INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'SDR')")
            .bind(b.0)
            .bind(alice.id.0)
            .execute(&mut *tx)
            .await
            .unwrap_err();
    assert!(e.to_string().contains("row-level security"), "{e}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_guard_allows_and_denies_exactly_by_the_matrix(owner: PgPool) {
    let svc = services(&owner).await;
    seed::seed_demo(&svc).await.unwrap();
    seed::seed_demo(&svc).await.unwrap(); // idempotent
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM tenant_members")
        .fetch_one(&all_rows(&owner).await)
        .await
        .unwrap();
    assert_eq!(members, TenantRole::ALL.len() as i64);
    for account in seed::DEMO_ACCOUNTS {
        let me = common::sign_in(&svc, account.email, seed::DEMO_PASSWORD, "10.0.0.1")
            .await
            .unwrap()
            .user;
        assert_eq!(me.role, account.role);
        assert_eq!(
            guard::platform(Some(&me), &[PlatformRole::Admin]).is_ok(),
            account.role == PlatformRole::Admin,
            "{}",
            account.email
        );
        for resource in Resource::ALL {
            for access in Access::ALL {
                let got = guard::tenant(
                    &svc.db,
                    Some(&me),
                    seed::DEMO_TENANT_SLUG,
                    *resource,
                    *access,
                )
                .await;
                match account.tenant_role {
                    None => assert_eq!(
                        got.unwrap_err(),
                        AppError::NotFound,
                        "non-members learn nothing"
                    ),
                    Some(role) => match allowed(role, *resource, *access) {
                        Some(scope) => assert_eq!(got.unwrap().scope, scope),
                        None => assert_eq!(
                            got.unwrap_err(),
                            AppError::Forbidden,
                            "{role:?} {resource:?} {access:?}"
                        ),
                    },
                }
            }
        }
    }
    let visitor = guard::tenant(
        &svc.db,
        None,
        seed::DEMO_TENANT_SLUG,
        Resource::Leads,
        Access::Read,
    )
    .await;
    assert_eq!(visitor.unwrap_err(), AppError::Unauthorized);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_trail_is_append_only_and_tampering_is_found(owner: PgPool) {
    let svc = services(&owner).await;
    let who = user(&svc, "iris@example.com").await;
    for i in 0..4 {
        audit::record(
            &svc.db,
            AuditEvent::new("test.event")
                .actor(who.id)
                .target(format!("thing:{i}")),
            &meta("10.0.0.1"),
        )
        .await
        .unwrap();
    }
    let ok = audit::verify(&svc.db).await.unwrap();
    assert_eq!(ok.first_broken, None);
    assert_eq!(ok.checked, 5); // the sign-up plus four events

    // Neither the application nor the owner may change or remove entries: row-level security
    // gives them no row to change, and under it the trigger refuses outright.
    let everything = all_rows(&owner).await;
    for conn in [&svc.db, &owner, &everything] {
        let updated = sqlx::query("UPDATE audit_log SET action = 'x' WHERE seq = 2")
            .execute(conn)
            .await;
        assert!(updated.map(|r| r.rows_affected() == 0).unwrap_or(true));
        let deleted = sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(conn)
            .await;
        assert!(deleted.map(|r| r.rows_affected() == 0).unwrap_or(true));
    }
    let mut tx = db::begin(&owner).await.unwrap();
    sqlx::query("ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY")
        .execute(&mut *tx)
        .await
        .unwrap();
    for statement in [
        "UPDATE audit_log SET action = 'x' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
    ] {
        let mut sp = tx.begin().await.unwrap();
        let e = sqlx::query(statement).execute(&mut *sp).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
        sp.rollback().await.unwrap();
    }
    tx.rollback().await.unwrap();
    let e = sqlx::query("TRUNCATE audit_log CASCADE")
        .execute(&owner)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert_eq!(audit::verify(&svc.db).await.unwrap(), ok, "nothing changed");

    // Erasing a person's personal data keeps the chain verifiable.
    assert!(audit::erase_person(&svc.db, who.id).await.unwrap() > 0);
    assert_eq!(audit::verify(&svc.db).await.unwrap().first_broken, None);

    // Someone with full database access edits entry 3: verify names it.
    tamper(
        &owner,
        &["UPDATE audit_log SET target = 'thing:forged' WHERE seq = 3"],
    )
    .await;
    assert_eq!(audit::verify(&svc.db).await.unwrap().first_broken, Some(3));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rewritten_hash_breaks_the_next_link(owner: PgPool) {
    let svc = services(&owner).await;
    let who = user(&svc, "jo@example.com").await;
    audit::record(
        &svc.db,
        AuditEvent::new("test.event").actor(who.id),
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    audit::record(
        &svc.db,
        AuditEvent::new("test.event").actor(who.id),
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    // Rewrite entry 2's content and recompute its own hash consistently: entry 3's link breaks.
    tamper(&owner, &["UPDATE audit_log SET canonical = replace(canonical, 'test.event', 'test.forged'), action = 'test.forged' WHERE seq = 2"]).await;
    let everything = all_rows(&owner).await;
    let (prev, canonical): (String, String) =
        sqlx::query_as("SELECT prev_hash, canonical FROM audit_log WHERE seq = 2")
            .fetch_one(&everything)
            .await
            .unwrap();
    let rehash = format!(
        "UPDATE audit_log SET hash = '{}' WHERE seq = 2",
        audit::link_hash(&prev, &canonical)
    );
    tamper(&owner, &[rehash.as_str()]).await;
    assert_eq!(audit::verify(&svc.db).await.unwrap().first_broken, Some(3));
}

#[sqlx::test(migrations = "../migrations")]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family(owner: PgPool) {
    let svc = services(&owner).await;
    let who = user(&svc, "kai@example.com").await;
    let first = tokens::issue(&svc, &who).await.unwrap();
    let claims = tokens::verify_access(&svc, &first.access_token).unwrap();
    assert_eq!(claims.sub, who.id.0);
    assert!(tokens::verify_access(&svc, &format!("{}x", first.access_token)).is_err());

    let second = tokens::refresh(&svc, &first.refresh_token, &meta("10.0.0.1"))
        .await
        .unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    // The first token was used: presenting it again means it leaked. The family dies.
    assert_eq!(
        tokens::refresh(&svc, &first.refresh_token, &meta("10.0.0.1"))
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );
    assert_eq!(
        tokens::refresh(&svc, &second.refresh_token, &meta("10.0.0.1"))
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );
    let actions: Vec<String> = audit::recent(&svc.db, audit::AuditScope::Platform, 5)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"auth.refresh_token_reused".to_owned()));

    // Revoking ends a family; a password change ends all of them.
    let third = tokens::issue(&svc, &who).await.unwrap();
    tokens::revoke(&svc, &third.refresh_token).await.unwrap();
    assert!(
        tokens::refresh(&svc, &third.refresh_token, &meta("10.0.0.1"))
            .await
            .is_err()
    );
    let fourth = tokens::issue(&svc, &who).await.unwrap();
    accounts::change_password(&svc, &who, PW, "another long phrase", &meta("10.0.0.1"))
        .await
        .unwrap();
    assert!(
        tokens::refresh(&svc, &fourth.refresh_token, &meta("10.0.0.1"))
            .await
            .is_err()
    );
}
