//! A lead's contact details as they arrive (a CSV cell, a form, a WhatsApp id) made comparable:
//! phone numbers in E.164 read with the tenant's default country (Google's libphonenumber rules,
//! through the `phonenumber` crate), emails trimmed and lower-cased, and the keys two records of
//! one person share, so duplicates are found across sources.

use serde::{Deserialize, Serialize};

/// A phone number that does not read as a real number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPhone {
    /// What was given.
    pub given: String,
    /// Why it was refused, for the import's error report.
    pub why: String,
}

/// A country's ISO 3166 code (`US`, `GB`, `IN`) as the phone rules know it.
pub fn country(code: &str) -> Option<phonenumber::country::Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// `raw` in E.164 (`+14155552671`), read as a number of `default_country` unless it carries its
/// own country code (`+44…`, `0044…`).
pub fn phone_e164(
    raw: &str,
    default_country: phonenumber::country::Id,
) -> Result<String, BadPhone> {
    let bad = |why: &str| BadPhone {
        given: raw.to_owned(),
        why: why.to_owned(),
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(bad("No phone number given."));
    }
    if trimmed.chars().filter(char::is_ascii_digit).count() < 4 {
        return Err(bad("Too few digits for a phone number."));
    }
    // WhatsApp ids are E.164 without the plus; `00` is the international prefix in most
    // countries.
    let mut international = trimmed
        .strip_prefix("00")
        .map(|rest| format!("+{rest}"))
        .unwrap_or_else(|| trimmed.to_owned());
    // `+44 (0)20 …`: the trunk zero in brackets is dialled only from inside the country.
    if international.starts_with('+') {
        international = international.replacen("(0)", "", 1);
    }
    // A number with its own country code is read without the default country: the crate would
    // otherwise strip the default country's national prefix from it (with the US as default,
    // `+49 151…` lost its `1` and became `+49 51…`).
    let country = (!international.starts_with('+')).then_some(default_country);
    let number =
        phonenumber::parse(country, &international).map_err(|_| bad("Not a phone number."))?;
    if !phonenumber::is_valid(&number) {
        return Err(bad(
            "Not a valid number for its country: check the digits and the country code.",
        ));
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// A WhatsApp id (`14155552671`, digits of the E.164 number) in E.164.
pub fn whatsapp_e164(wa_id: &str) -> Result<String, BadPhone> {
    let digits = wa_id.trim().trim_start_matches('+');
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(BadPhone {
            given: wa_id.to_owned(),
            why: "A WhatsApp id is the number's digits.".into(),
        });
    }
    // The country code is in the id, so the default country never applies.
    phone_e164(&format!("+{digits}"), phonenumber::country::Id::US)
}

/// An email address without a `mailto:` or angle brackets, normalised as account emails are
/// ([`crate::types::Email`]); `None` when it is not an address.
pub fn email(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t
        .strip_prefix("mailto:")
        .or_else(|| t.strip_prefix("MAILTO:"))
        .unwrap_or(t);
    let t = t.trim_matches(|c| c == '<' || c == '>');
    crate::types::Email::parse(t).ok().map(String::from)
}

/// Something that says who a person is; two leads sharing one are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identity {
    /// A phone number in E.164.
    Phone(String),
    /// A normalised email address.
    Email(String),
    /// A Messenger page-scoped id.
    Messenger(String),
    /// An Instagram-scoped id.
    Instagram(String),
}

impl Identity {
    /// Its key in the database (`phone:+14155552671`).
    pub fn key(&self) -> String {
        match self {
            Self::Phone(v) => format!("phone:{v}"),
            Self::Email(v) => format!("email:{v}"),
            Self::Messenger(v) => format!("messenger:{v}"),
            Self::Instagram(v) => format!("instagram:{v}"),
        }
    }
}

/// A contact as given, before normalising.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawContact {
    /// Phone numbers, in any format.
    pub phones: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Messenger ids.
    pub messenger: Vec<String>,
    /// Instagram ids.
    pub instagram: Vec<String>,
}

/// A contact normalised: the identities it carries and the phone numbers that did not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// Its identities, sorted, without repeats.
    pub identities: Vec<Identity>,
    /// Numbers flagged as invalid (kept with the lead, never used to match).
    pub invalid_phones: Vec<BadPhone>,
    /// Addresses that are not addresses.
    pub invalid_emails: Vec<String>,
}

/// Normalises a contact with the tenant's default country.
pub fn normalize(raw: &RawContact, default_country: phonenumber::country::Id) -> Normalized {
    let mut out = Normalized::default();
    for p in raw.phones.iter().filter(|p| !p.trim().is_empty()) {
        match phone_e164(p, default_country) {
            Ok(e) => out.identities.push(Identity::Phone(e)),
            Err(bad) => out.invalid_phones.push(bad),
        }
    }
    for e in raw.emails.iter().filter(|e| !e.trim().is_empty()) {
        match email(e) {
            Some(e) => out.identities.push(Identity::Email(e)),
            None => out.invalid_emails.push(e.clone()),
        }
    }
    let ids = |v: &[String], f: fn(String) -> Identity| -> Vec<Identity> {
        v.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| f(s.to_owned()))
            .collect()
    };
    out.identities
        .extend(ids(&raw.messenger, Identity::Messenger));
    out.identities
        .extend(ids(&raw.instagram, Identity::Instagram));
    out.identities.sort();
    out.identities.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id;

    #[test]
    fn numbers_are_read_with_the_tenants_country_unless_they_carry_their_own() {
        for (raw, c, e164) in [
            ("(415) 555-2671", Id::US, "+14155552671"),
            ("415.555.2671", Id::US, "+14155552671"),
            ("+1 415 555 2671", Id::GB, "+14155552671"),
            ("020 7183 8750", Id::GB, "+442071838750"),
            ("0044 20 7183 8750", Id::US, "+442071838750"),
            ("+44 (0)20 7183 8750", Id::US, "+442071838750"),
            ("098765 43210", Id::IN, "+919876543210"),
            ("+91 98765 43210", Id::US, "+919876543210"),
            ("030 123456", Id::DE, "+4930123456"),
            ("+971 50 123 4567", Id::US, "+971501234567"),
            ("050 123 4567", Id::AE, "+971501234567"),
        ] {
            assert_eq!(phone_e164(raw, c).as_deref(), Ok(e164), "{raw} in {c:?}");
        }
    }

    #[test]
    fn numbers_that_cannot_be_real_are_flagged_with_a_reason() {
        for raw in ["", "12", "not a phone", "+1 555 0100", "+44 20 1234"] {
            let e = phone_e164(raw, Id::US).unwrap_err();
            assert_eq!(e.given, raw);
            assert!(!e.why.is_empty());
        }
    }

    #[test]
    fn whatsapp_ids_are_their_numbers() {
        assert_eq!(whatsapp_e164("14155552671").as_deref(), Ok("+14155552671"));
        assert_eq!(
            whatsapp_e164("447911123456").as_deref(),
            Ok("+447911123456")
        );
        assert!(whatsapp_e164("wa-1").is_err());
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            email("  Ana.Diaz@Example.COM ").as_deref(),
            Some("ana.diaz@example.com")
        );
        assert_eq!(
            email("mailto:ana@example.com").as_deref(),
            Some("ana@example.com")
        );
        assert_eq!(
            email("<ana@example.com>").as_deref(),
            Some("ana@example.com")
        );
        assert_eq!(email("ana@localhost"), None);
        assert_eq!(email("ana at example.com"), None);
    }

    #[test]
    fn one_person_written_three_ways_has_one_set_of_identities() {
        let a = normalize(
            &RawContact {
                phones: vec!["(415) 555-2671".into(), "+14155552671".into(), "12".into()],
                emails: vec!["ANA@example.com".into(), "nope".into()],
                messenger: vec![" 2741 ".into()],
                ..Default::default()
            },
            Id::US,
        );
        assert_eq!(
            a.identities,
            vec![
                Identity::Phone("+14155552671".into()),
                Identity::Email("ana@example.com".into()),
                Identity::Messenger("2741".into()),
            ]
        );
        assert_eq!(a.invalid_phones.len(), 1);
        assert_eq!(a.invalid_emails, vec!["nope".to_owned()]);
        assert_eq!(a.identities[0].key(), "phone:+14155552671");
    }

    #[test]
    fn country_codes_read_in_any_case() {
        assert_eq!(country("gb"), Some(Id::GB));
        assert_eq!(country(" IN "), Some(Id::IN));
        assert_eq!(country("XX"), None);
    }
}
#[cfg(test)]
mod international {
    use phonenumber::country::Id;

    #[test]
    fn a_number_with_its_own_country_code_ignores_the_default_country() {
        // With the US as default, the crate stripped NANP's `1` after the country code.
        for given in [
            "+49 151 12345678",
            "+4915112345678",
            "+49-151-12345678",
            "004915112345678",
        ] {
            for default in [Id::US, Id::GB, Id::DE] {
                assert_eq!(
                    super::phone_e164(given, default).unwrap(),
                    "+4915112345678",
                    "{given} with default {default:?}"
                );
            }
        }
        assert_eq!(
            super::whatsapp_e164("4915112345678").unwrap(),
            "+4915112345678"
        );
        assert_eq!(
            super::phone_e164("0151 12345678", Id::DE).unwrap(),
            "+4915112345678"
        );
    }
}
