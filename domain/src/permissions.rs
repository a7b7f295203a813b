//! The tenant permission matrix: which tenant role may do what to which resource.
//!
//! | Role | Leads | SDRs | Settings | Billing | Audit |
//! |---|---|---|---|---|---|
//! | OWNER, ADMIN | full | full | full | full | full |
//! | MANAGER | read/write | read | read | read | full |
//! | SDR | read, assigned only | — | — | — | — |
//! | PRODUCT | read | — | read/write | — | read |
//! | DEVOPS | — | — | infrastructure | — | logs |
//! | AUDITOR | read | — | — | — | full |
//! | READONLY | read | — | — | — | — |
//!
//! DEVOPS's "infrastructure" and "logs" are the [`Resource::Infrastructure`] part of settings and
//! the [`Resource::Logs`] part of audit. Roles with Settings access also read Infrastructure;
//! roles with Audit access also read Logs.

use serde::{Deserialize, Serialize};

use crate::roles::TenantRole;

/// What a tenant owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Resource {
    /// Leads and their conversations.
    Leads,
    /// The team's SDRs: members, capacity, assignment rules.
    Sdrs,
    /// Tenant settings (name, country, hours, channels).
    Settings,
    /// Infrastructure settings (integrations, webhooks, keys): part of settings.
    Infrastructure,
    /// Plans, credits, invoices.
    Billing,
    /// The audit trail.
    Audit,
    /// Operational logs (webhook deliveries, job runs): part of audit.
    Logs,
}

impl Resource {
    /// Every resource.
    pub const ALL: &'static [Self] = &[
        Self::Leads,
        Self::Sdrs,
        Self::Settings,
        Self::Infrastructure,
        Self::Billing,
        Self::Audit,
        Self::Logs,
    ];
}

/// What someone wants to do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Access {
    /// Look.
    Read,
    /// Create and change.
    Write,
    /// Delete, export, configure, assign: everything.
    Manage,
}

impl Access {
    /// Every access level.
    pub const ALL: &'static [Self] = &[Self::Read, Self::Write, Self::Manage];
}

/// How much of a resource an allowed request may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every row of the tenant.
    All,
    /// Only rows assigned to the asking member.
    AssignedOnly,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    None,
    ReadAssigned,
    Read,
    ReadWrite,
    Full,
}

fn grant(role: TenantRole, resource: Resource) -> Grant {
    use Grant::*;
    use Resource as R;
    use TenantRole as T;
    match (role, resource) {
        (T::Owner | T::Admin, _) => Full,

        (T::Manager, R::Leads) => ReadWrite,
        (T::Manager, R::Sdrs | R::Settings | R::Infrastructure | R::Billing) => Read,
        (T::Manager, R::Audit | R::Logs) => Full,

        (T::Sdr, R::Leads) => ReadAssigned,
        (T::Sdr, _) => None,

        (T::Product, R::Leads) => Read,
        (T::Product, R::Settings) => ReadWrite,
        (T::Product, R::Infrastructure | R::Audit | R::Logs) => Read,
        (T::Product, R::Sdrs | R::Billing) => None,

        (T::Devops, R::Infrastructure) => ReadWrite,
        (T::Devops, R::Logs) => Read,
        (T::Devops, _) => None,

        (T::Auditor, R::Leads) => Read,
        (T::Auditor, R::Audit | R::Logs) => Full,
        (T::Auditor, _) => None,

        (T::Readonly, R::Leads) => Read,
        (T::Readonly, _) => None,
    }
}

/// Whether `role` may do `access` to `resource`, and over which rows. `None` means denied.
pub fn allowed(role: TenantRole, resource: Resource, access: Access) -> Option<Scope> {
    match (grant(role, resource), access) {
        (Grant::None, _) => None,
        (Grant::ReadAssigned, Access::Read) => Some(Scope::AssignedOnly),
        (Grant::ReadAssigned, _) => None,
        (Grant::Read, Access::Read) => Some(Scope::All),
        (Grant::Read, _) => None,
        (Grant::ReadWrite, Access::Read | Access::Write) => Some(Scope::All),
        (Grant::ReadWrite, Access::Manage) => None,
        (Grant::Full, _) => Some(Scope::All),
    }
}

/// Whether the tenant role must use two-factor sign-in.
pub fn requires_two_factor(role: TenantRole) -> bool {
    matches!(
        role,
        TenantRole::Owner | TenantRole::Admin | TenantRole::Manager
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::*;
    use Resource::*;
    use TenantRole::*;

    /// The matrix written out as the product spec states it; every cell is checked.
    #[test]
    fn matrix_matches_the_spec_for_every_cell() {
        let all = Some(Scope::All);
        let cases: &[(TenantRole, Resource, [Option<Scope>; 3])] = &[
            (Manager, Leads, [all, all, None]),
            (Manager, Sdrs, [all, None, None]),
            (Manager, Settings, [all, None, None]),
            (Manager, Billing, [all, None, None]),
            (Manager, Audit, [all, all, all]),
            (Sdr, Leads, [Some(Scope::AssignedOnly), None, None]),
            (Sdr, Sdrs, [None, None, None]),
            (Sdr, Settings, [None, None, None]),
            (Sdr, Billing, [None, None, None]),
            (Sdr, Audit, [None, None, None]),
            (Product, Leads, [all, None, None]),
            (Product, Sdrs, [None, None, None]),
            (Product, Settings, [all, all, None]),
            (Product, Billing, [None, None, None]),
            (Product, Audit, [all, None, None]),
            (Devops, Leads, [None, None, None]),
            (Devops, Sdrs, [None, None, None]),
            (Devops, Settings, [None, None, None]),
            (Devops, Infrastructure, [all, all, None]),
            (Devops, Billing, [None, None, None]),
            (Devops, Audit, [None, None, None]),
            (Devops, Logs, [all, None, None]),
            (Auditor, Leads, [all, None, None]),
            (Auditor, Sdrs, [None, None, None]),
            (Auditor, Settings, [None, None, None]),
            (Auditor, Billing, [None, None, None]),
            (Auditor, Audit, [all, all, all]),
            (Readonly, Leads, [all, None, None]),
            (Readonly, Sdrs, [None, None, None]),
            (Readonly, Settings, [None, None, None]),
            (Readonly, Billing, [None, None, None]),
            (Readonly, Audit, [None, None, None]),
        ];
        for (role, resource, expected) in cases {
            for (access, want) in Access::ALL.iter().zip(expected) {
                assert_eq!(
                    allowed(*role, *resource, *access),
                    *want,
                    "{role:?} {access:?} {resource:?}"
                );
            }
        }
    }

    #[test]
    fn owner_and_admin_have_everything() {
        for role in [Owner, Admin] {
            for r in Resource::ALL {
                for a in Access::ALL {
                    assert_eq!(allowed(role, *r, *a), Some(Scope::All));
                }
            }
        }
    }

    #[test]
    fn write_always_implies_read() {
        for role in TenantRole::ALL {
            for r in Resource::ALL {
                if allowed(*role, *r, Manage).is_some() {
                    assert!(allowed(*role, *r, Write).is_some());
                }
                if allowed(*role, *r, Write).is_some() {
                    assert!(allowed(*role, *r, Read).is_some());
                }
            }
        }
    }

    #[test]
    fn two_factor_roles() {
        assert!(requires_two_factor(Owner));
        assert!(requires_two_factor(Manager));
        assert!(!requires_two_factor(Sdr));
    }
}
