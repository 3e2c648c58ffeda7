//! Where an action's time goes: per-stage latency histograms from the
//! due time, the submit acknowledgement and the processor's
//! [`StageTimes`] on the outcome.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::demo::observer::{Percentiles, histogram};
use veltrix_pipeline::processor::StageTimes;

/// The stages, in pipeline order: (name, what it spans).
pub const STAGES: [(&str, &str); 7] = [
    (
        "ingest",
        "due -> submit returned (game-stream produce acknowledged)",
    ),
    (
        "to poll",
        "due -> the processor's poll returned the action (produce, broker, fetch, poll wait, the previous batch's tail)",
    ),
    (
        "ack -> poll",
        "submit returned -> poll returned (0 when the consumer had it before the producer's ack)",
    ),
    (
        "plugin",
        "poll returned -> plugin returned for the action (includes the batch's games before it)",
    ),
    (
        "commit",
        "plugin returned -> the batch's one transaction committed (rest of the batch's plugin calls; ledger + outbox, outcomes, statuses, progress)",
    ),
    (
        "boards",
        "committed -> leaderboards updated (the answer resolves here; events and the offset commit follow it)",
    ),
    (
        "wake",
        "boards updated -> the submitting task saw the outcome",
    ),
];

/// One stage's latency.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// Short name.
    pub name: &'static str,
    /// What it spans.
    pub spans: &'static str,
    /// Its latency.
    pub latency: Percentiles,
}

/// Per-stage histograms (us).
pub struct StageHists {
    h: Vec<Histogram<u64>>,
}

impl Default for StageHists {
    fn default() -> Self {
        Self {
            h: STAGES.iter().map(|_| histogram()).collect(),
        }
    }
}

fn between(from: Instant, to: Instant) -> Duration {
    to.saturating_duration_since(from)
}

impl StageHists {
    fn rec(&mut self, i: usize, d: Duration) {
        self.h[i].saturating_record((d.as_micros() as u64).max(1));
    }

    /// Records one action: `due`, `acked` (submit returned), the
    /// processor's stage ends, and when the outcome was seen.
    pub fn record(&mut self, due: Instant, acked: Instant, s: &StageTimes, seen: Instant) {
        self.rec(0, between(due, acked));
        let (Some(polled), Some(plugin), Some(stored), Some(boards)) =
            (s.polled, s.plugin_done, s.stored, s.boards_done)
        else {
            return;
        };
        self.rec(1, between(due, polled));
        self.rec(2, between(acked, polled));
        self.rec(3, between(polled, plugin));
        self.rec(4, between(plugin, stored));
        self.rec(5, between(stored, boards));
        self.rec(6, between(boards, seen));
    }

    /// The stages' percentiles.
    pub fn report(&self) -> Vec<Stage> {
        STAGES
            .iter()
            .zip(&self.h)
            .map(|(&(name, spans), h)| Stage {
                name,
                spans,
                latency: if h.is_empty() {
                    Percentiles::default()
                } else {
                    Percentiles::of(h)
                },
            })
            .collect()
    }
}
