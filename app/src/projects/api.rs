//! The projects' server functions: each checks who is asking and calls one `domain` function.
//! Structured arguments travel as JSON strings, parsed here with a message when they do not
//! read.

use domain::project::{
    DraftView, EarningsView, FundOutcome, PayoutView, PricingRule, ProjectSummary, RiskPanel,
    Suggestion, WorkspaceView,
};
#[cfg(feature = "ssr")]
use domain::project::{MilestoneAction, ScopeDraft, StepInput};
use domain::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{current_user, fail, request_meta, services};
#[cfg(feature = "ssr")]
use domain::roles::PlatformRole;
#[cfg(feature = "ssr")]
use domain::server::guard;
#[cfg(feature = "ssr")]
use domain::server::projects::{self, earnings, flow, funding, risk, wizard};

#[cfg(feature = "ssr")]
pub(crate) async fn signed_in(
) -> Result<(domain::server::Services, domain::user::SessionUser), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::signed_in(user.as_ref()).map_err(fail)?.clone();
    Ok((svc, user))
}

#[cfg(feature = "ssr")]
async fn with_role(
    roles: &[PlatformRole],
) -> Result<(domain::server::Services, domain::user::SessionUser), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::platform(user.as_ref(), roles).map_err(fail)?.clone();
    Ok((svc, user))
}

#[cfg(feature = "ssr")]
pub(crate) fn id(s: &str) -> Result<Uuid, AppError> {
    s.parse().map_err(|_| fail(AppError::NotFound))
}

#[cfg(feature = "ssr")]
pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, AppError> {
    serde_json::from_str(s).map_err(|e| {
        fail(AppError::BadRequest(format!(
            "The {what} could not be read: {e}"
        )))
    })
}

/// The projects the asker may see.
#[server(endpoint = "projects/list")]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    let (svc, user) = signed_in().await?;
    projects::list(&svc.db, &user).await.map_err(fail)
}

/// A customer's open drafts (staff: drafts waiting for a quote).
#[server(endpoint = "projects/drafts")]
pub async fn list_drafts() -> Result<Vec<DraftView>, AppError> {
    let (svc, user) = signed_in().await?;
    wizard::list(&svc, &user).await.map_err(fail)
}

/// One draft.
#[server(endpoint = "projects/draft")]
pub async fn get_draft(draft: String) -> Result<DraftView, AppError> {
    let (svc, user) = signed_in().await?;
    wizard::get(&svc, &user, id(&draft)?).await.map_err(fail)
}

/// Drafts a scope from a brief (a new draft when `draft` is empty).
#[server(endpoint = "projects/analyze")]
pub async fn analyze_brief(
    draft: String,
    brief: String,
    category: String,
) -> Result<DraftView, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Customer]).await?;
    let draft = if draft.is_empty() {
        None
    } else {
        Some(id(&draft)?)
    };
    let category = domain::ai::Category::parse(&category);
    wizard::analyze(&svc, &user, draft, &brief, category)
        .await
        .map_err(fail)
}

/// Autosaves the scope as typed; answers the new version.
#[server(endpoint = "projects/draft/save")]
pub async fn save_draft(draft: String, version: i32, scope: String) -> Result<i32, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Customer]).await?;
    let scope: ScopeDraft = json("scope", &scope)?;
    wizard::save(&svc, &user, id(&draft)?, version, &scope)
        .await
        .map_err(fail)
}

/// Adds to a draft's custom-quote thread.
#[server(endpoint = "projects/draft/quote")]
pub async fn quote_message(draft: String, message: String) -> Result<DraftView, AppError> {
    let (svc, user) = signed_in().await?;
    wizard::quote_message(&svc, &user, id(&draft)?, &message, &request_meta())
        .await
        .map_err(fail)
}

/// Confirms the draft and funds the first (`first`) or every (`all`) milestone.
#[server(endpoint = "projects/draft/confirm")]
pub async fn confirm_draft(
    draft: String,
    version: i32,
    fund: String,
    card: String,
) -> Result<FundOutcome, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Customer]).await?;
    let fund = if fund == "all" {
        domain::project::FundChoice::All
    } else {
        domain::project::FundChoice::First
    };
    wizard::confirm(
        &svc,
        &user,
        id(&draft)?,
        version,
        fund,
        &card,
        &request_meta(),
    )
    .await
    .map_err(fail)
}

/// A project's workspace.
#[server(endpoint = "projects/workspace")]
pub async fn get_workspace(project: String) -> Result<WorkspaceView, AppError> {
    let (svc, user) = signed_in().await?;
    projects::workspace(&svc, &user, id(&project)?)
        .await
        .map_err(fail)
}

/// Takes a step on a milestone; `input` is a [`StepInput`] as JSON.
#[server(endpoint = "projects/milestone/step")]
pub async fn milestone_step(
    milestone: String,
    action: String,
    input: String,
) -> Result<domain::project::MilestoneStatus, AppError> {
    let (svc, user) = signed_in().await?;
    let action = MilestoneAction::parse(&action)
        .ok_or_else(|| fail(AppError::BadRequest("Unknown step.".into())))?;
    let input: StepInput = json("step", &input)?;
    flow::act(
        &svc,
        flow::Actor::Person(&user),
        id(&milestone)?,
        action,
        &input,
        &request_meta(),
    )
    .await
    .map_err(fail)
}

/// Funds an unfunded milestone.
#[server(endpoint = "projects/milestone/fund")]
pub async fn fund_milestone(
    project: String,
    milestone: String,
    card: String,
) -> Result<FundOutcome, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Customer]).await?;
    funding::fund(&svc, &user, id(&project)?, &[id(&milestone)?], &card)
        .await
        .map_err(fail)
}

/// The customer confirmed a payment with their bank.
#[server(endpoint = "projects/payment/confirm")]
pub async fn confirm_payment(payment: String) -> Result<FundOutcome, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Customer]).await?;
    funding::confirm(&svc, &user, id(&payment)?)
        .await
        .map_err(fail)
}

/// The project's latest AI risk check (staff).
#[server(endpoint = "projects/risk")]
pub async fn project_risk(project: String) -> Result<Option<RiskPanel>, AppError> {
    let (svc, user) = signed_in().await?;
    risk::current(&svc, &user, id(&project)?)
        .await
        .map_err(fail)
}

/// Runs the AI risk check on the project now (staff).
#[server(endpoint = "projects/risk/assess")]
pub async fn assess_risk(project: String) -> Result<RiskPanel, AppError> {
    let (svc, user) = signed_in().await?;
    risk::assess(&svc, &user, id(&project)?).await.map_err(fail)
}

/// Accepts (its actions become tasks) or dismisses a risk check (staff); answers the tasks
/// added.
#[server(endpoint = "projects/risk/decide")]
pub async fn decide_risk(project: String, run: String, accept: bool) -> Result<usize, AppError> {
    let (svc, user) = signed_in().await?;
    risk::decide(
        &svc,
        &user,
        id(&project)?,
        id(&run)?,
        accept,
        &request_meta(),
    )
    .await
    .map_err(fail)
}

/// Freelancers the matcher suggests for a project (staff).
#[server(endpoint = "projects/suggest")]
pub async fn suggest_freelancers(project: String) -> Result<Vec<Suggestion>, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Employee, PlatformRole::Admin]).await?;
    flow::suggest(&svc, &user, id(&project)?)
        .await
        .map_err(fail)
}

/// Assigns a freelancer to a project (staff).
#[server(endpoint = "projects/assign")]
pub async fn assign_freelancer(project: String, freelancer: String) -> Result<(), AppError> {
    let (svc, user) = with_role(&[PlatformRole::Employee, PlatformRole::Admin]).await?;
    flow::assign(
        &svc,
        &user,
        id(&project)?,
        id(&freelancer)?,
        &request_meta(),
    )
    .await
    .map_err(fail)
}

/// The asking freelancer's earnings.
#[server(endpoint = "earnings")]
pub async fn get_earnings() -> Result<EarningsView, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Freelancer]).await?;
    earnings::earnings(&svc, &user).await.map_err(fail)
}

/// The asking freelancer requests a payout.
#[server(endpoint = "earnings/payout")]
pub async fn request_payout(amount: String) -> Result<PayoutView, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Freelancer]).await?;
    earnings::request_payout(&svc, &user, &amount, &request_meta())
        .await
        .map_err(fail)
}

/// Starts (or resumes) setting up where the asking freelancer is paid: to the payment
/// provider's page when it has something to fill in, else nowhere (the account is ready).
#[server(endpoint = "earnings/payouts/setup")]
pub async fn set_up_payouts() -> Result<String, AppError> {
    let (svc, user) = with_role(&[PlatformRole::Freelancer]).await?;
    let url = earnings::set_up_payouts(&svc, &user, &request_meta())
        .await
        .map_err(fail)?;
    if !url.ends_with("/earnings") {
        leptos_axum::redirect(&url);
    }
    Ok(url)
}

/// The pricing rule (admins).
#[server(endpoint = "admin/pricing")]
pub async fn get_pricing() -> Result<PricingRule, AppError> {
    let (svc, _) = with_role(&[PlatformRole::Admin]).await?;
    let mut conn = svc.db.acquire().await.map_err(|e| fail(e.into()))?;
    earnings::pricing(&mut conn).await.map_err(fail)
}

/// Sets the pricing rule (admins).
#[server(endpoint = "admin/pricing/save")]
pub async fn set_pricing(fee_percent: String, auto_approve_days: String) -> Result<(), AppError> {
    let (svc, user) = with_role(&[PlatformRole::Admin]).await?;
    let rule = PricingRule::parse(&fee_percent, &auto_approve_days).map_err(fail)?;
    earnings::set_pricing(&svc, &user, rule, &request_meta())
        .await
        .map_err(fail)
}

/// A workspace's chat.
#[server(endpoint = "projects/chat")]
pub async fn get_chat(project: String) -> Result<domain::project::ChatView, AppError> {
    let (svc, user) = signed_in().await?;
    projects::chat::list(&svc, &user, id(&project)?, None)
        .await
        .map_err(fail)
}

/// Posts a chat message; `attachments` are the ids of files the author just shared,
/// separated by commas.
#[server(endpoint = "projects/chat/post")]
pub async fn post_message(
    project: String,
    body: String,
    attachments: Option<String>,
) -> Result<domain::project::ChatMessage, AppError> {
    let (svc, user) = signed_in().await?;
    let files = attachments
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Uuid>().map_err(|_| {
                fail(AppError::field(
                    "attachments",
                    "An attachment could not be read; attach it again.",
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    projects::chat::post(&svc, &user, id(&project)?, &body, &files, &request_meta())
        .await
        .map_err(fail)
}

/// Edits (with `body`) or deletes (without) one's own message.
#[server(endpoint = "projects/chat/revise")]
pub async fn revise_message(
    message: String,
    body: Option<String>,
) -> Result<domain::project::ChatMessage, AppError> {
    let (svc, user) = signed_in().await?;
    projects::chat::revise(&svc, &user, id(&message)?, body.as_deref(), &request_meta())
        .await
        .map_err(fail)
}

/// A message's earlier texts.
#[server(endpoint = "projects/chat/history")]
pub async fn message_history(message: String) -> Result<Vec<domain::project::Revision>, AppError> {
    let (svc, user) = signed_in().await?;
    projects::chat::history(&svc, &user, id(&message)?)
        .await
        .map_err(fail)
}

/// Marks the chat read up to `message`.
#[server(endpoint = "projects/chat/read")]
pub async fn mark_read(project: String, message: String) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    projects::chat::mark_read(&svc, &user, id(&project)?, id(&message)?)
        .await
        .map_err(fail)
}

/// Adds a task; `task` is a [`domain::workspace::TaskInput`] as JSON.
#[server(endpoint = "projects/tasks/add")]
pub async fn add_task(project: String, task: String) -> Result<String, AppError> {
    let (svc, user) = signed_in().await?;
    let input: domain::workspace::TaskInput = json("task", &task)?;
    projects::workspace::add_task(&svc, &user, id(&project)?, &input, &request_meta())
        .await
        .map(|id| id.to_string())
        .map_err(fail)
}

/// Changes a task seen at `version`: `change` is `edit` (with `task` as JSON), `move` (with
/// `status`: `todo`, `doing` or `done`) or `remove`.
#[server(endpoint = "projects/tasks/change")]
pub async fn change_task(
    task: String,
    version: i32,
    change: String,
    input: String,
) -> Result<(), AppError> {
    use domain::server::projects::workspace::TaskChange;
    use domain::workspace::TaskStatus;
    let (svc, user) = signed_in().await?;
    let change = match change.as_str() {
        "edit" => TaskChange::Edit(json("task", &input)?),
        "move" => TaskChange::Move(
            TaskStatus::parse(&input)
                .ok_or_else(|| fail(AppError::BadRequest("Unknown column.".into())))?,
        ),
        "remove" => TaskChange::Remove,
        _ => return Err(fail(AppError::BadRequest("Unknown change.".into()))),
    };
    projects::workspace::change_task(&svc, &user, id(&task)?, version, change, &request_meta())
        .await
        .map_err(fail)
}

/// Where files are shared (the server allows this path a larger body).
pub const FILE_UPLOAD_PATH: &str = "/api/projects/files/upload";

/// Shares a file: a form with `project`, `file` and, for a delivery, `milestone`.
#[server(endpoint = "projects/files/upload", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_file(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<String, AppError> {
    use domain::server::projects::workspace::unreadable_upload;
    let (svc, user) = signed_in().await?;
    let unreadable = |e: String| fail(unreadable_upload(e));
    let mut up = crate::ssr::read_upload(data, domain::workspace::MAX_FILE_BYTES)
        .await
        .map_err(unreadable)?;
    let project = up.fields.remove("project").unwrap_or_default();
    let milestone = up.fields.remove("milestone").unwrap_or_default();
    let (name, bytes) = up.file.unwrap_or_default();
    let milestone = match milestone.trim() {
        "" => None,
        m => Some(id(m)?),
    };
    projects::workspace::upload(
        &svc,
        &user,
        id(&project)?,
        milestone,
        &name,
        bytes,
        &request_meta(),
    )
    .await
    .map(|id| id.to_string())
    .map_err(fail)
}

/// Removes a shared file (its uploader or staff).
#[server(endpoint = "projects/files/remove")]
pub async fn remove_file(file: String) -> Result<(), AppError> {
    let (svc, user) = signed_in().await?;
    projects::workspace::remove_file(&svc, &user, id(&file)?, &request_meta())
        .await
        .map_err(fail)
}

/// What the automation rules found (staff).
#[server(endpoint = "ops/alerts")]
pub async fn list_alerts() -> Result<Vec<domain::automation::OpsAlert>, AppError> {
    let (svc, _) = with_role(&[PlatformRole::Employee, PlatformRole::Admin]).await?;
    projects::automation::alerts(&svc).await.map_err(fail)
}

/// Handles an alert (staff): `how` is `accept`, `done` or `dismiss`.
#[server(endpoint = "ops/alerts/handle")]
pub async fn handle_alert(alert: String, how: String) -> Result<(), AppError> {
    use projects::automation::Handling;
    let (svc, user) = with_role(&[PlatformRole::Employee, PlatformRole::Admin]).await?;
    let how = match how.as_str() {
        "accept" => Handling::Accept,
        "done" => Handling::Done,
        "dismiss" => Handling::Dismiss,
        _ => return Err(fail(AppError::BadRequest("Unknown handling.".into()))),
    };
    projects::automation::handle(&svc, &user, id(&alert)?, how, &request_meta())
        .await
        .map_err(fail)
}
