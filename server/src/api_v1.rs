//! The JSON API for non-browser clients: bearer access tokens and rotating refresh tokens.

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::leads::attachment::ATTACHMENT_MAX;
use domain::leads::reply::{Compose, Composer};
use domain::permissions::{Access, Resource};
use domain::server::leads::replies;
use domain::server::{accounts, guard, tokens, two_factor, RequestMeta, Services};
use domain::types::UserId;
use domain::user::SessionUser;
use domain::AppError;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// An `AppError` as a JSON response: `{"error": "...", "fields": [...]}` with its status.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let fields = match &self.0 {
            AppError::Validation(f) => json!(f),
            _ => json!([]),
        };
        let mut res = (
            status,
            Json(json!({ "error": self.0.to_string(), "fields": fields })),
        )
            .into_response();
        if let Some(retry_after_secs) = self.0.retry_after() {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The caller of a bearer-authenticated endpoint, loaded fresh from the database.
pub struct Bearer(pub SessionUser);

impl FromRequestParts<Services> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        svc: &Services,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AppError::Unauthorized)?;
        let claims = tokens::verify_access(svc, token)?;
        let user = accounts::user_by_id(&svc.db, UserId(claims.sub))
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Self(user))
    }
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
    /// The authenticator code (or a recovery code), for accounts with two-factor sign-in.
    #[serde(default)]
    code: Option<String>,
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

async fn token(
    State(svc): State<Services>,
    ext: axum::Extension<RequestMeta>,
    Json(body): Json<Credentials>,
) -> Result<Json<tokens::TokenPair>, ApiError> {
    let auth = match accounts::sign_in(&svc, &body.email, &body.password, &ext.0).await? {
        accounts::SignIn::Done(auth) => auth,
        accounts::SignIn::NeedsCode(pending) => match body.code.as_deref() {
            Some(code) => two_factor::complete_sign_in(&svc, &pending, code, &ext.0).await?,
            None => return Err(AppError::TwoFactorRequired.into()),
        },
    };
    Ok(Json(tokens::issue(&svc, &auth.user).await?))
}

async fn refresh(
    State(svc): State<Services>,
    ext: axum::Extension<RequestMeta>,
    Json(body): Json<RefreshBody>,
) -> Result<Json<tokens::TokenPair>, ApiError> {
    Ok(Json(
        tokens::refresh(&svc, &body.refresh_token, &ext.0).await?,
    ))
}

async fn revoke(
    State(svc): State<Services>,
    Json(body): Json<RefreshBody>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&svc, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Bearer(user): Bearer) -> Result<Json<SessionUser>, ApiError> {
    guard::signed_in(Some(&user))?;
    Ok(Json(user))
}

/// `GET /api/v1/teams/{slug}/leads/{lead}/composer`: the channels a lead can be answered on,
/// each with its messaging window and, outside it, the templates it offers.
async fn composer(
    State(svc): State<Services>,
    Bearer(user): Bearer,
    Path((slug, lead)): Path<(String, Uuid)>,
) -> Result<Json<Composer>, ApiError> {
    let grant = guard::tenant(&svc.db, Some(&user), &slug, Resource::Leads, Access::Read).await?;
    Ok(Json(
        replies::composer_for(&svc, &grant, user.id, lead).await?,
    ))
}

#[derive(Deserialize)]
struct ReplyBody {
    channel: Uuid,
    #[serde(flatten)]
    compose: Compose,
}

/// `POST /api/v1/teams/{slug}/leads/{lead}/replies`: `{"channel", "kind": "text", "body"}` or
/// `{"channel", "kind": "template", "template", "variables"}`. 201 with the queued message's id;
/// 409 with the reason for a text outside the messaging window; 422 with the field for bad input.
async fn reply(
    State(svc): State<Services>,
    Bearer(user): Bearer,
    Path((slug, lead)): Path<(String, Uuid)>,
    Json(body): Json<ReplyBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let grant = guard::tenant(&svc.db, Some(&user), &slug, Resource::Leads, Access::Read).await?;
    let id = replies::send(&svc, &grant, user.id, lead, body.channel, &body.compose).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "status": "queued" })),
    ))
}

/// Where an API client sends a file to a lead: `/api/v1/teams/{slug}/leads/{lead}/files`.
pub fn is_file_reply_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1/teams/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(parts.as_slice(), [slug, "leads", lead, "files"] if !slug.is_empty() && !lead.is_empty())
}

/// Reads a `multipart/form-data` body with one file field named `file` (its bytes stop one past
/// `limit`); another kind of body is a bad request that says how to send it, and a form that
/// cannot be read says why at the file field.
async fn read_form(req: Request, limit: usize) -> Result<app::ssr::Upload, AppError> {
    use domain::server::projects::workspace::unreadable_upload;
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            AppError::BadRequest(
                "Send the file as multipart/form-data, with the file in a field named file.".into(),
            )
        })?;
    let form = multer::Multipart::new(req.into_body().into_data_stream(), boundary);
    let data = leptos::server_fn::codec::MultipartData::Server(form);
    app::ssr::read_upload(data, limit)
        .await
        .map_err(unreadable_upload)
}

/// `POST /api/v1/teams/{slug}/leads/{lead}/files`: a `multipart/form-data` form with `channel`
/// (the channel's id), `file` (an image, audio, video or document the channel takes, up to
/// 16 MB) and an optional `caption`. 201 with the queued message's id; 409 with the reason
/// outside the messaging window; 422 with the field for a missing or refused file, channel or
/// caption; 413 for a body larger than any file the inbox takes.
async fn send_file(
    State(svc): State<Services>,
    Bearer(user): Bearer,
    Path((slug, lead)): Path<(String, Uuid)>,
    req: Request,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let grant = guard::tenant(&svc.db, Some(&user), &slug, Resource::Leads, Access::Read).await?;
    let mut form = read_form(req, ATTACHMENT_MAX).await?;
    let channel = form.fields.remove("channel").unwrap_or_default();
    let channel = Uuid::parse_str(channel.trim()).map_err(|_| {
        AppError::field(
            "channel",
            "Name the channel to send on: its id, as the composer endpoint gives it.",
        )
    })?;
    let (name, bytes) = form.chosen_file().ok_or_else(|| {
        AppError::field(
            "file",
            "Attach the file to send, in a form field named file.",
        )
    })?;
    let file = replies::FileReply {
        name,
        bytes,
        caption: form.fields.remove("caption").unwrap_or_default(),
    };
    let id = replies::send_file(&svc, &grant, user.id, lead, channel, &file).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "status": "queued" })),
    ))
}

/// `POST /api/v1/teams/{slug}/leads/{lead}/draft`: an AI draft of the answer to the lead's last
/// message, from the team's business facts only (`{"text", "language", "facts_used", "run"}`);
/// nothing is sent. 409 with the reason when the team has no facts or the lead wrote no words.
async fn draft(
    State(svc): State<Services>,
    Bearer(user): Bearer,
    Path((slug, lead)): Path<(String, Uuid)>,
) -> Result<Json<domain::leads::facts::Drafted>, ApiError> {
    let grant = guard::tenant(&svc.db, Some(&user), &slug, Resource::Leads, Access::Read).await?;
    Ok(Json(
        domain::server::leads::drafts::draft(&svc, &grant, user.id, lead).await?,
    ))
}

/// Takes a lead from an integration: 201 with the new lead, 200 with the one it already was.
async fn add_lead(
    State(svc): State<Services>,
    Bearer(user): Bearer,
    Path(slug): Path<String>,
    Json(input): Json<domain::server::leads::NewLead>,
) -> Result<Response, ApiError> {
    let grant = guard::tenant(&svc.db, Some(&user), &slug, Resource::Leads, Access::Write).await?;
    let added = domain::server::leads::add(&svc, &grant, &input).await?;
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(added)).into_response())
}

/// The `/api/v1` routes.
pub fn router() -> Router<Services> {
    Router::new()
        .route("/auth/token", post(token))
        .route("/auth/refresh", post(refresh))
        .route("/auth/revoke", post(revoke))
        .route("/me", get(me))
        .route("/teams/{slug}/leads", post(add_lead))
        .route("/teams/{slug}/leads/{lead}/composer", get(composer))
        .route("/teams/{slug}/leads/{lead}/replies", post(reply))
        .route("/teams/{slug}/leads/{lead}/files", post(send_file))
        .route("/teams/{slug}/leads/{lead}/draft", post(draft))
}

#[cfg(test)]
mod tests {
    use super::is_file_reply_path;

    #[test]
    fn only_a_leads_files_take_a_files_body() {
        assert!(is_file_reply_path(
            "/api/v1/teams/acme-sales/leads/7f1c2a9e-0000-4000-8000-000000000001/files"
        ));
        for other in [
            "/api/v1/teams/acme-sales/leads/7f1c/replies",
            "/api/v1/teams//leads/7f1c/files",
            "/api/v1/teams/acme-sales/leads//files",
            "/api/v1/teams/acme-sales/leads/7f1c/files/extra",
            "/api/inbox/reply/file",
            "/api/v1/teams/acme-sales/files",
        ] {
            assert!(!is_file_reply_path(other), "{other}");
        }
    }
}
