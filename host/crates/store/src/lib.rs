//! # veltrix-store
//!
//! The durable store: reward ledger, idempotency keys and outbox, on
//! Postgres (production) or SQLite (embedded mode), through sqlx.
//!
//! One [`sqlx::AnyPool`] serves both: the queries are written once, in the
//! SQL both dialects accept (`$n` placeholders, `ON CONFLICT`, `RETURNING`,
//! BIGINT millisecond timestamps). Only the migrations differ per backend.
//!
//! - [`ledger`]: rewards, minted once per `reward_id` with their outbox row;
//! - [`batch`]: group commit, a processor batch's ledger rows, outcomes,
//!   statuses and quest progress in one transaction;
//! - `batch_sqlite`: the same transaction on SQLite's batch writer;
//! - `writer`: SQLite's batch writer, a rusqlite connection on a thread
//!   of its own with prepared statements and group commit across its
//!   jobs (`database.sqlite_batch_writer`), and its error mapping;
//! - [`idempotency`]: claim / complete / replay of client idempotency keys;
//! - `claims`: group commit of concurrent idempotency claims;
//! - `gather`: forming a group from a queue (claims, token lookups);
//! - [`outbox`]: outbox rows, the relay lease and stream watermarks;
//! - [`tenancy`]: tenants, partners, hashed API keys, enabled game types;
//! - [`directory`]: tenants, partners and keys as the operator lists them;
//! - [`games`]: games (pinned plugin, config, seed) and state snapshots;
//! - [`plugins`]: partner game types: components by hash, their versions;
//! - [`outcomes`]: action outcomes, stored with the batch that applied them;
//! - [`quests`]: per-quest progress (latest status per team), for the projector;
//! - [`players`]: hashed player tokens, and who holds one in a game;
//! - `token_lookups`: concurrent player-token lookups answered by one query;
//! - [`screens`]: browser sessions, projectors and tenant branding;
//! - [`evidence`]: player evidence, content-addressed per tenant;
//! - [`retry`]: the retry budget for writes while the database is down.

pub mod batch;
mod batch_sqlite;
mod claims;
mod config;
pub mod directory;
mod error;
pub mod evidence;
pub mod games;
mod gather;
pub mod idempotency;
pub mod ledger;
pub mod outbox;
pub mod outcomes;
pub mod players;
pub mod plugins;
pub mod quests;
mod retry;
pub mod screens;
pub mod tenancy;
mod token_lookups;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};

pub use batch::{BatchRows, BatchView, StatusUpdate};
pub use config::DatabaseConfig;
pub use directory::{KeyListing, Named};
pub use error::{StoreError, WriteOutcome};
pub use evidence::Evidence;
pub use games::{Created, GameRow, Snapshot};
pub use idempotency::Claim;
pub use ledger::{Minted, PointsSum, Reward, RewardRow, reward_id};
pub use outbox::{OutboxEvent, OutboxStats, PendingRow};
pub use outcomes::OutcomeRecord;
pub use players::PlayerTokenRow;
pub use plugins::{NewPluginVersion, PluginVersion, Upload};
pub use quests::{QuestProgress, QuestScope};
pub use screens::{BrandingRow, ProjectorRow, SessionRow};
pub use tenancy::{ApiKeyRow, TenantGameType};

use retry::{Failure, RetryPolicy};
use veltrix_clock::Clock;
use veltrix_streams::{Family, StreamsConfig};

/// Most rewards or events one transaction takes unless
/// [`Store::with_max_batch`] says otherwise: `outbox.batch_size`'s default,
/// which the composition root passes in.
pub const DEFAULT_MAX_BATCH: usize = 100;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://`.
    Sqlite,
}

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::Config(
                "database.url must start with postgres:// or sqlite://".into(),
            ))
        }
    }
}

/// Resolves a reward type to its stream topic (`reward.v1.<type>`).
type TopicFn = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// A handle on the store. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where the request path's lookups go: a read pool on SQLite
    /// (`database.sqlite_read_connections`), else `pool`.
    reads: AnyPool,
    backend: Backend,
    retry: RetryPolicy,
    claim_ttl_ms: i64,
    /// Concurrent idempotency claims, written together ([`claims`]).
    claims: claims::ClaimQueue,
    claim_batch: claims::ClaimBatch,
    /// Concurrent player-token lookups, answered together ([`token_lookups`]).
    token_lookups: token_lookups::TokenLookups,
    token_lookup_batch_max: usize,
    /// SQLite's batch writer (`database.sqlite_batch_writer`); `None` on
    /// Postgres, or when off: the batch goes through sqlx.
    writer: Option<writer::SqliteWriter>,
    max_batch: usize,
    reward_topic: TopicFn,
    /// Woken after each commit that added outbox rows, so an in-process
    /// relay publishes at once instead of at its next poll.
    outbox_written: std::sync::Arc<tokio::sync::Notify>,
    /// Stamps rows and decides claim and lease expiry.
    clock: Clock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects, creating a missing SQLite file (in WAL mode), and runs the
    /// backend's migrations. Reward topics follow the default `[streams]`
    /// and batches the default `[outbox]` until [`Store::with_topics`] and
    /// [`Store::with_max_batch`] say otherwise; the composition root
    /// (`veltrix_server::open_store`) sets all
    /// three from the host config.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(cfg: &DatabaseConfig) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(&cfg.url)?;
        tracing::Span::current().record("backend", tracing::field::debug(backend));
        let mut url = cfg.url.clone();
        if backend == Backend::Sqlite && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let size = match backend {
            Backend::Postgres => cfg.max_connections,
            Backend::Sqlite => cfg.sqlite_max_connections,
        };
        let pool = open_pool(&url, size, cfg, "the database").await?;
        if backend == Backend::Sqlite {
            // WAL: readers never block the writer. Persistent per file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|e| error::from_sqlx("sqlite_wal", e))?;
        }
        let migrated = match backend {
            Backend::Postgres => {
                sqlx::migrate!("../../../migrations/postgres")
                    .run(&pool)
                    .await
            }
            Backend::Sqlite => {
                sqlx::migrate!("../../../migrations/sqlite")
                    .run(&pool)
                    .await
            }
        };
        migrated.map_err(|e| {
            tracing::error!(error = %e, "database migration failed");
            StoreError::Migration
        })?;
        // Opened after the migrations: the file exists and is in WAL mode.
        let reads = if backend == Backend::Sqlite && cfg.sqlite_read_connections > 0 {
            open_pool(
                &url,
                cfg.sqlite_read_connections,
                cfg,
                "the SQLite read pool",
            )
            .await?
        } else {
            pool.clone()
        };
        let writer = match writer::file_of(&url) {
            Some(path) if backend == Backend::Sqlite && cfg.sqlite_batch_writer => Some(
                writer::SqliteWriter::open(writer::WriterSetup {
                    path,
                    busy_timeout: cfg.acquire_timeout(),
                    group_max: cfg.sqlite_writer_group_max,
                    gate: pool.clone(),
                })
                .map_err(|_| {
                    StoreError::Config("cannot open the SQLite batch writer (see log)".into())
                })?,
            ),
            _ => None,
        };
        let streams = StreamsConfig::default();
        Ok(Self {
            pool,
            reads,
            backend,
            retry: RetryPolicy {
                budget: Duration::from_millis(cfg.retry_budget_ms),
                initial: Duration::from_millis(cfg.retry_initial_backoff_ms.max(1)),
                max: Duration::from_millis(cfg.retry_max_backoff_ms.max(1)),
                // A local SQLite pool times out only because its
                // connection is held; a Postgres pool also times out while
                // it cannot reconnect (down, not busy).
                pool_timeout_is_busy: backend == Backend::Sqlite,
            },
            claim_ttl_ms: cfg.idempotency_claim_ttl_ms as i64,
            claims: claims::ClaimQueue::default(),
            claim_batch: claims::ClaimBatch {
                window: Duration::from_micros(cfg.claim_window_us),
                max: cfg.claim_batch_max,
            },
            token_lookups: token_lookups::TokenLookups::default(),
            token_lookup_batch_max: cfg.token_lookup_batch_max,
            writer,
            max_batch: DEFAULT_MAX_BATCH,
            reward_topic: topic_fn(&streams),
            outbox_written: std::sync::Arc::default(),
            clock: Clock::system(),
        })
    }

    /// Reward topics from `streams` (`[streams.reward].topic`).
    pub fn with_topics(mut self, streams: &StreamsConfig) -> Self {
        self.reward_topic = topic_fn(streams);
        self
    }

    /// Stamps rows and decides claim and lease expiry by `clock` (the
    /// system's until this is called).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Most rewards or events one transaction takes (`outbox.batch_size`).
    pub fn with_max_batch(mut self, n: usize) -> Self {
        self.max_batch = n.max(1);
        self
    }

    /// Resolves after the next commit that adds outbox rows through this
    /// store (or a clone of it); one waiter is woken per commit, and a
    /// commit with nobody waiting wakes the next waiter at once. Relays in
    /// other processes still find rows by polling.
    pub async fn outbox_written(&self) {
        self.outbox_written.notified().await;
    }

    pub(crate) fn wake_relay(&self) {
        self.outbox_written.notify_one();
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// On SQLite with its batch writer: (transactions it ran, jobs in
    /// them) since it opened; their ratio is the group commit's mean
    /// group. `None` otherwise.
    pub fn sqlite_writer_counts(&self) -> Option<(u64, u64)> {
        self.writer.as_ref().map(writer::SqliteWriter::counts)
    }

    /// The pool (for tools and tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pools.
    pub async fn close(&self) {
        self.reads.close().await;
        self.pool.close().await;
    }

    fn check_batch(&self, n: usize) -> Result<(), StoreError> {
        if n > self.max_batch {
            return Err(StoreError::Invalid(format!(
                "batch of {n} is over the limit of {}",
                self.max_batch
            )));
        }
        Ok(())
    }
}

fn topic_fn(streams: &StreamsConfig) -> TopicFn {
    let spec = streams.family(Family::Reward).clone();
    Arc::new(move |ty| spec.topic_for(ty))
}

/// A pool of `size` connections (at least one) to `url`; what failed is
/// logged, the caller gets a message with no driver text.
async fn open_pool(
    url: &str,
    size: u32,
    cfg: &DatabaseConfig,
    what: &str,
) -> Result<AnyPool, StoreError> {
    AnyPoolOptions::new()
        .max_connections(size.max(1))
        .acquire_timeout(cfg.acquire_timeout())
        .connect(url)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot connect to {what}");
            StoreError::Config("cannot connect to the database (see log)".into())
        })
}

/// Begins a transaction (a failure here wrote nothing).
async fn begin(pool: &AnyPool) -> Result<Transaction<'static, Any>, Failure> {
    pool.begin().await.map_err(Failure::Before)
}

/// Commits, marking a failure as "outcome unknown" for the retry helper.
async fn commit(tx: Transaction<'static, Any>) -> Result<(), Failure> {
    tx.commit().await.map_err(Failure::Commit)
}

/// Rows per multi-row statement (`INSERT .. VALUES (..), (..)`, `IN (..)`):
/// one statement per chunk instead of one per row, at most ~1,000 binds
/// (10 columns), well inside SQLite's 32,766 and Postgres' 65,535. Not a
/// tunable: batch sizes are (`outbox.batch_size`, `processor.poll_batch`).
const ROWS_PER_STATEMENT: usize = 100;

/// `$first, .., $(first + n - 1)`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, .., $w), ($w+1, ..), ..` for `rows` rows of `width` binds.
fn rows_placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}
