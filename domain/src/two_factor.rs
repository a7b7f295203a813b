//! Two-factor sign-in: who must use it, and how a typed code is read. Shared by the browser and
//! the server; the server side (secrets, verification, recovery codes) is in
//! `server::two_factor`.
//!
//! Codes are TOTP (RFC 6238): HMAC-SHA1, 6 digits, a 30-second step, one step of clock drift
//! either way. Recovery codes are ten characters from an alphabet without look-alikes, shown as
//! `xxxxx-xxxxx`; each works once.

use serde::{Deserialize, Serialize};

use crate::roles::{PlatformRole, TenantRole};

/// Seconds per TOTP step.
pub const STEP_SECS: u64 = 30;
/// Digits in a TOTP code.
pub const DIGITS: usize = 6;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters in a recovery code (without the dash).
pub const RECOVERY_CODE_LEN: usize = 10;
/// The recovery-code alphabet: lower-case letters and digits without 0/o, 1/l/i.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Whether a person with these roles must use two-factor sign-in: platform ADMINs, and the
/// OWNERs, ADMINs and MANAGERs of any tenant. Everyone else may turn it on.
pub fn required(platform: PlatformRole, tenant_roles: &[TenantRole]) -> bool {
    platform == PlatformRole::Admin
        || tenant_roles.iter().any(|r| {
            matches!(
                r,
                TenantRole::Owner | TenantRole::Admin | TenantRole::Manager
            )
        })
}

/// A second factor as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// A 6-digit code from an authenticator app.
    Totp(String),
    /// A recovery code, normalised (lower case, no dash or spaces).
    Recovery(String),
}

/// What to tell someone whose code cannot be read.
pub const CODE_HELP: &str =
    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.";

/// Reads a typed code: spaces and dashes are ignored, case does not matter.
pub fn parse_code(input: &str) -> Result<SecondFactor, &'static str> {
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_lowercase();
    if cleaned.len() == DIGITS && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(SecondFactor::Totp(cleaned));
    }
    if cleaned.len() == RECOVERY_CODE_LEN && cleaned.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
    {
        return Ok(SecondFactor::Recovery(cleaned));
    }
    Err(CODE_HELP)
}

/// Reads a code that must come from the authenticator app (while setting it up).
pub fn parse_app_code(input: &str) -> Result<String, &'static str> {
    match parse_code(input) {
        Ok(SecondFactor::Totp(c)) => Ok(c),
        _ => Err("Enter the 6-digit code your authenticator app shows for Fluxorae."),
    }
}

/// Formats a normalised recovery code for people: `abcde-fghjk`.
pub fn format_recovery_code(code: &str) -> String {
    if code.len() == RECOVERY_CODE_LEN && code.is_ascii() {
        format!("{}-{}", &code[..5], &code[5..])
    } else {
        code.to_owned()
    }
}

/// A person's two-factor state, for their account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    /// Whether sign-in asks for a code.
    pub enabled: bool,
    /// Whether their role requires it (then it cannot be turned off).
    pub required: bool,
    /// When it was turned on (RFC 3339).
    pub enabled_at: Option<String>,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
}

/// What a person needs to add Fluxorae to an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    /// The secret in base32, in groups of four for typing.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_must_use_two_factor() {
        assert!(required(PlatformRole::Admin, &[]));
        assert!(!required(PlatformRole::Customer, &[]));
        assert!(!required(PlatformRole::Employee, &[]));
        for r in [TenantRole::Owner, TenantRole::Admin, TenantRole::Manager] {
            assert!(required(PlatformRole::Customer, &[r]), "{r}");
        }
        for r in [
            TenantRole::Sdr,
            TenantRole::Product,
            TenantRole::Devops,
            TenantRole::Auditor,
            TenantRole::Readonly,
        ] {
            assert!(!required(PlatformRole::Customer, &[r]), "{r}");
        }
        assert!(required(
            PlatformRole::Freelancer,
            &[TenantRole::Sdr, TenantRole::Manager]
        ));
    }

    #[test]
    fn codes_are_read_forgivingly() {
        assert_eq!(
            parse_code("123456"),
            Ok(SecondFactor::Totp("123456".into()))
        );
        assert_eq!(
            parse_code(" 123 456 "),
            Ok(SecondFactor::Totp("123456".into()))
        );
        assert_eq!(
            parse_code("ABCDE-FGHJK"),
            Ok(SecondFactor::Recovery("abcdefghjk".into()))
        );
        assert_eq!(
            parse_code("abcde fghjk"),
            Ok(SecondFactor::Recovery("abcdefghjk".into()))
        );
    }

    #[test]
    fn bad_codes_get_one_clear_message() {
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "abcde-fghj0",
            "abcdefghijk",
        ] {
            assert_eq!(parse_code(bad), Err(CODE_HELP), "{bad:?}");
        }
        assert!(parse_app_code("abcde-fghjk").is_err());
        assert_eq!(parse_app_code("654 321"), Ok("654321".into()));
    }

    #[test]
    fn recovery_codes_are_shown_with_a_dash() {
        assert_eq!(format_recovery_code("abcdefghjk"), "abcde-fghjk");
    }
}
