//! Sign-up, sign-in, passwords and platform roles.

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::audit::{self, AuditEvent};
use super::events::{self, UserEventKind};
use super::{db, passwords, random_token, rfc3339, sha256_hex, throttle, RequestMeta, Services};
use crate::error::Validator;
use crate::roles::{PlatformRole, TenantRole};
use crate::two_factor;
use crate::types::{DisplayName, Email, Password, UserId};
use crate::user::{SessionUser, UserSummary};
use crate::AppError;

/// A signed-in person plus the fingerprint of their current password hash. Sessions keep the
/// fingerprint; when the password changes, every older session stops matching and ends.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The person.
    pub user: SessionUser,
    /// First 16 hex digits of SHA-256 of the stored password hash.
    pub fingerprint: String,
}

/// What a correct password leads to.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Signed in.
    Done(Authenticated),
    /// The account uses two-factor sign-in: ask for a code, then finish with
    /// [`super::two_factor::complete_sign_in`].
    NeedsCode(PendingSignIn),
}

/// A sign-in whose password was right and whose second factor is still to come.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingSignIn {
    /// Who is signing in.
    pub user_id: UserId,
    /// Their password fingerprint when the password was checked.
    pub fingerprint: String,
}

pub(crate) fn fingerprint(password_hash: &str) -> String {
    sha256_hex(password_hash)[..16].to_owned()
}

fn parse_role(s: &str) -> Result<PlatformRole, AppError> {
    s.parse().map_err(|_| {
        tracing::error!(role = s, "unknown platform role in database");
        AppError::Internal
    })
}

/// A person as loaded for a request.
pub(crate) struct Loaded {
    /// What the session knows about them.
    pub user: SessionUser,
    /// Their password hash (for the session fingerprint).
    pub password_hash: String,
    /// Whether their platform and tenant roles require two-factor sign-in.
    pub two_factor_required: bool,
}

/// Loads a person with what the session needs to know about them, and their password hash.
/// Their tenant roles decide whether two-factor sign-in is required.
pub(crate) async fn load_user(pool: &PgPool, id: UserId) -> Result<Option<Loaded>, AppError> {
    let mut tx = db::user_tx(pool, id).await?;
    let row = sqlx::query!(
        r#"SELECT u.id, u.email, u.display_name, u.role, u.password_hash,
             EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)
               AS "two_factor!",
             ARRAY(SELECT m.role FROM tenant_members m WHERE m.user_id = u.id) AS "tenant_roles!"
           FROM users u WHERE u.id = $1"#,
        id.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(r) = row else { return Ok(None) };
    let role = parse_role(&r.role)?;
    let tenant_roles: Vec<TenantRole> = r
        .tenant_roles
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();
    let required = two_factor::required(role, &tenant_roles);
    Ok(Some(Loaded {
        user: SessionUser {
            id: UserId(r.id),
            email: r.email,
            display_name: r.display_name,
            role,
            must_set_up_two_factor: required && !r.two_factor,
        },
        password_hash: r.password_hash,
        two_factor_required: required,
    }))
}

/// Finishes a sign-in whose every factor was checked: clears the failure counter and records it.
pub(crate) async fn finish_sign_in(
    svc: &Services,
    id: UserId,
    second_factor: Option<&str>,
    meta: &RequestMeta,
) -> Result<Authenticated, AppError> {
    let Loaded {
        user,
        password_hash: hash,
        ..
    } = load_user(&svc.db, id).await?.ok_or(AppError::Internal)?;
    throttle::record_success(svc, &user.email).await?;
    let mut ev = AuditEvent::by("auth.sign_in", &user);
    if let Some(f) = second_factor {
        ev = ev.details(json!({ "second_factor": f }));
    }
    audit::record(&svc.db, ev, meta).await?;
    Ok(Authenticated {
        user,
        fingerprint: fingerprint(&hash),
    })
}

/// Creates a customer account and signs it in.
pub async fn sign_up(
    svc: &Services,
    email: &str,
    password: &str,
    display_name: &str,
    meta: &RequestMeta,
) -> Result<Authenticated, AppError> {
    sign_up_as(
        svc,
        email,
        password,
        display_name,
        PlatformRole::Customer,
        meta,
    )
    .await
}

/// Creates an account with the role people may pick for themselves (a customer, or a
/// freelancer who goes on to onboarding) and signs it in.
pub async fn sign_up_as(
    svc: &Services,
    email: &str,
    password: &str,
    display_name: &str,
    role: PlatformRole,
    meta: &RequestMeta,
) -> Result<Authenticated, AppError> {
    if !matches!(role, PlatformRole::Customer | PlatformRole::Freelancer) {
        return Err(AppError::Forbidden);
    }
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(email));
    let name = v.check("display_name", DisplayName::parse(display_name));
    let password = v.check("password", Password::parse(password));
    if let (Some(e), Some(p)) = (&email, &password) {
        if let Err(err) = p.check_not_email(e) {
            v.add("password", err.0);
        }
    }
    v.finish()?;
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(AppError::Internal);
    };
    if let Some(ip) = &meta.ip {
        throttle::rate_limit(svc, &["signup", ip], 20, 3600).await?;
    }
    let hash = passwords::hash(&password).await?;
    let id = UserId::new();
    let mut tx = db::begin(&svc.db).await?;
    let inserted = sqlx::query!(
        "INSERT INTO users (id, email, display_name, password_hash, role) VALUES ($1, $2, $3, $4, $5)",
        id.0,
        email.as_str(),
        name.as_str(),
        hash,
        role.as_str()
    )
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(e)) = &inserted {
        if e.constraint() == Some("users_email_key") {
            return Err(AppError::field(
                "email",
                "An account with this email already exists. Sign in, or reset your password.",
            ));
        }
    }
    inserted?;
    audit::append(
        &mut tx,
        AuditEvent::new("auth.sign_up")
            .actor(id)
            .email(email.as_str())
            .details(serde_json::json!({ "role": role.as_str() })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(Authenticated {
        user: SessionUser {
            id,
            email: email.into(),
            display_name: name.into(),
            role,
            must_set_up_two_factor: false,
        },
        fingerprint: fingerprint(&hash),
    })
}

/// Checks an email and password. An unknown email gets the same answer, after the same work,
/// as a wrong password; repeated failures back off and then lock (see [`throttle`]). When the
/// account uses two-factor sign-in, a right password only leads to asking for the code: the
/// failure counter is cleared when the code is right too, so it keeps counting wrong codes.
pub async fn sign_in(
    svc: &Services,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<SignIn, AppError> {
    let typed = email.trim().to_lowercase();
    if typed.is_empty() || password.is_empty() {
        let mut v = Validator::new();
        if typed.is_empty() {
            v.add("email", "Enter your email address.");
        }
        if password.is_empty() {
            v.add("password", "Enter your password.");
        }
        return Err(v.finish().err().unwrap_or(AppError::Internal));
    }
    throttle::check_sign_in(svc, &typed, meta.ip.as_deref()).await?;
    let row = sqlx::query!(
        r#"SELECT u.id, u.password_hash,
             EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)
               AS "two_factor!"
           FROM users u WHERE u.email = $1"#,
        typed
    )
    .fetch_optional(&svc.db)
    .await?;
    let ok = passwords::verify(password, row.as_ref().map(|r| r.password_hash.as_str())).await;
    match row {
        Some(r) if ok && r.two_factor => Ok(SignIn::NeedsCode(PendingSignIn {
            user_id: UserId(r.id),
            fingerprint: fingerprint(&r.password_hash),
        })),
        Some(r) if ok => Ok(SignIn::Done(
            finish_sign_in(svc, UserId(r.id), None, meta).await?,
        )),
        other => {
            throttle::record_failure(svc, &typed, meta.ip.as_deref()).await?;
            let mut ev = AuditEvent::new("auth.sign_in_failed")
                .email(&typed)
                .details(json!({ "known_account": other.is_some() }));
            if let Some(r) = &other {
                ev = ev.actor(UserId(r.id));
            }
            audit::record(&svc.db, ev, meta).await?;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Loads the signed-in person for a session, if the account still exists and the session's
/// password fingerprint still matches.
pub async fn session_user(
    pool: &PgPool,
    id: UserId,
    session_fingerprint: &str,
) -> Result<Option<SessionUser>, AppError> {
    Ok(load_user(pool, id)
        .await?
        .filter(|l| fingerprint(&l.password_hash) == session_fingerprint)
        .map(|l| l.user))
}

/// Loads a user by id (for bearer-token requests).
pub async fn user_by_id(pool: &PgPool, id: UserId) -> Result<Option<SessionUser>, AppError> {
    Ok(load_user(pool, id).await?.map(|l| l.user))
}

/// Records a sign-out.
pub async fn sign_out(
    svc: &Services,
    user: &SessionUser,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    audit::record(&svc.db, AuditEvent::by("auth.sign_out", user), meta).await?;
    Ok(())
}

async fn set_password(
    conn: &mut sqlx::PgConnection,
    user: UserId,
    hash: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        user.0,
        hash
    )
    .execute(&mut *conn)
    .await?;
    // A new password ends every API session too.
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user.0
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Checks the signed-in person's password before a sensitive change, with the same backoff and
/// lockout as signing in. A wrong or empty password is reported at the form field `field`.
pub(crate) async fn confirm_password(
    svc: &Services,
    user: &SessionUser,
    field: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if password.is_empty() {
        return Err(AppError::field(field, "Enter your password."));
    }
    throttle::check_sign_in(svc, &user.email, meta.ip.as_deref()).await?;
    let stored = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id.0)
        .fetch_one(&svc.db)
        .await?;
    if !passwords::verify(password, Some(&stored)).await {
        throttle::record_failure(svc, &user.email, meta.ip.as_deref()).await?;
        return Err(AppError::field(field, "That is not your current password."));
    }
    Ok(())
}

/// Changes a password after checking the current one. Returns the new session fingerprint.
pub async fn change_password(
    svc: &Services,
    user: &SessionUser,
    current: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let mut v = Validator::new();
    if current.is_empty() {
        v.add("current_password", "Enter your current password.");
    }
    let email = Email::parse(&user.email).map_err(|_| AppError::Internal)?;
    let new_password = v.check(
        "new_password",
        Password::parse(new).and_then(|p| p.check_not_email(&email).map(|_| p)),
    );
    v.finish()?;
    let Some(new_password) = new_password else {
        return Err(AppError::Internal);
    };
    confirm_password(svc, user, "current_password", current, meta).await?;
    let hash = passwords::hash(&new_password).await?;
    let mut tx = db::begin(&svc.db).await?;
    set_password(&mut tx, user.id, &hash).await?;
    audit::append(&mut tx, AuditEvent::by("auth.password_changed", user), meta).await?;
    tx.commit().await?;
    events::publish(svc, user.id, UserEventKind::PasswordChanged).await;
    Ok(fingerprint(&hash))
}

/// Emails a reset link when the account exists. Always answers the same way.
pub async fn request_password_reset(
    svc: &Services,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::field("email", e.0))?;
    throttle::rate_limit(svc, &["reset", &sha256_hex(email.as_str())], 5, 3600).await?;
    if let Some(ip) = &meta.ip {
        throttle::rate_limit(svc, &["reset-ip", ip], 30, 3600).await?;
    }
    let user = sqlx::query!("SELECT id FROM users WHERE email = $1", email.as_str())
        .fetch_optional(&svc.db)
        .await?;
    let Some(user) = user else {
        audit::record(
            &svc.db,
            AuditEvent::new("auth.password_reset_requested")
                .email(email.as_str())
                .details(json!({"known_account": false})),
            meta,
        )
        .await?;
        return Ok(());
    };
    let token = random_token(32);
    let expires = OffsetDateTime::now_utc() + svc.settings.reset_ttl;
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        sha256_hex(&token),
        user.id,
        expires
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::new("auth.password_reset_requested")
            .actor(UserId(user.id))
            .email(email.as_str())
            .details(json!({"known_account": true})),
        meta,
    )
    .await?;
    tx.commit().await?;
    let link = format!(
        "{}/reset-password?token={token}",
        svc.settings.base_url.trim_end_matches('/')
    );
    let minutes = svc.settings.reset_ttl.as_secs() / 60;
    let body = format!(
        "Someone asked to reset the password of your Fluxorae account.\n\n\
         To choose a new password, open this link within {minutes} minutes:\n{link}\n\n\
         If it was not you, ignore this email: your password stays as it is."
    );
    svc.mailer
        .send(&email, "Reset your Fluxorae password", &body)
        .await
}

/// Sets a new password from a reset link. The link works once, before it expires.
pub async fn reset_password(
    svc: &Services,
    token: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let expired = || {
        AppError::Conflict(
            "This reset link has expired or was already used. Ask for a new one.".into(),
        )
    };
    let mut tx = db::begin(&svc.db).await?;
    let row = sqlx::query!(
        "SELECT r.user_id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() FOR UPDATE OF r",
        sha256_hex(token)
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(expired)?;
    let email = Email::parse(&row.email).map_err(|_| AppError::Internal)?;
    let password = Password::parse(new)
        .and_then(|p| p.check_not_email(&email).map(|_| p))
        .map_err(|e| AppError::field("new_password", e.0))?;
    let hash = passwords::hash(&password).await?;
    sqlx::query!(
        "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        row.user_id
    )
    .execute(&mut *tx)
    .await?;
    set_password(&mut tx, UserId(row.user_id), &hash).await?;
    audit::append(
        &mut tx,
        AuditEvent::new("auth.password_reset")
            .actor(UserId(row.user_id))
            .email(email.as_str()),
        meta,
    )
    .await?;
    tx.commit().await?;
    events::publish(svc, UserId(row.user_id), UserEventKind::PasswordChanged).await;
    throttle::record_success(svc, email.as_str()).await?;
    Ok(())
}

/// Every user, newest first (platform ADMIN only; the caller checks).
pub async fn list_users(pool: &PgPool, limit: i64) -> Result<Vec<UserSummary>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.email, u.display_name, u.role, u.created_at,
             EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)
               AS "two_factor!"
           FROM users u ORDER BY u.created_at DESC, u.email LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(UserSummary {
                id: UserId(r.id),
                email: r.email,
                display_name: r.display_name,
                role: parse_role(&r.role)?,
                two_factor: r.two_factor,
                created_at: rfc3339(r.created_at),
            })
        })
        .collect()
}

/// Changes a user's platform role (platform ADMIN only; the caller checks).
pub async fn set_role(
    svc: &Services,
    actor: &SessionUser,
    user: UserId,
    role: PlatformRole,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if actor.id == user && role != PlatformRole::Admin {
        return Err(AppError::field(
            "role",
            "You cannot remove your own admin role.",
        ));
    }
    let mut tx = db::platform_tx(&svc.db).await?;
    let old = sqlx::query_scalar!("SELECT role FROM users WHERE id = $1 FOR UPDATE", user.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    sqlx::query!(
        "UPDATE users SET role = $2 WHERE id = $1",
        user.0,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("auth.role_changed", actor)
            .target(format!("user:{user}"))
            .details(json!({"from": old, "to": role.as_str()})),
        meta,
    )
    .await?;
    tx.commit().await?;
    events::publish(svc, user, UserEventKind::RoleChanged).await;
    Ok(())
}
