//! One `FutureProducer` per family, each tuned from the family's spec:
//! the hot game stream lingers 1 ms and uses lz4, rewards are idempotent
//! (no duplicates or reordering from producer retries), and so on.
//!
//! Every record carries an explicit partition (ours, murmur2) and is
//! enqueued synchronously: calls from one task are stored in call order per
//! partition (with `enable.idempotence` even across retries; without it,
//! librdkafka keeps order unless a retry interleaves, which acks=all and
//! `max.in.flight` 5 make rare but not impossible).

use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::KafkaConfig;
use crate::client::{base_config, classify};
use veltrix_streams::{Ack, Delivered, Envelope, Family, FamilySpec, StreamError, StreamsConfig};

/// The four producers.
pub struct FamilyProducers {
    game: FutureProducer,
    quest: FutureProducer,
    reward: FutureProducer,
    players: FutureProducer,
    message_timeout: Duration,
}

/// librdkafka properties of `family`'s producer (the extras from
/// `[kafka.producer]` last, so operators can override anything).
pub fn producer_config(
    kafka: &KafkaConfig,
    family: Family,
    spec: &FamilySpec,
) -> rdkafka::ClientConfig {
    let mut c = base_config(kafka, &format!("{}-producer", family_name(family)));
    c.set("acks", "all")
        .set("linger.ms", spec.linger_ms.to_string())
        .set("compression.type", spec.compression.as_str())
        .set("enable.idempotence", spec.idempotent.to_string())
        .set("message.timeout.ms", kafka.message_timeout_ms.to_string())
        .set(
            "max.in.flight.requests.per.connection",
            kafka.max_in_flight.to_string(),
        )
        .set(
            "queue.buffering.max.messages",
            kafka.queue_max_messages.to_string(),
        )
        // We choose partitions; a topic missing from metadata must fail, not
        // be created with the broker's defaults.
        .set("allow.auto.create.topics", "false");
    for (k, v) in &kafka.producer {
        c.set(k, v);
    }
    c
}

/// Lower-case family name (client ids, bench rows).
pub fn family_name(f: Family) -> &'static str {
    match f {
        Family::Game => "game",
        Family::Quest => "quest",
        Family::Reward => "reward",
        Family::Players => "players",
    }
}

impl FamilyProducers {
    /// Creates the producers (librdkafka connects lazily, in background).
    pub fn new(streams: &StreamsConfig, kafka: &KafkaConfig) -> Result<Self, StreamError> {
        let make = |f: Family| -> Result<FutureProducer, StreamError> {
            producer_config(kafka, f, streams.family(f))
                .create()
                .map_err(|e| {
                    tracing::error!(family = family_name(f), error = %e, "kafka producer config refused");
                    StreamError::Config(format!(
                        "{} producer settings refused by librdkafka",
                        family_name(f)
                    ))
                })
        };
        Ok(Self {
            game: make(Family::Game)?,
            quest: make(Family::Quest)?,
            reward: make(Family::Reward)?,
            players: make(Family::Players)?,
            message_timeout: Duration::from_millis(kafka.message_timeout_ms),
        })
    }

    fn get(&self, f: Family) -> &FutureProducer {
        match f {
            Family::Game => &self.game,
            Family::Quest => &self.quest,
            Family::Reward => &self.reward,
            Family::Players => &self.players,
        }
    }

    /// Enqueues `event` (already validated) on `topic`/`partition` with the
    /// family's producer; the [`Ack`] resolves on the broker's ack.
    pub fn send(
        &self,
        family: Family,
        topic: &str,
        partition: u32,
        event: &Envelope,
    ) -> Result<Ack, StreamError> {
        let value = event.encode();
        let record = FutureRecord::to(topic)
            .partition(partition as i32)
            .key(event.key.as_bytes())
            .payload(&value);
        let delivery = self
            .get(family)
            .send_result(record)
            .map_err(|(e, _)| classify("enqueue", &e))?;
        let timeout = self.message_timeout;
        Ok(Box::pin(async move {
            match delivery.await {
                Ok(Ok(d)) => Ok(Delivered {
                    partition: d.partition as u32,
                    offset: d.offset,
                }),
                Ok(Err((e, _))) => Err(match e.rdkafka_error_code() {
                    Some(rdkafka::types::RDKafkaErrorCode::MessageTimedOut) => {
                        tracing::warn!(error = %e, "kafka delivery timed out");
                        StreamError::Timeout(timeout)
                    }
                    _ => classify("deliver", &e),
                }),
                // The producer was dropped with the record still queued.
                Err(_) => Err(StreamError::Closed),
            }
        }))
    }
}
