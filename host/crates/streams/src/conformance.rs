//! The conformance suite every stream backend must pass, run by
//! `host/tests/streams_*.rs` against the embedded log and a real broker.
//!
//! Each check creates its own topics under a unique prefix, so checks can
//! share a broker (and run concurrently) without seeing each other's data.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

use super::partition::partition_for;
use super::topics::{CleanupPolicy, Family, default_game, default_players};
use super::{EnsureOutcome, Envelope, EnvelopeError, Record, StreamError, Streams, TopicSpec};

/// How long a check waits for records that should arrive.
const PATIENCE: Duration = Duration::from_secs(60);

/// A delete-policy topic named `<prefix>.<name>` with `partitions`.
pub fn topic(prefix: &str, name: &str, partitions: u32) -> TopicSpec {
    let mut spec = default_game();
    spec.partitions = partitions;
    spec.retention_ms = 3_600_000;
    TopicSpec::new(Family::Game, &spec, &format!("{prefix}.{name}"))
        .with_name(format!("{prefix}.{name}"))
}

fn compacted(prefix: &str, name: &str) -> TopicSpec {
    let mut spec = default_players();
    spec.partitions = 2;
    TopicSpec::new(Family::Players, &spec, "").with_name(format!("{prefix}.{name}"))
}

/// An event for tenant `t`, key `k`, carrying `n` as its payload.
pub fn event(t: &str, k: &str, n: u64) -> Envelope {
    Envelope::new(t, k, "test.event", n.to_le_bytes().to_vec())
}

fn seq(r: &Record) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&r.envelope.payload[..8]);
    u64::from_le_bytes(b)
}

/// Sends and waits for every ack.
pub async fn send_all(
    s: &dyn Streams,
    topic: &str,
    events: &[Envelope],
) -> anyhow::Result<Vec<super::Delivered>> {
    let mut acks = Vec::with_capacity(events.len());
    for e in events {
        acks.push(s.send(topic, e)?);
    }
    let mut out = Vec::with_capacity(acks.len());
    for a in acks {
        out.push(a.await?);
    }
    Ok(out)
}

/// Polls until `n` records arrived (or [`PATIENCE`] ran out).
pub async fn poll_n(c: &mut dyn super::Consumer, n: usize) -> anyhow::Result<Vec<Record>> {
    let start = Instant::now();
    let mut got = Vec::new();
    while got.len() < n {
        ensure!(
            start.elapsed() < PATIENCE,
            "only {} of {n} records arrived within {PATIENCE:?}",
            got.len()
        );
        got.extend(c.poll(n - got.len(), Duration::from_millis(200)).await?);
    }
    Ok(got)
}

/// Runs every check; `prefix` must be unique per run on a shared broker.
pub async fn run_all(s: Arc<dyn Streams>, prefix: &str) -> anyhow::Result<()> {
    ensure_is_idempotent(&*s, prefix)
        .await
        .context("ensure_is_idempotent")?;
    keyed_order(&*s, prefix).await.context("keyed_order")?;
    refuses_bad_events(&*s, prefix)
        .await
        .context("refuses_bad_events")?;
    resume_after_commit(&*s, prefix)
        .await
        .context("resume_after_commit")?;
    independent_groups(&*s, prefix)
        .await
        .context("independent_groups")?;
    group_shares_partitions(&*s, prefix)
        .await
        .context("group_shares_partitions")?;
    read_by_offset(&*s, prefix)
        .await
        .context("read_by_offset")?;
    Ok(())
}

/// `ensure` creates, then reports `Exists`; other settings are `Differs`.
pub async fn ensure_is_idempotent(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "ensure", 3);
    let first = s.ensure(std::slice::from_ref(&t)).await?;
    ensure!(
        first[0].outcome == EnsureOutcome::Created,
        "first: {first:?}"
    );
    let again = s.ensure(std::slice::from_ref(&t)).await?;
    ensure!(
        again[0].outcome == EnsureOutcome::Exists,
        "second: {again:?}"
    );
    let mut other = t.clone();
    other.partitions = 5;
    let diff = s.ensure(&[other]).await?;
    ensure!(
        matches!(&diff[0].outcome, EnsureOutcome::Differs { differences } if !differences.is_empty()),
        "changed partitions: {diff:?}"
    );
    ensure!(s.partitions(&t.name).await? == 3, "partitions changed");
    Ok(())
}

/// Every event lands on its key's partition and arrives in send order per key.
pub async fn keyed_order(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "order", 4);
    s.ensure(std::slice::from_ref(&t)).await?;
    let events: Vec<Envelope> = (0..400u64)
        .map(|i| event("acme", &format!("game-{}", i % 10), i))
        .collect();
    let acks = send_all(s, &t.name, &events).await?;
    for (e, a) in events.iter().zip(&acks) {
        ensure!(
            a.partition == partition_for(e.key.as_bytes(), 4),
            "wrong partition"
        );
    }
    let mut c = s
        .subscribe(&format!("{prefix}.order.g"), std::slice::from_ref(&t.name))
        .await?;
    let got = poll_n(&mut *c, events.len()).await?;
    let mut per_key: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for r in &got {
        ensure!(
            r.partition == partition_for(r.envelope.key.as_bytes(), 4),
            "partition"
        );
        ensure!(*r.topic == *t.name, "topic");
        per_key.entry(&r.envelope.key).or_default().push(seq(r));
    }
    for (k, seqs) in &per_key {
        ensure!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "key {k} out of order: {seqs:?}"
        );
    }
    let sent: BTreeSet<&Envelope> = events.iter().collect();
    let received: BTreeSet<&Envelope> = got.iter().map(|r| &r.envelope).collect();
    ensure!(sent == received, "received events differ from sent ones");
    c.commit(&got).await?;
    Ok(())
}

/// Keyless, tenantless and oversize events are refused; nothing is stored.
pub async fn refuses_bad_events(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "bad", 1);
    let c = compacted(prefix, "bad-compact");
    ensure!(c.cleanup_policy == CleanupPolicy::Compact);
    s.ensure(&[t.clone(), c.clone()]).await?;
    for name in [&t.name, &c.name] {
        let mut keyless = event("acme", "k", 1);
        keyless.key.clear();
        let mut tenantless = event("acme", "k", 1);
        tenantless.tenant.clear();
        let huge = Envelope::new("acme", "k", "x", vec![0; 10 << 20]);
        for (e, want) in [
            (keyless, EnvelopeError::MissingKey),
            (tenantless, EnvelopeError::MissingTenant),
        ] {
            match s.send(name, &e) {
                Err(StreamError::Invalid(got)) if got == want => {}
                Err(other) => anyhow::bail!("{name}: expected {want:?}, got {other:?}"),
                Ok(_) => anyhow::bail!("{name}: {want:?} event was accepted"),
            }
        }
        ensure!(
            matches!(
                s.send(name, &huge),
                Err(StreamError::Invalid(EnvelopeError::TooLarge { .. }))
            ),
            "oversize accepted"
        );
        for p in 0..s.partitions(name).await? {
            ensure!(
                s.end_offset(name, p).await? == 0,
                "{name}: something was stored"
            );
        }
    }
    ensure!(
        matches!(
            s.send(&format!("{prefix}.nope"), &event("a", "k", 1)),
            Err(StreamError::UnknownTopic(_))
        ),
        "unknown topic accepted"
    );
    Ok(())
}

/// A new member resumes after the group's committed offsets: committed
/// records are not redelivered, uncommitted ones are.
pub async fn resume_after_commit(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "resume", 2);
    s.ensure(std::slice::from_ref(&t)).await?;
    let events: Vec<Envelope> = (0..60u64)
        .map(|i| event("acme", &format!("k{}", i % 6), i))
        .collect();
    send_all(s, &t.name, &events).await?;
    let group = format!("{prefix}.resume.g");
    let mut a = s.subscribe(&group, std::slice::from_ref(&t.name)).await?;
    let first = poll_n(&mut *a, events.len()).await?;
    // Commit only what precedes offset 10 on each partition.
    let done: Vec<Record> = first.iter().filter(|r| r.offset < 10).cloned().collect();
    a.commit(&done).await?;
    drop(a);
    let mut b = s.subscribe(&group, std::slice::from_ref(&t.name)).await?;
    let rest = poll_n(&mut *b, events.len() - done.len()).await?;
    let done_ids: BTreeSet<&str> = done.iter().map(|r| r.envelope.event_id.as_str()).collect();
    let rest_ids: BTreeSet<&str> = rest.iter().map(|r| r.envelope.event_id.as_str()).collect();
    ensure!(
        done_ids.is_disjoint(&rest_ids),
        "committed records were redelivered"
    );
    ensure!(
        done_ids.len() + rest_ids.len() == events.len(),
        "records lost"
    );
    let extra = b.poll(10, Duration::from_millis(500)).await?;
    ensure!(extra.is_empty(), "{} unexpected records", extra.len());
    Ok(())
}

/// Two groups each receive every record.
pub async fn independent_groups(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "groups", 2);
    s.ensure(std::slice::from_ref(&t)).await?;
    let events: Vec<Envelope> = (0..50u64)
        .map(|i| event("acme", &format!("k{i}"), i))
        .collect();
    send_all(s, &t.name, &events).await?;
    for g in ["one", "two"] {
        let mut c = s
            .subscribe(
                &format!("{prefix}.groups.{g}"),
                std::slice::from_ref(&t.name),
            )
            .await?;
        let got = poll_n(&mut *c, events.len()).await?;
        ensure!(
            got.len() == events.len(),
            "group {g}: {} records",
            got.len()
        );
    }
    Ok(())
}

/// Two members of one group split the partitions: together they see every
/// record, and no record goes to both.
pub async fn group_shares_partitions(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "share", 4);
    s.ensure(std::slice::from_ref(&t)).await?;
    let group = format!("{prefix}.share.g");
    let mut a = s.subscribe(&group, std::slice::from_ref(&t.name)).await?;
    let mut b = s.subscribe(&group, std::slice::from_ref(&t.name)).await?;
    // Let both join before anything is produced, so no rebalance moves a
    // partition mid-way (which would legitimately redeliver). A Kafka group
    // rebalance (join, sync, every member re-joining from its poll loop)
    // takes seconds, longer on a loaded machine: 3 s proved flaky there.
    let settle_for = Duration::from_secs(if s.backend() == "kafka" { 10 } else { 3 });
    let settle = Instant::now();
    while settle.elapsed() < settle_for {
        a.poll(1, Duration::from_millis(100)).await?;
        b.poll(1, Duration::from_millis(100)).await?;
    }
    let events: Vec<Envelope> = (0..200u64)
        .map(|i| event("acme", &format!("k{i}"), i))
        .collect();
    send_all(s, &t.name, &events).await?;
    let (mut ga, mut gb) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while ga.len() + gb.len() < events.len() && start.elapsed() < PATIENCE {
        ga.extend(a.poll(100, Duration::from_millis(50)).await?);
        gb.extend(b.poll(100, Duration::from_millis(50)).await?);
    }
    let ia: BTreeSet<&str> = ga.iter().map(|r| r.envelope.event_id.as_str()).collect();
    let ib: BTreeSet<&str> = gb.iter().map(|r| r.envelope.event_id.as_str()).collect();
    ensure!(
        ia.len() + ib.len() == events.len(),
        "got {} + {} of {}",
        ia.len(),
        ib.len(),
        events.len()
    );
    ensure!(ia.is_disjoint(&ib), "a record went to both members");
    ensure!(
        !ia.is_empty() && !ib.is_empty(),
        "one member got nothing ({} / {})",
        ia.len(),
        ib.len()
    );
    let pa: BTreeSet<u32> = ga.iter().map(|r| r.partition).collect();
    let pb: BTreeSet<u32> = gb.iter().map(|r| r.partition).collect();
    ensure!(pa.is_disjoint(&pb), "a partition went to both members");
    Ok(())
}

/// `end_offset` counts what was stored; `read` returns a partition from an
/// offset, in order.
pub async fn read_by_offset(s: &dyn Streams, prefix: &str) -> anyhow::Result<()> {
    let t = topic(prefix, "read", 1);
    s.ensure(std::slice::from_ref(&t)).await?;
    let events: Vec<Envelope> = (0..30u64).map(|i| event("acme", "one-key", i)).collect();
    let acks = send_all(s, &t.name, &events).await?;
    ensure!(
        acks.iter().enumerate().all(|(i, a)| a.offset == i as i64),
        "offsets {acks:?}"
    );
    ensure!(s.end_offset(&t.name, 0).await? == 30, "end offset");
    let tail = s.read(&t.name, 0, 25, 100).await?;
    ensure!(
        tail.len() == 5,
        "read {} records from offset 25",
        tail.len()
    );
    ensure!(tail.iter().map(seq).eq(25..30), "read order");
    ensure!(tail.iter().map(|r| r.offset).eq(25..30), "read offsets");
    ensure!(
        s.read(&t.name, 0, 30, 100).await?.is_empty(),
        "read past the end"
    );
    Ok(())
}
