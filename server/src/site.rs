//! The marketing site's plain HTTP endpoints: lead forms posted without JavaScript, the page
//! script's conversion events, `sitemap.xml`, `robots.txt`; and the background work: scheduled
//! publishing and hearing other instances' content changes.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::server::site::leads::{self, ClientEvent, Submission};
use domain::server::site::{editor, public};
use domain::server::{RequestMeta, Services};
use futures::StreamExt;

use crate::api_v1::ApiError;
use crate::work::attempt;

/// `POST /forms/lead`: stores the lead and goes back to the page with its thank-you, or keeps
/// what was typed and goes back to the form with a message at each field.
pub async fn lead(
    State(svc): State<Services>,
    meta: Option<Extension<RequestMeta>>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let meta = meta.map(|m| m.0).unwrap_or_default();
    let mut values = BTreeMap::new();
    for (k, v) in fields {
        values.entry(k).or_insert(v);
    }
    let answer = match leads::submit(&svc, values, &meta).await? {
        Submission::Stored {
            form, source_page, ..
        }
        | Submission::Spam { form, source_page } => {
            format!(
                "{source_page}?sent={}#lead-{}",
                form.as_str(),
                form.as_str()
            )
        }
        Submission::Refused { source_page, echo } => {
            let form = echo
                .values
                .get("form")
                .cloned()
                .filter(|f| domain::site::lead::LeadForm::parse(f).is_some())
                .unwrap_or_else(|| "contact".into());
            let id = leads::keep_echo(&svc, &echo).await?;
            format!("{source_page}?form={id}#lead-{form}")
        }
    };
    Ok(Redirect::to(&answer).into_response())
}

/// Largest events report accepted.
const EVENTS_LIMIT: usize = 16 * 1024;

/// `POST /site/events`: page views and CTA clicks from `/site.js` (JSON array).
pub async fn events(
    State(svc): State<Services>,
    meta: Option<Extension<RequestMeta>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if body.len() > EVENTS_LIMIT {
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, "Too many events at once.").into_response());
    }
    let events: Vec<ClientEvent> = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(_) => {
            return Ok((StatusCode::BAD_REQUEST, "Send a JSON array of events.").into_response())
        }
    };
    leads::record_events(&svc, &events, &meta.map(|m| m.0).unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /sitemap.xml`.
pub async fn sitemap(State(svc): State<Services>) -> Result<Response, ApiError> {
    let xml = public::sitemap(&svc).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        xml,
    )
        .into_response())
}

/// `GET /robots.txt`.
pub async fn robots(State(svc): State<Services>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        public::robots(&svc.settings.base_url),
    )
        .into_response()
}

/// Publishes scheduled pages when they are due, checking every `every`; a check that fails or
/// stalls ([`attempt`]) is made again at the next tick.
pub fn start_scheduler(svc: Services, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = time::OffsetDateTime::now_utc();
            let published = attempt("scheduled publishing", editor::publish_due(&svc, now)).await;
            if let Some(paths) = published.filter(|p| !p.is_empty()) {
                tracing::info!(?paths, "scheduled pages published");
            }
        }
    });
}

/// Drops this instance's cached pages whenever another instance says content changed.
pub fn listen_for_changes(svc: Services, redis_url: String) {
    let channel = domain::server::events::site_channel(&svc.settings.redis_prefix);
    tokio::spawn(async move {
        let client = match redis::Client::open(redis_url.as_str()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "site events: bad REDIS_URL; cached pages expire on their own");
                return;
            }
        };
        loop {
            let heard: Result<(), redis::RedisError> = async {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(&channel).await?;
                // Anything may have changed while we were not listening.
                svc.site.invalidate();
                let mut messages = pubsub.on_message();
                while messages.next().await.is_some() {
                    svc.site.invalidate();
                }
                Ok(())
            }
            .await;
            if let Err(e) = heard {
                tracing::warn!(error = %e, "site events: subscription lost; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// `GET /media/{key}`: an image from the media library. Keys name their content, so a served
/// file never changes and is cached for a year.
pub async fn media(
    State(svc): State<Services>,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    match domain::server::site::media::fetch(&svc, &key).await? {
        None => Ok((StatusCode::NOT_FOUND, "No such image.").into_response()),
        Some((format, bytes)) => Ok((
            [
                (header::CONTENT_TYPE, format.content_type()),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::CONTENT_DISPOSITION, "inline"),
            ],
            bytes,
        )
            .into_response()),
    }
}
