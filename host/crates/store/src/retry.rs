//! Retrying writes while the database is unreachable.
//!
//! A write is one closure that runs a whole transaction. Transient failures
//! (see [`is_transient`]) rerun it with exponential backoff until
//! `retry_budget_ms` has passed; then the caller gets
//! [`StoreError::Unavailable`] at once instead of hanging, or
//! [`StoreError::Busy`] when every failure was load (no free connection,
//! the SQLite file locked), not a broken connection. Every write we
//! retry is idempotent (unique `reward_id`, unique outbox `event_id`,
//! idempotency keys by primary key), so rerunning after a COMMIT whose
//! outcome was lost cannot apply it twice.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::{StoreError, WriteOutcome, from_sqlx, is_busy, is_transient};

/// Where an attempt failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Before COMMIT was sent: nothing was written.
    Before(sqlx::Error),
    /// While COMMIT was in flight: the outcome is unknown.
    Commit(sqlx::Error),
    /// Not a database error: give up with this.
    Fatal(StoreError),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Self::Before(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Fatal(e)
    }
}

/// Backoff and budget, from [`super::DatabaseConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub budget: Duration,
    pub initial: Duration,
    pub max: Duration,
    /// Whether a pool timeout means load (SQLite) rather than maybe an
    /// outage (Postgres: sqlx reports failed reconnects as a timeout too).
    pub pool_timeout_is_busy: bool,
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or the budget is
    /// spent.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        op: &'static str,
        mut attempt: F,
    ) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let start = Instant::now();
        let mut backoff = self.initial;
        let mut outcome = WriteOutcome::NotCommitted;
        let mut tries = 0u32;
        let mut busy_only = true;
        loop {
            tries += 1;
            let e = match attempt().await {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Before(e)) => e,
                Err(Failure::Commit(e)) => {
                    if is_transient(&e) {
                        outcome = WriteOutcome::Unknown;
                    }
                    e
                }
            };
            if !is_transient(&e) {
                return Err(from_sqlx(op, e));
            }
            busy_only &=
                is_busy(&e, self.pool_timeout_is_busy) && outcome == WriteOutcome::NotCommitted;
            let waited = start.elapsed();
            if waited + backoff > self.budget {
                let waited_ms = waited.as_millis() as u64;
                // Busy all along (never a broken connection): load, not an
                // outage; nothing can have committed.
                if busy_only && is_busy(&e, self.pool_timeout_is_busy) {
                    tracing::warn!(op, error = %e, tries, waited_ms, "database busy; giving up");
                    return Err(StoreError::Busy { waited_ms });
                }
                tracing::error!(op, error = %e, tries, waited_ms, ?outcome, "database unreachable; giving up");
                return Err(StoreError::Unavailable { waited_ms, outcome });
            }
            tracing::warn!(op, error = %e, tries, backoff_ms = backoff.as_millis() as u64, "transient database error; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(self.max);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            budget: Duration::from_millis(40),
            initial: Duration::from_millis(5),
            max: Duration::from_millis(10),
            pool_timeout_is_busy: true,
        }
    }

    #[tokio::test]
    async fn load_is_busy_an_outage_is_unavailable() {
        let busy = policy()
            .run("t", || async {
                Err::<(), _>(Failure::Before(sqlx::Error::PoolTimedOut))
            })
            .await;
        assert!(matches!(busy, Err(StoreError::Busy { .. })), "{busy:?}");
        let down = policy()
            .run("t", || async {
                Err::<(), _>(Failure::Before(sqlx::Error::Io(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                ))))
            })
            .await;
        assert!(
            matches!(down, Err(StoreError::Unavailable { .. })),
            "{down:?}"
        );
        // Busy, then a broken connection: not only load.
        let mut n = 0;
        let mixed = policy()
            .run("t", || {
                n += 1;
                let e = if n == 1 {
                    sqlx::Error::PoolTimedOut
                } else {
                    sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
                };
                async move { Err::<(), _>(Failure::Before(e)) }
            })
            .await;
        assert!(
            matches!(mixed, Err(StoreError::Unavailable { .. })),
            "{mixed:?}"
        );
    }
}
