//! The inbox's server functions: each checks that the asker is a member of the team who may read
//! leads, then calls one `domain::server::leads` function, which applies the rest of the rules
//! (an SDR sees and works only their own conversations; managers and up assign).

use domain::leads::inbox::{Conversation, ConversationRow, InboxHome};
use domain::leads::reply::ChannelsPage;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::projects::api::{id, json, signed_in};
#[cfg(feature = "ssr")]
use crate::ssr::fail;
#[cfg(feature = "ssr")]
use domain::server::leads::{inbox, replies, routing};

/// The services, the asker, and what they may do in the team `slug` (a member whose role allows
/// `access` to `resource`).
#[cfg(feature = "ssr")]
pub(crate) async fn member_for(
    slug: &str,
    resource: domain::permissions::Resource,
    access: domain::permissions::Access,
) -> Result<
    (
        domain::server::Services,
        domain::user::SessionUser,
        domain::server::guard::TenantGrant,
    ),
    AppError,
> {
    let (svc, user) = signed_in().await?;
    let grant = domain::server::guard::tenant(&svc.db, Some(&user), slug, resource, access)
        .await
        .map_err(fail)?;
    Ok((svc, user, grant))
}

/// A member of the team `slug` who may read its leads.
#[cfg(feature = "ssr")]
pub(crate) async fn member(
    slug: &str,
) -> Result<
    (
        domain::server::Services,
        domain::user::SessionUser,
        domain::server::guard::TenantGrant,
    ),
    AppError,
> {
    use domain::permissions::{Access, Resource};
    member_for(slug, Resource::Leads, Access::Read).await
}

/// The inbox's frame: the team, and what the asker sees.
#[server(endpoint = "inbox/home")]
pub async fn inbox_frame(slug: String) -> Result<InboxHome, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    inbox::home(&svc, &grant, user.id).await.map_err(fail)
}

/// The conversations that match `filter` (an `InboxFilter` as JSON).
#[server(endpoint = "inbox/list")]
pub async fn inbox_list(slug: String, filter: String) -> Result<Vec<ConversationRow>, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    let filter = json("filter", &filter)?;
    inbox::list(&svc, &grant, user.id, &filter)
        .await
        .map_err(fail)
}

/// One conversation, marked read for the asker.
#[server(endpoint = "inbox/conversation")]
pub async fn inbox_conversation(slug: String, lead: String) -> Result<Conversation, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    inbox::conversation(&svc, &grant, user.id, id(&lead)?)
        .await
        .map_err(fail)
}

/// Resolves (`resolved`) or reopens (`open`) a conversation.
#[server(endpoint = "inbox/status")]
pub async fn inbox_set_status(slug: String, lead: String, status: String) -> Result<(), AppError> {
    let (svc, user, grant) = member(&slug).await?;
    let status = domain::leads::inbox::ConversationStatus::parse(&status)
        .ok_or_else(|| fail(AppError::BadRequest("Unknown status.".into())))?;
    inbox::set_status(&svc, &grant, user.id, id(&lead)?, status)
        .await
        .map_err(fail)
}

/// Moves a lead to another stage (`contacted`, `engaged`, `qualified`, `proposal`, `won`,
/// `lost`).
#[server(endpoint = "inbox/stage")]
pub async fn inbox_set_stage(slug: String, lead: String, stage: String) -> Result<(), AppError> {
    let (svc, user, grant) = member(&slug).await?;
    inbox::set_stage(&svc, &grant, user.id, id(&lead)?, &stage)
        .await
        .map_err(fail)
}

/// Sets a conversation's tags (comma-separated).
#[server(endpoint = "inbox/tags")]
pub async fn inbox_set_tags(
    slug: String,
    lead: String,
    tags: String,
) -> Result<Vec<String>, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    inbox::set_tags(&svc, &grant, user.id, id(&lead)?, &tags)
        .await
        .map_err(fail)
}

/// Adds a private note.
#[server(endpoint = "inbox/note")]
pub async fn inbox_add_note(slug: String, lead: String, note: String) -> Result<(), AppError> {
    let (svc, user, grant) = member(&slug).await?;
    inbox::add_note(&svc, &grant, user.id, id(&lead)?, &note)
        .await
        .map_err(fail)
}

/// Gives a conversation to an SDR (`assignee`: their id), or back to the queue (empty).
#[server(endpoint = "inbox/assign")]
pub async fn inbox_assign(slug: String, lead: String, assignee: String) -> Result<(), AppError> {
    let (svc, user, grant) = member(&slug).await?;
    let to = match assignee.trim() {
        "" => None,
        s => Some(domain::types::UserId(id(s)?)),
    };
    inbox::assign(&svc, &grant, user.id, id(&lead)?, to)
        .await
        .map_err(fail)
}

/// An SDR goes online (takes HOT leads) or offline.
#[server(endpoint = "inbox/online")]
pub async fn inbox_set_online(slug: String, online: bool) -> Result<(), AppError> {
    let (svc, user, grant) = member(&slug).await?;
    routing::set_online(&svc, grant.tenant, user.id, online)
        .await
        .map_err(fail)
}

/// Sends a reply (`compose`: a `Compose` as JSON) to the lead on `channel`; answers the
/// message's id. It shows at once as queued and goes out from the worker.
#[server(endpoint = "inbox/reply")]
pub async fn inbox_reply(
    slug: String,
    lead: String,
    channel: String,
    compose: String,
) -> Result<String, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    let compose = json("compose", &compose)?;
    replies::send(&svc, &grant, user.id, id(&lead)?, id(&channel)?, &compose)
        .await
        .map(|m| m.to_string())
        .map_err(fail)
}

/// Where files are sent from the composer (the server allows this path a larger body).
pub const FILE_REPLY_PATH: &str = "/api/inbox/reply/file";

/// Sends a file to the lead: a form with `slug`, `lead`, `channel`, `caption` and `file`.
/// Answers the message's id; like a text, it shows at once as queued and goes out from the
/// worker.
#[server(endpoint = "inbox/reply/file", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn inbox_file(data: leptos::server_fn::codec::MultipartData) -> Result<String, AppError> {
    use domain::server::projects::workspace::unreadable_upload;
    let mut up = crate::ssr::read_upload(data, domain::leads::attachment::ATTACHMENT_MAX)
        .await
        .map_err(|e| fail(unreadable_upload(e)))?;
    let mut field = |name: &str| up.fields.remove(name).unwrap_or_default();
    let (slug, lead, channel, caption) = (
        field("slug"),
        field("lead"),
        field("channel"),
        field("caption"),
    );
    let (svc, user, grant) = member(&slug).await?;
    let Some((name, bytes)) = up.chosen_file() else {
        return Err(fail(AppError::field("file", "Choose the file to send.")));
    };
    let file = replies::FileReply {
        name,
        bytes,
        caption,
    };
    replies::send_file(&svc, &grant, user.id, id(&lead)?, id(&channel)?, &file)
        .await
        .map(|m| m.to_string())
        .map_err(fail)
}

/// A member of the team `slug` who may read its settings (whoever reads settings also reads their
/// infrastructure part: whether tokens are stored, never the tokens).
#[cfg(feature = "ssr")]
async fn settings_member(
    slug: &str,
) -> Result<(domain::server::Services, domain::server::guard::TenantGrant), AppError> {
    use domain::permissions::{Access, Resource};
    let (svc, _, grant) = member_for(slug, Resource::Infrastructure, Access::Read).await?;
    Ok((svc, grant))
}

/// The team's channels, their templates, and the canned responses.
#[server(endpoint = "channels/page")]
pub async fn team_channels(slug: String) -> Result<ChannelsPage, AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::channels_page(&svc, &grant).await.map_err(fail)
}

/// Connects a channel to the team: its kind, the id that routes its messages (or the email
/// address), and a name.
#[server(endpoint = "channels/connect")]
pub async fn channel_connect(
    slug: String,
    kind: String,
    external_id: String,
    name: String,
) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::connect(&svc, &grant, &kind, &external_id, &name)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Stores a channel's access token for sending (empty: removes it).
#[server(endpoint = "channels/token")]
pub async fn channel_set_token(
    slug: String,
    channel: String,
    token: String,
) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::set_token(&svc, &grant, id(&channel)?, &token)
        .await
        .map_err(fail)
}

/// Turns the human-agent tag on or off (Messenger and Instagram).
#[server(endpoint = "channels/human-agent")]
pub async fn channel_set_human_agent(
    slug: String,
    channel: String,
    on: bool,
) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::set_human_agent(&svc, &grant, id(&channel)?, on)
        .await
        .map_err(fail)
}

/// Adds a template to a WhatsApp channel.
#[server(endpoint = "channels/template")]
pub async fn channel_add_template(
    slug: String,
    channel: String,
    name: String,
    language: String,
    category: String,
    body: String,
) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    let spec = domain::leads::reply::TemplateSpec {
        name,
        language,
        category,
        body,
    };
    replies::add_template(&svc, &grant, id(&channel)?, &spec)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Removes a template.
#[server(endpoint = "channels/template-remove")]
pub async fn channel_remove_template(slug: String, template: String) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::remove_template(&svc, &grant, id(&template)?)
        .await
        .map_err(fail)
}

/// Adds a canned response.
#[server(endpoint = "channels/canned")]
pub async fn canned_add(slug: String, title: String, body: String) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::add_canned(&svc, &grant, &title, &body)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Removes a canned response.
#[server(endpoint = "channels/canned-remove")]
pub async fn canned_remove(slug: String, canned: String) -> Result<(), AppError> {
    let (svc, grant) = settings_member(&slug).await?;
    replies::remove_canned(&svc, &grant, id(&canned)?)
        .await
        .map_err(fail)
}
