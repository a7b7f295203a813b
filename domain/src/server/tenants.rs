//! Tenants (sales teams and stores) and their members. Tenant-owned rows are read inside a
//! transaction that names the tenant, so row-level security is the floor under every query.

use serde_json::json;
use sqlx::PgPool;

use super::audit::{self, AuditEvent};
use super::{db, RequestMeta, Services};
use crate::roles::TenantRole;
use crate::types::{Slug, TenantId, UserId};
use crate::user::{MemberSummary, Membership, SessionUser, TeamSettings};
use crate::AppError;

fn parse_role(s: &str) -> Result<TenantRole, AppError> {
    s.parse().map_err(|_| {
        tracing::error!(role = s, "unknown tenant role in database");
        AppError::Internal
    })
}

/// The kind of tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantKind {
    /// A sales team using the inbox and lead engine.
    SalesTeam,
    /// A store selling services and products.
    Store,
}

impl TenantKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::SalesTeam => "SALES_TEAM",
            Self::Store => "STORE",
        }
    }
}

/// Creates a tenant with `owner` as its OWNER.
pub async fn create(
    svc: &Services,
    owner: &SessionUser,
    slug: &Slug,
    name: &str,
    kind: TenantKind,
    meta: &RequestMeta,
) -> Result<TenantId, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::field("name", "Use 1–120 characters."));
    }
    let id = TenantId::new();
    let mut tx = db::tenant_tx(&svc.db, id).await?;
    let inserted = sqlx::query!(
        "INSERT INTO tenants (id, slug, name, kind) VALUES ($1, $2, $3, $4)",
        id.0,
        slug.as_str(),
        name,
        kind.as_str()
    )
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(e)) = &inserted {
        if e.constraint() == Some("tenants_slug_key") {
            return Err(AppError::field(
                "slug",
                "That address is taken. Choose another.",
            ));
        }
    }
    inserted?;
    sqlx::query!("INSERT INTO tenant_settings (tenant_id) VALUES ($1)", id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'OWNER')",
        id.0,
        owner.id.0
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::new("tenant.created")
            .tenant(id)
            .actor(owner.id)
            .email(&owner.email)
            .target(format!("tenant:{}", slug.as_str())),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds `user` to `tenant` with `role`, or changes their role.
pub async fn set_member(
    svc: &Services,
    actor: &SessionUser,
    tenant: TenantId,
    user: UserId,
    role: TenantRole,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    sqlx::query!(
        "INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role",
        tenant.0,
        user.0,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::new("tenant.member_role_set")
            .tenant(tenant)
            .actor(actor.id)
            .email(&actor.email)
            .target(format!("user:{user}"))
            .details(json!({ "role": role.as_str() })),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::events::publish(svc, user, super::events::UserEventKind::RoleChanged).await;
    Ok(())
}

/// The teams `user` belongs to.
pub async fn memberships(pool: &PgPool, user: UserId) -> Result<Vec<Membership>, AppError> {
    let mut tx = db::user_tx(pool, user).await?;
    let rows = sqlx::query!(
        "SELECT t.id, t.slug, t.name, m.role FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = $1 ORDER BY t.name",
        user.0
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(Membership {
                tenant_id: TenantId(r.id),
                slug: r.slug,
                name: r.name,
                role: parse_role(&r.role)?,
            })
        })
        .collect()
}

/// `user`'s membership in the tenant with `slug`, if any.
pub async fn membership(
    pool: &PgPool,
    user: UserId,
    slug: &str,
) -> Result<Option<Membership>, AppError> {
    let mut tx = db::user_tx(pool, user).await?;
    let row = sqlx::query!(
        "SELECT t.id, t.slug, t.name, m.role FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = $1 AND t.slug = $2",
        user.0,
        slug
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|r| {
        Ok(Membership {
            tenant_id: TenantId(r.id),
            slug: r.slug,
            name: r.name,
            role: parse_role(&r.role)?,
        })
    })
    .transpose()
}

/// The members of a tenant.
pub async fn members(pool: &PgPool, tenant: TenantId) -> Result<Vec<MemberSummary>, AppError> {
    let mut tx = db::tenant_tx(pool, tenant).await?;
    let rows = sqlx::query!(
        "SELECT u.id, u.email, u.display_name, m.role FROM tenant_members m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = $1 ORDER BY u.display_name",
        tenant.0
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(MemberSummary {
                user_id: UserId(r.id),
                email: r.email,
                display_name: r.display_name,
                role: parse_role(&r.role)?,
            })
        })
        .collect()
}

/// Reads a tenant's settings.
pub async fn settings(pool: &PgPool, tenant: TenantId) -> Result<TeamSettings, AppError> {
    let mut tx = db::tenant_tx(pool, tenant).await?;
    let r = sqlx::query!(
        "SELECT default_country, timezone FROM tenant_settings WHERE tenant_id = $1",
        tenant.0
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(TeamSettings {
        default_country: r.default_country,
        timezone: r.timezone,
    })
}

/// Updates a tenant's settings.
pub async fn update_settings(
    svc: &Services,
    actor: &SessionUser,
    tenant: TenantId,
    new: &TeamSettings,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let country = new.default_country.trim().to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::field(
            "default_country",
            "Use a two-letter country code, like US or IN.",
        ));
    }
    let tz = new.timezone.trim();
    if tz.is_empty() || tz.len() > 64 {
        return Err(AppError::field(
            "timezone",
            "Enter a time zone, like Asia/Kolkata.",
        ));
    }
    if jiff::tz::TimeZone::get(tz).is_err() {
        return Err(AppError::field(
            "timezone",
            format!(
                "“{tz}” is not a time zone we know; write it like Asia/Kolkata or Europe/London."
            ),
        ));
    }
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    sqlx::query!(
        "UPDATE tenant_settings SET default_country = $2, timezone = $3 WHERE tenant_id = $1",
        tenant.0,
        country,
        tz
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::new("tenant.settings_updated")
            .tenant(tenant)
            .actor(actor.id)
            .email(&actor.email)
            .details(json!({"default_country": country, "timezone": tz})),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
