//! Leads against real Postgres: one lead per person across formats, sources and a changed phone
//! number; two leads of one person merged with their history; invalid numbers flagged and never
//! matched; concurrent intakes of one person make one lead; tenants never share a lead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{services, team};
use domain::leads::contact::{normalize, RawContact};
use domain::server::leads::{self, Resolved};
use domain::server::{db, Services};
use domain::types::TenantId;
use phonenumber::country::Id;
use sqlx::PgPool;
use uuid::Uuid;

fn person(phones: &[&str], emails: &[&str]) -> RawContact {
    RawContact {
        phones: phones.iter().map(|s| (*s).to_owned()).collect(),
        emails: emails.iter().map(|s| (*s).to_owned()).collect(),
        ..RawContact::default()
    }
}

async fn take(svc: &Services, tenant: TenantId, raw: RawContact, name: Option<&str>) -> Resolved {
    let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
    let r = leads::resolve(&mut tx, tenant, &normalize(&raw, Id::US), name, "form")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r
}

struct Lead {
    name: Option<String>,
    merged_into: Option<Uuid>,
    invalid_phones: Vec<String>,
    identities: Vec<String>,
    history: Vec<String>,
}

async fn lead(svc: &Services, tenant: TenantId, id: Uuid) -> Lead {
    let mut tx = db::tenant_tx(&svc.db, tenant).await.unwrap();
    let row = sqlx::query!(
        "SELECT name, merged_into, invalid_phones FROM leads WHERE id = $1",
        id
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let identities = sqlx::query_scalar!(
        "SELECT identity FROM lead_identities WHERE lead_id = $1 ORDER BY identity",
        id
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let history = sqlx::query_scalar!(
        "SELECT kind FROM lead_events WHERE lead_id = $1 ORDER BY id",
        id
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Lead {
        name: row.name,
        merged_into: row.merged_into,
        invalid_phones: row.invalid_phones,
        identities,
        history,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn one_person_is_one_lead_across_formats_sources_and_a_new_number(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let first = take(&svc, t, person(&["(415) 555-2671"], &[]), Some("Ana Ruiz")).await;
    assert!(first.created);
    // The same number written another way, and with the same address later: the same lead.
    let again = take(
        &svc,
        t,
        person(&["+1 415.555.2671"], &["  Ana@Example.com "]),
        None,
    )
    .await;
    assert_eq!((again.lead, again.created), (first.lead, false));
    // She changes her number and writes from the new one with her address: still her lead,
    // now known by both numbers.
    let moved = take(
        &svc,
        t,
        person(&["+44 20 7183 8750"], &["ana@example.com"]),
        None,
    )
    .await;
    assert_eq!(moved.lead, first.lead);
    let l = lead(&svc, t, first.lead).await;
    assert_eq!(l.name.as_deref(), Some("Ana Ruiz"));
    assert_eq!(
        l.identities,
        [
            "email:ana@example.com",
            "phone:+14155552671",
            "phone:+442071838750"
        ]
    );
    assert_eq!(l.history, ["created", "identity_added", "identity_added"]);

    // Another team's lead with the same number is its own.
    let other = team(&svc, "team-b").await;
    let theirs = take(&svc, other, person(&["4155552671"], &[]), None).await;
    assert!(theirs.created);
    assert_ne!(theirs.lead, first.lead);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_contact_naming_two_leads_merges_them_with_their_history(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let by_phone = take(&svc, t, person(&["415 555 2671", "12"], &[]), None).await;
    let by_email = take(&svc, t, person(&[], &["ana@example.com"]), Some("Ana")).await;
    assert_ne!(by_phone.lead, by_email.lead);

    let both = take(&svc, t, person(&["4155552671"], &["ana@example.com"]), None).await;
    assert_eq!(both.lead, by_phone.lead, "the older lead is kept");
    assert_eq!(both.merged, [by_email.lead]);
    let kept = lead(&svc, t, by_phone.lead).await;
    assert_eq!(
        kept.name.as_deref(),
        Some("Ana"),
        "a name it lacked comes along"
    );
    assert_eq!(
        kept.identities,
        ["email:ana@example.com", "phone:+14155552671"]
    );
    assert_eq!(kept.invalid_phones, ["12"]);
    // Both histories, now on the kept lead, and the merge itself.
    assert_eq!(kept.history, ["created", "created", "merged"]);
    let gone = lead(&svc, t, by_email.lead).await;
    assert_eq!(gone.merged_into, Some(by_phone.lead));
    assert!(gone.identities.is_empty() && gone.history.is_empty());

    // An invalid number is flagged on its lead and never used to match.
    let a = take(&svc, t, person(&["555-0000"], &[]), None).await;
    let b = take(&svc, t, person(&["555-0000"], &[]), None).await;
    assert_ne!(a.lead, b.lead);
    assert_eq!(lead(&svc, t, a.lead).await.invalid_phones, ["555-0000"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_intakes_of_one_person_make_one_lead(owner: PgPool) {
    let svc = services(&owner).await;
    let t = team(&svc, "team-a").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            // Half by phone only, half by phone and email: all one person.
            let emails: &[&str] = if i % 2 == 0 { &[] } else { &["bo@example.com"] };
            take(&svc, t, person(&["+1 415 555 2671"], emails), None).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().lead);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let mut tx = db::tenant_tx(&svc.db, t).await.unwrap();
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM leads WHERE merged_into IS NULL")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(live, 1);
    tx.commit().await.unwrap();
}
