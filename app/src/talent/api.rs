//! Onboarding's server functions: each checks who is asking and calls one `domain` function.

use domain::talent::{ApplicationView, OpenProject, ProfileView, ReviewItem};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::projects::api::{id, json, signed_in};
#[cfg(feature = "ssr")]
use crate::ssr::{fail, request_meta};
#[cfg(feature = "ssr")]
use domain::server::talent::{self, Upload};

/// The asker's own profile (freelancers and experts).
#[server(endpoint = "talent/mine")]
pub async fn my_profile() -> Result<ProfileView, AppError> {
    let (svc, user) = signed_in().await?;
    talent::mine(&svc, &user).await.map_err(fail)
}

/// Saves the profile fields (a JSON `ProfileInput`).
#[server(endpoint = "talent/profile")]
pub async fn save_talent_profile(input: String) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    let input = json("profile", &input)?;
    talent::save_profile(&svc, &user, &input, &request_meta())
        .await
        .map_err(fail)
}

/// Saves weekly hours and time off (a JSON `Availability`); answers the hours a week.
#[server(endpoint = "talent/availability")]
pub async fn save_talent_availability(input: String) -> Result<u32, AppError> {
    let (svc, user) = signed_in().await?;
    let input = json("availability", &input)?;
    talent::save_availability(&svc, &user, &input, &request_meta())
        .await
        .map_err(fail)
}

#[cfg(feature = "ssr")]
async fn read_form(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<(std::collections::HashMap<String, String>, Option<Upload>), AppError> {
    use domain::server::projects::workspace::unreadable_upload;
    let mut up = crate::ssr::read_upload(data, domain::workspace::MAX_FILE_BYTES)
        .await
        .map_err(|e| fail(unreadable_upload(e)))?;
    let file = up.chosen_file().map(|(name, bytes)| Upload { name, bytes });
    Ok((up.fields, file))
}

/// Where portfolio pieces are added (the server allows this path a larger body).
pub const PORTFOLIO_ADD_PATH: &str = "/api/talent/portfolio/add";
/// Where identity documents are uploaded (the server allows this path a larger body).
pub const DOCUMENT_ADD_PATH: &str = "/api/talent/documents/add";

/// Adds a portfolio piece: a form with `title`, `description`, `url` and `file`.
#[server(endpoint = "talent/portfolio/add", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn add_portfolio_piece(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<String, AppError> {
    let (svc, user) = signed_in().await?;
    let (mut fields, file) = read_form(data).await?;
    let input = domain::talent::PieceInput {
        title: fields.remove("title").unwrap_or_default(),
        description: fields.remove("description").unwrap_or_default(),
        url: fields.remove("url").unwrap_or_default(),
    };
    talent::add_piece(&svc, &user, &input, file, &request_meta())
        .await
        .map(|id| id.to_string())
        .map_err(fail)
}

/// Removes one of the asker's portfolio pieces.
#[server(endpoint = "talent/portfolio/remove")]
pub async fn remove_portfolio_piece(piece: String) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    talent::remove_piece(&svc, &user, id(&piece)?, &request_meta())
        .await
        .map_err(fail)
}

/// Uploads an identity document: a form with `kind` and `file`.
#[server(endpoint = "talent/documents/add", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_kyc_document(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<String, AppError> {
    let (svc, user) = signed_in().await?;
    let (mut fields, file) = read_form(data).await?;
    let file = file.ok_or_else(|| {
        fail(AppError::field(
            "file",
            "Choose the scan or photo to upload.",
        ))
    })?;
    let kind = fields.remove("kind").unwrap_or_default();
    talent::upload_document(&svc, &user, &kind, file, &request_meta())
        .await
        .map(|id| id.to_string())
        .map_err(fail)
}

/// Removes one of the asker's identity documents.
#[server(endpoint = "talent/documents/remove")]
pub async fn remove_kyc_document(doc: String) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    talent::remove_document(&svc, &user, id(&doc)?, &request_meta())
        .await
        .map_err(fail)
}

/// Sends the asker's profile to review.
#[server(endpoint = "talent/submit")]
pub async fn submit_profile() -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    talent::submit(&svc, &user, &request_meta())
        .await
        .map_err(fail)
}

/// Profiles waiting for review (staff).
#[server(endpoint = "talent/review/list")]
pub async fn talent_review_queue() -> Result<Vec<ReviewItem>, AppError> {
    let (svc, user) = signed_in().await?;
    talent::review_queue(&svc, &user).await.map_err(fail)
}

/// Approves a profile (`approve`) or sends it back (`request_changes`) with a note (staff).
#[server(endpoint = "talent/review/decide")]
pub async fn review_talent(
    user_id: String,
    decision: String,
    note: String,
) -> Result<(), AppError> {
    use domain::talent::ReviewDecision;
    let (svc, user) = signed_in().await?;
    let decision = match decision.as_str() {
        "approve" => ReviewDecision::Approve,
        "request_changes" => ReviewDecision::RequestChanges,
        _ => return Err(fail(AppError::BadRequest("Unknown decision.".into()))),
    };
    talent::review(&svc, &user, id(&user_id)?, decision, &note, &request_meta())
        .await
        .map_err(fail)
}

/// Projects open to applications (approved freelancers).
#[server(endpoint = "talent/projects")]
pub async fn open_projects() -> Result<Vec<OpenProject>, AppError> {
    let (svc, user) = signed_in().await?;
    talent::open_projects(&svc, &user).await.map_err(fail)
}

/// Applies to a project (a JSON `ApplicationInput`).
#[server(endpoint = "talent/apply")]
pub async fn apply_to_project(project: String, input: String) -> Result<String, AppError> {
    let (svc, user) = signed_in().await?;
    let input = json("application", &input)?;
    talent::apply(&svc, &user, id(&project)?, &input, &request_meta())
        .await
        .map(|id| id.to_string())
        .map_err(fail)
}

/// Takes back a waiting application.
#[server(endpoint = "talent/withdraw")]
pub async fn withdraw_application(application: String) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    talent::withdraw(&svc, &user, id(&application)?, &request_meta())
        .await
        .map_err(fail)
}

/// The applications to a project (staff).
#[server(endpoint = "talent/applications")]
pub async fn project_applications(project: String) -> Result<Vec<ApplicationView>, AppError> {
    let (svc, user) = signed_in().await?;
    talent::applications(&svc, &user, id(&project)?)
        .await
        .map_err(fail)
}

/// Accepts (assigns its freelancer) or declines an application (staff).
#[server(endpoint = "talent/decide")]
pub async fn decide_application(application: String, accept: bool) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    talent::decide(&svc, &user, id(&application)?, accept, &request_meta())
        .await
        .map_err(fail)
}
