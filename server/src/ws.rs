//! `GET /ws/projects/{id}`: a workspace's live connection. It carries every project event
//! heard on any instance (milestone steps, chat messages and edits, read marks, typing,
//! presence) to the people who may see the project, and takes their typing signals. Presence
//! is a heartbeat every 20 s into a Redis sorted set, announced when someone comes or goes.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::server::projects::{self, chat, ProjectEvent};
use domain::server::Services;
use domain::user::SessionUser;
use domain::AppError;
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use tower_sessions::Session;

use crate::api_v1::ApiError;
use crate::events::{stopped, Hub, ShuttingDown};

/// The socket endpoint's state.
pub type SocketState = (Services, Hub<ProjectEvent>);

/// Upgrades to a WebSocket for someone who may see the project; anyone else gets 401 or 404.
pub async fn project_socket(
    State((svc, hub)): State<SocketState>,
    Path(project): Path<uuid::Uuid>,
    shutting_down: Option<axum::Extension<ShuttingDown>>,
    session: Session,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = app::ssr::user_of(&session, &svc)
        .await?
        .ok_or(AppError::Unauthorized)?;
    projects::access(&svc.db, &user, project).await?;
    Ok(upgrade
        .on_upgrade(move |socket| run(socket, svc, hub, user, project, shutting_down))
        .into_response())
}

async fn run(
    socket: WebSocket,
    svc: Services,
    hub: Hub<ProjectEvent>,
    user: SessionUser,
    project: uuid::Uuid,
    shutting_down: Option<axum::Extension<ShuttingDown>>,
) {
    let (mut out, mut incoming) = socket.split();
    let mut events = hub.subscribe();
    if let Ok(present) = chat::heartbeat(&svc, &user, project).await {
        chat::announce(&svc, project, &present).await;
    }
    let mut beat = tokio::time::interval(Duration::from_secs(20));
    beat.tick().await;
    let stop = stopped(shutting_down);
    tokio::pin!(stop);
    let me = user.id.0.to_string();
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) if ev.project == project => {
                    // Nobody needs to hear that they themselves are typing.
                    if ev.kind == "typing" && ev.data.get("user").and_then(|u| u.as_str()) == Some(me.as_str()) {
                        continue;
                    }
                    let Ok(text) = serde_json::to_string(&ev) else { continue };
                    if out.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let lagged = format!(r#"{{"project":"{project}","kind":"lagged","data":null}}"#);
                    if out.send(Message::Text(lagged.into())).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            msg = incoming.next() => match msg {
                Some(Ok(Message::Text(t))) if t.as_str() == "typing" => chat::typing(&svc, &user, project).await,
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = beat.tick() => {
                if let Err(e) = chat::heartbeat(&svc, &user, project).await {
                    tracing::warn!(error = %e, "presence heartbeat failed");
                }
            }
            () = &mut stop => break,
        }
    }
    chat::left(&svc, &user, project).await;
}
