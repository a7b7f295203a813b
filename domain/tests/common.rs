//! Shared set-up for the domain's integration tests: real Postgres (a fresh database per test,
//! from `#[sqlx::test]`) and real Redis (a fresh key prefix per test).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use domain::server::accounts::{self, Authenticated, SignIn};
use domain::server::mail::OutboxMailer;
use domain::server::{db, seed, two_factor, RequestMeta, Services, Settings};
use domain::AppError;
use sqlx::PgPool;
use std::sync::Arc;

/// Services over the test database, working as the application role.
pub async fn services(owner: &PgPool) -> Services {
    let opts = owner.connect_options().as_ref().clone();
    let pool = db::app_pool(opts, 5).await.expect("app pool");
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis = db::redis(&url).await.expect("redis");
    let mut settings = Settings::new(
        "http://localhost:3000",
        "test-secret-that-is-long-enough-0123456789",
        "test-data-key-that-is-long-enough-0123456789",
    );
    settings.redis_prefix = format!("test:{}", uuid::Uuid::new_v4());
    Services {
        db: pool.clone(),
        redis,
        mailer: Arc::new(OutboxMailer::new(pool)),
        settings: Arc::new(settings),
        ai: Arc::new(domain::server::ai::Ai::builtin_only()),
        site: Arc::default(),
        media: Arc::new(media_store()),
        payments: Arc::new(domain::server::payments::provider::BuiltinProvider),
        // Nothing listens here: a test that sends points the client at its own stand-in.
        graph: Arc::new(
            domain::server::channels::graph::GraphClient::new("http://127.0.0.1:9").unwrap(),
        ),
    }
}

/// A media library in a folder of its own under the system's temporary directory.
pub fn media_store() -> domain::server::site::media::MediaStore {
    let dir = std::env::temp_dir().join(format!("fluxorae-media-{}", uuid::Uuid::new_v4()));
    domain::server::site::media::MediaStore::local(dir).expect("media folder")
}

/// The account with this email, as a signed-in session sees it.
pub async fn user(svc: &Services, email: &str) -> domain::user::SessionUser {
    let id = sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", email)
        .fetch_one(&svc.db)
        .await
        .unwrap();
    accounts::user_by_id(&svc.db, domain::types::UserId(id))
        .await
        .unwrap()
        .unwrap()
}

/// The account with this email after it set up two-factor sign-in (as owners, admins and
/// managers must before they can do anything in their team).
pub async fn with_two_factor(svc: &Services, email: &str) -> domain::user::SessionUser {
    let before = user(svc, email).await;
    let setup = two_factor::begin_setup(svc, &before).await.unwrap();
    let code = two_factor::code_now(&setup.secret).unwrap();
    two_factor::confirm_setup(svc, &before, &code, &meta("10.0.0.1"))
        .await
        .unwrap();
    user(svc, email).await
}

/// A new sales team named `slug`, owned by a new account `{slug}@example.com`.
pub async fn team(svc: &Services, slug: &str) -> domain::types::TenantId {
    use domain::server::tenants::{self, TenantKind};
    let owner = accounts::sign_up(
        svc,
        &format!("{slug}@example.com"),
        "correct horse battery",
        "Owner",
        &meta("10.0.0.1"),
    )
    .await
    .unwrap()
    .user;
    tenants::create(
        svc,
        &owner,
        &domain::types::Slug::parse(slug).unwrap(),
        slug,
        TenantKind::SalesTeam,
        &meta("10.0.0.1"),
    )
    .await
    .unwrap()
}

/// Request metadata for a client at `ip`.
pub fn meta(ip: &str) -> RequestMeta {
    RequestMeta {
        ip: Some(ip.into()),
        user_agent: Some("integration-test".into()),
    }
}

/// Signs in all the way: with the demo two-factor secret's current code when the account asks.
pub async fn sign_in(
    svc: &Services,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<Authenticated, AppError> {
    match accounts::sign_in(svc, email, password, &meta(ip)).await? {
        SignIn::Done(a) => Ok(a),
        SignIn::NeedsCode(pending) => {
            let code = two_factor::code_now(seed::DEMO_TOTP_SECRET)?;
            two_factor::complete_sign_in(svc, &pending, &code, &meta(ip)).await
        }
    }
}

/// A pool of the database owner that sees every row (platform scope), to check what is really
/// stored. Row-level security is forced, so even the owner sees nothing without a scope.
pub async fn all_rows(owner: &PgPool) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .after_connect(|conn, _| {
            Box::pin(async move {
                use sqlx::Executor;
                conn.execute("SET app.scope = 'platform'").await?;
                Ok(())
            })
        })
        .connect_with(owner.connect_options().as_ref().clone())
        .await
        .expect("owner pool")
}

/// Runs `statements` as the owner with the audit table's protections lifted, the way someone
/// with full database access could, to prove that verification still finds the change.
pub async fn tamper(owner: &PgPool, statements: &[&str]) {
    let mut tx = db::begin(owner).await.unwrap();
    for s in [
        "ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    ]
    .iter()
    .chain(statements)
    .chain(
        [
            "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update",
            "ALTER TABLE audit_log FORCE ROW LEVEL SECURITY",
        ]
        .iter(),
    ) {
        sqlx::query(s).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// A new account `email` named `name`, made a member of `tenant` with `role`.
pub async fn member(
    svc: &Services,
    owner: &PgPool,
    tenant: domain::types::TenantId,
    email: &str,
    name: &str,
    role: &str,
) -> domain::user::SessionUser {
    let user = accounts::sign_up(svc, email, "correct horse battery", name, &meta("10.0.0.2"))
        .await
        .unwrap()
        .user;
    sqlx::query!(
        "INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, $3)",
        tenant.0,
        user.id.0,
        role
    )
    .execute(&all_rows(owner).await)
    .await
    .unwrap();
    user
}

/// What `who` may do with the leads of the team `team-a`.
pub async fn leads_grant(
    svc: &Services,
    who: &domain::user::SessionUser,
) -> domain::server::guard::TenantGrant {
    use domain::permissions::{Access, Resource};
    domain::server::guard::tenant(&svc.db, Some(who), "team-a", Resource::Leads, Access::Read)
        .await
        .unwrap()
}

/// A WhatsApp Cloud API webhook body as Meta sends it: a text from `from` (profile `name`) to
/// the number `PN1`, with Meta's message `id`, sent at `ts` (seconds since the epoch).
pub fn wa_text(from: &str, name: &str, id: &str, ts: i64, text: &str) -> serde_json::Value {
    serde_json::json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": {
            "metadata": { "phone_number_id": "PN1" },
            "contacts": [ { "profile": { "name": name }, "wa_id": from } ],
            "messages": [ { "from": from, "id": id, "timestamp": ts.to_string(), "type": "text",
                            "text": { "body": text } } ] } } ] } ] })
}

/// Seconds since the epoch, now.
pub fn now_ts() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Takes `body` in as Meta delivers it on the WhatsApp webhook, and processes it.
pub async fn deliver_whatsapp(svc: &Services, body: &serde_json::Value) {
    deliver(svc, domain::leads::ChannelKind::Whatsapp, body).await;
}

/// Takes `body` in as it arrives on the webhook of `kind`, and processes it.
pub async fn deliver(svc: &Services, kind: domain::leads::ChannelKind, body: &serde_json::Value) {
    use domain::server::channels::intake;
    intake::receive(svc, kind, body.to_string().as_bytes())
        .await
        .unwrap();
    intake::process_pending(svc, 10).await.unwrap();
}

/// `svc` talking to `app`, served on a local port, as Meta's Graph API; with that port's base
/// URL.
pub async fn stand_in_graph(svc: &Services, app: axum::Router) -> (Services, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let svc = Services {
        graph: Arc::new(domain::server::channels::graph::GraphClient::new(&base).unwrap()),
        ..svc.clone()
    };
    (svc, base)
}

/// A sales team to work with: `team-a`, its owner (`team-a@example.com`, two-factor on) and Sam,
/// an SDR online with room for five leads.
pub struct SalesTeam {
    /// The team.
    pub tenant: domain::types::TenantId,
    /// Its owner.
    pub boss: domain::user::SessionUser,
    /// Its SDR.
    pub sam: domain::user::SessionUser,
}

/// Sets up [`SalesTeam`].
pub async fn sales_team(svc: &Services, owner: &PgPool) -> SalesTeam {
    use domain::server::leads::routing::{self, SdrSettings};
    let tenant = team(svc, "team-a").await;
    let boss = with_two_factor(svc, "team-a@example.com").await;
    let sam = member(svc, owner, tenant, "sam@example.com", "Sam", "SDR").await;
    let settings = SdrSettings {
        junior: false,
        capacity: 5,
    };
    routing::set_sdr(svc, tenant, sam.id, &settings)
        .await
        .unwrap();
    routing::set_online(svc, tenant, sam.id, true)
        .await
        .unwrap();
    SalesTeam { tenant, boss, sam }
}

/// The grant of `tenant`'s owner role, for settings written without a session.
pub fn owner_grant(tenant: domain::types::TenantId) -> domain::server::guard::TenantGrant {
    domain::server::guard::TenantGrant {
        tenant,
        role: domain::roles::TenantRole::Owner,
        scope: domain::permissions::Scope::All,
    }
}

/// The lead named `name` (in any team).
pub async fn lead_named(owner: &PgPool, name: &str) -> uuid::Uuid {
    sqlx::query_scalar!("SELECT id FROM leads WHERE name = $1", name)
        .fetch_one(&all_rows(owner).await)
        .await
        .unwrap()
}
