//! Errors of SQLite's batch writer, as sqlx would have reported them:
//! SQLite's own keep their extended result code, so the retry policy,
//! the busy/unreachable distinction and the logging are the ones every
//! other write has, and no driver text reaches a caller.

use std::borrow::Cow;

/// A rusqlite error as sqlx would have reported it: SQLite's own errors
/// keep their extended result code (BUSY, LOCKED and their variants are
/// what the retry policy retries); anything else is a permanent error.
pub(crate) fn to_sqlx(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(err, msg) => sqlx::Error::Database(Box::new(SqliteError {
            code: err.extended_code,
            message: msg.unwrap_or_else(|| err.to_string()),
        })),
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

/// The writer thread is gone (it panicked): transient, as sqlx's own
/// crashed worker is, so the write is retried and then reported.
pub(crate) fn crashed() -> sqlx::Error {
    sqlx::Error::WorkerCrashed
}

/// A SQLite error from the writer connection.
#[derive(Debug)]
struct SqliteError {
    code: i32,
    message: String,
}

impl std::fmt::Display for SqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for SqliteError {}

impl sqlx::error::DatabaseError for SqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => sqlx::error::ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => sqlx::error::ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}

/// An error to hand to every job of a group (sqlx's errors do not clone).
#[derive(Debug, Clone)]
pub(super) struct WriteError {
    code: Option<i32>,
    message: String,
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(err, msg) => Self {
                code: Some(err.extended_code),
                message: msg.unwrap_or_else(|| err.to_string()),
            },
            other => Self {
                code: None,
                message: other.to_string(),
            },
        }
    }
}

impl WriteError {
    /// A pool timeout stays one (busy, for SQLite); anything else is
    /// reported as the writer's own failure.
    pub(super) fn from_sqlx(e: &sqlx::Error) -> Self {
        Self {
            code: matches!(e, sqlx::Error::PoolTimedOut).then_some(-1),
            message: e.to_string(),
        }
    }

    pub(super) fn to_sqlx(&self) -> sqlx::Error {
        match self.code {
            Some(-1) => sqlx::Error::PoolTimedOut,
            Some(code) => sqlx::Error::Database(Box::new(SqliteError {
                code,
                message: self.message.clone(),
            })),
            // Not SQLite's own: a bug of ours, not worth a retry.
            None => sqlx::Error::Decode(self.message.clone().into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_keeps_its_code_and_other_errors_do_not_retry() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        let e = to_sqlx(busy);
        assert!(crate::error::is_busy(&e, false), "{e:?}");
        assert!(crate::error::is_transient(&e), "{e:?}");
        let other = to_sqlx(rusqlite::Error::InvalidColumnIndex(3));
        assert!(!crate::error::is_transient(&other), "{other:?}");
    }
}
