//! The SQLite batch writer: one rusqlite connection on a thread of its
//! own, with its prepared statements cached across jobs, and group
//! commit across jobs: whatever queued while the previous group ran (at
//! most `database.sqlite_writer_group_max` jobs) runs in one transaction,
//! each job under a savepoint of its own, and commits once (one WAL sync
//! for a processor batch and the claim groups that queued behind it).
//!
//! Why not sqlx for these writes: `bench streams` measured the
//! processor's batch (ledger + outbox + outcomes + progress, one
//! transaction) at 2.2-2.3x the rate through rusqlite, prepared and one
//! row per statement, as through sqlx's SQLite driver with multi-row
//! statements, on the same file, schema and durability (docs/store.md).
//! sqlx still does everything else: while a group runs, the writer holds
//! sqlx's pooled connection (one, by default), so SQLite still has one
//! writer at a time and sqlx's writes queue in its pool instead of
//! sleeping in SQLite's busy handler.
//!
//! Errors come back as [`sqlx::Error`]s (`error`: a SQLite error keeps its
//! extended code), so the retry policy, the busy/unreachable distinction
//! and the logging are the ones every other write has.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use sqlx::AnyPool;

mod error;

use error::WriteError;
pub(crate) use error::{crashed, to_sqlx};

/// Work for the writer, run inside a group's transaction.
pub(crate) trait Work: Send + 'static {
    /// The job's statements, under a savepoint of its own: an error rolls
    /// back this job's writes alone.
    fn run(&mut self, tx: &Transaction<'_>) -> Result<(), JobError>;
    /// How the job ended, once that is known: its own error at once, the
    /// group's commit (or its failure) after the group.
    fn finish(self: Box<Self>, ended: Ended);
}

/// Why a job's `run` stopped.
#[derive(Debug)]
pub(crate) enum JobError {
    /// A statement failed.
    Sqlite(rusqlite::Error),
    /// The caller went away (nothing to answer; the job's writes go).
    Gone,
}

impl From<rusqlite::Error> for JobError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

/// How a job ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Its writes are committed.
    Committed,
    /// Nothing of it was written (its own error, or the group's begin).
    RolledBack(sqlx::Error),
    /// The group's commit failed: its writes may or may not be in.
    Unknown(sqlx::Error),
}

/// A handle on the writer thread; clones share it. The thread ends when
/// the last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct SqliteWriter {
    tx: mpsc::Sender<Box<dyn Work>>,
    stats: Arc<Stats>,
}

/// Groups (transactions) run and jobs in them, since the writer opened.
#[derive(Debug, Default)]
struct Stats {
    groups: AtomicU64,
    jobs: AtomicU64,
}

/// What the writer thread needs besides its connection.
pub(crate) struct WriterSetup {
    /// The file (which must exist, migrated and in WAL mode).
    pub path: PathBuf,
    /// SQLite's busy timeout on the writer's connection.
    pub busy_timeout: Duration,
    /// Most jobs per group (and transaction).
    pub group_max: usize,
    /// sqlx's pool, whose connection a group holds while it runs.
    pub gate: AnyPool,
}

impl SqliteWriter {
    /// Opens the file on a new thread. Pragmas as sqlx's connections:
    /// foreign keys on, SQLite's default `synchronous` (FULL), so a
    /// commit is as durable as theirs. Call inside a tokio runtime (the
    /// thread waits for the gate on it).
    pub(crate) fn open(setup: WriterSetup) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Box<dyn Work>>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let runtime = tokio::runtime::Handle::current();
        let stats = Arc::new(Stats::default());
        let counts = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                // sqlx returns a pooled connection to its pool on a task
                // of the runtime's: the gate's drop needs its context.
                let _runtime = runtime.enter();
                let mut conn = match open(&setup.path, setup.busy_timeout) {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let max = setup.group_max.max(1);
                while let Ok(first) = rx.recv() {
                    // The gate first: what queues while sqlx's writer
                    // finishes joins this group.
                    let gate = runtime.block_on(setup.gate.acquire());
                    let mut group = vec![first];
                    while group.len() < max {
                        match rx.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    stats.groups.fetch_add(1, Ordering::Relaxed);
                    stats.jobs.fetch_add(group.len() as u64, Ordering::Relaxed);
                    match gate {
                        Ok(_held) => run_group(&mut conn, group),
                        Err(e) => {
                            tracing::warn!(error = %e, "SQLite writer: no pool connection in time");
                            let e = WriteError::from_sqlx(&e);
                            for job in group {
                                job.finish(Ended::RolledBack(e.to_sqlx()));
                            }
                        }
                    }
                }
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self { tx, stats: counts }),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot open the SQLite batch writer");
                Err(std::io::Error::other("cannot open the SQLite batch writer"))
            }
            Err(_) => Err(std::io::Error::other("the SQLite writer thread died")),
        }
    }

    /// (groups run, jobs run) so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.stats.groups.load(Ordering::Relaxed),
            self.stats.jobs.load(Ordering::Relaxed),
        )
    }

    /// Queues `job`; `false` when the thread is gone.
    pub(crate) fn send(&self, job: impl Work) -> bool {
        self.tx.send(Box::new(job)).is_ok()
    }
}

/// Runs `group` in one transaction, each job under a savepoint, and
/// commits once.
fn run_group(conn: &mut Connection, group: Vec<Box<dyn Work>>) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = WriteError::from(e);
            for job in group {
                job.finish(Ended::RolledBack(e.to_sqlx()));
            }
            return;
        }
    };
    let mut ran = Vec::with_capacity(group.len());
    for mut job in group {
        if let Err(e) = tx.execute_batch("SAVEPOINT job") {
            job.finish(Ended::RolledBack(to_sqlx(e)));
            continue;
        }
        match job.run(&tx) {
            Ok(()) => match tx.execute_batch("RELEASE job") {
                Ok(()) => ran.push(job),
                Err(e) => {
                    let _ = tx.execute_batch("ROLLBACK TO job; RELEASE job");
                    job.finish(Ended::RolledBack(to_sqlx(e)));
                }
            },
            Err(e) => {
                // If even this fails, the commit below reports it to the
                // jobs that ran.
                let _ = tx.execute_batch("ROLLBACK TO job; RELEASE job");
                let e = match e {
                    JobError::Sqlite(e) => to_sqlx(e),
                    JobError::Gone => crashed(),
                };
                job.finish(Ended::RolledBack(e));
            }
        }
    }
    if ran.is_empty() {
        drop(tx);
        return;
    }
    match tx.commit() {
        Ok(()) => {
            for job in ran {
                job.finish(Ended::Committed);
            }
        }
        Err(e) => {
            let e = WriteError::from(e);
            for job in ran {
                job.finish(Ended::Unknown(e.to_sqlx()));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it saw and how it ended.
    struct Insert {
        id: i64,
        fail: bool,
        ended: Option<tokio::sync::oneshot::Sender<&'static str>>,
    }

    impl Work for Insert {
        fn run(&mut self, tx: &Transaction<'_>) -> Result<(), JobError> {
            tx.execute("INSERT INTO t (id) VALUES (?1)", [self.id])?;
            if self.fail {
                // The same id again: a constraint error after a write.
                tx.execute("INSERT INTO t (id) VALUES (?1)", [self.id])?;
            }
            Ok(())
        }

        fn finish(mut self: Box<Self>, ended: Ended) {
            let said = match ended {
                Ended::Committed => "committed",
                Ended::RolledBack(_) => "rolled back",
                Ended::Unknown(_) => "unknown",
            };
            let _ = self.ended.take().unwrap().send(said);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_jobs_share_one_transaction_and_fail_alone() {
        sqlx::any::install_default_drivers();
        let path = std::env::temp_dir().join(format!(
            "veltrix-writer-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        let writer = SqliteWriter::open(WriterSetup {
            path: path.clone(),
            busy_timeout: Duration::from_secs(5),
            group_max: 32,
            gate: pool.clone(),
        })
        .unwrap();
        // sqlx's writer busy: the jobs queue behind the gate.
        let held = pool.acquire().await.unwrap();
        let mut answers = Vec::new();
        for (id, fail) in [(1, false), (2, true), (3, false)] {
            let (tx, rx) = tokio::sync::oneshot::channel();
            assert!(writer.send(Insert {
                id,
                fail,
                ended: Some(tx),
            }));
            answers.push(rx);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        let mut said = Vec::new();
        for rx in answers {
            said.push(rx.await.unwrap());
        }
        assert_eq!(said, ["committed", "rolled back", "committed"]);
        assert_eq!(writer.counts(), (1, 3), "one transaction for the three");
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM t ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(ids, [1, 3], "the failed job's first insert went too");
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
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
