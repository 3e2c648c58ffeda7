//! # veltrix-kafka: the Kafka backend of `veltrix-streams`
//!
//! Its own crate so that librdkafka's C build is compiled and linked only by
//! what runs on Kafka (the composition root, the benches, the Kafka tests).
//!
//! - [`config`]: the `[kafka]` section;
//! - [`client`]: librdkafka settings and error classification;
//! - [`registry`]: which topics exist, their partition counts and families;
//! - [`producer`]: one tuned producer per family, explicit partitioning;
//! - [`consumer`]: group members and offset reads;
//! - [`admin`]: `ensure` (create, compare, report).
//!
//! We pick every record's partition ourselves ([`partition_for`], Kafka's
//! murmur2), so the embedded log, this backend and the outbox relay's
//! recovery scan agree on where a key lives whatever librdkafka's own
//! partitioner would do (its default is CRC32, not murmur2).
//!
//! Blocking librdkafka calls (metadata, watermarks, commits) run on
//! `spawn_blocking`, so they never stall the async runtime.

pub mod admin;
pub mod client;
pub mod config;
pub mod consumer;
pub mod producer;
pub mod registry;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer as _};

use client::{blocking, classify};
pub use config::KafkaConfig;
use producer::FamilyProducers;
use registry::Registry;
use veltrix_streams::partition::partition_for;
use veltrix_streams::{
    Ack, Consumer, EnsureReport, Envelope, Record, StreamError, Streams, StreamsConfig, TopicSpec,
};

/// Streams on a Kafka cluster (or a Kafka-compatible broker).
pub struct KafkaStreams {
    shared: Arc<Shared>,
}

/// What every operation needs; shared with blocking tasks.
pub(crate) struct Shared {
    pub(crate) streams: StreamsConfig,
    pub(crate) kafka: KafkaConfig,
    /// Group-less client for metadata and watermarks.
    pub(crate) meta: BaseConsumer,
    pub(crate) registry: Registry,
    pub(crate) producers: FamilyProducers,
}

impl Shared {
    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.kafka.request_timeout_ms)
    }
}

impl KafkaStreams {
    /// Connects to the brokers in `kafka`: fails with
    /// [`StreamError::Unavailable`] unless a metadata request succeeds
    /// within `request_timeout_ms`. Existing topics are learned from it.
    pub async fn connect(
        streams: &StreamsConfig,
        kafka: &KafkaConfig,
    ) -> Result<Self, StreamError> {
        streams.validate().map_err(StreamError::Config)?;
        let meta: BaseConsumer = client::base_config(kafka, "meta")
            .set("enable.auto.commit", "false")
            .create()
            .map_err(|e| classify("create metadata client", &e))?;
        let producers = FamilyProducers::new(streams, kafka)?;
        let shared = Arc::new(Shared {
            streams: streams.clone(),
            kafka: kafka.clone(),
            meta,
            registry: Registry::new(streams.clone()),
            producers,
        });
        let s = shared.clone();
        blocking(move || {
            let md = s
                .meta
                .fetch_metadata(None, s.request_timeout())
                .map_err(|e| {
                    tracing::warn!(brokers = %s.kafka.brokers, error = %e, "kafka metadata request failed");
                    StreamError::Unavailable("broker unreachable".into())
                })?;
            s.registry.learn_all(&md);
            Ok(())
        })
        .await?;
        Ok(Self { shared })
    }

    /// Partition count of `topic`: the registry, else one metadata lookup.
    async fn partition_count(&self, topic: &str) -> Result<u32, StreamError> {
        if let Some(n) = self.shared.registry.partitions(topic) {
            return Ok(n);
        }
        let s = self.shared.clone();
        let t = topic.to_string();
        blocking(move || s.registry.lookup(&s.meta, &t, s.request_timeout())).await
    }
}

#[async_trait::async_trait]
impl Streams for KafkaStreams {
    fn backend(&self) -> &'static str {
        "kafka"
    }

    async fn ensure(&self, topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError> {
        admin::ensure(&self.shared, topics).await
    }

    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError> {
        event.validate(self.shared.streams.max_payload_bytes)?;
        let partitions = match self.shared.registry.partitions(topic) {
            Some(n) => n,
            // A topic created elsewhere since we connected: one blocking
            // metadata lookup, then it is cached.
            None => self.shared.registry.lookup(
                &self.shared.meta,
                topic,
                self.shared.request_timeout(),
            )?,
        };
        let partition = partition_for(event.key.as_bytes(), partitions);
        let family = self.shared.registry.family(topic);
        self.shared.producers.send(family, topic, partition, event)
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError> {
        for t in topics {
            self.partition_count(t).await?;
        }
        let c = consumer::KafkaConsumer::join(&self.shared, group, topics)?;
        Ok(Box::new(c))
    }

    async fn partitions(&self, topic: &str) -> Result<u32, StreamError> {
        self.partition_count(topic).await
    }

    async fn end_offset(&self, topic: &str, partition: u32) -> Result<i64, StreamError> {
        check_partition(topic, partition, self.partition_count(topic).await?)?;
        let s = self.shared.clone();
        let t = topic.to_string();
        blocking(move || {
            s.meta
                .fetch_watermarks(&t, partition as i32, s.request_timeout())
                .map(|(_, high)| high)
                .map_err(|e| classify("fetch watermarks", &e))
        })
        .await
    }

    async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: i64,
        max: usize,
    ) -> Result<Vec<Record>, StreamError> {
        check_partition(topic, partition, self.partition_count(topic).await?)?;
        let s = self.shared.clone();
        let t = topic.to_string();
        blocking(move || consumer::read(&s, &t, partition, from, max)).await
    }
}

fn check_partition(topic: &str, partition: u32, partitions: u32) -> Result<(), StreamError> {
    if partition < partitions {
        Ok(())
    } else {
        Err(StreamError::UnknownTopic(format!("{topic}/{partition}")))
    }
}
