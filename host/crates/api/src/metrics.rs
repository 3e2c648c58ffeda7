//! Request metrics and the API's part of `GET /metrics` (the pipeline's
//! metrics are [`veltrix_pipeline::telemetry`]'s, registered beside them by
//! the handler; prometheus-client renders both).
//!
//! Routes are labelled by their pattern (`/v1/tenants/{tenant}/...`), never
//! the raw path, so ids cannot blow up the label set; requests that match
//! no route are counted under `unmatched`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use veltrix_pipeline::telemetry::{CounterFamily, HistogramFamily, Registry};
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
}

impl Default for Metrics {
    fn default() -> Self {
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
}
