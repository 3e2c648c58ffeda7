//! `[database]`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[database]`: where the ledger, idempotency keys and outbox live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://...` or `sqlite://PATH` (`VELTRIX_DATABASE_URL`).
    /// Default `sqlite://veltrix.db` (the embedded mode: no server).
    /// A SQLite file is created when missing and switched to WAL mode.
    pub url: String,
    /// Pool size on Postgres. Default 8.
    pub max_connections: u32,
    /// Pool size on SQLite. Default 1: SQLite has one writer, and pooled
    /// connections that contend for it get SQLITE_BUSY and sleep in the
    /// busy handler's steps (1, 2, 5, 10, 15, 20, 25 ms, ...), which put
    /// tens of ms on the pipeline's p99; one connection makes them queue
    /// in the pool, first come first served (docs/store.md, "SQLite").
    pub sqlite_max_connections: u32,
    /// Read pool on SQLite for the request path's lookups (player tokens,
    /// stored outcomes). In WAL mode readers never wait for the writer, so
    /// a request no longer queues behind a batch commit to authenticate.
    /// 0 sends these reads through the writer's pool. Default 4. (Postgres
    /// reads share its one pool.)
    pub sqlite_read_connections: u32,
    /// On SQLite, the processor's batch write (ledger, outbox, outcomes,
    /// statuses, quest progress: one transaction) goes through a
    /// connection of its own on a dedicated thread, with prepared
    /// statements (rusqlite), instead of through sqlx: 2.3x the rows/s
    /// in `bench streams` (docs/store.md). It writes while holding a
    /// connection of the pool, so with `sqlite_max_connections` at its
    /// default of 1 SQLite still has one writer at a time.
    /// false: through sqlx. Default true. (Postgres: always sqlx.)
    /// The batched idempotency claims go through it too.
    pub sqlite_batch_writer: bool,
    /// Most jobs (processor batches, groups of claims) the batch writer
    /// runs in one transaction: those that queued while its previous
    /// transaction ran, each under a savepoint of its own, so they share
    /// one commit (one WAL sync). 1: a transaction per job. Default 32.
    pub sqlite_writer_group_max: usize,
    /// How long one attempt waits for a pooled connection (including
    /// connecting), in ms. Keep it well under `retry_budget_ms`: each
    /// attempt can take this long. Default 2,000.
    pub acquire_timeout_ms: u64,
    /// How long a write keeps retrying while the database is unreachable,
    /// in ms, before it fails with a clear error. Default 12,000.
    pub retry_budget_ms: u64,
    /// First pause between retries, in ms; doubled after every failed
    /// attempt. Default 50.
    pub retry_initial_backoff_ms: u64,
    /// Longest pause between retries, in ms. Default 1,000.
    pub retry_max_backoff_ms: u64,
    /// An idempotency claim still in progress after this long, in ms, is
    /// treated as abandoned (its request crashed) and may be claimed again.
    /// Default 30,000.
    pub idempotency_claim_ttl_ms: u64,
    /// Idempotency claims of concurrent requests are written together,
    /// one transaction per group: the claims that queued while the
    /// previous group was written, plus those arriving within this many
    /// microseconds of the group's first. 0 adds no wait. Default 0.
    pub claim_window_us: u64,
    /// Most claims in one group; 1 writes each claim on its own (as
    /// before group commit). Default 256.
    pub claim_batch_max: usize,
    /// Most player-token lookups answered by one query: the player API
    /// authenticates every request by its token's hash, and the lookups
    /// that queue while the previous query runs share the next one (no
    /// wait is added; nothing is cached, so a revoke still takes effect
    /// from the next request). 1: one query per request. Default 128.
    pub token_lookup_batch_max: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://veltrix.db".into(),
            max_connections: 8,
            sqlite_max_connections: 1,
            sqlite_read_connections: 4,
            sqlite_batch_writer: true,
            sqlite_writer_group_max: 32,
            acquire_timeout_ms: 2_000,
            retry_budget_ms: 12_000,
            retry_initial_backoff_ms: 50,
            retry_max_backoff_ms: 1_000,
            idempotency_claim_ttl_ms: 30_000,
            claim_window_us: 0,
            claim_batch_max: 256,
            token_lookup_batch_max: 128,
        }
    }
}

impl DatabaseConfig {
    /// `acquire_timeout_ms` as a duration.
    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }
}
