//! The services every request needs, built once at start and passed in state.

use redis::aio::ConnectionManager;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

use super::mail::Mailer;

/// Settings the domain needs at run time.
#[derive(Clone)]
pub struct Settings {
    /// Public base URL, used in emailed links (`http://localhost:3000`).
    pub base_url: String,
    /// Secret for signing API access tokens.
    pub jwt_secret: String,
    /// The master key for secrets at rest (see [`super::crypto`]); never logged.
    pub data_key: Vec<u8>,
    /// Prefix for every Redis key, so several deployments or tests can share one Redis.
    pub redis_prefix: String,
    /// Lifetime of an API access token.
    pub access_ttl: Duration,
    /// Lifetime of an API refresh token.
    pub refresh_ttl: Duration,
    /// Lifetime of a password reset link.
    pub reset_ttl: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url)
            .field("jwt_secret", &"***")
            .field("data_key", &"***")
            .field("redis_prefix", &self.redis_prefix)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Defaults for the given base URL, token signing secret and data key.
    pub fn new(
        base_url: impl Into<String>,
        jwt_secret: impl Into<String>,
        data_key: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            jwt_secret: jwt_secret.into(),
            data_key: data_key.into(),
            redis_prefix: "fx".into(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            reset_ttl: Duration::from_secs(3600),
        }
    }
}

/// Postgres (as the application role), Redis, the mailer and settings.
#[derive(Clone)]
pub struct Services {
    /// The application pool (role `fluxorae_app`).
    pub db: PgPool,
    /// Redis, shared by sessions, rate limits and pub/sub.
    pub redis: ConnectionManager,
    /// Where emails go.
    pub mailer: Arc<dyn Mailer>,
    /// Run-time settings.
    pub settings: Arc<Settings>,
    /// The AI layer: engine choice, the model client and its breaker.
    pub ai: Arc<super::ai::Ai>,
    /// Published pages this process has rendered, until the next publish.
    pub site: Arc<super::site::cache::SiteCache>,
    /// Where the media library's images are kept.
    pub media: Arc<super::site::media::MediaStore>,
    /// The payment provider: Stripe when configured, else the built-in one.
    pub payments: Arc<dyn super::payments::provider::PaymentProvider>,
    /// Meta's Graph API, for replies on WhatsApp, Messenger and Instagram.
    pub graph: Arc<dyn super::channels::graph::GraphApi>,
}

impl Services {
    /// A Redis key under this deployment's prefix.
    pub fn key(&self, parts: &[&str]) -> String {
        let mut k = self.settings.redis_prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }
}

/// Who is asking, for the audit trail and rate limits.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// Client IP address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}
