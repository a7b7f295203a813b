//! Personal data out of what the AI log keeps: emails, phone numbers, card numbers, IBANs, and
//! any value under a secret-looking key. The full input's hash is kept alongside, so identical
//! inputs can still be found.

use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}").unwrap_or_else(|e| panic!("{e}"))
});
static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:\d[ -]?){12,18}\d\b").unwrap_or_else(|e| panic!("{e}")));
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
        .unwrap_or_else(|e| panic!("{e}"))
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+|\b00)?\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,5}\)?){2,5}")
        .unwrap_or_else(|e| panic!("{e}"))
});

const SECRET_KEYS: &[&str] = &[
    "password",
    "token",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "otp",
    "code",
];

fn digits(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

/// Redacts one string.
pub fn text(s: &str) -> String {
    let s = EMAIL.replace_all(s, "[email]");
    let s = IBAN.replace_all(&s, "[iban]");
    let s = CARD.replace_all(&s, |c: &regex::Captures| {
        let m = &c[0];
        if luhn(m) {
            "[card]".to_string()
        } else {
            m.to_string()
        }
    });
    PHONE
        .replace_all(&s, |c: &regex::Captures| {
            let m = &c[0];
            // A phone number has 8–15 digits; shorter runs are amounts, years, counts.
            if (8..=15).contains(&digits(m)) {
                "[phone]".to_string()
            } else {
                m.to_string()
            }
        })
        .into_owned()
}

fn luhn(s: &str) -> bool {
    let ds: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&ds.len()) {
        return false;
    }
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Redacts every string in a JSON value, and blanks values under secret-looking keys.
pub fn json(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(text(s)),
        Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if SECRET_KEYS
                        .iter()
                        .any(|s| lower == *s || lower.ends_with(&format!("_{s}")))
                    {
                        (k.clone(), Value::String("[redacted]".into()))
                    } else {
                        (k.clone(), json(v))
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_contact_and_payment_details_but_keeps_amounts() {
        let t = text("Mail priya.k@example.in or call +91 98765 43210; card 4242 4242 4242 4242; budget $5,000 by 2026");
        assert_eq!(
            t,
            "Mail [email] or call [phone]; card [card]; budget $5,000 by 2026"
        );
        assert_eq!(
            text("IBAN DE89 3704 0044 0532 0130 00 please"),
            "IBAN [iban] please"
        );
        assert_eq!(text("order 1234567890123 is late"), "order [phone] is late");
        let v = json(
            &serde_json::json!({"text": "a@b.co", "api_key": "sk-1", "n": 3, "list": ["x@y.io"]}),
        );
        assert_eq!(
            v,
            serde_json::json!({"text": "[email]", "api_key": "[redacted]", "n": 3, "list": ["[email]"]})
        );
    }
}
