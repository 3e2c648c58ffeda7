//! The SQLite batch writer: one rusqlite connection on a thread of its
//! own, running the jobs sent to it one after another, with its prepared
//! statements cached across jobs.
//!
//! Why not sqlx for this one write: `bench streams` measured the
//! processor's batch (ledger + outbox + outcomes + progress, one
//! transaction) at 2.3x the rate through raw rusqlite, prepared and one
//! row per statement, as through sqlx's SQLite driver with multi-row
//! statements, on the same file, schema and durability (docs/store.md).
//! sqlx still does everything else; the composition keeps SQLite at one
//! writer at a time by holding sqlx's single pooled connection while a
//! job runs ([`crate::Store::commit_batch`]).
//!
//! Errors come back as [`sqlx::Error`]s (a SQLite error keeps its
//! extended code), so the retry policy, the busy/unreachable distinction
//! and the logging are the ones every other write has.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// A job for the writer thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle on the writer thread; clones share it. The thread ends when
/// the last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct SqliteWriter {
    tx: mpsc::Sender<Job>,
}

impl SqliteWriter {
    /// Opens `path` (which must exist, migrated and in WAL mode) on a new
    /// thread. Pragmas as sqlx's connections: foreign keys on, SQLite's
    /// default `synchronous` (FULL), so a commit is as durable as theirs.
    pub(crate) fn open(path: PathBuf, busy_timeout: Duration) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let opened = open(&path, busy_timeout);
                let mut conn = match opened {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                for job in rx {
                    job(&mut conn);
                }
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self { tx }),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot open the SQLite batch writer");
                Err(std::io::Error::other("cannot open the SQLite batch writer"))
            }
            Err(_) => Err(std::io::Error::other("the SQLite writer thread died")),
        }
    }

    /// Queues `job`; `false` when the thread is gone.
    pub(crate) fn send(&self, job: impl FnOnce(&mut Connection) + Send + 'static) -> bool {
        self.tx.send(Box::new(job)).is_ok()
    }
}

fn open(path: &std::path::Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Room for every statement the batch write prepares, with margin.
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// The file a `sqlite:` URL names, as sqlx reads it; `None` for an
/// in-memory database (another connection would not see it).
pub(crate) fn file_of(url: &str) -> Option<PathBuf> {
    use std::str::FromStr;
    if url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(opts.get_filename().to_path_buf())
}

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

    #[test]
    fn memory_urls_have_no_file() {
        assert_eq!(file_of("sqlite::memory:"), None);
        assert_eq!(
            file_of("sqlite://dir/v.db?mode=rwc"),
            Some(PathBuf::from("dir/v.db"))
        );
    }
}
