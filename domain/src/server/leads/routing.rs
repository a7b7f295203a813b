//! Routing leads to SDRs in Postgres, by the rules in [`crate::leads::routing`].
//!
//! A lead is routed inside a transaction that holds its row (`FOR NO KEY UPDATE`: the intake's
//! messages referring to the lead, which take a key-share lock, need not wait, and a scoring
//! that already updated the row never has to upgrade its lock past them) and the rows of its
//! tenant's SDRs (`FOR UPDATE`, in id order, so two routings never deadlock). Open leads are
//! counted under those locks, so two leads routed at once can neither go to the same place twice
//! nor push an SDR over capacity. The sweep ([`sweep`]) moves COLD leads from the AI
//! re-engagement to the junior pool when their day is up, routes waiting leads again as SDRs
//! come online or free up, and records missed first-response SLAs, handing a HOT lead whose SLA
//! was missed to another SDR who is online and has room.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::event;
use crate::ai::LeadBand;
use crate::leads::escalation::{self, Escalation};
use crate::leads::routing::{self, Decision, Pool, Sdr, Stage};
use crate::leads::{band, LeadScore};
use crate::server::channels::intake::{self, InboxEvent};
use crate::server::{db, Services};
use crate::types::{TenantId, UserId};
use crate::{AppError, FieldError};

/// A lead's routing as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingState {
    /// Not scored yet.
    New,
    /// Waiting for an SDR with room.
    Waiting,
    /// With the AI re-engagement.
    Nurture,
    /// Waiting for a junior SDR with room.
    JuniorPool,
    /// With an SDR.
    Assigned,
}

impl RoutingState {
    fn parse(s: &str) -> Result<Self, AppError> {
        Ok(match s {
            "new" => Self::New,
            "waiting" => Self::Waiting,
            "nurture" => Self::Nurture,
            "junior_pool" => Self::JuniorPool,
            "assigned" => Self::Assigned,
            _ => return Err(AppError::Internal),
        })
    }
}

/// What routing did to a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Routed {
    /// Nothing changed.
    Unchanged,
    /// Given to an SDR.
    Assigned(Uuid),
    /// Handed to the AI re-engagement.
    Nurture,
    /// Left waiting in a pool, with the reason.
    Waiting(String),
    /// Still with its SDR, with a sooner first-response time (it turned HOT).
    Hurried,
}

/// The tenant's SDRs, locked until the transaction ends, with their open leads counted.
/// `except` is left out (the SDR who missed a HOT lead's SLA).
pub(super) async fn sdrs(
    tx: &mut PgConnection,
    tenant: Uuid,
    except: Option<Uuid>,
) -> Result<Vec<Sdr>, AppError> {
    // Locked first, counted after: a statement that waited for a lock still reads the snapshot
    // it started with, so counting in the locking statement would miss a lead just assigned.
    sqlx::query!(
        "SELECT user_id FROM sdr_profiles WHERE tenant_id = $1 ORDER BY user_id FOR UPDATE",
        tenant
    )
    .fetch_all(&mut *tx)
    .await?;
    let rows = sqlx::query!(
        r#"SELECT s.user_id, s.junior, s.online, s.capacity,
                  EXTRACT(EPOCH FROM now() - s.last_assigned_at)::bigint AS idle,
                  (SELECT count(*) FROM leads l
                   WHERE l.tenant_id = s.tenant_id AND l.assignee = s.user_id
                     AND l.merged_into IS NULL AND l.lifecycle NOT IN ('won','lost')) AS "open!"
           FROM sdr_profiles s WHERE s.tenant_id = $1
           ORDER BY s.user_id"#,
        tenant
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| Some(r.user_id) != except)
        .map(|r| Sdr {
            user: r.user_id,
            junior: r.junior,
            online: r.online,
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            open: u32::try_from(r.open).unwrap_or(u32::MAX),
            idle_seconds: r.idle,
        })
        .collect())
}

/// A lead as routing reads it, locked.
pub(super) struct Locked {
    tenant: Uuid,
    /// 0–100, once scored.
    pub(super) score: Option<u8>,
    state: RoutingState,
    pub(super) assignee: Option<Uuid>,
    answered: bool,
    nurture_over: bool,
    note: Option<String>,
    /// Handed to a person ([`escalate`]): routed as HOT whatever the score.
    pub(super) escalated: bool,
}

pub(super) async fn lock(tx: &mut PgConnection, lead: Uuid) -> Result<Option<Locked>, AppError> {
    let row = sqlx::query!(
        r#"SELECT tenant_id, score, routing, assignee, routing_note,
                  escalated_at IS NOT NULL AS "escalated!",
                  first_response_at IS NOT NULL AS "answered!",
                  COALESCE(nurture_until <= now(), false) AS "nurture_over!"
           FROM leads WHERE id = $1 AND merged_into IS NULL FOR NO KEY UPDATE"#,
        lead
    )
    .fetch_optional(&mut *tx)
    .await?;
    row.map(|r| {
        Ok(Locked {
            tenant: r.tenant_id,
            score: r.score.and_then(|s| u8::try_from(s).ok()),
            state: RoutingState::parse(&r.routing)?,
            assignee: r.assignee,
            answered: r.answered,
            nurture_over: r.nurture_over,
            note: r.routing_note,
            escalated: r.escalated,
        })
    })
    .transpose()
}

/// Routes `lead` after a change (a new score, a tick of the sweep), inside the caller's
/// transaction. A lead with an SDR keeps them; one that turned HOT before its first answer gets
/// the HOT SLA from now, if that is sooner.
pub async fn route(tx: &mut PgConnection, lead: Uuid) -> Result<Routed, AppError> {
    let Some(l) = lock(tx, lead).await? else {
        return Ok(Routed::Unchanged);
    };
    let Some(score) = l.score else {
        return Ok(Routed::Unchanged);
    };
    let hot = band(score) == LeadBand::Hot || l.escalated;
    let stage = match l.state {
        RoutingState::Assigned => {
            if !hot || l.answered {
                return Ok(Routed::Unchanged);
            }
            let hurried = sqlx::query!(
                r#"UPDATE leads SET first_response_due = now() + make_interval(mins => $2)
                   WHERE id = $1 AND (first_response_due IS NULL
                                      OR first_response_due > now() + make_interval(mins => $2))"#,
                lead,
                routing::HOT_SLA_MINUTES as i32
            )
            .execute(&mut *tx)
            .await?;
            return Ok(if hurried.rows_affected() > 0 {
                Routed::Hurried
            } else {
                Routed::Unchanged
            });
        }
        RoutingState::New | RoutingState::Waiting => Stage::Unrouted,
        RoutingState::Nurture if l.nurture_over => Stage::NurtureOver,
        RoutingState::Nurture => Stage::Nurture,
        RoutingState::JuniorPool if band(score) == LeadBand::Cold && !l.escalated => {
            Stage::NurtureOver
        }
        RoutingState::JuniorPool => Stage::Unrouted,
    };
    let team = sdrs(tx, l.tenant, None).await?;
    let decision = routing::route(score, l.escalated, stage, &team);
    apply(tx, lead, &l, decision, None).await
}

/// Carries out `decision` on the locked lead; `by` is the person who decided (None: the rules).
pub(super) async fn apply(
    tx: &mut PgConnection,
    lead: Uuid,
    l: &Locked,
    decision: Decision,
    by: Option<Uuid>,
) -> Result<Routed, AppError> {
    let tenant = TenantId(l.tenant);
    match decision {
        Decision::Assign { sdr, sla_minutes } => {
            sqlx::query!(
                r#"UPDATE leads
                   SET routing = 'assigned', assignee = $2, assigned_at = now(), routing_note = NULL,
                       nurture_until = NULL,
                       -- An SLA that ran while the lead waited keeps running; one that was
                       -- missed starts again for the new SDR (the miss stays in the history).
                       first_response_due = CASE
                         WHEN first_response_at IS NOT NULL THEN first_response_due
                         WHEN first_response_due IS NULL OR sla_breached_at IS NOT NULL
                           THEN now() + make_interval(mins => $3)
                         ELSE LEAST(first_response_due, now() + make_interval(mins => $3)) END,
                       sla_breached_at = CASE WHEN first_response_at IS NULL THEN NULL
                                              ELSE sla_breached_at END
                   WHERE id = $1"#,
                lead,
                sdr,
                sla_minutes as i32
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE sdr_profiles SET last_assigned_at = now() WHERE tenant_id = $1 AND user_id = $2",
                l.tenant,
                sdr
            )
            .execute(&mut *tx)
            .await?;
            let detail =
                json!({ "to": sdr, "from": l.assignee, "sla_minutes": sla_minutes, "by": by });
            event(tx, tenant, lead, "assigned", detail).await?;
            Ok(Routed::Assigned(sdr))
        }
        Decision::Nurture { minutes: 0 } => Ok(Routed::Unchanged),
        Decision::Nurture { minutes } => {
            sqlx::query!(
                r#"UPDATE leads SET routing = 'nurture', routing_note = NULL, assignee = NULL,
                                    nurture_until = now() + make_interval(mins => $2),
                                    reengage_after = now()
                   WHERE id = $1"#,
                lead,
                minutes as i32
            )
            .execute(&mut *tx)
            .await?;
            event(tx, tenant, lead, "nurture", json!({ "minutes": minutes })).await?;
            Ok(Routed::Nurture)
        }
        Decision::Wait {
            sla_minutes,
            pool,
            reason,
        } => {
            let state = match pool {
                Pool::Team => "waiting",
                Pool::Junior => "junior_pool",
            };
            let was = match l.state {
                RoutingState::Waiting => "waiting",
                RoutingState::JuniorPool => "junior_pool",
                _ => "",
            };
            if was == state && l.note.as_deref() == Some(reason.as_str()) && l.assignee.is_none() {
                return Ok(Routed::Unchanged);
            }
            // The SLA runs from when the lead first waited; a faster one (it turned HOT) wins.
            sqlx::query!(
                r#"UPDATE leads SET routing = $2, routing_note = $3, assignee = NULL, nurture_until = NULL,
                          first_response_due = CASE
                            WHEN first_response_at IS NOT NULL THEN first_response_due
                            ELSE LEAST(first_response_due, now() + make_interval(mins => $4)) END
                   WHERE id = $1"#,
                lead,
                state,
                reason,
                sla_minutes as i32
            )
            .execute(&mut *tx)
            .await?;
            if was != state {
                let detail = json!({ "reason": reason, "from": l.assignee, "by": by });
                event(tx, tenant, lead, state, detail).await?;
            }
            Ok(Routed::Waiting(reason))
        }
    }
}

/// Records the team's first answer to each of `leads` (at `at`), from an outbound message: the
/// SLA is met, and a new lead becomes contacted.
pub async fn answered(
    tx: &mut PgConnection,
    leads: &[Uuid],
    at: &[OffsetDateTime],
) -> Result<(), AppError> {
    let done = sqlx::query!(
        r#"UPDATE leads l
           SET first_response_at = n.at,
               lifecycle = CASE WHEN l.lifecycle = 'new' THEN 'contacted' ELSE l.lifecycle END
           FROM unnest($1::uuid[], $2::timestamptz[]) AS n(id, at)
           WHERE l.id = n.id AND l.first_response_at IS NULL AND l.first_response_due IS NOT NULL
           RETURNING l.id, l.tenant_id, n.at AS "at!",
                     l.first_response_due < n.at AS "late!""#,
        leads,
        at
    )
    .fetch_all(&mut *tx)
    .await?;
    for r in done {
        let detail = json!({ "at": r.at.unix_timestamp(), "late": r.late });
        event(tx, TenantId(r.tenant_id), r.id, "first_response", detail).await?;
    }
    Ok(())
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Leads given to an SDR.
    pub assigned: usize,
    /// First-response SLAs found missed.
    pub breached: usize,
}

/// Routes again what waits (nurture over, pools, missed HOT SLAs), up to `limit` leads of each
/// kind, each in its own short transaction; publishes what changed.
pub async fn sweep(svc: &Services, limit: i64) -> Result<Swept, AppError> {
    let mut done = Swept::default();
    let due = {
        let mut tx = db::platform_tx(&svc.db).await?;
        let ids = sqlx::query_scalar!(
            r#"SELECT id FROM leads
               WHERE merged_into IS NULL
                 AND (routing IN ('waiting','junior_pool')
                      OR (routing = 'nurture' AND nurture_until <= now()))
               ORDER BY first_response_due NULLS LAST, id LIMIT $1"#,
            limit
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        ids
    };
    for lead in due {
        let mut tx = db::platform_tx(&svc.db).await?;
        let routed = route(&mut tx, lead).await?;
        let tenant = tenant_of(&mut tx, lead).await?;
        tx.commit().await?;
        if let Routed::Assigned(sdr) = routed {
            done.assigned += 1;
            announce(svc, tenant, lead, Some(sdr)).await;
        }
    }

    let late = {
        let mut tx = db::platform_tx(&svc.db).await?;
        let ids = sqlx::query_scalar!(
            r#"SELECT id FROM leads
               WHERE first_response_at IS NULL AND sla_breached_at IS NULL
                 AND first_response_due < now() AND merged_into IS NULL
               ORDER BY first_response_due LIMIT $1"#,
            limit
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        ids
    };
    for lead in late {
        let mut tx = db::platform_tx(&svc.db).await?;
        let Some(l) = lock(&mut tx, lead).await? else {
            continue;
        };
        let breached = sqlx::query!(
            r#"UPDATE leads SET sla_breached_at = now()
               WHERE id = $1 AND first_response_at IS NULL AND sla_breached_at IS NULL
                 AND first_response_due < now()
               RETURNING first_response_due AS "due!""#,
            lead
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(b) = breached else { continue };
        let tenant = TenantId(l.tenant);
        let detail = json!({ "assignee": l.assignee, "due": b.due.unix_timestamp() });
        event(&mut tx, tenant, lead, "sla_breached", detail).await?;
        done.breached += 1;
        // A HOT lead whose SDR did not answer in time goes to another who can, now.
        let hot = l.score.filter(|s| band(*s) == LeadBand::Hot || l.escalated);
        let mut moved = None;
        if let (Some(score), RoutingState::Assigned) = (hot, l.state) {
            let team = sdrs(&mut tx, l.tenant, l.assignee).await?;
            let decision = routing::route(score, l.escalated, Stage::Unrouted, &team);
            if let d @ Decision::Assign { .. } = decision {
                if let Routed::Assigned(sdr) = apply(&mut tx, lead, &l, d, None).await? {
                    moved = Some(sdr);
                    done.assigned += 1;
                }
            }
        }
        tx.commit().await?;
        announce(svc, tenant, lead, moved.or(l.assignee)).await;
    }
    Ok(done)
}

async fn tenant_of(tx: &mut PgConnection, lead: Uuid) -> Result<TenantId, AppError> {
    Ok(TenantId(
        sqlx::query_scalar!("SELECT tenant_id FROM leads WHERE id = $1", lead)
            .fetch_one(&mut *tx)
            .await?,
    ))
}

/// Tells the tenant's open inboxes that `lead` changed.
pub async fn announce(svc: &Services, tenant: TenantId, lead: Uuid, assignee: Option<Uuid>) {
    intake::publish(svc, tenant, InboxEvent::Lead { lead, assignee }).await;
}

/// An SDR's routing settings, as a manager sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdrSettings {
    /// In the junior pool.
    pub junior: bool,
    /// Most open leads at once (1–1,000).
    pub capacity: u32,
}

/// Makes `user`, a member of `tenant`, an SDR who takes leads (or changes their settings).
pub async fn set_sdr(
    svc: &Services,
    tenant: TenantId,
    user: UserId,
    settings: &SdrSettings,
) -> Result<(), AppError> {
    if !(1..=1000).contains(&settings.capacity) {
        return Err(AppError::Validation(vec![FieldError::new(
            "capacity",
            "Capacity is between 1 and 1,000 open leads.",
        )]));
    }
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    let member = sqlx::query_scalar!(
        "SELECT 1 FROM tenant_members WHERE tenant_id = $1 AND user_id = $2",
        tenant.0,
        user.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    if member.is_none() {
        return Err(AppError::Validation(vec![FieldError::new(
            "user",
            "Only a member of the team can take leads.",
        )]));
    }
    sqlx::query!(
        r#"INSERT INTO sdr_profiles (tenant_id, user_id, junior, capacity) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, user_id) DO UPDATE SET junior = $3, capacity = $4"#,
        tenant.0,
        user.0,
        settings.junior,
        settings.capacity as i32
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An SDR says they are online (taking HOT leads) or not. Leads waiting for someone online are
/// routed by the next sweep.
pub async fn set_online(
    svc: &Services,
    tenant: TenantId,
    user: UserId,
    online: bool,
) -> Result<(), AppError> {
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    let done = sqlx::query!(
        "UPDATE sdr_profiles SET online = $3 WHERE tenant_id = $1 AND user_id = $2",
        tenant.0,
        user.0,
        online
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "You do not take leads in this team yet: ask a manager to add you as an SDR.".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// Hands `lead` to a person for the reasons `found`, inside the caller's transaction; the caller
/// routes it next. An open escalation keeps its reasons (a calmer reading closes nothing) and
/// takes the new ones; only resolving the conversation closes it. A closed one keeps its reasons
/// as handled, and opens again only for a reason not among them. The history records when it
/// opened and each new reason. Answers whether there were new reasons.
pub async fn escalate(
    tx: &mut PgConnection,
    tenant: TenantId,
    lead: Uuid,
    found: Vec<Escalation>,
) -> Result<bool, AppError> {
    if found.is_empty() {
        return Ok(false);
    }
    let kept = sqlx::query!(
        r#"SELECT escalation, escalated_at IS NOT NULL AS "open!" FROM leads WHERE id = $1"#,
        lead
    )
    .fetch_one(&mut *tx)
    .await?;
    let before: Vec<Escalation> = serde_json::from_value(kept.escalation).unwrap_or_default();
    let (all, added) = escalation::merge(&before, found);
    if !kept.open && added.is_empty() {
        return Ok(false);
    }
    let value = serde_json::to_value(&all).map_err(|_| AppError::Internal)?;
    sqlx::query!(
        "UPDATE leads SET escalation = $2, escalated_at = COALESCE(escalated_at, now()) WHERE id = $1",
        lead,
        value
    )
    .execute(&mut *tx)
    .await?;
    if !added.is_empty() {
        let reasons: Vec<String> = added.iter().map(Escalation::reason).collect();
        let detail = json!({ "reasons": reasons, "opened": !kept.open });
        event(tx, tenant, lead, "escalated", detail).await?;
    }
    Ok(!added.is_empty())
}

/// Keeps `score` on the lead and in its history, inside the caller's transaction, with the AI
/// run that read the conversation; records a band change in the lead's history.
pub async fn keep_score(
    tx: &mut PgConnection,
    tenant: TenantId,
    lead: Uuid,
    score: &LeadScore,
    ai_run: Option<Uuid>,
) -> Result<(), AppError> {
    let top: Vec<_> = score
        .top
        .iter()
        .filter_map(|k| score.factors.iter().find(|f| f.kind == *k))
        .collect();
    let factors = serde_json::to_value(&top).map_err(|_| AppError::Internal)?;
    let band = score.band.as_str();
    let before = sqlx::query_scalar!(
        r#"UPDATE leads n SET score = $2, band = $3, score_factors = $4, score_reasoning = $5,
                              scored_at = now()
           FROM leads o WHERE n.id = $1 AND o.id = n.id
           RETURNING o.band"#,
        lead,
        i16::from(score.score),
        band,
        factors,
        score.reasoning
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO lead_scores (tenant_id, lead_id, score, band, factors, reasoning, ai_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        tenant.0,
        lead,
        i16::from(score.score),
        band,
        factors,
        score.reasoning,
        ai_run
    )
    .execute(&mut *tx)
    .await?;
    if before.as_deref() != Some(band) {
        let detail = json!({ "score": score.score, "band": band, "from": before });
        event(tx, tenant, lead, "scored", detail).await?;
    }
    Ok(())
}
