//! Labelled metric families, on `prometheus-client`: its [`Family`] maps
//! label values to a series and its [`Registry`] renders the text format
//! (escaping, `# HELP`/`# TYPE`, `_total`, `# EOF`). What stays ours is the
//! histogram a batch can merge into ([`super::histogram`]).
//!
//! Looking a series up takes the family's lock; callers on hot paths look
//! up once (per batch, or once at construction) and keep the handle. Label
//! values must come from bounded sets (routes, game types, topics, fault
//! codes): never tenant, game or player ids, which would grow the series
//! without end.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::registry::Registry;

use super::histogram::Histogram;

/// Label (name, value) pairs of one series, in the family's label order.
pub type Labels = Vec<(&'static str, String)>;

fn labels(names: &'static [&'static str], values: &[&str]) -> Labels {
    debug_assert_eq!(values.len(), names.len(), "one value per label");
    names
        .iter()
        .zip(values)
        .map(|(n, v)| (*n, (*v).to_string()))
        .collect()
}

/// Makes the series of a histogram family, all over the same bounds.
#[derive(Debug, Clone, Copy)]
pub struct Buckets(pub &'static [f64]);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0)
    }
}

/// Histograms by label values.
#[derive(Debug, Clone)]
pub struct HistogramFamily {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    family: Family<Labels, Histogram, Buckets>,
}

impl HistogramFamily {
    /// An empty family.
    pub fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        bounds: &'static [f64],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            family: Family::new_with_constructor(Buckets(bounds)),
        }
    }

    /// The series for `values` (one per label), created empty if new; a
    /// handle to keep (it shares the series).
    pub fn with(&self, values: &[&str]) -> Histogram {
        self.family
            .get_or_create_owned(&labels(self.labels, values))
    }

    /// Adds the family to `registry` (a scrape's).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(self.name, self.help, self.family.clone());
    }
}

/// Counters by label values. `name` is given without `_total`: the
/// format adds it.
#[derive(Debug, Clone)]
pub struct CounterFamily {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    family: Family<Labels, Counter>,
}

impl CounterFamily {
    /// An empty family.
    pub fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self {
            name,
            help,
            labels,
            family: Family::default(),
        }
    }

    /// Adds `n` to the series for `values`.
    pub fn add(&self, values: &[&str], n: u64) {
        self.family
            .get_or_create(&labels(self.labels, values))
            .inc_by(n);
    }

    /// Adds the family to `registry` (a scrape's).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(self.name, self.help, self.family.clone());
    }
}

/// The text exposition of `registry` (OpenMetrics, which Prometheus reads).
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, registry)
        .expect("writing to a String cannot fail");
    out
}

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_render_through_the_registry() {
        let h = HistogramFamily::new("t_seconds", "Time.", &["route"], &[0.5, 1.0]);
        h.with(&["/a"]).observe(0.2);
        h.with(&["/a"]).observe(3.0);
        let c = CounterFamily::new("t_requests", "Requests.", &["route", "code"]);
        c.add(&["/a\"b", "200"], 2);
        let mut reg = Registry::default();
        h.register(&mut reg);
        c.register(&mut reg);
        let text = encode(&reg);
        for want in [
            "# TYPE t_seconds histogram\n",
            "t_seconds_count{route=\"/a\"} 2\n",
            "t_seconds_bucket{le=\"0.5\",route=\"/a\"} 1\n",
            "t_seconds_bucket{le=\"+Inf\",route=\"/a\"} 2\n",
            "# TYPE t_requests counter\n",
            // Label values escaped by the format.
            "t_requests_total{route=\"/a\\\"b\",code=\"200\"} 2\n",
            "# EOF\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }
}
