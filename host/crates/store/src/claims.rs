//! Group commit for idempotency claims. Every action through the front
//! door claims its key first; one commit per claim made the claims, not
//! the actions, what a busy database spent its commits on. Here the claims
//! of concurrent requests go to one task that writes them as one
//! multi-row `INSERT .. ON CONFLICT DO NOTHING RETURNING` in one
//! transaction: whatever queued while the previous write ran (plus up to
//! `database.claim_window_us` more), at most `database.claim_batch_max`.
//!
//! On SQLite with its batch writer ([`crate::writer`]) the group is a
//! job on the writer's connection (a prepared single-row insert per
//! claim), queued with the processor's batches instead of contending with
//! them.
//!
//! The batch only answers "fresh" (the row is new, and the first of its
//! key in the batch). Everything else (a key seen before, the same key
//! twice in one batch, a batch that failed) goes through the one-claim
//! path ([`Store::claim`]'s), which tells replays, mismatches, claims in
//! progress and takeovers apart and reports errors as before.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::{Any, AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::gather::gather;
use super::writer::{Ended, JobError, SqliteWriter, Work, crashed};
use super::{Clock, rows_placeholders};

/// Inserts `rows` claims; a key already claimed is left as it is. The
/// batch (sqlx, with `RETURNING`), the batch writer and the one-claim path
/// share it.
pub(crate) fn claim_sql(rows: usize) -> String {
    format!(
        "INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at_ms) \
         VALUES {} ON CONFLICT (tenant_id, key) DO NOTHING",
        rows_placeholders(rows, 4)
    )
}

/// [`claim_sql`] for one row, made once.
pub(crate) static CLAIM_ONE: LazyLock<String> = LazyLock::new(|| claim_sql(1));

/// One claim waiting for the batch write: `Some(true)` fresh,
/// `Some(false)` not (ask the one-claim path), `None` the batch failed.
struct Job {
    tenant: String,
    key: String,
    hash: String,
    reply: oneshot::Sender<Option<bool>>,
}

/// The queue to the claim writer, started on first use.
#[derive(Clone, Default)]
pub(crate) struct ClaimQueue {
    tx: Arc<std::sync::OnceLock<mpsc::UnboundedSender<Job>>>,
}

/// The batch's limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClaimBatch {
    pub window: Duration,
    pub max: usize,
}

impl ClaimQueue {
    /// Whether `(tenant, key)` was claimed fresh by a batch write to
    /// `store`; `None`: not in a batch (off, or the write failed), use the
    /// one-claim path.
    pub(crate) async fn claim(
        &self,
        store: &crate::Store,
        tenant: &str,
        key: &str,
        hash: &str,
    ) -> Option<bool> {
        let limits = store.claim_batch;
        if limits.max <= 1 {
            return None;
        }
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // Holds the pool and clock, not the store: the task ends when
            // the last store clone (and so the queue's sender) is dropped.
            let (pool, sqlite, clock) = (
                store.pool.clone(),
                store.writer.clone(),
                store.clock.clone(),
            );
            tokio::spawn(writer(pool, sqlite, clock, limits, rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let job = Job {
            tenant: tenant.into(),
            key: key.into(),
            hash: hash.into(),
            reply,
        };
        tx.send(job).ok()?;
        answer.await.ok().flatten()
    }
}

async fn writer(
    pool: AnyPool,
    sqlite: Option<SqliteWriter>,
    clock: Clock,
    limits: ClaimBatch,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    while let Some(jobs) = gather(&mut rx, limits.max, limits.window).await {
        let written = match &sqlite {
            Some(w) => insert_on(w, clock.now_ms(), &jobs).await,
            None => insert(&pool, clock.now_ms(), &jobs).await,
        };
        let fresh = match written {
            Ok(set) => Some(set),
            Err(e) => {
                tracing::warn!(claims = jobs.len(), error = %e, "batched idempotency claims failed; claiming one by one");
                None
            }
        };
        let mut given = HashSet::with_capacity(jobs.len());
        for j in jobs {
            let answer = fresh.as_ref().map(|set| {
                let k = (j.tenant, j.key);
                set.contains(&k) && given.insert(k)
            });
            let _ = j.reply.send(answer);
        }
    }
}

/// Inserts the jobs' rows; the (tenant, key)s that are new.
async fn insert(
    pool: &AnyPool,
    now: i64,
    jobs: &[Job],
) -> Result<HashSet<(String, String)>, sqlx::Error> {
    let mut fresh = HashSet::with_capacity(jobs.len());
    // One statement is atomic on its own: a group that fits one skips the
    // BEGIN and COMMIT round trips (mean claim stage on Postgres 2.9-3.5 ->
    // 2.4-2.6 ms, docs/api.md).
    let mut tx: Option<sqlx::Transaction<'static, Any>> = if jobs.len() > super::ROWS_PER_STATEMENT
    {
        Some(pool.begin().await?)
    } else {
        None
    };
    for chunk in jobs.chunks(super::ROWS_PER_STATEMENT) {
        let sql = format!("{} RETURNING tenant_id, key", claim_sql(chunk.len()));
        let mut q = sqlx::query(&sql);
        for j in chunk {
            q = q
                .bind(j.tenant.as_str())
                .bind(j.key.as_str())
                .bind(j.hash.as_str())
                .bind(now);
        }
        let rows = match tx.as_mut() {
            Some(tx) => q.fetch_all(&mut **tx).await?,
            None => q.fetch_all(pool).await?,
        };
        for row in rows {
            fresh.insert((row.try_get("tenant_id")?, row.try_get("key")?));
        }
    }
    if let Some(tx) = tx {
        tx.commit().await?;
    }
    Ok(fresh)
}

/// [`insert`] as a job on SQLite's batch writer (in its group's
/// transaction, with whatever else queued there).
async fn insert_on(
    writer: &SqliteWriter,
    now: i64,
    jobs: &[Job],
) -> Result<HashSet<(String, String)>, sqlx::Error> {
    let (reply, answer) = oneshot::channel();
    let job = ClaimJob {
        rows: jobs
            .iter()
            .map(|j| [j.tenant.clone(), j.key.clone(), j.hash.clone()])
            .collect(),
        now,
        fresh: HashSet::with_capacity(jobs.len()),
        reply,
    };
    if !writer.send(job) {
        return Err(crashed());
    }
    answer.await.map_err(|_| crashed())?
}

/// A group of claims, as the writer runs it.
struct ClaimJob {
    rows: Vec<[String; 3]>,
    now: i64,
    fresh: HashSet<(String, String)>,
    reply: oneshot::Sender<Result<HashSet<(String, String)>, sqlx::Error>>,
}

impl Work for ClaimJob {
    fn run(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), JobError> {
        let mut insert = tx.prepare_cached(&CLAIM_ONE)?;
        for [tenant, key, hash] in &self.rows {
            if insert.execute(rusqlite::params![tenant, key, hash, self.now])? == 1 {
                self.fresh.insert((tenant.clone(), key.clone()));
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, ended: Ended) {
        let answer = match ended {
            Ended::Committed => Ok(self.fresh),
            Ended::RolledBack(e) | Ended::Unknown(e) => Err(e),
        };
        let _ = self.reply.send(answer);
    }
}
