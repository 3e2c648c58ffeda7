//! Batched player-token lookups. Every request of the player API
//! authenticates with a lookup by token hash; one query per request made
//! those lookups most of the statements a busy database ran (on the HTTP
//! bench on Postgres: one transaction per action of its ~1.2, docs/api.md).
//! Here the lookups of concurrent requests go to one task that answers
//! them with one `SELECT .. WHERE token_hash IN (..)`: whatever queued while
//! its previous query ran, at most `database.token_lookup_batch_max`. There
//! is no window: a read gains nothing from waiting for company.
//!
//! Nothing is cached, so a revoked token is still refused from the next
//! request on: a lookup queued after the revoke returned is answered by a
//! query that starts after it. A batch that fails answers `None`, and each
//! of its requests looks its token up alone ([`Store::find_player_token`]),
//! which reports the error as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyRow;
use tokio::sync::{mpsc, oneshot};

use super::gather::gather;
use super::players::{PlayerTokenRow, TOKEN_COLUMNS, token_row};
use super::{ROWS_PER_STATEMENT, Store, placeholders};

/// One lookup waiting for the batch: `Some(row)` its answer, `None` the
/// batch failed (look it up alone).
struct Job {
    hash: String,
    reply: oneshot::Sender<Option<Option<PlayerTokenRow>>>,
}

/// The queue to the lookup task, started on first use, and its counters.
#[derive(Clone, Default)]
pub(crate) struct TokenLookups {
    tx: Arc<OnceLock<mpsc::UnboundedSender<Job>>>,
    counts: Arc<Counts>,
}

/// Queries run and lookups they answered, since the store opened.
#[derive(Default)]
struct Counts {
    queries: AtomicU64,
    lookups: AtomicU64,
}

impl TokenLookups {
    /// The token with `hash` as one batch found it (`Some(None)`: no such
    /// token); `None`: not batched (off, or the query failed), look it up
    /// alone.
    pub(crate) async fn find(&self, store: &Store, hash: &str) -> Option<Option<PlayerTokenRow>> {
        let max = store.token_lookup_batch_max;
        if max <= 1 {
            return None;
        }
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // Holds the read pool, not the store: the task ends when the
            // last store clone (and so the queue's sender) is dropped.
            let task = lookups(store.reads.clone(), max, Arc::clone(&self.counts), rx);
            tokio::spawn(task);
            tx
        });
        let (reply, answer) = oneshot::channel();
        tx.send(Job {
            hash: hash.to_owned(),
            reply,
        })
        .ok()?;
        answer.await.ok().flatten()
    }

    /// (queries run, lookups they answered).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.queries.load(Ordering::Relaxed),
            self.counts.lookups.load(Ordering::Relaxed),
        )
    }
}

async fn lookups(
    reads: AnyPool,
    max: usize,
    counts: Arc<Counts>,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    // No window: a read gains nothing from waiting for company.
    while let Some(jobs) = gather(&mut rx, max, Duration::ZERO).await {
        let found = match select(&reads, &jobs, &counts).await {
            Ok(found) => Some(found),
            Err(e) => {
                tracing::warn!(lookups = jobs.len(), error = %e, "batched player-token lookups failed; looking up one by one");
                None
            }
        };
        counts
            .lookups
            .fetch_add(jobs.len() as u64, Ordering::Relaxed);
        for j in jobs {
            let answer = found.as_ref().map(|f| f.get(&j.hash).cloned());
            let _ = j.reply.send(answer);
        }
    }
}

/// The rows of the jobs' hashes that exist, by hash.
async fn select(
    reads: &AnyPool,
    jobs: &[Job],
    counts: &Counts,
) -> Result<HashMap<String, PlayerTokenRow>, sqlx::Error> {
    let mut found = HashMap::with_capacity(jobs.len());
    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM player_tokens WHERE token_hash IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for j in chunk {
            q = q.bind(j.hash.as_str());
        }
        counts.queries.fetch_add(1, Ordering::Relaxed);
        let rows: Vec<AnyRow> = q.fetch_all(reads).await?;
        for row in &rows {
            let t = token_row(row)?;
            found.insert(t.token_hash.clone(), t);
        }
    }
    Ok(found)
}
