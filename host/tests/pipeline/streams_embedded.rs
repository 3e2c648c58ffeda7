//! The embedded log: the shared conformance suite, then what only it can
//! show quickly (retention and compaction on a short clock).

use std::sync::Arc;
use std::time::Duration;

use veltrix_clock::Clock;
use veltrix_streams::conformance::{self, event, send_all};
use veltrix_streams::embedded::EmbeddedLog;
use veltrix_streams::topics::{Family, default_game, default_players};
use veltrix_streams::{Streams, StreamsConfig, TopicSpec};

fn log() -> EmbeddedLog {
    EmbeddedLog::new(StreamsConfig::default())
}

#[tokio::test]
async fn conformance_suite() -> anyhow::Result<()> {
    conformance::run_all(Arc::new(log()), "conf").await
}

#[tokio::test]
async fn retention_drops_old_records() -> anyhow::Result<()> {
    // Retention is decided by the log's clock: moved, not slept through.
    let (clock, hands) = Clock::manual_from_now();
    let log = log().with_clock(clock);
    let mut spec = default_game();
    spec.partitions = 1;
    spec.retention_ms = 100;
    let t = TopicSpec::new(Family::Game, &spec, "ret");
    log.ensure(std::slice::from_ref(&t)).await?;
    let old: Vec<_> = (0..5).map(|i| event("acme", "k", i)).collect();
    send_all(&log, &t.name, &old).await?;
    hands.advance(Duration::from_millis(250));
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

#[tokio::test]
async fn conformance_suite_on_disk() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let log = EmbeddedLog::open(StreamsConfig::default(), dir.path())?;
    conformance::run_all(Arc::new(log), "disk").await
}

/// What a restarted single-node host relies on: records, offsets and
/// committed group positions come back from disk; retention and
/// compaction hold across a reopen without offsets ever going back; a
/// second process cannot open the same log.
#[tokio::test]
async fn a_reopened_log_resumes_records_offsets_and_groups() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut spec = default_game();
    spec.partitions = 2;
    let t = TopicSpec::new(Family::Game, &spec, "dur");
    let mut pspec = default_players();
    pspec.partitions = 1;
    let p = TopicSpec::new(Family::Players, &pspec, "");
    let topics = [t.clone(), p.clone()];
    let events: Vec<_> = (0..20)
        .map(|i| event("acme", &format!("g{}", i % 4), i))
        .collect();
    {
        let log = EmbeddedLog::open(StreamsConfig::default(), dir.path())?;
        log.ensure(&topics).await?;
        send_all(&log, &t.name, &events).await?;
        let deltas: Vec<_> = (0..6)
            .map(|i| event("acme", &format!("acme/g/p{}", i % 2), i))
            .collect();
        send_all(&log, &p.name, &deltas).await?;
        let mut c = log.subscribe("grp", std::slice::from_ref(&t.name)).await?;
        let got = conformance::poll_n(c.as_mut(), 20).await?;
        // Commit only the first 12 consumed.
        c.commit(&got[..12]).await?;
        // A second process on the same directory is refused.
        assert!(EmbeddedLog::open(StreamsConfig::default(), dir.path()).is_err());
    }
    let log = EmbeddedLog::open(StreamsConfig::default(), dir.path())?;
    log.ensure(&topics).await?;
    let mut total = 0;
    for part in 0..2 {
        let recs = log.read(&t.name, part, 0, 100).await?;
        total += recs.len();
        assert_eq!(
            log.end_offset(&t.name, part).await?,
            recs.len() as i64,
            "offsets continue where they were"
        );
    }
    assert_eq!(total, 20);
    // The group resumes after its commit: what it had not committed
    // comes again, nothing committed does.
    let mut c = log.subscribe("grp", std::slice::from_ref(&t.name)).await?;
    let again = conformance::poll_n(c.as_mut(), 8).await?;
    assert_eq!(again.len(), 8);
    assert!(c.poll(10, Duration::from_millis(100)).await?.is_empty());
    // The compacted topic kept the latest delta per key.
    log.maintain();
    let kept = log.read(&p.name, 0, 0, 100).await?;
    assert_eq!(
        kept.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![4, 5]
    );
    // New records take new offsets.
    send_all(&log, &t.name, &[event("acme", "g0", 99)]).await?;
    let part = veltrix_streams::partition::partition_for(b"g0", 2);
    let end = log.end_offset(&t.name, part).await?;
    let last = log.read(&t.name, part, end - 1, 1).await?;
    assert_eq!(last[0].envelope.key, "g0");
    Ok(())
}
