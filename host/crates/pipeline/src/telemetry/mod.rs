//! Telemetry: Prometheus metrics of the pipeline, rendered by `GET /metrics`
//! next to the API's own request metrics (logs and spans are `tracing`'s).
//!
//! - [`histogram`]: fixed-bucket histograms, shared (atomics) and local;
//! - [`family`]: labelled families and the text format (prometheus-client);
//! - [`lag`]: consumer positions, lag computed at scrape time;
//! - [`timed`]: a [`Streams`](veltrix_streams::Streams) that times send -> ack.
//!
//! [`Telemetry`] is the registry: one per [`Processor`](crate::processor::Processor)
//! (which owns it and shares it with the relay it runs beside), behind an
//! `Arc`. Recording is on the per-action path, so it is done per batch where
//! possible (a [`PluginSample`] per game per batch, one merge per poll) and
//! costs atomic adds, not locks, where it is per event.
//!
//! Every label comes from a bounded set: game types, families, topics
//! (from the config), stages, fault codes, consumer groups.

pub mod family;
pub mod histogram;
pub mod lag;
pub mod timed;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub use family::{CONTENT_TYPE, CounterFamily, HistogramFamily, encode};
pub use histogram::{Histogram, Sample};
pub use lag::Lag;
pub use prometheus_client::registry::Registry;

use prometheus_client::metrics::family::Family as PromFamily;
use prometheus_client::metrics::gauge::Gauge;
pub use timed::TimedStreams;

use veltrix_streams::{Family, Record, Streams};

/// Which interval a `veltrix_stream_latency_seconds` series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Envelope timestamp (the host accepted the event) -> a consumer
    /// polled it.
    Polled,
    /// Send -> the backend acknowledged it stored.
    Acked,
    /// Outbox row created -> the relay's publish was acknowledged.
    Published,
}

impl Stage {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polled => "polled",
            Self::Acked => "acked",
            Self::Published => "published",
        }
    }
}

/// The family's label value.
pub fn family_label(f: Family) -> &'static str {
    match f {
        Family::Game => "game",
        Family::Quest => "quest",
        Family::Reward => "reward",
        Family::Players => "players",
    }
}

/// Plugin calls of one game type, gathered off the registry and merged at
/// once with [`Telemetry::plugin`].
#[derive(Debug, Clone)]
pub struct PluginSample {
    apply: Sample,
    fuel: Sample,
    faults: Vec<(String, u64)>,
}

impl Default for PluginSample {
    fn default() -> Self {
        Self {
            apply: Sample::new(histogram::SECONDS),
            fuel: Sample::new(histogram::FUEL),
            faults: Vec::new(),
        }
    }
}

impl PluginSample {
    /// One `apply` call: its wall time and, when it did not fault, the fuel
    /// it consumed (0 when the host answered without calling the plugin).
    pub fn call(&mut self, took: Duration, fuel: Option<u64>) {
        self.apply.observe(took.as_secs_f64());
        if let Some(f) = fuel.filter(|f| *f > 0) {
            self.fuel.observe(f as f64);
        }
    }

    /// One faulted call, by fault code (`fuel-exhausted`, `trapped`, ...).
    pub fn fault(&mut self, code: &str) {
        match self.faults.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += 1,
            None => self.faults.push((code.to_string(), 1)),
        }
    }
}

/// The pipeline's metrics registry.
#[derive(Debug)]
pub struct Telemetry {
    plugin_apply: HistogramFamily,
    plugin_fuel: HistogramFamily,
    plugin_faults: CounterFamily,
    stream_latency: HistogramFamily,
    positions: lag::Tracker,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Telemetry {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            plugin_apply: HistogramFamily::new(
                "veltrix_plugin_apply_seconds",
                "Wall time of one plugin apply call, by game type.",
                &["game_type"],
                histogram::SECONDS,
            ),
            plugin_fuel: HistogramFamily::new(
                "veltrix_plugin_fuel",
                "Fuel consumed by one plugin apply call that did not fault, by game type.",
                &["game_type"],
                histogram::FUEL,
            ),
            plugin_faults: CounterFamily::new(
                "veltrix_plugin_faults",
                "Plugin apply calls that faulted, by game type and fault code.",
                &["game_type", "code"],
            ),
            stream_latency: HistogramFamily::new(
                "veltrix_stream_latency_seconds",
                "Stream latency by family, topic and stage (polled: accepted -> consumer polled; \
                 acked: send -> stored; published: outbox row -> relay publish acked).",
                &["family", "topic", "stage"],
                histogram::SECONDS,
            ),
            positions: lag::Tracker::default(),
        }
    }

    /// Merges one batch of `game_type`'s plugin calls.
    pub fn plugin(&self, game_type: &str, s: &PluginSample) {
        if s.apply.count() > 0 {
            self.plugin_apply.with(&[game_type]).merge(&s.apply);
        }
        if s.fuel.count() > 0 {
            self.plugin_fuel.with(&[game_type]).merge(&s.fuel);
        }
        for (code, n) in &s.faults {
            self.plugin_faults.add(&[game_type, code], *n);
        }
    }

    /// The latency series of `topic` at `stage` (keep it: looking it up
    /// takes the family's lock).
    pub fn stream_latency(&self, family: Family, topic: &str, stage: Stage) -> Histogram {
        self.stream_latency
            .with(&[family_label(family), topic, stage.as_str()])
    }

    /// A consumer of group `group` polled `records` of `family` (now):
    /// records their accepted -> polled latency, and publishes the group's
    /// next offsets from `last_seen` (the highest offset read per
    /// partition) for [`Telemetry::consumer_lag`].
    pub fn polled(
        &self,
        family: Family,
        group: &str,
        records: &[Record],
        last_seen: &HashMap<(Arc<str>, u32), i64>,
    ) {
        let now = veltrix_streams::envelope::now_ms();
        let mut by_topic: Vec<(&Arc<str>, Sample)> = Vec::new();
        let mut parts: Vec<(Arc<str>, u32, i64)> = Vec::new();
        for r in records {
            let secs = timed::since_ms(r.envelope.ts_ms, now);
            match by_topic.iter_mut().find(|(t, _)| **t == r.topic) {
                Some((_, s)) => s.observe(secs),
                None => {
                    let mut s = Sample::new(histogram::SECONDS);
                    s.observe(secs);
                    by_topic.push((&r.topic, s));
                }
            }
            match parts
                .iter_mut()
                .find(|(t, p, _)| *p == r.partition && *t == r.topic)
            {
                Some(e) => e.2 = e.2.max(r.offset + 1),
                None => parts.push((r.topic.clone(), r.partition, r.offset + 1)),
            }
        }
        for (topic, s) in &by_topic {
            self.stream_latency(family, topic, Stage::Polled).merge(s);
        }
        for (topic, partition, next) in &mut parts {
            if let Some(seen) = last_seen.get(&(topic.clone(), *partition)) {
                *next = seen + 1;
            }
        }
        self.positions.advance(group, parts);
    }

    /// The relay published outbox rows `(topic, created_at_ms)` just now.
    pub fn published<'a>(&self, family: Family, rows: impl IntoIterator<Item = (&'a str, i64)>) {
        let now = veltrix_streams::envelope::now_ms();
        let mut by_topic: Vec<(&str, Sample)> = Vec::new();
        for (topic, created) in rows {
            let secs = timed::since_ms(created, now);
            match by_topic.iter_mut().find(|(t, _)| *t == topic) {
                Some((_, s)) => s.observe(secs),
                None => {
                    let mut s = Sample::new(histogram::SECONDS);
                    s.observe(secs);
                    by_topic.push((topic, s));
                }
            }
        }
        for (topic, s) in &by_topic {
            self.stream_latency(family, topic, Stage::Published)
                .merge(s);
        }
    }

    /// Lag per (group, topic) of the consumers that published positions;
    /// `None` when `streams` did not answer within `limit`.
    pub async fn consumer_lag(&self, streams: &dyn Streams, limit: Duration) -> Option<Vec<Lag>> {
        self.positions.lag(streams, limit).await
    }

    /// Adds every family to `registry` (a scrape's); `lag` as computed by
    /// [`Telemetry::consumer_lag`] (`None` leaves the gauge out rather than
    /// reporting zero).
    pub fn register(&self, registry: &mut Registry, lag: Option<&[Lag]>) {
        self.plugin_apply.register(registry);
        self.plugin_fuel.register(registry);
        self.plugin_faults.register(registry);
        self.stream_latency.register(registry);
        if let Some(lag) = lag {
            let gauge: PromFamily<family::Labels, Gauge> = PromFamily::default();
            for l in lag {
                let labels = vec![("group", l.group.clone()), ("topic", l.topic.clone())];
                gauge
                    .get_or_create(&labels)
                    .set(i64::try_from(l.records).unwrap_or(i64::MAX));
            }
            registry.register(
                "veltrix_consumer_lag",
                "Records not yet read by a consumer group, per topic (partitions this host consumed).",
                gauge,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veltrix_streams::Envelope;

    #[test]
    fn renders_plugin_stream_and_lag_families() {
        let t = Telemetry::new();
        let mut s = PluginSample::default();
        s.call(Duration::from_micros(300), Some(25_000));
        s.call(Duration::from_millis(3), Some(0));
        s.fault("trapped");
        s.fault("trapped");
        t.plugin("hunt", &s);

        let mut env = Envelope::new("t", "g", "k", Vec::new());
        env.ts_ms -= 20;
        let topic: Arc<str> = "game.v1.hunt".into();
        let rec = |offset| Record {
            topic: topic.clone(),
            partition: 1,
            offset,
            envelope: env.clone(),
        };
        let mut seen = HashMap::new();
        seen.insert((topic.clone(), 1), 8);
        t.polled(Family::Game, "proc", &[rec(7), rec(8)], &seen);
        t.published(Family::Reward, [("reward.v1.coin", env.ts_ms)]);

        let lag = [Lag {
            group: "proc".into(),
            topic: "game.v1.hunt".into(),
            records: 3,
        }];
        let mut reg = Registry::default();
        t.register(&mut reg, Some(&lag));
        let out = encode(&reg);
        for want in [
            "veltrix_plugin_apply_seconds_count{game_type=\"hunt\"} 2\n",
            "veltrix_plugin_apply_seconds_bucket{le=\"0.0005\",game_type=\"hunt\"} 1\n",
            // A call without fuel (the host answered) is not a fuel sample.
            "veltrix_plugin_fuel_count{game_type=\"hunt\"} 1\n",
            "veltrix_plugin_fuel_bucket{le=\"30000.0\",game_type=\"hunt\"} 1\n",
            "veltrix_plugin_faults_total{game_type=\"hunt\",code=\"trapped\"} 2\n",
            "veltrix_stream_latency_seconds_count{family=\"game\",topic=\"game.v1.hunt\",stage=\"polled\"} 2\n",
            "veltrix_stream_latency_seconds_count{family=\"reward\",topic=\"reward.v1.coin\",stage=\"published\"} 1\n",
            "# TYPE veltrix_consumer_lag gauge\n",
            "veltrix_consumer_lag{group=\"proc\",topic=\"game.v1.hunt\"} 3\n",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
        let mut reg = Registry::default();
        t.register(&mut reg, None);
        let without = encode(&reg);
        assert!(!without.contains("veltrix_consumer_lag"));
        assert_eq!(
            t.positions.groups.lock().expect("lock")["proc"][&(topic, 1)],
            9
        );
    }
}
