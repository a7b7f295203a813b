//! The Fluxorae server: builds the services and the axum router. `main.rs` runs it; the
//! integration tests build it against a fresh database and serve it on a random port.

#![recursion_limit = "256"]

pub mod api_v1;
pub mod channels;
pub mod config;
pub mod events;
pub mod files;
pub mod health;
pub mod middleware;
pub mod page_cache;
pub mod payments;
pub mod session_store;
pub mod site;
pub mod telemetry;
pub mod work;
pub mod ws;

use app::ssr::CurrentUserCell;
use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use domain::server::ai::provider::{ChatModel, OpenAiCompatible};
use domain::server::ai::Ai;
use domain::server::channels::graph::GraphClient;
use domain::server::mail::{Mailer, OutboxMailer, SmtpMailer};
use domain::server::payments::provider::{
    BuiltinProvider, PaymentProvider, StripeConfig, StripeProvider,
};
use domain::server::site::media::MediaStore;
use domain::server::{db, Services, Settings};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use tower::Layer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::middleware::TrustProxy;
use crate::session_store::RedisSessionStore;

/// Largest request body accepted (1 MiB); larger ones get 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The router's state.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos' options (site root, output name).
    pub leptos: LeptosOptions,
    /// Domain services.
    pub services: Services,
    /// Prometheus renderer.
    pub metrics: Option<PrometheusHandle>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Postgres did not answer.
    #[error("cannot connect to Postgres at DATABASE_URL: {0}")]
    Postgres(sqlx::Error),
    /// A migration failed; the server must not run on a half-migrated schema.
    #[error("database migration failed, so the server will not start: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// Redis did not answer.
    #[error("cannot connect to Redis at REDIS_URL: {0}")]
    Redis(redis::RedisError),
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
}

/// Connects to Postgres (migrating as the owner) and Redis, and builds the services.
pub async fn connect(cfg: &Config) -> Result<Services, StartError> {
    let owner_opts = PgConnectOptions::from_str(&cfg.database_url).map_err(StartError::Postgres)?;
    let owner = PgPool::connect_with(owner_opts.clone())
        .await
        .map_err(StartError::Postgres)?;
    db::migrate(&owner).await.map_err(StartError::Migration)?;
    owner.close().await;
    let pool = db::app_pool(owner_opts, cfg.db_max_connections)
        .await
        .map_err(StartError::Postgres)?;
    let redis = db::redis(&cfg.redis_url).await.map_err(StartError::Redis)?;
    let mailer: Arc<dyn Mailer> = match &cfg.smtp_url {
        Some(url) => Arc::new(
            SmtpMailer::new(pool.clone(), url, &cfg.mail_from).map_err(StartError::Config)?,
        ),
        None => Arc::new(OutboxMailer::new(pool.clone())),
    };
    let mut settings = Settings::new(
        cfg.base_url.clone(),
        cfg.jwt_secret.clone(),
        cfg.data_key.clone(),
    );
    settings.redis_prefix = cfg.redis_prefix.clone();
    let model: Option<Arc<dyn ChatModel>> = match &cfg.ai_model {
        Some(m) => Some(Arc::new(
            OpenAiCompatible::new(m.clone()).map_err(|e| StartError::Config(e.to_string()))?,
        )),
        None => None,
    };
    Ok(Services {
        db: pool,
        redis,
        mailer,
        settings: Arc::new(settings),
        ai: Arc::new(Ai::new(cfg.ai_engine.clone(), model)),
        site: Arc::default(),
        media: Arc::new(media_store(cfg)?),
        payments: payment_provider(cfg)?,
        graph: Arc::new(
            GraphClient::new(cfg.meta_graph_url.clone())
                .map_err(|e| StartError::Config(e.to_string()))?,
        ),
    })
}

/// Stripe when `STRIPE_SECRET_KEY` is set, else the built-in provider.
fn payment_provider(cfg: &Config) -> Result<Arc<dyn PaymentProvider>, StartError> {
    Ok(match &cfg.stripe_secret_key {
        Some(key) => {
            let mut c = StripeConfig::new(key.clone());
            if let Some(base) = &cfg.stripe_api_base {
                c.base_url = base.clone();
            }
            tracing::info!("payments: Stripe");
            Arc::new(StripeProvider::new(c).map_err(|e| StartError::Config(e.to_string()))?)
        }
        None => {
            tracing::info!("payments: the built-in provider (test cards only)");
            Arc::new(BuiltinProvider)
        }
    })
}

/// The media library's store: the S3-compatible bucket when `MEDIA_S3_BUCKET` is set, else
/// the local folder `MEDIA_DIR`.
fn media_store(cfg: &Config) -> Result<MediaStore, StartError> {
    let store = match &cfg.media_bucket {
        Some(bucket) => MediaStore::s3(bucket),
        None => MediaStore::local(&cfg.media_dir),
    }
    .map_err(|e| StartError::Config(format!("the media store cannot be opened: {e}")))?;
    tracing::info!(store = store.describe(), "media library");
    Ok(store)
}

/// Leptos' options for this build: output name `fluxorae`, files under `site_root`.
pub fn leptos_options(cfg: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("fluxorae")
        .site_root(cfg.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(cfg.addr)
        .build()
}

/// The app's page routes, listed once per process.
///
/// Listing them renders the app while a process-wide switch holds back every resource that
/// starts loading meanwhile, on any thread, and a resource held back never loads
/// (leptos-rs/leptos#4773). A page rendering while a second router is built in the same
/// process (the HTTP tests build one per test, side by side) would then never be answered.
/// Listed once, before the first router serves, the listing never overlaps a render.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application router with every layer.
pub fn router(cfg: &Config, services: Services, metrics: Option<PrometheusHandle>) -> Router {
    let leptos = leptos_options(cfg);
    let routes = routes();
    let context = {
        let services = services.clone();
        move || {
            provide_context(services.clone());
            provide_context(CurrentUserCell::default());
        }
    };
    let state = AppState {
        leptos: leptos.clone(),
        services: services.clone(),
        metrics,
    };

    let sessions = SessionManagerLayer::new(RedisSessionStore::new(
        services.redis.clone(),
        &cfg.redis_prefix,
    ))
    .with_name("fx_session")
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(cfg.secure)
    .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
        cfg.session_idle.as_secs() as i64,
    )));

    site::listen_for_changes(services.clone(), cfg.redis_url.clone());
    site::start_scheduler(services.clone(), std::time::Duration::from_secs(15));
    payments::start_scheduler(services.clone(), std::time::Duration::from_secs(60));
    let wake: Arc<tokio::sync::Notify> = Arc::default();
    channels::start_worker(
        services.clone(),
        wake.clone(),
        std::time::Duration::from_secs(2),
    );
    let meta_hooks = channels::MetaWebhooks {
        app_secret: cfg.meta_app_secret.clone(),
        verify_token: cfg.meta_verify_token.clone(),
        store: domain::server::channels::intake::Store::start(services.clone(), move || {
            wake.notify_one()
        }),
    };
    let email_hook = channels::EmailWebhook {
        secret: cfg.email_inbound_secret.clone(),
        store: meta_hooks.store.clone(),
    };
    channels::start_import_worker(services.clone(), std::time::Duration::from_secs(1));
    let hub: events::Hub = events::Hub::start(
        &cfg.redis_url,
        domain::server::events::user_channel(&cfg.redis_prefix),
    );
    let project_hub = ws::ProjectHub::start(
        &cfg.redis_url,
        domain::server::projects::channel(&cfg.redis_prefix),
        ws::project_room,
    );
    let inbox_hub = ws::RoomHub::start(
        &cfg.redis_url,
        domain::server::channels::intake::inbox_channel(&cfg.redis_prefix),
        ws::inbox_room,
    );
    let pkg = ServeDir::new(format!("{}/pkg", cfg.site_root));
    // Downloads answer byte ranges (seeking a video, resuming a download).
    let ranges = axum::middleware::from_fn(files::byte_ranges);
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(render_metrics))
        .route("/events", get(events::stream).with_state((services.clone(), hub)))
        .route(
            "/ws/projects/{id}",
            get(ws::project_socket).with_state((services.clone(), project_hub)),
        )
        .route(
            "/ws/teams/{slug}/inbox",
            get(ws::inbox_socket).with_state((services.clone(), inbox_hub)),
        )
        .route("/forms/lead", axum::routing::post(site::lead).with_state(services.clone()))
        .route("/site/events", axum::routing::post(site::events).with_state(services.clone()))
        .route("/sitemap.xml", get(site::sitemap).with_state(services.clone()))
        .route("/robots.txt", get(site::robots).with_state(services.clone()))
        .route("/media/{key}", get(site::media).with_state(services.clone()))
        .route("/files/{id}", get(files::download).layer(ranges.clone()).with_state(services.clone()))
        .route("/talent/portfolio/{id}", get(files::portfolio).layer(ranges.clone()).with_state(services.clone()))
        .route("/talent/documents/{id}", get(files::document).layer(ranges.clone()).with_state(services.clone()))
        .route("/documents/{kind}/{id}/pdf", get(files::document_pdf).layer(ranges.clone()).with_state(services.clone()))
        .route("/teams/{slug}/imports/{id}/errors.csv", get(files::import_errors).layer(ranges.clone()).with_state(services.clone()))
        .route("/teams/{slug}/leads.csv", get(files::leads_export).layer(ranges.clone()).with_state(services.clone()))
        .route("/teams/{slug}/inbox/media/{id}", get(files::inbox_media).layer(ranges.clone()).with_state(services.clone()))
        .route(
            "/webhooks/stripe",
            axum::routing::post(payments::stripe_webhook)
                .with_state((services.clone(), cfg.stripe_webhook_secret.clone())),
        )
        .route(
            "/webhooks/email",
            axum::routing::post(channels::receive_email)
                .layer(axum::extract::DefaultBodyLimit::max(channels::EMAIL_MAX_BYTES))
                .with_state(email_hook),
        )
        .route(
            "/webhooks/{kind}",
            get(channels::handshake)
                .post(channels::receive)
                .with_state(meta_hooks),
        )
        .nest("/api/v1", api_v1::router().with_state(services.clone()))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        // Files from public/ that a site route (`/{slug}`) would otherwise catch.
        .route_service("/site.js", cached(ServeFile::new(format!("{}/site.js", cfg.site_root))))
        .route_service("/favicon.svg", cached(ServeFile::new(format!("{}/favicon.svg", cfg.site_root))))
        .nest_service("/downloads", cached(ServeDir::new(format!("{}/downloads", cfg.site_root))))
        .nest_service("/pkg", cached(pkg))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .with_state(state)
        .layer(axum::middleware::from_fn(page_cache::without_hydration_data))
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(cfg.page_cache, services.site.clone()),
            page_cache::layer,
        ))
        // leptos_routes_with_context also serves every server function under /api/.
        .layer(axum::middleware::from_fn(middleware::server_fn_status))
        .layer(sessions)
        .layer(axum::middleware::from_fn(middleware::csrf))
        .layer(axum::middleware::from_fn_with_state(TrustProxy(cfg.trust_proxy), middleware::request_meta))
        .layer(axum::middleware::from_fn(middleware::metrics))
        .layer(axum::middleware::from_fn(middleware::body_limit))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"),
        ));
    if cfg.secure {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(TraceLayer::new_for_http().make_span_with(telemetry::make_span))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Static files, kept by browsers for five minutes.
fn cached<S>(service: S) -> SetResponseHeader<S, HeaderValue> {
    SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    )
    .layer(service)
}

async fn render_metrics(State(handle): State<Option<PrometheusHandle>>) -> impl IntoResponse {
    match handle {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting connections and
/// finishes the requests in flight before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        // Without this, small responses on keep-alive connections wait for delayed ACKs.
        let _ = tcp.set_nodelay(true);
    });
    // Endless responses (event streams) end when the shutdown begins.
    let (down, watch) = tokio::sync::watch::channel(false);
    let app = app.layer(axum::Extension(events::ShuttingDown(watch)));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = down.send(true);
    })
    .await
}

/// Waits for SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
