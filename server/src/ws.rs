//! `GET /ws/projects/{id}`: a workspace's live connection; `GET /ws/teams/{slug}/inbox`: a
//! team's inbox (see [`inbox_socket`]).
//!
//! The workspace socket carries every project event heard on any instance (milestone steps,
//! chat messages and edits, read marks, typing, presence) to the people who may see the
//! project, and takes their typing signals. Presence is a heartbeat every 20 s into a Redis
//! sorted set, announced when someone comes or goes.
//!
//! Events are routed on arrival ([`RoomHub`]): each open project (or team inbox) has a channel
//! of its own on this instance, so an event wakes only the sockets of its room, and the text
//! published is relayed as it is (read once, never written again per socket).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::permissions::{Access, Resource};
use domain::server::channels::intake::InboxNotice;
use domain::server::projects::{self, chat, ProjectEvent};
use domain::server::{guard, Services};
use domain::user::SessionUser;
use domain::AppError;
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use tower_sessions::Session;

use crate::api_v1::ApiError;
use crate::events::{self, stopped, ShuttingDown};

/// The socket endpoint's state.
pub type SocketState = (Services, ProjectHub);

/// How much a socket reads from its connection at once. Browsers send these sockets little
/// (a typing notice, a close), and tungstenite zero-fills its whole read buffer on every read
/// poll, which every event sent makes: with its 128 KiB default, zeroing memory took 8 % of the
/// machine's CPU in the server alone in the fan-out benchmark (10,000 open inboxes, `perf`), and
/// the buffers held 1.2 GB of the server's 1.4 GB. Larger frames still arrive whole, over
/// several reads.
const READ_BUFFER: usize = 4 * 1024;

/// An event as a workspace socket sends it.
struct Routed {
    /// The event exactly as it was published.
    text: Utf8Bytes,
    /// Who is typing, for a typing event (they need not hear it themselves).
    typist: Option<String>,
}

type Routes = HashMap<uuid::Uuid, broadcast::Sender<Arc<Routed>>>;

/// Reads a published event: the room it belongs to (a project, a tenant's inbox) and, for a
/// typing event, who is typing.
pub type Parse = fn(&str) -> Option<(uuid::Uuid, Option<String>)>;

/// The events of one Redis channel this instance hears, routed to the sockets of each room;
/// cheap to clone.
#[derive(Clone)]
pub struct RoomHub {
    routes: Arc<Mutex<Routes>>,
    parse: Parse,
}

/// The hub of project workspaces.
pub type ProjectHub = RoomHub;

/// A project event's project, and its typist.
pub fn project_room(payload: &str) -> Option<(uuid::Uuid, Option<String>)> {
    let ev: ProjectEvent = serde_json::from_str(payload).ok()?;
    let typist = (ev.kind == "typing")
        .then(|| {
            ev.data
                .get("user")
                .and_then(|u| u.as_str())
                .map(str::to_owned)
        })
        .flatten();
    Some((ev.project, typist))
}

/// An inbox event's tenant.
pub fn inbox_room(payload: &str) -> Option<(uuid::Uuid, Option<String>)> {
    let notice: InboxNotice = serde_json::from_str(payload).ok()?;
    Some((notice.tenant, None))
}

impl RoomHub {
    /// A hub that routes by `parse`, hearing nothing yet.
    pub fn new(parse: Parse) -> Self {
        Self {
            routes: Arc::default(),
            parse,
        }
    }

    /// Listens on `channel` of the Redis at `redis_url`, in a task of its own.
    pub fn start(redis_url: &str, channel: String, parse: Parse) -> Self {
        let hub = Self::new(parse);
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
        let Some((room, typist)) = (self.parse)(payload) else {
            tracing::warn!(payload, channel, "events: unreadable event");
            return;
        };
        let routes = self.routes();
        // Nobody here has the room open.
        let Some(tx) = routes.get(&room) else {
            return;
        };
        drop(tx.send(Arc::new(Routed {
            text: payload.to_owned().into(),
            typist,
        })));
    }

    fn subscribe(&self, room: uuid::Uuid) -> Subscription {
        let rx = self
            .routes()
            .entry(room)
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            project: room,
            rx: Some(rx),
        }
    }

    /// How many rooms this instance routes to now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.routes().len()
    }
}

/// One socket's receiver of its room's events; the room's route goes when its last socket
/// does.
struct Subscription {
    hub: RoomHub,
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
        .read_buffer_size(READ_BUFFER)
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

/// `GET /ws/teams/{slug}/inbox`: a team's inbox, live. It relays every inbox event of the
/// tenant heard on any instance (a channel moved, a lead was scored, routed or worked) to members
/// who may read leads; the page then loads what it shows again, through the same checks as
/// always, so an SDR still sees only their own conversations. After a reconnect the page loads
/// everything again: that is the catch-up.
pub async fn inbox_socket(
    State((svc, hub)): State<SocketState>,
    Path(slug): Path<String>,
    shutting_down: Option<axum::Extension<ShuttingDown>>,
    session: Session,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = app::ssr::user_of(&session, &svc)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let grant = guard::tenant(&svc.db, Some(&user), &slug, Resource::Leads, Access::Read).await?;
    Ok(upgrade
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| relay(socket, hub, grant.tenant.0, shutting_down))
        .into_response())
}

async fn relay(
    socket: WebSocket,
    hub: RoomHub,
    room: uuid::Uuid,
    shutting_down: Option<axum::Extension<ShuttingDown>>,
) {
    let (mut out, mut incoming) = socket.split();
    let mut events = hub.subscribe(room);
    let stop = stopped(shutting_down);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if out.send(Message::Text(ev.text.clone())).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if out.send(Message::Text(r#"{"type":"lagged"}"#.into())).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            msg = incoming.next() => match msg {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = &mut stop => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(project: uuid::Uuid, kind: &str, data: serde_json::Value) -> String {
        serde_json::json!({ "project": project, "kind": kind, "data": data }).to_string()
    }

    #[tokio::test]
    async fn an_event_reaches_only_its_projects_sockets_as_published() {
        let hub = RoomHub::new(project_room);
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
        let hub = RoomHub::new(project_room);
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

    #[tokio::test]
    async fn an_inbox_event_reaches_only_its_tenants_sockets() {
        let hub = RoomHub::new(inbox_room);
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let mut at_a = hub.subscribe(a);
        let mut at_b = hub.subscribe(b);
        let published = serde_json::json!({
            "tenant": a, "type": "lead", "lead": uuid::Uuid::now_v7(), "assignee": null,
        })
        .to_string();
        hub.route("test", &published);
        assert_eq!(
            at_a.recv().await.expect("delivered").text.as_str(),
            published
        );
        assert!(
            at_b.rx.as_mut().expect("open").try_recv().is_err(),
            "b heard a's event"
        );
        // A project event is not an inbox event.
        hub.route(
            "test",
            r#"{"project":"00000000-0000-0000-0000-000000000000","kind":"message","data":null}"#,
        );
        assert!(at_a.rx.as_mut().expect("open").try_recv().is_err());
    }

    #[test]
    fn a_project_is_routed_while_any_socket_has_it_open() {
        let hub = RoomHub::new(project_room);
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
