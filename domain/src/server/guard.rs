//! The one typed guard every server function and endpoint goes through.

use sqlx::PgPool;

use super::tenants;
use crate::permissions::{allowed, Access, Resource, Scope};
use crate::roles::{PlatformRole, TenantRole};
use crate::types::TenantId;
use crate::user::SessionUser;
use crate::AppError;

/// Requires someone to be signed in.
pub fn signed_in(user: Option<&SessionUser>) -> Result<&SessionUser, AppError> {
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
}
