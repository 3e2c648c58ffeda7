//! [`Row`]: one line of `veltrix bench streams`' table, shared by the
//! stream rows ([`super::streams`]) and the outbox rows ([`super::outbox`]).

use serde::Serialize;

/// One measured (backend, family, client) combination.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `embedded`, `kafka`, or another source (`postgres` / `sqlite` for the outbox rows of [`super::outbox`]).
    pub backend: String,
    /// `game`, `quest`, `reward`, `players`.
    pub family: String,
    /// `veltrix` (our trait) or `rdkafka` (raw client).
    pub client: String,
    /// Records produced and consumed.
    pub messages: usize,
    /// First send to last receive.
    pub seconds: f64,
    /// Records per second.
    pub msgs_per_sec: f64,
    /// Produce -> consume latency, median, ms.
    pub p50_ms: f64,
    /// Produce -> consume latency, 99th percentile, ms.
    pub p99_ms: f64,
    /// Our throughput / raw rdkafka throughput (our Kafka rows only).
    pub vs_raw: Option<f64>,
}
