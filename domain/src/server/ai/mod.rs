//! Running analyzers: choosing the engine, calling the model with its safeguards, falling back to
//! the built-in engine, and logging every run in `ai_runs`.
//!
//! The engine for an analyzer is the model only when config chooses it (`AI_ENGINE`,
//! `AI_ENGINE_<ANALYZER>`), a model is configured, an admin has not switched the analyzer's model
//! off, and the breaker is closed. Otherwise, or when the model fails or answers with something
//! that fails the schema or the analyzer's checks, the built-in engine answers. The failed or
//! rejected model run is logged too, and the built-in run points at it.

pub mod evidence;
pub mod provider;
pub mod redact;
pub mod store;

use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::ai::builtin::matching::TalentIndex;
use crate::ai::builtin::{shared_instructions, Analyzer};
use crate::ai::log::{RunStatus, TryResult};
use crate::ai::{schema, Analysis, AnalyzerKind, EngineKind};
use crate::types::{TenantId, UserId};
use crate::AppError;
use provider::{Breaker, ChatModel, ChatRequest, ModelError};

/// Which engine config chooses for each analyzer.
#[derive(Debug, Clone)]
pub struct EngineChoice {
    /// For analyzers without their own choice.
    pub default: EngineKind,
    /// Per-analyzer choices.
    pub per_analyzer: HashMap<AnalyzerKind, EngineKind>,
}

impl Default for EngineChoice {
    fn default() -> Self {
        Self {
            default: EngineKind::Builtin,
            per_analyzer: HashMap::new(),
        }
    }
}

impl EngineChoice {
    /// What config chooses for `kind`.
    pub fn of(&self, kind: AnalyzerKind) -> EngineKind {
        self.per_analyzer
            .get(&kind)
            .copied()
            .unwrap_or(self.default)
    }
}

/// The AI service: engine choice, the model client (if configured) and its breaker.
pub struct Ai {
    choice: EngineChoice,
    model: Option<Arc<dyn ChatModel>>,
    breaker: Breaker,
    /// The talent index and the version of `talent_profiles` it was built from.
    talent: std::sync::Mutex<Option<(String, Arc<TalentIndex>)>>,
}

impl Ai {
    /// Built-in engine only: no model configured.
    pub fn builtin_only() -> Self {
        Self::new(EngineChoice::default(), None)
    }

    /// With a model client; the breaker opens after 5 failed calls for 30 s.
    pub fn new(choice: EngineChoice, model: Option<Arc<dyn ChatModel>>) -> Self {
        Self::with_breaker(choice, model, Breaker::new(5, Duration::from_secs(30)))
    }

    /// With a model client and a breaker of your own.
    pub fn with_breaker(
        choice: EngineChoice,
        model: Option<Arc<dyn ChatModel>>,
        breaker: Breaker,
    ) -> Self {
        Self {
            choice,
            model,
            breaker,
            talent: std::sync::Mutex::new(None),
        }
    }

    /// The configured model's name.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref().map(|m| m.name())
    }

    /// True while the breaker keeps calls away from the model.
    pub fn breaker_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// What config chooses for `kind` (the model only if one is configured).
    pub fn configured(&self, kind: AnalyzerKind) -> EngineKind {
        match (self.choice.of(kind), &self.model) {
            (EngineKind::Model, Some(_)) => EngineKind::Model,
            _ => EngineKind::Builtin,
        }
    }
}

/// Who asked, for whom, about what.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// The tenant whose data is analysed (None: platform work).
    pub tenant: Option<TenantId>,
    /// Who triggered it (None: an automation).
    pub user: Option<UserId>,
    /// What it is about (`conversation:<id>`).
    pub subject: Option<String>,
}

/// An analyzer's answer and its log entry.
#[derive(Debug, Clone)]
pub struct Run<T> {
    /// The `ai_runs` row of the answer used.
    pub id: Uuid,
    /// Which engine answered.
    pub engine: EngineKind,
    /// True when the model failed or was rejected and the built-in engine answered.
    pub fell_back: bool,
    /// The answer.
    pub analysis: Analysis<T>,
}

/// The SHA-256 of a value's canonical JSON.
pub fn input_hash(v: &Value) -> String {
    let mut s = String::new();
    super::audit::canonical_json(v, &mut s);
    super::sha256_hex(&s)
}

/// The JSON inside a model's message: the whole content, or a fenced ```json block.
fn extract_json(content: &str) -> Result<Value, String> {
    let t = content.trim();
    let inner = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|s| s.strip_suffix("```"))
        .unwrap_or(t);
    serde_json::from_str(inner.trim()).map_err(|e| format!("malformed JSON from the model: {e}"))
}

enum ModelChoice {
    Builtin,
    BreakerOpen,
    Call(Arc<dyn ChatModel>),
}

enum ModelOutcome<T> {
    Used(Analysis<T>),
    NotUsed {
        status: RunStatus,
        error: String,
        output: Option<Value>,
    },
}

impl Ai {
    /// Runs analyzer `A` on `input` and logs it. Never fails for the engine's sake: a model
    /// failure falls back to the built-in engine. Fails only when the log cannot be written.
    pub async fn run<A: Analyzer>(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        input: &A::Input,
    ) -> Result<Run<A::Output>, AppError> {
        self.run_with::<A>(db, ctx, input, A::builtin).await
    }

    /// [`Self::run`] on the built-in engine only, whatever config chooses: for when the model's
    /// time and cost must be spared (the inbox under load). Logged like every run.
    pub async fn run_builtin<A: Analyzer>(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        input: &A::Input,
    ) -> Result<Run<A::Output>, AppError> {
        self.run_on::<A>(db, ctx, input, A::builtin, false).await
    }

    /// [`Self::run`] with a prepared built-in engine (matching over a cached index).
    pub async fn run_with<A: Analyzer>(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        input: &A::Input,
        builtin: impl FnOnce(&A::Input) -> Analysis<A::Output>,
    ) -> Result<Run<A::Output>, AppError> {
        self.run_on::<A>(db, ctx, input, builtin, true).await
    }

    async fn run_on<A: Analyzer>(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        input: &A::Input,
        builtin: impl FnOnce(&A::Input) -> Analysis<A::Output>,
        may_call_model: bool,
    ) -> Result<Run<A::Output>, AppError> {
        let logged = A::log_input(input);
        let entry = store::NewRun {
            tenant: ctx.tenant,
            analyzer: A::KIND,
            input_redacted: redact::json(&logged),
            input_hash: input_hash(&A::hash_input(input)),
            triggered_by: ctx.user,
            subject: ctx.subject.clone(),
        };

        let mut fallback_of = None;
        let choice = if may_call_model {
            Some(self.model_for(db, A::KIND).await?)
        } else {
            None
        };
        if let Some(ModelChoice::Call(model)) = choice {
            let started = Instant::now();
            let full = serde_json::to_value(input).unwrap_or(Value::Null);
            let (outcome, reply) = self.ask_model::<A>(model.as_ref(), input, &full).await;
            let latency = started.elapsed();
            let (prompt, completion) = reply
                .as_ref()
                .map_or((None, None), |r| (r.prompt_tokens, r.completion_tokens));
            let cost = match (prompt, completion) {
                (Some(p), Some(c)) => Some(model.cost_micros(p, c)),
                _ => None,
            };
            let model_name = reply
                .as_ref()
                .map_or_else(|| model.name().to_string(), |r| r.model.clone());
            let usage = store::Usage {
                model: Some(model_name),
                prompt_tokens: prompt,
                completion_tokens: completion,
                cost_micros: cost,
            };
            match outcome {
                ModelOutcome::Used(analysis) => {
                    self.breaker.record(true);
                    let id = store::insert(
                        db,
                        &entry,
                        store::Outcome {
                            engine: EngineKind::Model,
                            status: RunStatus::Ok,
                            output: serde_json::to_value(&analysis).ok(),
                            confidence: Some(analysis.confidence),
                            reason: Some(analysis.reason.clone()),
                            error: None,
                            latency,
                            usage,
                            fallback_of: None,
                        },
                    )
                    .await?;
                    return Ok(Run {
                        id,
                        engine: EngineKind::Model,
                        fell_back: false,
                        analysis,
                    });
                }
                ModelOutcome::NotUsed {
                    status,
                    error,
                    output,
                } => {
                    self.breaker.record(false);
                    tracing::warn!(analyzer = %A::KIND, %error, "model answer not used; falling back to the built-in engine");
                    let id = store::insert(
                        db,
                        &entry,
                        store::Outcome {
                            engine: EngineKind::Model,
                            status,
                            output,
                            confidence: None,
                            reason: None,
                            error: Some(error),
                            latency,
                            usage,
                            fallback_of: None,
                        },
                    )
                    .await?;
                    fallback_of = Some(id);
                }
            }
        } else if let Some(ModelChoice::BreakerOpen) = choice {
            // Chosen, configured and switched on, but the breaker is open: log the skip.
            let id = store::insert(
                db,
                &entry,
                store::Outcome {
                    engine: EngineKind::Model,
                    status: RunStatus::Failed,
                    output: None,
                    confidence: None,
                    reason: None,
                    error: Some(
                        "circuit breaker open: the model failed repeatedly; not called".into(),
                    ),
                    latency: Duration::ZERO,
                    usage: store::Usage {
                        model: self.model_name().map(str::to_string),
                        ..Default::default()
                    },
                    fallback_of: None,
                },
            )
            .await?;
            fallback_of = Some(id);
        }

        let started = Instant::now();
        let analysis = builtin(input);
        let latency = started.elapsed();
        let output = serde_json::to_value(&analysis).unwrap_or(Value::Null);
        // An answer of the built-in engine that breaks its own schema is a bug: log it, use nothing.
        let invalid = schema::validate(A::KIND, &output)
            .err()
            .map(|e| e.join("; "));
        if let Some(errors) = &invalid {
            tracing::error!(analyzer = %A::KIND, %errors, "built-in answer failed its schema");
        }
        let used = invalid.is_none();
        let id = store::insert(
            db,
            &entry,
            store::Outcome {
                engine: EngineKind::Builtin,
                status: if used {
                    RunStatus::Ok
                } else {
                    RunStatus::Rejected
                },
                output: Some(output),
                confidence: used.then_some(analysis.confidence),
                reason: used.then(|| analysis.reason.clone()),
                error: invalid,
                latency,
                usage: store::Usage::default(),
                fallback_of,
            },
        )
        .await?;
        if !used {
            return Err(AppError::Internal);
        }
        Ok(Run {
            id,
            engine: EngineKind::Builtin,
            fell_back: fallback_of.is_some(),
            analysis,
        })
    }

    /// Whether to call the model for `kind` now.
    async fn model_for(&self, db: &PgPool, kind: AnalyzerKind) -> Result<ModelChoice, AppError> {
        let Some(model) = self.model.clone() else {
            return Ok(ModelChoice::Builtin);
        };
        if self.configured(kind) != EngineKind::Model || !store::model_enabled(db, kind).await? {
            return Ok(ModelChoice::Builtin);
        }
        if !self.breaker.allow() {
            return Ok(ModelChoice::BreakerOpen);
        }
        Ok(ModelChoice::Call(model))
    }

    async fn ask_model<A: Analyzer>(
        &self,
        model: &dyn ChatModel,
        input: &A::Input,
        full: &Value,
    ) -> (ModelOutcome<A::Output>, Option<provider::ChatReply>) {
        let schema = schema::answer_schema(A::KIND).clone();
        let req = ChatRequest {
            system: format!(
                "{}\n\n{}\n\nJSON Schema of your answer:\n{}",
                shared_instructions(),
                A::instructions(),
                schema
            ),
            user: full.to_string(),
            schema_name: format!("{}_answer", A::KIND),
            schema,
        };
        let reply = match model.complete(&req).await {
            Ok(r) => r,
            Err(e) => {
                let status = RunStatus::Failed;
                let error = match &e {
                    ModelError::Malformed(m) => format!("malformed response: {m}"),
                    other => other.to_string(),
                };
                return (
                    ModelOutcome::NotUsed {
                        status,
                        error,
                        output: None,
                    },
                    None,
                );
            }
        };
        let value = match extract_json(&reply.content) {
            Ok(v) => v,
            Err(error) => {
                let raw = Value::String(reply.content.chars().take(4000).collect());
                return (
                    ModelOutcome::NotUsed {
                        status: RunStatus::Failed,
                        error,
                        output: Some(serde_json::json!({ "raw": raw })),
                    },
                    Some(reply),
                );
            }
        };
        if let Err(errors) = schema::validate(A::KIND, &value) {
            let error = format!("answer does not follow the schema: {}", errors.join("; "));
            return (
                ModelOutcome::NotUsed {
                    status: RunStatus::Rejected,
                    error,
                    output: Some(value),
                },
                Some(reply),
            );
        }
        let analysis: Analysis<A::Output> = match serde_json::from_value(value.clone()) {
            Ok(a) => a,
            Err(e) => {
                let error = format!("answer does not fit the output type: {e}");
                return (
                    ModelOutcome::NotUsed {
                        status: RunStatus::Rejected,
                        error,
                        output: Some(value),
                    },
                    Some(reply),
                );
            }
        };
        if let Err(e) = A::check(input, &analysis.output) {
            return (
                ModelOutcome::NotUsed {
                    status: RunStatus::Rejected,
                    error: format!("answer failed a check: {e}"),
                    output: Some(value),
                },
                Some(reply),
            );
        }
        (ModelOutcome::Used(analysis), Some(reply))
    }
}

impl Ai {
    /// Runs `kind` on JSON input (the admin console's "try it"): the input must fit the
    /// analyzer's input type; an estimate without history, or a match without candidates, uses
    /// the platform's delivered projects or talent.
    pub async fn try_json(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        kind: AnalyzerKind,
        input: &Value,
    ) -> Result<TryResult, AppError> {
        use crate::ai::builtin::*;
        match kind {
            AnalyzerKind::Requirements => {
                self.try_typed::<Requirements>(db, ctx, parse(input)?).await
            }
            AnalyzerKind::Estimate => {
                let mut i: crate::ai::EstimateInput = parse(input)?;
                if i.history.is_empty() {
                    i.history = evidence::delivered_projects(db).await?;
                }
                self.try_typed::<Estimator>(db, ctx, i).await
            }
            AnalyzerKind::Matching => {
                let i: crate::ai::MatchInput = parse(input)?;
                if i.candidates.is_empty() {
                    let run = self.match_talent(db, ctx, i.need).await?;
                    return Ok(try_result(run));
                }
                self.try_typed::<Matcher>(db, ctx, i).await
            }
            AnalyzerKind::Message => {
                self.try_typed::<MessageAnalyzer>(db, ctx, parse(input)?)
                    .await
            }
            AnalyzerKind::Qualify => self.try_typed::<Qualifier>(db, ctx, parse(input)?).await,
            AnalyzerKind::Reply => self.try_typed::<ReplyDrafter>(db, ctx, parse(input)?).await,
            AnalyzerKind::ProjectRisk => {
                self.try_typed::<ProjectRisk>(db, ctx, parse(input)?).await
            }
            AnalyzerKind::QaCheck => self.try_typed::<QaChecker>(db, ctx, parse(input)?).await,
            AnalyzerKind::Support => {
                self.try_typed::<SupportCopilot>(db, ctx, parse(input)?)
                    .await
            }
        }
    }

    async fn try_typed<A: Analyzer>(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        input: A::Input,
    ) -> Result<TryResult, AppError> {
        Ok(try_result(self.run::<A>(db, ctx, &input).await?))
    }

    /// The index of active talent, rebuilt only when `talent_profiles` changed.
    pub async fn talent_index(&self, db: &PgPool) -> Result<Arc<TalentIndex>, AppError> {
        let version = evidence::talent_version(db).await?;
        if let Some((v, index)) = self
            .talent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if *v == version {
                return Ok(index.clone());
            }
        }
        let profiles = evidence::talent(db).await?;
        let index = Arc::new(
            tokio::task::spawn_blocking(move || TalentIndex::new(profiles))
                .await
                .map_err(|_| AppError::Internal)?,
        );
        *self.talent.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, index.clone()));
        Ok(index)
    }

    /// Ranks the platform's active talent for a need: the built-in engine over the cached index.
    pub async fn match_talent(
        &self,
        db: &PgPool,
        ctx: &RunContext,
        need: crate::ai::Need,
    ) -> Result<Run<crate::ai::Ranking>, AppError> {
        let index = self.talent_index(db).await?;
        let input = crate::ai::MatchInput {
            need,
            candidates: index.profiles().to_vec(),
        };
        self.run_with::<crate::ai::builtin::Matcher>(db, ctx, &input, |i| index.rank(&i.need))
            .await
    }
}

fn try_result<T: serde::Serialize>(run: Run<T>) -> TryResult {
    TryResult {
        run_id: run.id,
        engine: run.engine,
        fell_back: run.fell_back,
        output: serde_json::to_string_pretty(&run.analysis.output).unwrap_or_default(),
        answer: serde_json::to_string_pretty(&run.analysis).unwrap_or_default(),
        confidence: run.analysis.confidence,
        reason: run.analysis.reason,
    }
}

/// Parses an analyzer's input, with a message that names what does not fit.
fn parse<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, AppError> {
    serde_json::from_value(input.clone()).map_err(|e| {
        AppError::field(
            "input",
            format!("This input does not fit the analyzer: {e}."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_json_from_fenced_answers() {
        assert_eq!(
            extract_json("```json\n{\"a\":1}\n```").ok(),
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            extract_json(" {\"a\":1} ").ok(),
            Some(serde_json::json!({"a": 1}))
        );
        assert!(extract_json("Sure! Here you go: {").is_err());
    }

    #[test]
    fn hash_ignores_key_order() {
        let a = serde_json::json!({"x": 1, "y": [1, 2]});
        let b = serde_json::json!({"y": [1, 2], "x": 1});
        assert_eq!(input_hash(&a), input_hash(&b));
        assert_eq!(input_hash(&a).len(), 64);
    }

    #[test]
    fn the_model_is_chosen_only_when_configured() {
        let ai = Ai::builtin_only();
        assert_eq!(ai.configured(AnalyzerKind::Message), EngineKind::Builtin);
        let choice = EngineChoice {
            default: EngineKind::Model,
            per_analyzer: HashMap::from([(AnalyzerKind::Reply, EngineKind::Builtin)]),
        };
        assert_eq!(choice.of(AnalyzerKind::Message), EngineKind::Model);
        assert_eq!(choice.of(AnalyzerKind::Reply), EngineKind::Builtin);
        // Chosen but no model configured: built-in.
        assert_eq!(
            Ai::new(choice, None).configured(AnalyzerKind::Message),
            EngineKind::Builtin
        );
    }
}
