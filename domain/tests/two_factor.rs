//! Two-factor sign-in against real Postgres and Redis: setting it up, codes that work once,
//! recovery codes, required roles, turning it off, and what the audit trail records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, meta, services};
use domain::server::accounts::{self, SignIn};
use domain::server::tenants::{self, TenantKind};
use domain::server::{guard, two_factor, Services};
use domain::types::Slug;
use domain::user::SessionUser;
use domain::AppError;
use sqlx::PgPool;

const PW: &str = "correct horse battery";

/// The code for `secret` at `offset` steps from now (an authenticator app whose clock is a
/// little ahead, or the next code).
fn code_at(secret: &str, offset: u64) -> String {
    two_factor::code_at(secret, two_factor::current_step() + offset).unwrap()
}

async fn actions(owner: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
        .fetch_all(&all_rows(owner).await)
        .await
        .unwrap()
}

/// A new account with two-factor sign-in on; returns it, its base32 secret and recovery codes.
async fn enrolled(svc: &Services, email: &str) -> (SessionUser, String, Vec<String>) {
    let user = accounts::sign_up(svc, email, PW, "Tess", &meta("10.0.0.1"))
        .await
        .unwrap()
        .user;
    let setup = two_factor::begin_setup(svc, &user).await.unwrap();
    let codes =
        two_factor::confirm_setup(svc, &user, &code_at(&setup.secret, 0), &meta("10.0.0.1"))
            .await
            .unwrap();
    (user, setup.secret, codes)
}

async fn pending(svc: &Services, email: &str) -> accounts::PendingSignIn {
    match accounts::sign_in(svc, email, PW, &meta("10.0.0.1"))
        .await
        .unwrap()
    {
        SignIn::NeedsCode(p) => p,
        SignIn::Done(_) => panic!("{email} signed in without a second factor"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn set_up_with_a_first_code_then_sign_in_with_the_next(owner: PgPool) {
    let svc = services(&owner).await;
    let user = accounts::sign_up(&svc, "tess@example.com", PW, "Tess", &meta("10.0.0.1"))
        .await
        .unwrap()
        .user;
    let off = two_factor::status(&svc.db, &user).await.unwrap();
    assert!(!off.enabled && !off.required);

    let setup = two_factor::begin_setup(&svc, &user).await.unwrap();
    assert!(setup.uri.contains("issuer=Fluxorae"));
    // The secret is stored sealed, never in clear.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM user_totp")
        .fetch_one(&owner)
        .await
        .unwrap();
    let raw = totp_rs::Secret::Encoded(setup.secret.replace(' ', ""))
        .to_bytes()
        .unwrap();
    assert!(!sealed.windows(raw.len()).any(|w| w == raw.as_slice()));
    // Until it is confirmed, signing in needs no code.
    assert!(matches!(
        accounts::sign_in(&svc, "tess@example.com", PW, &meta("10.0.0.1"))
            .await
            .unwrap(),
        SignIn::Done(_)
    ));

    let wrong = two_factor::confirm_setup(&svc, &user, "000000", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(wrong
        .message_for("code")
        .unwrap()
        .contains("does not match"));
    let unreadable = two_factor::confirm_setup(&svc, &user, "12ab", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(unreadable.message_for("code").unwrap().contains("6-digit"));

    let now = code_at(&setup.secret, 0);
    let codes = two_factor::confirm_setup(&svc, &user, &now, &meta("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let on = two_factor::status(&svc.db, &user).await.unwrap();
    assert!(on.enabled);
    assert_eq!(on.recovery_codes_left, 10);
    // Setting up again is refused once it is on.
    assert!(matches!(
        two_factor::begin_setup(&svc, &user).await.unwrap_err(),
        AppError::Conflict(_)
    ));

    // The password alone no longer signs in; the code used to confirm does not work again.
    let p = pending(&svc, "tess@example.com").await;
    let replay = two_factor::complete_sign_in(&svc, &p, &now, &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(replay.message_for("code").unwrap().contains("already used"));
    // The next code (a phone clock a little ahead) does.
    let auth =
        two_factor::complete_sign_in(&svc, &p, &code_at(&setup.secret, 1), &meta("10.0.0.1"))
            .await
            .unwrap();
    assert_eq!(auth.user.id, user.id);
    assert!(!auth.user.must_set_up_two_factor);

    let log = actions(&owner).await;
    assert!(
        log.contains(&"auth.two_factor_enabled".to_owned()),
        "{log:?}"
    );
    assert!(
        log.contains(&"auth.two_factor_failed".to_owned()),
        "{log:?}"
    );
    let details: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'auth.sign_in' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(details["second_factor"], "totp");
}

#[sqlx::test(migrations = "../migrations")]
async fn recovery_codes_work_once_and_can_be_replaced(owner: PgPool) {
    let svc = services(&owner).await;
    let (user, _secret, codes) = enrolled(&svc, "rex@example.com").await;

    let p = pending(&svc, "rex@example.com").await;
    // Typed in capitals and without the dash, it still works.
    let typed = codes[0].replace('-', "").to_uppercase();
    two_factor::complete_sign_in(&svc, &p, &typed, &meta("10.0.0.1"))
        .await
        .unwrap();
    let again = two_factor::complete_sign_in(&svc, &p, &codes[0], &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(again.message_for("code").unwrap().contains("already used"));
    assert_eq!(
        two_factor::status(&svc.db, &user)
            .await
            .unwrap()
            .recovery_codes_left,
        9
    );

    let fresh = two_factor::regenerate_recovery_codes(&svc, &user, PW, &meta("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(fresh.len(), 10);
    // The old codes are gone.
    let old = two_factor::complete_sign_in(&svc, &p, &codes[1], &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(old.message_for("code").is_some());
    two_factor::complete_sign_in(&svc, &p, &fresh[3], &meta("10.0.0.1"))
        .await
        .unwrap();
    assert!(actions(&owner)
        .await
        .contains(&"auth.recovery_codes_regenerated".to_owned()));
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_codes_count_as_failed_sign_ins(owner: PgPool) {
    let svc = services(&owner).await;
    let (_user, secret, _codes) = enrolled(&svc, "max@example.com").await;
    let p = pending(&svc, "max@example.com").await;
    for _ in 0..3 {
        let e = two_factor::complete_sign_in(&svc, &p, "000000", &meta("10.0.0.1"))
            .await
            .unwrap_err();
        assert!(e.message_for("code").is_some(), "{e:?}");
    }
    // Backoff: even the right code must wait, and the right password does not reset it.
    let e = two_factor::complete_sign_in(&svc, &p, &code_at(&secret, 1), &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");
    let e = accounts::sign_in(&svc, "max@example.com", PW, &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pending_sign_in_ends_when_the_password_changes(owner: PgPool) {
    let svc = services(&owner).await;
    let (user, secret, _codes) = enrolled(&svc, "pat@example.com").await;
    let p = pending(&svc, "pat@example.com").await;
    accounts::change_password(
        &svc,
        &user,
        PW,
        "a different long phrase",
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    let e = two_factor::complete_sign_in(&svc, &p, &code_at(&secret, 1), &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(e, AppError::Unauthorized);
}

#[sqlx::test(migrations = "../migrations")]
async fn owners_must_set_it_up_before_anything_else_and_cannot_turn_it_off(owner: PgPool) {
    let svc = services(&owner).await;
    let user = accounts::sign_up(&svc, "olu@example.com", PW, "Olu", &meta("10.0.0.1"))
        .await
        .unwrap();
    let slug = Slug::parse("olus-team").unwrap();
    tenants::create(
        &svc,
        &user.user,
        &slug,
        "Olu's team",
        TenantKind::SalesTeam,
        &meta("10.0.0.1"),
    )
    .await
    .unwrap();
    // Now an OWNER: the session's person must set up two-factor sign-in first.
    let me = accounts::session_user(&svc.db, user.user.id, &user.fingerprint)
        .await
        .unwrap()
        .unwrap();
    assert!(me.must_set_up_two_factor);
    assert_eq!(
        guard::signed_in(Some(&me)).unwrap_err(),
        AppError::TwoFactorSetupRequired
    );
    assert!(guard::setting_up(Some(&me)).is_ok());
    let st = two_factor::status(&svc.db, &me).await.unwrap();
    assert!(st.required && !st.enabled);

    let setup = two_factor::begin_setup(&svc, &me).await.unwrap();
    two_factor::confirm_setup(&svc, &me, &code_at(&setup.secret, 0), &meta("10.0.0.1"))
        .await
        .unwrap();
    let me = accounts::session_user(&svc.db, user.user.id, &user.fingerprint)
        .await
        .unwrap()
        .unwrap();
    assert!(!me.must_set_up_two_factor);
    assert!(guard::signed_in(Some(&me)).is_ok());
    assert!(two_factor::status(&svc.db, &me).await.unwrap().required);
    let off = two_factor::disable(&svc, &me, PW, &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(off, AppError::Conflict(ref m) if m.contains("stays on")),
        "{off:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn turning_it_off_needs_the_password(owner: PgPool) {
    let svc = services(&owner).await;
    let (user, _secret, _codes) = enrolled(&svc, "ivy@example.com").await;
    let e = two_factor::disable(&svc, &user, "not my password", &meta("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("password"),
        Some("That is not your current password.")
    );
    let wrong_pw =
        two_factor::regenerate_recovery_codes(&svc, &user, "not my password", &meta("10.0.0.1"))
            .await
            .unwrap_err();
    assert_eq!(
        wrong_pw.message_for("current_password"),
        Some("That is not your current password.")
    );
    two_factor::disable(&svc, &user, PW, &meta("10.0.0.1"))
        .await
        .unwrap();
    assert!(!two_factor::status(&svc.db, &user).await.unwrap().enabled);
    assert!(matches!(
        accounts::sign_in(&svc, "ivy@example.com", PW, &meta("10.0.0.1"))
            .await
            .unwrap(),
        SignIn::Done(_)
    ));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM recovery_codes")
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert!(actions(&owner)
        .await
        .contains(&"auth.two_factor_disabled".to_owned()));
}
