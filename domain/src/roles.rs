//! Platform roles (what a person is on Fluxorae) and tenant roles (what they are in a team).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::types::ParseError;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Self::$variant),)+ _ => Err(ParseError("Unknown role.")) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a person is on the platform.
    PlatformRole {
        /// Buys services and products, runs projects.
        Customer => "CUSTOMER",
        /// Delivers project work.
        Freelancer => "FREELANCER",
        /// Gives paid consultations.
        Expert => "EXPERT",
        /// Fluxorae staff: PM, QA, ops.
        Employee => "EMPLOYEE",
        /// Edits the marketing site.
        ContentEditor => "CONTENT_EDITOR",
        /// Runs the platform.
        Admin => "ADMIN",
    }
);

text_enum!(
    /// What a member is inside a tenant (a sales team or a store).
    TenantRole {
        /// Created the tenant; everything.
        Owner => "OWNER",
        /// Everything.
        Admin => "ADMIN",
        /// Runs the team.
        Manager => "MANAGER",
        /// Works assigned leads.
        Sdr => "SDR",
        /// Shapes the product and its settings.
        Product => "PRODUCT",
        /// Keeps the infrastructure running.
        Devops => "DEVOPS",
        /// Reads for compliance.
        Auditor => "AUDITOR",
        /// Looks only.
        Readonly => "READONLY",
    }
);

impl PlatformRole {
    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Freelancer => "Freelancer",
            Self::Expert => "Expert",
            Self::Employee => "Employee",
            Self::ContentEditor => "Content editor",
            Self::Admin => "Admin",
        }
    }
}

impl TenantRole {
    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Manager => "Manager",
            Self::Sdr => "SDR",
            Self::Product => "Product",
            Self::Devops => "DevOps",
            Self::Auditor => "Auditor",
            Self::Readonly => "Read-only",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_as_text() {
        for r in PlatformRole::ALL {
            assert_eq!(r.as_str().parse::<PlatformRole>().unwrap(), *r);
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        for r in TenantRole::ALL {
            assert_eq!(r.as_str().parse::<TenantRole>().unwrap(), *r);
        }
        assert!("SUPERUSER".parse::<PlatformRole>().is_err());
    }
}
