//! Labelled metric families and their Prometheus text rendering.
//!
//! A family maps label values to one series. Looking a series up takes the
//! family's lock; callers on hot paths look up once (per batch, or once at
//! construction) and keep the `Arc<Histogram>`. Label values must come
//! from bounded sets (routes, game types, topics, fault codes): never
//! tenant, game or player ids, which would grow the series without end.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use super::histogram::{Histogram, Snapshot};

/// Label values of one series, in the family's label order.
type Key = Vec<String>;

fn find<'a, V>(map: &'a BTreeMap<Key, V>, values: &[&str]) -> Option<&'a V> {
    // A scan rather than a keyed lookup: it needs no allocation, and
    // families hold a few dozen series at most.
    map.iter()
        .find(|(k, _)| k.len() == values.len() && k.iter().zip(values).all(|(a, b)| a == b))
        .map(|(_, v)| v)
}

fn key(values: &[&str]) -> Key {
    values.iter().map(|v| (*v).to_string()).collect()
}

/// Histograms by label values.
#[derive(Debug)]
pub struct HistogramFamily {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    bounds: &'static [f64],
    series: Mutex<BTreeMap<Key, Arc<Histogram>>>,
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
            bounds,
            series: Mutex::default(),
        }
    }

    /// The series for `values` (one per label), created empty if new.
    pub fn with(&self, values: &[&str]) -> Arc<Histogram> {
        debug_assert_eq!(
            values.len(),
            self.labels.len(),
            "{}: label count",
            self.name
        );
        let mut series = self.series.lock().expect("metric family lock");
        if let Some(h) = find(&series, values) {
            return Arc::clone(h);
        }
        let h = Arc::new(Histogram::new(self.bounds));
        series.insert(key(values), Arc::clone(&h));
        h
    }

    /// Appends `# HELP`, `# TYPE` and every series.
    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        let series: Vec<(Key, Snapshot)> = self
            .series
            .lock()
            .expect("metric family lock")
            .iter()
            .map(|(k, h)| (k.clone(), h.snapshot()))
            .collect();
        for (k, s) in series {
            write_histogram(out, self.name, &labels(self.labels, &k), &s);
        }
    }
}

/// Monotonic counters by label values.
#[derive(Debug)]
pub struct CounterFamily {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Key, u64>>,
}

impl CounterFamily {
    /// An empty family (`name` should end in `_total`).
    pub fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self {
            name,
            help,
            labels,
            series: Mutex::default(),
        }
    }

    /// Adds `n` to the series for `values`.
    pub fn add(&self, values: &[&str], n: u64) {
        debug_assert_eq!(
            values.len(),
            self.labels.len(),
            "{}: label count",
            self.name
        );
        let mut series = self.series.lock().expect("metric family lock");
        let found = series
            .iter_mut()
            .find(|(k, _)| k.len() == values.len() && k.iter().zip(values).all(|(a, b)| a == b));
        match found {
            Some((_, c)) => *c += n,
            None => {
                series.insert(key(values), n);
            }
        }
    }

    /// Appends `# HELP`, `# TYPE` and every series.
    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        for (k, n) in self.series.lock().expect("metric family lock").iter() {
            let _ = writeln!(out, "{}{{{}}} {n}", self.name, labels(self.labels, k));
        }
    }
}

/// `# HELP` and `# TYPE` lines.
pub fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `a="x",b="y"`, values escaped.
pub fn labels(names: &[&str], values: &[String]) -> String {
    let mut s = String::new();
    for (i, (n, v)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{n}=\"{}\"", escape(v));
    }
    s
}

/// One histogram series: `_bucket` lines (cumulative, then `+Inf`), `_sum`
/// and `_count`. `labels` is the rendered label set, possibly empty.
pub fn write_histogram(out: &mut String, name: &str, labels: &str, s: &Snapshot) {
    let sep = if labels.is_empty() { "" } else { "," };
    for (le, n) in &s.buckets {
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", s.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", s.sum);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", s.count);
}

/// Label values escape `\`, `"` and newlines.
pub fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    static B: &[f64] = &[0.5, 1.0];

    #[test]
    fn histogram_family_renders_each_series() {
        let f = HistogramFamily::new("x_seconds", "Test.", &["kind"], B);
        f.with(&["a"]).observe(0.2);
        f.with(&["a"]).observe(3.0);
        f.with(&["b\"q"]).observe(1.0);
        let mut out = String::new();
        f.render(&mut out);
        assert!(out.starts_with("# HELP x_seconds Test.\n# TYPE x_seconds histogram\n"));
        assert!(out.contains("x_seconds_bucket{kind=\"a\",le=\"0.5\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{kind=\"a\",le=\"1\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{kind=\"a\",le=\"+Inf\"} 2\n"));
        assert!(out.contains("x_seconds_sum{kind=\"a\"} 3.2\n"));
        assert!(out.contains("x_seconds_count{kind=\"a\"} 2\n"));
        assert!(out.contains("x_seconds_bucket{kind=\"b\\\"q\",le=\"0.5\"} 0\n"));
        assert!(out.contains("x_seconds_bucket{kind=\"b\\\"q\",le=\"1\"} 1\n"));
    }

    #[test]
    fn counter_family_adds_per_series() {
        let f = CounterFamily::new("y_total", "Test.", &["a", "b"]);
        f.add(&["1", "2"], 2);
        f.add(&["1", "2"], 3);
        f.add(&["1", "3"], 1);
        let mut out = String::new();
        f.render(&mut out);
        assert!(out.contains("# TYPE y_total counter\n"));
        assert!(out.contains("y_total{a=\"1\",b=\"2\"} 5\n"));
        assert!(out.contains("y_total{a=\"1\",b=\"3\"} 1\n"));
    }
}
