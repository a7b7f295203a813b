//! Appointment booking in Postgres (`crate::leads::booking` has the rules): the team's booking
//! hours, three quick times offered from a conversation with a link to every free time, and
//! calls booked by the team or by the lead through that link. The exclusion constraint on
//! `appointments` keeps a host from being booked twice at once, however many book together; a
//! booking costs the rate card's appointment tokens, once.

use jiff::Timestamp;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::billing::{self, Charged};
use super::event;
use super::inbox::working;
use super::routing::announce;
use crate::leads::billing::Operation;
use crate::leads::booking::{
    offer_text, picked, AppointmentView, BookingPanel, HoursForm, Offer, PublicBooking, PublicDay,
    Rules, SlotView, BOOK_AHEAD_DAYS, HORIZON_DAYS,
};
use crate::permissions::{allowed, Access, Resource};
use crate::server::guard::TenantGrant;
use crate::server::{db, random_token, rfc3339, sha256_hex, Services};
use crate::types::{TenantId, UserId};
use crate::{AppError, FieldError};

fn to_ts(t: OffsetDateTime) -> Timestamp {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos()).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn to_odt(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError::new(field, message)])
}

const NO_HOURS: &str =
    "The team has no booking hours yet: an owner or admin writes them on the channels page (Booking hours).";

/// The team's booking hours as written, if written.
async fn stored(tx: &mut PgConnection) -> Result<Option<HoursForm>, AppError> {
    let row = sqlx::query!(
        "SELECT timezone, booking_minutes, booking_hours FROM tenant_settings
         WHERE tenant_id = app_tenant_id()"
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.and_then(|r| {
        Some(HoursForm {
            time_zone: r.timezone,
            minutes: r.booking_minutes?.to_string(),
            hours: r.booking_hours?,
        })
    }))
}

/// The team's time zone (its settings').
async fn team_zone(tx: &mut PgConnection) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT timezone FROM tenant_settings WHERE tenant_id = app_tenant_id()"
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or_else(|| "UTC".into()))
}

async fn rules(tx: &mut PgConnection) -> Result<Option<Rules>, AppError> {
    Ok(stored(tx).await?.and_then(|f| Rules::from_form(&f).ok()))
}

/// The team's booking hours for the form (an example until written).
pub async fn hours(svc: &Services, grant: &TenantGrant) -> Result<HoursForm, AppError> {
    if allowed(grant.role, Resource::Settings, Access::Read).is_none() {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let form = stored(&mut tx).await?;
    let form = match form {
        Some(f) => f,
        None => HoursForm {
            time_zone: team_zone(&mut tx).await?,
            ..HoursForm::example()
        },
    };
    tx.commit().await?;
    Ok(form)
}

/// Keeps the team's booking hours, checked field by field (owners and admins).
pub async fn set_hours(
    svc: &Services,
    grant: &TenantGrant,
    form: &HoursForm,
) -> Result<HoursForm, AppError> {
    if allowed(grant.role, Resource::Settings, Access::Write).is_none() {
        return Err(AppError::Forbidden);
    }
    let rules = Rules::from_form(form).map_err(AppError::Validation)?;
    let hours = form.hours.trim().to_owned();
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    sqlx::query!(
        r#"UPDATE tenant_settings SET timezone = $2, booking_minutes = $3, booking_hours = $4
           WHERE tenant_id = $1"#,
        grant.tenant.0,
        rules.tz_name,
        i16::try_from(rules.minutes).unwrap_or(30),
        hours
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(HoursForm {
        time_zone: rules.tz_name,
        minutes: rules.minutes.to_string(),
        hours,
    })
}

/// The host's calls booked from `from` on, as (start, end).
async fn busy(
    tx: &mut PgConnection,
    host: Uuid,
    from: Timestamp,
) -> Result<Vec<(Timestamp, Timestamp)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT starts_at, ends_at FROM appointments
           WHERE host_id = $1 AND status = 'booked' AND ends_at > $2
           ORDER BY starts_at"#,
        host,
        to_odt(from)
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (to_ts(r.starts_at), to_ts(r.ends_at)))
    .collect())
}

/// The lead's next call (or the one under way).
async fn upcoming(
    tx: &mut PgConnection,
    rules: Option<&Rules>,
    lead: Uuid,
) -> Result<Option<AppointmentView>, AppError> {
    let row = sqlx::query!(
        r#"SELECT a.id, a.starts_at, a.ends_at, h.display_name AS host, b.display_name AS "booked_by?"
           FROM appointments a JOIN users h ON h.id = a.host_id
                LEFT JOIN users b ON b.id = a.booked_by
           WHERE a.lead_id = $1 AND a.status = 'booked' AND a.ends_at > now()
           ORDER BY a.starts_at LIMIT 1"#,
        lead
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| {
        let (s, e) = (to_ts(r.starts_at), to_ts(r.ends_at));
        let (when, time_zone) = match rules {
            Some(rules) => (rules.span(s, e), rules.tz_name.clone()),
            None => (
                format!("{} to {}", rfc3339(r.starts_at), rfc3339(r.ends_at)),
                "UTC".into(),
            ),
        };
        AppointmentView {
            id: r.id,
            when,
            time_zone,
            host: r.host,
            booked_by: r
                .booked_by
                .unwrap_or_else(|| "the lead, through their link".into()),
        }
    }))
}

/// The conversation's booking panel: the lead's next call, the times last offered (for a week)
/// with those no longer free marked, and which one their latest answer seems to pick.
pub(super) async fn panel(tx: &mut PgConnection, lead: Uuid) -> Result<BookingPanel, AppError> {
    let rules = rules(tx).await?;
    let upcoming = upcoming(tx, rules.as_ref(), lead).await?;
    let mut offered = Vec::new();
    let mut picked_slot = None;
    let offer = sqlx::query!(
        r#"SELECT o.host_id, o.slots, o.created_at FROM appointment_offers o
           WHERE o.lead_id = $1 AND o.expires_at > now()
           ORDER BY o.created_at DESC LIMIT 1"#,
        lead
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let (Some(o), Some(rules)) = (offer, rules.as_ref()) {
        let starts: Vec<Timestamp> = o.slots.iter().map(|s| to_ts(*s)).collect();
        let now = Timestamp::now();
        let taken = busy(tx, o.host_id, now).await?;
        offered = starts
            .iter()
            .map(|s| {
                let e = rules.end(*s);
                SlotView {
                    start: s.to_string(),
                    label: rules.label(*s),
                    taken: *s <= now || taken.iter().any(|(bs, be)| *s < *be && *bs < e),
                }
            })
            .collect();
        let answer = sqlx::query_scalar!(
            r#"SELECT body FROM channel_messages
               WHERE lead_id = $1 AND direction = 'in' AND sent_at > $2 AND body IS NOT NULL
               ORDER BY sent_at DESC LIMIT 1"#,
            lead,
            o.created_at
        )
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
        let weekdays: Vec<usize> = starts.iter().map(|s| rules.weekday_of(*s)).collect();
        picked_slot = answer
            .and_then(|a| picked(&a, &weekdays))
            .filter(|i| offered.get(*i).is_some_and(|s: &SlotView| !s.taken));
    }
    Ok(BookingPanel {
        ready: rules.is_some(),
        upcoming,
        offered,
        picked: picked_slot,
    })
}

/// Offers `lead` three quick times of its host (their SDR, else the asker) in the next 7 days,
/// with a link to every free time: the message for the agent to check and send.
pub async fn offer(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<Offer, AppError> {
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let rules = rules(&mut tx)
        .await?
        .ok_or_else(|| invalid("booking", NO_HOURS))?;
    let host = assignee.unwrap_or(me.0);
    let now = Timestamp::now();
    let free = rules.free(now, HORIZON_DAYS, &busy(&mut tx, host, now).await?);
    let quick = rules.quick(&free);
    if quick.is_empty() {
        return Err(AppError::Conflict(
            "No free time in the next 7 days within the team's booking hours. Widen the hours, or agree a time with them and book it.".into(),
        ));
    }
    let token = random_token(18);
    let id = Uuid::now_v7();
    let starts: Vec<OffsetDateTime> = quick.iter().map(|t| to_odt(*t)).collect();
    sqlx::query!(
        r#"INSERT INTO appointment_offers (id, tenant_id, lead_id, host_id, offered_by, token, slots, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8))"#,
        id,
        grant.tenant.0,
        lead,
        host,
        me.0,
        sha256_hex(&token),
        &starts,
        i32::try_from(HORIZON_DAYS).unwrap_or(7)
    )
    .execute(&mut *tx)
    .await?;
    let labels: Vec<String> = quick.iter().map(|t| rules.label(*t)).collect();
    event(
        &mut tx,
        grant.tenant,
        lead,
        "appointment_offered",
        json!({ "by": me.0, "host": host, "slots": starts.iter().map(|s| rfc3339(*s)).collect::<Vec<_>>() }),
    )
    .await?;
    tx.commit().await?;
    let link = format!(
        "{}/book/{token}",
        svc.settings.base_url.trim_end_matches('/')
    );
    Ok(Offer {
        text: offer_text(&labels, &rules.tz_name, rules.minutes, &link),
        slots: quick
            .iter()
            .zip(labels)
            .map(|(t, label)| SlotView {
                start: t.to_string(),
                label,
                taken: false,
            })
            .collect(),
    })
}

/// Ends the lead's next call (or the one under way) as `moved` or `cancelled`; answers when
/// each ended one was to start.
async fn end_upcoming(
    tx: &mut PgConnection,
    lead: Uuid,
    status: &str,
) -> Result<Vec<OffsetDateTime>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"UPDATE appointments SET status = $2, ended_at = now()
           WHERE lead_id = $1 AND status = 'booked' AND ends_at > now() RETURNING starts_at"#,
        lead,
        status
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// Who books.
enum Booker {
    /// A person of the team.
    Team(UserId),
    /// The lead, through the link of this offer.
    Lead(Uuid),
}

/// Books `lead` with `host` at `start`, moving the lead's next call if they had one; charges the
/// appointment once. A time the host is already booked for is refused, whoever got there first.
#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut PgConnection,
    tenant: TenantId,
    lead: Uuid,
    host: Uuid,
    rules: &Rules,
    start: Timestamp,
    by: Booker,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    let end = rules.end(start);
    let key = format!("appointment:{id}");
    if let Charged::Refused(r) = billing::charge(
        &mut *tx,
        tenant,
        Operation::Appointment,
        &key,
        Some(&lead.to_string()),
    )
    .await?
    {
        return Err(match by {
            Booker::Team(_) => AppError::Conflict(r.message().to_owned()),
            Booker::Lead(_) => AppError::Conflict(
                "Booking is not available right now. Please answer in your conversation and the team will find a time with you.".into(),
            ),
        });
    }
    let moved = end_upcoming(&mut *tx, lead, "moved").await?;
    let (booked_by, offer) = match by {
        Booker::Team(u) => (Some(u.0), None),
        Booker::Lead(o) => (None, Some(o)),
    };
    let inserted = sqlx::query!(
        r#"INSERT INTO appointments (id, tenant_id, lead_id, host_id, starts_at, ends_at, booked_by, offer_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        id,
        tenant.0,
        lead,
        host,
        to_odt(start),
        to_odt(end),
        booked_by,
        offer
    )
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(e)) = &inserted {
        if e.code().as_deref() == Some("23P01") {
            return Err(AppError::Conflict(
                "That time was just booked for another call. Choose another time.".into(),
            ));
        }
    }
    inserted?;
    event(
        &mut *tx,
        tenant,
        lead,
        "appointment_booked",
        json!({
            "by": booked_by, "through_link": offer.is_some(), "host": host,
            "starts_at": rfc3339(to_odt(start)), "ends_at": rfc3339(to_odt(end)),
            "moved_from": moved.iter().map(|s| rfc3339(*s)).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(id)
}

fn parse_start(start: &str) -> Result<Timestamp, AppError> {
    start
        .trim()
        .parse::<Timestamp>()
        .map_err(|_| invalid("start", "Choose a time from the list."))
}

/// Books a call for `lead` at `start` (RFC 3339) with their SDR (else the asker): a start of the
/// team's hours, from now up to 60 days ahead.
pub async fn book(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
    start: &str,
) -> Result<AppointmentView, AppError> {
    let start = parse_start(start)?;
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let rules = rules(&mut tx)
        .await?
        .ok_or_else(|| invalid("booking", NO_HOURS))?;
    let now = Timestamp::now();
    if start <= now {
        return Err(invalid("start", "That time has passed. Offer new times."));
    }
    if start > now + jiff::SignedDuration::from_hours(24 * BOOK_AHEAD_DAYS) || !rules.fits(start) {
        return Err(invalid(
            "start",
            "That is not a start within the team's booking hours (or it is more than 60 days ahead).",
        ));
    }
    let host = assignee.unwrap_or(me.0);
    insert(
        &mut tx,
        grant.tenant,
        lead,
        host,
        &rules,
        start,
        Booker::Team(me),
    )
    .await?;
    let view = upcoming(&mut tx, Some(&rules), lead)
        .await?
        .ok_or(AppError::Internal)?;
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(view)
}

/// Cancels the lead's next call.
pub async fn cancel(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    lead: Uuid,
) -> Result<(), AppError> {
    let (mut tx, assignee) = working(svc, grant, me, lead).await?;
    let cancelled = end_upcoming(&mut tx, lead, "cancelled").await?;
    if cancelled.is_empty() {
        return Err(AppError::Conflict("They have no call booked.".into()));
    }
    event(
        &mut tx,
        grant.tenant,
        lead,
        "appointment_cancelled",
        json!({ "by": me.0, "starts_at": cancelled.iter().map(|s| rfc3339(*s)).collect::<Vec<_>>() }),
    )
    .await?;
    tx.commit().await?;
    announce(svc, grant.tenant, lead, assignee).await;
    Ok(())
}

/// An offer found by its link's token.
struct Link {
    id: Uuid,
    tenant: TenantId,
    lead: Uuid,
    host: Uuid,
}

const EXPIRED: &str = "This booking link has expired or is not ours. Answer in your conversation and the team will send new times.";

async fn link(svc: &Services, token: &str) -> Result<Link, AppError> {
    if token.is_empty() || token.len() > 64 {
        return Err(AppError::Conflict(EXPIRED.into()));
    }
    let mut tx = db::platform_tx(&svc.db).await?;
    let row = sqlx::query!(
        r#"SELECT id, tenant_id, lead_id, host_id FROM appointment_offers
           WHERE token = $1 AND expires_at > now()"#,
        sha256_hex(token)
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| AppError::Conflict(EXPIRED.into()))?;
    Ok(Link {
        id: row.id,
        tenant: TenantId(row.tenant_id),
        lead: row.lead_id,
        host: row.host_id,
    })
}

/// The lead's booking page: every free time of their host in the next 7 days, by day, and
/// their call if one is booked.
pub async fn public_page(svc: &Services, token: &str) -> Result<PublicBooking, AppError> {
    let l = link(svc, token).await?;
    let mut tx = db::tenant_tx(&svc.db, l.tenant).await?;
    let rules = rules(&mut tx)
        .await?
        .ok_or_else(|| AppError::Conflict(EXPIRED.into()))?;
    let now = Timestamp::now();
    let free = rules.free(now, HORIZON_DAYS, &busy(&mut tx, l.host, now).await?);
    let mut days: Vec<PublicDay> = Vec::new();
    let mut last = None;
    for s in free {
        let d = rules.date_of(s);
        if last != Some(d) {
            last = Some(d);
            days.push(PublicDay {
                label: rules.day_label(d),
                slots: Vec::new(),
            });
        }
        if let Some(day) = days.last_mut() {
            day.slots.push(SlotView {
                start: s.to_string(),
                label: rules.label(s),
                taken: false,
            });
        }
    }
    let team = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", l.tenant.0)
        .fetch_one(&mut *tx)
        .await?;
    let host = sqlx::query_scalar!("SELECT display_name FROM users WHERE id = $1", l.host)
        .fetch_one(&mut *tx)
        .await?;
    let booked = upcoming(&mut tx, Some(&rules), l.lead)
        .await?
        .map(|a| format!("{} ({})", a.when, a.time_zone));
    tx.commit().await?;
    Ok(PublicBooking {
        team,
        host,
        minutes: rules.minutes,
        time_zone: rules.tz_name,
        days,
        booked,
    })
}

/// The lead books `start` through their link (moving their call if they had one); says what
/// was booked.
pub async fn public_book(svc: &Services, token: &str, start: &str) -> Result<String, AppError> {
    let start = parse_start(start)?;
    let l = link(svc, token).await?;
    let mut tx = db::tenant_tx(&svc.db, l.tenant).await?;
    let rules = rules(&mut tx)
        .await?
        .ok_or_else(|| AppError::Conflict(EXPIRED.into()))?;
    if !rules
        .free(Timestamp::now(), HORIZON_DAYS, &[])
        .contains(&start)
    {
        return Err(invalid(
            "start",
            "That time is no longer open. Choose another time from the list.",
        ));
    }
    // The lead is locked while their call changes, as when the team works it.
    let assignee = sqlx::query_scalar!(
        "SELECT assignee FROM leads WHERE id = $1 AND merged_into IS NULL FOR NO KEY UPDATE",
        l.lead
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Conflict(EXPIRED.into()))?;
    insert(
        &mut tx,
        l.tenant,
        l.lead,
        l.host,
        &rules,
        start,
        Booker::Lead(l.id),
    )
    .await?;
    tx.commit().await?;
    announce(svc, l.tenant, l.lead, assignee).await;
    Ok(format!(
        "{} ({})",
        rules.span(start, rules.end(start)),
        rules.tz_name
    ))
}
