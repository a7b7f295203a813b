//! API clients: short-lived JWT access tokens and rotating, revocable refresh tokens.
//!
//! A refresh token works once: using it returns a new pair in the same family. Presenting a
//! token that was already used means it leaked, so the whole family is revoked.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::{self, AuditEvent};
use super::{random_token, sha256_hex, RequestMeta, Services};
use crate::roles::PlatformRole;
use crate::server::db;
use crate::types::UserId;
use crate::user::SessionUser;
use crate::AppError;

/// The claims inside an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The platform role at issue time.
    pub role: PlatformRole,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
}

/// What the token endpoints answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenPair {
    /// The bearer token for API calls.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The one-use token that gets the next pair.
    pub refresh_token: String,
}

fn sign(svc: &Services, user: &SessionUser) -> Result<String, AppError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        sub: user.id.0,
        role: user.role,
        iat: now,
        exp: now + svc.settings.access_ttl.as_secs() as i64,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(svc.settings.jwt_secret.as_bytes()),
    )
    .map_err(|e| {
        tracing::error!(error = %e, "signing access token failed");
        AppError::Internal
    })
}

/// Checks a bearer token's signature and expiry.
pub fn verify_access(svc: &Services, token: &str) -> Result<Claims, AppError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    decode::<Claims>(
        token,
        &DecodingKey::from_secret(svc.settings.jwt_secret.as_bytes()),
        &validation,
    )
    .map(|d| d.claims)
    .map_err(|_| AppError::Unauthorized)
}

async fn insert_refresh(
    conn: &mut sqlx::PgConnection,
    svc: &Services,
    user: UserId,
    family: Uuid,
) -> Result<String, AppError> {
    let token = random_token(32);
    let expires = OffsetDateTime::now_utc() + svc.settings.refresh_ttl;
    sqlx::query!(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
        Uuid::now_v7(),
        family,
        user.0,
        sha256_hex(&token),
        expires
    )
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Issues the first pair of a new family after a successful sign-in.
pub async fn issue(svc: &Services, user: &SessionUser) -> Result<TokenPair, AppError> {
    let mut tx = db::begin(&svc.db).await?;
    let refresh_token = insert_refresh(&mut tx, svc, user.id, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(TokenPair {
        access_token: sign(svc, user)?,
        token_type: "Bearer".into(),
        expires_in: svc.settings.access_ttl.as_secs(),
        refresh_token,
    })
}

/// Exchanges a refresh token for a new pair; a reused token revokes its family.
pub async fn refresh(
    svc: &Services,
    presented: &str,
    meta: &RequestMeta,
) -> Result<TokenPair, AppError> {
    let mut tx = db::begin(&svc.db).await?;
    let row = sqlx::query!(
        "SELECT t.family_id, t.user_id, t.used_at, t.revoked_at, t.expires_at, u.email, u.display_name, u.role
         FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 FOR UPDATE OF t",
        sha256_hex(presented)
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Unauthorized)?;
    if row.revoked_at.is_some() {
        return Err(AppError::Unauthorized);
    }
    if row.used_at.is_some() {
        sqlx::query!("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", row.family_id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            AuditEvent::new("auth.refresh_token_reused")
                .actor(UserId(row.user_id))
                .email(&row.email)
                .details(json!({"family": row.family_id.to_string()})),
            meta,
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized);
    }
    if row.expires_at <= OffsetDateTime::now_utc() {
        return Err(AppError::Unauthorized);
    }
    sqlx::query!(
        "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
        sha256_hex(presented)
    )
    .execute(&mut *tx)
    .await?;
    let user = SessionUser {
        id: UserId(row.user_id),
        email: row.email,
        display_name: row.display_name,
        role: row.role.parse().map_err(|_| AppError::Internal)?,
        // Only the id and role go into the token; every request reloads the person (and this
        // flag) through `accounts::user_by_id`.
        must_set_up_two_factor: false,
    };
    let refresh_token = insert_refresh(&mut tx, svc, user.id, row.family_id).await?;
    tx.commit().await?;
    Ok(TokenPair {
        access_token: sign(svc, &user)?,
        token_type: "Bearer".into(),
        expires_in: svc.settings.access_ttl.as_secs(),
        refresh_token,
    })
}

/// Revokes the family of a refresh token (sign-out for API clients).
pub async fn revoke(svc: &Services, presented: &str) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now()
         WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        sha256_hex(presented)
    )
    .execute(&svc.db)
    .await?;
    Ok(())
}
