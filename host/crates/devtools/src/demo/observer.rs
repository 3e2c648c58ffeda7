//! Accepted -> published latency on the quest and reward streams, measured
//! the way a downstream consumer sees it: a consumer group of its own on
//! `quest.v1.*` and `reward.v1.*`, matching each event's `action_id`
//! (quest payloads carry it at the top level, reward rows in their
//! `payload`) to when the action was submitted here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use veltrix_streams::{Family, Streams, StreamsConfig};

/// Percentiles of one latency series, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Maximum.
    pub max_us: u64,
}

impl Percentiles {
    /// Of a histogram in microseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        Self {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }
}

/// A latency histogram in microseconds (1 us to 10 min).
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

#[derive(Default)]
struct Inner {
    submitted: HashMap<String, Instant>,
    // Events seen before their action's submit returned (the stream can be
    // faster than the submit path's bookkeeping).
    early: HashMap<String, Vec<(Family, Instant, Option<String>)>>,
    quest: Option<Histogram<u64>>,
    reward: Option<Histogram<u64>>,
    quest_events: u64,
    reward_events: u64,
    reward_ids: std::collections::HashSet<String>,
}

/// Shared tracker: the submitters record, the consumer task matches.
#[derive(Clone, Default)]
pub struct Observer {
    inner: Arc<Mutex<Inner>>,
}

/// What the observer saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observed {
    /// Accepted -> quest update consumed.
    pub quest: Percentiles,
    /// Accepted -> reward consumed from the reward stream.
    pub reward: Percentiles,
    /// Quest events consumed (of actions submitted here).
    pub quest_events: u64,
    /// Reward events consumed (of actions submitted here, with
    /// redeliveries).
    pub reward_events: u64,
    /// Distinct reward ids consumed for actions submitted here (a shared
    /// broker's reward topics also hold other runs' rewards).
    pub distinct_rewards: u64,
}

impl Observer {
    /// Records that `action_id` was accepted at `at`.
    pub fn submitted(&self, action_id: &str, at: Instant) {
        let mut g = self.inner.lock().expect("observer lock");
        if let Some(early) = g.early.remove(action_id) {
            for (f, seen, reward) in early {
                g.record(f, seen.saturating_duration_since(at), reward);
            }
        }
        g.submitted.insert(action_id.to_string(), at);
    }

    /// Subscribes (group `group`) to every quest and reward topic and
    /// matches events until `stop`.
    pub async fn spawn(
        &self,
        streams: Arc<dyn Streams>,
        cfg: &StreamsConfig,
        group: &str,
        mut stop: watch::Receiver<bool>,
    ) -> anyhow::Result<JoinHandle<()>> {
        let mut topics: Vec<String> = cfg
            .game_types
            .iter()
            .map(|t| cfg.topic(Family::Quest, t))
            .collect();
        topics.extend(
            cfg.reward_types
                .iter()
                .map(|t| cfg.topic(Family::Reward, t)),
        );
        let quest_topics: std::collections::HashSet<String> =
            topics[..cfg.game_types.len()].iter().cloned().collect();
        let mut consumer = streams.subscribe(group, &topics).await?;
        let this = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                if *stop.borrow() {
                    break;
                }
                tokio::select! {
                    _ = stop.changed() => break,
                    polled = consumer.poll(1_000, Duration::from_millis(20)) => match polled {
                        Ok(records) => {
                            let now = Instant::now();
                            let mut g = this.inner.lock().expect("observer lock");
                            for r in &records {
                                let quest = quest_topics.contains(&*r.topic);
                                g.consume(quest, &r.envelope.event_id, &r.envelope.payload, now);
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "observer poll failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    },
                }
            }
        }))
    }

    /// The latencies so far.
    pub fn observed(&self) -> Observed {
        let g = self.inner.lock().expect("observer lock");
        Observed {
            quest: g.quest.as_ref().map(Percentiles::of).unwrap_or_default(),
            reward: g.reward.as_ref().map(Percentiles::of).unwrap_or_default(),
            quest_events: g.quest_events,
            reward_events: g.reward_events,
            distinct_rewards: g.reward_ids.len() as u64,
        }
    }
}

impl Inner {
    fn consume(&mut self, quest: bool, event_id: &str, payload: &[u8], now: Instant) {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return;
        };
        let (family, action, reward) = if quest {
            (Family::Quest, v.get("action_id"), None)
        } else {
            (
                Family::Reward,
                v.get("payload").and_then(|p| p.get("action_id")),
                Some(event_id.to_string()),
            )
        };
        let Some(action) = action.and_then(|a| a.as_str()) else {
            return;
        };
        match self.submitted.get(action) {
            Some(&at) => self.record(family, now.saturating_duration_since(at), reward),
            // Submitted here later, or another run's event (never matched).
            None => self
                .early
                .entry(action.to_string())
                .or_default()
                .push((family, now, reward)),
        }
    }

    fn record(&mut self, f: Family, d: Duration, reward: Option<String>) {
        match reward {
            Some(id) => {
                self.reward_events += 1;
                self.reward_ids.insert(id);
            }
            None => self.quest_events += 1,
        }
        let h = match f {
            Family::Quest => &mut self.quest,
            _ => &mut self.reward,
        };
        let h = h.get_or_insert_with(histogram);
        h.saturating_record((d.as_micros() as u64).max(1));
    }
}
