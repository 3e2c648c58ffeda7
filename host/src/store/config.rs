//! `[database]`.

use serde::{Deserialize, Serialize};

/// `[database]`: where the ledger, idempotency keys and outbox live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://...` or `sqlite://PATH` (`VELTRIX_DATABASE_URL`).
    /// Default `sqlite://veltrix.db` (the embedded mode: no server).
    pub url: String,
    /// Pool size. Default 8.
    pub max_connections: u32,
    /// How long a write keeps retrying while the database is unreachable,
    /// in ms, before it fails with a clear error. Default 12,000.
    pub retry_budget_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://veltrix.db".into(),
            max_connections: 8,
            retry_budget_ms: 12_000,
        }
    }
}
