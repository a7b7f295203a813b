//! The AI runner against real Postgres and a local HTTP server that speaks the chat-completions
//! format: success, malformed JSON, schema-violating JSON, timeout, 429 with Retry-After, 500 —
//! with retries, the breaker, the fallback to the built-in engine and the `ai_runs` log asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use common::{all_rows, services};
use domain::ai::builtin::MessageAnalyzer;
use domain::ai::log::{RunFilter, RunStatus};
use domain::ai::{AnalyzerKind, Decision, EngineKind, InboundMessage, Intent};
use domain::server::ai::provider::{Breaker, ModelConfig, OpenAiCompatible};
use domain::server::ai::{store, Ai, EngineChoice, RunContext};
use domain::AppError;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fake model does for one request.
#[derive(Clone)]
enum Reply {
    Content(String),
    Status(u16, Option<&'static str>),
    Sleep(Duration),
}

#[derive(Clone, Default)]
struct Fake {
    script: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

async fn completions(State(f): State<Fake>, Json(body): Json<Value>) -> Response {
    f.requests.lock().unwrap().push(body);
    let next = f
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Status(500, None));
    match next {
        Reply::Content(c) => Json(json!({
            "id": "x", "object": "chat.completion", "model": "fake-1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": c}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
        }))
        .into_response(),
        Reply::Status(code, retry_after) => {
            let mut r = (StatusCode::from_u16(code).unwrap(), "nope").into_response();
            if let Some(s) = retry_after {
                r.headers_mut().insert("retry-after", s.parse().unwrap());
            }
            r
        }
        Reply::Sleep(d) => {
            tokio::time::sleep(d).await;
            Json(json!({})).into_response()
        }
    }
}

async fn fake_model(script: Vec<Reply>) -> (Fake, String) {
    let fake = Fake {
        script: Arc::new(Mutex::new(script.into())),
        ..Default::default()
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, url)
}

fn ai(url: &str, breaker: Breaker) -> Ai {
    let mut cfg = ModelConfig::new(url, "fake-1");
    cfg.timeout = Duration::from_millis(300);
    cfg.backoff = Duration::from_millis(10);
    cfg.max_retries = 2;
    cfg.prompt_usd_per_mtok = 0.15;
    cfg.completion_usd_per_mtok = 0.60;
    let model = Arc::new(OpenAiCompatible::new(cfg).unwrap());
    let choice = EngineChoice {
        default: EngineKind::Model,
        ..Default::default()
    };
    Ai::with_breaker(choice, Some(model), breaker)
}

fn good_answer() -> String {
    json!({
        "output": {"intent": "urgency", "other_intents": [], "tone": "neutral", "risks": [],
                   "language": {"code": "en", "hinglish": false}, "needs_human": false},
        "confidence": 0.8, "reason": "asks for it today"
    })
    .to_string()
}

fn msg(text: &str) -> InboundMessage {
    InboundMessage { text: text.into() }
}

async fn rows(
    owner: &PgPool,
) -> Vec<(
    String,
    String,
    Option<String>,
    bool,
    Option<i32>,
    Option<i64>,
)> {
    sqlx::query_as(
        "SELECT engine, status, error, fallback_of IS NOT NULL, prompt_tokens, cost_micros FROM ai_runs ORDER BY created_at, id",
    )
    .fetch_all(&all_rows(owner).await)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_valid_model_answer_is_used_and_logged_with_usage(owner: PgPool) {
    let svc = services(&owner).await;
    let (fake, url) = fake_model(vec![Reply::Content(good_answer())]).await;
    let ai = ai(&url, Breaker::new(5, Duration::from_secs(30)));
    let run = ai
        .run::<MessageAnalyzer>(
            &svc.db,
            &RunContext::default(),
            &msg("need it today, call me on +91 98765 43210"),
        )
        .await
        .unwrap();
    assert_eq!((run.engine, run.fell_back), (EngineKind::Model, false));
    assert_eq!(run.analysis.output.intent, Intent::Urgency);
    let body = fake.requests.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "fake-1");
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("JSON Schema"));
    let r = rows(&owner).await;
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0.as_str(), r[0].1.as_str()), ("model", "ok"));
    assert_eq!(r[0].4, Some(1200));
    assert_eq!(r[0].5, Some(360), "1200 × $0.15/M + 300 × $0.60/M = 360 µ$");
    // The phone number is redacted in the log, the hash is of the full input.
    let d = store::get(&svc.db, run.id).await.unwrap();
    assert!(
        d.input.contains("[phone]") && !d.input.contains("98765"),
        "{}",
        d.input
    );
    assert_eq!(d.input_hash.len(), 64);
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_and_schema_violating_answers_are_logged_and_never_used(owner: PgPool) {
    let svc = services(&owner).await;
    let bad_schema =
        json!({"output": {"intent": "world_domination"}, "confidence": 3, "reason": "x"})
            .to_string();
    let (_fake, url) = fake_model(vec![
        Reply::Content("Sure! {\"intent\": ".into()),
        Reply::Content(bad_schema),
    ])
    .await;
    let ai = ai(&url, Breaker::new(5, Duration::from_secs(30)));
    for _ in 0..2 {
        let run = ai
            .run::<MessageAnalyzer>(
                &svc.db,
                &RunContext::default(),
                &msg("any update on the proposal?"),
            )
            .await
            .unwrap();
        assert_eq!((run.engine, run.fell_back), (EngineKind::Builtin, true));
        assert_eq!(run.analysis.output.intent, Intent::FollowUp);
    }
    let r = rows(&owner).await;
    let summary: Vec<(&str, &str, bool)> = r
        .iter()
        .map(|x| (x.0.as_str(), x.1.as_str(), x.3))
        .collect();
    assert_eq!(
        summary,
        [
            ("model", "failed", false),
            ("builtin", "ok", true),
            ("model", "rejected", false),
            ("builtin", "ok", true)
        ]
    );
    assert!(r[0].2.as_deref().unwrap().contains("malformed JSON"));
    assert!(
        r[2].2.as_deref().unwrap().contains("schema"),
        "{:?}",
        r[2].2
    );
    // A rejected run cannot be accepted.
    let rejected = store::list(
        &svc.db,
        &RunFilter {
            status: Some(RunStatus::Rejected),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rejected.len(), 1);
    let err = store::decide(
        &svc.db,
        None,
        rejected[0].id,
        Decision::Accepted,
        None,
        domain::types::UserId::new(),
    )
    .await;
    assert!(matches!(err, Err(AppError::Conflict(_))));
}

#[sqlx::test(migrations = "../migrations")]
async fn retries_429_after_retry_after_and_500_with_backoff(owner: PgPool) {
    let svc = services(&owner).await;
    let (fake, url) = fake_model(vec![
        Reply::Status(429, Some("1")),
        Reply::Status(503, None),
        Reply::Content(good_answer()),
    ])
    .await;
    let ai = ai(&url, Breaker::new(5, Duration::from_secs(30)));
    let started = Instant::now();
    let run = ai
        .run::<MessageAnalyzer>(&svc.db, &RunContext::default(), &msg("today please"))
        .await
        .unwrap();
    assert_eq!(run.engine, EngineKind::Model);
    assert_eq!(fake.requests.lock().unwrap().len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );

    // Always 500: three attempts (1 + 2 retries), then the built-in engine.
    let (fake, url) = fake_model(vec![]).await;
    let ai = self::ai(&url, Breaker::new(5, Duration::from_secs(30)));
    let run = ai
        .run::<MessageAnalyzer>(&svc.db, &RunContext::default(), &msg("today please"))
        .await
        .unwrap();
    assert!(run.fell_back);
    assert_eq!(fake.requests.lock().unwrap().len(), 3);
    let last = store::list(
        &svc.db,
        &RunFilter {
            engine: Some(EngineKind::Model),
            status: Some(RunStatus::Failed),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        last[0].note.as_deref().unwrap().contains("HTTP 500"),
        "{:?}",
        last[0].note
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn timeouts_open_the_breaker_which_then_keeps_calls_away(owner: PgPool) {
    let svc = services(&owner).await;
    let slow = Reply::Sleep(Duration::from_millis(800));
    let (fake, url) = fake_model(vec![
        slow.clone(),
        slow.clone(),
        slow.clone(),
        slow.clone(),
        slow.clone(),
        slow,
    ])
    .await;
    let ai = ai(&url, Breaker::new(2, Duration::from_secs(60)));
    for _ in 0..2 {
        let run = ai
            .run::<MessageAnalyzer>(&svc.db, &RunContext::default(), &msg("hello"))
            .await
            .unwrap();
        assert!(run.fell_back);
    }
    assert_eq!(
        fake.requests.lock().unwrap().len(),
        6,
        "two calls × three attempts each"
    );
    assert!(ai.breaker_open());
    let run = ai
        .run::<MessageAnalyzer>(&svc.db, &RunContext::default(), &msg("hello"))
        .await
        .unwrap();
    assert!(run.fell_back);
    assert_eq!(
        fake.requests.lock().unwrap().len(),
        6,
        "the open breaker kept the call away"
    );
    let notes: Vec<String> = rows(&owner).await.into_iter().filter_map(|r| r.2).collect();
    assert!(
        notes[0].contains("timed out after 3 attempt(s)"),
        "{notes:?}"
    );
    assert!(
        notes.last().unwrap().contains("circuit breaker open"),
        "{notes:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_switch_keeps_an_analyzer_on_the_builtin_engine(owner: PgPool) {
    let svc = services(&owner).await;
    let (fake, url) = fake_model(vec![Reply::Content(good_answer())]).await;
    let ai = ai(&url, Breaker::new(5, Duration::from_secs(30)));
    let admin = domain::types::UserId::new();
    sqlx::query("INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, 'a@x.test', 'Ada', 'x')")
        .bind(admin.0)
        .execute(&owner)
        .await
        .unwrap();
    store::set_model_enabled(&svc.db, AnalyzerKind::Message, false, admin)
        .await
        .unwrap();
    let run = ai
        .run::<MessageAnalyzer>(
            &svc.db,
            &RunContext {
                user: Some(admin),
                ..Default::default()
            },
            &msg("ok"),
        )
        .await
        .unwrap();
    assert_eq!((run.engine, run.fell_back), (EngineKind::Builtin, false));
    assert!(fake.requests.lock().unwrap().is_empty());
    let o = store::overview(&svc.db, &ai).await.unwrap();
    let s = o
        .settings
        .iter()
        .find(|s| s.analyzer == AnalyzerKind::Message)
        .unwrap();
    assert_eq!(
        (s.configured, s.model_enabled, s.effective),
        (EngineKind::Model, false, EngineKind::Builtin)
    );

    // Decisions feed the acceptance rate; an edit must follow the schema.
    let bad = store::decide(
        &svc.db,
        None,
        run.id,
        Decision::Edited,
        Some(json!({"output": {}})),
        admin,
    )
    .await;
    assert!(matches!(bad, Err(AppError::Validation(_))));
    store::decide(&svc.db, None, run.id, Decision::Accepted, None, admin)
        .await
        .unwrap();
    let stats = store::stats(&svc.db).await.unwrap();
    let m = stats
        .iter()
        .find(|s| s.analyzer == AnalyzerKind::Message)
        .unwrap();
    assert_eq!(
        (m.runs, m.decided, m.accepted, m.acceptance_rate),
        (1, 1, 1, Some(1.0))
    );
    let list = store::list(
        &svc.db,
        &RunFilter {
            decision: Some(Some(Decision::Accepted)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].triggered_by.as_deref(), Some("Ada"));
}

#[sqlx::test(migrations = "../migrations")]
async fn matching_ranks_seeded_talent_from_an_index_rebuilt_only_on_change(owner: PgPool) {
    let svc = services(&owner).await;
    domain::server::ai::evidence::seed(&svc.db).await.unwrap();
    let ai = Ai::builtin_only();
    let need = domain::ai::Need {
        text: "Shopify store with Stripe payments".into(),
        skills: vec!["Shopify".into(), "Stripe".into()],
        kind: None,
        utc_offset_minutes: Some(330),
        hours_per_week: Some(20),
        limit: Some(3),
    };
    let run = ai
        .match_talent(&svc.db, &RunContext::default(), need)
        .await
        .unwrap();
    assert_eq!(run.analysis.output.matches.len(), 3);
    assert_eq!(run.analysis.output.matches[0].name, "Fern Freelancer");
    let first = ai.talent_index(&svc.db).await.unwrap();
    let again = ai.talent_index(&svc.db).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "unchanged talent reuses the index"
    );
    sqlx::query("UPDATE talent_profiles SET available_hours = 1 WHERE name = 'Fern Freelancer'")
        .execute(&owner)
        .await
        .unwrap();
    let rebuilt = ai.talent_index(&svc.db).await.unwrap();
    assert!(
        !Arc::ptr_eq(&first, &rebuilt),
        "a changed profile rebuilds it"
    );
    // The log keeps the need and the number of candidates, not every profile.
    let d = store::get(&svc.db, run.id).await.unwrap();
    assert!(d.input.contains("\"candidates\": 20"), "{}", d.input);
}
