//! The embedded log: the shared conformance suite, then what only it can
//! show quickly (retention and compaction on a short clock).

use std::sync::Arc;
use std::time::Duration;

use veltrix_host::streams::conformance::{self, event, send_all};
use veltrix_host::streams::embedded::EmbeddedLog;
use veltrix_host::streams::topics::{Family, default_game, default_players};
use veltrix_host::streams::{Streams, StreamsConfig, TopicSpec};

fn log() -> EmbeddedLog {
    EmbeddedLog::new(StreamsConfig::default())
}

#[tokio::test]
async fn conformance_suite() -> anyhow::Result<()> {
    conformance::run_all(Arc::new(log()), "conf").await
}

#[tokio::test]
async fn retention_drops_old_records() -> anyhow::Result<()> {
    let log = log();
    let mut spec = default_game();
    spec.partitions = 1;
    spec.retention_ms = 100;
    let t = TopicSpec::new(Family::Game, &spec, "ret");
    log.ensure(std::slice::from_ref(&t)).await?;
    let old: Vec<_> = (0..5).map(|i| event("acme", "k", i)).collect();
    send_all(&log, &t.name, &old).await?;
    tokio::time::sleep(Duration::from_millis(250)).await;
    send_all(&log, &t.name, &[event("acme", "k", 5)]).await?;
    log.maintain();
    let left = log.read(&t.name, 0, 0, 100).await?;
    assert_eq!(left.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![5]);
    // Offsets keep counting: retention never reuses one.
    assert_eq!(log.end_offset(&t.name, 0).await?, 6);
    Ok(())
}

#[tokio::test]
async fn compaction_keeps_latest_per_key() -> anyhow::Result<()> {
    let log = log();
    let mut spec = default_players();
    spec.partitions = 1;
    let t = TopicSpec::new(Family::Players, &spec, "");
    log.ensure(std::slice::from_ref(&t)).await?;
    let events: Vec<_> = (0..9)
        .map(|i| event("acme", &format!("p{}", i % 3), i))
        .collect();
    send_all(&log, &t.name, &events).await?;
    log.maintain();
    let left = log.read(&t.name, 0, 0, 100).await?;
    let kept: Vec<(String, i64)> = left
        .iter()
        .map(|r| (r.envelope.key.clone(), r.offset))
        .collect();
    assert_eq!(
        kept,
        vec![("p0".into(), 6), ("p1".into(), 7), ("p2".into(), 8)]
    );
    // A group that starts now reads only the compacted view.
    let mut c = log.subscribe("feed", std::slice::from_ref(&t.name)).await?;
    assert_eq!(c.poll(100, Duration::from_millis(100)).await?.len(), 3);
    Ok(())
}
