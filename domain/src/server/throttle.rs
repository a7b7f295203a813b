//! Sign-in backoff and lockout, and fixed-window rate limits, in Redis.
//!
//! Failed sign-ins are counted per account (the email as typed, known or not, so that an
//! attacker learns nothing) and per client IP over a 15-minute window. From the third failure
//! on, each attempt on that account must wait an exponential backoff (2 s, 4 s, …); at the limit
//! the account or IP is locked for the rest of the window (an IP is never slowed, only locked).
//! A successful sign-in clears the account's counter.

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

/// A counter and, for accounts, the key that holds the current backoff.
struct Counter {
    count: String,
    wait: Option<String>,
    limit: u64,
}

fn counters(svc: &Services, email: &str, ip: Option<&str>) -> Vec<Counter> {
    let acct = svc.key(&["signin", "acct", &super::sha256_hex(email)]);
    let mut out = vec![Counter {
        wait: Some(format!("{acct}:wait")),
        count: acct,
        limit: ACCOUNT_LIMIT,
    }];
    // An IP (an office behind NAT, say) is only locked at its higher limit, never slowed.
    if let Some(ip) = ip {
        out.push(Counter {
            count: svc.key(&["signin", "ip", ip]),
            wait: None,
            limit: IP_LIMIT,
        });
    }
    out
}

/// Refuses the attempt while the account is in backoff, or the account or IP is locked.
pub async fn check_sign_in(svc: &Services, email: &str, ip: Option<&str>) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    for c in counters(svc, email, ip) {
        let count: Option<u64> = r.get(&c.count).await?;
        if count.unwrap_or(0) >= c.limit {
            let ttl: i64 = r.ttl(&c.count).await?;
            return Err(AppError::RateLimited {
                retry_after_secs: ttl.max(1) as u64,
            });
        }
        if let Some(wait_key) = &c.wait {
            let wait: i64 = r.pttl(wait_key).await?;
            if wait > 0 {
                return Err(AppError::RateLimited {
                    retry_after_secs: (wait as u64).div_ceil(1000),
                });
            }
        }
    }
    Ok(())
}

/// Counts a failed attempt and starts the account's backoff.
pub async fn record_failure(svc: &Services, email: &str, ip: Option<&str>) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    for c in counters(svc, email, ip) {
        let (n,): (u64,) = redis::pipe()
            .atomic()
            .incr(&c.count, 1u64)
            .cmd("EXPIRE")
            .arg(&c.count)
            .arg(WINDOW_SECS)
            .arg("NX")
            .ignore()
            .query_async(&mut r)
            .await?;
        if let Some(wait_key) = c.wait.filter(|_| n > BACKOFF_AFTER) {
            let secs = 1u64 << (n - BACKOFF_AFTER).min(8);
            let _: () = r.set_ex(&wait_key, 1, secs).await?;
        }
    }
    Ok(())
}

/// Clears the account's failures after a successful sign-in.
pub async fn record_success(svc: &Services, email: &str) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    for c in counters(svc, email, None) {
        let _: () = r.del(&c.count).await?;
        if let Some(w) = c.wait {
            let _: () = r.del(&w).await?;
        }
    }
    Ok(())
}

/// A fixed-window limit: at most `limit` calls per `window_secs` for `key`.
pub async fn rate_limit(
    svc: &Services,
    key: &[&str],
    limit: u64,
    window_secs: u64,
) -> Result<(), AppError> {
    let mut r = svc.redis.clone();
    let k = svc.key(&[&["rl"], key].concat());
    let (n, ttl): (u64, i64) = redis::pipe()
        .atomic()
        .incr(&k, 1u64)
        .cmd("EXPIRE")
        .arg(&k)
        .arg(window_secs)
        .arg("NX")
        .ignore()
        .ttl(&k)
        .query_async(&mut r)
        .await?;
    if n > limit {
        return Err(AppError::RateLimited {
            retry_after_secs: ttl.max(1) as u64,
        });
    }
    Ok(())
}
