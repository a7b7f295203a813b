//! Domain types that can only be built by parsing: once you hold one, it is valid.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why a piece of input was rejected, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub &'static str);

/// A normalised email address (trimmed, lower-case), at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses and normalises an email address.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(ParseError("Enter your email address."));
        }
        if s.len() > 254 {
            return Err(ParseError("That email address is too long."));
        }
        match email_address::EmailAddress::from_str(&s) {
            Ok(addr) if addr.domain().contains('.') && !addr.domain().starts_with('[') => {
                Ok(Self(s))
            }
            _ => Err(ParseError("Enter an email address like name@example.com.")),
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Minimum password length, in characters.
pub const PASSWORD_MIN: usize = 10;
/// Maximum password length, in characters (bounds the hashing work per attempt).
pub const PASSWORD_MAX: usize = 128;

/// Passwords people pick most often; rejected even when long enough.
const COMMON_PASSWORDS: &[&str] = &[
    "password123",
    "password1234",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "iloveyou123",
    "password12345",
    "qwerty12345",
    "1q2w3e4r5t",
    "abc1234567",
    "letmein123",
    "welcome123",
    "administrator",
    "passw0rd123",
    "football123",
    "0987654321",
    "1111111111",
    "changeme123",
];

/// A new password that meets the rules. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks a new password: 10–128 characters, not one repeated character, not a common one.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let n = input.chars().count();
        if n < PASSWORD_MIN {
            return Err(ParseError("Use at least 10 characters."));
        }
        if n > PASSWORD_MAX {
            return Err(ParseError("Use at most 128 characters."));
        }
        if input.trim().is_empty() {
            return Err(ParseError("A password cannot be only spaces."));
        }
        let mut chars = input.chars();
        if let Some(first) = chars.next() {
            if chars.all(|c| c == first) {
                return Err(ParseError("Use more than one repeated character."));
            }
        }
        if COMMON_PASSWORDS.contains(&input.to_lowercase().as_str()) {
            return Err(ParseError("That password is too common. Choose another."));
        }
        Ok(Self(input.to_owned()))
    }

    /// Checks that the password does not contain the account's email name.
    pub fn check_not_email(&self, email: &Email) -> Result<(), ParseError> {
        let local = email.as_str().split('@').next().unwrap_or_default();
        if local.len() >= 4 && self.0.to_lowercase().contains(local) {
            return Err(ParseError(
                "Do not use your email address in your password.",
            ));
        }
        Ok(())
    }

    /// The secret, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A person's name as shown in the product: 1–80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name (trimmed).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ParseError("Enter your name."));
        }
        if s.chars().count() > 80 {
            return Err(ParseError("Use at most 80 characters."));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError("Remove the special characters from your name."));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DisplayName> for String {
    fn from(value: DisplayName) -> Self {
        value.0
    }
}

/// A URL slug: 2–60 characters of `a-z`, `0-9` and single inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Parses a slug.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=60).contains(&s.len())
            || !ok_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return Err(ParseError(
                "Use 2–60 lower-case letters, digits and single hyphens (not at either end).",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            #[cfg(feature = "server")]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        #[cfg(feature = "server")]
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| ParseError("That id is not valid."))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A tenant's id.
    TenantId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let e = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn email_rejects_bad_input() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long).unwrap_err().0,
            "That email address is too long."
        );
    }

    #[test]
    fn email_deserialises_only_when_valid() {
        assert!(serde_json::from_str::<Email>("\"x@example.org\"").is_ok());
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn password_rules() {
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            Password::parse("short").unwrap_err().0,
            "Use at least 10 characters."
        );
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("aaaaaaaaaaaa").is_err());
        assert!(Password::parse("          ").is_err());
        assert!(Password::parse("Password123").is_err());
        // Length counts characters, not bytes.
        assert!(Password::parse("ñññññññññ").is_err());
        assert!(Password::parse("ñññññññññé").is_ok());
    }

    #[test]
    fn password_debug_hides_secret() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn password_must_not_contain_email_name() {
        let email = Email::parse("margaret@example.com").unwrap();
        let p = Password::parse("Margaret-2026-rocks").unwrap();
        assert!(p.check_not_email(&email).is_err());
        let q = Password::parse("unrelated words here").unwrap();
        assert!(q.check_not_email(&email).is_ok());
    }

    #[test]
    fn display_name_rules() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse("a\u{0007}b").is_err());
        assert!(DisplayName::parse(&"n".repeat(81)).is_err());
    }

    #[test]
    fn slug_rules() {
        assert!(Slug::parse("acme-sales").is_ok());
        for bad in [
            "a",
            "-acme",
            "acme-",
            "ac--me",
            "Acme",
            "acme sales",
            "ácme",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn ids_parse_from_text() {
        let id: UserId = "0190f6a4-8d2b-7c4e-9a1f-1234567890ab".parse().unwrap();
        assert_eq!(id.to_string(), "0190f6a4-8d2b-7c4e-9a1f-1234567890ab");
        assert!("not-a-uuid".parse::<TenantId>().is_err());
    }
}
