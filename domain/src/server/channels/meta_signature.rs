//! Meta webhook signatures (WhatsApp Cloud API, Messenger, Instagram), checked on the raw body
//! before anything is parsed, and the subscription handshake.
//!
//! A POST is genuine when its `X-Hub-Signature-256` header is `sha256={hex}` and the hex equals
//! HMAC-SHA256(app secret, raw body), compared in constant time. The older `X-Hub-Signature`
//! (`sha1=…`) is not accepted on its own.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a signature is refused (each answers 401, and nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    /// A header that is not `sha256=` and 64 hex digits.
    #[error("the X-Hub-Signature-256 header is malformed")]
    Malformed,
    /// The signature does not match the body.
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a POST's `X-Hub-Signature-256` against its raw body.
pub fn verify(header: Option<&str>, body: &[u8], app_secret: &str) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_sig = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    if hex_sig.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let sig = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .map_err(|_| SignatureError::Malformed)?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

/// The header Meta would send for `body` (for tests and the local simulator).
pub fn sign(body: &[u8], app_secret: &str) -> String {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
/// the challenge to echo when the mode is `subscribe` and the token matches (in constant time).
pub fn handshake<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    verify_token: &str,
) -> Option<&'a str> {
    use subtle::ConstantTimeEq;
    if mode != Some("subscribe") || verify_token.is_empty() {
        return None;
    }
    let token = token?;
    let same: bool = token.as_bytes().ct_eq(verify_token.as_bytes()).into();
    if same {
        challenge.filter(|c| !c.is_empty())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "app-secret-1";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    #[test]
    fn a_body_signed_with_the_app_secret_passes() {
        let h = sign(BODY, SECRET);
        assert!(h.starts_with("sha256=") && h.len() == 71);
        assert_eq!(verify(Some(&h), BODY, SECRET), Ok(()));
    }

    #[test]
    fn one_flipped_byte_in_the_body_or_the_signature_fails() {
        let h = sign(BODY, SECRET);
        let mut body = BODY.to_vec();
        body[10] ^= 1;
        assert_eq!(
            verify(Some(&h), &body, SECRET),
            Err(SignatureError::Mismatch)
        );
        let last = h.chars().last().unwrap_or('0');
        let flipped = format!(
            "{}{}",
            &h[..h.len() - 1],
            if last == '0' { '1' } else { '0' }
        );
        assert_eq!(
            verify(Some(&flipped), BODY, SECRET),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_malformed_wrong_secret_and_sha1_only_fail() {
        assert_eq!(verify(None, BODY, SECRET), Err(SignatureError::Missing));
        assert_eq!(
            verify(Some("sha256=zz"), BODY, SECRET),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some("garbage"), BODY, SECRET),
            Err(SignatureError::Malformed)
        );
        let nothex = format!("sha256={}", "g".repeat(64));
        assert_eq!(
            verify(Some(&nothex), BODY, SECRET),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some(&sign(BODY, "other-secret")), BODY, SECRET),
            Err(SignatureError::Mismatch)
        );
        // Only the old SHA-1 header: the SHA-256 one is missing.
        assert_eq!(verify(None, BODY, SECRET), Err(SignatureError::Missing));
        let sha1_in_256 = format!("sha1={}", "a".repeat(40));
        assert_eq!(
            verify(Some(&sha1_in_256), BODY, SECRET),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
        let ok = handshake(Some("subscribe"), Some("tok"), Some("1158201444"), "tok");
        assert_eq!(ok, Some("1158201444"));
        assert_eq!(
            handshake(Some("subscribe"), Some("bad"), Some("1"), "tok"),
            None
        );
        assert_eq!(
            handshake(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
            None
        );
        assert_eq!(handshake(Some("subscribe"), None, Some("1"), "tok"), None);
        assert_eq!(handshake(Some("subscribe"), Some(""), Some("1"), ""), None);
        assert_eq!(handshake(Some("subscribe"), Some("tok"), None, "tok"), None);
    }
}
