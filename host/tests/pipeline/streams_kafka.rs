//! The shared conformance suite against a real broker at
//! `VELTRIX_KAFKA_BROKERS` (default `127.0.0.1:9092`; `.ci/broker start`
//! runs one). An unreachable broker fails the test: CI starts it.

use std::sync::Arc;

use veltrix_kafka::KafkaConfig;
use veltrix_kafka::KafkaStreams;
use veltrix_streams::conformance;
use veltrix_streams::topics::Compression;
use veltrix_streams::{EnsureOutcome, Family, StreamError, Streams, StreamsConfig, TopicSpec};

fn kafka_config() -> KafkaConfig {
    let mut k = KafkaConfig::default();
    if let Ok(b) = std::env::var("VELTRIX_KAFKA_BROKERS") {
        k.brokers = b;
    }
    k.request_timeout_ms = 5_000;
    k
}

/// Unique per run, so runs can share a broker.
fn prefix() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("conf-{ms}-{}", std::process::id())
}

async fn connect() -> KafkaStreams {
    connect_with(&StreamsConfig::default()).await
}

async fn connect_with(cfg: &StreamsConfig) -> KafkaStreams {
    let k = kafka_config();
    match KafkaStreams::connect(cfg, &k).await {
        Ok(s) => s,
        Err(e) => panic!(
            "no Kafka broker at {} ({e}); start one with `.ci/broker start` \
             or point VELTRIX_KAFKA_BROKERS at one",
            k.brokers
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() -> anyhow::Result<()> {
    let s = connect().await;
    conformance::run_all(Arc::new(s), &prefix()).await
}

#[tokio::test]
async fn unreachable_broker_is_unavailable() {
    let k = KafkaConfig {
        // Nothing listens on port 1.
        brokers: "127.0.0.1:1".into(),
        request_timeout_ms: 1_000,
        ..KafkaConfig::default()
    };
    let r = KafkaStreams::connect(&StreamsConfig::default(), &k).await;
    assert!(
        matches!(r, Err(StreamError::Unavailable(_))),
        "{:?}",
        r.err()
    );
}

/// Every family's producer tuning (lz4, zstd, the idempotent reward
/// producer) round-trips through the broker, and `ensure` of an existing
/// family topic reports `Exists` (configs compared where the broker
/// describes them).
///
/// The reward family's default codec, snappy, is replaced by zstd here:
/// Tansu 0.6 stores snappy batches but cannot decode them when serving a
/// fetch (it logs `UnexpectedType("Snappy")` and drops the connection), so
/// consumers would never see them. Real Kafka reads snappy; see
/// docs/streams.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_round_trips() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let mut cfg = StreamsConfig::default();
    // The producer compresses with its family's codec, whatever the topic
    // says (Kafka would recompress to the topic's codec; Tansu stores the
    // batch as sent), so the override goes into the config.
    cfg.reward.compression = Compression::Zstd;
    let s = connect_with(&cfg).await;
    let p = prefix();
    for f in [Family::Game, Family::Quest, Family::Reward, Family::Players] {
        let mut spec = cfg.family(f).clone();
        spec.partitions = 2;
        // Pattern-shaped names, so the family is also found by pattern.
        spec.topic = spec.topic.replace("players", "players-{type}");
        let t = TopicSpec::new(f, &spec, &p);
        let first = s.ensure(std::slice::from_ref(&t)).await?;
        assert_eq!(first[0].outcome, EnsureOutcome::Created, "{f:?}");
        let again = s.ensure(std::slice::from_ref(&t)).await?;
        assert_eq!(again[0].outcome, EnsureOutcome::Exists, "{f:?}: {again:?}");
        let events: Vec<_> = (0..20u64)
            .map(|i| conformance::event("acme", &format!("k{i}"), i))
            .collect();
        conformance::send_all(&s, &t.name, &events).await?;
        let mut c = s
            .subscribe(&format!("{p}.{f:?}.g"), std::slice::from_ref(&t.name))
            .await?;
        let got = conformance::poll_n(&mut *c, events.len()).await?;
        assert_eq!(got.len(), events.len(), "{f:?}");
        c.commit(&got).await?;
    }
    Ok(())
}
