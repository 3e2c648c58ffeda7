//! Group members ([`KafkaConsumer`]) and group-less offset reads ([`read`]).
//!
//! Members never auto-commit: the caller commits after its effect has
//! committed (what is not committed is delivered again), synchronously, so a
//! successful `commit` means the broker stored the offsets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{FutureExt as _, StreamExt as _};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message as _};
use rdkafka::{Offset, TopicPartitionList};

use crate::Shared;
use crate::client::{base_config, blocking, classify, code_name};
use veltrix_streams::{Consumer, Envelope, Record, StreamError};

/// The partition assignment strategy. The classic eager `roundrobin`
/// spreads partitions evenly and needs nothing from the broker beyond the
/// classic group protocol (Tansu 0.6 supports it; cooperative protocols are
/// not needed for our small groups).
pub const ASSIGNMENT_STRATEGY: &str = "roundrobin";

/// One member of a consumer group.
pub struct KafkaConsumer {
    consumer: Arc<StreamConsumer>,
    /// A decode failure found after records were already gathered: returned
    /// by the next poll, so those records are not lost from the batch.
    pending: Option<StreamError>,
}

impl KafkaConsumer {
    /// Creates the member and subscribes; it joins the group on first poll.
    pub(crate) fn join(
        shared: &Shared,
        group: &str,
        topics: &[String],
    ) -> Result<Self, StreamError> {
        let fetch_wait = topics
            .iter()
            .map(|t| {
                shared
                    .streams
                    .family(shared.registry.family(t))
                    .fetch_wait_max_ms
            })
            .min()
            .unwrap_or(shared.streams.game.fetch_wait_max_ms);
        let mut cfg = base_config(&shared.kafka, "consumer");
        cfg.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", fetch_wait.to_string())
            .set(
                "session.timeout.ms",
                shared.kafka.session_timeout_ms.to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                shared.kafka.heartbeat_interval_ms.to_string(),
            )
            .set("partition.assignment.strategy", ASSIGNMENT_STRATEGY)
            .set("allow.auto.create.topics", "false");
        for (k, v) in &shared.kafka.consumer {
            cfg.set(k, v);
        }
        let consumer: StreamConsumer = cfg.create().map_err(|e| classify("create consumer", &e))?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| classify("subscribe", &e))?;
        Ok(Self {
            consumer: Arc::new(consumer),
            pending: None,
        })
    }
}

/// Decodes one consumed message.
fn to_record(m: &BorrowedMessage<'_>) -> Result<Record, StreamError> {
    let topic = m.topic();
    let envelope = Envelope::decode(m.payload().unwrap_or_default()).map_err(|source| {
        tracing::warn!(topic, partition = m.partition(), offset = m.offset(), error = %source, "undecodable record");
        StreamError::Corrupt {
            topic: topic.to_string(),
            partition: m.partition() as u32,
            offset: m.offset(),
            source,
        }
    })?;
    Ok(Record {
        topic: topic.into(),
        partition: m.partition() as u32,
        offset: m.offset(),
        envelope,
    })
}

/// Consumer errors librdkafka reports and then recovers from by itself
/// (a broker connection dropped, a leader moved): logged, not returned.
fn transient(e: &KafkaError) -> bool {
    !matches!(e, KafkaError::MessageConsumptionFatal(_))
}

#[async_trait::async_trait]
impl Consumer for KafkaConsumer {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>, StreamError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let deadline = tokio::time::Instant::now() + wait;
        let mut stream = self.consumer.stream();
        // The first record: wait for it (rebalances are served meanwhile).
        loop {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Err(_) | Ok(None) => return Ok(out),
                Ok(Some(Ok(m))) => {
                    out.push(to_record(&m)?);
                    break;
                }
                Ok(Some(Err(e))) if transient(&e) => {
                    tracing::warn!(code = %code_name(&e), error = %e, "kafka consumer error");
                }
                Ok(Some(Err(e))) => return Err(classify("consume", &e)),
            }
        }
        // The rest: only what is already fetched, without waiting.
        while out.len() < max {
            match stream.next().now_or_never() {
                Some(Some(Ok(m))) => match to_record(&m) {
                    Ok(r) => out.push(r),
                    Err(e) => {
                        self.pending = Some(e);
                        break;
                    }
                },
                Some(Some(Err(e))) if transient(&e) => {
                    tracing::warn!(code = %code_name(&e), error = %e, "kafka consumer error");
                    break;
                }
                Some(Some(Err(e))) => {
                    self.pending = Some(classify("consume", &e));
                    break;
                }
                _ => break,
            }
        }
        Ok(out)
    }

    fn assignment(&self) -> Option<Vec<(Arc<str>, u32)>> {
        // librdkafka's view after the last rebalance it served; an error
        // (the consumer is closing) is "cannot tell", not "owns nothing".
        let tpl = self.consumer.assignment().ok()?;
        Some(
            tpl.elements()
                .iter()
                .map(|e| (Arc::<str>::from(e.topic()), e.partition() as u32))
                .collect(),
        )
    }

    async fn commit(&mut self, records: &[Record]) -> Result<(), StreamError> {
        let offsets = veltrix_streams::next_offsets(records);
        if offsets.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::with_capacity(offsets.len());
        for (topic, p, next) in &offsets {
            tpl.add_partition_offset(topic, *p as i32, Offset::Offset(*next))
                .map_err(|e| classify("commit", &e))?;
        }
        let c = self.consumer.clone();
        blocking(move || {
            c.commit(&tpl, CommitMode::Sync)
                .map_err(|e| classify("commit", &e))
        })
        .await
    }
}

/// Reads `topic`/`partition` from `from` without a group: at most `max`
/// records, stopping at the high watermark. Blocking; a short-lived
/// assign-only consumer, so no offsets are ever committed.
pub(crate) fn read(
    shared: &Shared,
    topic: &str,
    partition: u32,
    from: i64,
    max: usize,
) -> Result<Vec<Record>, StreamError> {
    let timeout = shared.request_timeout();
    let (_, high) = shared
        .meta
        .fetch_watermarks(topic, partition as i32, timeout)
        .map_err(|e| classify("fetch watermarks", &e))?;
    let mut out = Vec::new();
    if from >= high || max == 0 {
        return Ok(out);
    }
    let mut cfg = base_config(&shared.kafka, "reader");
    // librdkafka's consumer API wants a group id even for `assign`; the
    // reader never joins the group nor commits, so the broker never sees it.
    cfg.set("group.id", format!("{}-reader", shared.kafka.client_id))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .set("allow.auto.create.topics", "false");
    for (k, v) in &shared.kafka.consumer {
        cfg.set(k, v);
    }
    let reader: BaseConsumer = cfg.create().map_err(|e| classify("create reader", &e))?;
    let mut tpl = TopicPartitionList::with_capacity(1);
    tpl.add_partition_offset(topic, partition as i32, Offset::Offset(from.max(0)))
        .map_err(|e| classify("read", &e))?;
    reader.assign(&tpl).map_err(|e| classify("assign", &e))?;
    let start = Instant::now();
    while out.len() < max {
        if start.elapsed() > timeout {
            tracing::warn!(
                topic,
                partition,
                from,
                got = out.len(),
                "read stopped short of the high watermark"
            );
            return Err(StreamError::Timeout(timeout));
        }
        match reader.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let r = to_record(&m)?;
                let last = r.offset >= high - 1;
                out.push(r);
                if last {
                    break;
                }
            }
            Some(Err(KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) if transient(&e) => {
                tracing::warn!(code = %code_name(&e), error = %e, "kafka reader error");
            }
            Some(Err(e)) => return Err(classify("read", &e)),
        }
    }
    Ok(out)
}
