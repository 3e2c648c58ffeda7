//! The outbox relay with the embedded streams backend: end to end, repeated
//! concurrent mints (fault b) and a relay killed mid-batch (fault d). Each
//! event must reach the stream exactly once.

use crate::store_common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use store_common::{DynStreams, TestDb, count, reward, reward_records, streams};
use tokio::sync::watch;
use veltrix_pipeline::outbox::{OutboxConfig, OutboxWriter, Relay};
use veltrix_store::Store;
use veltrix_streams::embedded::EmbeddedLog;
use veltrix_streams::{Ack, Consumer, EnsureReport, Envelope, StreamError, Streams, TopicSpec};

/// Runs a relay until the returned sender says stop.
fn spawn_relay(
    store: &Store,
    log: DynStreams,
    cfg: OutboxConfig,
    id: &str,
) -> (Arc<Relay>, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let relay = Arc::new(Relay::new(store.clone(), log, cfg, id));
    let (stop, rx) = watch::channel(false);
    let r = relay.clone();
    let task = tokio::spawn(async move { r.run(rx).await });
    (relay, stop, task)
}

async fn drained(store: &Store, within: Duration) {
    let t = Instant::now();
    while store.outbox_stats().await.unwrap().pending > 0 {
        assert!(t.elapsed() < within, "outbox not drained in {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn end_to_end(db: TestDb) {
    let store = db.store().await;
    let log = streams().await;
    let n = 120;
    for i in 0..n {
        store.mint(&reward("g-e2e", i)).await.unwrap();
    }
    // Events that have no ledger row go through the group-commit writer.
    let (writer, wtask) = OutboxWriter::spawn(store.clone(), &OutboxConfig::default());
    let mut subs = Vec::new();
    for i in 0..30 {
        let w = writer.clone();
        subs.push(tokio::spawn(async move {
            let e = Envelope::new("acme", format!("g{i}"), "game.note", b"{}".to_vec());
            w.submit("game.v1.scavenger", e).await
        }));
    }
    for s in subs {
        s.await.unwrap().unwrap();
    }
    drop(writer);
    wtask.await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap().pending, n as u64 + 30);

    let (relay, stop, task) =
        spawn_relay(&store, Arc::new(log.clone()), OutboxConfig::default(), "r1");
    drained(&store, Duration::from_secs(20)).await;
    let stats = relay.stats().await.unwrap();
    stop.send(true).unwrap();
    task.await.unwrap();
    let recs = reward_records(&log).await;
    let game: usize = {
        let mut c = 0;
        for p in 0..log.partitions("game.v1.scavenger").await.unwrap() {
            c += log
                .read("game.v1.scavenger", p, 0, usize::MAX)
                .await
                .unwrap()
                .len();
        }
        c
    };
    println!(
        "relay e2e [{:?}]: minted {n}, reward records {}, distinct {}, writer events 30, game records {game}, backlog {}, published {}",
        store.backend(),
        recs.values().sum::<usize>(),
        recs.len(),
        stats.backlog.pending,
        stats.published
    );
    assert_eq!(recs.len(), n);
    assert_eq!(recs.values().sum::<usize>(), n);
    assert_eq!(game, 30);
    assert_eq!(stats.backlog.pending, 0);
    db.finish(store).await;
}

/// Fault (b): every reward minted 2-5 times by concurrent tasks while the
/// relay runs.
async fn repeated_mints(db: TestDb) {
    let store = db.store().await;
    let log = streams().await;
    let (relay, stop, task) =
        spawn_relay(&store, Arc::new(log.clone()), OutboxConfig::default(), "rb");
    let n = 150;
    // A small LCG: random repeat counts without a rand dependency.
    let mut seed = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64)
        | 1;
    let mut tasks = Vec::new();
    let mut attempts = 0;
    for i in 0..n {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let repeats = 2 + (seed >> 33) as usize % 4;
        attempts += repeats;
        for _ in 0..repeats {
            let s = store.clone();
            tasks.push(tokio::spawn(
                async move { s.mint(&reward("g-dup", i)).await },
            ));
        }
    }
    let mut firsts = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().first {
            firsts += 1;
        }
    }
    drained(&store, Duration::from_secs(30)).await;
    let stats = relay.stats().await.unwrap();
    stop.send(true).unwrap();
    task.await.unwrap();
    let recs = reward_records(&log).await;
    let ledger = count(&store, "rewards").await as usize;
    let dups: usize = recs.values().map(|c| c - 1).sum();
    let lost = (0..n)
        .filter(|i| !recs.contains_key(&reward("g-dup", *i).id()))
        .count();
    println!(
        "fault b [{:?}]: attempts {attempts}, distinct {n}, first mints {firsts}, ledger rows {ledger}, outbox rows {}, stream records {}, duplicates {dups}, lost {lost}, backlog {}",
        store.backend(),
        count(&store, "outbox").await,
        recs.values().sum::<usize>(),
        stats.backlog.pending
    );
    assert_eq!((firsts, ledger, recs.len(), dups, lost), (n, n, n, 0, 0));
    db.finish(store).await;
}

/// Streams that store the first `k` sends and then never acknowledge
/// again: a relay stuck (then killed) in the middle of a batch.
struct HangAfter {
    inner: EmbeddedLog,
    k: usize,
    sent: AtomicUsize,
}

#[async_trait::async_trait]
impl Streams for HangAfter {
    fn backend(&self) -> &'static str {
        "hang-after"
    }
    async fn ensure(&self, topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError> {
        self.inner.ensure(topics).await
    }
    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError> {
        if self.sent.fetch_add(1, Ordering::SeqCst) < self.k {
            self.inner.send(topic, event)
        } else {
            Ok(Box::pin(futures::future::pending()))
        }
    }
    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError> {
        self.inner.subscribe(group, topics).await
    }
    async fn partitions(&self, topic: &str) -> Result<u32, StreamError> {
        self.inner.partitions(topic).await
    }
    async fn end_offset(&self, topic: &str, partition: u32) -> Result<i64, StreamError> {
        self.inner.end_offset(topic, partition).await
    }
    async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: i64,
        max: usize,
    ) -> Result<Vec<Record>, StreamError> {
        self.inner.read(topic, partition, from, max).await
    }
}

use veltrix_streams::Record;

/// Fault (d): relay A publishes k of a batch's n events and is killed
/// before marking any; relay B takes over after the lease expires, finds
/// the k on the stream, and publishes only the rest.
async fn relay_killed_mid_batch(db: TestDb) {
    let store = db.store().await;
    let log = streams().await;
    let (n, k) = (60, 25);
    for i in 0..n {
        store.mint(&reward("g-kill", i)).await.unwrap();
    }
    let cfg = OutboxConfig {
        relay_batch_size: n,
        ..OutboxConfig::default()
    };
    let hang = Arc::new(HangAfter {
        inner: log.clone(),
        k,
        sent: AtomicUsize::new(0),
    });
    let (_a, _stop_a, task_a) = spawn_relay(&store, hang.clone(), cfg.clone(), "relay-a");
    let t = Instant::now();
    while reward_records(&log).await.len() < k {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "relay A never published"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A is stuck awaiting acks, still renewing its lease; now it dies.
    tokio::time::sleep(Duration::from_millis(300)).await;
    task_a.abort();
    let _ = task_a.await;
    let killed = Instant::now();
    let pending_after_a = store.outbox_stats().await.unwrap().pending;

    let (b, stop_b, task_b) = spawn_relay(&store, Arc::new(log.clone()), cfg.clone(), "relay-b");
    while b.stats().await.unwrap().acquisitions == 0 {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "B never took over"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let takeover = killed.elapsed();
    drained(&store, Duration::from_secs(20)).await;
    let stats = b.stats().await.unwrap();
    stop_b.send(true).unwrap();
    task_b.await.unwrap();
    let recs = reward_records(&log).await;
    let dups: usize = recs.values().map(|c| c - 1).sum();
    let ids: HashSet<String> = (0..n).map(|i| reward("g-kill", i).id()).collect();
    let lost = ids.iter().filter(|id| !recs.contains_key(*id)).count();
    println!(
        "fault d [{:?}]: events {n}, A sent {k} then hung (sends attempted {}), pending after A {pending_after_a}, takeover {} ms after kill (lease {} ms), B epoch {:?}, B recovered {}, B published {}, stream records {}, distinct {}, duplicates {dups}, lost {lost}, backlog {}",
        store.backend(),
        hang.sent.load(Ordering::SeqCst),
        takeover.as_millis(),
        cfg.lease_ms,
        stats.epoch,
        stats.recovered,
        stats.published,
        recs.values().sum::<usize>(),
        recs.len(),
        stats.backlog.pending
    );
    assert_eq!(pending_after_a, n as u64, "A must not have marked anything");
    assert_eq!(stats.recovered, k as u64);
    assert_eq!(stats.published, (n - k) as u64);
    assert_eq!((recs.len(), dups, lost), (n, 0, 0));
    assert_eq!(stats.backlog.pending, 0);
    assert!(stats.epoch >= Some(2));
    db.finish(store).await;
}

/// The embedded log forgets everything on restart; stored watermarks then
/// point past its end. The relay resets them and keeps publishing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_log_restart_resets_watermarks_sqlite() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let first = streams().await;
    for i in 0..10 {
        store.mint(&reward("g-restart", i)).await.unwrap();
    }
    let (_r, stop, task) = spawn_relay(
        &store,
        Arc::new(first.clone()),
        OutboxConfig::default(),
        "r1",
    );
    drained(&store, Duration::from_secs(10)).await;
    stop.send(true).unwrap();
    task.await.unwrap();

    let second = streams().await;
    for i in 10..15 {
        store.mint(&reward("g-restart", i)).await.unwrap();
    }
    let (_r, stop, task) = spawn_relay(
        &store,
        Arc::new(second.clone()),
        OutboxConfig::default(),
        "r2",
    );
    drained(&store, Duration::from_secs(10)).await;
    stop.send(true).unwrap();
    task.await.unwrap();
    let (a, b) = (reward_records(&first).await, reward_records(&second).await);
    println!(
        "embedded restart: first log {} records, second log {} records",
        a.len(),
        b.len()
    );
    assert_eq!((a.len(), b.len()), (10, 5));
    db.finish(store).await;
}

crate::each_db!(relay_end_to_end => end_to_end);

crate::each_db!(fault_b_repeated_concurrent_mints => repeated_mints);

crate::each_db!(fault_d_relay_killed_mid_batch => relay_killed_mid_batch);
