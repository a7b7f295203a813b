//! Server-side helpers for server functions: services, session, the current user, and mapping
//! errors to HTTP statuses. Server functions stay thin: they call these, then one `domain` call.

use domain::server::accounts::{self, Authenticated, PendingSignIn};
use domain::server::{RequestMeta, Services};
use domain::types::UserId;
use domain::user::SessionUser;
use domain::AppError;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::OnceCell;
use tower_sessions::Session;

/// The session key holding who is signed in.
const AUTH_KEY: &str = "auth";

/// The session key holding a sign-in that waits for its second factor.
const PENDING_KEY: &str = "auth_pending";
/// How long a sign-in may wait for its second factor.
const PENDING_SECS: i64 = 10 * 60;

/// A sign-in waiting for its code, and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingAuth {
    pending: PendingSignIn,
    expires_at: i64,
}

/// What the session stores about the signed-in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    user_id: UserId,
    fingerprint: String,
}

/// Per-request memo of the current user, so a page with several server calls loads it once.
#[derive(Clone, Default)]
pub struct CurrentUserCell(Arc<OnceCell<Option<SessionUser>>>);

/// The services, provided to every request by the server.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from the Leptos context");
        AppError::Internal
    })
}

/// The request's session (tower-sessions on Redis).
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// Client IP and user agent, set by the server's middleware.
pub fn request_meta() -> RequestMeta {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<RequestMeta>().cloned())
        .unwrap_or_default()
}

/// The signed-in person, if any. A session whose password fingerprint no longer matches (the
/// password changed elsewhere) is ended.
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    let cell = use_context::<CurrentUserCell>().unwrap_or_default();
    cell.0
        .get_or_try_init(|| async { user_of(&session().await?, &services()?).await })
        .await
        .cloned()
}

/// The signed-in person of `session`, if any. A session whose password fingerprint no longer
/// matches is ended. (Also used outside Leptos, by the server's event stream.)
pub async fn user_of(session: &Session, svc: &Services) -> Result<Option<SessionUser>, AppError> {
    let auth: Option<SessionAuth> = session.get(AUTH_KEY).await.map_err(session_error)?;
    let Some(auth) = auth else { return Ok(None) };
    let user = accounts::session_user(&svc.db, auth.user_id, &auth.fingerprint).await?;
    if user.is_none() {
        session.flush().await.map_err(session_error)?;
    }
    Ok(user)
}

/// Starts a signed-in session with a fresh id (no session fixation).
pub async fn start_session(auth: &Authenticated) -> Result<(), AppError> {
    sign_session(auth.user.id, auth.fingerprint.clone()).await
}

/// Gives the session a fresh id and makes it signed in as `user_id`, ending any pending sign-in.
async fn sign_session(user_id: UserId, fingerprint: String) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_error)?;
    let _: Option<PendingAuth> = session.remove(PENDING_KEY).await.map_err(session_error)?;
    session
        .insert(
            AUTH_KEY,
            SessionAuth {
                user_id,
                fingerprint,
            },
        )
        .await
        .map_err(session_error)
}

/// Remembers a sign-in whose password was right until its code comes (with a fresh session id).
pub async fn start_pending_sign_in(pending: PendingSignIn) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(
            PENDING_KEY,
            PendingAuth {
                pending,
                expires_at: time::OffsetDateTime::now_utc().unix_timestamp() + PENDING_SECS,
            },
        )
        .await
        .map_err(session_error)
}

/// The sign-in waiting for its code, if it has not timed out.
pub async fn pending_sign_in() -> Result<PendingSignIn, AppError> {
    let session = session().await?;
    let pending: Option<PendingAuth> = session.get(PENDING_KEY).await.map_err(session_error)?;
    match pending {
        Some(p) if p.expires_at > time::OffsetDateTime::now_utc().unix_timestamp() => Ok(p.pending),
        _ => Err(AppError::Conflict(
            "Your sign-in timed out. Enter your email and password again.".into(),
        )),
    }
}

/// Keeps the session signed in after its own password change.
pub async fn refresh_session_fingerprint(
    user: UserId,
    fingerprint: String,
) -> Result<(), AppError> {
    sign_session(user, fingerprint).await
}

/// Ends the session.
pub async fn end_session() -> Result<(), AppError> {
    session().await?.flush().await.map_err(session_error)
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}

/// Sets the response status for `err` and hands it back, for `map_err(fail)`.
pub fn fail(err: AppError) -> AppError {
    if let Some(res) = use_context::<ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(err.status()) {
            res.set_status(code);
        }
        if let Some(retry_after_secs) = err.retry_after() {
            if let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.insert_header(http::header::RETRY_AFTER, v);
            }
        }
    }
    err
}

/// Only same-site relative paths are followed after sign-in, so `next` cannot send people away;
/// without one, people land on their account.
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| crate::components::is_safe_next(n))
        .unwrap_or_else(|| "/account".to_owned())
}

/// Where a fresh sign-in goes: to `next`, or first to set up two-factor sign-in when the
/// person's role requires it and it is not on yet.
pub fn after_sign_in(auth: &Authenticated, next: &str) -> String {
    if auth.user.must_set_up_two_factor {
        format!("/account/two-factor?next={}", query_escape(next))
    } else {
        next.to_owned()
    }
}

/// Escapes a value for a URL query string.
pub fn query_escape(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An uploaded form as read: its text fields by name, and the file of its `file` field (its
/// name and bytes).
#[derive(Debug, Default)]
pub struct Upload {
    /// Text fields.
    pub fields: std::collections::HashMap<String, String>,
    /// The file's name and bytes; the bytes stop one past `limit` (enough to say it is too big).
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    /// The chosen file, if one was: a file input left empty still sends a part, nameless and
    /// empty, which is no file.
    pub fn chosen_file(&mut self) -> Option<(String, Vec<u8>)> {
        self.file
            .take()
            .filter(|(name, bytes)| !(name.is_empty() && bytes.is_empty()))
    }
}

/// Reads a multipart form with one file field named `file`; an unreadable form says why.
pub async fn read_upload(
    data: leptos::server_fn::codec::MultipartData,
    limit: usize,
) -> Result<Upload, String> {
    let mut form = data.into_inner().ok_or_else(|| "no form data".to_owned())?;
    let mut up = Upload::default();
    while let Some(mut field) = form.next_field().await.map_err(|e| e.to_string())? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > limit {
                    break;
                }
            }
            up.file = Some((filename, bytes));
        } else {
            let text = field.text().await.map_err(|e| e.to_string())?;
            up.fields.insert(name, text);
        }
    }
    Ok(up)
}
