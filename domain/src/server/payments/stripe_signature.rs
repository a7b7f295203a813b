//! Stripe webhook signatures, checked on the raw body before anything is parsed.
//!
//! The `Stripe-Signature` header is `t={unix seconds},v1={hex},v1={hex},…` (other schemes such
//! as `v0` may appear and are ignored). A request is genuine when any `v1` equals
//! HMAC-SHA256(endpoint secret, `"{t}.{raw body}"`), compared in constant time, and `t` is
//! within the tolerance of now (300 s), which keeps a captured request from being replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far from now a signature's timestamp may be, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No header.
    #[error("the Stripe-Signature header is missing")]
    Missing,
    /// A header without a timestamp or a `v1` signature, or with one that does not read.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// The timestamp is too far from now.
    #[error("the signature's timestamp is outside the {TOLERANCE_SECS} s tolerance")]
    Stale,
    /// No `v1` matches.
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a webhook's signature; answers its timestamp.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now_unix: i64,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now_unix - t).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for sig in &signatures {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|_| SignatureError::Malformed)?;
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // `verify_slice` compares in constant time.
        if mac.verify_slice(sig).is_ok() {
            return Ok(t);
        }
    }
    Err(SignatureError::Mismatch)
}

/// The header Stripe would send for `body` at `t` (for tests and the local provider).
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_764_590_000;

    #[test]
    fn a_fresh_signature_over_the_raw_body_is_accepted() {
        let h = sign(BODY, SECRET, NOW - 10);
        assert_eq!(verify(Some(&h), BODY, SECRET, NOW), Ok(NOW - 10));
    }

    #[test]
    fn stale_wrong_secret_changed_body_and_malformed_headers_are_refused() {
        let h = sign(BODY, SECRET, NOW - TOLERANCE_SECS - 1);
        assert_eq!(
            verify(Some(&h), BODY, SECRET, NOW),
            Err(SignatureError::Stale)
        );
        let future = sign(BODY, SECRET, NOW + TOLERANCE_SECS + 1);
        assert_eq!(
            verify(Some(&future), BODY, SECRET, NOW),
            Err(SignatureError::Stale)
        );
        let h = sign(BODY, "whsec_other", NOW);
        assert_eq!(
            verify(Some(&h), BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
        let h = sign(BODY, SECRET, NOW);
        assert_eq!(
            verify(
                Some(&h),
                br#"{"id":"evt_1","type":"payment_intent.canceled"}"#,
                SECRET,
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(None, BODY, SECRET, NOW),
            Err(SignatureError::Missing)
        );
        for bad in [
            "",
            "t=abc,v1=00",
            "v1=00",
            &format!("t={NOW}"),
            &format!("t={NOW},v1=zz"),
            "garbage",
        ] {
            assert_eq!(
                verify(Some(bad), BODY, SECRET, NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn any_matching_v1_among_several_is_enough() {
        let good = sign(BODY, SECRET, NOW);
        let good_sig = good.split("v1=").nth(1).unwrap();
        let other = sign(BODY, "whsec_rolled", NOW);
        let other_sig = other.split("v1=").nth(1).unwrap();
        let h = format!("t={NOW},v1={other_sig},v0=deadbeef,v1={good_sig}");
        assert_eq!(verify(Some(&h), BODY, SECRET, NOW), Ok(NOW));
        let none = format!("t={NOW},v1={other_sig},v1={other_sig}");
        assert_eq!(
            verify(Some(&none), BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
    }
}
