//! The leakage scan, by the rules of [`crate::leads::leakage`]: every open conversation with an
//! SDR whose lead is left waiting (unanswered for half an hour, or unopened for a quarter) gets an
//! alert for that SDR (`lead_alerts`), written to the lead's history and heard at once by the
//! team's open inboxes. An alert clears itself at the next scan once the conversation is
//! answered, opened, resolved or given to someone else. A HOT lead still unanswered half an hour
//! after it reached its SDR goes to another SDR who is online and has room (under the routing's
//! locks), once per leak.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use uuid::Uuid;

use super::event;
use super::routing::{self, announce, Routed};
use crate::ai::LeadBand;
use crate::leads::leakage::{
    act, leaks, Act, LeakAlert, LeakKind, Waiting, REPLY_PENDING_MINUTES, UNSEEN_MINUTES,
};
use crate::leads::routing::{route, Decision, Stage};
use crate::server::{db, rfc3339, Services};
use crate::types::{TenantId, UserId};
use crate::AppError;

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Alerts opened.
    pub opened: usize,
    /// Alerts cleared.
    pub cleared: usize,
    /// HOT leads given to another SDR.
    pub moved: usize,
    /// Teams left for a later scan because their backlog is over the first level
    /// (`leads::backpressure`); their alerts stay as they are until then.
    pub deferred: usize,
    /// The whole scan waited: the webhook events not read yet were over the first level.
    pub all_deferred: bool,
}

/// The teams whose scan waits: every team when the webhook events not read yet are over the
/// first level alone, else those whose own leads to score and replies to send take them over.
async fn busy_teams(tx: &mut sqlx::PgConnection) -> Result<Option<Vec<Uuid>>, AppError> {
    use crate::leads::backpressure::DEFER_BACKGROUND;
    let limit = DEFER_BACKGROUND as i64;
    let intake = super::backpressure::pending_events(tx, DEFER_BACKGROUND + 1).await? as i64;
    if intake > limit {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_scalar!(
            r#"SELECT tenant_id AS "tenant!" FROM (
                 SELECT tenant_id FROM leads WHERE score_requested_at IS NOT NULL
                 UNION ALL
                 SELECT tenant_id FROM channel_messages WHERE status = 'queued') q
               GROUP BY tenant_id HAVING count(*) > $1"#,
            limit - intake
        )
        .fetch_all(&mut *tx)
        .await?,
    ))
}

/// Scans every team's open conversations with an SDR, once.
pub async fn scan(svc: &Services) -> Result<Scanned, AppError> {
    let mut done = Scanned::default();
    let mut tx = db::platform_tx(&svc.db).await?;
    let Some(busy) = busy_teams(&mut tx).await? else {
        tx.commit().await?;
        done.all_deferred = true;
        return Ok(done);
    };
    done.deferred = busy.len();
    let open = sqlx::query!(
        r#"SELECT l.id, l.tenant_id, l.assignee AS "assignee!", l.band,
                  l.last_inbound_at AS "since!",
                  (EXTRACT(EPOCH FROM now() - l.last_inbound_at) / 60)::bigint AS "minutes!",
                  COALESCE(l.assigned_at < now() - make_interval(mins => $1), true) AS "held_long!",
                  EXISTS (SELECT 1 FROM channel_messages m
                          WHERE m.lead_id = l.id AND m.direction = 'out' AND NOT m.status_only
                            AND m.sent_at >= l.last_inbound_at) AS "answered!",
                  COALESCE((SELECT r.read_at FROM lead_reads r
                            WHERE r.lead_id = l.id AND r.user_id = l.assignee), '-infinity')
                    >= COALESCE((SELECT max(m.created_at) FROM channel_messages m
                                 WHERE m.lead_id = l.id AND m.direction = 'in' AND NOT m.status_only),
                                '-infinity') AS "seen!"
           FROM leads l
           WHERE l.status = 'open' AND l.assignee IS NOT NULL AND l.merged_into IS NULL
             AND l.last_inbound_at < now() - make_interval(mins => $2)
             AND NOT (l.tenant_id = ANY($3))"#,
        REPLY_PENDING_MINUTES as i32,
        UNSEEN_MINUTES as i32,
        &busy
    )
    .fetch_all(&mut *tx)
    .await?;

    // What should be open now.
    let mut leads = Vec::new();
    let mut users = Vec::new();
    let mut kinds = Vec::new();
    let mut since = Vec::new();
    let mut tenants = Vec::new();
    let mut movable: HashSet<Uuid> = HashSet::new();
    for l in &open {
        let band = l.band.as_deref().and_then(LeadBand::parse);
        let found = leaks(Waiting {
            unanswered_minutes: (!l.answered).then_some(l.minutes),
            unseen_minutes: (!l.seen).then_some(l.minutes),
        });
        for (kind, _) in found {
            leads.push(l.id);
            users.push(l.assignee);
            kinds.push(kind.as_str());
            since.push(l.since);
            tenants.push(l.tenant_id);
            if act(band, kind) == Act::AlertAndMove && l.held_long {
                movable.insert(l.id);
            }
        }
    }

    let cleared = sqlx::query!(
        r#"UPDATE lead_alerts a SET cleared_at = now()
           WHERE a.cleared_at IS NULL AND NOT (a.tenant_id = ANY($4))
             AND NOT EXISTS (SELECT 1 FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS w(lead, usr, kind)
                             WHERE w.lead = a.lead_id AND w.usr = a.user_id AND w.kind = a.kind)
           RETURNING a.lead_id, a.tenant_id"#,
        &leads,
        &users,
        &kinds as &[&str],
        &busy
    )
    .fetch_all(&mut *tx)
    .await?;
    done.cleared = cleared.len();

    let ids: Vec<Uuid> = leads.iter().map(|_| Uuid::now_v7()).collect();
    let opened = sqlx::query!(
        r#"INSERT INTO lead_alerts (id, tenant_id, lead_id, user_id, kind, since)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[])
           ON CONFLICT (lead_id, user_id, kind) WHERE cleared_at IS NULL DO NOTHING
           RETURNING lead_id, tenant_id, user_id, kind"#,
        &ids,
        &tenants,
        &leads,
        &users,
        &kinds as &[&str],
        &since
    )
    .fetch_all(&mut *tx)
    .await?;
    done.opened = opened.len();
    for a in &opened {
        let detail = json!({ "kind": a.kind, "sdr": a.user_id });
        event(&mut tx, TenantId(a.tenant_id), a.lead_id, "leaked", detail).await?;
    }
    tx.commit().await?;

    // A HOT lead left unanswered moves on, once: when its leak is new.
    let mut heard: Vec<(TenantId, Uuid)> = Vec::new();
    for a in &opened {
        let lead = a.lead_id;
        let tenant = TenantId(a.tenant_id);
        if a.kind == LeakKind::ReplyPending.as_str() && movable.contains(&lead) {
            if let Some(to) = move_on(svc, tenant, lead, a.user_id).await? {
                done.moved += 1;
                announce(svc, tenant, lead, Some(to)).await;
                continue;
            }
        }
        heard.push((tenant, lead));
    }
    heard.extend(cleared.iter().map(|c| (TenantId(c.tenant_id), c.lead_id)));
    heard.sort_unstable_by_key(|(t, l)| (t.0, *l));
    heard.dedup();
    let assignees: HashMap<Uuid, Uuid> = open.iter().map(|l| (l.id, l.assignee)).collect();
    for (tenant, lead) in heard {
        announce(svc, tenant, lead, assignees.get(&lead).copied()).await;
    }
    Ok(done)
}

/// Gives `lead` to another SDR of its team who is online and has room; answers who, if anyone.
async fn move_on(
    svc: &Services,
    tenant: TenantId,
    lead: Uuid,
    from: Uuid,
) -> Result<Option<Uuid>, AppError> {
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    let Some(l) = routing::lock(&mut tx, lead).await? else {
        return Ok(None);
    };
    // Someone else took it meanwhile, or it is no longer scored HOT.
    let (Some(score), Some(now)) = (l.score, l.assignee) else {
        return Ok(None);
    };
    if now != from {
        return Ok(None);
    }
    let team = routing::sdrs(&mut tx, tenant.0, Some(from)).await?;
    // Moved as a HOT lead is routed: to someone online, at once.
    let decision = route(score, true, Stage::Unrouted, &team);
    let moved = match decision {
        d @ Decision::Assign { .. } => routing::apply(&mut tx, lead, &l, d, None).await?,
        _ => Routed::Unchanged,
    };
    tx.commit().await?;
    Ok(match moved {
        Routed::Assigned(to) => Some(to),
        _ => None,
    })
}

/// The open alerts of `me` in the team, oldest first.
pub async fn alerts_of(
    tx: &mut sqlx::PgConnection,
    me: UserId,
) -> Result<Vec<LeakAlert>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT a.lead_id, a.kind, a.since, l.band,
                  COALESCE(l.name, (SELECT min(i.identity) FROM lead_identities i WHERE i.lead_id = l.id),
                           'Unknown') AS "name!"
           FROM lead_alerts a JOIN leads l ON l.id = a.lead_id
           WHERE a.user_id = $1 AND a.cleared_at IS NULL
           ORDER BY a.since, a.lead_id, a.kind"#,
        me.0
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(LeakAlert {
                lead: r.lead_id,
                name: r.name,
                kind: LeakKind::parse(&r.kind)?,
                since: rfc3339(r.since),
                band: r.band.as_deref().and_then(LeadBand::parse),
            })
        })
        .collect())
}
