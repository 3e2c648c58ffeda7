//! Store errors callers branch on, and how sqlx errors map onto them.
//!
//! Messages are ours: sqlx and driver text is logged with tracing fields,
//! never put in an error an API client could see.

/// Whether a write that gave up may still have committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Every attempt failed before COMMIT was sent: nothing was written.
    NotCommitted,
    /// The connection broke while COMMIT was in flight at least once: the
    /// write may have committed. Retrying is safe (mints are unique by
    /// `reward_id`, outbox events by `event_id`).
    Unknown,
}

/// Store failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database stayed unreachable for the whole retry budget.
    #[error("{}", unavailable_message(*waited_ms, *outcome))]
    Unavailable {
        /// How long the write kept trying, in ms.
        waited_ms: u64,
        /// Whether it may have committed.
        outcome: WriteOutcome,
    },
    /// The database answered, but stayed too busy for the whole retry
    /// budget: every pooled connection in use (the pool's acquire timed
    /// out) or the SQLite file locked by another writer. Nothing was
    /// committed; this is load, not an outage, and retrying later is safe.
    #[error("database busy for {:.1} s (every connection in use or the file locked); the write was not committed", *waited_ms as f64 / 1000.0)]
    Busy {
        /// How long the write kept trying, in ms.
        waited_ms: u64,
    },
    /// The request is not valid (too many rewards in a batch, ...).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The relay no longer holds the lease at this epoch: another relay
    /// took over. Nothing was changed.
    #[error("outbox lease lost (epoch {epoch} is no longer current)")]
    Fenced {
        /// The epoch the caller held.
        epoch: i64,
    },
    /// `complete` for an idempotency key that was never claimed with this
    /// request hash.
    #[error("idempotency key was never claimed")]
    NotClaimed,
    /// A stored row could not be read back (for example an undecodable
    /// outbox envelope).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database URL or pool settings are unusable.
    #[error("database config: {0}")]
    Config(String),
    /// Schema migrations failed.
    #[error("database schema migration failed")]
    Migration,
    /// Concurrent writers kept taking the rows this write wanted (each
    /// retry saw a new winner); nothing was written. Retrying is safe.
    #[error("{op}: too many concurrent writes to the same rows; retry")]
    Contended {
        /// The operation.
        op: &'static str,
    },
    /// Any other database error (details in the log).
    #[error("database error{}", code.as_deref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Database {
        /// SQLSTATE (Postgres) or result code (SQLite), when there is one.
        code: Option<String>,
    },
}

fn unavailable_message(waited_ms: u64, outcome: WriteOutcome) -> String {
    let secs = waited_ms as f64 / 1000.0;
    match outcome {
        WriteOutcome::NotCommitted => {
            format!("database unreachable for {secs:.1} s; the write was not committed")
        }
        WriteOutcome::Unknown => format!(
            "database unreachable for {secs:.1} s; the connection broke during COMMIT, so the \
             write may or may not have committed; retrying it is safe (rewards are unique by \
             reward_id, outbox events by event_id)"
        ),
    }
}

/// Errors worth retrying: the server or the network, not the request.
pub(crate) fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| transient_code(&c)),
        _ => false,
    }
}

/// Postgres SQLSTATE class 08 (connection exception), 57P01-57P03 (admin
/// shutdown, crash shutdown, cannot connect now), 40001/40P01
/// (serialization failure, deadlock: the transaction can simply rerun);
/// SQLite BUSY/LOCKED (another writer held the file past busy_timeout).
fn transient_code(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "5" | "6" | "261" | "262" | "517"
        )
}

/// Errors that mean "busy", not "down": the pool had no free connection
/// in time (when `pool_timeout_is_busy`: SQLite), or SQLite's file lock
/// stayed taken (BUSY, LOCKED and their extended codes).
pub(crate) fn is_busy(e: &sqlx::Error, pool_timeout_is_busy: bool) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => pool_timeout_is_busy,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| matches!(c.as_ref(), "5" | "6" | "261" | "262" | "517")),
        _ => false,
    }
}

/// Logs `e` with its details and returns our own error for it.
pub(crate) fn from_sqlx(op: &'static str, e: sqlx::Error) -> StoreError {
    let code = match &e {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    };
    tracing::warn!(op, error = %e, code = code.as_deref(), "database operation failed");
    StoreError::Database { code }
}
