//! Appointment booking against real Postgres and Redis: the team's hours checked field by field,
//! three quick times offered from a conversation with a link to every free time, one time
//! booked once however many book it together, the lead's own booking through the link (moving
//! their call), their answer read as a pick, cancelling, and each booking billed once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{all_rows, deliver_whatsapp, lead_named, leads_grant, now_ts, services, wa_text};
use domain::leads::booking::HoursForm;
use domain::leads::ChannelKind;
use domain::server::channels::intake;
use domain::server::leads::{booking, inbox};
use domain::AppError;
use sqlx::PgPool;

fn hours(tz: &str, minutes: &str, text: &str) -> HoursForm {
    HoursForm {
        time_zone: tz.into(),
        minutes: minutes.into(),
        hours: text.into(),
    }
}

/// The token of the link at the end of an offer's text.
fn token_of(text: &str) -> String {
    text.rsplit("/book/").next().unwrap().trim().to_owned()
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn times_are_offered_and_booked_once(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    intake::connect(&svc, t, ChannelKind::Whatsapp, "PN1", "Sales line")
        .await
        .unwrap();
    for (from, name, id) in [
        ("919876543210", "Priya Nair", "w1"),
        ("2348031234567", "Daniel Okoro", "w2"),
    ] {
        deliver_whatsapp(
            &svc,
            &wa_text(from, name, id, now_ts(), "Can we talk this week?"),
        )
        .await;
    }
    let (priya, daniel) = (
        lead_named(&owner, "Priya Nair").await,
        lead_named(&owner, "Daniel Okoro").await,
    );
    let gb = leads_grant(&svc, &boss).await;
    for lead in [priya, daniel] {
        inbox::assign(&svc, &gb, boss.id, lead, Some(sam.id))
            .await
            .unwrap();
    }
    let gs = leads_grant(&svc, &sam).await;

    // No hours yet: offering says where to write them.
    let e = booking::offer(&svc, &gs, sam.id, priya).await.unwrap_err();
    assert_eq!(fields(e), ["booking"]);
    let owner_grant = common::owner_grant(t);
    // The form starts from the team's time zone; wrong fields each say so; nothing is kept.
    assert_eq!(
        booking::hours(&svc, &owner_grant).await.unwrap().time_zone,
        "UTC"
    );
    let e = booking::set_hours(
        &svc,
        &owner_grant,
        &hours("Mars/Base", "20", "Mon 17:00-09:00"),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["time_zone", "minutes", "hours"]);
    // An SDR may not change them.
    let e = booking::set_hours(&svc, &gs, &hours("UTC", "30", "Mon 09:00-10:00"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    // Every day, all day, so the test runs at any hour.
    let kept = booking::set_hours(
        &svc,
        &owner_grant,
        &hours("UTC", "30", "Mon-Sun 00:00-24:00"),
    )
    .await
    .unwrap();
    assert_eq!(kept.hours, "Mon-Sun 00:00-24:00");

    // Three quick times, on three days, at least two hours ahead, with the link.
    let offer = booking::offer(&svc, &gs, sam.id, priya).await.unwrap();
    assert_eq!(offer.slots.len(), 3);
    let first: jiff::Timestamp = offer.slots[0].start.parse().unwrap();
    assert!(first >= jiff::Timestamp::now() + jiff::SignedDuration::from_mins(120));
    assert!(offer.text.contains("1. ") && offer.text.contains("3. "));
    assert!(
        offer.text.contains("http://localhost:3000/book/"),
        "{}",
        offer.text
    );
    let c = inbox::conversation(&svc, &gs, sam.id, priya).await.unwrap();
    let panel = c.booking.unwrap();
    assert!(panel.ready && panel.upcoming.is_none());
    assert_eq!(panel.offered.len(), 3);

    // Sam's first time, booked for both leads at once: one gets it, the other is told.
    let start = offer.slots[0].start.clone();
    let (a, b) = tokio::join!(
        booking::book(&svc, &gs, sam.id, priya, &start),
        booking::book(&svc, &gs, sam.id, daniel, &start)
    );
    let (won, lost) = match (a, b) {
        (Ok(v), Err(e)) | (Err(e), Ok(v)) => (v, e),
        other => panic!("exactly one booking should win: {other:?}"),
    };
    assert_eq!(won.host, "Sam");
    assert!(
        matches!(&lost, AppError::Conflict(m) if m.contains("just booked")),
        "{lost:?}"
    );
    let booked: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM appointments WHERE status = 'booked'"#)
            .fetch_one(&all_rows(&owner).await)
            .await
            .unwrap();
    assert_eq!(booked, 1);
    // Off the grid, in the past or not a time: refused with the reason.
    let off_grid = (first + jiff::SignedDuration::from_mins(10)).to_string();
    let e = booking::book(&svc, &gs, sam.id, daniel, &off_grid)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["start"]);
    let e = booking::book(&svc, &gs, sam.id, daniel, "2020-01-01T09:00:00Z")
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["start"]);
    let e = booking::book(&svc, &gs, sam.id, daniel, "next tuesday")
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["start"]);

    // The lead who lost it is offered other times; the taken one is not among them.
    let holder = sqlx::query_scalar!("SELECT lead_id FROM appointments WHERE status = 'booked'")
        .fetch_one(&all_rows(&owner).await)
        .await
        .unwrap();
    let other = if holder == priya { daniel } else { priya };
    let offer2 = booking::offer(&svc, &gs, sam.id, other).await.unwrap();
    assert!(offer2.slots.iter().all(|s| s.start != start));
    // Their answer "2" is read as the second time.
    let (from, name) = if other == priya {
        ("919876543210", "Priya Nair")
    } else {
        ("2348031234567", "Daniel Okoro")
    };
    deliver_whatsapp(
        &svc,
        &wa_text(from, name, "w3", now_ts() + 1, "2 works for me"),
    )
    .await;
    let panel = inbox::conversation(&svc, &gs, sam.id, other)
        .await
        .unwrap()
        .booking
        .unwrap();
    assert_eq!(panel.picked, Some(1));

    // Through the link: every free time of Sam's week, without the taken one.
    let token = token_of(&offer2.text);
    let page = booking::public_page(&svc, &token).await.unwrap();
    assert_eq!(page.host, "Sam");
    assert_eq!(page.minutes, 30);
    assert!(page.booked.is_none());
    let all: Vec<&str> = page
        .days
        .iter()
        .flat_map(|d| d.slots.iter().map(|s| s.start.as_str()))
        .collect();
    assert!(all.len() > 300, "{}", all.len());
    assert!(!all.contains(&start.as_str()));
    // The lead books a time; then another one, which moves the call.
    let when = booking::public_book(&svc, &token, all[5]).await.unwrap();
    assert!(when.ends_with("(UTC)"), "{when}");
    let moved_to = booking::public_book(&svc, &token, all[9]).await.unwrap();
    let panel = inbox::conversation(&svc, &gs, sam.id, other)
        .await
        .unwrap()
        .booking
        .unwrap();
    let upcoming = panel.upcoming.unwrap();
    assert_eq!(
        format!("{} ({})", upcoming.when, upcoming.time_zone),
        moved_to
    );
    assert_eq!(upcoming.booked_by, "the lead, through their link");
    let statuses: Vec<String> = sqlx::query_scalar!(
        "SELECT status FROM appointments WHERE lead_id = $1 ORDER BY created_at",
        other
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(statuses, ["moved", "booked"]);
    // The taken time cannot be had through the link either; a wrong token is told it expired.
    let e = booking::public_book(&svc, &token, &start)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.contains("just booked")),
        "{e:?}"
    );
    let e = booking::public_page(&svc, "not-a-token").await.unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.contains("expired")),
        "{e:?}"
    );

    // Cancelling frees the time; cancelling again says there is nothing to cancel.
    booking::cancel(&svc, &gs, sam.id, other).await.unwrap();
    let e = booking::cancel(&svc, &gs, sam.id, other).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)));
    let page = booking::public_page(&svc, &token).await.unwrap();
    assert!(page.booked.is_none());

    // Each booking billed once as an appointment (the winner, and the lead's two).
    let charges: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM token_charges WHERE operation = 'appointment'"#
    )
    .fetch_one(&all_rows(&owner).await)
    .await
    .unwrap();
    assert_eq!(charges, 3);
    // The history tells the story.
    let kinds: Vec<String> = sqlx::query_scalar!(
        "SELECT kind FROM lead_events WHERE lead_id = $1 AND kind LIKE 'appointment%' ORDER BY id",
        other
    )
    .fetch_all(&all_rows(&owner).await)
    .await
    .unwrap();
    // (Priya was offered times first: her history starts with one more offer.)
    assert_eq!(
        kinds[kinds.len() - 4..],
        [
            "appointment_offered",
            "appointment_booked",
            "appointment_booked",
            "appointment_cancelled"
        ]
    );
    // Someone without the lead cannot offer times for it.
    let stranger = common::member(&svc, &owner, t, "kim@example.com", "Kim", "SDR").await;
    let gk = leads_grant(&svc, &stranger).await;
    let e = booking::offer(&svc, &gk, stranger.id, other)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
}
