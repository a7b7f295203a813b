//! The AI layer's shared vocabulary: which analyzers exist, which engines run them, and the typed
//! inputs and outputs each analyzer speaks.
//!
//! Every analyzer turns a typed input into a typed output with a confidence (0–1) and a short
//! reason a person can read. AI is advisory: outputs are suggestions that a person accepts, edits
//! or rejects, and that decision is logged with the run.
//!
//! The types here compile everywhere (the browser renders them). The engines that produce them —
//! the built-in one in [`crate::ai::builtin`] and the OpenAI-compatible provider in
//! `server::ai` — need the `server` feature.

use serde::{Deserialize, Serialize};

pub mod examples;
pub mod log;
pub mod types;
pub use types::*;

#[cfg(feature = "server")]
pub mod builtin;
#[cfg(feature = "server")]
pub mod schema;
#[cfg(feature = "server")]
pub mod text;

/// The analyzers, one per advisory task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalyzerKind {
    /// A free-text brief → structured scope.
    Requirements,
    /// A scope → budget range and timeline from comparable past projects.
    Estimate,
    /// A need → ranked freelancers or experts with reasons.
    Matching,
    /// An inbound message → intent, tone, risks, language.
    Message,
    /// A lead's messages → intent, budget band, timeline band, objections, signals.
    Qualify,
    /// A reply draft for a lead, by band, from the tenant's facts only.
    Reply,
    /// A project's state → delay and silence risks.
    ProjectRisk,
    /// A submission → each acceptance criterion met, unclear or missing.
    QaCheck,
    /// A support ticket → category, priority and a draft reply.
    Support,
}

impl AnalyzerKind {
    /// Every analyzer, in display order.
    pub const ALL: [AnalyzerKind; 9] = [
        Self::Requirements,
        Self::Estimate,
        Self::Matching,
        Self::Message,
        Self::Qualify,
        Self::Reply,
        Self::ProjectRisk,
        Self::QaCheck,
        Self::Support,
    ];

    /// The stable name used in config, URLs and the `ai_runs` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requirements => "requirements",
            Self::Estimate => "estimate",
            Self::Matching => "matching",
            Self::Message => "message",
            Self::Qualify => "qualify",
            Self::Reply => "reply",
            Self::ProjectRisk => "project_risk",
            Self::QaCheck => "qa_check",
            Self::Support => "support",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requirements => "Requirement analyzer",
            Self::Estimate => "Cost and time estimator",
            Self::Matching => "Talent matching",
            Self::Message => "Inbox message analysis",
            Self::Qualify => "Lead qualification",
            Self::Reply => "Reply drafting",
            Self::ProjectRisk => "Project risk",
            Self::QaCheck => "QA check",
            Self::Support => "Support copilot",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for AnalyzerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which engine produced an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// Rules, text statistics and similarity; no network, deterministic.
    Builtin,
    /// An OpenAI-compatible chat-completions model.
    Model,
}

impl EngineKind {
    /// The stable name used in config and the `ai_runs` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Model => "model",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "builtin" => Some(Self::Builtin),
            "model" => Some(Self::Model),
            _ => None,
        }
    }
}

/// What a person did with a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Used as suggested.
    Accepted,
    /// Used after changes.
    Edited,
    /// Not used.
    Rejected,
}

impl Decision {
    /// The stable name stored in `ai_runs.decision`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Edited => "edited",
            Self::Rejected => "rejected",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accepted" => Some(Self::Accepted),
            "edited" => Some(Self::Edited),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// An analyzer's answer: the typed output, how sure the engine is, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Analysis<T> {
    /// The typed output.
    pub output: T,
    /// 0 (a guess) to 1 (certain).
    #[cfg_attr(feature = "server", schemars(range(min = 0.0, max = 1.0)))]
    pub confidence: f32,
    /// One or two sentences a person can check.
    #[cfg_attr(feature = "server", schemars(length(min = 1, max = 600)))]
    pub reason: String,
}

impl<T> Analysis<T> {
    /// An answer with its confidence clamped to 0–1.
    pub fn new(output: T, confidence: f32, reason: impl Into<String>) -> Self {
        Self {
            output,
            confidence: if confidence.is_finite() {
                confidence.clamp(0.0, 1.0)
            } else {
                0.0
            },
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in AnalyzerKind::ALL {
            assert_eq!(AnalyzerKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AnalyzerKind::parse("nope"), None);
        for d in [Decision::Accepted, Decision::Edited, Decision::Rejected] {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
    }

    #[test]
    fn confidence_is_clamped() {
        assert_eq!(Analysis::new((), 1.7, "r").confidence, 1.0);
        assert_eq!(Analysis::new((), -1.0, "r").confidence, 0.0);
        assert_eq!(Analysis::new((), f32::NAN, "r").confidence, 0.0);
    }
}
