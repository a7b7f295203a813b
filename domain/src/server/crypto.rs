//! Secrets at rest: AES-256-GCM under keys derived from the deployment's `DATA_KEY`.
//!
//! Each use has its own key, derived with HKDF-SHA256 from `DATA_KEY` and a purpose label, so a
//! key for one kind of secret never opens another. The associated data binds a ciphertext to
//! its row (a user id, say): copied to another row, it no longer opens. Stored form:
//! `version (1 byte) || nonce (12 bytes) || ciphertext and tag`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;

use crate::AppError;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// What a key is for; each purpose derives its own key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// TOTP secrets.
    TotpSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::TotpSecret => b"fluxorae/totp-secret/v1",
        }
    }
}

fn cipher(data_key: &[u8], purpose: Purpose) -> Result<Aes256Gcm, AppError> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, data_key)
        .expand(purpose.label(), &mut key)
        .map_err(|_| AppError::Internal)?;
    Aes256Gcm::new_from_slice(&key).map_err(|_| AppError::Internal)
}

/// Encrypts `plaintext` for `purpose`, bound to `aad`.
pub fn seal(
    data_key: &[u8],
    purpose: Purpose,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AppError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher(data_key, purpose)?
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| AppError::Internal)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts what [`seal`] produced. A wrong key, purpose or `aad`, or any changed byte, fails.
pub fn open(
    data_key: &[u8],
    purpose: Purpose,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, AppError> {
    let fail = || {
        tracing::error!(
            ?purpose,
            "a stored secret does not decrypt (wrong DATA_KEY or tampered row)"
        );
        AppError::Internal
    };
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
        return Err(fail());
    }
    let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
    cipher(data_key, purpose)?
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| fail())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a data key that is long enough for tests";

    #[test]
    fn round_trip() {
        let sealed = seal(KEY, Purpose::TotpSecret, b"user-1", b"secret bytes").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"secret bytes"));
        assert_eq!(
            open(KEY, Purpose::TotpSecret, b"user-1", &sealed).unwrap(),
            b"secret bytes"
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let a = seal(KEY, Purpose::TotpSecret, b"u", b"same").unwrap();
        let b = seal(KEY, Purpose::TotpSecret, b"u", b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_key_row_or_a_changed_byte_fails() {
        let sealed = seal(KEY, Purpose::TotpSecret, b"user-1", b"secret").unwrap();
        assert!(open(
            b"another key entirely, also long",
            Purpose::TotpSecret,
            b"user-1",
            &sealed
        )
        .is_err());
        assert!(open(KEY, Purpose::TotpSecret, b"user-2", &sealed).is_err());
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(open(KEY, Purpose::TotpSecret, b"user-1", &flipped).is_err());
        assert!(open(KEY, Purpose::TotpSecret, b"user-1", &sealed[..10]).is_err());
    }
}
