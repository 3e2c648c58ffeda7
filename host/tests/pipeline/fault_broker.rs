//! Fault (a): kill -9 the broker while rewards are being minted, restart
//! it, and count: every minted reward must reach its reward topic exactly
//! once (lost = 0, duplicated = 0). Prints the counts and the drain time.
//!
//! Runs its own Tansu (SQLite storage, so data survives the kill) on a free
//! port, so the shared CI broker is never disturbed; the ledger is a fresh
//! Postgres database.

use crate::broker;
use crate::store_common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use broker::PrivateBroker;
use store_common::{TestDb, reward};
use tokio::sync::watch;
use veltrix_kafka::KafkaConfig;
use veltrix_kafka::KafkaStreams;
use veltrix_pipeline::outbox::{OutboxConfig, Relay};
use veltrix_store::Store;
use veltrix_streams::topics::Compression;
use veltrix_streams::{Family, Streams, StreamsConfig};

const REWARDS: usize = 3_000;

fn configs(
    brokers: String,
    message_timeout_ms: u64,
    producer_retries: bool,
) -> (StreamsConfig, KafkaConfig) {
    let mut s = StreamsConfig::default();
    if !producer_retries {
        // Tansu 0.6 panics in its storage layer when an idempotent producer
        // bumps its epoch after timed-out deliveries (no row for the new
        // epoch in `producer_select_for_update`), and then serves nothing.
        // So this variant turns the producer's retries off instead: every
        // failure reaches the relay, whose recovery scan must then find
        // what did land, with no help from broker-side deduplication.
        s.reward.idempotent = false;
    }
    s.reward.partitions = 4;
    // Tansu cannot serve snappy batches back (docs/streams.md).
    s.reward.compression = Compression::Zstd;
    let k = KafkaConfig {
        brokers,
        message_timeout_ms,
        producer: if producer_retries {
            Default::default()
        } else {
            [("message.send.max.retries".to_string(), "0".to_string())].into()
        },
        ..KafkaConfig::default()
    };
    (s, k)
}

/// Event id -> records carrying it, over every reward topic, read back
/// through a fresh client.
async fn stream_counts(
    s: &dyn Streams,
    cfg: &StreamsConfig,
) -> anyhow::Result<HashMap<String, usize>> {
    let mut out = HashMap::new();
    for ty in &cfg.reward_types {
        let topic = cfg.topic(Family::Reward, ty);
        for p in 0..s.partitions(&topic).await? {
            let end = s.end_offset(&topic, p).await?;
            let mut from = 0;
            while from < end {
                let batch = s.read(&topic, p, from, 1_000).await?;
                ensure!(
                    !batch.is_empty(),
                    "{topic}/{p}: read stalled at {from} of {end}"
                );
                from = batch.last().map_or(end, |r| r.offset + 1);
                for r in batch {
                    *out.entry(r.envelope.event_id).or_insert(0) += 1;
                }
            }
        }
    }
    Ok(out)
}

async fn pending(store: &Store) -> u64 {
    store
        .outbox_stats()
        .await
        .map(|s| s.pending)
        .unwrap_or(u64::MAX)
}

/// The producer's own retries ride out the outage (deliveries wait for the
/// broker to come back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_a_broker_killed_producer_rides_it_out() -> anyhow::Result<()> {
    broker_killed_while_minting("rides out", 60_000).await
}

/// Deliveries fail during the outage (no producer retries, 1 s timeout), so
/// the relay sees the failures and must run its recovery scan: what reached
/// the log is marked, not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_a_broker_killed_deliveries_fail() -> anyhow::Result<()> {
    broker_killed_while_minting("deliveries fail", 1_000).await
}

async fn broker_killed_while_minting(label: &str, message_timeout_ms: u64) -> anyhow::Result<()> {
    let mut broker = PrivateBroker::start()?;
    let retries = message_timeout_ms > 10_000;
    let (scfg, kcfg) = configs(broker.brokers(), message_timeout_ms, retries);
    let streams: Arc<dyn Streams> = Arc::new(
        KafkaStreams::connect(&scfg, &kcfg)
            .await
            .with_context(|| format!("private broker: {}", broker.log_tail()))?,
    );
    streams.ensure(&scfg.topics()).await?;
    let db = TestDb::postgres().await;
    let store = db.store().await.with_topics(&scfg);

    let relay = Arc::new(Relay::new(
        store.clone(),
        streams.clone(),
        OutboxConfig::default(),
        "relay-a",
    ));
    let (stop, rx) = watch::channel(false);
    let r = relay.clone();
    let relay_task = tokio::spawn(async move { r.run(rx).await });

    // Mint at a steady pace so the kill lands mid-stream.
    let minter_store = store.clone();
    let minter = tokio::spawn(async move {
        let mut ids = Vec::with_capacity(REWARDS);
        for chunk in (0..REWARDS).collect::<Vec<_>>().chunks(50) {
            let batch: Vec<_> = chunk.iter().map(|&i| reward("g-fault-a", i)).collect();
            for m in minter_store.mint_batch(&batch).await? {
                ids.push(m.row.reward_id);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        anyhow::Ok(ids)
    });

    tokio::time::sleep(Duration::from_millis(700)).await;
    let backlog_at_kill = pending(&store).await;
    tokio::task::block_in_place(|| broker.kill9())?;
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let backlog_before_restart = pending(&store).await;
    tokio::task::block_in_place(|| broker.restart())?;
    let restarted = Instant::now();

    let minted = minter.await.context("minter")??;
    let deadline = Instant::now() + Duration::from_secs(120);
    while pending(&store).await > 0 {
        ensure!(
            Instant::now() < deadline,
            "outbox not drained 120 s after the restart ({} pending); broker log:\n{}",
            pending(&store).await,
            broker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = restarted.elapsed();
    stop.send(true)?;
    relay_task.await?;
    let stats = relay.stats().await?;

    // Count through a new client, as a consumer would.
    let reader = KafkaStreams::connect(&scfg, &kcfg).await?;
    let counts = stream_counts(&reader, &scfg).await?;
    let lost = minted.iter().filter(|id| !counts.contains_key(*id)).count();
    let duplicated: usize = counts.values().map(|n| n - 1).sum();
    let unknown = counts.keys().filter(|id| !minted.contains(id)).count();
    println!(
        "fault a ({label}): minted {}, on stream {} distinct / {} records, lost {lost}, duplicated {duplicated}, \
         backlog at kill {backlog_at_kill}, before restart {backlog_before_restart} ({:.1} s down), \
         drained {:.2} s after restart, relay recovered {} published {} errors {}",
        minted.len(),
        counts.len(),
        counts.values().sum::<usize>(),
        (restarted - killed).as_secs_f64(),
        drain.as_secs_f64(),
        stats.recovered,
        stats.published,
        stats.errors,
    );
    ensure!(minted.len() == REWARDS, "minted {}", minted.len());
    // The fault really happened: the broker was down under a backlog that
    // only its return could drain (and, without producer retries, the
    // relay saw deliveries fail).
    ensure!(
        backlog_before_restart > 0,
        "the kill hit no backlog (at kill {backlog_at_kill})"
    );
    ensure!(
        retries || stats.errors > 0,
        "no delivery failed while the broker was down"
    );
    ensure!(lost == 0, "{lost} rewards lost");
    ensure!(duplicated == 0, "{duplicated} duplicate records");
    ensure!(unknown == 0, "{unknown} records that were never minted");
    store.close().await;
    db.finish(store).await;
    Ok(())
}
