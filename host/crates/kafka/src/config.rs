//! `[kafka]`: the broker and client settings every family shares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[kafka]`: the broker and client settings shared by every family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, comma-separated (`VELTRIX_KAFKA_BROKERS`).
    /// Default `127.0.0.1:9092`.
    pub brokers: String,
    /// Client id prefix. Default `veltrix`.
    pub client_id: String,
    /// Admin and metadata request timeout, in ms. Default 10,000.
    pub request_timeout_ms: u64,
    /// How long a produce may stay undelivered before it fails, in ms; the
    /// producer retries within it. Default 30,000.
    pub message_timeout_ms: u64,
    /// Consumer group session timeout, in ms. Default 10,000.
    pub session_timeout_ms: u64,
    /// How often a group member heartbeats, in ms: a member learns of a
    /// rebalance on its next heartbeat. Default 500, not librdkafka's
    /// 3,000: with three or more members (several hosts), Tansu completes
    /// a generation with whoever rejoined within about 3 s, so members
    /// whose heartbeats fall outside that window restart the rebalance,
    /// forever (measured with three `veltrix serve`: a new generation every
    /// 3 s at 3,000, stable within 10 s at 500; docs/streams.md). On Kafka
    /// it shortens every rebalance's pause, for one small request per
    /// member per interval.
    pub heartbeat_interval_ms: u64,
    /// Records buffered in the producer before `send` reports back-pressure.
    /// Default 1,000,000.
    pub queue_max_messages: u32,
    /// Produce requests in flight per broker connection. Default 5: the
    /// most that keeps order with the idempotent producer, and measured
    /// 2-3x faster end to end than librdkafka's unbounded default on Tansu
    /// (thousands of tiny batches otherwise; see docs/streams.md).
    pub max_in_flight: u32,
    /// Extra librdkafka producer properties (e.g. security settings).
    pub producer: BTreeMap<String, String>,
    /// Extra librdkafka consumer properties.
    pub consumer: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            client_id: "veltrix".into(),
            request_timeout_ms: 10_000,
            message_timeout_ms: 30_000,
            session_timeout_ms: 10_000,
            heartbeat_interval_ms: 500,
            queue_max_messages: 1_000_000,
            max_in_flight: 5,
            producer: BTreeMap::new(),
            consumer: BTreeMap::new(),
        }
    }
}
