//! # veltrix-pipeline
//!
//! The live pipeline: what turns accepted actions into applied effects.
//!
//! - [`processor`]: the game processor (actions -> pinned plugin ->
//!   effects), its worker loop, ticker, effects and outcomes;
//! - [`outbox`]: the outbox writer and the leased relay that publishes
//!   minted rewards to the reward stream;
//! - [`telemetry`]: Prometheus metrics of the pipeline (plugin calls,
//!   stream latency, consumer lag).
//!
//! Backends come in as trait objects ([`veltrix_streams::Streams`],
//! [`veltrix_leaderboard::Leaderboard`]) and a [`veltrix_store::Store`];
//! wiring them together is the composition root's job (`veltrix-server`).

pub mod outbox;
pub mod processor;
pub mod telemetry;

pub use processor::{Processor, ProcessorConfig, ProcessorError, Registry};
