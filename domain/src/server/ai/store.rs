//! The `ai_runs` log and the per-analyzer switches: writing runs, listing and opening them,
//! recording people's decisions, figures per analyzer.

use serde_json::Value;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

use super::Ai;
use crate::ai::log::{
    AiOverview, AnalyzerSetting, AnalyzerStats, RunDetail, RunFilter, RunStatus, RunSummary,
};
use crate::ai::{schema, AnalyzerKind, Decision, EngineKind};
use crate::server::db::{platform_tx, tenant_tx};
use crate::server::rfc3339;
use crate::types::{TenantId, UserId};
use crate::{AppError, FieldError};

/// What every run of one call shares.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Whose data.
    pub tenant: Option<TenantId>,
    /// Which analyzer.
    pub analyzer: AnalyzerKind,
    /// The redacted input.
    pub input_redacted: Value,
    /// SHA-256 of the full input.
    pub input_hash: String,
    /// Who triggered it.
    pub triggered_by: Option<UserId>,
    /// What it is about.
    pub subject: Option<String>,
}

/// A model's usage.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// The model's name.
    pub model: Option<String>,
    /// Prompt tokens.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens.
    pub completion_tokens: Option<u32>,
    /// Cost in millionths of a dollar.
    pub cost_micros: Option<i64>,
}

/// How one engine's attempt ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Which engine.
    pub engine: EngineKind,
    /// What became of it.
    pub status: RunStatus,
    /// What it answered.
    pub output: Option<Value>,
    /// Its confidence.
    pub confidence: Option<f32>,
    /// Its reason.
    pub reason: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub latency: Duration,
    /// Tokens and cost.
    pub usage: Usage,
    /// The model run this replaces.
    pub fallback_of: Option<Uuid>,
}

/// Writes one run; returns its id.
pub async fn insert(db: &PgPool, run: &NewRun, o: Outcome) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    let mut tx = match run.tenant {
        Some(t) => tenant_tx(db, t).await?,
        None => platform_tx(db).await?,
    };
    let to_i32 = |n: Option<u32>| n.map(|n| n.min(i32::MAX as u32) as i32);
    sqlx::query!(
        "INSERT INTO ai_runs (id, tenant_id, analyzer, engine, model, status, fallback_of,
           input_redacted, input_hash, output, confidence, reason, error, latency_us,
           prompt_tokens, completion_tokens, cost_micros, triggered_by, subject)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        id,
        run.tenant.map(|t| t.0),
        run.analyzer.as_str(),
        o.engine.as_str(),
        o.usage.model,
        o.status.as_str(),
        o.fallback_of,
        run.input_redacted,
        run.input_hash,
        o.output,
        o.confidence,
        o.reason,
        o.error,
        o.latency.as_micros().min(i64::MAX as u128) as i64,
        to_i32(o.usage.prompt_tokens),
        to_i32(o.usage.completion_tokens),
        o.usage.cost_micros,
        run.triggered_by.map(|u| u.0),
        run.subject,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    metrics_count(run.analyzer, o.engine, o.status);
    Ok(id)
}

fn metrics_count(analyzer: AnalyzerKind, engine: EngineKind, status: RunStatus) {
    tracing::debug!(analyzer = %analyzer, engine = engine.as_str(), status = status.as_str(), "ai run logged");
}

/// False when an admin switched this analyzer's model engine off.
pub async fn model_enabled(db: &PgPool, kind: AnalyzerKind) -> Result<bool, AppError> {
    let enabled = sqlx::query_scalar!(
        "SELECT model_enabled FROM ai_analyzer_settings WHERE analyzer = $1",
        kind.as_str()
    )
    .fetch_optional(db)
    .await?;
    Ok(enabled.unwrap_or(true))
}

/// Switches an analyzer's model engine on or off (platform admins only; the caller checks).
pub async fn set_model_enabled(
    db: &PgPool,
    kind: AnalyzerKind,
    enabled: bool,
    by: UserId,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO ai_analyzer_settings (analyzer, model_enabled, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT (analyzer) DO UPDATE SET model_enabled = EXCLUDED.model_enabled, updated_by = EXCLUDED.updated_by",
        kind.as_str(),
        enabled,
        by.0,
    )
    .execute(db)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)] // one per column of the row
fn parse_summary(
    id: Uuid,
    created_at: time::OffsetDateTime,
    analyzer: &str,
    engine: &str,
    model: Option<String>,
    status: &str,
    fallback: bool,
    confidence: Option<f32>,
    latency_us: i64,
    triggered_by: Option<String>,
    decision: Option<&str>,
    note: Option<String>,
) -> Result<RunSummary, AppError> {
    Ok(RunSummary {
        id,
        created_at: rfc3339(created_at),
        analyzer: AnalyzerKind::parse(analyzer).ok_or(AppError::Internal)?,
        engine: EngineKind::parse(engine).ok_or(AppError::Internal)?,
        model,
        status: RunStatus::parse(status).ok_or(AppError::Internal)?,
        fallback,
        confidence,
        latency_us,
        triggered_by,
        decision: decision.and_then(Decision::parse),
        note,
    })
}

/// One page (50) of runs, newest first, as a platform admin sees them.
pub async fn list(db: &PgPool, f: &RunFilter) -> Result<Vec<RunSummary>, AppError> {
    let mut tx = platform_tx(db).await?;
    let (filter_decision, decision) = match f.decision {
        None => (false, None),
        Some(d) => (true, d.map(|d| d.as_str())),
    };
    let rows = sqlx::query!(
        r#"SELECT r.id, r.created_at, r.analyzer, r.engine, r.model, r.status,
                  r.fallback_of IS NOT NULL AS "fallback!", r.confidence, r.latency_us,
                  u.display_name AS "triggered_by?", r.decision, coalesce(r.error, r.reason) AS note
           FROM ai_runs r LEFT JOIN users u ON u.id = r.triggered_by
           WHERE ($1::text IS NULL OR r.analyzer = $1)
             AND ($2::text IS NULL OR r.engine = $2)
             AND ($3::text IS NULL OR r.status = $3)
             AND (NOT $4 OR r.decision IS NOT DISTINCT FROM $5::text)
             AND ($6::uuid IS NULL OR (r.created_at, r.id) < (SELECT created_at, id FROM ai_runs WHERE id = $6))
           ORDER BY r.created_at DESC, r.id DESC
           LIMIT 50"#,
        f.analyzer.map(|a| a.as_str()),
        f.engine.map(|e| e.as_str()),
        f.status.map(|s| s.as_str()),
        filter_decision,
        decision,
        f.before,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            parse_summary(
                r.id,
                r.created_at,
                &r.analyzer,
                &r.engine,
                r.model,
                &r.status,
                r.fallback,
                r.confidence,
                r.latency_us,
                r.triggered_by,
                r.decision.as_deref(),
                r.note,
            )
        })
        .collect()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// One run in full, as a platform admin sees it.
pub async fn get(db: &PgPool, id: Uuid) -> Result<RunDetail, AppError> {
    let mut tx = platform_tx(db).await?;
    let r = sqlx::query!(
        r#"SELECT r.id, r.created_at, r.analyzer, r.engine, r.model, r.status, r.fallback_of,
                  r.confidence, r.latency_us, u.display_name AS "triggered_by?", r.decision,
                  r.reason, r.error, t.name AS "tenant?", r.subject, r.input_redacted, r.input_hash,
                  r.output, r.edited_output, r.prompt_tokens, r.completion_tokens, r.cost_micros,
                  d.display_name AS "decided_by?", r.decided_at
           FROM ai_runs r
           LEFT JOIN users u ON u.id = r.triggered_by
           LEFT JOIN users d ON d.id = r.decided_by
           LEFT JOIN tenants t ON t.id = r.tenant_id
           WHERE r.id = $1"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let summary = parse_summary(
        r.id,
        r.created_at,
        &r.analyzer,
        &r.engine,
        r.model,
        &r.status,
        r.fallback_of.is_some(),
        r.confidence,
        r.latency_us,
        r.triggered_by,
        r.decision.as_deref(),
        r.error.clone().or(r.reason.clone()),
    )?;
    Ok(RunDetail {
        summary,
        tenant: r.tenant,
        subject: r.subject,
        input: pretty(&r.input_redacted),
        input_hash: r.input_hash,
        output: r.output.as_ref().map(pretty),
        edited_output: r.edited_output.as_ref().map(pretty),
        reason: r.reason,
        error: r.error,
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
        cost_micros: r.cost_micros,
        fallback_of: r.fallback_of,
        decided_by: r.decided_by,
        decided_at: r.decided_at.map(rfc3339),
    })
}

/// Records what a person did with a run's suggestion. Only runs whose output was used (`ok`)
/// can be decided; an edit must still follow the analyzer's schema. `tenant` is the caller's
/// checked scope: `None` for platform admins.
pub async fn decide(
    db: &PgPool,
    tenant: Option<TenantId>,
    id: Uuid,
    decision: Decision,
    edited: Option<Value>,
    by: UserId,
) -> Result<(), AppError> {
    let mut tx = match tenant {
        Some(t) => tenant_tx(db, t).await?,
        None => platform_tx(db).await?,
    };
    let row = sqlx::query!(
        "SELECT analyzer, status FROM ai_runs WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.status != "ok" {
        return Err(AppError::Conflict(
            "Only a run whose answer was used can be accepted, edited or rejected.".into(),
        ));
    }
    let edited = match (decision, edited) {
        (Decision::Edited, Some(v)) => {
            let kind = AnalyzerKind::parse(&row.analyzer).ok_or(AppError::Internal)?;
            if let Err(errors) = schema::validate(kind, &v) {
                return Err(AppError::Validation(vec![FieldError::new(
                    "edited_output",
                    format!(
                        "The edited answer does not follow the analyzer's schema: {}",
                        errors.join("; ")
                    ),
                )]));
            }
            Some(v)
        }
        (Decision::Edited, None) => {
            return Err(AppError::Validation(vec![FieldError::new(
                "edited_output",
                "An edit needs the edited answer.",
            )]));
        }
        (_, _) => None,
    };
    sqlx::query!(
        "UPDATE ai_runs SET decision = $2, decided_by = $3, decided_at = now(), edited_output = $4 WHERE id = $1",
        id,
        decision.as_str(),
        by.0,
        edited,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Figures per analyzer over all runs (platform scope).
pub async fn stats(db: &PgPool) -> Result<Vec<AnalyzerStats>, AppError> {
    let mut tx = platform_tx(db).await?;
    let rows = sqlx::query!(
        r#"SELECT analyzer,
             count(*) AS "runs!",
             count(*) FILTER (WHERE engine = 'model') AS "model_runs!",
             count(*) FILTER (WHERE status = 'rejected') AS "rejected!",
             count(*) FILTER (WHERE status = 'failed') AS "failed!",
             count(*) FILTER (WHERE fallback_of IS NOT NULL) AS "fallbacks!",
             count(decision) AS "decided!",
             count(*) FILTER (WHERE decision = 'accepted') AS "accepted!",
             count(*) FILTER (WHERE decision = 'edited') AS "edited!",
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_us) FILTER (WHERE status = 'ok') AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_us) FILTER (WHERE status = 'ok') AS p95,
             coalesce(sum(coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0)), 0)::bigint AS "tokens!",
             coalesce(sum(cost_micros), 0)::bigint AS "cost!"
           FROM ai_runs GROUP BY analyzer"#
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut out: Vec<AnalyzerStats> = AnalyzerKind::ALL
        .iter()
        .map(|k| AnalyzerStats {
            analyzer: *k,
            runs: 0,
            model_runs: 0,
            rejected: 0,
            failed: 0,
            fallbacks: 0,
            decided: 0,
            accepted: 0,
            edited: 0,
            acceptance_rate: None,
            p50_latency_us: None,
            p95_latency_us: None,
            tokens: 0,
            cost_micros: 0,
        })
        .collect();
    for r in rows {
        let Some(k) = AnalyzerKind::parse(&r.analyzer) else {
            continue;
        };
        let Some(s) = out.iter_mut().find(|s| s.analyzer == k) else {
            continue;
        };
        *s = AnalyzerStats {
            analyzer: k,
            runs: r.runs,
            model_runs: r.model_runs,
            rejected: r.rejected,
            failed: r.failed,
            fallbacks: r.fallbacks,
            decided: r.decided,
            accepted: r.accepted,
            edited: r.edited,
            acceptance_rate: (r.decided > 0).then(|| r.accepted as f64 / r.decided as f64),
            p50_latency_us: r.p50,
            p95_latency_us: r.p95,
            tokens: r.tokens,
            cost_micros: r.cost,
        };
    }
    Ok(out)
}

/// The console's overview: engines, switches and figures.
pub async fn overview(db: &PgPool, ai: &Ai) -> Result<AiOverview, AppError> {
    let switches = sqlx::query!("SELECT analyzer, model_enabled FROM ai_analyzer_settings")
        .fetch_all(db)
        .await?;
    let settings = AnalyzerKind::ALL
        .iter()
        .map(|k| {
            let model_enabled = switches
                .iter()
                .find(|s| s.analyzer == k.as_str())
                .is_none_or(|s| s.model_enabled);
            let configured = ai.configured(*k);
            AnalyzerSetting {
                analyzer: *k,
                configured,
                model_enabled,
                effective: if configured == EngineKind::Model && model_enabled && !ai.breaker_open()
                {
                    EngineKind::Model
                } else {
                    EngineKind::Builtin
                },
            }
        })
        .collect();
    Ok(AiOverview {
        model: ai.model_name().map(str::to_string),
        breaker_open: ai.breaker_open(),
        settings,
        stats: stats(db).await?,
    })
}
