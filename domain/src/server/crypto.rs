//! Secrets at rest: AES-256-GCM under keys derived from the deployment's `DATA_KEY`.
//!
//! Each use has its own key, derived with HKDF-SHA256 from `DATA_KEY` and a purpose label, so a
//! key for one kind of secret never opens another. The associated data binds a ciphertext to
//! its row (a user id, say): copied to another row, it no longer opens. Stored form:
//! `version (1 byte) || nonce (12 bytes) || ciphertext and tag`.
//!
//! Documents (identity papers) use envelope encryption: each owner has a random data key,
//! stored only sealed under the key-wrapping key ([`Purpose::KeyWrap`]); their documents are
//! sealed with that data key ([`seal_with`]). Rotating `DATA_KEY` then means re-wrapping one
//! small key per owner, and deleting an owner's wrapped key shreds all their documents.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::AppError;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// What a key is for; each purpose derives its own key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// TOTP secrets.
    TotpSecret,
    /// Owners' data keys (envelope encryption).
    KeyWrap,
    /// Channels' access tokens for Meta's Graph API.
    ChannelToken,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::TotpSecret => b"fluxorae/totp-secret/v1",
            Self::KeyWrap => b"fluxorae/key-wrap/v1",
            Self::ChannelToken => b"fluxorae/channel-token/v1",
        }
    }
}

fn cipher(data_key: &[u8], purpose: Purpose) -> Result<Aes256Gcm, AppError> {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, data_key)
        .expand(purpose.label(), key.as_mut())
        .map_err(|_| AppError::Internal)?;
    Aes256Gcm::new_from_slice(key.as_ref()).map_err(|_| AppError::Internal)
}

/// One owner's data key, wiped from memory when dropped.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// A fresh data key for the owner `aad` names, and its wrapped form to store.
pub fn new_data_key(master: &[u8], aad: &[u8]) -> Result<(DataKey, Vec<u8>), AppError> {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(key.as_mut());
    let wrapped = seal(master, Purpose::KeyWrap, aad, key.as_ref())?;
    Ok((DataKey(key), wrapped))
}

/// The data key [`new_data_key`] wrapped for the owner `aad` names.
pub fn unwrap_data_key(master: &[u8], aad: &[u8], wrapped: &[u8]) -> Result<DataKey, AppError> {
    let plain = Zeroizing::new(open(master, Purpose::KeyWrap, aad, wrapped)?);
    let key: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| AppError::Internal)?;
    Ok(DataKey(Zeroizing::new(key)))
}

fn data_cipher(key: &DataKey) -> Result<Aes256Gcm, AppError> {
    Aes256Gcm::new_from_slice(key.0.as_ref()).map_err(|_| AppError::Internal)
}

/// Encrypts `plaintext` with an owner's data key, bound to `aad` (the document's id, say).
pub fn seal_with(key: &DataKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, AppError> {
    seal_in(&data_cipher(key)?, aad, plaintext)
}

/// Decrypts what [`seal_with`] produced.
pub fn open_with(key: &DataKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, AppError> {
    open_in(&data_cipher(key)?, aad, sealed).map_err(|()| {
        tracing::error!("a sealed document does not decrypt (wrong key or tampered bytes)");
        AppError::Internal
    })
}

/// Encrypts `plaintext` for `purpose`, bound to `aad`.
pub fn seal(
    data_key: &[u8],
    purpose: Purpose,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AppError> {
    seal_in(&cipher(data_key, purpose)?, aad, plaintext)
}

fn seal_in(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, AppError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
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
    open_in(&cipher(data_key, purpose)?, aad, sealed).map_err(|()| {
        tracing::error!(
            ?purpose,
            "a stored secret does not decrypt (wrong DATA_KEY or tampered row)"
        );
        AppError::Internal
    })
}

fn open_in(cipher: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, ()> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
        return Err(());
    }
    let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| ())
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

    #[test]
    fn envelope_keys_open_only_their_owners_documents() {
        let (key, wrapped) = new_data_key(KEY, b"user-1").unwrap();
        let doc = seal_with(&key, b"doc-1", b"passport scan").unwrap();
        assert!(!doc.windows(8).any(|w| w == b"passport"));
        let again = unwrap_data_key(KEY, b"user-1", &wrapped).unwrap();
        assert_eq!(open_with(&again, b"doc-1", &doc).unwrap(), b"passport scan");
        // The wrapped key is bound to its owner and to the deployment's key.
        assert!(unwrap_data_key(KEY, b"user-2", &wrapped).is_err());
        assert!(unwrap_data_key(b"another deployment's data key!!", b"user-1", &wrapped).is_err());
        // A document opens only as itself, and only with its owner's key.
        assert!(open_with(&again, b"doc-2", &doc).is_err());
        let (other, _) = new_data_key(KEY, b"user-2").unwrap();
        assert!(open_with(&other, b"doc-1", &doc).is_err());
        // A wrapped key is not a TOTP secret: purposes stay apart.
        assert!(open(KEY, Purpose::TotpSecret, b"user-1", &wrapped).is_err());
    }
}
