//! `GET /ws/projects/{id}`: a workspace's live connection. It carries every project event
//! heard on any instance (milestone steps, chat messages and edits, read marks, typing,
//! presence) to the people who may see the project, and takes their typing signals. Presence
//! is a heartbeat every 20 s into a Redis sorted set, announced when someone comes or goes.
//!
//! Events are routed on arrival: each open project has a channel of its own on this instance,
//! so an event wakes only the sockets of its project, and the text published is relayed as it
//! is (read once, never written again per socket).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
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
use crate::events::{self, stopped, ShuttingDown};

/// The socket endpoint's state.
pub type SocketState = (Services, ProjectHub);

/// An event as a workspace socket sends it.
struct Routed {
    /// The event exactly as it was published.
    text: Utf8Bytes,
    /// Who is typing, for a typing event (they need not hear it themselves).
    typist: Option<String>,
}

type Routes = HashMap<uuid::Uuid, broadcast::Sender<Arc<Routed>>>;

/// The project events this instance hears, routed to the sockets of each project; cheap to
/// clone.
#[derive(Clone, Default)]
pub struct ProjectHub {
    routes: Arc<Mutex<Routes>>,
}

impl ProjectHub {
    /// Listens on `channel` of the Redis at `redis_url`, in a task of its own.
    pub fn start(redis_url: &str, channel: String) -> Self {
        let hub = Self::default();
        let router = hub.clone();
        events::listen(redis_url, channel, move |channel, payload| {
            router.route(channel, payload);
        });
        hub
    }

    fn routes(&self) -> MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn route(&self, channel: &str, payload: &str) {
        let ev: ProjectEvent = match serde_json::from_str(payload) {
            Ok(ev) => ev,
            Err(_) => {
                tracing::warn!(payload, channel, "events: unreadable project event");
                return;
            }
        };
        let routes = self.routes();
        // Nobody here has the project open.
        let Some(tx) = routes.get(&ev.project) else {
            return;
        };
        let typist = (ev.kind == "typing")
            .then(|| {
                ev.data
                    .get("user")
                    .and_then(|u| u.as_str())
                    .map(str::to_owned)
            })
            .flatten();
        drop(tx.send(Arc::new(Routed {
            text: payload.to_owned().into(),
            typist,
        })));
    }

    fn subscribe(&self, project: uuid::Uuid) -> Subscription {
        let rx = self
            .routes()
            .entry(project)
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            project,
            rx: Some(rx),
        }
    }

    /// How many projects this instance routes to now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.routes().len()
    }
}

/// One socket's receiver of its project's events; the project's route goes when its last
/// socket does.
struct Subscription {
    hub: ProjectHub,
    project: uuid::Uuid,
    rx: Option<broadcast::Receiver<Arc<Routed>>>,
}

impl Subscription {
    async fn recv(&mut self) -> Result<Arc<Routed>, broadcast::error::RecvError> {
        match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.rx.take());
        let mut routes = self.hub.routes();
        if routes
            .get(&self.project)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            routes.remove(&self.project);
        }
    }
}

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
    hub: ProjectHub,
    user: SessionUser,
    project: uuid::Uuid,
    shutting_down: Option<axum::Extension<ShuttingDown>>,
) {
    let (mut out, mut incoming) = socket.split();
    let mut events = hub.subscribe(project);
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
                Ok(ev) => {
                    // Nobody needs to hear that they themselves are typing.
                    if ev.typist.as_deref() == Some(me.as_str()) {
                        continue;
                    }
                    if out.send(Message::Text(ev.text.clone())).await.is_err() {
                        break;
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(project: uuid::Uuid, kind: &str, data: serde_json::Value) -> String {
        serde_json::json!({ "project": project, "kind": kind, "data": data }).to_string()
    }

    #[tokio::test]
    async fn an_event_reaches_only_its_projects_sockets_as_published() {
        let hub = ProjectHub::default();
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let mut at_a = hub.subscribe(a);
        let mut at_b = hub.subscribe(b);
        let published = event(a, "message", serde_json::json!({ "body": "hello" }));
        hub.route("test", &published);
        let got = at_a.recv().await.expect("delivered");
        assert_eq!(got.text.as_str(), published);
        assert_eq!(got.typist, None);
        assert!(
            at_b.rx.as_mut().expect("open").try_recv().is_err(),
            "b heard a's event"
        );
    }

    #[tokio::test]
    async fn a_typing_event_names_the_typist() {
        let hub = ProjectHub::default();
        let p = uuid::Uuid::now_v7();
        let mut s = hub.subscribe(p);
        hub.route(
            "test",
            &event(
                p,
                "typing",
                serde_json::json!({ "user": "u1", "name": "Ann" }),
            ),
        );
        assert_eq!(
            s.recv().await.expect("delivered").typist.as_deref(),
            Some("u1")
        );
    }

    #[test]
    fn a_project_is_routed_while_any_socket_has_it_open() {
        let hub = ProjectHub::default();
        let p = uuid::Uuid::now_v7();
        let first = hub.subscribe(p);
        let second = hub.subscribe(p);
        assert_eq!(hub.open(), 1);
        drop(first);
        assert_eq!(hub.open(), 1, "the other socket still has it open");
        drop(second);
        assert_eq!(hub.open(), 0);
        // Unreadable or unrouted events are ignored.
        hub.route("test", "not json");
        hub.route("test", &event(p, "message", serde_json::Value::Null));
        assert_eq!(hub.open(), 0);
    }
}
