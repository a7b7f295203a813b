//! Argon2id hashing, always off the async executor.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;

use crate::types::Password;
use crate::AppError;

/// Hashes a new password with Argon2id (the crate's OWASP-recommended defaults).
pub async fn hash(password: &Password) -> Result<String, AppError> {
    let secret = password.expose().to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(&secret))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing task failed");
            AppError::Internal
        })?
}

fn hash_blocking(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

/// A hash of a random secret, verified against when the account does not exist, so an unknown
/// email costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(&super::random_token(24)).unwrap_or_else(|_| {
            // A fixed, valid Argon2id hash of an unguessable string: still costs a full verify.
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo".into()
        })
    })
}

/// Checks `secret` against `stored` (or against a dummy hash when `stored` is `None`).
pub async fn verify(secret: &str, stored: Option<&str>) -> bool {
    let secret = secret.to_owned();
    let known = stored.is_some();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let phc = stored.as_deref().unwrap_or_else(|| dummy_hash());
        let ok = match PasswordHash::new(phc) {
            Ok(parsed) => Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        };
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// Warms the dummy hash at start so the first unknown-email sign-in is not faster or slower.
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let p = Password::parse("correct horse battery").unwrap();
        let h = hash(&p).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&h)).await);
        assert!(!verify("wrong horse battery", Some(&h)).await);
        assert!(!verify("correct horse battery", None).await);
    }
}
