//! Sign-up, sign-in, lockout, password change and reset against real Postgres and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{meta, services};
use domain::server::{accounts, audit, mail};
use domain::AppError;
use sqlx::PgPool;

const PW: &str = "correct horse battery";

#[sqlx::test(migrations = "../migrations")]
async fn sign_up_then_sign_in(owner: PgPool) {
    let svc = services(&owner).await;
    let a = accounts::sign_up(&svc, " Ada@Example.com ", PW, "Ada", &meta("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(a.user.email, "ada@example.com");
    let b = common::sign_in(&svc, "ADA@example.com", PW, "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(a.user.id, b.user.id);
    assert_eq!(a.fingerprint, b.fingerprint);
    // The hash is Argon2id and the password is not stored.
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&owner)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"));
    assert!(!stored.contains(PW));
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_up_reports_every_bad_field_and_duplicates(owner: PgPool) {
    let svc = services(&owner).await;
    let err = accounts::sign_up(&svc, "nope", "short", "", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message_for("email"),
        Some("Enter an email address like name@example.com.")
    );
    assert_eq!(
        err.message_for("password"),
        Some("Use at least 10 characters.")
    );
    assert_eq!(err.message_for("display_name"), Some("Enter your name."));
    accounts::sign_up(&svc, "bo@example.com", PW, "Bo", &meta("10.0.0.1"))
        .await
        .unwrap();
    let dup = accounts::sign_up(&svc, "BO@example.com", PW, "Bo", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(dup.message_for("email").unwrap().contains("already exists"));
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_email_and_wrong_password_get_the_same_answer(owner: PgPool) {
    let svc = services(&owner).await;
    accounts::sign_up(&svc, "cy@example.com", PW, "Cy", &meta("10.0.0.1"))
        .await
        .unwrap();
    let wrong = accounts::sign_in(
        &svc,
        "cy@example.com",
        "wrong horse battery",
        &meta("10.0.0.2"),
    )
    .await
    .unwrap_err();
    let unknown = accounts::sign_in(&svc, "nobody@example.com", PW, &meta("10.0.0.3"))
        .await
        .unwrap_err();
    assert_eq!(wrong, AppError::InvalidCredentials);
    assert_eq!(unknown, AppError::InvalidCredentials);
    assert_eq!(wrong.to_string(), unknown.to_string());
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_failures_back_off_then_lock_the_account(owner: PgPool) {
    let svc = services(&owner).await;
    accounts::sign_up(&svc, "di@example.com", PW, "Di", &meta("10.0.0.1"))
        .await
        .unwrap();
    // Two failures: no backoff yet.
    for _ in 0..2 {
        let e = accounts::sign_in(
            &svc,
            "di@example.com",
            "wrong horse battery",
            &meta("10.0.1.1"),
        )
        .await
        .unwrap_err();
        assert_eq!(e, AppError::InvalidCredentials);
    }
    // The third failure starts a backoff: even the right password must wait.
    accounts::sign_in(
        &svc,
        "di@example.com",
        "wrong horse battery",
        &meta("10.0.1.2"),
    )
    .await
    .unwrap_err();
    let e = accounts::sign_in(&svc, "di@example.com", PW, &meta("10.0.1.3"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::RateLimited { retry_after_secs } if retry_after_secs >= 1),
        "{e:?}"
    );
    // Reaching the limit locks the account for the window, from any IP.
    let mut r = svc.redis.clone();
    let key = svc.key(&[
        "signin",
        "acct",
        &domain::server::sha256_hex("di@example.com"),
    ]);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(5)
        .arg("EX")
        .arg(900)
        .query_async(&mut r)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(format!("{key}:wait"))
        .query_async(&mut r)
        .await
        .unwrap();
    let e = accounts::sign_in(&svc, "di@example.com", PW, &meta("10.9.9.9"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::RateLimited { retry_after_secs } if retry_after_secs > 800),
        "{e:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn one_ip_failing_on_many_accounts_is_locked(owner: PgPool) {
    let svc = services(&owner).await;
    for i in 0..domain::server::throttle::IP_LIMIT {
        let e = accounts::sign_in(&svc, &format!("u{i}@example.com"), PW, &meta("10.7.7.7"))
            .await
            .unwrap_err();
        assert_eq!(e, AppError::InvalidCredentials);
    }
    let e = accounts::sign_in(&svc, "fresh@example.com", PW, &meta("10.7.7.7"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");
    // Another IP is unaffected.
    let e = accounts::sign_in(&svc, "fresh@example.com", PW, &meta("10.7.7.8"))
        .await
        .unwrap_err();
    assert_eq!(e, AppError::InvalidCredentials);
}

#[sqlx::test(migrations = "../migrations")]
async fn change_password_needs_the_current_one_and_ends_old_sessions(owner: PgPool) {
    let svc = services(&owner).await;
    let a = accounts::sign_up(&svc, "ed@example.com", PW, "Ed", &meta("10.0.0.1"))
        .await
        .unwrap();
    let e = accounts::change_password(
        &svc,
        &a.user,
        "not it",
        "a new long phrase",
        &meta("10.0.0.1"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("current_password"),
        Some("That is not your current password.")
    );
    let fp = accounts::change_password(&svc, &a.user, PW, "a new long phrase", &meta("10.0.0.1"))
        .await
        .unwrap();
    assert_ne!(fp, a.fingerprint);
    // The old session's fingerprint no longer matches; the new one does.
    assert!(accounts::session_user(&svc.db, a.user.id, &a.fingerprint)
        .await
        .unwrap()
        .is_none());
    assert!(accounts::session_user(&svc.db, a.user.id, &fp)
        .await
        .unwrap()
        .is_some());
    assert!(
        accounts::sign_in(&svc, "ed@example.com", PW, &meta("10.0.0.1"))
            .await
            .is_err()
    );
    assert!(accounts::sign_in(
        &svc,
        "ed@example.com",
        "a new long phrase",
        &meta("10.0.0.1")
    )
    .await
    .is_ok());
}

fn token_from(body: &str) -> String {
    body.split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrations = "../migrations")]
async fn reset_by_emailed_link_works_once(owner: PgPool) {
    let svc = services(&owner).await;
    accounts::sign_up(&svc, "fi@example.com", PW, "Fi", &meta("10.0.0.1"))
        .await
        .unwrap();
    // Unknown email: same answer, no email sent.
    accounts::request_password_reset(&svc, "ghost@example.com", &meta("10.0.0.1"))
        .await
        .unwrap();
    assert!(mail::recent(&svc.db, 10).await.unwrap().is_empty());

    accounts::request_password_reset(&svc, "fi@example.com", &meta("10.0.0.1"))
        .await
        .unwrap();
    let sent = mail::recent(&svc.db, 10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "fi@example.com");
    assert!(sent[0]
        .body
        .contains("http://localhost:3000/reset-password?token="));
    let token = token_from(&sent[0].body);

    let weak = accounts::reset_password(&svc, &token, "short", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(
        weak.message_for("new_password"),
        Some("Use at least 10 characters.")
    );
    accounts::reset_password(&svc, &token, "the reset phrase works", &meta("10.0.0.1"))
        .await
        .unwrap();
    assert!(accounts::sign_in(
        &svc,
        "fi@example.com",
        "the reset phrase works",
        &meta("10.0.0.1")
    )
    .await
    .is_ok());
    let again = accounts::reset_password(&svc, &token, "another reset phrase", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict(_)));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_reset_link_is_refused(owner: PgPool) {
    let svc = services(&owner).await;
    accounts::sign_up(&svc, "gu@example.com", PW, "Gu", &meta("10.0.0.1"))
        .await
        .unwrap();
    accounts::request_password_reset(&svc, "gu@example.com", &meta("10.0.0.1"))
        .await
        .unwrap();
    let token = token_from(&mail::recent(&svc.db, 1).await.unwrap()[0].body);
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .execute(&owner)
        .await
        .unwrap();
    let e = accounts::reset_password(&svc, &token, "too late for this", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)));
}

#[sqlx::test(migrations = "../migrations")]
async fn security_events_are_audited(owner: PgPool) {
    let svc = services(&owner).await;
    let a = accounts::sign_up(&svc, "hu@example.com", PW, "Hu", &meta("10.0.0.1"))
        .await
        .unwrap();
    accounts::sign_in(
        &svc,
        "hu@example.com",
        "wrong horse battery",
        &meta("10.0.0.1"),
    )
    .await
    .unwrap_err();
    accounts::sign_in(&svc, "hu@example.com", PW, &meta("10.0.0.1"))
        .await
        .unwrap();
    accounts::sign_out(&svc, &a.user, &meta("10.0.0.1"))
        .await
        .unwrap();
    accounts::change_password(
        &svc,
        &a.user,
        PW,
        "a changed phrase here",
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    let entries = audit::recent(&svc.db, audit::AuditScope::Platform, 50)
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "auth.sign_up",
            "auth.sign_in_failed",
            "auth.sign_in",
            "auth.sign_out",
            "auth.password_changed"
        ]
    );
    assert!(entries.iter().all(|e| e.ip.as_deref() == Some("10.0.0.1")));
}
