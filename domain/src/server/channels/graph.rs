//! Meta's Graph API, for sending: WhatsApp Cloud API, Messenger and Instagram messages. The
//! base URL is configurable (`META_GRAPH_URL`), so tests and staging can point it at a stand-in.
//! Each channel brings its own access token; a channel without one never reaches this client,
//! its replies wait in the queue with that reason.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::leads::reply::{graph_error, sent_id};

/// Meta's production Graph API.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v21.0";

/// Why a send did not go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Meta refused it (a 4xx): trying again would not help. Says what Meta said.
    #[error("{0}")]
    Refused(String),
    /// Meta could not be reached or failed (network, 5xx, 429): worth another try later.
    #[error("{0}")]
    Unavailable(String),
}

/// Sends messages through the Graph API.
#[async_trait]
pub trait GraphApi: Send + Sync {
    /// POSTs `body` to `path` (under the base URL) with `token`; answers Meta's id for the
    /// message.
    async fn send(&self, path: &str, token: &str, body: &Value) -> Result<String, SendError>;
}

/// The HTTP client for the Graph API.
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
}

impl GraphClient {
    /// A client for the Graph API at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
        })
    }
}

#[async_trait]
impl GraphApi for GraphClient {
    async fn send(&self, path: &str, token: &str, body: &Value) -> Result<String, SendError> {
        let url = format!("{}/{path}", self.base_url);
        let res = self
            .http
            .post(&url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| SendError::Unavailable(format!("Meta could not be reached: {e}.")))?;
        let status = res.status();
        let answer: Value = res.json().await.unwrap_or_default();
        if status.is_success() {
            return sent_id(&answer).ok_or_else(|| {
                SendError::Unavailable("Meta accepted the message but named no id for it.".into())
            });
        }
        let said = graph_error(&answer).unwrap_or_else(|| format!("Meta answered {status}."));
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(SendError::Unavailable(said))
        } else {
            Err(SendError::Refused(said))
        }
    }
}
