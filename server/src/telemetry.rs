//! Logging with request ids; JSON when `LOG_FORMAT=json`.

use axum::http::Request;
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

/// The span of one request: method, path and request id.
pub fn make_span<B>(req: &Request<B>) -> Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}
