//! Meta's webhooks: `GET` and `POST /webhooks/{whatsapp,messenger,instagram}`, one URL per kind
//! for every tenant, and the worker that reads the stored events.
//!
//! A POST's `X-Hub-Signature-256` is checked against the raw body before anything reads it: a
//! missing, malformed or wrong signature gets 401 and nothing is written. A genuine body is
//! stored durably, then answered 200 (so Meta stops retrying), and the worker is woken; the
//! worker also runs every two seconds, so events stored by an instance that stopped before
//! processing them are picked up by any other.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::leads::ChannelKind;
use domain::server::channels::{intake, meta_signature};
use domain::server::leads::{leakage, reengage, replies, routing, scoring};
use domain::server::Services;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Notify;

use crate::api_v1::ApiError;
use crate::work::attempt;

/// What the webhook endpoints need.
#[derive(Clone)]
pub struct MetaWebhooks {
    /// `META_APP_SECRET`.
    pub app_secret: Option<String>,
    /// `META_VERIFY_TOKEN`.
    pub verify_token: Option<String>,
    /// Stores the bodies, many to a transaction, and wakes the intake worker.
    pub store: intake::Store,
}

fn kind_of(path: &str) -> Option<ChannelKind> {
    ChannelKind::parse(path).filter(|k| *k != ChannelKind::Email)
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// The handshake's query (`hub.mode`, `hub.verify_token`, `hub.challenge`).
#[derive(Debug, Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// `GET /webhooks/{kind}`: Meta's subscription handshake. Echoes the challenge when the mode is
/// `subscribe` and the token matches; 403 otherwise.
pub async fn handshake(
    State(hooks): State<MetaWebhooks>,
    Path(kind): Path<String>,
    Query(q): Query<Handshake>,
) -> Response {
    if kind_of(&kind).is_none() {
        return refuse(StatusCode::NOT_FOUND, "no such webhook");
    }
    let Some(token) = hooks.verify_token.as_deref() else {
        tracing::warn!("a Meta handshake arrived but META_VERIFY_TOKEN is not set");
        return refuse(StatusCode::FORBIDDEN, "webhooks are not configured");
    };
    match meta_signature::handshake(
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        q.challenge.as_deref(),
        token,
    ) {
        Some(challenge) => (StatusCode::OK, challenge.to_owned()).into_response(),
        None => refuse(StatusCode::FORBIDDEN, "the verify token does not match"),
    }
}

/// `POST /webhooks/{kind}`: verified, stored, answered; processed by the worker.
pub async fn receive(
    State(hooks): State<MetaWebhooks>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(kind) = kind_of(&kind) else {
        return Ok(refuse(StatusCode::NOT_FOUND, "no such webhook"));
    };
    let Some(secret) = hooks.app_secret.as_deref() else {
        tracing::warn!("a Meta webhook arrived but META_APP_SECRET is not set");
        return Ok(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhooks are not configured",
        ));
    };
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = meta_signature::verify(header, &body, secret) {
        tracing::warn!(error = %e, kind = kind.as_str(), "a Meta webhook with a bad signature was refused");
        return Ok(refuse(StatusCode::UNAUTHORIZED, &e.to_string()));
    }
    let received = hooks.store.receive(kind, body.to_vec()).await?;
    let received = match received {
        intake::Received::Stored(_) => "stored",
        intake::Received::Duplicate => "duplicate",
    };
    Ok((StatusCode::OK, Json(json!({ "received": received }))).into_response())
}

/// What `POST /webhooks/email` needs.
#[derive(Clone)]
pub struct EmailWebhook {
    /// `EMAIL_INBOUND_SECRET`.
    pub secret: Option<String>,
    /// The same store as Meta's bodies.
    pub store: intake::Store,
}

/// The header a received email's signature comes in: `sha256=` and the hex HMAC-SHA256 of the
/// raw message with `EMAIL_INBOUND_SECRET`.
pub const EMAIL_SIGNATURE_HEADER: &str = "x-signature-256";

/// The largest email taken (attachments included).
pub const EMAIL_MAX_BYTES: usize = 25 * 1024 * 1024;

/// `POST /webhooks/email`: a received email as its raw RFC 5322 text (from the team's mail
/// server, or an inbound-mail service set to post the raw message), signed like Meta's
/// webhooks. Verified, stored, answered; read by the same worker, which routes it to the
/// channel of the address it came to.
pub async fn receive_email(
    State(hook): State<EmailWebhook>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(secret) = hook.secret.as_deref() else {
        tracing::warn!("an email arrived but EMAIL_INBOUND_SECRET is not set");
        return Ok(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "inbound email is not configured",
        ));
    };
    let header = headers
        .get(EMAIL_SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = meta_signature::verify(header, &body, secret) {
        let said = match e {
            meta_signature::SignatureError::Missing => "the X-Signature-256 header is missing",
            meta_signature::SignatureError::Malformed => "the X-Signature-256 header is malformed",
            meta_signature::SignatureError::Mismatch => "the signature does not match",
        };
        tracing::warn!(
            error = said,
            "an inbound email with a bad signature was refused"
        );
        return Ok(refuse(StatusCode::UNAUTHORIZED, said));
    }
    if body.is_empty() {
        return Ok(refuse(StatusCode::BAD_REQUEST, "the email is empty"));
    }
    let received = match hook
        .store
        .receive(ChannelKind::Email, body.to_vec())
        .await?
    {
        intake::Received::Stored(_) => "stored",
        intake::Received::Duplicate => "duplicate",
    };
    Ok((StatusCode::OK, Json(json!({ "received": received }))).into_response())
}

/// Reads queued lead imports to their end, one at a time, checking every `every`; several
/// instances share the queue (each import is claimed by one).
pub fn start_import_worker(svc: Services, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                match domain::server::leads::import::run_pending(&svc).await {
                    Ok(ran) if ran.imports > 0 => {
                        tracing::info!(rows = ran.rows, "a lead import was read to its end");
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "a lead import stopped; it resumes where it was");
                        break;
                    }
                }
            }
        }
    });
}

/// Runs `step` when woken and every `every`, again and again while it finds work (it returns
/// how much it did); a failure, or a step that stalls ([`attempt`]), is logged and tried again
/// at the next tick. `what` names the work in the log.
fn keep_running<F, Fut>(what: &'static str, wake: Arc<Notify>, every: Duration, mut step: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<usize, domain::AppError>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = wake.notified() => {}
            }
            loop {
                match attempt(what, step()).await {
                    Some(0) | None => break,
                    Some(n) => tracing::debug!(n, what, "worker step"),
                }
            }
        }
    });
}

/// The channel workers, each its own task so none holds the others back: the intake processes
/// stored events in batches (woken by every stored batch, and every `every`) and wakes the
/// scoring, and a sweep every `every` processes the events it left behind; the scoring scores
/// the leads who wrote and routes them, giving way to the intake while it is busy
/// ([`scoring::Pace`]), and sweeps the routing every 15 times `every` (nurture over, waiting
/// leads, missed SLAs); the sender delivers queued replies every `every`; the AI re-engagement
/// queues a batch every `every`; contacts' media is fetched every `every`; the site's leads are
/// forwarded to the chosen team every `every`; the leakage scan runs every minute.
pub fn start_worker(svc: Services, wake: Arc<Notify>, every: Duration) {
    let score = Arc::new(Notify::new());
    // The intake comes first: while it has events to process, scoring gives way.
    let pace = scoring::Pace::default();
    {
        // Each claim starts after the last event claimed; once every `every`, a sweep of its
        // own takes the events left behind below that mark (`intake::SweepFloor`).
        let after = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let floor = Arc::new(std::sync::Mutex::new(intake::SweepFloor::default()));
        let failed = {
            let floor = floor.clone();
            move || {
                if let Ok(mut f) = floor.lock() {
                    f.failed();
                }
            }
        };
        {
            let (svc, score, pace, after, failed) = (
                svc.clone(),
                score.clone(),
                pace.clone(),
                after.clone(),
                failed.clone(),
            );
            keep_running("webhook events processed", wake, every, move || {
                let (svc, score, after, pace, failed) = (
                    svc.clone(),
                    score.clone(),
                    after.clone(),
                    pace.clone(),
                    failed.clone(),
                );
                async move {
                    let from = after.load(Ordering::Relaxed);
                    let done = intake::process_pending_after(&svc, from, 500)
                        .await
                        .inspect_err(|_| failed())?;
                    if let Some(last) = done.last {
                        after.fetch_max(last, Ordering::Relaxed);
                    }
                    if done.events > 0 {
                        pace.intake_worked(std::time::Instant::now());
                    }
                    if done.messages > 0 {
                        score.notify_one();
                    }
                    Ok(done.events)
                }
            });
        }
        let (svc, score) = (svc.clone(), score.clone());
        keep_running(
            "webhook events swept",
            Arc::new(Notify::new()),
            every,
            move || {
                let (svc, score, after, floor, failed) = (
                    svc.clone(),
                    score.clone(),
                    after.clone(),
                    floor.clone(),
                    failed.clone(),
                );
                async move {
                    let upto = after.load(Ordering::Relaxed);
                    let Some(mut from) = floor.lock().ok().map(|mut f| f.start(upto)) else {
                        return Ok(0);
                    };
                    let (mut events, mut messages) = (0, 0);
                    loop {
                        let done = intake::process_pending_between(&svc, from, upto, 500)
                            .await
                            .inspect_err(|_| failed())?;
                        events += done.events;
                        messages += done.messages;
                        match done.last {
                            Some(last) => from = last,
                            None => break,
                        }
                    }
                    if messages > 0 {
                        score.notify_one();
                    }
                    if events > 0 {
                        tracing::debug!(events, "webhook events left behind, processed");
                    }
                    // One sweep a period.
                    Ok(0)
                }
            },
        );
    }
    {
        // Media contacts sent, fetched for the inbox once their channel has a token.
        let svc = svc.clone();
        keep_running("media fetched", Arc::new(Notify::new()), every, move || {
            let svc = svc.clone();
            async move {
                let done = domain::server::channels::media::fetch_pending(&svc, 10).await?;
                Ok(done.fetched + done.failed)
            }
        });
    }
    {
        // Leads from the site's forms, into the inbox of the team the admins chose.
        let svc = svc.clone();
        keep_running(
            "site leads forwarded",
            Arc::new(Notify::new()),
            every,
            move || {
                let svc = svc.clone();
                async move {
                    let done = domain::server::site::intake::forward_pending(&svc, 20).await?;
                    Ok(done.forwarded)
                }
            },
        );
    }
    {
        let svc = svc.clone();
        let mut swept_at = std::time::Instant::now();
        keep_running("leads scored", score, every, move || {
            let (svc, pace) = (svc.clone(), pace.clone());
            let sweep = swept_at.elapsed() >= every * 15;
            if sweep {
                swept_at = std::time::Instant::now();
            }
            async move {
                if sweep {
                    let swept = routing::sweep(&svc, 200).await?;
                    tracing::debug!(?swept, "lead routing swept");
                }
                Ok(scoring::score_pending_paced(&svc, 50, &pace).await?.scored)
            }
        });
    }
    {
        // Leaks: once a minute (the first at start), whatever else is going on.
        let svc = svc.clone();
        keep_running(
            "leaks scanned",
            Arc::new(Notify::new()),
            Duration::from_secs(domain::leads::leakage::SCAN_SECONDS),
            move || {
                let svc = svc.clone();
                async move {
                    let done = leakage::scan(&svc).await?;
                    if done != Default::default() {
                        tracing::debug!(?done, "leaks scanned");
                    }
                    // One pass a tick.
                    Ok(0)
                }
            },
        );
    }
    {
        // The AI re-engagement of COLD leads is background work: one batch every `every` (never
        // a drain loop that would compete with the intake), and none while the intake is behind.
        let svc = svc.clone();
        keep_running(
            "leads re-engaged",
            Arc::new(Notify::new()),
            every,
            move || {
                let svc = svc.clone();
                async move {
                    let behind = domain::server::leads::backpressure::intake(&svc).await?;
                    if domain::leads::backpressure::level(behind).defers_background() {
                        return Ok(0);
                    }
                    let done = reengage::run(&svc, 20).await?;
                    tracing::debug!(?done, "leads re-engaged");
                    // One batch a tick.
                    Ok(0)
                }
            },
        );
    }
    keep_running(
        "replies delivered",
        Arc::new(Notify::new()),
        every,
        move || {
            let svc = svc.clone();
            async move {
                let done = replies::deliver(&svc, 50).await?;
                Ok(done.sent + done.failed + done.retried)
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::work::STEP_LIMIT;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(start_paused = true)]
    async fn a_worker_step_that_never_finishes_is_dropped_and_the_work_goes_on() {
        let calls = Arc::new(AtomicUsize::new(0));
        let ran_again = Arc::new(Notify::new());
        let (c, again) = (calls.clone(), ran_again.clone());
        keep_running(
            "test",
            Arc::new(Notify::new()),
            Duration::from_secs(2),
            move || {
                let first = c.fetch_add(1, Ordering::SeqCst) == 0;
                let again = again.clone();
                async move {
                    if first {
                        // An answer that never comes.
                        std::future::pending::<()>().await;
                    }
                    again.notify_one();
                    Ok(0)
                }
            },
        );
        let started = tokio::time::Instant::now();
        tokio::time::timeout(STEP_LIMIT * 2, ran_again.notified())
            .await
            .expect("the work went on after the stalled step");
        assert!(
            started.elapsed() >= STEP_LIMIT,
            "the stalled step had its full time"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
