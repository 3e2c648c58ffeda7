//! Consumer positions and lag.
//!
//! Consumers publish the next offset they will read per partition (cheap:
//! one lock per poll). Lag needs the partitions' end offsets, a broker
//! round trip on Kafka, so it is computed only when `/metrics` is scraped,
//! under a time limit: a slow broker leaves the lag out of one scrape
//! rather than hanging it.
//!
//! Positions are those of partitions this process has consumed. After a
//! rebalance hands a partition to another host, its stale position stays
//! (and its lag grows); the broker's view of the group's committed offsets
//! is the authority across hosts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;

use veltrix_streams::Streams;

/// (topic, partition) -> next offset to read.
type Positions = HashMap<(Arc<str>, u32), i64>;

/// Next offsets per consumer group.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    pub(super) groups: Mutex<HashMap<String, Positions>>,
}

/// One `veltrix_consumer_lag` series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lag {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Records not yet read, summed over the partitions seen.
    pub records: u64,
}

impl Tracker {
    /// Records `next` as group `group`'s next offset on each partition,
    /// keeping the highest seen (members of one group in this process can
    /// briefly re-read a partition after a rebalance).
    pub(crate) fn advance(
        &self,
        group: &str,
        next: impl IntoIterator<Item = (Arc<str>, u32, i64)>,
    ) {
        let mut groups = self.groups.lock().expect("positions lock");
        let positions = match groups.get_mut(group) {
            Some(p) => p,
            None => groups.entry(group.to_string()).or_default(),
        };
        for (topic, partition, offset) in next {
            let e = positions.entry((topic, partition)).or_insert(offset);
            *e = (*e).max(offset);
        }
    }

    /// Lag per (group, topic): end offset minus next offset, summed over the
    /// partitions seen; `None` when the end offsets did not all arrive
    /// within `limit` (a topic whose end offsets failed is left out).
    pub(crate) async fn lag(&self, streams: &dyn Streams, limit: Duration) -> Option<Vec<Lag>> {
        let positions: Vec<(String, Arc<str>, u32, i64)> = self
            .groups
            .lock()
            .expect("positions lock")
            .iter()
            .flat_map(|(g, p)| p.iter().map(|((t, n), o)| (g.clone(), t.clone(), *n, *o)))
            .collect();
        if positions.is_empty() {
            return Some(Vec::new());
        }
        let ends = join_all(
            positions
                .iter()
                .map(|(_, t, p, _)| streams.end_offset(t, *p)),
        );
        let ends = match tokio::time::timeout(limit, ends).await {
            Ok(e) => e,
            Err(_) => {
                tracing::warn!(
                    limit_ms = limit.as_millis() as u64,
                    partitions = positions.len(),
                    "metrics: end offsets timed out; consumer lag left out"
                );
                return None;
            }
        };
        let mut sums: BTreeMap<(String, String), Option<u64>> = BTreeMap::new();
        for ((group, topic, partition, next), end) in positions.into_iter().zip(ends) {
            let sum = sums.entry((group, topic.to_string())).or_insert(Some(0));
            match end {
                Ok(end) => {
                    if let Some(s) = sum {
                        *s += end.saturating_sub(next).max(0) as u64;
                    }
                }
                Err(e) => {
                    // A partial sum would under-report: leave the topic out.
                    tracing::warn!(%topic, partition, error = %e, "metrics: end offset unavailable");
                    *sum = None;
                }
            }
        }
        Some(
            sums.into_iter()
                .filter_map(|((group, topic), n)| {
                    n.map(|records| Lag {
                        group,
                        topic,
                        records,
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veltrix_streams::embedded::EmbeddedLog;
    use veltrix_streams::{Envelope, StreamsConfig};

    #[tokio::test]
    async fn lag_is_end_minus_next_summed_per_topic() {
        let cfg = StreamsConfig::default();
        let log = EmbeddedLog::new(cfg.clone());
        let topics = cfg.topics();
        log.ensure(&topics).await.expect("ensure");
        let topic = topics[0].name.clone();
        for i in 0..5 {
            let e = Envelope::new("t", format!("g{i}"), "k", b"{}".to_vec());
            log.send(&topic, &e).expect("send").await.expect("ack");
        }
        let n = log.partitions(&topic).await.expect("partitions");
        let mut total = 0;
        for p in 0..n {
            total += log.end_offset(&topic, p).await.expect("end");
        }
        assert_eq!(total, 5);

        let t = Tracker::default();
        let name: Arc<str> = topic.as_str().into();
        // Every partition seen at offset 0, then one record read on the
        // partition holding records.
        t.advance("g", (0..n).map(|p| (name.clone(), p, 0)));
        let mut busy = 0;
        for p in 0..n {
            if log.end_offset(&topic, p).await.expect("end") > 0 {
                busy = p;
            }
        }
        t.advance("g", [(name.clone(), busy, 1), (name.clone(), busy, 0)]);
        let lag = t.lag(&log, Duration::from_secs(5)).await.expect("in time");
        assert_eq!(
            lag,
            vec![Lag {
                group: "g".into(),
                topic: topic.clone(),
                records: 4
            }]
        );
    }
}
