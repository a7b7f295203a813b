//! Configuration from the environment. Variables set in the environment always win over `.env`.

use domain::ai::{AnalyzerKind, EngineKind};
use domain::server::ai::provider::ModelConfig;
use domain::server::ai::EngineChoice;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is missing.
    #[error("{0} is not set. Run `make run`, which writes .env, or set it yourself.")]
    Missing(&'static str),
    /// A variable has a value we cannot use.
    #[error("{name} is not valid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

/// Everything the server reads at start. See the table in README.md.
#[derive(Clone)]
pub struct Config {
    /// Postgres URL of the database owner (migrations run as it; the app then works as
    /// `fluxorae_app`).
    pub database_url: String,
    /// Redis URL.
    pub redis_url: String,
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Public base URL, for links in emails.
    pub base_url: String,
    /// Whether cookies get `Secure` and responses get HSTS (the base URL is https).
    pub secure: bool,
    /// Session idle timeout.
    pub session_idle: Duration,
    /// Secret for API access tokens.
    pub jwt_secret: String,
    /// Master key for secrets stored in the database (TOTP secrets).
    pub data_key: String,
    /// SMTP URL; when absent, email stays in the outbox.
    pub smtp_url: Option<String>,
    /// Sender address.
    pub mail_from: String,
    /// JSON logs.
    pub log_json: bool,
    /// Seed the demo tenant and accounts at start.
    pub seed_demo: bool,
    /// Trust `X-Forwarded-For` from a reverse proxy.
    pub trust_proxy: bool,
    /// Postgres pool size.
    pub db_max_connections: u32,
    /// Prefix for Redis keys.
    pub redis_prefix: String,
    /// How long anonymous visitors' pages are kept (zero: not at all).
    pub page_cache: Duration,
    /// Where cargo-leptos wrote the site (wasm, js, css, public files).
    pub site_root: String,
    /// Which engine each analyzer uses (`AI_ENGINE`, `AI_ENGINE_<ANALYZER>`).
    pub ai_engine: EngineChoice,
    /// The OpenAI-compatible model, when `AI_BASE_URL` is set.
    pub ai_model: Option<ModelConfig>,
    /// The media library's folder (`MEDIA_DIR`, default `.data/media`) when no bucket is set.
    pub media_dir: String,
    /// The S3-compatible bucket for the media library (`MEDIA_S3_BUCKET`; credentials and
    /// endpoint from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`).
    pub media_bucket: Option<String>,
    /// Stripe's secret key (`STRIPE_SECRET_KEY`); without it payments use the built-in
    /// provider and its test cards.
    pub stripe_secret_key: Option<String>,
    /// The webhook endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`, `whsec_…`); without it
    /// `/webhooks/stripe` refuses every event.
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's API address (`STRIPE_API_BASE`, for a test server).
    pub stripe_api_base: Option<String>,
    /// The Meta app's secret (`META_APP_SECRET`): WhatsApp, Messenger and Instagram webhooks
    /// are signed with it; without it `/webhooks/{whatsapp,messenger,instagram}` refuse every
    /// POST.
    pub meta_app_secret: Option<String>,
    /// The token Meta echoes in its subscription handshake (`META_VERIFY_TOKEN`); without it
    /// every handshake is refused.
    pub meta_verify_token: Option<String>,
    /// The secret inbound emails are signed with (`EMAIL_INBOUND_SECRET`): `POST /webhooks/email`
    /// takes a raw message whose `X-Signature-256` is `sha256=` and the hex HMAC-SHA256 of the
    /// body with it; without it every email is refused.
    pub email_inbound_secret: Option<String>,
    /// Meta's Graph API address for replies (`META_GRAPH_URL`; default
    /// `https://graph.facebook.com/v21.0`). Each channel brings its own access token.
    pub meta_graph_url: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("base_url", &self.base_url)
            .field("secure", &self.secure)
            .field("smtp", &self.smtp_url.is_some())
            .finish_non_exhaustive()
    }
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("expected true or false, got {other:?}"),
        }),
    }
}

/// A required secret of at least 32 characters.
fn secret(name: &'static str) -> Result<String, ConfigError> {
    match var(name) {
        Some(s) if s.len() >= 32 => Ok(s),
        Some(_) => Err(ConfigError::Invalid {
            name,
            reason: "use at least 32 characters".into(),
        }),
        None => Err(ConfigError::Missing(name)),
    }
}

fn engine(name: &'static str, value: &str) -> Result<EngineKind, ConfigError> {
    EngineKind::parse(&value.trim().to_ascii_lowercase()).ok_or_else(|| ConfigError::Invalid {
        name,
        reason: format!("expected builtin or model, got {value:?}"),
    })
}

/// `AI_ENGINE` for every analyzer, `AI_ENGINE_<ANALYZER>` (`AI_ENGINE_MESSAGE=model`) for one;
/// the model itself from `AI_BASE_URL`, `AI_MODEL`, `AI_API_KEY` and friends.
fn ai() -> Result<(EngineChoice, Option<ModelConfig>), ConfigError> {
    let mut choice = EngineChoice::default();
    if let Some(v) = var("AI_ENGINE") {
        choice.default = engine("AI_ENGINE", &v)?;
    }
    for k in AnalyzerKind::ALL {
        let name: &'static str = match k {
            AnalyzerKind::Requirements => "AI_ENGINE_REQUIREMENTS",
            AnalyzerKind::Estimate => "AI_ENGINE_ESTIMATE",
            AnalyzerKind::Matching => "AI_ENGINE_MATCHING",
            AnalyzerKind::Message => "AI_ENGINE_MESSAGE",
            AnalyzerKind::Qualify => "AI_ENGINE_QUALIFY",
            AnalyzerKind::Reply => "AI_ENGINE_REPLY",
            AnalyzerKind::ProjectRisk => "AI_ENGINE_PROJECT_RISK",
            AnalyzerKind::QaCheck => "AI_ENGINE_QA_CHECK",
            AnalyzerKind::Support => "AI_ENGINE_SUPPORT",
        };
        if let Some(v) = var(name) {
            choice.per_analyzer.insert(k, engine(name, &v)?);
        }
    }
    let model = match var("AI_BASE_URL") {
        None => None,
        Some(url) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    name: "AI_BASE_URL",
                    reason: "expected an http:// or https:// URL".into(),
                });
            }
            let mut m = ModelConfig::new(
                url,
                var("AI_MODEL").ok_or(ConfigError::Missing("AI_MODEL"))?,
            );
            m.api_key = var("AI_API_KEY");
            m.timeout = Duration::from_secs(parse("AI_TIMEOUT_SECS", 20)?);
            m.max_retries = parse("AI_MAX_RETRIES", 2)?;
            m.prompt_usd_per_mtok = parse("AI_PRICE_PROMPT_PER_MTOK", 0.0)?;
            m.completion_usd_per_mtok = parse("AI_PRICE_COMPLETION_PER_MTOK", 0.0)?;
            Some(m)
        }
    };
    let wants_model = choice.default == EngineKind::Model
        || choice
            .per_analyzer
            .values()
            .any(|e| *e == EngineKind::Model);
    if wants_model && model.is_none() {
        return Err(ConfigError::Invalid {
            name: "AI_ENGINE",
            reason: "the model engine is chosen but AI_BASE_URL is not set".into(),
        });
    }
    Ok((choice, model))
}

impl Config {
    /// Reads `.env` (without overriding the environment), then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        let port: u16 = parse("PORT", 3000)?;
        let host: IpAddr = parse("HOST", IpAddr::from([127, 0, 0, 1]))?;
        let base_url = var("BASE_URL").unwrap_or_else(|| format!("http://localhost:{port}"));
        let jwt_secret = secret("JWT_SECRET")?;
        let data_key = secret("DATA_KEY")?;
        let (ai_engine, ai_model) = ai()?;
        Ok(Self {
            database_url: var("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?,
            redis_url: var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
            addr: SocketAddr::new(host, port),
            secure: base_url.starts_with("https://"),
            base_url,
            session_idle: Duration::from_secs(60 * parse::<u64>("SESSION_IDLE_MINUTES", 30)?),
            jwt_secret,
            data_key,
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "Fluxorae <no-reply@fluxorae.test>".into()),
            log_json: var("LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json")),
            seed_demo: flag("SEED_DEMO", true)?,
            trust_proxy: flag("TRUST_PROXY", false)?,
            db_max_connections: parse("DB_MAX_CONNECTIONS", 16)?,
            redis_prefix: var("REDIS_PREFIX").unwrap_or_else(|| "fx".into()),
            page_cache: Duration::from_millis(parse("PAGE_CACHE_MS", 2000)?),
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            ai_engine,
            ai_model,
            media_dir: var("MEDIA_DIR").unwrap_or_else(|| ".data/media".into()),
            media_bucket: var("MEDIA_S3_BUCKET"),
            stripe_secret_key: var("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: var("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base: var("STRIPE_API_BASE"),
            meta_app_secret: var("META_APP_SECRET"),
            meta_verify_token: var("META_VERIFY_TOKEN"),
            email_inbound_secret: var("EMAIL_INBOUND_SECRET"),
            meta_graph_url: var("META_GRAPH_URL")
                .unwrap_or_else(|| domain::server::channels::graph::DEFAULT_BASE_URL.to_owned()),
        })
    }
}
