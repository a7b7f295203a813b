//! `/healthz` (the process answers) and `/readyz` (Postgres and Redis answer).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::server::Services;
use serde_json::json;
use std::time::Duration;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when Postgres and Redis both answer within a second; 503 with the reason otherwise.
pub async fn readyz(State(svc): State<Services>) -> impl IntoResponse {
    let pg = tokio::time::timeout(
        Duration::from_secs(1),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&svc.db),
    )
    .await;
    let postgres = match pg {
        Ok(Ok(_)) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: postgres failed");
            "unreachable"
        }
        Err(_) => "timeout",
    };
    let mut conn = svc.redis.clone();
    let pong = tokio::time::timeout(
        Duration::from_secs(1),
        redis::cmd("PING").query_async::<String>(&mut conn),
    )
    .await;
    let redis = match pong {
        Ok(Ok(_)) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: redis failed");
            "unreachable"
        }
        Err(_) => "timeout",
    };
    let ready = postgres == "ok" && redis == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(
            json!({ "status": if ready { "ready" } else { "unavailable" }, "postgres": postgres, "redis": redis }),
        ),
    )
}
