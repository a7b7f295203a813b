//! Sign-in backoff and lockout, and fixed-window rate limits, in Redis.
//!
//! Failed sign-ins are counted per account (the email as typed, known or not, so that an
//! attacker learns nothing) and per client IP over a 15-minute window. From the third failure
//! on, each attempt must wait an exponential backoff (2 s, 4 s, …); at the limit the account or IP
//! is locked for the rest of the window. A successful sign-in clears the account's counter.

use redis::AsyncCommands;

use super::Services;
use crate::AppError;

/// Failures per account before lockout.
pub const ACCOUNT_LIMIT: u64 = 5;
/// Failures per IP before lockout.
pub const IP_LIMIT: u64 = 20;
/// The counting window, in seconds.
pub const WINDOW_SECS: u64 = 15 * 60;
/// Failures before backoff starts.
const BACKOFF_AFTER: u64 = 2;

fn keys(svc: &Services, email: &str, ip: Option<&str>) -> (String, String, Option<(String, String)>) {
    let acct = svc.key(&["signin", "acct", &super::sha256_hex(email)]);
    let acct_wait = format!("{acct}:wait");
    let ip_keys = ip.map(|ip| {
        let k = svc.key(&["signin", "ip", ip]);
        let w = format!("{k}:wait");
        (k, w)
    });
    (acct, acct_wait, ip_keys)
}

/// Refuses the attempt while the account or IP is in backoff or locked.
pub async fn check_sign_in(svc: &Services, email: &str, ip: Option<&str>) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    let (acct, acct_wait, ip_keys) = keys(svc, email, ip);
    let mut checks = vec![(acct, acct_wait, ACCOUNT_LIMIT)];
    if let Some((k, w)) = ip_keys {
        checks.push((k, w, IP_LIMIT));
    }
    for (count_key, wait_key, limit) in checks {
        let count: Option<u64> = r.get(&count_key).await?;
        if count.unwrap_or(0) >= limit {
            let ttl: i64 = r.ttl(&count_key).await?;
            return Err(AppError::RateLimited { retry_after_secs: ttl.max(1) as u64 });
        }
        let wait: i64 = r.pttl(&wait_key).await?;
        if wait > 0 {
            return Err(AppError::RateLimited { retry_after_secs: (wait as u64).div_ceil(1000) });
        }
    }
    Ok(())
}

/// Counts a failed attempt and starts the backoff.
pub async fn record_failure(svc: &Services, email: &str, ip: Option<&str>) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    let (acct, acct_wait, ip_keys) = keys(svc, email, ip);
    let mut pairs = vec![(acct, acct_wait)];
    if let Some((k, w)) = ip_keys {
        pairs.push((k, w));
    }
    for (count_key, wait_key) in pairs {
        let (n,): (u64,) = redis::pipe()
            .atomic()
            .incr(&count_key, 1u64)
            .cmd("EXPIRE").arg(&count_key).arg(WINDOW_SECS).arg("NX").ignore()
            .query_async(&mut r)
            .await?;
        if n > BACKOFF_AFTER {
            let secs = 1u64 << (n - BACKOFF_AFTER).min(8);
            let _: () = r.set_ex(&wait_key, 1, secs).await?;
        }
    }
    Ok(())
}

/// Clears the account's failures after a successful sign-in.
pub async fn record_success(svc: &Services, email: &str) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    let (acct, acct_wait, _) = keys(svc, email, None);
    let _: () = r.del(&[acct, acct_wait]).await?;
    Ok(())
}

/// A fixed-window limit: at most `limit` calls per `window_secs` for `key`.
pub async fn rate_limit(svc: &Services, key: &[&str], limit: u64, window_secs: u64) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    let k = svc.key(&[&["rl"], key].concat());
    let (n, ttl): (u64, i64) = redis::pipe()
        .atomic()
        .incr(&k, 1u64)
        .cmd("EXPIRE").arg(&k).arg(window_secs).arg("NX").ignore()
        .ttl(&k)
        .query_async(&mut r)
        .await?;
    if n > limit {
        return Err(AppError::RateLimited { retry_after_secs: ttl.max(1) as u64 });
    }
    Ok(())
}
