//! [`TimedStreams`]: a [`Streams`] that times every send to a configured
//! topic from the call to its acknowledgement
//! (`veltrix_stream_latency_seconds{stage="acked"}`).
//!
//! The processor sends through it (actions on submit, quest and player
//! events after a batch), so those latencies are measured without the
//! processor's code knowing. Each topic's histogram is resolved once, when
//! the topic is configured or `ensure`d through this wrapper (game types
//! added at run time): a send then costs a read lock, one map lookup and a
//! few atomic adds. Other topics are passed through untimed, which also
//! keeps the `topic` label bounded.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::histogram::Histogram;
use super::{Stage, Telemetry};
use veltrix_streams::{
    Ack, Consumer, EnsureReport, Envelope, Record, StreamError, Streams, StreamsConfig, TopicSpec,
};

/// A [`Streams`] that records send -> ack latency per topic.
pub struct TimedStreams {
    inner: Arc<dyn Streams>,
    telemetry: Arc<Telemetry>,
    timers: RwLock<HashMap<String, Histogram>>,
}

impl TimedStreams {
    /// `inner`, timing sends to every topic `cfg` declares.
    pub fn wrap(
        inner: Arc<dyn Streams>,
        telemetry: &Arc<Telemetry>,
        cfg: &StreamsConfig,
    ) -> Arc<dyn Streams> {
        let s = Self {
            inner,
            telemetry: Arc::clone(telemetry),
            timers: RwLock::default(),
        };
        s.time(&cfg.topics());
        Arc::new(s)
    }

    fn time(&self, topics: &[TopicSpec]) {
        let mut timers = self.timers.write().expect("timers lock");
        for t in topics {
            if !timers.contains_key(&t.name) {
                let h = self
                    .telemetry
                    .stream_latency(t.family, &t.name, Stage::Acked);
                timers.insert(t.name.clone(), h);
            }
        }
    }
}

#[async_trait::async_trait]
impl Streams for TimedStreams {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn ensure(&self, topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError> {
        let report = self.inner.ensure(topics).await?;
        self.time(topics);
        Ok(report)
    }

    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError> {
        let ack = self.inner.send(topic, event)?;
        let Some(h) = self.timers.read().expect("timers lock").get(topic).cloned() else {
            return Ok(ack);
        };
        let start = Instant::now();
        Ok(Box::pin(async move {
            let r = ack.await;
            // Failed sends are not latencies: they show in error logs and
            // the callers' retries.
            if r.is_ok() {
                h.observe(start.elapsed().as_secs_f64());
            }
            r
        }))
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError> {
        self.inner.subscribe(group, topics).await
    }

    async fn partitions(&self, topic: &str) -> Result<u32, StreamError> {
        self.inner.partitions(topic).await
    }

    async fn end_offset(&self, topic: &str, partition: u32) -> Result<i64, StreamError> {
        self.inner.end_offset(topic, partition).await
    }

    async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: i64,
        max: usize,
    ) -> Result<Vec<Record>, StreamError> {
        self.inner.read(topic, partition, from, max).await
    }
}

/// Milliseconds between two epoch-ms timestamps as seconds, never negative
/// (clocks of different hosts may disagree by a little).
pub(crate) fn since_ms(from_ms: i64, to_ms: i64) -> f64 {
    Duration::from_millis(to_ms.saturating_sub(from_ms).max(0) as u64).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use veltrix_streams::embedded::EmbeddedLog;

    #[tokio::test]
    async fn times_configured_topics_only() {
        let cfg = StreamsConfig::default();
        let tel = Arc::new(Telemetry::new());
        let log: Arc<dyn Streams> = Arc::new(EmbeddedLog::new(cfg.clone()));
        log.ensure(&cfg.topics()).await.expect("ensure");
        let s = TimedStreams::wrap(log, &tel, &cfg);
        let spec = &cfg.topics()[0];
        let e = Envelope::new("t", "g", "k", b"{}".to_vec());
        s.send(&spec.name, &e).expect("send").await.expect("ack");
        assert!(s.send("not.configured", &e).is_err(), "passed through");
        // A topic ensured through the wrapper (a game type added at run
        // time) is timed from then on.
        let mut added = spec.clone();
        added.name = "game.v1.added".into();
        s.ensure(std::slice::from_ref(&added))
            .await
            .expect("ensure");
        s.send(&added.name, &e).expect("send").await.expect("ack");
        let n = tel
            .stream_latency(added.family, &added.name, Stage::Acked)
            .snapshot()
            .count;
        assert_eq!(n, 1);
        let n = tel
            .stream_latency(spec.family, &spec.name, Stage::Acked)
            .snapshot()
            .count;
        assert_eq!(n, 1);
        assert_eq!(since_ms(2_000, 1_000), 0.0);
        assert_eq!(since_ms(1_000, 3_500), 2.5);
    }
}
