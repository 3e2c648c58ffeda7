//! Kafka through rdkafka (stub: being written).

use super::{
    Ack, Consumer, EnsureReport, Envelope, KafkaConfig, Record, StreamError, Streams,
    StreamsConfig, TopicSpec,
};

/// Streams on a Kafka cluster.
pub struct KafkaStreams {}

impl KafkaStreams {
    /// Connects to the brokers in `kafka`.
    pub async fn connect(
        _streams: &StreamsConfig,
        _kafka: &KafkaConfig,
    ) -> Result<Self, StreamError> {
        Err(StreamError::Unavailable(
            "kafka backend not built yet".into(),
        ))
    }
}

#[async_trait::async_trait]
impl Streams for KafkaStreams {
    fn backend(&self) -> &'static str {
        "kafka"
    }
    async fn ensure(&self, _topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError> {
        Err(StreamError::Closed)
    }
    fn send(&self, _topic: &str, _event: &Envelope) -> Result<Ack, StreamError> {
        Err(StreamError::Closed)
    }
    async fn subscribe(
        &self,
        _group: &str,
        _topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError> {
        Err(StreamError::Closed)
    }
    async fn partitions(&self, _topic: &str) -> Result<u32, StreamError> {
        Err(StreamError::Closed)
    }
    async fn end_offset(&self, _topic: &str, _partition: u32) -> Result<i64, StreamError> {
        Err(StreamError::Closed)
    }
    async fn read(
        &self,
        _topic: &str,
        _partition: u32,
        _from: i64,
        _max: usize,
    ) -> Result<Vec<Record>, StreamError> {
        Err(StreamError::Closed)
    }
}
