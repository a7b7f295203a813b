//! What the browser may know about the signed-in person and their teams.

use serde::{Deserialize, Serialize};

use crate::roles::{PlatformRole, TenantRole};
use crate::types::{TenantId, UserId};

/// The signed-in person, as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// Their id.
    pub id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub display_name: String,
    /// Their platform role.
    pub role: PlatformRole,
    /// Their roles require two-factor sign-in and it is not on yet: until it is, the guard lets
    /// them do nothing but set it up.
    pub must_set_up_two_factor: bool,
}

impl SessionUser {
    /// Whether this person may open the admin panel.
    pub fn is_admin(&self) -> bool {
        self.role == PlatformRole::Admin
    }
}

/// One team the person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The tenant's id.
    pub tenant_id: TenantId,
    /// The tenant's slug, for URLs.
    pub slug: String,
    /// The tenant's name.
    pub name: String,
    /// The person's role there.
    pub role: TenantRole,
}

/// A user as the admin panel lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    /// Their id.
    pub id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub display_name: String,
    /// Their platform role.
    pub role: PlatformRole,
    /// Whether they sign in with a second factor.
    pub two_factor: bool,
    /// When they signed up (RFC 3339).
    pub created_at: String,
}

/// A tenant member as the team page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    /// Their user id.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub display_name: String,
    /// Their role in the tenant.
    pub role: TenantRole,
}

/// One audit entry as shown to people allowed to read the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    /// Position in the chain.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// What happened (`auth.sign_in`, …).
    pub action: String,
    /// Who did it (email when still known, else the id).
    pub actor: Option<String>,
    /// What it was done to.
    pub target: Option<String>,
    /// The client address, when still kept.
    pub ip: Option<String>,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// How many entries were checked.
    pub checked: i64,
    /// The first entry whose link or content does not verify, if any.
    pub first_broken: Option<i64>,
}

/// An email in the outbox, for admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was queued (RFC 3339).
    pub created_at: String,
    /// `outbox` (kept here) or `smtp` (sent).
    pub transport: String,
}

/// A team's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSettings {
    /// Default country for phone numbers (ISO 3166 alpha-2).
    pub default_country: String,
    /// IANA time zone.
    pub timezone: String,
}
