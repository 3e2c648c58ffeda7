//! The shared conformance suite against a real broker at
//! `VELTRIX_KAFKA_BROKERS` (default `127.0.0.1:9092`; `.ci/broker start`
//! runs one). An unreachable broker fails the test: CI starts it.

use std::sync::Arc;

use veltrix_host::streams::conformance;
use veltrix_host::streams::kafka::KafkaStreams;
use veltrix_host::streams::{KafkaConfig, StreamError, StreamsConfig};

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
    let k = kafka_config();
    match KafkaStreams::connect(&StreamsConfig::default(), &k).await {
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
