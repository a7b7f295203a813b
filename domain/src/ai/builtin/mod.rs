//! The built-in engine: rules, text statistics and full-text similarity. No network, no state,
//! deterministic — the same input always gives the same output. It runs by default, in tests,
//! and whenever a model is off, failing, or answers with something invalid.
//!
//! Each analyzer is a zero-sized type implementing [`Analyzer`], which ties together its
//! [`AnalyzerKind`], its input and output types, its built-in implementation and the
//! instructions a model gets.

pub mod catalog;
pub mod matching;
pub mod message;
pub mod qualify;
pub mod reply;
pub mod scope;
pub mod work;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::*;

/// One advisory analyzer.
pub trait Analyzer: Send + Sync + 'static {
    /// Which one.
    const KIND: AnalyzerKind;
    /// What it reads.
    type Input: Serialize + DeserializeOwned + JsonSchema + Send + Sync;
    /// What it answers.
    type Output: Serialize + DeserializeOwned + JsonSchema + Send + Sync + Clone;

    /// The built-in engine's answer.
    fn builtin(input: &Self::Input) -> Analysis<Self::Output>;

    /// What a model is told to do, before the JSON Schema it must follow.
    fn instructions() -> &'static str;

    /// What of the input goes to the log (before redaction). Analyzers whose input carries
    /// many candidates log a summary instead of every profile.
    fn log_input(input: &Self::Input) -> Value {
        serde_json::to_value(input).unwrap_or(Value::Null)
    }

    /// What the logged input hash covers (default: the whole input). Analyzers whose input
    /// carries the platform's candidates hash what the log shows instead.
    fn hash_input(input: &Self::Input) -> Value {
        serde_json::to_value(input).unwrap_or(Value::Null)
    }

    /// Checks beyond the schema that a model's output must pass to be used.
    fn check(_input: &Self::Input, _output: &Self::Output) -> Result<(), String> {
        Ok(())
    }
}

const SHARED: &str = "You are an advisory assistant inside a services marketplace. A person reviews everything you produce. Answer only with one JSON object that follows the given JSON Schema: {\"output\": ..., \"confidence\": 0..1, \"reason\": \"one or two sentences\"}. Never invent facts, prices, numbers, names or links that are not in the input.";

/// Brief → scope.
pub struct Requirements;
impl Analyzer for Requirements {
    const KIND: AnalyzerKind = AnalyzerKind::Requirements;
    type Input = Brief;
    type Output = Scope;
    fn builtin(input: &Brief) -> Analysis<Scope> {
        scope::requirements(input)
    }
    fn instructions() -> &'static str {
        "Turn the customer's brief (any language) into a project scope: a short summary in English, the brief's language, the main category, deliverables (using the allowed kinds), milestones in order each with checkable acceptance criteria and weeks, assumptions, risks, and questions to ask the customer before confirming."
    }
}

/// Scope → budget and timeline from comparables.
pub struct Estimator;
impl Analyzer for Estimator {
    const KIND: AnalyzerKind = AnalyzerKind::Estimate;
    type Input = EstimateInput;
    type Output = Estimate;
    fn builtin(input: &EstimateInput) -> Analysis<Estimate> {
        scope::estimate(input)
    }
    fn instructions() -> &'static str {
        "Estimate a budget range in US dollars and a timeline in weeks for the scope, based only on the delivered projects given in `history`. List the most similar ones as comparables with a 0..1 similarity, using their ids, budgets and weeks exactly as given."
    }
    fn log_input(input: &EstimateInput) -> Value {
        serde_json::json!({
            "text": input.text, "category": input.category, "deliverables": input.deliverables,
            "history": input.history.len(),
        })
    }
    fn hash_input(input: &EstimateInput) -> Value {
        Self::log_input(input)
    }
    fn check(input: &EstimateInput, output: &Estimate) -> Result<(), String> {
        if output.budget_low_usd > output.budget_high_usd || output.weeks_low > output.weeks_high {
            return Err("the low end is above the high end".into());
        }
        for c in &output.comparables {
            if !input
                .history
                .iter()
                .any(|p| p.id == c.id && p.budget_usd == c.budget_usd)
            {
                return Err(format!("comparable {} is not a delivered project", c.id));
            }
        }
        Ok(())
    }
}

/// Need → ranked talent.
pub struct Matcher;
impl Analyzer for Matcher {
    const KIND: AnalyzerKind = AnalyzerKind::Matching;
    type Input = MatchInput;
    type Output = Ranking;
    fn builtin(input: &MatchInput) -> Analysis<Ranking> {
        matching::rank(input)
    }
    fn instructions() -> &'static str {
        "Rank the candidates for the need. For each match give per-factor scores 0..1 with weights and reasons: skills overlap, text similarity, rating, availability and timezone. Use only candidate ids from the input."
    }
    fn log_input(input: &MatchInput) -> Value {
        serde_json::json!({ "need": input.need, "candidates": input.candidates.len() })
    }
    fn hash_input(input: &MatchInput) -> Value {
        Self::log_input(input)
    }
    fn check(input: &MatchInput, output: &Ranking) -> Result<(), String> {
        match output
            .matches
            .iter()
            .find(|m| !input.candidates.iter().any(|c| c.id == m.id))
        {
            Some(m) => Err(format!("{} is not a candidate", m.id)),
            None => Ok(()),
        }
    }
}

/// Inbound message → intent, tone, risks, language.
pub struct MessageAnalyzer;
impl Analyzer for MessageAnalyzer {
    const KIND: AnalyzerKind = AnalyzerKind::Message;
    type Input = InboundMessage;
    type Output = MessageAnalysis;
    fn builtin(input: &InboundMessage) -> Analysis<MessageAnalysis> {
        message::analyze(input)
    }
    fn instructions() -> &'static str {
        "Classify the inbound sales message: main intent, other intents, tone, high-risk classes (legal, financial, medical, violent, abusive), language as an ISO 639-1 code with a flag for Hinglish (Hindi in Latin script), and whether a person must handle it."
    }
}

/// Lead messages → qualification.
pub struct Qualifier;
impl Analyzer for Qualifier {
    const KIND: AnalyzerKind = AnalyzerKind::Qualify;
    type Input = LeadConversation;
    type Output = Qualification;
    fn builtin(input: &LeadConversation) -> Analysis<Qualification> {
        qualify::analyze(input)
    }
    fn instructions() -> &'static str {
        "Qualify the lead from its messages: buying intent (high, medium, low), budget band in US dollars when stated, timeline band when stated, objections and buying signals quoted from the messages, a 0..100 score and the band (hot >= 70, warm >= 40, else cold)."
    }
}

/// Lead → reply draft from the tenant's facts.
pub struct ReplyDrafter;
impl Analyzer for ReplyDrafter {
    const KIND: AnalyzerKind = AnalyzerKind::Reply;
    type Input = ReplyInput;
    type Output = ReplyDraft;
    fn builtin(input: &ReplyInput) -> Analysis<ReplyDraft> {
        reply::draft(input)
    }
    fn instructions() -> &'static str {
        "Draft a short reply to the lead in the language of their message. HOT: offer a direct booking. WARM: build trust with the proof given. COLD: spark curiosity with a useful insight. Use only the tenant's facts for any claim, number, price, availability or link; if a fact is missing, leave it out."
    }
    fn check(input: &ReplyInput, output: &ReplyDraft) -> Result<(), String> {
        let claims = reply::unsupported_claims(&output.text, &input.facts, &input.last_message);
        if claims.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "claims not in the tenant's facts: {}",
                claims.join(", ")
            ))
        }
    }
}

/// Project state → risk.
pub struct ProjectRisk;
impl Analyzer for ProjectRisk {
    const KIND: AnalyzerKind = AnalyzerKind::ProjectRisk;
    type Input = ProjectSnapshot;
    type Output = RiskReport;
    fn builtin(input: &ProjectSnapshot) -> Analysis<RiskReport> {
        work::project_risk(input)
    }
    fn instructions() -> &'static str {
        "Assess the project's delivery risk from its milestones, silence and overdue tasks: a level, the signals seen (delay, silence, overdue_tasks) and actions a person could take."
    }
}

/// Submission → criteria check.
pub struct QaChecker;
impl Analyzer for QaChecker {
    const KIND: AnalyzerKind = AnalyzerKind::QaCheck;
    type Input = QaInput;
    type Output = QaReport;
    fn builtin(input: &QaInput) -> Analysis<QaReport> {
        work::qa_check(input)
    }
    fn instructions() -> &'static str {
        "Check the submission against each acceptance criterion, in order: met, unclear or missing, quoting the evidence. Recommend approve only when every criterion is met."
    }
    fn check(input: &QaInput, output: &QaReport) -> Result<(), String> {
        if output.criteria.len() != input.acceptance_criteria.len() {
            return Err("one check per criterion is required".into());
        }
        Ok(())
    }
}

/// Ticket → support draft.
pub struct SupportCopilot;
impl Analyzer for SupportCopilot {
    const KIND: AnalyzerKind = AnalyzerKind::Support;
    type Input = Ticket;
    type Output = SupportDraft;
    fn builtin(input: &Ticket) -> Analysis<SupportDraft> {
        work::support(input)
    }
    fn instructions() -> &'static str {
        "Categorise the support ticket, set its priority, and draft a polite reply that cites only the given help articles by title. Escalate anything legal, financial (refund demands, chargebacks) or about safety."
    }
}

/// The shared preamble of every model prompt.
pub fn shared_instructions() -> &'static str {
    SHARED
}

/// Runs an analyzer's built-in engine on JSON input (the admin console's "try it").
pub fn run_json(kind: AnalyzerKind, input: &Value) -> Result<Value, String> {
    fn go<A: Analyzer>(input: &Value) -> Result<Value, String> {
        let typed: A::Input = serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(A::builtin(&typed)).map_err(|e| e.to_string())
    }
    match kind {
        AnalyzerKind::Requirements => go::<Requirements>(input),
        AnalyzerKind::Estimate => go::<Estimator>(input),
        AnalyzerKind::Matching => go::<Matcher>(input),
        AnalyzerKind::Message => go::<MessageAnalyzer>(input),
        AnalyzerKind::Qualify => go::<Qualifier>(input),
        AnalyzerKind::Reply => go::<ReplyDrafter>(input),
        AnalyzerKind::ProjectRisk => go::<ProjectRisk>(input),
        AnalyzerKind::QaCheck => go::<QaChecker>(input),
        AnalyzerKind::Support => go::<SupportCopilot>(input),
    }
}
