//! The server through its real router on a random port, with real Postgres and Redis: sessions,
//! guards on server functions for every role, the JSON API, CSRF, limits, health.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::roles::{PlatformRole, TenantRole};
use domain::server::mail::OutboxMailer;
use domain::server::{db, seed, two_factor, Services, Settings};
use reqwest::{header, redirect, Client, StatusCode};
use server::config::Config;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// The webhook signing secret the test server is configured with.
const STRIPE_TEST_SECRET: &str = "whsec_test_secret_for_the_http_tests";
/// The Meta app secret and handshake token the test server is configured with.
const META_TEST_SECRET: &str = "meta_app_secret_for_the_http_tests";
const EMAIL_TEST_SECRET: &str = "email_secret_for_the_http_tests";
const META_TEST_TOKEN: &str = "meta-verify-token-for-the-http-tests";

struct TestApp {
    base: String,
    services: Services,
    /// Sends the shutdown signal (as SIGTERM does for the binary).
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    /// The serving task, which ends once in-flight requests are done.
    server: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

/// One Prometheus recorder for the whole test binary (the recorder is process-global).
fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .unwrap()
        })
        .clone()
}

impl TestApp {
    /// What every test client is: it follows no redirect, and its requests time out, so a
    /// server that never answers fails the test with the request's URL instead of hanging the
    /// run.
    fn builder() -> reqwest::ClientBuilder {
        Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(60))
    }

    /// A browser-like client: it keeps its cookies.
    fn client(&self) -> Client {
        Self::builder().cookie_store(true).build().unwrap()
    }

    /// A client with no cookies, as a webhook sender or a visitor without a session.
    fn anonymous(&self) -> Client {
        Self::builder().build().unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a server function that takes no arguments, as the app's own client does.
    async fn call(&self, c: &Client, path: &str) -> reqwest::Response {
        c.post(self.url(path))
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap()
    }

    /// Posts the sign-in form (the password step) with the demo password.
    async fn sign_in_form(&self, c: &Client, email: &str, next: &str) -> reqwest::Response {
        c.post(self.url("/api/sign-in"))
            .header(header::ACCEPT, "application/json")
            .form(&[
                ("email", email),
                ("password", seed::DEMO_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the sign-in server functions, as a person with the demo
    /// authenticator would.
    async fn signed_in(&self, email: &str) -> Client {
        let c = self.client();
        let res = self.sign_in_form(&c, email, "/").await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "sign-in of {email}: {}",
            res.status()
        );
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if location.starts_with("/signin/two-factor") {
            let code = two_factor::code_now(seed::DEMO_TOTP_SECRET).unwrap();
            let res = c
                .post(self.url("/api/sign-in/two-factor"))
                .header(header::ACCEPT, "application/json")
                .form(&[("code", code.as_str()), ("next", "/")])
                .send()
                .await
                .unwrap();
            assert!(
                res.status().is_success() || res.status().is_redirection(),
                "second factor of {email}: {}",
                res.status()
            );
        }
        c
    }
}

async fn spawn_app(owner: PgPool) -> TestApp {
    let opts = owner.connect_options().as_ref().clone();
    let pool = db::app_pool(opts, 8).await.unwrap();
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis = db::redis(&redis_url).await.unwrap();
    let prefix = format!("test:{}", uuid::Uuid::new_v4());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = Config {
        database_url: String::new(),
        redis_url,
        addr,
        base_url: format!("http://{addr}"),
        secure: false,
        session_idle: Duration::from_secs(1800),
        jwt_secret: "test-secret-that-is-long-enough-0123456789".into(),
        data_key: "test-data-key-that-is-long-enough-0123456789".into(),
        smtp_url: None,
        mail_from: "test@example.com".into(),
        log_json: false,
        seed_demo: true,
        trust_proxy: false,
        db_max_connections: 8,
        redis_prefix: prefix.clone(),
        page_cache: Duration::from_secs(60),
        site_root: "target/site".into(),
        ai_engine: Default::default(),
        ai_model: None,
        media_dir: String::new(),
        media_bucket: None,
        stripe_secret_key: None,
        stripe_webhook_secret: Some(STRIPE_TEST_SECRET.into()),
        stripe_api_base: None,
        meta_app_secret: Some(META_TEST_SECRET.into()),
        meta_verify_token: Some(META_TEST_TOKEN.into()),
        email_inbound_secret: Some(EMAIL_TEST_SECRET.into()),
        meta_graph_url: "http://127.0.0.1:9".into(),
    };
    let mut settings = Settings::new(
        cfg.base_url.clone(),
        cfg.jwt_secret.clone(),
        cfg.data_key.clone(),
    );
    settings.redis_prefix = prefix;
    let services = Services {
        db: pool.clone(),
        redis,
        mailer: Arc::new(OutboxMailer::new(pool)),
        settings: Arc::new(settings),
        ai: Arc::new(domain::server::ai::Ai::builtin_only()),
        site: Arc::default(),
        // The router reads the store from the services, not from `cfg.media_dir`.
        media: Arc::new(
            domain::server::site::media::MediaStore::local(
                std::env::temp_dir().join(format!("fluxorae-media-{}", uuid::Uuid::new_v4())),
            )
            .unwrap(),
        ),
        payments: Arc::new(domain::server::payments::provider::BuiltinProvider),
        graph: Arc::new(
            domain::server::channels::graph::GraphClient::new(cfg.meta_graph_url.clone()).unwrap(),
        ),
    };
    seed::seed_demo(&services).await.unwrap();
    let app = server::router(&cfg, services.clone(), Some(metrics_handle()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    TestApp {
        base: format!("http://{addr}"),
        services,
        stop: std::sync::Mutex::new(Some(stop)),
        server: std::sync::Mutex::new(Some(server)),
    }
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fx_session="))
        .map(str::to_owned)
}

/// A JSON API access token for `email` (the demo password, and the authenticator `code` for an
/// account with two-factor sign-in).
async fn api_access(app: &TestApp, email: &str, code: Option<String>) -> String {
    let pair: serde_json::Value = app
        .client()
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": email, "password": seed::DEMO_PASSWORD, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    pair["access_token"].as_str().unwrap().to_owned()
}

/// The id of the demo lead called `name`.
async fn lead_named(app: &TestApp, name: &str) -> uuid::Uuid {
    let mut tx = db::platform_tx(&app.services.db).await.unwrap();
    let id = sqlx::query_scalar("SELECT id FROM leads WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Moves everything `lead` wrote two days back: their messaging window is closed.
async fn close_window(app: &TestApp, lead: uuid::Uuid) {
    let mut tx = db::platform_tx(&app.services.db).await.unwrap();
    sqlx::query(
        "UPDATE channel_messages SET sent_at = sent_at - interval '2 days' WHERE lead_id = $1 AND direction = 'in'",
    )
    .bind(lead)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_sets_a_safe_session_cookie_and_renews_its_id(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    // A visitor's page load creates no session.
    let home = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(session_cookie(&home).is_none());

    let res = app
        .sign_in_form(&c, "customer@demo.fluxorae.test", "/")
        .await;
    let cookie = session_cookie(&res).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let first_id = cookie.split(';').next().unwrap().to_owned();

    let me: serde_json::Value = app.call(&c, "/api/me").await.json().await.unwrap();
    assert_eq!(me["email"], "customer@demo.fluxorae.test");

    // Signing in again renews the id (no session fixation).
    let again = app
        .sign_in_form(&c, "customer@demo.fluxorae.test", "/")
        .await;
    let second_id = session_cookie(&again)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first_id, second_id);

    // Sign-out ends the session.
    c.post(app.url("/api/sign-out"))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    let me: serde_json::Value = app.call(&c, "/api/me").await.json().await.unwrap();
    assert!(me.is_null());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_customer_gets_403_at_admin_and_a_visitor_is_sent_to_sign_in(owner: PgPool) {
    let app = spawn_app(owner).await;
    let visitor = app
        .client()
        .get(app.url("/admin"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(visitor.status(), StatusCode::FOUND);
    assert_eq!(visitor.headers()[header::LOCATION], "/signin?next=/admin");

    let customer = app.signed_in("customer@demo.fluxorae.test").await;
    let page = customer.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.unwrap();
    assert!(html.contains("You do not have access to this page"));
    assert!(
        !html.contains("admin@demo.fluxorae.test"),
        "no admin data leaks into the 403 page"
    );

    let admin = app.signed_in("admin@demo.fluxorae.test").await;
    let page = admin.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("customer@demo.fluxorae.test"));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_without_two_factor_must_set_it_up_before_anything_else(owner: PgPool) {
    let app = spawn_app(owner.clone()).await;
    sqlx::query("DELETE FROM user_totp WHERE user_id = (SELECT id FROM users WHERE email = 'admin@demo.fluxorae.test')")
        .execute(&owner)
        .await
        .unwrap();
    let c = app.client();
    let res = app
        .sign_in_form(&c, "admin@demo.fluxorae.test", "/admin")
        .await;
    assert_eq!(
        res.headers()[header::LOCATION],
        "/account/two-factor?next=%2Fadmin"
    );
    let overview = app.call(&c, "/api/admin/overview").await;
    assert_eq!(overview.status(), StatusCode::FORBIDDEN);
    assert!(overview
        .text()
        .await
        .unwrap()
        .contains("TwoFactorSetupRequired"));
    let page = c
        .get(app.url("/admin"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FOUND);
    assert_eq!(
        page.headers()[header::LOCATION],
        "/account/two-factor?next=/admin"
    );
    // Setting it up is allowed, and afterwards so is everything else.
    let setup: serde_json::Value = app
        .call(&c, "/api/account/two-factor/begin")
        .await
        .json()
        .await
        .unwrap();
    let code = two_factor::code_now(setup["secret"].as_str().unwrap()).unwrap();
    let codes: Vec<String> = c
        .post(app.url("/api/account/two-factor/confirm"))
        .header(header::ACCEPT, "application/json")
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let overview = app.call(&c, "/api/admin/overview").await;
    assert_eq!(overview.status(), StatusCode::OK);
}

/// Pages are answered while the app's routes are listed again in the same process, as they
/// are each time another router is built (the tests build one per test, side by side).
#[sqlx::test(migrations = "../migrations")]
async fn pages_are_answered_while_another_router_is_built(owner: PgPool) {
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Ends the listing when dropped, also when the test fails.
    struct Done(Arc<AtomicBool>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let app = spawn_app(owner).await;
    let c = app.anonymous();
    let done = Done(Arc::default());
    let listing = tokio::task::spawn_blocking({
        let done = done.0.clone();
        move || {
            let mut listed = 0;
            while !done.load(Ordering::Relaxed) {
                assert!(server::routes().iter().any(|r| r.path() == "/admin"));
                listed += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            listed
        }
    });
    for i in 0..20 {
        // The admin page loads its data before it answers: a visitor who is not signed in is
        // sent to sign in once that load has failed.
        let page = c
            .get(app.url("/admin"))
            .header(header::ACCEPT, "text/html")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} was not answered: {e}"));
        assert_eq!(page.status(), StatusCode::FOUND);
        assert_eq!(page.headers()[header::LOCATION], "/signin?next=/admin");
    }
    drop(done);
    assert!(
        listing.await.unwrap() > 0,
        "the routes were listed meanwhile"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn visitors_pages_are_served_again_with_a_fresh_nonce_each_time(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    let nonce_of = |res: &reqwest::Response| {
        let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        csp.split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_owned()
    };
    let mut seen = Vec::new();
    for _ in 0..3 {
        let res = c.get(app.url("/signin")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().contains_key("x-request-id"));
        let nonce = nonce_of(&res);
        let html = res.text().await.unwrap();
        // The hydration script carries the same nonce as the header allows.
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{nonce}");
        assert!(html.contains("Forgot your password?"));
        seen.push(nonce);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "every copy has its own nonce");

    // Site pages run no inline script and no wasm: no nonce, the same bytes for everyone.
    let first = c.get(app.url("/")).send().await.unwrap();
    let csp = first.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("nonce") && !csp.contains("wasm"),
        "{csp}"
    );
    let first = first.text().await.unwrap();
    assert!(
        !first.contains("nonce="),
        "no script on a site page needs a nonce"
    );
    let second = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first, second);

    // A signed-in person never gets a visitor's copy.
    let signed_in = app.signed_in("customer@demo.fluxorae.test").await;
    let html = signed_in
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Sign out") && !html.contains(">Sign up<"),
        "the signed-in header"
    );
}

/// A visitor's cached copy of a site page is never served after a publish.
#[sqlx::test(migrations = "../migrations")]
async fn publishing_replaces_the_visitors_cached_copy(owner: PgPool) {
    use domain::server::site::editor;
    let app = spawn_app(owner).await;
    let c = app.client();
    let before = c
        .get(app.url("/about"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!before.contains("fluxorae.wasm"), "site pages load no wasm");
    assert!(before.contains("/site.js"));
    let again = c
        .get(app.url("/about"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("A page changed in between"));
    let pages = editor::list_pages(&app.services.db).await.unwrap();
    let about = pages.iter().find(|p| p.path == "/about").unwrap();
    let page = editor::load_page(&app.services.db, &about.id)
        .await
        .unwrap();
    let mut content = page.content.clone();
    content.blocks[0].props.insert(
        "title".into(),
        serde_json::json!("A page changed in between"),
    );
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'editor@demo.fluxorae.test'")
            .fetch_one(&app.services.db)
            .await
            .unwrap();
    let editor_user =
        domain::server::accounts::user_by_id(&app.services.db, domain::types::UserId(id))
            .await
            .unwrap()
            .unwrap();
    let saved = editor::save_draft(
        &app.services,
        &editor_user,
        &about.id,
        page.version,
        content,
    )
    .await
    .unwrap();
    editor::publish(
        &app.services,
        &editor_user,
        &about.id,
        saved.version,
        &Default::default(),
    )
    .await
    .unwrap();
    let after = c
        .get(app.url("/about"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        after.contains("A page changed in between"),
        "the cached copy was dropped"
    );

    // The sitemap and robots.txt.
    let sitemap = c.get(app.url("/sitemap.xml")).send().await.unwrap();
    assert_eq!(
        sitemap.headers()[header::CONTENT_TYPE],
        "application/xml; charset=utf-8"
    );
    assert!(sitemap.text().await.unwrap().contains("/about</loc>"));
    let robots = c
        .get(app.url("/robots.txt"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(robots.contains("Sitemap: "));
}

/// A lead form posted without JavaScript: refused ones come back with what was typed, good
/// ones are stored and thanked.
#[sqlx::test(migrations = "../migrations")]
async fn lead_forms_work_without_javascript(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    let page = c
        .get(app.url("/contact"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let post = |fields: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = app.url("/forms/lead");
        async move { c.post(url).form(&fields).send().await.unwrap() }
    };
    let fields = |message: &str, consent: bool| {
        let mut f = vec![
            ("form", "contact".to_owned()),
            ("token", token.clone()),
            ("source_page", "/contact".to_owned()),
            ("name", "Ana Silva".to_owned()),
            ("email", "ana@meridian.example".to_owned()),
            ("message", message.to_owned()),
            ("website", String::new()),
        ];
        if consent {
            f.push(("consent", "on".to_owned()));
        }
        f
    };
    // Too quick for a person.
    let res = post(fields("We need a booking app for our clinics.", true)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(back.starts_with("/contact?form="), "{back}");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let res = post(fields("short", false)).await;
    let back = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let shown = c
        .get(app.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("Tell us a little more"),
        "the message is at its field"
    );
    assert!(
        shown.contains("value=\"Ana Silva\""),
        "what was typed is kept"
    );
    assert!(shown.contains("Please tick the box"));
    let res = post(fields(
        "We need a booking app for our 12 clinics, with reminders.",
        true,
    ))
    .await;
    let back = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, "/contact?sent=contact#lead-contact");
    let thanks = c
        .get(app.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("your message is with our team"));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM site_leads WHERE email = 'ana@meridian.example'")
            .fetch_one(&app.services.db)
            .await
            .unwrap();
    assert_eq!(stored, 1);
}

/// Every demo account calls every guarded server function; the answer must match its role.
#[sqlx::test(migrations = "../migrations")]
async fn every_role_on_every_guarded_action(owner: PgPool) {
    let app = spawn_app(owner).await;
    let member_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'sdr@acme.fluxorae.test'")
            .fetch_one(&app.services.db)
            .await
            .unwrap();
    for account in seed::DEMO_ACCOUNTS {
        let c = app.signed_in(account.email).await;
        let call = |path: &'static str, form: Vec<(&'static str, String)>| {
            let c = c.clone();
            let url = app.url(path);
            async move {
                c.post(url)
                    .header(header::ACCEPT, "application/json")
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        let admin = call("/api/admin/overview", vec![]).await;
        let expect_admin = if account.role == PlatformRole::Admin {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(admin, expect_admin, "{} admin/overview", account.email);

        let settings = call(
            "/api/teams/settings",
            vec![
                ("slug", seed::DEMO_TENANT_SLUG.into()),
                ("default_country", "IN".into()),
                ("timezone", "Asia/Kolkata".into()),
            ],
        )
        .await;
        let role_change = call(
            "/api/teams/member-role",
            vec![
                ("slug", seed::DEMO_TENANT_SLUG.into()),
                ("user_id", member_id.to_string()),
                ("role", "SDR".into()),
            ],
        )
        .await;
        let overview = call(
            "/api/teams/overview",
            vec![("slug", seed::DEMO_TENANT_SLUG.into())],
        )
        .await;
        let (want_settings, want_role, want_overview) = match account.tenant_role {
            None => (
                StatusCode::NOT_FOUND,
                StatusCode::NOT_FOUND,
                StatusCode::NOT_FOUND,
            ),
            Some(TenantRole::Owner | TenantRole::Admin) => {
                (StatusCode::OK, StatusCode::OK, StatusCode::OK)
            }
            Some(TenantRole::Product) => (StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::OK),
            Some(_) => (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN, StatusCode::OK),
        };
        assert_eq!(settings, want_settings, "{} teams/settings", account.email);
        assert_eq!(
            role_change, want_role,
            "{} teams/member-role",
            account.email
        );
        assert_eq!(overview, want_overview, "{} teams/overview", account.email);
    }
    // Nobody signed in: 401 everywhere.
    let visitor = app.client();
    let form = [
        ("slug", "acme-sales"),
        ("default_country", "IN"),
        ("timezone", "UTC"),
        ("current_password", "x"),
        ("new_password", "y"),
        ("user_id", "00000000-0000-0000-0000-000000000000"),
        ("role", "SDR"),
    ];
    for path in [
        "/api/admin/overview",
        "/api/teams/overview",
        "/api/teams/settings",
        "/api/teams/member-role",
        "/api/change-password",
    ] {
        let s = visitor
            .post(app.url(path))
            .header(header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    // A call missing its arguments is the caller's mistake: 400 with a message, not 500.
    let res = visitor
        .post(app.url("/api/teams/settings"))
        .header(header::ACCEPT, "application/json")
        .form(&[("slug", "acme-sales")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["BadRequest"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{body}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_json_api_uses_bearer_tokens_that_rotate(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    let bad = c
        .post(app.url("/api/v1/auth/token"))
        .json(
            &serde_json::json!({"email": "admin@demo.fluxorae.test", "password": "nope nope nope"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.json::<serde_json::Value>().await.unwrap()["error"],
        "That email and password do not match."
    );

    // The admin signs in with two factors: the password alone is not enough.
    let no_code = c
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "admin@demo.fluxorae.test", "password": seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_code.status(), StatusCode::UNAUTHORIZED);
    assert!(no_code.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("two-factor"));
    let code = two_factor::code_now(seed::DEMO_TOTP_SECRET).unwrap();
    let pair: serde_json::Value = c
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "admin@demo.fluxorae.test", "password": seed::DEMO_PASSWORD, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let me = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<serde_json::Value>().await.unwrap()["role"],
        "ADMIN"
    );
    assert_eq!(
        c.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let refresh = pair["refresh_token"].as_str().unwrap();
    let next = c
        .post(app.url("/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), StatusCode::OK);
    let reuse = c
        .post(app.url("/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn cross_site_posts_and_huge_bodies_are_refused(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    let cross = c
        .post(app.url("/api/sign-out"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let cross = c
        .post(app.url("/api/sign-out"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);

    let huge = "x".repeat(server::BODY_LIMIT + 1);
    let res = c
        .post(app.url("/api/sign-in"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let garbage = c
        .post(app.url("/api/v1/auth/token"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = "../migrations")]
async fn health_readiness_headers_and_request_ids(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let ready = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let home = c.get(app.url("/")).send().await.unwrap();
    let h = home.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS on plain http"
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "site pages: {csp}");
    let signin = c.get(app.url("/signin")).send().await.unwrap();
    let csp = signin.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self' 'nonce-") && csp.contains("'wasm-unsafe-eval'"),
        "hydrated pages: {csp}"
    );
    assert!(h.get("x-request-id").is_some());

    // Postgres gone: not ready, with the reason.
    app.services.db.close().await;
    let ready = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["postgres"], "unreachable");
    assert_eq!(body["redis"], "ok");
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_count_requests_for_prometheus(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    c.get(app.url("/healthz")).send().await.unwrap();
    let res = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
}

#[sqlx::test(migrations = "../migrations")]
async fn shutdown_finishes_the_requests_in_flight_then_refuses_new_ones(owner: PgPool) {
    let app = spawn_app(owner).await;
    let c = app.client();
    // An open page's endless event stream must not hold the shutdown up.
    let watcher = app.signed_in("employee@demo.fluxorae.test").await;
    let mut events = watcher.get(app.url("/events")).send().await.unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    // A sign-in takes a while (Argon2id); stop the server while it is being answered.
    let in_flight = tokio::spawn({
        let c = c.clone();
        let url = app.url("/api/sign-in");
        async move {
            c.post(url)
                .header(header::ACCEPT, "application/json")
                .form(&[
                    ("email", "customer@demo.fluxorae.test"),
                    ("password", seed::DEMO_PASSWORD),
                    ("next", "/"),
                ])
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        !in_flight.is_finished(),
        "still being answered when the stop comes"
    );
    app.stop.lock().unwrap().take().unwrap().send(()).unwrap();
    let res = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let server = app.server.lock().unwrap().take().unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once idle")
        .unwrap()
        .unwrap();
    // The event stream was ended, not cut: it reads to its end.
    while let Some(_chunk) = events.chunk().await.unwrap() {}
    let fresh = app.anonymous().get(app.url("/healthz")).send().await;
    assert!(fresh.is_err(), "a stopped server accepts no new connection");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_persons_open_pages_hear_when_their_role_changes(owner: PgPool) {
    let app = spawn_app(owner).await;
    let visitor = app.client().get(app.url("/events")).send().await.unwrap();
    assert_eq!(visitor.status(), StatusCode::UNAUTHORIZED);

    let customer = app.signed_in("customer@demo.fluxorae.test").await;
    let mut stream = customer.get(app.url("/events")).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    // Let the subscription settle, then change the role from another session.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'customer@demo.fluxorae.test'")
            .fetch_one(&app.services.db)
            .await
            .unwrap();
    let admin = app.signed_in("admin@demo.fluxorae.test").await;
    let set = admin
        .post(app.url("/api/admin/set-role"))
        .header(header::ACCEPT, "application/json")
        .form(&[("user_id", id.to_string()), ("role", "EMPLOYEE".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !heard.contains("data: role_changed") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the event arrives")
            .unwrap()
            .expect("the stream stays open");
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(heard.contains("event: session"), "{heard}");
}

/// A PNG header of `w`×`h` followed by `pad` bytes (the library reads the header only).
fn png(w: u32, h: u32, pad: usize) -> Vec<u8> {
    let mut b = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.resize(b.len() + pad, 0);
    b
}

fn upload_form(bytes: Vec<u8>, alt: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("diagram.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .text("alt", alt.to_owned())
}

#[sqlx::test(migrations = "../migrations")]
async fn editors_upload_images_that_are_served_for_good(owner: PgPool) {
    let app = spawn_app(owner).await;
    let path = app::site::edit_api::MEDIA_UPLOAD_PATH;
    let visitor = app.client();
    let res = visitor
        .post(app.url(path))
        .header(header::ACCEPT, "application/json")
        .multipart(upload_form(png(10, 10, 0), "A diagram"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let editor = app.signed_in("editor@demo.fluxorae.test").await;
    // Larger than any other request may be (1 MiB), within the image limit (5 MiB).
    let bytes = png(1200, 800, 2 * 1024 * 1024);
    let res = editor
        .post(app.url(path))
        .header(header::ACCEPT, "application/json")
        .multipart(upload_form(
            bytes.clone(),
            "How an order flows through the platform",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let up: domain::site::media::Uploaded = res.json().await.unwrap();
    assert!(up.new);
    assert_eq!((up.item.width, up.item.height), (1200, 800));

    let res = visitor.get(app.url(&up.item.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(res.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let missing = visitor
        .get(app.url("/media/00000000000000000000000000000000.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // Too large: refused before it is read, with the message for the file field.
    let res = editor
        .post(app.url(path))
        .header(header::ACCEPT, "application/json")
        .multipart(upload_form(png(10, 10, 6 * 1024 * 1024), "A diagram"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let err: domain::AppError = res.json().await.unwrap();
    assert!(
        err.message_for("file")
            .is_some_and(|m| m.contains("up to 5 MB")),
        "{err:?}"
    );
    // Not a picture, and no description: both named.
    let res = editor
        .post(app.url(path))
        .header(header::ACCEPT, "application/json")
        .multipart(upload_form(b"%PDF-1.7 not an image".to_vec(), ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: domain::AppError = res.json().await.unwrap();
    assert!(
        err.message_for("file").is_some() && err.message_for("alt").is_some(),
        "{err:?}"
    );
    // Elsewhere the ordinary limit stands.
    let res = editor
        .post(app.url("/api/editor/media/describe"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("x".repeat(server::BODY_LIMIT + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[sqlx::test(migrations = "../migrations")]
async fn stripe_webhooks_are_verified_on_the_raw_body_and_stored_once(owner: PgPool) {
    use domain::server::payments::stripe_signature::sign;
    let app = spawn_app(owner).await;
    let body =
        r#"{"id":"evt_http_1","type":"charge.dispute.created","data":{"object":{"id":"pi_x"}}}"#;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let post = |sig: Option<String>, body: &'static str| {
        let mut req = app
            .anonymous()
            .post(app.url("/webhooks/stripe"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(sig) = sig {
            req = req.header("Stripe-Signature", sig);
        }
        req.send()
    };

    // No signature, the wrong secret, a stale timestamp, a body changed after signing: 400, nothing stored.
    assert_eq!(
        post(None, body).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let wrong = sign(body.as_bytes(), "whsec_other", now);
    assert_eq!(
        post(Some(wrong), body).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let stale = sign(body.as_bytes(), STRIPE_TEST_SECRET, now - 301);
    assert_eq!(
        post(Some(stale), body).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let good = sign(body.as_bytes(), STRIPE_TEST_SECRET, now);
    let tampered =
        r#"{"id":"evt_http_1","type":"charge.dispute.created","data":{"object":{"id":"pi_y"}}}"#;
    assert_eq!(
        post(Some(good.clone()), tampered).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM payment_events")
        .fetch_one(&app.services.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // Several v1 values with one valid: accepted, stored once, a replay answers "duplicate".
    let valid = good.split("v1=").nth(1).unwrap().to_owned();
    let several = format!("t={now},v1={},v1={valid}", "00".repeat(32));
    let res = post(Some(several), body).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["received"],
        "ignored"
    );
    let res = post(Some(good), body).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["received"],
        "duplicate"
    );
    let raw: serde_json::Value =
        sqlx::query_scalar("SELECT raw FROM payment_events WHERE id = 'evt_http_1'")
            .fetch_one(&app.services.db)
            .await
            .unwrap();
    assert_eq!(raw["data"]["object"]["id"], "pi_x");
}

#[sqlx::test(migrations = "../migrations")]
async fn meta_webhooks_are_verified_stored_and_reach_the_tenants_inbox(owner: PgPool) {
    use domain::server::channels::{intake, meta_signature::sign};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = spawn_app(owner).await;
    let svc = &app.services;
    let tenant = demo_tenant(svc).await;
    intake::connect(
        svc,
        tenant,
        domain::leads::ChannelKind::Whatsapp,
        "PN-HTTP",
        "Sales",
    )
    .await
    .unwrap();
    let c = app.anonymous();

    // The handshake echoes the challenge only for the configured token.
    let hs = |token: &str| {
        c.get(app.url(&format!(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        )))
        .send()
    };
    let ok = hs(META_TEST_TOKEN).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(hs("guess").await.unwrap().status(), StatusCode::FORBIDDEN);

    let body = serde_json::json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": { "metadata": { "phone_number_id": "PN-HTTP" },
          "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
          "messages": [ { "from": "14155552671", "id": "wamid.http1", "timestamp": "1764590400",
                          "type": "text", "text": { "body": "Do you build shops?" } } ] } } ] } ] })
    .to_string();
    let post = |path: &str, headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut req = c
            .post(app.url(path))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let events = || async {
        let mut tx = db::platform_tx(&svc.db).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_events")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    };
    // The demo inbox's own events, delivered at start.
    let before = events().await;

    // Refused with 401 and nothing written: no header, a flipped byte, the wrong secret, only
    // the old sha1 header, a malformed one.
    let good = sign(body.as_bytes(), META_TEST_SECRET);
    let mut flipped = body.clone().into_bytes();
    flipped[20] ^= 1;
    for (headers, bytes) in [
        (vec![], body.clone().into_bytes()),
        (vec![("X-Hub-Signature-256", good.clone())], flipped),
        (
            vec![("X-Hub-Signature-256", sign(body.as_bytes(), "another-app"))],
            body.clone().into_bytes(),
        ),
        (
            vec![("X-Hub-Signature", format!("sha1={}", "ab".repeat(20)))],
            body.clone().into_bytes(),
        ),
        (
            vec![("X-Hub-Signature-256", "sha256=xyz".to_owned())],
            body.clone().into_bytes(),
        ),
    ] {
        let res = post("/webhooks/whatsapp", headers, bytes).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .contains("X-Hub-Signature-256")
                || err["error"] == "the signature does not match",
            "{err}"
        );
    }
    assert_eq!(events().await, before);
    assert_eq!(
        post(
            "/webhooks/telegram",
            vec![("X-Hub-Signature-256", good.clone())],
            body.clone().into_bytes()
        )
        .await
        .unwrap()
        .status(),
        StatusCode::NOT_FOUND
    );

    // The team's inbox socket: members who may read leads only.
    let inbox_url = format!(
        "{}/ws/teams/{}/inbox",
        app.base.replace("http://", "ws://"),
        seed::DEMO_TENANT_SLUG
    );
    let connect = |cookie: Option<String>| {
        let mut req = inbox_url.clone().into_client_request().unwrap();
        if let Some(c) = cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        tokio_tungstenite::connect_async(req)
    };
    let refusal = |e: tokio_tungstenite::tungstenite::Error| match e {
        tokio_tungstenite::tungstenite::Error::Http(res) => res.status().as_u16(),
        other => panic!("not an HTTP refusal: {other}"),
    };
    assert_eq!(refusal(connect(None).await.unwrap_err()), 401);
    let outsider = session_pair(&app, "customer@demo.fluxorae.test").await;
    assert_eq!(refusal(connect(Some(outsider)).await.unwrap_err()), 404);
    let (mut inbox, _) = connect(Some(session_pair(&app, "sdr@acme.fluxorae.test").await))
        .await
        .unwrap();

    // Genuine: stored (and answered) once, then in the tenant's inbox without anyone asking.
    let res = post(
        "/webhooks/whatsapp",
        vec![("X-Hub-Signature-256", good.clone())],
        body.clone().into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["received"],
        "stored"
    );
    let res = post(
        "/webhooks/whatsapp",
        vec![("X-Hub-Signature-256", good)],
        body.into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["received"],
        "duplicate"
    );
    assert_eq!(events().await, before + 1);
    let mut seen = None;
    for _ in 0..50 {
        let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
        seen = sqlx::query_scalar::<_, String>(
            "SELECT body FROM channel_messages WHERE provider_id = 'wamid.http1'",
        )
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        if seen.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen.as_deref(), Some("Do you build shops?"));

    // The open inbox heard it: the channel moved, then the new lead was scored and routed.
    let mut heard = Vec::new();
    while heard.len() < 2 {
        use futures::StreamExt;
        let frame = tokio::time::timeout(Duration::from_secs(10), inbox.next())
            .await
            .expect("inbox events within 10 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = frame {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            assert_eq!(v["tenant"], tenant.0.to_string());
            heard.push(v["type"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(heard, ["channel", "lead"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn inbound_email_is_verified_stored_once_and_reaches_the_team_of_its_address(owner: PgPool) {
    use domain::server::channels::{intake, meta_signature::sign};
    let app = spawn_app(owner).await;
    let svc = &app.services;
    let tenant = demo_tenant(svc).await;
    intake::connect(
        svc,
        tenant,
        domain::leads::ChannelKind::Email,
        "hello@acme-http.test",
        "Hello inbox",
    )
    .await
    .unwrap();
    let c = app.anonymous();
    let mail = "From: Zoe <zoe@example.com>\r\nTo: hello@acme-http.test\r\nSubject: A shop\r\nMessage-ID: <zoe-1@example.com>\r\n\r\nDo you build shops?\r\n";
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut req = c
            .post(app.url("/webhooks/email"))
            .header(header::CONTENT_TYPE, "message/rfc822")
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let events = || async {
        let mut tx = db::platform_tx(&svc.db).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_events WHERE kind = 'email'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    };

    // Refused with 401 and nothing written: no signature, a flipped byte, Meta's secret.
    let good = sign(mail.as_bytes(), EMAIL_TEST_SECRET);
    let mut flipped = mail.as_bytes().to_vec();
    flipped[8] ^= 1;
    for (headers, bytes, said) in [
        (
            vec![],
            mail.as_bytes().to_vec(),
            "the X-Signature-256 header is missing",
        ),
        (
            vec![("X-Signature-256", good.clone())],
            flipped,
            "the signature does not match",
        ),
        (
            vec![("X-Signature-256", sign(mail.as_bytes(), META_TEST_SECRET))],
            mail.as_bytes().to_vec(),
            "the signature does not match",
        ),
        (
            vec![("X-Signature-256", "md5=abc".to_owned())],
            mail.as_bytes().to_vec(),
            "the X-Signature-256 header is malformed",
        ),
    ] {
        let res = post(headers, bytes).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"], said);
    }
    assert_eq!(events().await, 0);

    // Genuine: stored once, answered, then in the team's inbox as a lead known by the address.
    for expected in ["stored", "duplicate"] {
        let res = post(
            vec![("X-Signature-256", good.clone())],
            mail.as_bytes().to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["received"],
            expected
        );
    }
    assert_eq!(events().await, 1);
    let mut seen = None;
    for _ in 0..50 {
        let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
        seen = sqlx::query_as::<_, (String, String)>(
            "SELECT m.body, i.identity FROM channel_messages m
             JOIN lead_identities i ON i.lead_id = m.lead_id
             WHERE m.provider_id = 'zoe-1@example.com'",
        )
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        if seen.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        seen,
        Some((
            "Do you build shops?".to_owned(),
            "email:zoe@example.com".to_owned()
        ))
    );
}

/// The demo sales team.
async fn demo_tenant(svc: &domain::server::Services) -> domain::types::TenantId {
    let mut tx = db::platform_tx(&svc.db).await.unwrap();
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
        .bind(seed::DEMO_TENANT_SLUG)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    domain::types::TenantId(id)
}

/// The next event of `kind` on a workspace socket (others are skipped), within 5 s.
async fn next_kind<S>(socket: &mut S, kind: &str) -> serde_json::Value
where
    S: futures::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures::StreamExt;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = frame {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            if v["kind"] == kind {
                return v;
            }
        }
    }
}

/// The `fx_session=…` pair of a fresh sign-in, for clients that are not reqwest.
async fn session_pair(app: &TestApp, email: &str) -> String {
    let c = app.anonymous();
    let res = app.sign_in_form(&c, email, "/").await;
    let cookie = session_cookie(&res).expect("a session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_workspace_socket_carries_live_messages_to_participants_only(owner: PgPool) {
    use domain::project::FundChoice;
    use domain::server::projects::{chat, wizard};
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

    let app = spawn_app(owner).await;
    let svc = &app.services;
    let by_email = |e: &'static str| async move {
        let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(e)
            .fetch_one(&svc.db)
            .await
            .unwrap();
        domain::server::accounts::user_by_id(&svc.db, domain::types::UserId(id))
            .await
            .unwrap()
            .unwrap()
    };
    let customer = by_email("customer@demo.fluxorae.test").await;
    let employee = by_email("employee@demo.fluxorae.test").await;
    let meta = domain::server::RequestMeta::default();
    let draft = wizard::analyze(
        svc,
        &customer,
        None,
        "An online store for handmade ceramics with payments and a blog, in two months.",
        None,
    )
    .await
    .unwrap();
    let project = wizard::confirm(
        svc,
        &customer,
        draft.id,
        draft.version,
        FundChoice::First,
        "4242424242424242",
        &meta,
    )
    .await
    .unwrap()
    .project_id;

    let ws_url = format!(
        "{}/ws/projects/{project}",
        app.base.replace("http://", "ws://")
    );
    let connect = |cookie: Option<String>| {
        let mut req = ws_url.clone().into_client_request().unwrap();
        if let Some(c) = cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        tokio_tungstenite::connect_async(req)
    };

    // Nobody signed in, or someone not on the project: no socket.
    let status = |e: tokio_tungstenite::tungstenite::Error| match e {
        tokio_tungstenite::tungstenite::Error::Http(res) => res.status().as_u16(),
        other => panic!("not an HTTP refusal: {other}"),
    };
    assert_eq!(status(connect(None).await.unwrap_err()), 401);
    let outsider = session_pair(&app, "expert@demo.fluxorae.test").await;
    assert_eq!(status(connect(Some(outsider)).await.unwrap_err()), 404);

    let (mut socket, _) = connect(Some(
        session_pair(&app, "customer@demo.fluxorae.test").await,
    ))
    .await
    .unwrap();
    let presence = next_kind(&mut socket, "presence").await;
    assert_eq!(
        presence["data"]["present"],
        serde_json::json!(["Cai Customer"])
    );

    chat::post(
        svc,
        &employee,
        project,
        "Welcome! I am your PM.",
        &[],
        &meta,
    )
    .await
    .unwrap();
    let heard = next_kind(&mut socket, "message").await;
    assert_eq!(heard["data"]["body"], "Welcome! I am your PM.");
    assert_eq!(heard["data"]["author"], "Emil Employee");

    // Typing goes to the others, not back to the typist.
    socket.send(Message::Text("typing".into())).await.unwrap();
    chat::typing(svc, &employee, project).await;
    let typing = next_kind(&mut socket, "typing").await;
    assert_eq!(typing["data"]["name"], "Emil Employee");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_json_api_answers_leads_inside_the_window_and_only_with_templates_outside_it(
    owner: PgPool,
) {
    use serde_json::{json, Value};
    let app = spawn_app(owner).await;
    let c = app.client();
    let access = api_access(&app, "sdr@acme.fluxorae.test", None).await;
    let daniel = lead_named(&app, "Daniel Okoro").await;
    let base = format!("/api/v1/teams/acme-sales/leads/{daniel}");
    let composer = || async {
        c.get(app.url(&format!("{base}/composer")))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let post = |body: Value| {
        c.post(app.url(&format!("{base}/replies")))
            .bearer_auth(&access)
            .json(&body)
            .send()
    };

    // Daniel wrote two hours ago on the demo number: free text goes, queued.
    let seen = composer().await;
    let target = &seen["targets"][0];
    assert_eq!(target["window"]["kind"], "open");
    assert!(target["held"]
        .as_str()
        .unwrap()
        .contains("no access token yet"));
    let channel = target["channel"].as_str().unwrap().to_owned();
    let template = target["templates"][0]["id"].as_str().unwrap().to_owned();
    let ok = post(json!({"channel": channel, "kind": "text", "body": "Hi Daniel, happy to help."}))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(ok.json::<Value>().await.unwrap()["status"], "queued");
    let bad = post(json!({"channel": channel, "kind": "template", "template": template, "variables": ["Daniel"]}))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["fields"][0]["field"],
        "variables"
    );

    // The AI drafts the answer from the demo team's facts, for the SDR to check; nothing is sent.
    let drafted = c
        .post(app.url(&format!("{base}/draft")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(drafted.status(), StatusCode::OK);
    let d: Value = drafted.json().await.unwrap();
    let text = d["text"].as_str().unwrap();
    assert!(
        text.starts_with("Hi Daniel, thanks for reaching out!"),
        "{d}"
    );
    assert!(
        text.contains("Acme Studio can help with Website redesign"),
        "{d}"
    );
    assert_eq!(d["language"], "en");
    assert!(d["run"].as_str().is_some());

    // Two days later only templates go: a text gets 409 with the reason.
    close_window(&app, daniel).await;
    assert_eq!(
        composer().await["targets"][0]["window"]["kind"],
        "templates_only"
    );
    let closed = post(json!({"channel": channel, "kind": "text", "body": "Still there?"}))
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::CONFLICT);
    assert!(closed.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("only an approved template can be sent"));
    let t = post(json!({"channel": channel, "kind": "template", "template": template, "variables": ["Daniel", "the redesign"]}))
        .await
        .unwrap();
    assert_eq!(t.status(), StatusCode::CREATED);

    // Nobody signed in: 401. Another SDR's lead (Lena is with the AI): 404.
    let anon = c
        .post(app.url(&format!("{base}/replies")))
        .json(&json!({"channel": channel, "kind": "text", "body": "Hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let lena = lead_named(&app, "Lena Fischer").await;
    let theirs = c
        .get(app.url(&format!("/api/v1/teams/acme-sales/leads/{lena}/composer")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let not_theirs = c
        .post(app.url(&format!("/api/v1/teams/acme-sales/leads/{lena}/draft")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(not_theirs.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_json_api_sends_files_to_leads_and_says_what_is_wrong_with_one(owner: PgPool) {
    use reqwest::multipart::{Form, Part};
    use serde_json::{json, Value};
    let app = spawn_app(owner).await;
    let c = app.client();
    let access = api_access(&app, "sdr@acme.fluxorae.test", None).await;
    let daniel = lead_named(&app, "Daniel Okoro").await;
    let base = format!("/api/v1/teams/acme-sales/leads/{daniel}");
    let composer: Value = c
        .get(app.url(&format!("{base}/composer")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = composer["targets"][0]["channel"]
        .as_str()
        .unwrap()
        .to_owned();
    let png = {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.resize(2048, 0);
        b
    };
    let file = |bytes: &[u8], name: &'static str| Part::bytes(bytes.to_vec()).file_name(name);
    let send = |form: Form| {
        c.post(app.url(&format!("{base}/files")))
            .bearer_auth(&access)
            .multipart(form)
            .send()
    };
    let field_of = |v: &Value| {
        (
            v["fields"][0]["field"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            v["fields"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };

    // Inside the window a PNG goes with its caption: 201, queued, kept under its name.
    let ok = send(
        Form::new()
            .text("channel", channel.clone())
            .text("caption", "The floor plan")
            .part("file", file(&png, "plan.png")),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    let sent: Value = ok.json().await.unwrap();
    assert_eq!(sent["status"], "queued");
    let id = uuid::Uuid::parse_str(sent["id"].as_str().unwrap()).unwrap();
    let mut tx = db::platform_tx(&app.services.db).await.unwrap();
    let (kind, body, status, name, mime, size): (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        i64,
    ) = sqlx::query_as(
        "SELECT m.kind, m.body, m.status, f.name, f.mime, f.size
             FROM channel_messages m JOIN channel_media f ON f.message_id = m.id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (kind.as_str(), body.as_deref(), status.as_deref()),
        ("image", Some("The floor plan"), Some("queued"))
    );
    assert_eq!(
        (name.as_deref(), mime.as_str(), size),
        (Some("plan.png"), "image/png", 2048)
    );

    // A GIF is not what WhatsApp takes: 422 at the file, with what it does take.
    let gif = send(
        Form::new()
            .text("channel", channel.clone())
            .part("file", file(b"GIF89a\x01\0\x01\0\0\0\0;", "wave.gif")),
    )
    .await
    .unwrap();
    assert_eq!(gif.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (field, message) = field_of(&gif.json().await.unwrap());
    assert_eq!(field, "file");
    assert!(
        message.contains("JPEG or PNG images up to 5 MB"),
        "{message}"
    );

    // No file, no channel, or not a form at all: each says what to send.
    let bare = send(Form::new().text("channel", channel.clone()))
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&bare.json().await.unwrap()).0, "file");
    let nameless = send(Form::new().part("file", file(&png, "plan.png")))
        .await
        .unwrap();
    assert_eq!(nameless.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&nameless.json().await.unwrap()).0, "channel");
    let json_body = c
        .post(app.url(&format!("{base}/files")))
        .bearer_auth(&access)
        .json(&json!({"channel": channel}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
    assert!(json_body.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("multipart/form-data"));

    // Declared larger than any file the inbox takes: 413 before it is read, said at the file.
    let (status, body) = declare_body(&app, &format!("{base}/files"), 40 * 1024 * 1024).await;
    assert_eq!(status, 413, "{body}");
    let (field, message) = field_of(&serde_json::from_str(&body).unwrap());
    assert_eq!(field, "file");
    assert!(message.contains("at most 16 MB"), "{message}");

    // Two days after Daniel last wrote, no file goes (409, with the reason); nor without a token.
    close_window(&app, daniel).await;
    let closed = send(
        Form::new()
            .text("channel", channel.clone())
            .part("file", file(&png, "plan.png")),
    )
    .await
    .unwrap();
    assert_eq!(closed.status(), StatusCode::CONFLICT);
    assert!(closed.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("only an approved template can be sent"));
    let anon = c
        .post(app.url(&format!("{base}/files")))
        .multipart(Form::new().text("channel", channel.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let mut tx = db::platform_tx(&app.services.db).await.unwrap();
    let files: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM channel_media f JOIN channel_messages m ON m.id = f.message_id WHERE m.lead_id = $1 AND m.direction = 'out'",
    )
    .bind(daniel)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(files, 1, "only the PNG sent inside the window is kept");
}

#[sqlx::test(migrations = "../migrations")]
async fn integrations_add_leads_through_the_json_api(owner: PgPool) {
    use serde_json::{json, Value};
    let app = spawn_app(owner).await;
    let c = app.client();
    let code = two_factor::code_now(seed::DEMO_TOTP_SECRET).unwrap();
    let manager = api_access(&app, "manager@acme.fluxorae.test", Some(code)).await;
    let sdr = api_access(&app, "sdr@acme.fluxorae.test", None).await;
    let url = app.url("/api/v1/teams/acme-sales/leads");
    let post = |access: String, body: Value| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            c.post(url)
                .bearer_auth(access)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // A new person: 201, with what did not read flagged.
    let r = post(
        manager.clone(),
        json!({"name": "Zoe Park", "phones": ["+1 (415) 555-2671", "12"], "emails": ["zoe@example.com"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["created"], true);
    assert_eq!(added["invalid"].as_array().unwrap().len(), 1);
    let zoe = added["lead"].as_str().unwrap().to_owned();
    // The same person again, by another of her identities: 200, the same lead.
    let r = post(manager.clone(), json!({"emails": ["ZOE@example.com"]})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["lead"].as_str(), Some(zoe.as_str()));
    assert_eq!(again["created"], false);
    // Nothing that reads: 422 naming the field; an SDR may not add leads: 403.
    let r = post(manager.clone(), json!({"name": "Nobody", "phones": ["12"]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(
        body.to_string()
            .contains("None of the numbers or addresses read"),
        "{body}"
    );
    let r = post(sdr, json!({"emails": ["someone@example.com"]})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // She is in the team's inbox, came through the API, with her number in E.164.
    let mut tx = db::platform_tx(&app.services.db).await.unwrap();
    let row: (String, String) = sqlx::query_as(
        "SELECT l.source, string_agg(i.identity, ' ' ORDER BY i.identity)
         FROM leads l JOIN lead_identities i ON i.lead_id = l.id WHERE l.id = $1 GROUP BY l.source",
    )
    .bind(uuid::Uuid::parse_str(&zoe).unwrap())
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        row,
        (
            "api".to_owned(),
            "email:zoe@example.com phone:+14155552671".to_owned()
        )
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_contacts_media_is_served_to_the_team_safely(owner: PgPool) {
    use domain::server::channels::intake;
    let app = spawn_app(owner).await;
    let svc = &app.services;
    let tenant = demo_tenant(svc).await;
    intake::connect(
        svc,
        tenant,
        domain::leads::ChannelKind::Whatsapp,
        "PN-MEDIA",
        "Sales",
    )
    .await
    .unwrap();
    let media = |id: &str, kind: &str| {
        let mut m = serde_json::json!({ "from": "14155550100", "id": id, "timestamp": "1764590400", "type": kind });
        m[kind] = serde_json::json!({ "id": format!("M-{id}") });
        m
    };
    let body = serde_json::json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": { "metadata": { "phone_number_id": "PN-MEDIA" },
          "messages": [ media("wamid.img", "image"), media("wamid.doc", "document") ] } } ] } ] });
    intake::receive(
        svc,
        domain::leads::ChannelKind::Whatsapp,
        body.to_string().as_bytes(),
    )
    .await
    .unwrap();
    // This test's processing or the server's worker, whichever claims the event first.
    for _ in 0..50 {
        intake::process_pending(svc, 10).await.unwrap();
        let mut tx = db::platform_tx(&svc.db).await.unwrap();
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM channel_messages WHERE provider_id IN ('wamid.img', 'wamid.doc')",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        if stored == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // As the media worker keeps what it fetched: an image, and a "document" that is a page.
    let mut tx = db::platform_tx(&svc.db).await.unwrap();
    let ids: Vec<(String, uuid::Uuid)> = sqlx::query_as(
        "INSERT INTO channel_media (message_id, tenant_id, mime, size, bytes)
         SELECT id, tenant_id, CASE kind WHEN 'image' THEN 'image/png' ELSE 'text/html' END, 4,
                CASE kind WHEN 'image' THEN '\\x89504e47'::bytea ELSE convert_to('<script>', 'UTF8') END
         FROM channel_messages WHERE channel_id = (SELECT id FROM channels WHERE external_id = 'PN-MEDIA')
         RETURNING (SELECT kind FROM channel_messages m WHERE m.id = message_id), message_id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let id_of = |kind: &str| ids.iter().find(|(k, _)| k == kind).unwrap().1;
    let url = |id: uuid::Uuid| {
        app.url(&format!(
            "/teams/{}/inbox/media/{id}",
            seed::DEMO_TENANT_SLUG
        ))
    };

    let manager = app.signed_in("manager@acme.fluxorae.test").await;
    let res = manager.get(url(id_of("image"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "image/png");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], "sandbox");
    assert_eq!(h[header::CACHE_CONTROL], "private, no-store");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"\x89PNG");
    // A page that calls itself a document is a download of unknown type, never a page here.
    let res = manager.get(url(id_of("document"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert!(res.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));

    // An SDR sees conversations assigned to them only; a visitor nothing; a made-up id is 404.
    let sdr = app.signed_in("sdr@acme.fluxorae.test").await;
    let res = sdr.get(url(id_of("image"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .anonymous()
        .get(url(id_of("image")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = manager.get(url(uuid::Uuid::now_v7())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn file_uploads_take_files_past_the_default_body_limit_come_back_in_byte_ranges_and_say_when_one_is_too_large(
    owner: PgPool,
) {
    use domain::project::FundChoice;
    use domain::server::projects::wizard;

    let app = spawn_app(owner).await;
    let svc = &app.services;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("customer@demo.fluxorae.test")
        .fetch_one(&svc.db)
        .await
        .unwrap();
    let customer = domain::server::accounts::user_by_id(&svc.db, domain::types::UserId(id))
        .await
        .unwrap()
        .unwrap();
    let brief = "A booking site for a dental clinic with reminders, in six weeks.";
    let draft = wizard::analyze(svc, &customer, None, brief, None)
        .await
        .unwrap();
    let meta = domain::server::RequestMeta::default();
    let project = wizard::confirm(
        svc,
        &customer,
        draft.id,
        draft.version,
        FundChoice::First,
        "4242424242424242",
        &meta,
    )
    .await
    .unwrap()
    .project_id;

    // A 3 MB PDF is three times what any other request may carry: the workspace takes it.
    let c = app.signed_in("customer@demo.fluxorae.test").await;
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(3 * 1024 * 1024, b'x');
    let form = reqwest::multipart::Form::new()
        .text("project", project.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.clone())
                .file_name("floor plan.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = c
        .post(app.url("/api/projects/files/upload"))
        .header(header::ACCEPT, "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let (file, size): (uuid::Uuid, i64) =
        sqlx::query_as("SELECT id, bytes FROM project_files WHERE project_id = $1")
            .bind(project)
            .fetch_one(&svc.db)
            .await
            .unwrap();
    assert_eq!(size, pdf.len() as i64);

    // Downloaded whole, or in byte ranges (a download resumed, a video sought).
    let get = |range: Option<&'static str>| {
        let mut req = c.get(app.url(&format!("/files/{file}")));
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        req.send()
    };
    let whole = get(None).await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(whole.bytes().await.unwrap().len(), pdf.len());
    let head = get(Some("bytes=0-8")).await.unwrap();
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        head.headers()[header::CONTENT_RANGE],
        format!("bytes 0-8/{}", pdf.len()).as_str()
    );
    assert_eq!(&head.bytes().await.unwrap()[..], b"%PDF-1.7\n");
    let tail = get(Some("bytes=-100")).await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap().len(), 100);
    let past = get(Some("bytes=5000000-")).await.unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()[header::CONTENT_RANGE],
        format!("bytes */{}", pdf.len()).as_str()
    );

    // Declared larger than the file an upload takes: 413 at once, before any of it is read,
    // with the reason at the file.
    for (path, most) in [
        ("/api/projects/files/upload", 25),
        ("/api/inbox/reply/file", 16),
    ] {
        let (status, body) = declare_body(&app, path, 40 * 1024 * 1024).await;
        assert_eq!(status, 413, "{path}: {body}");
        let err: domain::AppError = serde_json::from_str(&body).unwrap();
        let said = format!(
            "This file has 40 MB; one may have at most {most} MB. Send a smaller file, or a link to it."
        );
        assert_eq!(err.message_for("file"), Some(said.as_str()), "{path}");
    }
}

/// Posts to `path` a request that declares a body of `length` bytes and sends none of it;
/// answers the status and body of what the server says.
async fn declare_body(app: &TestApp, path: &str, length: usize) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk))
            .await
            .expect("the server answers without waiting for the body");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((headers, body)) = text.split_once("\r\n\r\n") {
            let length = headers
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(usize::MAX);
            if body.len() >= length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}
