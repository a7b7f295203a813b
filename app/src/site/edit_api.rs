//! Server functions of the block editor and the site reports. Each checks that a
//! CONTENT_EDITOR or ADMIN is asking (leads and the conversion report: ADMIN), then calls one
//! `domain::server::site` function.

use domain::site::media::{MediaItem, Uploaded};
use domain::site::views::{
    ConversionReport, EditorPage, GlobalBlock, LeadRow, PageSummary, RevisionDiff, RevisionSummary,
    Saved, SiteIntake,
};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{current_user, fail, request_meta, services};
#[cfg(feature = "ssr")]
use domain::roles::PlatformRole;
#[cfg(feature = "ssr")]
use domain::server::guard;
#[cfg(feature = "ssr")]
use domain::server::site::{editor, intake, leads, media};

/// Who may edit the site.
#[cfg(feature = "ssr")]
const EDITORS: &[PlatformRole] = &[PlatformRole::ContentEditor, PlatformRole::Admin];

#[cfg(feature = "ssr")]
async fn editor_user() -> Result<domain::user::SessionUser, AppError> {
    let user = current_user().await.map_err(fail)?;
    guard::platform(user.as_ref(), EDITORS)
        .map_err(fail)
        .cloned()
}

/// Every page of the site.
#[server(endpoint = "editor/pages")]
pub async fn list_site_pages() -> Result<Vec<PageSummary>, AppError> {
    editor_user().await?;
    editor::list_pages(&services()?.db).await.map_err(fail)
}

/// Creates a page from a template and opens it in the editor.
#[server(endpoint = "editor/pages/create")]
pub async fn create_site_page(
    kind: String,
    slug: String,
    title: String,
    template: String,
) -> Result<String, AppError> {
    let user = editor_user().await?;
    let svc = services()?;
    let id = editor::create_page(
        &svc,
        &user,
        &kind,
        &slug,
        &title,
        &template,
        &request_meta(),
    )
    .await
    .map_err(fail)?;
    leptos_axum::redirect(&format!("/editor/pages/{id}"));
    Ok(id)
}

/// A page's draft.
#[server(endpoint = "editor/page")]
pub async fn load_site_page(id: String) -> Result<EditorPage, AppError> {
    editor_user().await?;
    editor::load_page(&services()?.db, &id).await.map_err(fail)
}

/// Saves a draft (`content` is the page document as JSON) if nobody saved since `version`.
#[server(endpoint = "editor/page/save")]
pub async fn save_site_page(id: String, version: i32, content: String) -> Result<Saved, AppError> {
    let user = editor_user().await?;
    let content: domain::site::PageContent = serde_json::from_str(&content).map_err(|e| {
        fail(AppError::BadRequest(format!(
            "The page could not be read: {e}"
        )))
    })?;
    editor::save_draft(&services()?, &user, &id, version, content)
        .await
        .map_err(fail)
}

/// Publishes the draft at `version`.
#[server(endpoint = "editor/page/publish")]
pub async fn publish_site_page(id: String, version: i32) -> Result<i32, AppError> {
    let user = editor_user().await?;
    editor::publish(&services()?, &user, &id, version, &request_meta())
        .await
        .map_err(fail)
}

/// Schedules the draft at `version` for `at` (RFC 3339, or `YYYY-MM-DDTHH:MM` with the
/// browser's offset in minutes east of UTC).
#[server(endpoint = "editor/page/schedule")]
pub async fn schedule_site_page(
    id: String,
    version: i32,
    at: String,
    offset_minutes: i32,
) -> Result<i32, AppError> {
    let user = editor_user().await?;
    let when = parse_local_time(&at, offset_minutes).map_err(fail)?;
    editor::schedule(&services()?, &user, &id, version, when, &request_meta())
        .await
        .map_err(fail)
}

#[cfg(feature = "ssr")]
fn parse_local_time(at: &str, offset_minutes: i32) -> Result<time::OffsetDateTime, AppError> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(at, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let local = time::PrimitiveDateTime::parse(at.trim(), &format)
        .map_err(|_| AppError::field("publish_at", "Choose a date and time."))?;
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes.clamp(-18 * 60, 18 * 60) * 60)
        .map_err(|_| AppError::field("publish_at", "Choose a date and time."))?;
    Ok(local.assume_offset(offset))
}

/// Cancels a scheduled publish.
#[server(endpoint = "editor/page/unschedule")]
pub async fn cancel_site_schedule(id: String) -> Result<(), AppError> {
    let user = editor_user().await?;
    editor::cancel_schedule(&services()?, &user, &id, &request_meta())
        .await
        .map_err(fail)
}

/// A page's revisions, newest first.
#[server(endpoint = "editor/page/revisions")]
pub async fn site_page_revisions(id: String) -> Result<Vec<RevisionSummary>, AppError> {
    editor_user().await?;
    editor::revisions(&services()?.db, &id).await.map_err(fail)
}

/// What changed from revision `from` to revision `to` (none: the draft).
#[server(endpoint = "editor/page/diff")]
pub async fn site_page_diff(
    id: String,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<RevisionDiff, AppError> {
    editor_user().await?;
    editor::revision_diff(&services()?.db, &id, from, to)
        .await
        .map_err(fail)
}

/// Puts revision `number` live again.
#[server(endpoint = "editor/page/rollback")]
pub async fn rollback_site_page(id: String, number: i32) -> Result<i32, AppError> {
    let user = editor_user().await?;
    editor::rollback(&services()?, &user, &id, number, &request_meta())
        .await
        .map_err(fail)
}

/// A new shareable preview link to the draft.
#[server(endpoint = "editor/page/preview-link")]
pub async fn site_preview_link(id: String) -> Result<String, AppError> {
    let user = editor_user().await?;
    editor::create_preview_link(&services()?, &user, &id)
        .await
        .map_err(fail)
}

/// The reusable blocks.
#[server(endpoint = "editor/globals")]
pub async fn list_global_blocks() -> Result<Vec<GlobalBlock>, AppError> {
    editor_user().await?;
    editor::list_globals(&services()?.db).await.map_err(fail)
}

/// Creates a reusable block from blocks (JSON) and answers its id.
#[server(endpoint = "editor/globals/create")]
pub async fn create_global_block(name: String, blocks: String) -> Result<String, AppError> {
    let user = editor_user().await?;
    let blocks = read_blocks(&blocks)?;
    editor::create_global(&services()?, &user, &name, blocks, &request_meta())
        .await
        .map_err(fail)
}

/// Saves a reusable block (every page that shows it changes) and answers its new version.
#[server(endpoint = "editor/globals/save")]
pub async fn save_global_block(
    id: String,
    version: i32,
    name: String,
    blocks: String,
) -> Result<i32, AppError> {
    let user = editor_user().await?;
    let blocks = read_blocks(&blocks)?;
    editor::save_global(
        &services()?,
        &user,
        &id,
        version,
        &name,
        blocks,
        &request_meta(),
    )
    .await
    .map_err(fail)
}

#[cfg(feature = "ssr")]
fn read_blocks(json: &str) -> Result<Vec<domain::site::Block>, AppError> {
    serde_json::from_str(json).map_err(|e| {
        fail(AppError::BadRequest(format!(
            "The blocks could not be read: {e}"
        )))
    })
}

/// Where images are uploaded (the server allows this path a larger body).
pub const MEDIA_UPLOAD_PATH: &str = "/api/editor/media/upload";

/// The media library, newest first.
#[server(endpoint = "editor/media")]
pub async fn list_media() -> Result<Vec<MediaItem>, AppError> {
    editor_user().await?;
    media::list(&services()?.db).await.map_err(fail)
}

/// Uploads an image: a form with `file` and `alt` (its description).
#[server(endpoint = "editor/media/upload", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_media(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<Uploaded, AppError> {
    let user = editor_user().await?;
    let unreadable = |e: String| {
        fail(AppError::BadRequest(format!(
            "The upload could not be read: {e}"
        )))
    };
    let mut up = crate::ssr::read_upload(data, domain::site::media::MAX_BYTES)
        .await
        .map_err(unreadable)?;
    let alt = up.fields.remove("alt").unwrap_or_default();
    let (name, bytes) = up.file.unwrap_or_default();
    media::upload(&services()?, &user, &name, bytes, &alt, &request_meta())
        .await
        .map_err(fail)
}

/// Changes an image's description.
#[server(endpoint = "editor/media/describe")]
pub async fn describe_media(id: String, alt: String) -> Result<MediaItem, AppError> {
    let user = editor_user().await?;
    media::describe(&services()?, &user, &id, &alt, &request_meta())
        .await
        .map_err(fail)
}

/// Deletes an image that nothing shows.
#[server(endpoint = "editor/media/delete")]
pub async fn delete_media(id: String) -> Result<(), AppError> {
    let user = editor_user().await?;
    media::delete(&services()?, &user, &id, &request_meta())
        .await
        .map_err(fail)
}

/// Views, clicks and leads per page and per call to action (ADMIN).
#[server(endpoint = "admin/site/report")]
pub async fn site_conversion_report(days: i32) -> Result<ConversionReport, AppError> {
    let user = current_user().await.map_err(fail)?;
    guard::platform(user.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    leads::conversion_report(&services()?.db, days)
        .await
        .map_err(fail)
}

/// The newest leads from the site's forms (ADMIN).
#[server(endpoint = "admin/site/leads")]
pub async fn recent_site_leads() -> Result<Vec<LeadRow>, AppError> {
    let user = current_user().await.map_err(fail)?;
    guard::platform(user.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    leads::recent_leads(&services()?.db, 100)
        .await
        .map_err(fail)
}

/// Where the site's leads go: one team's email channel, or none (ADMIN).
#[server(endpoint = "admin/site/intake")]
pub async fn lead_intake() -> Result<SiteIntake, AppError> {
    let user = current_user().await.map_err(fail)?;
    guard::platform(user.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    intake::view(&services()?).await.map_err(fail)
}

/// Sends the site's leads from now on to `channel` (a channel's id; empty: to no team) (ADMIN).
#[server(endpoint = "admin/site/intake-set")]
pub async fn set_site_intake(channel: String) -> Result<SiteIntake, AppError> {
    let user = current_user().await.map_err(fail)?;
    let user = guard::platform(user.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    let channel = match channel.trim() {
        "" => None,
        id => Some(uuid::Uuid::parse_str(id).map_err(|_| {
            AppError::Validation(vec![domain::FieldError::new(
                "channel",
                "Choose one of the teams' email channels.",
            )])
        })?),
    };
    intake::set(&services()?, user, channel, &request_meta())
        .await
        .map_err(fail)
}
