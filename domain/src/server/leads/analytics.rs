//! The team's report (leaderboard, funnel, new leads a day) and its leads as a CSV file, read
//! from Postgres for those who may see every lead (owners, admins, managers, the read-only
//! roles): an SDR, who sees only their own leads, gets neither.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};

use super::inbox::only_mine;
use crate::ai::LeadBand;
use crate::leads::analytics::{cell, rank, DayCount, Report, SdrStats, PERIODS};
use crate::leads::Lifecycle;
use crate::server::guard::TenantGrant;
use crate::server::{db, Services};
use crate::{AppError, FieldError};

/// Analytics wait while the team's backlog is over the first level (`leads::backpressure`).
async fn deferred(svc: &Services, grant: &TenantGrant) -> Result<(), AppError> {
    use crate::leads::backpressure::{analytics_deferred, RETRY_SECS};
    let (backlog, level) = super::backpressure::level(svc, grant.tenant).await?;
    if level.defers_background() {
        return Err(AppError::Busy {
            message: analytics_deferred(&backlog),
            retry_after_secs: RETRY_SECS,
        });
    }
    Ok(())
}

/// The report over the last `days` days (7, 30 or 90).
pub async fn report(svc: &Services, grant: &TenantGrant, days: u32) -> Result<Report, AppError> {
    if only_mine(grant) {
        return Err(AppError::Forbidden);
    }
    if !PERIODS.contains(&days) {
        return Err(AppError::Validation(vec![FieldError::new(
            "days",
            "Choose the last 7, 30 or 90 days.",
        )]));
    }
    deferred(svc, grant).await?;
    let days_i = i32::try_from(days).unwrap_or(7);
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let team = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", grant.tenant.0)
        .fetch_one(&mut *tx)
        .await?;
    let stages = sqlx::query!(
        r#"SELECT lifecycle, count(*) AS "n!" FROM leads
           WHERE merged_into IS NULL AND created_at >= now() - make_interval(days => $1)
           GROUP BY lifecycle"#,
        days_i
    )
    .fetch_all(&mut *tx)
    .await?;
    let funnel = Lifecycle::ALL
        .iter()
        .map(|l| {
            let n = stages
                .iter()
                .find(|s| s.lifecycle == l.as_str())
                .map_or(0, |s| u32::try_from(s.n).unwrap_or(u32::MAX));
            (*l, n)
        })
        .collect();

    let per_day = sqlx::query!(
        r#"SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day!", band,
                  count(*) AS "n!"
           FROM leads
           WHERE merged_into IS NULL
             AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                               - make_interval(days => $1 - 1)
           GROUP BY 1, 2"#,
        days_i
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_day: Vec<DayCount> = Vec::with_capacity(days as usize);
    let today = OffsetDateTime::now_utc().date();
    for back in (0..i64::from(days)).rev() {
        let d = today - Duration::days(back);
        by_day.push(DayCount {
            day: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            ..DayCount::default()
        });
    }
    let index: HashMap<String, usize> = by_day
        .iter()
        .enumerate()
        .map(|(i, d)| (d.day.clone(), i))
        .collect();
    for r in per_day {
        let Some(&i) = index.get(&r.day) else {
            continue;
        };
        let n = u32::try_from(r.n).unwrap_or(u32::MAX);
        let d = &mut by_day[i];
        match r.band.as_deref().and_then(LeadBand::parse) {
            Some(LeadBand::Hot) => d.hot += n,
            Some(LeadBand::Warm) => d.warm += n,
            Some(LeadBand::Cold) => d.cold += n,
            None => d.unscored += n,
        }
    }

    let sdrs = sqlx::query!(
        r#"SELECT s.user_id, u.display_name, s.online, s.capacity,
                  (SELECT count(*) FROM leads l
                   WHERE l.tenant_id = s.tenant_id AND l.assignee = s.user_id
                     AND l.merged_into IS NULL AND l.lifecycle NOT IN ('won','lost')) AS "open!",
                  (SELECT count(*) FROM lead_events e
                   WHERE e.tenant_id = s.tenant_id AND e.kind = 'assigned'
                     AND e.detail->>'to' = s.user_id::text
                     AND e.created_at >= now() - make_interval(days => $2)) AS "assigned!",
                  (SELECT count(*) FROM leads l
                   WHERE l.assignee = s.user_id AND l.merged_into IS NULL
                     AND l.first_response_at >= now() - make_interval(days => $2)) AS "answered!",
                  (SELECT percentile_disc(0.5) WITHIN GROUP (
                            ORDER BY EXTRACT(EPOCH FROM l.first_response_at - l.assigned_at) / 60)
                   FROM leads l
                   WHERE l.assignee = s.user_id AND l.merged_into IS NULL
                     AND l.first_response_at >= now() - make_interval(days => $2)
                     AND l.first_response_at >= l.assigned_at)::float8 AS median,
                  (SELECT count(*) FROM leads l
                   WHERE l.assignee = s.user_id AND l.merged_into IS NULL
                     AND l.first_response_at >= now() - make_interval(days => $2)
                     AND l.first_response_at <= l.first_response_due) AS "met!",
                  (SELECT count(*) FROM leads l
                   WHERE l.assignee = s.user_id AND l.merged_into IS NULL
                     AND l.first_response_due >= now() - make_interval(days => $2)
                     AND ((l.first_response_at IS NULL AND l.first_response_due < now())
                          OR l.first_response_at > l.first_response_due)) AS "missed!",
                  (SELECT count(*) FROM leads l
                   WHERE l.assignee = s.user_id AND l.merged_into IS NULL AND l.lifecycle = 'won'
                     AND l.stage_at >= now() - make_interval(days => $2)) AS "won!",
                  (SELECT count(*) FROM leads l
                   WHERE l.assignee = s.user_id AND l.merged_into IS NULL AND l.lifecycle = 'lost'
                     AND l.stage_at >= now() - make_interval(days => $2)) AS "lost!"
           FROM sdr_profiles s JOIN users u ON u.id = s.user_id
           WHERE s.tenant_id = $1"#,
        grant.tenant.0,
        days_i
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let mut leaderboard: Vec<SdrStats> = sdrs
        .into_iter()
        .map(|r| SdrStats {
            user: r.user_id,
            name: r.display_name,
            online: r.online,
            open: n(r.open),
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            assigned: n(r.assigned),
            answered: n(r.answered),
            median_first_answer_minutes: r.median.map(|m| m.max(0.0).round() as u32),
            sla_met: n(r.met),
            sla_missed: n(r.missed),
            won: n(r.won),
            lost: n(r.lost),
        })
        .collect();
    rank(&mut leaderboard);
    Ok(Report {
        team,
        days,
        funnel,
        by_day,
        leaderboard,
    })
}

/// Every lead of the team as a CSV file (name, identities, source, stage, score, band, who has
/// it, status, when they came and last wrote), for those who may see every lead.
pub async fn export(svc: &Services, grant: &TenantGrant) -> Result<(String, String), AppError> {
    if only_mine(grant) {
        return Err(AppError::Forbidden);
    }
    deferred(svc, grant).await?;
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let slug = sqlx::query_scalar!("SELECT slug FROM tenants WHERE id = $1", grant.tenant.0)
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query!(
        r#"SELECT l.id, l.name, l.source, l.lifecycle, l.score, l.band, l.status,
                  u.display_name AS "assignee?",
                  ARRAY(SELECT i.identity FROM lead_identities i WHERE i.lead_id = l.id
                        ORDER BY i.identity) AS "identities!",
                  to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "created!",
                  to_char(l.last_inbound_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_in
           FROM leads l LEFT JOIN users u ON u.id = l.assignee
           WHERE l.merged_into IS NULL
           ORDER BY l.created_at, l.id"#
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut out = String::from(
        "id,name,identities,source,stage,score,band,assigned_to,status,created_at,last_message_at\r\n",
    );
    for r in rows {
        let fields = [
            r.id.to_string(),
            cell(r.name.as_deref().unwrap_or("")),
            cell(&r.identities.join(" ")),
            cell(&r.source),
            cell(&r.lifecycle),
            r.score.map(|s| s.to_string()).unwrap_or_default(),
            r.band.map(|b| b.to_uppercase()).unwrap_or_default(),
            cell(r.assignee.as_deref().unwrap_or("")),
            cell(&r.status),
            r.created,
            r.last_in.unwrap_or_default(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    Ok((format!("{slug}-leads.csv"), out))
}
