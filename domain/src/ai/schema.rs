//! JSON Schemas of every analyzer's answer (`Analysis<Output>`), derived from the Rust types, and
//! validators compiled once. A model is asked to follow the schema; whatever it answers is
//! validated before it is deserialized, and rejected if it does not conform.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::builtin::*;
use super::{Analysis, AnalyzerKind};

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
}

fn compile<A: Analyzer>() -> (AnalyzerKind, Compiled) {
    let schema = schemars::schema_for!(Analysis<A::Output>).to_value();
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("the schema of {} does not compile: {e}", A::KIND));
    (A::KIND, Compiled { schema, validator })
}

static SCHEMAS: LazyLock<HashMap<AnalyzerKind, Compiled>> = LazyLock::new(|| {
    HashMap::from([
        compile::<Requirements>(),
        compile::<Estimator>(),
        compile::<Matcher>(),
        compile::<MessageAnalyzer>(),
        compile::<Qualifier>(),
        compile::<ReplyDrafter>(),
        compile::<ProjectRisk>(),
        compile::<QaChecker>(),
        compile::<SupportCopilot>(),
    ])
});

fn compiled(kind: AnalyzerKind) -> &'static Compiled {
    // Every kind is inserted above; `ALL` and the map are checked equal in a test.
    &SCHEMAS[&kind]
}

/// The JSON Schema an analyzer's answer must follow.
pub fn answer_schema(kind: AnalyzerKind) -> &'static Value {
    &compiled(kind).schema
}

/// Validates an answer against its analyzer's schema; on failure, up to five messages naming
/// where and what.
pub fn validate(kind: AnalyzerKind, answer: &Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = compiled(kind)
        .validator
        .iter_errors(answer)
        .take(5)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::{Brief, InboundMessage};

    #[test]
    fn every_analyzer_has_a_schema_and_builtin_answers_conform() {
        for k in AnalyzerKind::ALL {
            assert!(answer_schema(k).is_object(), "{k}");
        }
        let scope = Requirements::builtin(&Brief {
            text: "A logo and a website".into(),
            category: None,
        });
        validate(
            AnalyzerKind::Requirements,
            &serde_json::to_value(&scope).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let msg = MessageAnalyzer::builtin(&InboundMessage {
            text: "any update?".into(),
        });
        validate(
            AnalyzerKind::Message,
            &serde_json::to_value(&msg).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    }

    #[test]
    fn nonconforming_answers_are_rejected_with_reasons() {
        let bad = serde_json::json!({
            "output": { "intent": "world_domination", "other_intents": [], "tone": "neutral",
                        "risks": [], "language": {"code": "en", "hinglish": false}, "needs_human": false },
            "confidence": 1.5,
            "reason": "x"
        });
        let errors = validate(AnalyzerKind::Message, &bad)
            .err()
            .unwrap_or_default();
        assert!(
            errors.iter().any(|e| e.contains("/output/intent")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("/confidence")),
            "{errors:?}"
        );
        assert!(validate(AnalyzerKind::Message, &serde_json::json!({"reason": "x"})).is_err());
    }
}
