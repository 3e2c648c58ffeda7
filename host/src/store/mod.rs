//! The durable store: reward ledger, idempotency keys and outbox, on
//! Postgres (production) or SQLite (embedded mode), through sqlx.

mod config;

pub use config::DatabaseConfig;
