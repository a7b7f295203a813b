//! Server functions. Each is a public POST endpoint: it finds out who is asking, checks what they
//! may do through `domain::server::guard`, and calls one `domain` function.

use domain::two_factor::{TotpSetup, TwoFactorStatus};
use domain::user::{
    AuditEntryView, ChainReport, MemberSummary, Membership, OutboxEmail, SessionUser, TeamSettings,
    UserSummary,
};
use domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::ssr::{current_user, fail, request_meta, services};
#[cfg(feature = "ssr")]
use domain::permissions::{Access, Resource};
#[cfg(feature = "ssr")]
use domain::roles::{PlatformRole, TenantRole};
#[cfg(feature = "ssr")]
use domain::server::{accounts, audit, guard, mail, tenants, two_factor};

/// The signed-in person, if any.
#[server(endpoint = "me")]
pub async fn get_current_user() -> Result<Option<SessionUser>, AppError> {
    current_user().await.map_err(fail)
}

/// Creates an account and signs in.
#[server(endpoint = "sign-up")]
pub async fn sign_up(
    email: String,
    password: String,
    display_name: String,
    next: Option<String>,
    joining: Option<String>,
) -> Result<(), AppError> {
    use domain::roles::PlatformRole;
    let svc = services()?;
    let role = match joining.as_deref() {
        Some("freelancer") => PlatformRole::Freelancer,
        _ => PlatformRole::Customer,
    };
    let auth = accounts::sign_up_as(
        &svc,
        &email,
        &password,
        &display_name,
        role,
        &request_meta(),
    )
    .await
    .map_err(fail)?;
    crate::ssr::start_session(&auth).await.map_err(fail)?;
    let next = match next.filter(|n| !n.is_empty()) {
        None if role == PlatformRole::Freelancer => "/talent".to_owned(),
        next => crate::ssr::safe_next(next),
    };
    leptos_axum::redirect(&next);
    Ok(())
}

/// Signs in with email and password. An account with two-factor sign-in goes on to the code
/// page; one whose role requires it but has not set it up goes to set it up.
#[server(endpoint = "sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let svc = services()?;
    let next = crate::ssr::safe_next(next);
    match accounts::sign_in(&svc, &email, &password, &request_meta())
        .await
        .map_err(fail)?
    {
        accounts::SignIn::Done(auth) => {
            crate::ssr::start_session(&auth).await.map_err(fail)?;
            leptos_axum::redirect(&crate::ssr::after_sign_in(&auth, &next));
        }
        accounts::SignIn::NeedsCode(pending) => {
            crate::ssr::start_pending_sign_in(pending)
                .await
                .map_err(fail)?;
            leptos_axum::redirect(&format!(
                "/signin/two-factor?next={}",
                crate::ssr::query_escape(&next)
            ));
        }
    }
    Ok(())
}

/// Finishes signing in with a code from the authenticator app or a recovery code.
#[server(endpoint = "sign-in/two-factor")]
pub async fn sign_in_two_factor(code: String, next: Option<String>) -> Result<(), AppError> {
    let svc = services()?;
    let pending = crate::ssr::pending_sign_in().await.map_err(fail)?;
    let auth = two_factor::complete_sign_in(&svc, &pending, &code, &request_meta())
        .await
        .map_err(fail)?;
    crate::ssr::start_session(&auth).await.map_err(fail)?;
    leptos_axum::redirect(&crate::ssr::safe_next(next));
    Ok(())
}

/// The signed-in person's two-factor state.
#[server(endpoint = "account/two-factor")]
pub async fn get_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::setting_up(user.as_ref()).map_err(fail)?;
    two_factor::status(&svc.db, user).await.map_err(fail)
}

/// Starts setting up an authenticator app: a new secret and its QR code.
#[server(endpoint = "account/two-factor/begin")]
pub async fn begin_two_factor() -> Result<TotpSetup, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::setting_up(user.as_ref()).map_err(fail)?;
    two_factor::begin_setup(&svc, user).await.map_err(fail)
}

/// Turns two-factor sign-in on with a first code; answers the recovery codes, shown once.
#[server(endpoint = "account/two-factor/confirm")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::setting_up(user.as_ref()).map_err(fail)?;
    two_factor::confirm_setup(&svc, user, &code, &request_meta())
        .await
        .map_err(fail)
}

/// Turns two-factor sign-in off (not for roles that require it).
#[server(endpoint = "account/two-factor/disable")]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::signed_in(user.as_ref()).map_err(fail)?;
    two_factor::disable(&svc, user, &password, &request_meta())
        .await
        .map_err(fail)
}

/// Replaces the recovery codes; answers the new ones, shown once.
#[server(endpoint = "account/two-factor/recovery-codes")]
pub async fn regenerate_recovery_codes(current_password: String) -> Result<Vec<String>, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::signed_in(user.as_ref()).map_err(fail)?;
    two_factor::regenerate_recovery_codes(&svc, user, &current_password, &request_meta())
        .await
        .map_err(fail)
}

/// Signs out.
#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    if let Some(user) = current_user().await.map_err(fail)? {
        accounts::sign_out(&services()?, &user, &request_meta())
            .await
            .map_err(fail)?;
    }
    crate::ssr::end_session().await.map_err(fail)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Changes the signed-in person's password.
#[server(endpoint = "change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let svc = services()?;
    let user = current_user()
        .await?
        .ok_or(AppError::Unauthorized)
        .map_err(fail)?;
    let fp = accounts::change_password(
        &svc,
        &user,
        &current_password,
        &new_password,
        &request_meta(),
    )
    .await
    .map_err(fail)?;
    crate::ssr::refresh_session_fingerprint(user.id, fp)
        .await
        .map_err(fail)
}

/// Emails a reset link if the account exists; answers the same either way.
#[server(endpoint = "forgot-password")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    accounts::request_password_reset(&services()?, &email, &request_meta())
        .await
        .map_err(fail)
}

/// Sets a new password from a reset link, then sends the person to sign in.
#[server(endpoint = "reset-password")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AppError> {
    accounts::reset_password(&services()?, &token, &new_password, &request_meta())
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/signin?reset=done");
    Ok(())
}

/// What the admin panel shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminData {
    /// Newest users.
    pub users: Vec<UserSummary>,
    /// Newest audit entries.
    pub audit: Vec<AuditEntryView>,
    /// Newest emails.
    pub outbox: Vec<OutboxEmail>,
}

/// The admin panel's data (platform ADMIN only).
#[server(endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<AdminData, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    guard::platform(user.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    Ok(AdminData {
        users: accounts::list_users(&svc.db, 200).await.map_err(fail)?,
        audit: audit::recent(&svc.db, audit::AuditScope::Platform, 50)
            .await
            .map_err(fail)?,
        outbox: mail::recent(&svc.db, 20).await.map_err(fail)?,
    })
}

/// Changes a user's platform role (platform ADMIN only).
#[server(endpoint = "admin/set-role")]
pub async fn set_user_role(user_id: String, role: String) -> Result<(), AppError> {
    let svc = services()?;
    let current = current_user().await?;
    let admin = guard::platform(current.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    let user = user_id
        .parse()
        .map_err(|_| fail(AppError::field("user_id", "Unknown user.")))?;
    let role: PlatformRole = role
        .parse()
        .map_err(|_| fail(AppError::field("role", "Choose a role from the list.")))?;
    accounts::set_role(&svc, admin, user, role, &request_meta())
        .await
        .map_err(fail)
}

/// Checks the whole audit chain (platform ADMIN only).
#[server(endpoint = "admin/verify-audit")]
pub async fn verify_audit_chain() -> Result<ChainReport, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    guard::platform(user.as_ref(), &[PlatformRole::Admin]).map_err(fail)?;
    audit::verify(&svc.db).await.map_err(fail)
}

/// The teams the signed-in person belongs to.
#[server(endpoint = "teams/mine")]
pub async fn my_teams() -> Result<Vec<Membership>, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::signed_in(user.as_ref()).map_err(fail)?;
    tenants::memberships(&svc.db, user.id).await.map_err(fail)
}

/// What a member sees on a team's page: each part only when their role may read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamData {
    /// The team.
    pub team: Membership,
    /// Members, when the role may read SDRs.
    pub members: Option<Vec<MemberSummary>>,
    /// Settings, when the role may read them.
    pub settings: Option<TeamSettings>,
    /// Recent audit entries, when the role may read the audit trail.
    pub audit: Option<Vec<AuditEntryView>>,
}

/// The team overview (any member; each part by the permission matrix).
#[server(endpoint = "teams/overview")]
pub async fn team_overview(slug: String) -> Result<TeamData, AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user = guard::signed_in(user.as_ref()).map_err(fail)?;
    let team = tenants::membership(&svc.db, user.id, &slug)
        .await
        .map_err(fail)?
        .ok_or(AppError::NotFound)
        .map_err(fail)?;
    let can = |r| domain::permissions::allowed(team.role, r, Access::Read).is_some();
    let members = if can(Resource::Sdrs) {
        Some(
            tenants::members(&svc.db, team.tenant_id)
                .await
                .map_err(fail)?,
        )
    } else {
        None
    };
    let settings = if can(Resource::Settings) {
        Some(
            tenants::settings(&svc.db, team.tenant_id)
                .await
                .map_err(fail)?,
        )
    } else {
        None
    };
    let audit = if can(Resource::Audit) {
        Some(
            audit::recent(&svc.db, audit::AuditScope::Tenant(team.tenant_id), 20)
                .await
                .map_err(fail)?,
        )
    } else {
        None
    };
    Ok(TeamData {
        team,
        members,
        settings,
        audit,
    })
}

/// Updates a team's settings (Settings: write).
#[server(endpoint = "teams/settings")]
pub async fn update_team_settings(
    slug: String,
    default_country: String,
    timezone: String,
) -> Result<(), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let grant = guard::tenant(
        &svc.db,
        user.as_ref(),
        &slug,
        Resource::Settings,
        Access::Write,
    )
    .await
    .map_err(fail)?;
    let user = guard::signed_in(user.as_ref())?;
    let new = TeamSettings {
        default_country,
        timezone,
    };
    tenants::update_settings(&svc, user, grant.tenant, &new, &request_meta())
        .await
        .map_err(fail)
}

/// Sets a member's role (SDRs: manage).
#[server(endpoint = "teams/member-role")]
pub async fn set_member_role(slug: String, user_id: String, role: String) -> Result<(), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let grant = guard::tenant(
        &svc.db,
        user.as_ref(),
        &slug,
        Resource::Sdrs,
        Access::Manage,
    )
    .await
    .map_err(fail)?;
    let actor = guard::signed_in(user.as_ref())?;
    let member = user_id
        .parse()
        .map_err(|_| fail(AppError::field("user_id", "Unknown member.")))?;
    let role: TenantRole = role
        .parse()
        .map_err(|_| fail(AppError::field("role", "Choose a role from the list.")))?;
    tenants::set_member(&svc, actor, grant.tenant, member, role, &request_meta())
        .await
        .map_err(fail)
}
