//! Request-level policy: who is asking (IP, user agent), CSRF checks, metrics.

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::server::RequestMeta;
use std::net::SocketAddr;
use std::time::Instant;

/// Whether to believe `X-Forwarded-For`.
#[derive(Clone, Copy)]
pub struct TrustProxy(pub bool);

/// Puts the client's IP and user agent on the request for the audit trail and rate limits.
pub async fn request_meta(
    State(trust): State<TrustProxy>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded = trust
        .0
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
        })
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_owned());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect());
    req.extensions_mut().insert(RequestMeta {
        ip: forwarded.or(peer),
        user_agent,
    });
    next.run(req).await
}

/// Refuses cross-site state changes to cookie-authenticated routes.
///
/// Browsers send `Sec-Fetch-Site` on every request; older ones at least send `Origin` on
/// cross-origin POSTs. A state-changing request is allowed when it is same-origin by either
/// signal, or carries neither (a non-browser client, which has no ambient cookies to abuse).
/// Webhooks and the bearer-token JSON API are exempt: they do not use cookies.
pub async fn csrf(req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let path = req.uri().path();
    let exempt = path.starts_with("/webhooks/") || path.starts_with("/api/v1/");
    if safe || exempt || same_origin(req.headers()) {
        return next.run(req).await;
    }
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) == Some(host),
        (Some(_), None) => false,
    }
}

/// Counts requests and their latency by route and status, for `/metrics`.
pub async fn metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    res
}

/// Room for the form around an uploaded file (its other fields, the part headers).
const FORM_ROOM: usize = 64 * 1024;

/// The server functions that take a file, with the largest file each takes.
const FILE_UPLOADS: [(&str, usize); 6] = [
    (
        app::site::edit_api::MEDIA_UPLOAD_PATH,
        domain::site::media::MAX_BYTES,
    ),
    (
        app::inbox::import::IMPORT_UPLOAD_PATH,
        domain::leads::import::MAX_BYTES,
    ),
    (
        app::inbox::api::FILE_REPLY_PATH,
        domain::leads::attachment::ATTACHMENT_MAX,
    ),
    (
        app::projects::api::FILE_UPLOAD_PATH,
        domain::workspace::MAX_FILE_BYTES,
    ),
    (
        app::talent::api::PORTFOLIO_ADD_PATH,
        domain::workspace::MAX_FILE_BYTES,
    ),
    (
        app::talent::api::DOCUMENT_ADD_PATH,
        domain::workspace::MAX_FILE_BYTES,
    ),
];

fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
}

fn megabytes(n: usize) -> usize {
    n.div_ceil(1024 * 1024)
}

/// What the file field says when an upload to `path` declares `n` bytes, over the `most` its
/// file may have.
fn too_large(path: &str, n: usize, most: usize) -> String {
    if path == app::site::edit_api::MEDIA_UPLOAD_PATH {
        if let Some(m) = domain::site::media::size_error(n) {
            return m;
        }
    }
    if path == app::inbox::import::IMPORT_UPLOAD_PATH {
        return format!(
            "This file has {} MB; a file has at most {} MB: split it in two.",
            megabytes(n),
            megabytes(most)
        );
    }
    format!(
        "This file has {} MB; one may have at most {} MB. Send a smaller file, or a link to it.",
        megabytes(n),
        megabytes(most)
    )
}

/// Limits request bodies: [`crate::BODY_LIMIT`] everywhere but the server functions that take a
/// file (each up to its largest file, see [`FILE_UPLOADS`]) and a received email (attachments
/// included, up to [`crate::channels::EMAIL_MAX_BYTES`]). A body declared too large gets 413 at
/// once (for a file upload, with the reason at the file field); one that turns out too large
/// while it is read fails its reader the same way.
pub async fn body_limit(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = crate::api_v1::is_file_reply_path(path);
    let file = FILE_UPLOADS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, most)| *most)
        .or(api.then_some(domain::leads::attachment::ATTACHMENT_MAX));
    let limit = match file {
        Some(most) => most + FORM_ROOM,
        None if path == "/webhooks/email" => crate::channels::EMAIL_MAX_BYTES,
        None => crate::BODY_LIMIT,
    };
    if let Some(n) = declared_length(&req).filter(|&n| n > limit) {
        return match file {
            Some(most) => {
                let err = domain::AppError::field("file", too_large(path, n, most));
                if api {
                    let res = crate::api_v1::ApiError(err).into_response();
                    return (StatusCode::PAYLOAD_TOO_LARGE, res).into_response();
                }
                (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(err)).into_response()
            }
            None => (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response(),
        };
    }
    next.run(req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, limit))))
        .await
}

/// Gives server-function errors their real status. Errors raised inside a server function set
/// it themselves; errors raised before it runs (arguments that cannot be read) arrive here as 500
/// with an `AppError` body, which names the right status.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn =
        req.uri().path().starts_with("/api/") && !req.uri().path().starts_with("/api/v1/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            )
                .into_response()
        }
    };
    if let Ok(err) = serde_json::from_slice::<domain::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(err.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://a"),
            ("host", "a")
        ])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_origin(&headers(&[
            ("origin", "http://localhost:3000"),
            ("host", "localhost:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "localhost:3000")
        ])));
        assert!(same_origin(&headers(&[])));
    }
}
