//! The transactional outbox: events written in the same transaction as the
//! ledger rows they describe, published to the streams by a leased relay.

mod config;

pub use config::OutboxConfig;
