//! The one typed guard every server function and endpoint goes through.

use sqlx::PgPool;

use super::tenants;
use crate::permissions::{allowed, Access, Resource, Scope};
use crate::roles::{PlatformRole, TenantRole};
use crate::types::TenantId;
use crate::user::SessionUser;
use crate::AppError;

/// Requires someone to be signed in whose account is in order: a person whose role requires
/// two-factor sign-in gets nothing but [`setting_up`] until they have turned it on.
pub fn signed_in(user: Option<&SessionUser>) -> Result<&SessionUser, AppError> {
    let user = setting_up(user)?;
    if user.must_set_up_two_factor {
        return Err(AppError::TwoFactorSetupRequired);
    }
    Ok(user)
}

/// Requires someone to be signed in, whether or not they still have to set up two-factor
/// sign-in: for their account page and the two-factor set-up itself.
pub fn setting_up(user: Option<&SessionUser>) -> Result<&SessionUser, AppError> {
    user.ok_or(AppError::Unauthorized)
}

/// Requires a signed-in person with one of `roles` as their platform role.
pub fn platform<'a>(
    user: Option<&'a SessionUser>,
    roles: &[PlatformRole],
) -> Result<&'a SessionUser, AppError> {
    let user = signed_in(user)?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// What a checked tenant request may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantGrant {
    /// The tenant.
    pub tenant: TenantId,
    /// The asker's role there.
    pub role: TenantRole,
    /// Which rows.
    pub scope: Scope,
}

/// Requires a signed-in member of the tenant with `slug` whose role allows `access` to
/// `resource`. A non-member gets `NotFound`, so tenant names do not leak.
pub async fn tenant(
    pool: &PgPool,
    user: Option<&SessionUser>,
    slug: &str,
    resource: Resource,
    access: Access,
) -> Result<TenantGrant, AppError> {
    let user = signed_in(user)?;
    let m = tenants::membership(pool, user.id, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = allowed(m.role, resource, access).ok_or(AppError::Forbidden)?;
    Ok(TenantGrant {
        tenant: m.tenant_id,
        role: m.role,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::UserId;

    fn user(role: PlatformRole) -> SessionUser {
        SessionUser {
            id: UserId(uuid::Uuid::nil()),
            email: "a@example.com".into(),
            display_name: "A".into(),
            role,
            must_set_up_two_factor: false,
        }
    }

    #[test]
    fn platform_guard() {
        assert_eq!(
            platform(None, &[PlatformRole::Admin]).unwrap_err(),
            AppError::Unauthorized
        );
        let c = user(PlatformRole::Customer);
        assert_eq!(
            platform(Some(&c), &[PlatformRole::Admin]).unwrap_err(),
            AppError::Forbidden
        );
        let a = user(PlatformRole::Admin);
        assert!(platform(Some(&a), &[PlatformRole::Admin]).is_ok());
    }

    #[test]
    fn two_factor_set_up_comes_first() {
        let mut a = user(PlatformRole::Admin);
        a.must_set_up_two_factor = true;
        assert_eq!(
            platform(Some(&a), &[PlatformRole::Admin]).unwrap_err(),
            AppError::TwoFactorSetupRequired
        );
        assert_eq!(
            signed_in(Some(&a)).unwrap_err(),
            AppError::TwoFactorSetupRequired
        );
        assert!(setting_up(Some(&a)).is_ok());
        assert_eq!(setting_up(None).unwrap_err(), AppError::Unauthorized);
    }
}
