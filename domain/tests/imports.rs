//! Importing leads from CSV against real Postgres: the header is read and the columns guessed at
//! upload; every row ends in one place (new, matched, merged or refused with its reason in the
//! report); people already known from WhatsApp are matched, not added twice; a row that names
//! two known leads merges them; a file of several chunks is read to its end, and one a stopped
//! worker left is taken up at the row where it stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, services, team};
use domain::leads::import::{ImportState, Mapping};
use domain::leads::ChannelKind;
use domain::permissions::{Access, Resource};
use domain::server::channels::intake;
use domain::server::guard::{self, TenantGrant};
use domain::server::leads::import;
use domain::server::Services;
use domain::types::TenantId;
use domain::user::SessionUser;
use domain::AppError;
use serde_json::json;
use sqlx::PgPool;

/// Team A, and its owner (two-factor set up) with what they may do with its leads: import.
async fn team_a_importer(svc: &Services) -> (TenantId, SessionUser, TenantGrant) {
    let t = team(svc, "team-a").await;
    let boss = common::with_two_factor(svc, "team-a@example.com").await;
    let g = guard::tenant(
        &svc.db,
        Some(&boss),
        "team-a",
        Resource::Leads,
        Access::Write,
    )
    .await
    .unwrap();
    (t, boss, g)
}

#[sqlx::test(migrations = "../migrations")]
async fn every_row_of_a_file_is_created_matched_merged_or_reported(owner: PgPool) {
    let svc = services(&owner).await;
    let (t, boss, g) = team_a_importer(&svc).await;
    // Ana wrote on WhatsApp; Bo filled in a form (an email only).
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    let body = json!({ "object": "whatsapp_business_account", "entry": [ { "id": "W", "changes": [
        { "field": "messages", "value": { "metadata": { "phone_number_id": "PN1" },
          "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
          "messages": [ { "from": "14155552671", "id": "w1", "timestamp": "1764590400", "type": "text",
                          "text": { "body": "hello" } } ] } } ] } ] });
    intake::receive(&svc, ChannelKind::Whatsapp, body.to_string().as_bytes())
        .await
        .unwrap();
    intake::process_pending(&svc, 10).await.unwrap();
    {
        let raw = domain::leads::contact::RawContact {
            emails: vec!["bo@example.com".into()],
            ..Default::default()
        };
        let mut tx = domain::server::db::tenant_tx(&svc.db, t).await.unwrap();
        domain::server::leads::resolve(
            &mut tx,
            t,
            &domain::leads::contact::normalize(&raw, phonenumber::country::Id::US),
            Some("Bo"),
            "form",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    let csv = "\u{feff}Full name,Mobile,E-mail,Company\n\
               Cy Doe,+44 7911 123456,cy@example.com,Acme\n\
               Ana Known,+1 415 555 2671,,\n\
               ,,,\n\
               Cy again,,CY@example.com,\n\
               Bad Number,12,,\n\
               No Contact,,,\n\
               \"Merge, Both\",415-555-2671,bo@example.com,\n\
               Dee,+49 151 12345678,dee@,\n";
    // Refused before anything is kept: not a CSV, no country.
    let e = import::upload(&svc, &g, boss.id, "x.csv", b"", "US")
        .await
        .unwrap_err();
    assert_eq!(e.message_for("file"), Some("Choose a CSV file."));
    let e = import::upload(&svc, &g, boss.id, "x.csv", &[0xff, 0xfe, 0x00], "US")
        .await
        .unwrap_err();
    assert!(e.message_for("file").unwrap().contains("not UTF-8"));
    let e = import::upload(&svc, &g, boss.id, "x.csv", csv.as_bytes(), "Narnia")
        .await
        .unwrap_err();
    assert!(e.message_for("country").is_some());

    let v = import::upload(&svc, &g, boss.id, "leads.csv", csv.as_bytes(), "us")
        .await
        .unwrap();
    assert_eq!(v.state, ImportState::Mapping);
    assert_eq!(v.headers, ["Full name", "Mobile", "E-mail", "Company"]);
    assert_eq!(v.total, 7, "the blank row is not a row");
    assert_eq!(v.preview[0][0], "Cy Doe");
    assert_eq!(
        v.mapping,
        Mapping {
            name: Some(0),
            phones: vec![1],
            emails: vec![2],
        }
    );
    // Nothing happens before the columns are confirmed; a bad mapping is refused.
    assert_eq!(import::run_pending(&svc).await.unwrap().rows, 0);
    let e = import::start(&svc, &g, v.id, &Mapping::default())
        .await
        .unwrap_err();
    assert!(e
        .message_for("mapping")
        .unwrap()
        .contains("at least one column"));
    import::start(&svc, &g, v.id, &v.mapping).await.unwrap();
    let e = import::start(&svc, &g, v.id, &v.mapping).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)));

    let ran = import::run_pending(&svc).await.unwrap();
    assert_eq!((ran.imports, ran.rows), (1, 7));
    let v = import::view(&svc, &g, v.id).await.unwrap();
    assert_eq!(v.state, ImportState::Done);
    assert_eq!(v.percent(), 100);
    // Cy and Dee are new; "Cy again" and Ana are matched; the merge row joins Ana and Bo; two
    // rows are refused.
    assert_eq!(
        (v.processed, v.created, v.matched, v.merged, v.failed),
        (7, 2, 2, 1, 2)
    );
    let (name, report) = import::error_report(&svc, &g, v.id).await.unwrap();
    assert_eq!(name, "leads-errors.csv");
    // Row numbers as a spreadsheet shows them (the header is row 1, the empty row 4 counts).
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines,
        [
            "line,error,row",
            "6,“12”: Too few digits for a phone number.,\"Bad Number,12,,\"",
            "7,No phone number or email in this row.,\"No Contact,,,\"",
        ]
    );

    // What the team sees: Ana and Bo one lead with both identities, Cy once with both of his,
    // Dee with her unreadable email flagged.
    let everything = all_rows(&owner).await;
    let leads: Vec<(Option<String>, Vec<String>, Vec<String>)> = sqlx::query_as(
        r#"SELECT l.name, ARRAY(SELECT identity FROM lead_identities i WHERE i.lead_id = l.id ORDER BY identity),
                  l.invalid_emails
           FROM leads l WHERE l.merged_into IS NULL ORDER BY l.created_at"#,
    )
    .fetch_all(&everything)
    .await
    .unwrap();
    let s = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        leads,
        [
            (
                Some("Ana".to_owned()),
                s(&["email:bo@example.com", "phone:+14155552671"]),
                vec![]
            ),
            (
                Some("Cy Doe".to_owned()),
                s(&["email:cy@example.com", "phone:+447911123456"]),
                vec![]
            ),
            (
                Some("Dee".to_owned()),
                s(&["phone:+4915112345678"]),
                s(&["dee@"])
            ),
        ]
    );
}
#[sqlx::test(migrations = "../migrations")]
async fn a_large_file_is_read_in_chunks_to_its_end(owner: PgPool) {
    let svc = services(&owner).await;
    let (_, boss, g) = team_a_importer(&svc).await;
    let mut csv = String::from("name,email\n");
    for i in 0..12_345 {
        csv.push_str(&format!("Person {i},p{i}@example.com\n"));
    }
    // The same people again at the end: matched, not added.
    for i in 0..5 {
        csv.push_str(&format!("Person {i},P{i}@EXAMPLE.com\n"));
    }
    let v = import::upload(&svc, &g, boss.id, "big.csv", csv.as_bytes(), "US")
        .await
        .unwrap();
    assert_eq!(v.total, 12_350);
    import::start(&svc, &g, v.id, &v.mapping).await.unwrap();
    let ran = import::run_pending(&svc).await.unwrap();
    assert_eq!(ran.rows, 12_350);
    let v = import::view(&svc, &g, v.id).await.unwrap();
    assert_eq!(
        (v.state, v.processed, v.created, v.matched, v.failed),
        (ImportState::Done, 12_350, 12_345, 5, 0)
    );
    let leads: i64 = sqlx::query_scalar("SELECT count(*) FROM leads")
        .fetch_one(&all_rows(&owner).await)
        .await
        .unwrap();
    assert_eq!(leads, 12_345);
    // Another team's member cannot see it.
    let e = import::view(&svc, &g, uuid::Uuid::now_v7())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_import_a_stopped_worker_left_resumes_at_the_row_where_it_stopped(owner: PgPool) {
    let svc = services(&owner).await;
    let (_, boss, g) = team_a_importer(&svc).await;
    let header = "name,email\n";
    let rows: Vec<String> = (0..6_000)
        .map(|i| match i {
            5_500 => "No Contact,\n".to_owned(),
            _ => format!("Person {i},p{i}@example.com\n"),
        })
        .collect();
    let csv = format!("{header}{}", rows.concat());
    let v = import::upload(&svc, &g, boss.id, "big.csv", csv.as_bytes(), "US")
        .await
        .unwrap();
    import::start(&svc, &g, v.id, &v.mapping).await.unwrap();
    // A worker wrote the first chunk (rows 2 to 5,001) and stopped; its claim has run out.
    let first_chunk: usize = header.len() + rows[..import::CHUNK].concat().len();
    sqlx::query(
        "UPDATE lead_imports SET state = 'running', byte_offset = $2, next_line = $3,
                processed = $3 - 1, created = $3 - 1, claimed_until = now() - interval '1 second'
         WHERE id = $1",
    )
    .bind(v.id)
    .bind(i64::try_from(first_chunk).unwrap())
    .bind(i64::try_from(import::CHUNK + 1).unwrap())
    .execute(&all_rows(&owner).await)
    .await
    .unwrap();

    let ran = import::run_pending(&svc).await.unwrap();
    assert_eq!(
        (ran.imports, ran.rows),
        (1, 1_000),
        "only the rows after the first chunk"
    );
    let v = import::view(&svc, &g, v.id).await.unwrap();
    assert_eq!(
        (v.state, v.processed, v.created, v.failed),
        (ImportState::Done, 6_000, 5_999, 1)
    );
    // The refused row is reported by its row number in the whole file.
    let (_, report) = import::error_report(&svc, &g, v.id).await.unwrap();
    assert_eq!(
        report.lines().collect::<Vec<_>>(),
        [
            "line,error,row",
            "5502,No phone number or email in this row.,\"No Contact,\"",
        ]
    );
    // The leads made are those of the rows after the first chunk.
    let made: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE name = 'Person 4999'),
                count(*) FILTER (WHERE name IN ('Person 5000', 'Person 5999'))
         FROM leads",
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(made, (999, 0, 2));
}
