//! Configuration from the environment. Variables set in the environment always win over `.env`.

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

impl Config {
    /// Reads `.env` (without overriding the environment), then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        let port: u16 = parse("PORT", 3000)?;
        let host: IpAddr = parse("HOST", IpAddr::from([127, 0, 0, 1]))?;
        let base_url = var("BASE_URL").unwrap_or_else(|| format!("http://localhost:{port}"));
        let jwt_secret = secret("JWT_SECRET")?;
        let data_key = secret("DATA_KEY")?;
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
        })
    }
}
