//! The transactional outbox: events written in the same transaction as the
//! ledger rows they describe, published to the streams by a leased relay.
//!
//! - [`writer`]: group commit of events that have no ledger row of their
//!   own (mints write their outbox row in the ledger transaction);
//! - [`relay`]: the single active publisher, fenced by a lease epoch;
//! - [`recovery`]: what the relay does at every new epoch so a relay that
//!   died mid-batch causes no duplicate on the stream.

mod config;
mod recovery;
pub mod relay;
pub mod writer;

pub use config::OutboxConfig;
pub use relay::{Relay, RelayStats};
pub use writer::{OutboxWriter, WriteError};
