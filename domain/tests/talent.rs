//! Freelancer onboarding against real Postgres and Redis: a new freelancer's profile from
//! draft to approval, identity documents sealed at rest and opened only by their owner and
//! staff (audited), and applications to projects decided once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{meta, services, user};
use domain::project::FundChoice;
use domain::server::projects::wizard;
use domain::server::site::media::MediaStore;
use domain::server::{accounts, seed, talent, Services};
use domain::talent::{
    ApplicationInput, ApplicationStatus, Availability, KycKind, PieceInput, ProfileInput,
    ProfileStatus, ReviewDecision, TimeOff,
};
use domain::user::SessionUser;
use domain::workspace::{format_date, today};
use domain::AppError;
use object_store::memory::InMemory;
use object_store::ObjectStoreExt;
use sqlx::PgPool;
use uuid::Uuid;

const PW: &str = "correct horse battery staple";
const PASSPORT: &[u8] = b"%PDF-1.4\n% passport of Nia Newcomer, number X1234567\n%%EOF\n";

async fn with_memory_store(owner: &PgPool) -> (Services, Arc<InMemory>) {
    let mut svc = services(owner).await;
    let store = Arc::new(InMemory::new());
    svc.media = Arc::new(MediaStore::new(store.clone(), "memory"));
    (svc, store)
}

async fn upload(
    svc: &Services,
    u: &SessionUser,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Uuid, AppError> {
    let file = talent::Upload {
        name: name.into(),
        bytes: bytes.to_vec(),
    };
    talent::upload_document(svc, u, kind, file, &meta("198.51.100.10")).await
}

async fn newcomer(svc: &Services) -> SessionUser {
    let auth = accounts::sign_up_as(
        svc,
        "nia@example.com",
        PW,
        "Nia Newcomer",
        domain::roles::PlatformRole::Freelancer,
        &meta("198.51.100.7"),
    )
    .await
    .unwrap();
    auth.user
}

fn profile() -> ProfileInput {
    ProfileInput {
        headline: "Flutter developer for delivery apps".into(),
        bio: "Five years of Flutter and Firebase; shipped apps for three restaurant chains.".into(),
        hourly_rate: "40".into(),
        utc_offset: "330".into(),
        skills: vec!["Flutter".into(), "firebase".into(), "Kotlin".into()],
    }
}

async fn fill_in(svc: &Services, u: &SessionUser) {
    let m = meta("198.51.100.7");
    talent::save_profile(svc, u, &profile(), &m).await.unwrap();
    let off_from = today() + time::Duration::days(7);
    let hours = talent::save_availability(
        svc,
        u,
        &Availability {
            weekly: [6, 6, 6, 6, 6, 0, 0],
            time_off: vec![TimeOff {
                from: format_date(off_from),
                to: format_date(off_from + time::Duration::days(6)),
                note: "Family wedding".into(),
            }],
        },
        &m,
    )
    .await
    .unwrap();
    // One week of four off: three weeks of 30 hours, averaged.
    assert_eq!(hours, 23);
    talent::add_piece(
        svc,
        u,
        &PieceInput {
            title: "Tiffin delivery app".into(),
            description: "Flutter app and Firebase backend, 40k downloads.".into(),
            url: "https://example.com/tiffin".into(),
        },
        None,
        &m,
    )
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_freelancer_goes_from_draft_to_approved(owner: PgPool) {
    let (svc, _) = with_memory_store(&owner).await;
    seed::seed_demo(&svc).await.unwrap();
    let staff = user(&svc, "employee@demo.fluxorae.test").await;
    let customer = user(&svc, "customer@demo.fluxorae.test").await;
    let nia = newcomer(&svc).await;
    let m = meta("198.51.100.7");

    // A fresh profile is a draft, out of matching, and says what it lacks.
    let p = talent::mine(&svc, &nia).await.unwrap();
    assert_eq!(p.status, ProfileStatus::Draft);
    assert_eq!(p.missing().len(), 6);
    let active: bool = sqlx::query_scalar("SELECT active FROM talent_profiles WHERE user_id = $1")
        .bind(nia.id.0)
        .fetch_one(&owner)
        .await
        .unwrap();
    assert!(!active);
    let e = talent::submit(&svc, &nia, &m).await.unwrap_err();
    assert!(e.message_for("submit").unwrap().contains("a headline"));

    // Only freelancers and experts have profiles; a bad form says what is wrong, saves nothing.
    assert_eq!(
        talent::mine(&svc, &customer).await.unwrap_err(),
        AppError::Forbidden
    );
    let mut bad = profile();
    bad.skills.push("Underwater basket weaving".into());
    let e = talent::save_profile(&svc, &nia, &bad, &m)
        .await
        .unwrap_err();
    assert!(e.message_for("skills").is_some());
    assert!(talent::mine(&svc, &nia)
        .await
        .unwrap()
        .input
        .skills
        .is_empty());

    fill_in(&svc, &nia).await;
    let p = talent::mine(&svc, &nia).await.unwrap();
    assert_eq!(p.input.skills, ["Flutter", "Firebase", "Kotlin"]);
    assert_eq!(p.calendar.len(), 28);
    assert!(p.calendar.iter().any(|d| d.off));
    // A proof of address is not an identity document.
    assert_eq!(
        p.missing(),
        ["an identity document (passport, ID card or driving licence)"]
    );

    upload(
        &svc,
        &nia,
        KycKind::Passport.as_str(),
        "passport.pdf",
        PASSPORT,
    )
    .await
    .unwrap();
    talent::submit(&svc, &nia, &m).await.unwrap();
    assert_eq!(
        talent::mine(&svc, &nia).await.unwrap().status,
        ProfileStatus::Submitted
    );
    // While ops reviews it, it cannot change.
    let e = talent::save_profile(&svc, &nia, &profile(), &m)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)));

    // Ops sees it; asking for changes needs a note; the freelancer is told by email.
    let queue = talent::review_queue(&svc, &staff).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].email, "nia@example.com");
    assert_eq!(
        talent::review_queue(&svc, &nia).await.unwrap_err(),
        AppError::Forbidden
    );
    let e = talent::review(
        &svc,
        &staff,
        nia.id.0,
        ReviewDecision::RequestChanges,
        " ",
        &m,
    )
    .await
    .unwrap_err();
    assert!(e.message_for("note").is_some());
    talent::review(
        &svc,
        &staff,
        nia.id.0,
        ReviewDecision::RequestChanges,
        "Add a second portfolio piece with a file.",
        &m,
    )
    .await
    .unwrap();
    let p = talent::mine(&svc, &nia).await.unwrap();
    assert_eq!(p.status, ProfileStatus::ChangesRequested);
    assert_eq!(
        p.review_note.as_deref(),
        Some("Add a second portfolio piece with a file.")
    );
    let mail: String = sqlx::query_scalar(
        "SELECT body_text FROM email_outbox WHERE to_address = 'nia@example.com' ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    assert!(mail.contains("Add a second portfolio piece"), "{mail}");

    // A deciding twice is refused; resubmitted and approved, the profile joins matching.
    let again = talent::review(&svc, &staff, nia.id.0, ReviewDecision::Approve, "", &m).await;
    assert!(matches!(again, Err(AppError::Conflict(_))));
    talent::submit(&svc, &nia, &m).await.unwrap();
    talent::review(&svc, &staff, nia.id.0, ReviewDecision::Approve, "", &m)
        .await
        .unwrap();
    let (status, active, hours): (String, bool, i16) = sqlx::query_as(
        "SELECT status, active, available_hours FROM talent_profiles WHERE user_id = $1",
    )
    .bind(nia.id.0)
    .fetch_one(&owner)
    .await
    .unwrap();
    assert_eq!((status.as_str(), active, hours), ("approved", true, 23));
}

#[sqlx::test(migrations = "../migrations")]
async fn identity_documents_are_sealed_at_rest_and_opened_only_by_owner_and_staff(owner: PgPool) {
    let (svc, store) = with_memory_store(&owner).await;
    seed::seed_demo(&svc).await.unwrap();
    let staff = user(&svc, "employee@demo.fluxorae.test").await;
    let other = user(&svc, "freelancer@demo.fluxorae.test").await;
    let customer = user(&svc, "customer@demo.fluxorae.test").await;
    let nia = newcomer(&svc).await;
    let m = meta("198.51.100.8");

    // Not a scan: refused with a message.
    let e = upload(&svc, &nia, "passport", "notes.txt", b"just some text")
        .await
        .unwrap_err();
    assert!(e.message_for("file").is_some());
    let e = upload(&svc, &nia, "library_card", "p.pdf", PASSPORT)
        .await
        .unwrap_err();
    assert!(e.message_for("kind").is_some());

    let doc = upload(&svc, &nia, "passport", "passport.pdf", PASSPORT)
        .await
        .unwrap();

    // At rest: the store holds ciphertext only; the database holds a wrapped key, not the key.
    let key: String = sqlx::query_scalar("SELECT store_key FROM kyc_documents WHERE id = $1")
        .bind(doc)
        .fetch_one(&owner)
        .await
        .unwrap();
    let raw = store
        .get(&object_store::path::Path::from(key.as_str()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!raw.windows(8).any(|w| w == b"passport"));
    assert!(!raw.windows(5).any(|w| w == b"%PDF-"));
    let wrapped: Vec<u8> =
        sqlx::query_scalar("SELECT wrapped FROM user_data_keys WHERE user_id = $1")
            .bind(nia.id.0)
            .fetch_one(&owner)
            .await
            .unwrap();
    assert_eq!(wrapped.len(), 1 + 12 + 32 + 16);

    // The owner and staff get the original bytes; staff access is in the audit trail.
    let mine = talent::document(&svc, &nia, doc, &m).await.unwrap();
    assert_eq!(&mine.bytes[..], PASSPORT);
    assert_eq!(mine.content_type, "application/pdf");
    let seen = talent::document(&svc, &staff, doc, &m).await.unwrap();
    assert_eq!(&seen.bytes[..], PASSPORT);
    let views: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'kyc.document_viewed' AND actor_id = $1",
    )
    .bind(staff.id.0)
    .fetch_one(&common::all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(views, 1);
    // Anyone else: as if it did not exist.
    for who in [&other, &customer] {
        assert_eq!(
            talent::document(&svc, who, doc, &m).await.unwrap_err(),
            AppError::NotFound
        );
    }

    // Sealed bytes copied onto another document's row do not open.
    let second = upload(
        &svc,
        &nia,
        "proof_of_address",
        "bill.pdf",
        b"%PDF-1.4\n% electricity bill\n",
    )
    .await
    .unwrap();
    sqlx::query("UPDATE kyc_documents SET store_key = $1 WHERE id = $2")
        .bind(&key)
        .bind(second)
        .execute(&owner)
        .await
        .unwrap();
    assert_eq!(
        talent::document(&svc, &nia, second, &m).await.unwrap_err(),
        AppError::Internal
    );

    // Removing a document deletes its sealed bytes.
    talent::remove_document(&svc, &nia, doc, &m).await.unwrap();
    assert!(store
        .get(&object_store::path::Path::from(key.as_str()))
        .await
        .is_err());
    assert_eq!(
        talent::document(&svc, &nia, doc, &m).await.unwrap_err(),
        AppError::NotFound
    );
}

async fn open_project(svc: &Services, customer: &SessionUser) -> Uuid {
    let draft = wizard::analyze(
        svc,
        customer,
        None,
        "A Flutter delivery app for our bakery chain with order tracking and payments; launch in two months.",
        None,
    )
    .await
    .unwrap();
    wizard::confirm(
        svc,
        customer,
        draft.id,
        draft.version,
        FundChoice::First,
        "4242 4242 4242 4242",
        &meta("203.0.113.90"),
    )
    .await
    .unwrap()
    .project_id
}

#[sqlx::test(migrations = "../migrations")]
async fn approved_freelancers_apply_and_one_decision_assigns(owner: PgPool) {
    let (svc, _) = with_memory_store(&owner).await;
    seed::seed_demo(&svc).await.unwrap();
    let staff = user(&svc, "employee@demo.fluxorae.test").await;
    let admin = user(&svc, "admin@demo.fluxorae.test").await;
    let customer = user(&svc, "customer@demo.fluxorae.test").await;
    let fern = user(&svc, "freelancer@demo.fluxorae.test").await;
    let nia = newcomer(&svc).await;
    let m = meta("198.51.100.9");
    let project = open_project(&svc, &customer).await;

    // Not approved yet: no open projects, no applying.
    assert!(matches!(
        talent::open_projects(&svc, &nia).await,
        Err(AppError::Conflict(_))
    ));

    // Fern (approved) sees the brief, never the customer.
    let open = talent::open_projects(&svc, &fern).await.unwrap();
    let p = open.iter().find(|p| p.id == project).expect("listed");
    assert!(p.mine.is_none());
    assert!(!serde_json::to_string(p).unwrap().contains("Cai"));

    let bad = ApplicationInput {
        proposal: "Me!".into(),
        price: "free".into(),
        weeks: "".into(),
    };
    let e = talent::apply(&svc, &fern, project, &bad, &m)
        .await
        .unwrap_err();
    for f in ["proposal", "price", "weeks"] {
        assert!(e.message_for(f).is_some(), "{f}");
    }
    let good = ApplicationInput {
        proposal: "I built two Flutter delivery apps with live order tracking; I can start Monday."
            .into(),
        price: "$6,000".into(),
        weeks: "8".into(),
    };
    let app = talent::apply(&svc, &fern, project, &good, &m)
        .await
        .unwrap();
    // Sending again while it waits revises the same application.
    let revised = ApplicationInput {
        price: "5500".into(),
        ..good.clone()
    };
    assert_eq!(
        talent::apply(&svc, &fern, project, &revised, &m)
            .await
            .unwrap(),
        app
    );
    let listed = talent::applications(&svc, &staff, project).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].price_usd, 5_500);
    assert_eq!(listed[0].status, ApplicationStatus::Pending);
    assert_eq!(
        talent::applications(&svc, &fern, project)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );

    // Two staff accept at once: one wins, the other is told.
    let (a, b) = tokio::join!(
        talent::decide(&svc, &staff, app, true, &m),
        talent::decide(&svc, &admin, app, true, &m),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let members: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM project_members WHERE project_id = $1 AND user_id = $2 AND role = 'freelancer'",
    )
    .bind(project)
    .bind(fern.id.0)
    .fetch_one(&owner)
    .await
    .unwrap();
    assert_eq!(members, 1);
    let assigned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM milestones WHERE project_id = $1 AND freelancer_id = $2",
    )
    .bind(project)
    .bind(fern.id.0)
    .fetch_one(&owner)
    .await
    .unwrap();
    assert!(assigned > 0);
    let mine = talent::open_projects(&svc, &fern).await.unwrap();
    assert_eq!(
        mine.iter()
            .find(|p| p.id == project)
            .and_then(|p| p.mine.as_ref())
            .map(|a| a.status),
        Some(ApplicationStatus::Accepted)
    );

    // Once assigned, the project takes no more applications and leaves others' lists.
    fill_in(&svc, &nia).await;
    upload(&svc, &nia, "national_id", "id.pdf", PASSPORT)
        .await
        .unwrap();
    talent::submit(&svc, &nia, &m).await.unwrap();
    talent::review(&svc, &staff, nia.id.0, ReviewDecision::Approve, "", &m)
        .await
        .unwrap();
    assert!(!talent::open_projects(&svc, &nia)
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == project));
    assert!(matches!(
        talent::apply(&svc, &nia, project, &good, &m).await,
        Err(AppError::Conflict(_))
    ));
    // A decided application cannot be withdrawn.
    assert!(matches!(
        talent::withdraw(&svc, &fern, app, &m).await,
        Err(AppError::Conflict(_))
    ));
}
