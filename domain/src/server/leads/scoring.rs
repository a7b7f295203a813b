//! Scoring leads again when something that counts happened (a message from them, a merge).
//!
//! The intake marks the lead (`score_requested_at`); [`score_pending`] claims marked leads for two
//! minutes (another instance leaves them alone), reads the conversation with the qualifier (the
//! AI layer: built-in or the configured model, logged in `ai_runs`), adds what the inbox knows
//! (how many messages, how lately, how fast they answer, the stage), and keeps the score with its
//! top three factors and reasoning. The mark is cleared only if nothing new came in meanwhile, so
//! a message that arrives during scoring is scored next time, never lost. The same reading
//! decides whether a person must take over at once ([`crate::leads::escalation`]): the reasons
//! are kept on the lead, and an escalated lead is routed as a HOT one. Then the lead is routed
//! ([`super::routing::route`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::billing::{self, Charged};
use super::routing::{self, Routed};
use crate::ai::builtin::{message, Qualifier};
use crate::ai::text::normalize;
use crate::ai::LeadConversation;
use crate::leads::billing::{Operation, Usage};
use crate::leads::escalation::{escalations, Escalation, EscalationInput};
use crate::leads::{score, LeadScore, Lifecycle, ScoreInput};
use crate::server::ai::RunContext;
use crate::server::{db, Services};
use crate::types::TenantId;
use crate::AppError;

/// The most recent messages the qualifier reads.
const MESSAGES_READ: i64 = 20;

/// What one call of [`score_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    /// Leads scored.
    pub scored: usize,
    /// Of those, leads given to an SDR.
    pub assigned: usize,
    /// Leads left for later: their team is out of tokens.
    pub paused: usize,
}

/// The median of `values` (the lower middle for an even count).
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[(values.len() - 1) / 2])
}

/// What scoring a lead found.
struct Assessed {
    score: LeadScore,
    /// The qualifier's run, when there was text to read.
    run: Option<Uuid>,
    /// Why a person must take over now (empty: the AI may go on).
    escalations: Vec<Escalation>,
}

/// What the inbox knows of a lead, and the score it makes with the qualifier's reading.
async fn assess(svc: &Services, tenant: TenantId, lead: Uuid) -> Result<Assessed, AppError> {
    let mut tx = db::tenant_tx(&svc.db, tenant).await?;
    let facts = sqlx::query!(
        r#"SELECT lifecycle,
                  EXTRACT(EPOCH FROM now() - last_inbound_at)::float8 AS since_inbound,
                  (SELECT count(*) FROM channel_messages m
                   WHERE m.lead_id = l.id AND m.direction = 'in' AND NOT m.status_only) AS "inbound!",
                  (SELECT max(m.sent_at) FROM channel_messages m
                   WHERE m.lead_id = l.id AND m.direction = 'out' AND NOT m.status_only) AS answered_at
           FROM leads l WHERE id = $1"#,
        lead
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut read = sqlx::query!(
        r#"SELECT body AS "body!", sent_at AS "sent_at!" FROM channel_messages
           WHERE lead_id = $1 AND direction = 'in' AND NOT status_only
             AND body IS NOT NULL AND btrim(body) <> ''
           ORDER BY sent_at DESC, id DESC LIMIT $2"#,
        lead,
        MESSAGES_READ
    )
    .fetch_all(&mut *tx)
    .await?;
    read.reverse();
    let competitors = super::drafts::competitors(&mut tx).await?;
    // What they wrote since the team last answered: a sensitive subject or a competitor there
    // is for a person now (one the team already answered was seen by a person).
    let waiting: Vec<&str> = read
        .iter()
        .filter(|m| facts.answered_at.is_none_or(|a| m.sent_at > a))
        .map(|m| m.body.as_str())
        .collect();
    let waiting = waiting.join("\n");
    let texts: Vec<String> = read.iter().map(|m| m.body.clone()).collect();
    // How long they take to answer: each message of theirs that follows one of ours.
    let mut replies = sqlx::query_scalar!(
        r#"SELECT (EXTRACT(EPOCH FROM sent_at - before_at) / 60)::float8 AS "minutes!"
           FROM (SELECT direction, sent_at,
                        lag(direction) OVER w AS before_dir, lag(sent_at) OVER w AS before_at
                 FROM channel_messages
                 WHERE lead_id = $1 AND NOT status_only
                 WINDOW w AS (ORDER BY sent_at, id)) m
           WHERE direction = 'in' AND before_dir = 'out'"#,
        lead
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let (qualification, run, confidence) = if texts.is_empty() {
        (None, None, 1.0)
    } else {
        let ctx = RunContext {
            tenant: Some(tenant),
            user: None,
            subject: Some(format!("lead:{lead}")),
        };
        let run = svc
            .ai
            .run::<Qualifier>(&svc.db, &ctx, &LeadConversation { messages: texts })
            .await?;
        (
            Some(run.analysis.output),
            Some(run.id),
            run.analysis.confidence,
        )
    };
    let escalations = match &qualification {
        // Nothing in words yet: nothing to be unsure of.
        None => Vec::new(),
        Some(q) => escalations(&EscalationInput {
            confidence,
            budget_usd: q.budget_usd,
            buying_signals: &q.buying_signals,
            risks: &message::risks(&normalize(&waiting)),
            objections: q.objections.len() as u32,
            text: &waiting,
            competitors: &competitors,
        }),
    };
    let input = ScoreInput {
        budget_usd: qualification.as_ref().and_then(|q| q.budget_usd),
        intent: qualification.as_ref().map(|q| q.intent),
        buying_signals: qualification
            .as_ref()
            .map_or(0, |q| q.buying_signals.len() as u32),
        objections: qualification
            .as_ref()
            .map_or(0, |q| q.objections.len() as u32),
        inbound_messages: u32::try_from(facts.inbound).unwrap_or(u32::MAX),
        hours_since_inbound: facts.since_inbound.map(|s| (s / 3600.0).max(0.0)),
        reply_minutes: median(&mut replies).map(|m| m.max(0.0).round() as u32),
        lifecycle: Lifecycle::parse(&facts.lifecycle).unwrap_or(Lifecycle::New),
    };
    Ok(Assessed {
        score: score(&input),
        run,
        escalations,
    })
}

/// How long the intake counts as busy after its last batch of events.
const INTAKE_BUSY_FOR: Duration = Duration::from_secs(1);

/// While the intake is busy, scoring rests this many times as long as each lead took: it works
/// at most a quarter of the time.
const REST_PER_WORK: u32 = 3;

/// The longest rest after one lead. Scoring a lead on this machine takes milliseconds; one that
/// waited seconds for a configured model did not take that time from the intake, and its rest
/// must not hold the rest of the claimed leads (claimed for two minutes) for minutes.
const REST_AT_MOST: Duration = Duration::from_millis(100);

/// Keeps scoring from crowding out the intake. Every message from a new person brings a lead to
/// score, and scoring one takes about twenty statements, so in a flood of new people scoring
/// would take as much of the machine as it can get, and the messages themselves would reach the
/// inbox later. The intake says when it processed a batch ([`Pace::intake_worked`]); for a
/// second after that, scoring rests three times as long as each lead took (at most a tenth of a
/// second). A person waits for their own message to show, while a HOT lead's first-response
/// time is ten minutes: scoring still goes on, a little slower, and at full speed as soon as the
/// intake is quiet.
#[derive(Clone, Debug, Default)]
pub struct Pace {
    /// When the intake last processed a batch (None: not yet).
    intake_at: Arc<Mutex<Option<Instant>>>,
}

impl Pace {
    /// The intake processed a batch of events at `now`.
    pub fn intake_worked(&self, now: Instant) {
        let mut at = self.intake_at.lock().unwrap_or_else(|p| p.into_inner());
        *at = Some(at.map_or(now, |before| before.max(now)));
    }

    /// How long scoring rests at `now` after a lead that took `took`.
    pub fn rest(&self, now: Instant, took: Duration) -> Duration {
        let at = *self.intake_at.lock().unwrap_or_else(|p| p.into_inner());
        match at {
            Some(worked) if now.saturating_duration_since(worked) < INTAKE_BUSY_FOR => {
                (took * REST_PER_WORK).min(REST_AT_MOST)
            }
            _ => Duration::ZERO,
        }
    }
}

/// Scores up to `limit` leads marked for scoring, and routes them. The teams take turns: each
/// team's oldest mark first, then each team's second, and so on, so one team's flood of new
/// leads never holds up another's.
pub async fn score_pending(svc: &Services, limit: i64) -> Result<Scored, AppError> {
    score_pending_paced(svc, limit, &Pace::default()).await
}

/// [`score_pending`], resting after each lead as `pace` says (the worker's way of giving the
/// intake the machine first).
pub async fn score_pending_paced(
    svc: &Services,
    limit: i64,
    pace: &Pace,
) -> Result<Scored, AppError> {
    let claimed = {
        // A claim lost in a crash runs out anyway.
        let mut tx = db::lazy_platform_tx(&svc.db).await?;
        let rows = sqlx::query!(
            r#"WITH turns AS (
                 SELECT w.id
                 FROM tenants t
                 CROSS JOIN LATERAL (
                   SELECT l.id, l.score_requested_at,
                          row_number() OVER (ORDER BY l.score_requested_at) AS turn
                   FROM leads l
                   WHERE l.tenant_id = t.id AND l.score_requested_at IS NOT NULL
                     AND l.merged_into IS NULL
                     AND (l.score_claimed_until IS NULL OR l.score_claimed_until < now())
                   ORDER BY l.score_requested_at LIMIT $1) w
                 ORDER BY w.turn, w.score_requested_at LIMIT $1)
               UPDATE leads SET score_claimed_until = now() + interval '2 minutes'
               WHERE id IN (SELECT id FROM leads WHERE id IN (SELECT id FROM turns)
                            FOR NO KEY UPDATE SKIP LOCKED)
               RETURNING id, tenant_id, score_requested_at AS "requested!""#,
            limit
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows
    };
    let mut done = Scored::default();
    // When the work on the previous lead started.
    let mut previous: Option<Instant> = None;
    for row in claimed {
        if let Some(started) = previous {
            let now = Instant::now();
            let rest = pace.rest(now, now.saturating_duration_since(started));
            if !rest.is_zero() {
                tokio::time::sleep(rest).await;
            }
        }
        previous = Some(Instant::now());
        let tenant = TenantId(row.tenant_id);
        // A team out of tokens keeps its marks: its claims run out, and the leads are scored
        // once it has tokens again (a top-up, a new day or month). Nothing is lost.
        if billing::check(svc, tenant, Operation::Scoring)
            .await
            .is_err()
        {
            done.paused += 1;
            continue;
        }
        // One lead that cannot be scored does not hold up the others; its claim runs out and
        // the next run tries it again.
        let outcome = match score_one(svc, tenant, row.id, row.requested).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, lead = %row.id, "lead could not be scored; retrying in two minutes");
                continue;
            }
        };
        let Some((routed, assignee, warning)) = outcome else {
            done.paused += 1;
            continue;
        };
        done.scored += 1;
        if matches!(routed, Routed::Assigned(_)) {
            done.assigned += 1;
        }
        routing::announce(svc, tenant, row.id, assignee).await;
        if let Some(level) = warning {
            billing::warn(svc, tenant, level).await;
        }
    }
    Ok(done)
}

/// Scores, escalates and routes one lead, and charges the team for it; `None` when the team's
/// tokens ran out meanwhile (nothing kept).
async fn score_one(
    svc: &Services,
    tenant: TenantId,
    lead: Uuid,
    requested: OffsetDateTime,
) -> Result<Option<(Routed, Option<Uuid>, Option<Usage>)>, AppError> {
    let found = assess(svc, tenant, lead).await?;
    // The lead keeps its mark until this commits: a scoring lost in a crash is done again.
    let mut tx = db::lazy_tenant_tx(&svc.db, tenant).await?;
    let mark = format!("{lead}:{}", requested.unix_timestamp_nanos());
    let subject = format!("lead:{lead}");
    routing::keep_score(&mut tx, tenant, lead, &found.score, found.run).await?;
    // What the scoring set going finishes, and is billed whatever is left.
    let mut more = Vec::new();
    if routing::escalate(&mut tx, tenant, lead, found.escalations).await? {
        more.push((Operation::Escalation, format!("escalate:{mark}")));
    }
    let routed = routing::route(&mut tx, lead).await?;
    if matches!(routed, Routed::Assigned(_)) {
        more.push((Operation::Routing, format!("route:{mark}")));
    }
    let assignee = sqlx::query_scalar!(
        r#"UPDATE leads SET score_claimed_until = NULL,
                  score_requested_at = CASE WHEN score_requested_at <= $2 THEN NULL
                                            ELSE score_requested_at END
           WHERE id = $1 RETURNING assignee"#,
        lead,
        requested
    )
    .fetch_one(&mut *tx)
    .await?;
    // Charged last: the team's charges go one at a time (each locks the day's row until its
    // transaction commits), so the lock is held for these few statements only, not for the
    // scoring and routing above, which the intake's batches would otherwise wait behind. A
    // refusal drops the transaction: nothing of this scoring is kept.
    let mut warning = match billing::charge(
        &mut tx,
        tenant,
        Operation::Scoring,
        &format!("score:{mark}"),
        Some(&subject),
    )
    .await?
    {
        Charged::Refused(_) => return Ok(None),
        Charged::Done { crossed } => crossed,
        Charged::Again => None,
    };
    for (op, key) in more {
        if let Charged::Done { crossed: Some(c) } =
            billing::meter(&mut tx, tenant, op, &key, Some(&subject)).await?
        {
            warning = Some(c);
        }
    }
    tx.commit().await?;
    Ok(Some((routed, assignee, warning)))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{median, Pace};

    #[test]
    fn scoring_rests_three_times_its_work_while_the_intake_is_busy_and_not_after() {
        let pace = Pace::default();
        let start = Instant::now();
        let took = Duration::from_millis(4);
        let ms = Duration::from_millis;
        let rest_at = |after: u64| pace.rest(start + ms(after), took);
        // The intake has not worked yet: no rest.
        assert_eq!(rest_at(0), Duration::ZERO);
        pace.intake_worked(start + ms(100));
        assert_eq!(rest_at(150), ms(12));
        assert_eq!(rest_at(1_050), ms(12));
        // A second after the intake's last batch, scoring goes at full speed again.
        assert_eq!(rest_at(1_200), Duration::ZERO);
        // A later batch makes it busy again; an earlier report does not move the time back.
        pace.intake_worked(start + ms(2_000));
        pace.intake_worked(start + ms(1_500));
        assert_eq!(rest_at(2_900), ms(12));
        assert_eq!(rest_at(3_100), Duration::ZERO);
        // A lead that waited seconds for a model rests a tenth of a second, not three times that.
        assert_eq!(
            pace.rest(start + ms(2_900), Duration::from_secs(2)),
            ms(100)
        );
        // Clones share what the intake reported.
        let other = pace.clone();
        other.intake_worked(start + ms(5_000));
        assert_eq!(rest_at(5_500), ms(12));
    }

    #[test]
    fn the_median_reply_time_ignores_one_slow_answer() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5.0]), Some(5.0));
        assert_eq!(median(&mut [600.0, 4.0, 6.0]), Some(6.0));
        assert_eq!(median(&mut [8.0, 2.0, 4.0, 6.0]), Some(4.0));
    }
}
