//! Everything that needs Postgres, Redis or the operating system: the `server` feature.

pub mod accounts;
pub mod ai;
pub mod audit;
pub mod channels;
pub mod crypto;
pub mod db;
pub mod events;
pub mod guard;
pub mod invoices;
pub mod leads;
pub mod ledger;
pub mod mail;
pub mod passwords;
pub mod payments;
pub mod projects;
pub mod seed;
pub mod services;
pub mod site;
pub mod talent;
pub mod tenants;
pub mod throttle;
pub mod tokens;
pub mod two_factor;

pub use services::{RequestMeta, Services, Settings};

use crate::AppError;

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            other => {
                tracing::error!(error = %other, "database error");
                AppError::Internal
            }
        }
    }
}

impl From<redis::RedisError> for AppError {
    fn from(e: redis::RedisError) -> Self {
        tracing::error!(error = %e, "redis error");
        AppError::Internal
    }
}

/// Formats a timestamp as RFC 3339 for the UI.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A random URL-safe secret of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a secret, hex-encoded: what we store instead of tokens.
pub fn sha256_hex(input: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(input.as_bytes()))
}
