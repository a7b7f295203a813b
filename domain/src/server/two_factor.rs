//! Two-factor sign-in on the server: setting up an authenticator, checking codes once each,
//! recovery codes, and turning it off. Every change is recorded in the audit trail.

use serde_json::json;
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, TOTP};

use super::accounts::{self, Authenticated, PendingSignIn};
use super::audit::{self, AuditEvent};
use super::crypto::{self, Purpose};
use super::events::{self, UserEventKind};
use super::{rfc3339, sha256_hex, throttle, RequestMeta, Services};
use crate::server::db;
use crate::two_factor::{
    self as rules, SecondFactor, TotpSetup, TwoFactorStatus, DIGITS, RECOVERY_ALPHABET,
    RECOVERY_CODES, RECOVERY_CODE_LEN, STEP_SECS,
};
use crate::types::UserId;
use crate::user::SessionUser;
use crate::AppError;

/// The name authenticator apps show for our codes.
pub const ISSUER: &str = "Fluxorae";
/// Bytes of a TOTP secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;

/// The TOTP generator for a secret.
pub fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, AppError> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| {
        tracing::error!(error = %e, "cannot build a TOTP");
        AppError::Internal
    })
}

/// The code an authenticator app shows at time step `step` for a base32 secret (for tools and
/// tests; spaces in the secret are ignored).
pub fn code_at(secret_base32: &str, step: u64) -> Result<String, AppError> {
    let secret = totp_rs::Secret::Encoded(secret_base32.replace(' ', ""))
        .to_bytes()
        .map_err(|_| AppError::field("secret", "Not a base32 secret."))?;
    Ok(totp(secret, "code")?.generate(step * STEP_SECS))
}

/// The code an authenticator app shows now for a base32 secret.
pub fn code_now(secret_base32: &str) -> Result<String, AppError> {
    code_at(secret_base32, current_step())
}

/// The current TOTP time step.
pub fn current_step() -> u64 {
    OffsetDateTime::now_utc().unix_timestamp().max(0) as u64 / STEP_SECS
}

/// The time step, within one of `now` either way, whose code is `code`. Every candidate is
/// compared in constant time.
pub fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<u64> {
    let mut found = None;
    for step in [now.saturating_sub(1), now, now + 1] {
        let expected = totp.generate(step * STEP_SECS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

fn aad(user: UserId) -> Vec<u8> {
    [b"user_totp:".as_slice(), user.0.as_bytes()].concat()
}

fn seal_secret(svc: &Services, user: UserId, secret: &[u8]) -> Result<Vec<u8>, AppError> {
    crypto::seal(
        &svc.settings.data_key,
        Purpose::TotpSecret,
        &aad(user),
        secret,
    )
}

fn open_secret(svc: &Services, user: UserId, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
    crypto::open(
        &svc.settings.data_key,
        Purpose::TotpSecret,
        &aad(user),
        sealed,
    )
}

fn new_recovery_codes() -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            (0..RECOVERY_CODE_LEN)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect()
        })
        .collect()
}

/// Replaces a person's recovery codes with new ones and returns them, formatted, to show once.
async fn replace_recovery_codes(
    conn: &mut sqlx::PgConnection,
    user: UserId,
) -> Result<Vec<String>, AppError> {
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])",
        user.0,
        &hashes
    )
    .execute(&mut *conn)
    .await?;
    Ok(codes
        .iter()
        .map(|c| rules::format_recovery_code(c))
        .collect())
}

/// Issues new recovery codes in `tx`, records `action`, and commits.
async fn issue_codes(
    svc: &Services,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    user: &SessionUser,
    action: &'static str,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    audit::append(&mut tx, AuditEvent::by(action, user), meta).await?;
    tx.commit().await?;
    events::publish(svc, user.id, UserEventKind::TwoFactorChanged).await;
    Ok(codes)
}

/// A person's two-factor state.
pub async fn status(pool: &PgPool, user: &SessionUser) -> Result<TwoFactorStatus, AppError> {
    let row = sqlx::query!(
        r#"SELECT t.enabled_at,
             (SELECT count(*) FROM recovery_codes c WHERE c.user_id = $1 AND c.used_at IS NULL) AS "left!"
           FROM (SELECT 1) one LEFT JOIN user_totp t ON t.user_id = $1"#,
        user.id.0
    )
    .fetch_one(pool)
    .await?;
    let enabled = row.enabled_at.is_some();
    Ok(TwoFactorStatus {
        enabled,
        required: required_now(pool, user).await?,
        enabled_at: row.enabled_at.map(rfc3339),
        recovery_codes_left: if enabled { row.left } else { 0 },
    })
}

/// Whether the person's platform and tenant roles require two-factor sign-in now.
async fn required_now(pool: &PgPool, user: &SessionUser) -> Result<bool, AppError> {
    Ok(accounts::load_user(pool, user.id)
        .await?
        .is_some_and(|l| l.two_factor_required))
}

/// Starts setting up an authenticator: a new secret, kept encrypted until a first code confirms
/// it. Starting again replaces an unconfirmed secret.
pub async fn begin_setup(svc: &Services, user: &SessionUser) -> Result<TotpSetup, AppError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let sealed = seal_secret(svc, user.id, &secret)?;
    let stored = sqlx::query!(
        "INSERT INTO user_totp (user_id, secret_sealed) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, last_used_step = 0
         WHERE user_totp.enabled_at IS NULL",
        user.id.0,
        sealed
    )
    .execute(&svc.db)
    .await?;
    if stored.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "Two-factor authentication is already on.".into(),
        ));
    }
    setup_view(totp(secret, &user.email)?)
}

fn setup_view(totp: TOTP) -> Result<TotpSetup, AppError> {
    let uri = totp.get_url();
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "cannot draw the QR code");
        AppError::Internal
    })?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Drop the XML declaration: the SVG goes inline into an HTML page.
    let qr_svg = match qr_svg.find("<svg") {
        Some(i) => qr_svg[i..].to_owned(),
        None => qr_svg,
    };
    let base32 = totp.get_secret_base32();
    let secret = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(TotpSetup {
        secret,
        uri,
        qr_svg,
    })
}

/// Accepts `code` for `user` if it matches a step newer than the last one used, and records that
/// step, atomically: a code works once, even for two requests at the same moment.
async fn accept_totp(
    conn: &mut sqlx::PgConnection,
    svc: &Services,
    user: UserId,
    email: &str,
    code: &str,
    pending: bool,
) -> Result<bool, AppError> {
    let row = sqlx::query!(
        "SELECT secret_sealed, last_used_step FROM user_totp
         WHERE user_id = $1 AND (enabled_at IS NULL) = $2 FOR UPDATE",
        user.0,
        pending
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let totp = totp(open_secret(svc, user, &row.secret_sealed)?, email)?;
    let Some(step) = matching_step(&totp, code, current_step()) else {
        return Ok(false);
    };
    if step as i64 <= row.last_used_step {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE user_totp SET last_used_step = $2 WHERE user_id = $1",
        user.0,
        step as i64
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Confirms the authenticator being set up with a first code; two-factor sign-in is then on.
/// Returns the recovery codes, to be shown once.
pub async fn confirm_setup(
    svc: &Services,
    user: &SessionUser,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    let code = rules::parse_app_code(code).map_err(|m| AppError::field("code", m))?;
    throttle::rate_limit(svc, &["2fa-setup", &user.id.to_string()], 10, 900).await?;
    let mut tx = db::begin(&svc.db).await?;
    if !accept_totp(&mut tx, svc, user.id, &user.email, &code, true).await? {
        return Err(AppError::field(
            "code",
            "That code does not match. Check that your phone's clock is right, then enter the code your app shows now.",
        ));
    }
    sqlx::query!(
        "UPDATE user_totp SET enabled_at = now() WHERE user_id = $1",
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    issue_codes(svc, tx, user, "auth.two_factor_enabled", meta).await
}

/// Turns two-factor sign-in off, after the password is confirmed. Not allowed when the
/// person's role requires it.
pub async fn disable(
    svc: &Services,
    user: &SessionUser,
    password: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if required_now(&svc.db, user).await? {
        return Err(AppError::Conflict(
            "Your role requires two-factor authentication, so it stays on.".into(),
        ));
    }
    accounts::confirm_password(svc, user, "password", password, meta).await?;
    let mut tx = db::begin(&svc.db).await?;
    let removed = sqlx::query!(
        "DELETE FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL",
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "Two-factor authentication is not on.".into(),
        ));
    }
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user.id.0)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("auth.two_factor_disabled", user),
        meta,
    )
    .await?;
    tx.commit().await?;
    events::publish(svc, user.id, UserEventKind::TwoFactorChanged).await;
    Ok(())
}

/// Replaces the recovery codes, after the password (form field `current_password`) is
/// confirmed; the old ones stop working.
pub async fn regenerate_recovery_codes(
    svc: &Services,
    user: &SessionUser,
    password: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    accounts::confirm_password(svc, user, "current_password", password, meta).await?;
    let mut tx = db::begin(&svc.db).await?;
    let on = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL) AS "on!""#,
        user.id.0
    )
    .fetch_one(&mut *tx)
    .await?;
    if !on {
        return Err(AppError::Conflict(
            "Turn on two-factor authentication first.".into(),
        ));
    }
    issue_codes(svc, tx, user, "auth.recovery_codes_regenerated", meta).await
}

/// Finishes a sign-in whose password was right with a code from the authenticator app or a
/// recovery code. Wrong codes count as failed sign-ins (backoff, then lockout).
pub async fn complete_sign_in(
    svc: &Services,
    pending: &PendingSignIn,
    code: &str,
    meta: &RequestMeta,
) -> Result<Authenticated, AppError> {
    let factor = rules::parse_code(code).map_err(|m| AppError::field("code", m))?;
    let user = sqlx::query!(
        "SELECT email, password_hash FROM users WHERE id = $1",
        pending.user_id.0
    )
    .fetch_optional(&svc.db)
    .await?
    // The password changed (or the account went) since it was checked: start again.
    .filter(|u| accounts::fingerprint(&u.password_hash) == pending.fingerprint)
    .ok_or(AppError::Unauthorized)?;
    throttle::check_sign_in(svc, &user.email, meta.ip.as_deref()).await?;
    let mut tx = db::begin(&svc.db).await?;
    let (ok, kind) = match &factor {
        SecondFactor::Totp(c) => (
            accept_totp(&mut tx, svc, pending.user_id, &user.email, c, false).await?,
            "totp",
        ),
        SecondFactor::Recovery(c) => {
            let used = sqlx::query!(
                "UPDATE recovery_codes SET used_at = now()
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
                   AND EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = $1 AND t.enabled_at IS NOT NULL)",
                pending.user_id.0,
                sha256_hex(c)
            )
            .execute(&mut *tx)
            .await?;
            (used.rows_affected() == 1, "recovery_code")
        }
    };
    tx.commit().await?;
    if !ok {
        throttle::record_failure(svc, &user.email, meta.ip.as_deref()).await?;
        audit::record(
            &svc.db,
            AuditEvent::new("auth.two_factor_failed")
                .actor(pending.user_id)
                .email(&user.email)
                .details(json!({ "kind": kind })),
            meta,
        )
        .await?;
        return Err(AppError::field(
            "code",
            match factor {
                SecondFactor::Totp(_) => "That code is not valid, or was already used. Enter the code your app shows now.",
                SecondFactor::Recovery(_) => "That recovery code is not valid, or was already used.",
            },
        ));
    }
    accounts::finish_sign_in(svc, pending.user_id, Some(kind), meta).await
}

/// Turns two-factor sign-in on with a given secret, unless the person already has one (demo
/// seed only: the demo accounts that must use it share a published secret).
pub(crate) async fn enroll_with_secret(
    svc: &Services,
    user: UserId,
    secret: &[u8],
) -> Result<(), AppError> {
    let sealed = seal_secret(svc, user, secret)?;
    sqlx::query!(
        "INSERT INTO user_totp (user_id, secret_sealed, enabled_at) VALUES ($1, $2, now())
         ON CONFLICT (user_id) DO NOTHING",
        user.0,
        sealed
    )
    .execute(&svc.db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> TOTP {
        // RFC 6238's SHA-1 test key.
        totp(b"12345678901234567890".to_vec(), "a@example.com").unwrap()
    }

    #[test]
    fn rfc6238_vectors() {
        // RFC 6238 appendix B, truncated to 6 digits.
        let t = demo();
        assert_eq!(t.generate(59), "287082");
        assert_eq!(t.generate(1111111109), "081804");
        assert_eq!(t.generate(1234567890), "005924");
    }

    #[test]
    fn one_step_of_drift_either_way() {
        let t = demo();
        let now = 1234567890 / STEP_SECS;
        let code = t.generate(now * STEP_SECS);
        assert_eq!(matching_step(&t, &code, now), Some(now));
        assert_eq!(matching_step(&t, &code, now + 1), Some(now));
        assert_eq!(matching_step(&t, &code, now - 1), Some(now));
        assert_eq!(matching_step(&t, &code, now + 2), None);
        assert_eq!(matching_step(&t, "000000", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_well_formed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for c in &codes {
            assert_eq!(
                rules::parse_code(c),
                Ok(SecondFactor::Recovery(c.clone())),
                "{c}"
            );
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn setup_shows_a_scannable_uri_and_a_qr_code() {
        let v = setup_view(demo()).unwrap();
        assert!(
            v.uri
                .starts_with("otpauth://totp/Fluxorae:a%40example.com?"),
            "{}",
            v.uri
        );
        assert!(v.uri.contains("issuer=Fluxorae"));
        assert!(v.uri.contains(&v.secret.replace(' ', "")));
        assert!(v.qr_svg.starts_with("<svg"));
    }
}
