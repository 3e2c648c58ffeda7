//! Request metrics and `GET /metrics` (Prometheus text format, hand-rolled:
//! a counter and a histogram per route are all we need, and the format is
//! a few lines).
//!
//! Routes are labelled by their pattern (`/v1/tenants/{tenant}/...`), never
//! the raw path, so ids cannot blow up the label set; requests that match
//! no route are counted under `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::store::OutboxStats;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    /// Cumulative counts per bucket (Prometheus `le` semantics).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counters and latency histograms, per (method, route).
#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route, status) -> count.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) -> latency.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, method: &str, route: &str, status: u16, took: Duration) {
        let key = (method.to_string(), route.to_string());
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((key.0.clone(), key.1.clone(), status))
            .or_default() += 1;
        let secs = took.as_secs_f64();
        let mut lat = self.latency.lock().expect("metrics lock");
        let h = lat.entry(key).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The exposition text; `outbox` is `None` when the store could not be
    /// read (the gauges are then left out rather than reported as zero).
    pub fn render(&self, outbox: Option<OutboxStats>) -> String {
        let mut out = String::new();
        if let Some(s) = outbox {
            out.push_str(
                "# HELP veltrix_outbox_pending Outbox rows not yet published.\n\
                 # TYPE veltrix_outbox_pending gauge\n",
            );
            let _ = writeln!(out, "veltrix_outbox_pending {}", s.pending);
            out.push_str(
                "# HELP veltrix_outbox_oldest_age_seconds Age of the oldest unpublished outbox row.\n\
                 # TYPE veltrix_outbox_oldest_age_seconds gauge\n",
            );
            let _ = writeln!(
                out,
                "veltrix_outbox_oldest_age_seconds {}",
                s.oldest_age_ms as f64 / 1000.0
            );
        }
        out.push_str(
            "# HELP veltrix_http_requests_total HTTP requests by method, route and status.\n\
             # TYPE veltrix_http_requests_total counter\n",
        );
        for ((m, r, s), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "veltrix_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(r)
            );
        }
        out.push_str(
            "# HELP veltrix_http_request_duration_seconds HTTP request latency by method and route.\n\
             # TYPE veltrix_http_request_duration_seconds histogram\n",
        );
        for ((m, r), h) in self.latency.lock().expect("metrics lock").iter() {
            let r = escape(r);
            let labels = format!("method=\"{m}\",route=\"{r}\"");
            for (le, n) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "veltrix_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "veltrix_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "veltrix_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "veltrix_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.record("GET", "/healthz", 200, Duration::from_millis(2));
        m.record("GET", "/healthz", 200, Duration::from_millis(700));
        let text = m.render(Some(OutboxStats {
            pending: 3,
            oldest_age_ms: 1500,
        }));
        assert!(text.contains("veltrix_outbox_pending 3\n"));
        assert!(text.contains("veltrix_outbox_oldest_age_seconds 1.5\n"));
        assert!(text.contains(
            "veltrix_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1\n"));
        assert!(text.contains("le=\"1\"} 2\n"));
        assert!(text.contains("_count{method=\"GET\",route=\"/healthz\"} 2\n"));
    }
}
