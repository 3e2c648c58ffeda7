//! Request metrics and the API's part of `GET /metrics` (the pipeline's
//! metrics are [`veltrix_pipeline::telemetry`]'s, registered beside them by
//! the handler; prometheus-client renders both).
//!
//! Routes are labelled by their pattern (`/v1/tenants/{tenant}/...`), never
//! the raw path, so ids cannot blow up the label set; requests that match
//! no route are counted under `unmatched`.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use veltrix_pipeline::processor::StageTimes;
use veltrix_pipeline::telemetry::{CounterFamily, Histogram, HistogramFamily, Registry};
use veltrix_store::OutboxStats;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Request counters and latency histograms, per (method, route).
#[derive(Debug)]
pub struct Metrics {
    requests: CounterFamily,
    latency: HistogramFamily,
    stages: HistogramFamily,
    /// One series per [`ACTION_STAGES`] entry, looked up once.
    stage_series: Vec<Histogram>,
}

/// The stages of a player action answered through the API, in order: what
/// the action route's latency is made of.
pub const ACTION_STAGES: [(&str, &str); 7] = [
    (
        "claim",
        "handler -> idempotency key claimed (body checks, the claim's write; \
         actions without a key skip it)",
    ),
    (
        "submit",
        "handler (or claim) -> game-stream produce acknowledged",
    ),
    (
        "to_poll",
        "acknowledged -> the processor's poll returned it (poll wait, the previous batch)",
    ),
    (
        "plugin",
        "polled -> the plugin returned for it (the batch's games before it included)",
    ),
    (
        "commit",
        "plugin -> the batch's one transaction committed (the rest of the batch's calls included)",
    ),
    ("boards", "committed -> the leaderboards show it"),
    ("wake", "boards -> the waiting request saw the outcome"),
];

/// When a player action's request reached the points before the
/// processor took it over.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimes {
    /// The handler started (after authentication).
    pub handler: Instant,
    /// The idempotency key was claimed; `None` when the route claims none.
    pub claimed: Option<Instant>,
    /// The game stream acknowledged the action.
    pub acked: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        let stages = HistogramFamily::new(
            "veltrix_action_stage_seconds",
            "Where a player action answered here spent its time, by stage \
             (claim, submit, to_poll, plugin, commit, boards, wake; see docs/api.md).",
            &["stage"],
            BUCKETS,
        );
        let stage_series = ACTION_STAGES
            .iter()
            .map(|(s, _)| stages.with(&[s]))
            .collect();
        Self {
            requests: CounterFamily::new(
                "veltrix_http_requests",
                "HTTP requests by method, route and status.",
                &["method", "route", "status"],
            ),
            latency: HistogramFamily::new(
                "veltrix_http_request_duration_seconds",
                "HTTP request latency by method and route.",
                &["method", "route"],
                BUCKETS,
            ),
            stages,
            stage_series,
        }
    }
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, method: &str, route: &str, status: u16, took: Duration) {
        let status = status.to_string();
        self.requests.add(&[method, route, &status], 1);
        self.latency
            .with(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// Records the stages of one action applied by this process: `start`
    /// (the handler's submit began), `acked` (the produce was
    /// acknowledged), the processor's stage ends, `seen` (the request had
    /// the outcome). Outcomes read from the store have no stage times and
    /// are not recorded.
    pub fn record_stages(&self, at: RequestTimes, s: &StageTimes, seen: Instant) {
        let (Some(polled), Some(plugin), Some(stored), Some(boards)) =
            (s.polled, s.plugin_done, s.stored, s.boards_done)
        else {
            return;
        };
        let (series, from) = match at.claimed {
            Some(claimed) => {
                self.stage_series[0]
                    .observe(claimed.saturating_duration_since(at.handler).as_secs_f64());
                (&self.stage_series[1..], claimed)
            }
            None => (&self.stage_series[1..], at.handler),
        };
        let ends = [at.acked, polled, plugin, stored, boards, seen];
        let mut from = from;
        for (series, to) in series.iter().zip(ends) {
            series.observe(to.saturating_duration_since(from).as_secs_f64());
            from = to;
        }
    }

    /// Adds the API's families to `registry` (a scrape's); `outbox` is
    /// `None` when the store could not be read (the gauges are then left
    /// out rather than reported as zero).
    pub fn register(&self, registry: &mut Registry, outbox: Option<OutboxStats>) {
        if let Some(s) = outbox {
            let pending: Gauge = Gauge::default();
            pending.set(i64::try_from(s.pending).unwrap_or(i64::MAX));
            registry.register(
                "veltrix_outbox_pending",
                "Outbox rows not yet published.",
                pending,
            );
            let age: Gauge<f64, AtomicU64> = Gauge::default();
            age.set(s.oldest_age_ms as f64 / 1000.0);
            registry.register(
                "veltrix_outbox_oldest_age_seconds",
                "Age of the oldest unpublished outbox row.",
                age,
            );
        }
        self.requests.register(registry);
        self.latency.register(registry);
        self.stages.register(registry);
    }
}

/// SQLite's batch writer: transactions run and the jobs in them (a
/// processor batch, a group of idempotency claims), since it opened.
pub fn register_writer(registry: &mut Registry, (groups, jobs): (u64, u64)) {
    register_counters(
        registry,
        [
            (
                "veltrix_sqlite_writer_transactions",
                "Transactions SQLite's batch writer committed or tried (group commit).",
                groups,
            ),
            (
                "veltrix_sqlite_writer_jobs",
                "Jobs in them (processor batches, groups of idempotency claims).",
                jobs,
            ),
        ],
    );
}

/// The batched player-token lookups' counters, from
/// `Store::token_lookup_counts`.
pub fn register_token_lookups(registry: &mut Registry, (queries, lookups): (u64, u64)) {
    register_counters(
        registry,
        [
            (
                "veltrix_player_token_queries",
                "Queries that looked player tokens up (concurrent lookups share one).",
                queries,
            ),
            (
                "veltrix_player_token_lookups",
                "Player-token lookups those queries answered.",
                lookups,
            ),
        ],
    );
}

fn register_counters<const N: usize>(
    registry: &mut Registry,
    counters: [(&'static str, &'static str, u64); N],
) {
    for (name, help, n) in counters {
        let c: Counter = Counter::default();
        c.inc_by(n);
        registry.register(name, help, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.record("GET", "/healthz", 200, Duration::from_millis(2));
        m.record("GET", "/healthz", 200, Duration::from_millis(700));
        let mut reg = Registry::default();
        m.register(
            &mut reg,
            Some(OutboxStats {
                pending: 3,
                oldest_age_ms: 1500,
            }),
        );
        let text = veltrix_pipeline::telemetry::encode(&reg);
        assert!(text.contains("veltrix_outbox_pending 3\n"));
        assert!(text.contains("veltrix_outbox_oldest_age_seconds 1.5\n"));
        assert!(text.contains(
            "veltrix_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\",method=\"GET\",route=\"/healthz\"} 1\n"));
        assert!(text.contains("le=\"1.0\",method=\"GET\",route=\"/healthz\"} 2\n"));
        assert!(text.contains("_count{method=\"GET\",route=\"/healthz\"} 2\n"));
    }

    #[test]
    fn action_stages_split_the_wait_in_order() {
        let m = Metrics::default();
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let s = StageTimes {
            polled: Some(ms(3)),
            plugin_done: Some(ms(4)),
            stored: Some(ms(24)),
            boards_done: Some(ms(25)),
        };
        let claimed = RequestTimes {
            handler: t,
            claimed: Some(ms(1)),
            acked: ms(3),
        };
        m.record_stages(claimed, &s, ms(26));
        // An outcome from the store (no stage times) is not recorded.
        m.record_stages(claimed, &StageTimes::default(), ms(9));
        // A route with no claim: its submit starts at the handler, and it
        // adds nothing to the claim stage.
        let unclaimed = RequestTimes {
            handler: t,
            claimed: None,
            acked: ms(2),
        };
        m.record_stages(unclaimed, &s, ms(26));
        let mut reg = Registry::default();
        m.register(&mut reg, None);
        let text = veltrix_pipeline::telemetry::encode(&reg);
        for (stage, secs, n) in [
            ("claim", "0.001", 1),
            ("submit", "0.004", 2),
            ("to_poll", "0.001", 2),
            ("plugin", "0.002", 2),
            ("commit", "0.04", 2),
            ("boards", "0.002", 2),
            ("wake", "0.002", 2),
        ] {
            let sum = format!("veltrix_action_stage_seconds_sum{{stage=\"{stage}\"}} {secs}");
            assert!(text.contains(&sum), "{sum} in\n{text}");
            let count = format!("veltrix_action_stage_seconds_count{{stage=\"{stage}\"}} {n}\n");
            assert!(text.contains(&count), "{count}");
        }
    }
}
