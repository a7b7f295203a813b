//! A micro-cache for the pages anonymous visitors see.
//!
//! A visitor without a session sees the same page as every other such visitor (only the theme
//! cookie changes the HTML), so a rendered page is kept for a short time (`PAGE_CACHE_MS`,
//! default 2 s) and served again without rendering. Every served copy gets a fresh CSP nonce:
//! the old one is replaced in the `Content-Security-Policy` header and in the HTML. Only GET
//! requests for pages (not the API, assets or health checks) without a session cookie or an
//! `Authorization` header are cached, and only `200 text/html` answers that set no cookie.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use domain::server::site::cache::SiteCache;
use std::sync::Arc;
use std::time::Duration;

/// Pages larger than this are never cached.
const MAX_PAGE_BYTES: usize = 512 * 1024;

/// One rendered page.
#[derive(Clone)]
struct Page {
    /// The site content generation it was rendered in; a publish makes it stale.
    generation: u64,
    headers: HeaderMap,
    body: Bytes,
    nonce: Option<Arc<str>>,
}

/// The cache; cheap to clone. A zero lifetime turns it off.
#[derive(Clone)]
pub struct PageCache {
    store: Option<moka::sync::Cache<String, Page>>,
    site: Arc<SiteCache>,
}

impl PageCache {
    /// A cache keeping pages for `ttl` (none when zero); a page rendered before the site's
    /// content last changed is never served.
    pub fn new(ttl: Duration, site: Arc<SiteCache>) -> Self {
        Self {
            store: (!ttl.is_zero()).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(1024)
                    .time_to_live(ttl)
                    .build()
            }),
            site,
        }
    }
}

/// The cache key of a request that may be served from the cache.
fn key(req: &Request) -> Option<String> {
    if req.method() != Method::GET || req.headers().contains_key(header::AUTHORIZATION) {
        return None;
    }
    let path = req.uri().path();
    if [
        "/api/",
        "/pkg/",
        "/events",
        "/healthz",
        "/readyz",
        "/metrics",
        "/preview/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
    {
        return None;
    }
    let mut theme = "";
    for value in req.headers().get_all(header::COOKIE) {
        for pair in value.to_str().ok()?.split(';') {
            let (name, v) = pair.trim().split_once('=').unwrap_or((pair.trim(), ""));
            match name {
                "fx_session" => return None,
                "fx_theme" => theme = v,
                _ => {}
            }
        }
    }
    Some(format!("{theme}|{}", req.uri()))
}

/// The nonce in a CSP header value: `'nonce-XYZ'`.
fn csp_nonce(headers: &HeaderMap) -> Option<Arc<str>> {
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    Some(Arc::from(&csp[start..start + len]))
}

fn fresh_nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A response from a cached page, with its own nonce.
fn serve(page: &Page) -> Response {
    let mut headers = page.headers.clone();
    let body = match &page.nonce {
        Some(old) => {
            let new = fresh_nonce();
            if let Some(csp) = headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| HeaderValue::from_str(&v.replace(&**old, &new)).ok())
            {
                headers.insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            // The body is UTF-8: it was checked when it was cached.
            Bytes::from(String::from_utf8_lossy(&page.body).replace(&**old, &new))
        }
        // No nonce (site pages): the same bytes for everyone, shared, not copied.
        None => page.body.clone(),
    };
    let mut res = (StatusCode::OK, body).into_response();
    *res.headers_mut() = headers;
    res
}

/// For pages that load no scripts of their own (the site's, whose CSP has no nonce): drops what
/// Leptos appends after `</html>` for hydration (the serialised resources, an inline script that
/// nothing reads there and the CSP would refuse). Other answers pass untouched.
pub async fn without_hydration_data(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let static_page = res.status() == StatusCode::OK
        && is_html(res.headers())
        && res
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|csp| !csp.contains("'nonce-"));
    if !static_page {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PAGE_BYTES).await else {
        tracing::warn!("a page could not be buffered");
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let end = memchr_last(&bytes, b"</html>").map_or(bytes.len(), |i| i + "</html>".len());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes.slice(..end)))
}

fn memchr_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The middleware.
pub async fn layer(State(cache): State<PageCache>, req: Request, next: Next) -> Response {
    let (Some(store), Some(key)) = (&cache.store, key(&req)) else {
        return next.run(req).await;
    };
    let generation = cache.site.generation();
    if let Some(page) = store.get(&key).filter(|p| p.generation == generation) {
        metrics::counter!("page_cache_total", "result" => "hit").increment(1);
        return serve(&page);
    }
    metrics::counter!("page_cache_total", "result" => "miss").increment(1);
    let res = next.run(req).await;
    let cacheable = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && is_html(res.headers());
    if !cacheable {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PAGE_BYTES).await else {
        tracing::warn!("a page could not be buffered for the cache");
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if std::str::from_utf8(&bytes).is_err() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let page = Page {
        generation,
        nonce: csp_nonce(&parts.headers),
        headers: parts.headers.clone(),
        body: bytes.clone(),
    };
    store.insert(key, page);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str, cookie: Option<&str>) -> Request {
        let mut b = axum::http::Request::builder().uri(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_anonymous_page_views_are_cached() {
        assert_eq!(key(&req("/", None)).as_deref(), Some("|/"));
        assert_eq!(
            key(&req("/signin?next=/admin", Some("fx_theme=dark"))).as_deref(),
            Some("dark|/signin?next=/admin")
        );
        assert_eq!(key(&req("/", Some("fx_theme=dark; fx_session=abc"))), None);
        assert_eq!(key(&req("/api/me", None)), None);
        assert_eq!(key(&req("/pkg/fluxorae.js", None)), None);
        assert_eq!(key(&req("/readyz", None)), None);
        let post = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/")
            .body(Body::empty())
            .unwrap();
        assert_eq!(key(&post), None);
    }

    #[test]
    fn each_served_copy_gets_its_own_nonce() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'nonce-OLDNONCE' 'wasm-unsafe-eval'"),
        );
        let nonce = csp_nonce(&headers);
        assert_eq!(nonce.as_deref(), Some("OLDNONCE"));
        let page = Page {
            generation: 1,
            headers,
            body: Bytes::from_static(br#"<script nonce="OLDNONCE">x</script>"#),
            nonce,
        };
        let a = serve(&page);
        let csp = a.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!csp.contains("OLDNONCE"));
        let new = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(new.len() >= 22);
        let b = serve(&page);
        assert_ne!(
            b.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap(),
            csp
        );
    }
}
