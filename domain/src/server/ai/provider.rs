//! The model engine: any server that speaks OpenAI's chat-completions API (OpenAI, vLLM, Ollama,
//! llama.cpp's server), asked for JSON that follows a schema. Timeouts, retries with backoff on
//! 429 (honouring `Retry-After`) and 5xx, and a circuit breaker that keeps calls away from a
//! failing model for a while.

use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the model is and how to treat it.
#[derive(Clone)]
pub struct ModelConfig {
    /// Base URL up to and including `/v1` (`https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`).
    pub base_url: String,
    /// Bearer key, if the server wants one.
    pub api_key: Option<String>,
    /// Model name.
    pub model: String,
    /// Per attempt.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff; doubles each retry.
    pub backoff: Duration,
    /// The longest `Retry-After` we wait; a longer one fails the call at once.
    pub max_retry_after: Duration,
    /// US dollars per million prompt tokens.
    pub prompt_usd_per_mtok: f64,
    /// US dollars per million completion tokens.
    pub completion_usd_per_mtok: f64,
}

impl std::fmt::Debug for ModelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl ModelConfig {
    /// Defaults for a base URL and model: 20 s per attempt, 2 retries from 500 ms, no price.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            timeout: Duration::from_secs(20),
            max_retries: 2,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
            prompt_usd_per_mtok: 0.0,
            completion_usd_per_mtok: 0.0,
        }
    }

    /// The cost of a call in millionths of a US dollar.
    pub fn cost_micros(&self, prompt: u32, completion: u32) -> i64 {
        (prompt as f64 * self.prompt_usd_per_mtok
            + completion as f64 * self.completion_usd_per_mtok)
            .round() as i64
    }
}

/// One structured-output request.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The system message.
    pub system: String,
    /// The user message.
    pub user: String,
    /// The schema name (letters, digits, `_`).
    pub schema_name: String,
    /// The JSON Schema the answer must follow.
    pub schema: Value,
}

/// A model's answer.
#[derive(Debug, Clone)]
pub struct ChatReply {
    /// The message content (should be JSON).
    pub content: String,
    /// The model that answered.
    pub model: String,
    /// Prompt tokens, if reported.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens, if reported.
    pub completion_tokens: Option<u32>,
    /// Attempts it took (1 = no retry).
    pub attempts: u32,
}

/// Why a call gave no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Every attempt timed out.
    #[error("timed out after {attempts} attempt(s)")]
    Timeout {
        /// Attempts made.
        attempts: u32,
    },
    /// Still rate limited after the retries, or told to wait longer than we do.
    #[error("rate limited (429) after {attempts} attempt(s)")]
    RateLimited {
        /// Attempts made.
        attempts: u32,
    },
    /// An HTTP error status.
    #[error("HTTP {status} after {attempts} attempt(s): {body}")]
    Status {
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The response was not a chat completion.
    #[error("not a chat completion: {0}")]
    Malformed(String),
    /// Connection-level failure.
    #[error("transport: {0}")]
    Transport(String),
}

/// Something that answers chat requests. The HTTP client is one; tests may bring others.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// The model's name, for the log.
    fn name(&self) -> &str;
    /// What a call's tokens cost, in millionths of a US dollar.
    fn cost_micros(&self, prompt: u32, completion: u32) -> i64;
    /// One request, with this client's retries.
    async fn complete(&self, req: &ChatRequest) -> Result<ChatReply, ModelError>;
}

/// The OpenAI-compatible HTTP client.
pub struct OpenAiCompatible {
    http: reqwest::Client,
    config: ModelConfig,
}

impl OpenAiCompatible {
    /// A client for `config`.
    pub fn new(config: ModelConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { http, config })
    }

    fn body(&self, req: &ChatRequest) -> Value {
        json!({
            "model": self.config.model,
            "temperature": 0,
            "messages": [
                { "role": "system", "content": req.system },
                { "role": "user", "content": req.user },
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": { "name": req.schema_name, "schema": req.schema, "strict": false },
            },
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.config.backoff.saturating_mul(1 << attempt.min(10))
    }
}

/// Seconds from a `Retry-After` header (delta-seconds form; an HTTP date counts as absent).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

fn parse_completion(
    body: &Value,
    fallback_model: &str,
) -> Result<(String, String, Option<u32>, Option<u32>), ModelError> {
    let content = body
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| ModelError::Malformed("no choices[0].message.content".into()))?;
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(fallback_model);
    let tokens = |k: &str| {
        body.pointer(&format!("/usage/{k}"))
            .and_then(Value::as_u64)
            .map(|n| n.min(u32::MAX as u64) as u32)
    };
    Ok((
        content.to_string(),
        model.to_string(),
        tokens("prompt_tokens"),
        tokens("completion_tokens"),
    ))
}

#[async_trait]
impl ChatModel for OpenAiCompatible {
    fn name(&self) -> &str {
        &self.config.model
    }

    fn cost_micros(&self, prompt: u32, completion: u32) -> i64 {
        self.config.cost_micros(prompt, completion)
    }

    async fn complete(&self, req: &ChatRequest) -> Result<ChatReply, ModelError> {
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let body = self.body(req);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let last = attempt > self.config.max_retries;
            let mut call = self.http.post(&url).json(&body);
            if let Some(key) = &self.config.api_key {
                call = call.bearer_auth(key);
            }
            let wait = match call.send().await {
                Err(e) if e.is_timeout() => {
                    if last {
                        return Err(ModelError::Timeout { attempts: attempt });
                    }
                    self.backoff(attempt - 1)
                }
                Err(e) => {
                    if last {
                        return Err(ModelError::Transport(e.to_string()));
                    }
                    self.backoff(attempt - 1)
                }
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        let text = match resp.text().await {
                            Ok(t) => t,
                            Err(e) if e.is_timeout() && !last => {
                                tokio::time::sleep(self.backoff(attempt - 1)).await;
                                continue;
                            }
                            Err(e) if e.is_timeout() => {
                                return Err(ModelError::Timeout { attempts: attempt })
                            }
                            Err(e) => return Err(ModelError::Transport(e.to_string())),
                        };
                        let json: Value = serde_json::from_str(&text).map_err(|e| {
                            ModelError::Malformed(format!("response is not JSON: {e}"))
                        })?;
                        let (content, model, p, c) = parse_completion(&json, &self.config.model)?;
                        return Ok(ChatReply {
                            content,
                            model,
                            prompt_tokens: p,
                            completion_tokens: c,
                            attempts: attempt,
                        });
                    }
                    if status.as_u16() == 429 {
                        let after = retry_after(resp.headers());
                        if last || after.is_some_and(|a| a > self.config.max_retry_after) {
                            return Err(ModelError::RateLimited { attempts: attempt });
                        }
                        after.unwrap_or_else(|| self.backoff(attempt - 1))
                    } else if status.is_server_error() && !last {
                        self.backoff(attempt - 1)
                    } else {
                        let text = resp.text().await.unwrap_or_default();
                        return Err(ModelError::Status {
                            status: status.as_u16(),
                            body: text.chars().take(300).collect(),
                            attempts: attempt,
                        });
                    }
                }
            };
            tracing::warn!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "model call failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

// ----------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// A circuit breaker: after `threshold` failed calls in a row it opens and refuses calls for
/// `cooldown`; then one probe call goes through, and its result closes or re-opens it.
pub struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    cooldown: Duration,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: threshold.max(1),
            cooldown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a call go to the model now? Moves an expired open breaker to half-open and lets
    /// exactly one probe through.
    pub fn allow(&self) -> bool {
        let mut s = self.lock();
        match *s {
            State::Closed { .. } => true,
            State::Open { until } if Instant::now() >= until => {
                *s = State::HalfOpen { probing: true };
                true
            }
            State::Open { .. } => false,
            State::HalfOpen { probing: true } => false,
            State::HalfOpen { probing: false } => {
                *s = State::HalfOpen { probing: true };
                true
            }
        }
    }

    /// Records a call's result.
    pub fn record(&self, ok: bool) {
        let mut s = self.lock();
        *s = match (*s, ok) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            (_, false) => State::Open {
                until: Instant::now() + self.cooldown,
            },
        };
    }

    /// True while calls are refused.
    pub fn is_open(&self) -> bool {
        match *self.lock() {
            State::Open { until } => Instant::now() < until,
            State::HalfOpen { probing } => probing,
            State::Closed { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_threshold_and_probes_after_cooldown() {
        let b = Breaker::new(3, Duration::from_millis(30));
        for _ in 0..2 {
            assert!(b.allow());
            b.record(false);
        }
        assert!(!b.is_open());
        b.record(false);
        assert!(b.is_open() && !b.allow());
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.allow(), "one probe after the cooldown");
        assert!(!b.allow(), "only one probe at a time");
        b.record(false);
        assert!(!b.allow(), "a failed probe re-opens");
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.allow());
        b.record(true);
        assert!(!b.is_open() && b.allow());
    }

    #[test]
    fn reads_completions_and_costs() {
        let body = json!({"model": "m", "choices": [{"message": {"content": "{}"}}], "usage": {"prompt_tokens": 1000, "completion_tokens": 200}});
        let (c, m, p, t) = parse_completion(&body, "x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.as_str(), m.as_str(), p, t),
            ("{}", "m", Some(1000), Some(200))
        );
        assert!(parse_completion(&json!({"choices": []}), "x").is_err());
        let mut cfg = ModelConfig::new("http://x/v1", "m");
        cfg.prompt_usd_per_mtok = 0.15;
        cfg.completion_usd_per_mtok = 0.60;
        assert_eq!(cfg.cost_micros(1000, 200), 270);
    }
}
