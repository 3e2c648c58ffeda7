//! A Prometheus histogram with fixed buckets.
//!
//! [`Histogram`] is shared and lock-free (atomics): a clone is a handle to
//! the same series, so a hot path can hold one and observe without
//! touching any registry lock. (prometheus-client's own histogram takes a
//! mutex per observation and cannot merge a batch; this one is rendered
//! through prometheus-client's encoder, see [`super::family`].)
//! [`Sample`] is its unshared twin: a loop that observes many values (a
//! batch of plugin calls, a poll's records) fills a `Sample` and merges it
//! once, paying a handful of atomic adds per batch instead of per value.
//!
//! Buckets are stored per bucket (non-cumulative) and made cumulative when
//! read, which is what the exposition format's `le` means: the count of
//! observations `<= le`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Latency buckets, seconds: 0.5 ms to 10 s.
pub static SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Fuel buckets: 1e3 to 1e8 units, two per decade (a plugin's fuel budget
/// is typically 1e6-1e7; the top buckets show calls nearing it).
pub static FUEL: &[f64] = &[1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8];

/// Index of the bucket `v` falls in: the first bound `>= v`, or
/// `bounds.len()` (the implicit `+Inf` bucket).
fn bucket(bounds: &[f64], v: f64) -> usize {
    bounds.partition_point(|le| *le < v)
}

/// A shared histogram: observations from any thread, no lock. Clones
/// share the series.
#[derive(Debug, Clone)]
pub struct Histogram(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    bounds: &'static [f64],
    /// Per bucket, the last one being `+Inf`.
    counts: Box<[AtomicU64]>,
    /// `f64` bits of the sum of observations.
    sum: AtomicU64,
}

/// A point-in-time reading of a [`Histogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `(le, cumulative count)`, without `+Inf` (that is `count`).
    pub buckets: Vec<(f64, u64)>,
    /// Observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending upper bounds).
    pub fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "ascending bounds");
        Self(Arc::new(Inner {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }))
    }

    /// Its bucket bounds.
    pub fn bounds(&self) -> &'static [f64] {
        self.0.bounds
    }

    /// Records one value (NaN is ignored: it has no bucket).
    pub fn observe(&self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.0.counts[bucket(self.0.bounds, v)].fetch_add(1, Ordering::Relaxed);
        self.add_sum(v);
    }

    /// Adds a batch of observations made with the same bounds.
    pub fn merge(&self, s: &Sample) {
        debug_assert_eq!(self.0.bounds, s.bounds, "same buckets");
        let mut any = false;
        for (c, n) in self.0.counts.iter().zip(&s.counts) {
            if *n > 0 {
                c.fetch_add(*n, Ordering::Relaxed);
                any = true;
            }
        }
        if any {
            self.add_sum(s.sum);
        }
    }

    fn add_sum(&self, v: f64) {
        // No atomic f64 add: a compare-exchange loop, uncontended in practice.
        let _ = self
            .0
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((f64::from_bits(b) + v).to_bits())
            });
    }

    /// Cumulative counts, count and sum. The count is derived from the
    /// buckets, so `+Inf == count` holds even while others observe (the
    /// sum may lag by an observation in flight).
    pub fn snapshot(&self) -> Snapshot {
        let mut acc = 0;
        let mut buckets = Vec::with_capacity(self.0.bounds.len());
        for (le, c) in self.0.bounds.iter().zip(self.0.counts.iter()) {
            acc += c.load(Ordering::Relaxed);
            buckets.push((*le, acc));
        }
        acc += self.0.counts[self.0.bounds.len()].load(Ordering::Relaxed);
        Snapshot {
            buckets,
            count: acc,
            sum: f64::from_bits(self.0.sum.load(Ordering::Relaxed)),
        }
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        let s = self.snapshot();
        // The encoder makes counts cumulative itself, and writes infinity
        // as `+Inf`: hand it per-bucket counts.
        let mut below = 0;
        let mut buckets: Vec<(f64, u64)> = s
            .buckets
            .iter()
            .map(|(le, acc)| {
                let n = acc - below;
                below = *acc;
                (*le, n)
            })
            .collect();
        buckets.push((f64::INFINITY, s.count - below));
        encoder.encode_histogram::<NoLabelSet>(s.sum, s.count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// Unshared observations, merged into a [`Histogram`] in one go.
#[derive(Debug, Clone)]
pub struct Sample {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
}

impl Sample {
    /// Empty, over `bounds` (those of the histogram it will merge into).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
        }
    }

    /// Records one value (NaN is ignored).
    pub fn observe(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.counts[bucket(self.bounds, v)] += 1;
        self.sum += v;
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static B: &[f64] = &[1.0, 2.0, 5.0];

    #[test]
    fn le_is_inclusive_and_cumulative() {
        let h = Histogram::new(B);
        for v in [0.5, 1.0, 1.5, 2.0, 4.0, 7.0, f64::NAN] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.buckets, vec![(1.0, 2), (2.0, 4), (5.0, 5)]);
        assert_eq!(s.count, 6, "NaN ignored, 7.0 only in +Inf");
        assert!((s.sum - 16.0).abs() < 1e-9);
    }

    #[test]
    fn merged_sample_equals_direct_observations() {
        let (direct, merged) = (Histogram::new(B), Histogram::new(B));
        let mut s = Sample::new(B);
        for v in [0.1, 2.0, 2.5, 9.0] {
            direct.observe(v);
            s.observe(v);
        }
        assert_eq!(s.count(), 4);
        merged.merge(&s);
        merged.merge(&Sample::new(B));
        assert_eq!(direct.snapshot(), merged.snapshot());
    }

    #[test]
    fn shared_across_threads() {
        let h = Histogram::new(SECONDS);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let h = h.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| h.observe(0.003)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("thread"));
        let s = h.snapshot();
        assert_eq!(s.count, 4000);
        assert!((s.sum - 12.0).abs() < 1e-6);
    }
}
