//! `POST /webhooks/stripe`, and the scheduler of the milestone flow (auto-approve, reminders,
//! deferred webhook events).
//!
//! The webhook's signature is checked on the raw body before it is parsed; a request without a
//! valid signature gets 400 and changes nothing, and a stored event answers 200 at once (so
//! Stripe stops retrying) even when it only says "seen before".

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::server::payments::{stripe_signature, webhook};
use domain::server::projects::{automation, flow, refunds};
use domain::server::Services;
use serde_json::json;

use crate::api_v1::ApiError;
use crate::work::attempt;

/// The webhook endpoint's state: the services and the signing secret.
pub type WebhookState = (Services, Option<String>);

/// `POST /webhooks/stripe`.
pub async fn stripe_webhook(
    State((svc, secret)): State<WebhookState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(secret) = secret else {
        tracing::warn!("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set");
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "webhooks are not configured" })),
        )
            .into_response());
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Err(e) = stripe_signature::verify(header, &body, &secret, now) {
        tracing::warn!(error = %e, "a Stripe webhook with a bad signature was refused");
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response());
    }
    let received = webhook::receive(&svc, &body).await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "received": format!("{received:?}").to_lowercase() })),
    )
        .into_response())
}

/// Runs the milestone flow's timed work every `every`: approvals whose window passed, reminders
/// before that, webhook events that arrived before their payment, refunds the provider has not
/// taken yet, and the automation rules. Each stands alone: one that fails or stalls
/// ([`attempt`]) is logged and made again at the next tick, and the others still run.
pub fn start_scheduler(svc: Services, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let approved = attempt("auto-approve", flow::auto_approve_due(&svc)).await;
            if let Some(n) = approved.filter(|&n| n > 0) {
                tracing::info!(n, "milestones approved automatically");
            }
            attempt("approval reminders", flow::remind_due(&svc)).await;
            attempt("deferred webhook events", webhook::retry_deferred(&svc)).await;
            let refunded = attempt("refund retries", refunds::retry_due(&svc)).await;
            if let Some(n) = refunded.filter(|&n| n > 0) {
                tracing::info!(n, "refunds paid on a later attempt");
            }
            let alerts = attempt("automation rules", automation::run(&svc)).await;
            if let Some(found) = alerts.filter(|f| f.total() > 0) {
                tracing::info!(?found, "automation rules raised alerts");
            }
        }
    });
}
