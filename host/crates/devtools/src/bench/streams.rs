//! `veltrix bench streams`: per family and backend, produce N envelopes
//! through [`Streams`] while a concurrent task consumes them through a
//! [`Consumer`]; throughput runs from the first send to the last receive,
//! latency is produce -> consume (send time carried in the payload; paced
//! with `--rate`, the due time). On Kafka the same is done with raw
//! rdkafka (same producer settings, plain bytes) to show what our layer
//! costs: `ours/raw` should stay >= 0.8.
//!
//! Each run first sends one warm-up record and waits for it, so consumer
//! group joins (seconds on Kafka) are not measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt as _;
use hdrhistogram::Histogram;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::producer::{FutureProducer, FutureRecord};

use veltrix_kafka::KafkaConfig;
use veltrix_kafka::client::base_config;
use veltrix_kafka::consumer::ASSIGNMENT_STRATEGY;
use veltrix_kafka::producer::{family_name, producer_config};
use veltrix_server::config::HostConfig;
use veltrix_streams::{
    BackendKind, Envelope, Family, StreamError, Streams, StreamsConfig, TopicSpec,
};

pub use super::row::Row;

/// Payload size of every benchmark record.
pub const PAYLOAD_BYTES: usize = 200;
/// A run fails when nothing arrives for this long.
const STALL: Duration = Duration::from_secs(30);

/// The families, in table order.
pub const FAMILIES: [Family; 4] = [Family::Game, Family::Quest, Family::Reward, Family::Players];

/// Microseconds since the Unix epoch (the clock both ends share).
fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn payload(seq: u64) -> Vec<u8> {
    let mut p = vec![0u8; PAYLOAD_BYTES];
    p[..8].copy_from_slice(&now_us().to_le_bytes());
    p[8..16].copy_from_slice(&seq.to_le_bytes());
    p
}

/// Record `i`'s payload; paced (`rate` > 0), it carries its due time
/// (`epoch0_us + i / rate`), so latency counts from when it was due.
fn paced(i: u64, epoch0_us: u64, rate: u64) -> Vec<u8> {
    let mut p = payload(i);
    if rate > 0 {
        let due = epoch0_us + (i as f64 * 1e6 / rate as f64) as u64;
        p[..8].copy_from_slice(&due.to_le_bytes());
    }
    p
}

fn sent_us(p: &[u8]) -> u64 {
    p.get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

/// Latency histogram in microseconds (1 us .. 10 min).
/// Open-loop pacing: record `i` is due at `start + i / rate`, whatever the
/// consumer does, so latency is not hidden by back-pressure (`rate` 0: as
/// fast as the producer enqueues, a throughput test).
async fn pace(start: tokio::time::Instant, i: u64, rate: u64) {
    if rate > 0 {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate as f64)).await;
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

fn row(
    backend: &str,
    f: Family,
    client: &str,
    n: usize,
    elapsed: Duration,
    h: &Histogram<u64>,
) -> Row {
    let secs = elapsed.as_secs_f64().max(1e-9);
    Row {
        backend: backend.into(),
        family: family_name(f).into(),
        client: client.into(),
        messages: n,
        seconds: secs,
        msgs_per_sec: n as f64 / secs,
        p50_ms: h.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        vs_raw: None,
    }
}

/// The benchmark topic of family `f` for run `run`, shaped like the
/// family's pattern so it gets the family's tuning.
fn bench_topic(streams: &StreamsConfig, f: Family, run: &str, client: &str) -> TopicSpec {
    let ty = format!("bench-{run}-{client}");
    let spec = TopicSpec::new(f, streams.family(f), &ty);
    if f == Family::Players {
        let name = format!("{}.{ty}", spec.name);
        spec.with_name(name)
    } else {
        spec
    }
}

/// Through our traits: one row.
pub async fn ours(
    s: Arc<dyn Streams>,
    streams: &StreamsConfig,
    f: Family,
    n: usize,
    rate: u64,
    run: &str,
) -> anyhow::Result<Row> {
    let t = bench_topic(streams, f, run, "ours");
    s.ensure(std::slice::from_ref(&t)).await?;
    let mut c = s
        .subscribe(&format!("{}-g", t.name), std::slice::from_ref(&t.name))
        .await?;
    // Warm-up: the consumer has joined once this record comes back.
    let warm = Envelope::new("bench", "warm", "bench.warm", payload(u64::MAX));
    s.send(&t.name, &warm)?.await?;
    let mut seen = 0;
    let start = Instant::now();
    while seen == 0 {
        seen += c.poll(10, Duration::from_millis(200)).await?.len();
        if start.elapsed() > STALL {
            bail!("warm-up record never arrived on {}", t.name);
        }
    }
    let consumer = tokio::spawn(async move {
        let mut h = histogram();
        let mut got = 0;
        let mut last = Instant::now();
        while got < n {
            let batch = c.poll(1000, Duration::from_millis(100)).await?;
            if batch.is_empty() && last.elapsed() > STALL {
                bail!("consumer stalled after {got} of {n} records");
            }
            let now = now_us();
            for r in &batch {
                h.saturating_record(now.saturating_sub(sent_us(&r.envelope.payload)).max(1));
            }
            got += batch.len();
            // No commits: the raw side does not commit either, so both
            // measure the same produce -> consume path.
            if !batch.is_empty() {
                last = Instant::now();
            }
        }
        Ok::<_, anyhow::Error>((Instant::now(), h))
    });
    let start = Instant::now();
    let mut acks = Vec::with_capacity(n);
    let (t0, epoch0) = (tokio::time::Instant::now(), now_us());
    for i in 0..n as u64 {
        pace(t0, i, rate).await;
        let e = Envelope::new(
            "bench",
            format!("k{}", i % 1000),
            "bench.event",
            paced(i, epoch0, rate),
        );
        loop {
            match s.send(&t.name, &e) {
                Ok(a) => break acks.push(a),
                Err(StreamError::Backpressure) => {
                    tokio::time::sleep(Duration::from_millis(1)).await
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    for a in futures::future::join_all(acks).await {
        a?;
    }
    let (end, h) = consumer.await.context("consumer task")??;
    Ok(row(s.backend(), f, "veltrix", n, end - start, &h))
}

/// Raw rdkafka, same producer settings, plain bytes: one row.
pub async fn raw(
    s: &dyn Streams,
    streams: &StreamsConfig,
    kafka: &KafkaConfig,
    f: Family,
    n: usize,
    rate: u64,
    run: &str,
) -> anyhow::Result<Row> {
    Ok(raw_histogram(s, streams, kafka, f, n, rate, run).await?.0)
}

/// [`raw`], with its latency histogram (us). Paced (`rate` > 0), latency
/// counts from each record's due time, like `bench pipeline`'s.
pub async fn raw_histogram(
    s: &dyn Streams,
    streams: &StreamsConfig,
    kafka: &KafkaConfig,
    f: Family,
    n: usize,
    rate: u64,
    run: &str,
) -> anyhow::Result<(Row, Histogram<u64>)> {
    let t = bench_topic(streams, f, run, "raw");
    s.ensure(std::slice::from_ref(&t)).await?;
    let spec = streams.family(f);
    let producer: FutureProducer = producer_config(kafka, f, spec).create()?;
    let consumer: StreamConsumer = base_config(kafka, "bench-raw")
        .set("group.id", format!("{}-g", t.name))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", spec.fetch_wait_max_ms.to_string())
        .set("session.timeout.ms", kafka.session_timeout_ms.to_string())
        .set("partition.assignment.strategy", ASSIGNMENT_STRATEGY)
        .create()?;
    consumer.subscribe(&[&t.name])?;
    let send = |key: String, value: Vec<u8>| {
        let p = &producer;
        let topic = t.name.clone();
        async move {
            p.send(
                FutureRecord::to(&topic).key(&key).payload(&value),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| anyhow::anyhow!("raw send: {e}"))
        }
    };
    send("warm".into(), payload(u64::MAX)).await?;
    tokio::time::timeout(STALL, consumer.recv())
        .await
        .context("raw warm-up record never arrived")??;
    let consumer = Arc::new(consumer);
    let c = consumer.clone();
    let task = tokio::spawn(async move {
        let mut h = histogram();
        let mut stream = c.stream();
        for got in 0..n {
            let m = tokio::time::timeout(STALL, stream.next())
                .await
                .map_err(|_| anyhow::anyhow!("raw consumer stalled after {got} of {n}"))?
                .context("stream ended")??;
            let lat = now_us().saturating_sub(sent_us(m.payload().unwrap_or_default()));
            h.saturating_record(lat.max(1));
        }
        Ok::<_, anyhow::Error>((Instant::now(), h))
    });
    let start = Instant::now();
    let mut acks = Vec::with_capacity(n);
    let (t0, epoch0) = (tokio::time::Instant::now(), now_us());
    for i in 0..n as u64 {
        pace(t0, i, rate).await;
        let key = format!("k{}", i % 1000);
        let value = paced(i, epoch0, rate);
        let record = FutureRecord::to(&t.name).key(&key).payload(&value);
        match producer.send_result(record) {
            Ok(d) => acks.push(d),
            Err((e, _)) => bail!("raw enqueue: {e}"),
        }
    }
    for a in futures::future::join_all(acks).await {
        a?.map_err(|(e, _)| anyhow::anyhow!("raw delivery: {e}"))?;
    }
    let (end, h) = task.await.context("raw consumer task")??;
    Ok((row("kafka", f, "rdkafka", n, end - start, &h), h))
}

/// Every row for `backends`, progress on stderr.
pub async fn run(
    config: &HostConfig,
    backends: &[BackendKind],
    n: usize,
    rate: u64,
) -> anyhow::Result<Vec<Row>> {
    let (streams, kafka) = (&config.streams, &config.kafka);
    let run_id = format!("{}-{}", now_us() / 1000, std::process::id());
    let mut rows = Vec::new();
    for &b in backends {
        let mut cfg = streams.clone();
        cfg.backend = b;
        // The embedded log on disk, in a directory of its own.
        let dir = tempfile::tempdir()?;
        cfg.embedded_dir = dir.path().display().to_string();
        let s = veltrix_server::open_streams(&cfg, kafka, "").await?;
        for f in FAMILIES {
            let mut ours = ours(s.clone(), &cfg, f, n, rate, &run_id)
                .await
                .with_context(|| format!("{:?} {}", b, family_name(f)))?;
            let raw = if b == BackendKind::Kafka {
                let r = raw(&*s, &cfg, kafka, f, n, rate, &run_id)
                    .await
                    .with_context(|| format!("raw rdkafka {}", family_name(f)))?;
                ours.vs_raw = Some(ours.msgs_per_sec / r.msgs_per_sec);
                Some(r)
            } else {
                None
            };
            for r in std::iter::once(ours).chain(raw) {
                eprintln!("{}", progress(&r));
                rows.push(r);
            }
        }
        let outbox = super::outbox::rows(s, &cfg, &config.database, &config.outbox, n, &run_id)
            .await
            .with_context(|| format!("{b:?} outbox"))?;
        for r in outbox {
            eprintln!("{}", progress(&r));
            rows.push(r);
        }
    }
    // The database alone: a processor batch's writes, three ways.
    let batch = config.processor.poll_batch;
    let commit = super::commit::rows(streams, &config.database, n, batch, &run_id)
        .await
        .context("batch commit")?;
    for r in commit {
        eprintln!("{}", progress(&r));
        rows.push(r);
    }
    Ok(rows)
}

fn progress(r: &Row) -> String {
    format!(
        "{} {} {}: {:.0} msgs/s, p50 {} ms, p99 {} ms",
        r.backend,
        r.family,
        r.client,
        r.msgs_per_sec,
        ms(r.p50_ms),
        ms(r.p99_ms)
    )
}

/// A latency cell: `-` where the row measures a rate only.
fn ms(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| backend | family | client | messages | msgs/s | p50 ms | p99 ms | ours/raw |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} |\n",
            r.backend,
            r.family,
            r.client,
            r.messages,
            r.msgs_per_sec,
            ms(r.p50_ms),
            ms(r.p99_ms),
            r.vs_raw.map_or("-".into(), |v| format!("{v:.2}"))
        ));
    }
    s
}
