//! Event streams: one family per consistency domain (see [`topics`]), two
//! backends behind one trait.
//!
//! - [`envelope`]: the versioned event envelope (tenant, key, type, ...);
//! - [`topics`]: families and their topic settings;
//! - [`config`]: the `[streams]` section;
//! - [`partition`]: key -> partition, shared by every backend;
//! - [`embedded`]: the in-process log (default, no server);
//! - `conformance` (feature `conformance`): the suite every backend must
//!   pass (the Kafka backend is the `veltrix-kafka` crate).
//!
//! Delivery is at-least-once to consumers; consumers commit offsets only
//! after their own effect has committed, and deduplicate on `event_id`
//! where an effect is not idempotent by construction.

pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod embedded;
pub mod envelope;
pub mod partition;
pub mod topics;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

pub use config::{BackendKind, StreamsConfig};
pub use envelope::{Envelope, EnvelopeError};
pub use topics::{CleanupPolicy, Family, FamilySpec, TopicSpec};

/// Where an event was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Partition.
    pub partition: u32,
    /// Offset within the partition.
    pub offset: i64,
}

/// Resolves once the backend has stored the event (for Kafka: acknowledged
/// by the broker with the family's `acks`).
pub type Ack = BoxFuture<'static, Result<Delivered, StreamError>>;

/// One consumed event.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Topic.
    pub topic: Arc<str>,
    /// Partition.
    pub partition: u32,
    /// Offset.
    pub offset: i64,
    /// The event.
    pub envelope: Envelope,
}

/// Stream failures callers branch on. Messages are ours: broker error text
/// is logged, never passed on to API clients or plugins.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The event was refused before it reached the backend.
    #[error("invalid event: {0}")]
    Invalid(#[from] EnvelopeError),
    /// The topic does not exist (run `veltrix topics ensure`).
    #[error("unknown topic `{0}`")]
    UnknownTopic(String),
    /// The producer queue is full; retry later.
    #[error("stream producer queue is full; retry")]
    Backpressure,
    /// The broker could not be reached or refused the request.
    #[error("stream backend unavailable: {0}")]
    Unavailable(String),
    /// An operation took longer than its limit.
    #[error("stream operation timed out after {0:?}")]
    Timeout(Duration),
    /// A stored record could not be decoded.
    #[error("undecodable record at {topic}/{partition}@{offset}: {source}")]
    Corrupt {
        /// Topic.
        topic: String,
        /// Partition.
        partition: u32,
        /// Offset.
        offset: i64,
        /// Why.
        source: EnvelopeError,
    },
    /// The stream config is inconsistent.
    #[error("invalid stream config: {0}")]
    Config(String),
    /// The backend or consumer was shut down.
    #[error("stream closed")]
    Closed,
}

/// What `ensure` found or did for one topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EnsureOutcome {
    /// Created with the family's settings.
    Created,
    /// Already there with the same settings.
    Exists,
    /// Already there, with settings that differ (left unchanged; listed).
    Differs {
        /// `name: wanted X, found Y` per difference.
        differences: Vec<String>,
    },
}

/// `ensure`'s report for one topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnsureReport {
    /// Topic.
    pub topic: String,
    /// Outcome.
    #[serde(flatten)]
    pub outcome: EnsureOutcome,
}

/// A stream backend.
#[async_trait::async_trait]
pub trait Streams: Send + Sync {
    /// `embedded` or `kafka`.
    fn backend(&self) -> &'static str;

    /// Creates missing topics with their settings; idempotent. Existing
    /// topics are compared, reported, and never changed.
    async fn ensure(&self, topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError>;

    /// Validates `event`, picks its partition from its key
    /// ([`partition::partition_for`]) and enqueues it. Events sent from one
    /// task are stored in call order per key. The returned [`Ack`] resolves
    /// once the event is stored.
    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError>;

    /// Joins consumer group `group` on `topics`. Partitions are shared among
    /// the group's members; a new member starts after the group's committed
    /// offsets (from the beginning where none are committed).
    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError>;

    /// Partitions of `topic`.
    async fn partitions(&self, topic: &str) -> Result<u32, StreamError>;

    /// The offset the next record of a partition will get.
    async fn end_offset(&self, topic: &str, partition: u32) -> Result<i64, StreamError>;

    /// Reads a partition from offset `from`, at most `max` records, without
    /// a consumer group (for the outbox relay's recovery scan and tools).
    async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: i64,
        max: usize,
    ) -> Result<Vec<Record>, StreamError>;
}

/// A member of a consumer group.
#[async_trait::async_trait]
pub trait Consumer: Send {
    /// Up to `max` records from the assigned partitions, waiting at most
    /// `wait` for the first one. Records of one partition come in offset
    /// order.
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>, StreamError>;

    /// Commits every partition in `records` up to and including its highest
    /// offset. Call it only after the effect of those records has committed:
    /// what is not committed is delivered again (to this or another member).
    async fn commit(&mut self, records: &[Record]) -> Result<(), StreamError>;

    /// The (topic, partition)s this member owns as of its last poll, or
    /// `None` where the backend cannot tell (then callers must assume it
    /// may own any). With several hosts in a group, this is what decides
    /// which host ticks a game and which waits for its outcome locally.
    fn assignment(&self) -> Option<Vec<(Arc<str>, u32)>> {
        None
    }
}

/// The highest offset per (topic, partition) in `records`, plus one: what a
/// commit stores.
pub fn next_offsets(records: &[Record]) -> Vec<(Arc<str>, u32, i64)> {
    let mut out: Vec<(Arc<str>, u32, i64)> = Vec::new();
    for r in records {
        match out
            .iter_mut()
            .find(|(t, p, _)| *p == r.partition && **t == *r.topic)
        {
            Some(e) => e.2 = e.2.max(r.offset + 1),
            None => out.push((r.topic.clone(), r.partition, r.offset + 1)),
        }
    }
    out
}
