//! The rule every piece of background work keeps: a step that stalls (an answer that never
//! comes) is dropped and tried again later, never waited on for good.

use std::future::Future;
use std::time::Duration;

/// The longest one step of background work may take; a batch takes milliseconds, seconds
/// under a backlog.
pub const STEP_LIMIT: Duration = Duration::from_secs(60);

/// Runs `step` for at most [`STEP_LIMIT`]. A step still waiting then is dropped, which rolls
/// its transaction back, and logged under `what`; `None` says so, and the caller tries again
/// at its next tick.
pub async fn bounded<T>(what: &'static str, step: impl Future<Output = T>) -> Option<T> {
    match tokio::time::timeout(STEP_LIMIT, step).await {
        Ok(done) => Some(done),
        Err(_) => {
            tracing::error!(what, limit = ?STEP_LIMIT, "a worker step did not finish in time; retrying");
            None
        }
    }
}

/// Runs `step` as [`bounded`] does and logs its failure under `what`; `Some` holds what a step
/// that went through did, `None` says it failed or stalled and is made again at the next tick.
pub async fn attempt<T, E: std::fmt::Display>(
    what: &'static str,
    step: impl Future<Output = Result<T, E>>,
) -> Option<T> {
    match bounded(what, step).await? {
        Ok(done) => Some(done),
        Err(e) => {
            tracing::warn!(error = %e, what, "a worker step failed; retrying");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_step_is_awaited_up_to_the_limit_and_no_longer() {
        let started = tokio::time::Instant::now();
        assert_eq!(bounded("test", async { 7 }).await, Some(7));
        let slow = bounded("test", async {
            tokio::time::sleep(STEP_LIMIT - Duration::from_secs(1)).await;
            8
        });
        assert_eq!(slow.await, Some(8), "a slow step within the limit finishes");
        let stalled = bounded("test", std::future::pending::<()>());
        assert_eq!(stalled.await, None);
        assert_eq!(
            started.elapsed(),
            STEP_LIMIT * 2 - Duration::from_secs(1),
            "the stalled step had its full time, and no more"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_gives_what_a_step_did_and_nothing_for_one_that_failed_or_stalled() {
        assert_eq!(attempt("test", async { Ok::<_, String>(3) }).await, Some(3));
        let failed = attempt("test", async { Err::<u8, _>("no answer".to_owned()) });
        assert_eq!(failed.await, None);
        let stalled = attempt("test", std::future::pending::<Result<u8, String>>());
        assert_eq!(stalled.await, None);
    }
}
