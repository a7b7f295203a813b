//! What the admin console shows of the AI run log: rows, one run in full, per-analyzer figures
//! and switches. Plain data, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AnalyzerKind, Decision, EngineKind};

/// What became of a run's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Used as a suggestion.
    Ok,
    /// Failed the schema or a check, so never used.
    Rejected,
    /// No usable answer (timeout, HTTP error, open breaker, malformed JSON).
    Failed,
}

impl RunStatus {
    /// The stable name stored in `ai_runs.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Self::Ok),
            "rejected" => Some(Self::Rejected),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Which runs to list. Every field narrows; none set lists all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFilter {
    /// One analyzer.
    pub analyzer: Option<AnalyzerKind>,
    /// One engine.
    pub engine: Option<EngineKind>,
    /// One status.
    pub status: Option<RunStatus>,
    /// `Some(None)`: not yet decided; `Some(Some(d))`: decided `d`.
    pub decision: Option<Option<Decision>>,
    /// Older than this run (for the next page).
    pub before: Option<Uuid>,
}

/// One row of the run list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run.
    pub id: Uuid,
    /// When (RFC 3339).
    pub created_at: String,
    /// Which analyzer.
    pub analyzer: AnalyzerKind,
    /// Which engine.
    pub engine: EngineKind,
    /// The model's name, for model runs.
    pub model: Option<String>,
    /// What became of it.
    pub status: RunStatus,
    /// True when this built-in run replaced a failed or rejected model run.
    pub fallback: bool,
    /// The engine's confidence.
    pub confidence: Option<f32>,
    /// Microseconds.
    pub latency_us: i64,
    /// Who triggered it (display name).
    pub triggered_by: Option<String>,
    /// What a person decided.
    pub decision: Option<Decision>,
    /// The reason, or the error for failed runs.
    pub note: Option<String>,
}

/// One run, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    /// The list row.
    pub summary: RunSummary,
    /// The tenant whose data it read, if any.
    pub tenant: Option<String>,
    /// What it was about (`conversation:…`, `project:…`).
    pub subject: Option<String>,
    /// The input with personal data redacted, pretty JSON.
    pub input: String,
    /// SHA-256 of the full input.
    pub input_hash: String,
    /// The output, pretty JSON.
    pub output: Option<String>,
    /// The person's edited version, pretty JSON.
    pub edited_output: Option<String>,
    /// The engine's reason.
    pub reason: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
    /// Tokens in the prompt.
    pub prompt_tokens: Option<i32>,
    /// Tokens in the answer.
    pub completion_tokens: Option<i32>,
    /// Cost in millionths of a US dollar.
    pub cost_micros: Option<i64>,
    /// The model run this replaced.
    pub fallback_of: Option<Uuid>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
}

/// Figures for one analyzer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerStats {
    /// Which analyzer.
    pub analyzer: AnalyzerKind,
    /// Runs in all.
    pub runs: i64,
    /// Runs by the model engine.
    pub model_runs: i64,
    /// Runs rejected (schema or checks).
    pub rejected: i64,
    /// Runs failed.
    pub failed: i64,
    /// Built-in runs that replaced a model run.
    pub fallbacks: i64,
    /// Runs a person decided on.
    pub decided: i64,
    /// Accepted as suggested.
    pub accepted: i64,
    /// Accepted after edits.
    pub edited: i64,
    /// Share of decided runs accepted as they were (0–1), if any were decided.
    pub acceptance_rate: Option<f64>,
    /// Median latency, microseconds.
    pub p50_latency_us: Option<f64>,
    /// 95th percentile latency, microseconds.
    pub p95_latency_us: Option<f64>,
    /// Tokens used.
    pub tokens: i64,
    /// Cost in millionths of a US dollar.
    pub cost_micros: i64,
}

/// An analyzer's engine: what config chooses, and the admin's switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerSetting {
    /// Which analyzer.
    pub analyzer: AnalyzerKind,
    /// What config chooses.
    pub configured: EngineKind,
    /// The admin's switch for the model engine.
    pub model_enabled: bool,
    /// What runs now.
    pub effective: EngineKind,
}

/// The AI console's overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiOverview {
    /// The configured model's name, if a model is configured.
    pub model: Option<String>,
    /// True while the breaker keeps calls away from the model.
    pub breaker_open: bool,
    /// One per analyzer.
    pub settings: Vec<AnalyzerSetting>,
    /// One per analyzer.
    pub stats: Vec<AnalyzerStats>,
}

/// A run's answer as the console shows it after "try it".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TryResult {
    /// The logged run.
    pub run_id: Uuid,
    /// Which engine answered.
    pub engine: EngineKind,
    /// True when the model failed and the built-in engine answered.
    pub fell_back: bool,
    /// The output, pretty JSON.
    pub output: String,
    /// The whole answer (output, confidence, reason), pretty JSON: what an edit starts from.
    pub answer: String,
    /// 0–1.
    pub confidence: f32,
    /// Why.
    pub reason: String,
}
