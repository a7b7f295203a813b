//! Meta's Graph API, for sending WhatsApp Cloud API, Messenger and Instagram messages and for
//! fetching the media contacts send. The base URL is configurable (`META_GRAPH_URL`), so tests
//! and staging can point it at a stand-in. Each channel brings its own access token; a channel
//! without one never reaches this client: its replies wait in the queue with that reason, and
//! its media waits to be fetched.

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

/// Why media could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Meta refused it or it is gone (a 4xx): trying again would not help.
    #[error("{0}")]
    Refused(String),
    /// Meta could not be reached or failed: worth another try later.
    #[error("{0}")]
    Unavailable(String),
    /// Larger than the inbox keeps (its size in bytes, when Meta said).
    #[error("larger than the inbox keeps")]
    TooLarge(Option<u64>),
}

/// Media as fetched: its type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Its media type, as Meta gave it.
    pub mime: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Sends messages and fetches media through the Graph API.
#[async_trait]
pub trait GraphApi: Send + Sync {
    /// POSTs `body` to `path` (under the base URL) with `token`; answers Meta's id for the
    /// message.
    async fn send(&self, path: &str, token: &str, body: &Value) -> Result<String, SendError>;

    /// Fetches the media a message names, at most `limit` bytes: a WhatsApp media id is looked
    /// up with `token` (`GET /{id}` answers a URL, downloaded with the token too); a URL, as
    /// Messenger and Instagram give, is downloaded as it is, without the token.
    async fn media(&self, reference: &str, token: &str, limit: u64) -> Result<Media, FetchError>;

    /// POSTs a multipart form to `path` with `token`: the text `fields`, then `file`. Answers
    /// what Meta answered (a WhatsApp upload's media id, a Messenger message's id).
    async fn upload(
        &self,
        path: &str,
        token: &str,
        fields: &[(&'static str, String)],
        file: FilePart<'_>,
    ) -> Result<Value, SendError>;
}

/// A file as it goes up in a multipart form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePart<'a> {
    /// The form field that carries it (`file` for WhatsApp, `filedata` for Messenger).
    pub field: &'static str,
    /// Its name.
    pub name: &'a str,
    /// Its media type.
    pub mime: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Whether `id` can be a Graph API node id (and so part of a path).
fn node_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && id != "."
        && id != ".."
}

fn unavailable(e: reqwest::Error) -> FetchError {
    FetchError::Unavailable(format!("Meta could not be reached: {e}."))
}

/// What a failed answer says (Meta's own words when it gave any), and whether another try
/// later may work (Meta failed or asked us to slow down) rather than being refused.
fn failure(status: reqwest::StatusCode, answer: &Value) -> (String, bool) {
    let said = graph_error(answer).unwrap_or_else(|| format!("Meta answered {status}."));
    let again = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    (said, again)
}

/// A failed answer as a [`FetchError`].
async fn refused(res: reqwest::Response) -> FetchError {
    let status = res.status();
    let answer: Value = res.json().await.unwrap_or_default();
    match failure(status, &answer) {
        (said, true) => FetchError::Unavailable(said),
        (said, false) => FetchError::Refused(said),
    }
}

/// Meta's answer to a POST: its JSON when it succeeded, else why not.
async fn answer(res: reqwest::Response) -> Result<Value, SendError> {
    let status = res.status();
    let answer: Value = res.json().await.unwrap_or_default();
    if status.is_success() {
        return Ok(answer);
    }
    Err(match failure(status, &answer) {
        (said, true) => SendError::Unavailable(said),
        (said, false) => SendError::Refused(said),
    })
}

fn unreachable_meta(e: reqwest::Error) -> SendError {
    SendError::Unavailable(format!("Meta could not be reached: {e}."))
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
        let res = self
            .http
            .post(format!("{}/{path}", self.base_url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(unreachable_meta)?;
        sent_id(&answer(res).await?).ok_or_else(|| {
            SendError::Unavailable("Meta accepted the message but named no id for it.".into())
        })
    }

    async fn upload(
        &self,
        path: &str,
        token: &str,
        fields: &[(&'static str, String)],
        file: FilePart<'_>,
    ) -> Result<Value, SendError> {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(*name, value.clone());
        }
        let part = reqwest::multipart::Part::bytes(file.bytes.to_vec())
            .file_name(file.name.to_owned())
            .mime_str(file.mime)
            .map_err(|_| SendError::Refused(format!("“{}” is not a media type.", file.mime)))?;
        let res = self
            .http
            .post(format!("{}/{path}", self.base_url))
            .bearer_auth(token)
            .multipart(form.part(file.field, part))
            // A file takes longer than a message to go up.
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(unreachable_meta)?;
        answer(res).await
    }

    async fn media(&self, reference: &str, token: &str, limit: u64) -> Result<Media, FetchError> {
        let (download, token, mime) =
            if reference.starts_with("https://") || reference.starts_with("http://") {
                (self.http.get(reference), None, None)
            } else {
                if !node_id(reference) {
                    return Err(FetchError::Refused(
                        "The message names no media id Meta could have given.".into(),
                    ));
                }
                let res = self
                    .http
                    .get(format!("{}/{reference}", self.base_url))
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(unavailable)?;
                if !res.status().is_success() {
                    return Err(refused(res).await);
                }
                let about: Value = res.json().await.map_err(unavailable)?;
                if about["file_size"].as_u64().is_some_and(|n| n > limit) {
                    return Err(FetchError::TooLarge(about["file_size"].as_u64()));
                }
                let Some(url) = about["url"].as_str() else {
                    return Err(FetchError::Unavailable(
                        "Meta named no address for the media.".into(),
                    ));
                };
                (
                    self.http.get(url),
                    Some(token),
                    about["mime_type"].as_str().map(str::to_owned),
                )
            };
        let download = match token {
            Some(t) => download.bearer_auth(t),
            None => download,
        };
        let mut res = download.send().await.map_err(unavailable)?;
        if !res.status().is_success() {
            return Err(refused(res).await);
        }
        if res.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge(res.content_length()));
        }
        let mime = mime
            .or_else(|| {
                res.headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(unavailable)? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge(None));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Media { mime, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::node_id;

    #[test]
    fn only_a_plain_id_goes_into_a_path() {
        assert!(node_id("1234567890"));
        assert!(node_id("MEDIA_9-a.b"));
        for bad in ["", ".", "..", "../me", "a/b", "id?x=1", "id#x", "a b"] {
            assert!(!node_id(bad), "{bad}");
        }
    }
}
