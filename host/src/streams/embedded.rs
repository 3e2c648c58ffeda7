//! The embedded log: Kafka's model in process memory, for the default mode
//! (no servers). Topics have partitions; a key always maps to the same
//! partition ([`partition_for`]); consumer groups share partitions among
//! their members and resume from committed offsets; delete-policy topics
//! drop records past their retention and compacted topics keep the latest
//! record per key.
//!
//! Records live in memory only: durability in embedded mode comes from the
//! SQLite store (the outbox republishes anything not yet marked published).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use super::envelope::now_ms;
use super::partition::partition_for;
use super::{
    Ack, CleanupPolicy, Consumer, Delivered, EnsureOutcome, EnsureReport, Envelope, Record,
    StreamError, Streams, StreamsConfig, TopicSpec,
};

/// The in-process log. Cheap to clone; clones share the log.
#[derive(Clone)]
pub struct EmbeddedLog {
    inner: Arc<Shared>,
}

struct Shared {
    max_payload: usize,
    maintenance_ms: i64,
    topics: RwLock<HashMap<String, Arc<Topic>>>,
    groups: Mutex<HashMap<String, Arc<Mutex<Group>>>>,
    next_member: AtomicU64,
}

struct Topic {
    name: Arc<str>,
    spec: TopicSpec,
    parts: Vec<Mutex<PartLog>>,
    /// Bumped on every append: consumers wait on it.
    appended: watch::Sender<u64>,
}

#[derive(Default)]
struct PartLog {
    next: i64,
    records: BTreeMap<i64, (i64, Envelope)>,
    /// Compacted topics: the latest offset of each key.
    latest: HashMap<String, i64>,
    maintained_ms: i64,
}

#[derive(Default)]
struct Group {
    generation: u64,
    /// Member id -> subscribed topics.
    members: BTreeMap<u64, Vec<String>>,
    committed: HashMap<(String, u32), i64>,
}

impl Group {
    /// Partitions of `topic` owned by `member`: partition p goes to the
    /// (p mod n)-th of the n members subscribed to the topic.
    fn owned(&self, member: u64, topic: &str, partitions: u32) -> Vec<u32> {
        let subs: Vec<u64> = self
            .members
            .iter()
            .filter(|(_, ts)| ts.iter().any(|t| t == topic))
            .map(|(id, _)| *id)
            .collect();
        let Some(me) = subs.iter().position(|id| *id == member) else {
            return Vec::new();
        };
        (0..partitions)
            .filter(|p| *p as usize % subs.len() == me)
            .collect()
    }
}

impl EmbeddedLog {
    /// An empty log with the limits of `cfg`.
    pub fn new(cfg: StreamsConfig) -> Self {
        Self {
            inner: Arc::new(Shared {
                max_payload: cfg.max_payload_bytes,
                maintenance_ms: cfg.embedded_retention_interval_ms as i64,
                topics: RwLock::default(),
                groups: Mutex::default(),
                next_member: AtomicU64::new(1),
            }),
        }
    }

    fn topic(&self, name: &str) -> Result<Arc<Topic>, StreamError> {
        self.inner
            .topics
            .read()
            .expect("topics lock")
            .get(name)
            .cloned()
            .ok_or_else(|| StreamError::UnknownTopic(name.to_string()))
    }

    /// Applies retention and compaction to every partition now (they also
    /// run on append, every `embedded_retention_interval_ms`).
    pub fn maintain(&self) {
        let topics: Vec<Arc<Topic>> = self
            .inner
            .topics
            .read()
            .expect("topics lock")
            .values()
            .cloned()
            .collect();
        let now = now_ms();
        for t in topics {
            for p in &t.parts {
                p.lock().expect("partition lock").maintain(&t.spec, now);
            }
        }
    }
}

impl PartLog {
    fn maintain(&mut self, spec: &TopicSpec, now: i64) {
        self.maintained_ms = now;
        match spec.cleanup_policy {
            CleanupPolicy::Delete if spec.retention_ms >= 0 => {
                let cutoff = now - spec.retention_ms;
                while let Some(entry) = self.records.first_entry() {
                    if entry.get().0 >= cutoff {
                        break;
                    }
                    entry.remove();
                }
            }
            CleanupPolicy::Delete => {}
            CleanupPolicy::Compact => {
                let latest = &self.latest;
                self.records
                    .retain(|off, (_, e)| latest.get(&e.key) == Some(off));
            }
        }
    }
}

#[async_trait::async_trait]
impl Streams for EmbeddedLog {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn ensure(&self, topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError> {
        let mut map = self.inner.topics.write().expect("topics lock");
        Ok(topics
            .iter()
            .map(|spec| {
                let outcome = match map.get(&spec.name) {
                    Some(t) => differences(&t.spec, spec),
                    None => {
                        let t = Topic {
                            name: spec.name.as_str().into(),
                            spec: spec.clone(),
                            parts: (0..spec.partitions).map(|_| Mutex::default()).collect(),
                            appended: watch::channel(0).0,
                        };
                        map.insert(spec.name.clone(), Arc::new(t));
                        EnsureOutcome::Created
                    }
                };
                EnsureReport {
                    topic: spec.name.clone(),
                    outcome,
                }
            })
            .collect())
    }

    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError> {
        let t = self.topic(topic)?;
        event.validate(self.inner.max_payload)?;
        let partition = partition_for(event.key.as_bytes(), t.spec.partitions);
        let now = now_ms();
        let offset = {
            let mut p = t.parts[partition as usize].lock().expect("partition lock");
            let offset = p.next;
            p.next += 1;
            if t.spec.cleanup_policy == CleanupPolicy::Compact {
                p.latest.insert(event.key.clone(), offset);
            }
            p.records.insert(offset, (now, event.clone()));
            if now - p.maintained_ms >= self.inner.maintenance_ms {
                p.maintain(&t.spec, now);
            }
            offset
        };
        t.appended.send_modify(|n| *n += 1);
        Ok(Box::pin(std::future::ready(Ok(Delivered {
            partition,
            offset,
        }))))
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError> {
        let subscribed = topics
            .iter()
            .map(|t| self.topic(t))
            .collect::<Result<Vec<_>, _>>()?;
        let g = self
            .inner
            .groups
            .lock()
            .expect("groups lock")
            .entry(group.to_string())
            .or_default()
            .clone();
        let id = self.inner.next_member.fetch_add(1, Ordering::Relaxed);
        {
            let mut g = g.lock().expect("group lock");
            g.members.insert(id, topics.to_vec());
            g.generation += 1;
        }
        let wakers = subscribed.iter().map(|t| t.appended.subscribe()).collect();
        Ok(Box::new(EmbeddedConsumer {
            group: g,
            id,
            topics: subscribed,
            wakers,
            generation: 0,
            assigned: Vec::new(),
            next: 0,
        }))
    }

    async fn partitions(&self, topic: &str) -> Result<u32, StreamError> {
        Ok(self.topic(topic)?.spec.partitions)
    }

    async fn end_offset(&self, topic: &str, partition: u32) -> Result<i64, StreamError> {
        let t = self.topic(topic)?;
        let p = t
            .parts
            .get(partition as usize)
            .ok_or_else(|| bad_partition(topic, partition))?;
        Ok(p.lock().expect("partition lock").next)
    }

    async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: i64,
        max: usize,
    ) -> Result<Vec<Record>, StreamError> {
        let t = self.topic(topic)?;
        let p = t
            .parts
            .get(partition as usize)
            .ok_or_else(|| bad_partition(topic, partition))?;
        let p = p.lock().expect("partition lock");
        Ok(p.records
            .range(from..)
            .take(max)
            .map(|(off, (_, e))| record(&t.name, partition, *off, e))
            .collect())
    }
}

fn bad_partition(topic: &str, partition: u32) -> StreamError {
    StreamError::UnknownTopic(format!("{topic}/{partition}"))
}

fn record(topic: &Arc<str>, partition: u32, offset: i64, e: &Envelope) -> Record {
    Record {
        topic: topic.clone(),
        partition,
        offset,
        envelope: e.clone(),
    }
}

fn differences(have: &TopicSpec, want: &TopicSpec) -> EnsureOutcome {
    let mut d = Vec::new();
    if have.partitions != want.partitions {
        d.push(format!(
            "partitions: wanted {}, found {}",
            want.partitions, have.partitions
        ));
    }
    for (k, v) in &want.configs {
        match have.configs.iter().find(|(hk, _)| hk == k) {
            Some((_, hv)) if hv == v => {}
            Some((_, hv)) => d.push(format!("{k}: wanted {v}, found {hv}")),
            None => d.push(format!("{k}: wanted {v}, found unset")),
        }
    }
    if d.is_empty() {
        EnsureOutcome::Exists
    } else {
        EnsureOutcome::Differs { differences: d }
    }
}

struct EmbeddedConsumer {
    group: Arc<Mutex<Group>>,
    id: u64,
    topics: Vec<Arc<Topic>>,
    wakers: Vec<watch::Receiver<u64>>,
    generation: u64,
    /// (topic index, partition, next offset to read).
    assigned: Vec<(usize, u32, i64)>,
    /// Where the next poll starts in `assigned`, so no partition starves.
    next: usize,
}

impl EmbeddedConsumer {
    /// Picks up a rebalance: owned partitions, positions from commits.
    fn sync_assignment(&mut self) {
        let g = self.group.lock().expect("group lock");
        if g.generation == self.generation {
            return;
        }
        self.generation = g.generation;
        self.assigned.clear();
        for (i, t) in self.topics.iter().enumerate() {
            for p in g.owned(self.id, &t.name, t.spec.partitions) {
                let pos = g
                    .committed
                    .get(&(t.name.to_string(), p))
                    .copied()
                    .unwrap_or(0);
                self.assigned.push((i, p, pos));
            }
        }
    }

    fn gather(&mut self, max: usize) -> Vec<Record> {
        let mut out = Vec::new();
        let n = self.assigned.len();
        for k in 0..n {
            if out.len() >= max {
                break;
            }
            let slot = (self.next + k) % n;
            let (ti, p, pos) = self.assigned[slot];
            let t = &self.topics[ti];
            let log = t.parts[p as usize].lock().expect("partition lock");
            let before = out.len();
            out.extend(
                log.records
                    .range(pos..)
                    .take(max - before)
                    .map(|(off, (_, e))| record(&t.name, p, *off, e)),
            );
            if let Some(last) = out.get(before..).and_then(|s| s.last()) {
                self.assigned[slot].2 = last.offset + 1;
            }
        }
        self.next = (self.next + 1) % n.max(1);
        out
    }
}

#[async_trait::async_trait]
impl Consumer for EmbeddedConsumer {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>, StreamError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            self.sync_assignment();
            for w in &mut self.wakers {
                w.borrow_and_update();
            }
            let got = self.gather(max);
            if !got.is_empty() {
                return Ok(got);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(got);
            }
            // Wake on an append, or soon anyway to notice a rebalance.
            let nap = (deadline - now).min(Duration::from_millis(50));
            if self.wakers.is_empty() {
                tokio::time::sleep(nap).await;
                continue;
            }
            let changed =
                futures::future::select_all(self.wakers.iter_mut().map(|w| Box::pin(w.changed())));
            let _ = tokio::time::timeout(nap, changed).await;
        }
    }

    async fn commit(&mut self, records: &[Record]) -> Result<(), StreamError> {
        let mut g = self.group.lock().expect("group lock");
        for (topic, p, next) in super::next_offsets(records) {
            g.committed.insert((topic.to_string(), p), next);
        }
        Ok(())
    }
}

impl Drop for EmbeddedConsumer {
    fn drop(&mut self) {
        if let Ok(mut g) = self.group.lock() {
            g.members.remove(&self.id);
            g.generation += 1;
        }
    }
}
