//! Amounts of money: integers in a currency's minor unit (cents), never floats.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code (`USD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollars.
    pub const USD: Currency = Currency(*b"USD");
    /// Euros.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pounds sterling.
    pub const GBP: Currency = Currency(*b"GBP");

    /// The code.
    pub fn code(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217): 0 for yen and won, 3 for dinars, else 2.
    pub fn exponent(&self) -> u32 {
        match self.code() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }

    /// The symbol people expect in front of an amount, when there is a common one.
    fn symbol(&self) -> Option<&'static str> {
        match self.code() {
            "USD" => Some("$"),
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            _ => None,
        }
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.trim().as_bytes();
        match b {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_alphabetic()) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(format!(
                "{s:?} is not a three-letter currency code such as USD."
            )),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount in a currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents); negative for a debt or a reversal.
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parses what a person types (`1,250.50`, `1250`, `$1,250.5`) into minor units.
    pub fn parse(input: &str, currency: Currency) -> Result<Self, String> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '_' | '$' | '€' | '£' | '¥'))
            .collect();
        let bad = || format!("{input:?} is not an amount; write it like 1250 or 1,250.50.");
        if cleaned.is_empty() || cleaned.starts_with('-') {
            return Err(bad());
        }
        let exp = currency.exponent() as usize;
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if frac.len() > exp {
            return Err(format!(
                "{} takes at most {exp} digits after the point.",
                currency.code()
            ));
        }
        let scale = 10i64.pow(exp as u32);
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let frac_val: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<exp$}").parse().map_err(|_| bad())?
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_val))
            .ok_or_else(|| "That amount is too large.".to_owned())?;
        Ok(Self::new(minor, currency))
    }

    /// `amount × bps / 10 000`, rounded half away from zero: a fee or a share.
    pub fn share(&self, bps: u32) -> Money {
        let n = i128::from(self.minor) * i128::from(bps);
        let q = n / 10_000;
        let r = n % 10_000;
        let rounded = if r.abs() * 2 >= 10_000 {
            q + n.signum()
        } else {
            q
        };
        Money::new(rounded as i64, self.currency)
    }
}

/// A whole number with its thousands grouped by commas, as people read amounts: `12,500`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let scale = 10u64.pow(exp);
        let abs = self.minor.unsigned_abs();
        let (whole, frac) = (abs / scale, abs % scale);
        let grouped = grouped(whole);
        let sign = if self.minor < 0 { "-" } else { "" };
        let number = if exp == 0 {
            grouped
        } else {
            format!("{grouped}.{frac:0width$}", width = exp as usize)
        };
        match self.currency.symbol() {
            Some(sym) => write!(f, "{sign}{sym}{number}"),
            None => write!(f, "{sign}{number} {}", self.currency.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_and_show_as_people_write_them() {
        let usd = Currency::USD;
        assert_eq!(Money::parse("1,250.50", usd).unwrap().minor, 125_050);
        assert_eq!(Money::parse("$1250", usd).unwrap().minor, 125_000);
        assert_eq!(Money::parse("0.5", usd).unwrap().minor, 50);
        assert!(Money::parse("1.234", usd).unwrap_err().contains("2 digits"));
        assert!(Money::parse("-5", usd).is_err());
        assert!(Money::parse("ten", usd).is_err());
        assert!(Money::parse("", usd).is_err());
        assert!(Money::parse("99999999999999999999", usd).is_err());
        let jpy: Currency = "jpy".parse().unwrap();
        assert_eq!(Money::parse("1500", jpy).unwrap().minor, 1500);
        assert!(Money::parse("1500.5", jpy).is_err());
        assert_eq!(Money::new(125_050, usd).to_string(), "$1,250.50");
        assert_eq!(Money::new(-5, usd).to_string(), "-$0.05");
        assert_eq!(Money::new(1_500, jpy).to_string(), "¥1,500");
        let chf: Currency = "CHF".parse().unwrap();
        assert_eq!(Money::new(10_000_000, chf).to_string(), "100,000.00 CHF");
        assert!("US".parse::<Currency>().is_err());
        assert!("U$D".parse::<Currency>().is_err());
    }

    #[test]
    fn shares_round_half_away_from_zero() {
        let usd = Currency::USD;
        assert_eq!(Money::new(10_000, usd).share(2_000).minor, 2_000);
        assert_eq!(Money::new(1_005, usd).share(2_000).minor, 201);
        assert_eq!(Money::new(1_002, usd).share(2_000).minor, 200);
        assert_eq!(Money::new(1_003, usd).share(2_000).minor, 201);
        assert_eq!(Money::new(-1_003, usd).share(2_000).minor, -201);
        assert_eq!(Money::new(i64::MAX, usd).share(10_000).minor, i64::MAX);
    }
}
