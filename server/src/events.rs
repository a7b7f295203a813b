//! This instance's end of Redis pub/sub, and the event stream pages listen to.
//!
//! One subscription per process on `{prefix}:user-events` (reconnecting with a pause when Redis
//! goes away) feeds a broadcast channel; `GET /events` is a server-sent event stream for the
//! signed-in person that says `session` whenever something about their account changed on any
//! instance, so their open pages reload who is signed in.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use domain::server::events::UserEvent;
use domain::server::Services;
use domain::AppError;
use futures::StreamExt;
use tokio::sync::broadcast;
use tower_sessions::Session;

use crate::api_v1::ApiError;

/// The events of one kind this instance hears on a Redis channel (user events, project
/// events); cheap to clone.
pub struct Hub<T = UserEvent> {
    tx: broadcast::Sender<T>,
}

impl<T> Clone for Hub<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Clone + Send + serde::de::DeserializeOwned + 'static> Hub<T> {
    /// Subscribes to `channel` on the Redis at `redis_url`, in a task of its own.
    pub fn start(redis_url: &str, channel: String) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let hub = Self { tx: tx.clone() };
        listen(redis_url, channel, move |channel, payload| {
            match serde_json::from_str::<T>(payload) {
                // No listener on this instance is fine.
                Ok(ev) => drop(tx.send(ev)),
                Err(_) => tracing::warn!(payload, channel, "events: unreadable message"),
            }
        });
        hub
    }

    /// A receiver of every event heard from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<T> {
        self.tx.subscribe()
    }
}

/// Hands every message on `channel` to `heard`, in a task of its own that resubscribes (after
/// a pause) whenever Redis goes away.
pub fn listen(
    redis_url: &str,
    channel: String,
    mut heard: impl FnMut(&str, &str) + Send + 'static,
) {
    let client = match redis::Client::open(redis_url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, channel, "events: bad REDIS_URL; pages will not hear changes");
            return;
        }
    };
    tokio::spawn(async move {
        loop {
            if let Err(e) = subscribed(&client, &channel, &mut heard).await {
                tracing::warn!(error = %e, channel, "events: subscription lost; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn subscribed(
    client: &redis::Client,
    channel: &str,
    heard: &mut impl FnMut(&str, &str),
) -> Result<(), redis::RedisError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    tracing::debug!(channel, "events: subscribed");
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let payload: String = msg.get_payload()?;
        heard(channel, &payload);
    }
    Ok(())
}

/// Says when the server has begun to shut down, so that endless streams end and the graceful
/// shutdown can finish. Put into every request by [`crate::serve`].
#[derive(Clone)]
pub struct ShuttingDown(pub tokio::sync::watch::Receiver<bool>);

/// `GET /events`: `event: session` whenever the signed-in person's account changes.
pub async fn stream(
    State((svc, hub)): State<(Services, Hub)>,
    shutting_down: Option<axum::Extension<ShuttingDown>>,
    session: Session,
) -> Result<Response, ApiError> {
    let user = app::ssr::user_of(&session, &svc)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let rx = hub.subscribe();
    let events = futures::stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if ev.user == user.id => {
                    let kind = serde_json::to_value(ev.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let event = Event::default().event("session").data(kind);
                    return Some((Ok::<_, Infallible>(event), rx));
                }
                Ok(_) => continue,
                // Fell behind: say so, and the page reloads anyway.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some((Ok(Event::default().event("session").data("lagged")), rx));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(events.take_until(stopped(shutting_down)))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// Resolves when the server begins to shut down (never without the extension).
pub async fn stopped(shutting_down: Option<axum::Extension<ShuttingDown>>) {
    match shutting_down {
        Some(axum::Extension(ShuttingDown(mut rx))) => {
            let _ = rx.wait_for(|down| *down).await;
        }
        None => std::future::pending().await,
    }
}
