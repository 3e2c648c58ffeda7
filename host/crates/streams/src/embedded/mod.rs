//! The embedded log: Kafka's model in process memory, for the default mode
//! (no servers). Topics have partitions; a key always maps to the same
//! partition ([`partition_for`]); consumer groups share partitions among
//! their members and resume from committed offsets; delete-policy topics
//! drop records past their retention and compacted topics keep the latest
//! record per key.
//!
//! Opened with [`EmbeddedLog::open`] (what `veltrix serve` does), the log
//! is durable: every record is written to its partition's file before it
//! is visible or acknowledged, and committed group offsets are saved on
//! every commit (`disk`), so a restarted host resumes each group where
//! it committed and every game where its snapshot and stream say.
//! [`EmbeddedLog::new`] keeps everything in memory (tests, benches).
//! Group members are in `consumer`, the file format in `disk`.

mod consumer;
mod disk;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;

use super::partition::partition_for;
use super::{
    Ack, CleanupPolicy, Consumer, Delivered, EnsureOutcome, EnsureReport, Envelope, Record,
    StreamError, Streams, StreamsConfig, TopicSpec,
};
use veltrix_clock::Clock;

/// The in-process log. Cheap to clone; clones share the log.
#[derive(Clone)]
pub struct EmbeddedLog {
    inner: Arc<Shared>,
}

struct Shared {
    /// Decides retention and stamps appends.
    clock: Clock,
    max_payload: usize,
    maintenance_ms: i64,
    topics: RwLock<HashMap<String, Arc<Topic>>>,
    groups: Mutex<HashMap<String, Arc<Mutex<Group>>>>,
    next_member: AtomicU64,
    /// `None`: memory only.
    disk: Option<disk::Disk>,
    /// Offsets read from disk at open, for groups not yet joined.
    saved_groups: Mutex<HashMap<String, disk::Committed>>,
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
    /// The partition's file, when the log is on disk.
    file: Option<disk::PartFile>,
}

#[derive(Default)]
struct Group {
    /// The group's name (its offsets file).
    name: String,
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
    /// An empty log in memory with the limits of `cfg` (nothing survives
    /// the process: for tests and benches).
    pub fn new(cfg: StreamsConfig) -> Self {
        Self::with_disk(&cfg, None, HashMap::new())
    }

    /// The log kept in `dir` (created when missing): topics are loaded
    /// from their files when `ensure` declares them, groups resume from
    /// their saved offsets.
    pub fn open(cfg: StreamsConfig, dir: &Path) -> Result<Self, StreamError> {
        let io = |e: std::io::Error| {
            StreamError::Unavailable(format!("embedded log at {}: {e}", dir.display()))
        };
        let disk = disk::Disk::open(dir, cfg.embedded_fsync).map_err(io)?;
        let groups = disk.load_groups().map_err(io)?;
        tracing::info!(dir = %dir.display(), groups = groups.len(), fsync = cfg.embedded_fsync, "embedded log opened");
        Ok(Self::with_disk(&cfg, Some(disk), groups))
    }

    /// The same log deciding retention by `clock` (call before cloning:
    /// clones share the log and its clock).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("EmbeddedLog::with_clock before the log is cloned")
            .clock = clock;
        self
    }

    fn with_disk(
        cfg: &StreamsConfig,
        disk: Option<disk::Disk>,
        groups: HashMap<String, disk::Committed>,
    ) -> Self {
        Self {
            inner: Arc::new(Shared {
                clock: Clock::system(),
                max_payload: cfg.max_payload_bytes,
                maintenance_ms: cfg.embedded_retention_interval_ms as i64,
                topics: RwLock::default(),
                groups: Mutex::default(),
                next_member: AtomicU64::new(1),
                disk,
                saved_groups: Mutex::new(groups),
            }),
        }
    }

    /// A new topic's partitions: loaded from disk (retention and
    /// compaction applied, the file rewritten when they dropped records)
    /// or empty.
    fn new_parts(&self, spec: &TopicSpec) -> Result<Vec<Mutex<PartLog>>, StreamError> {
        let Some(disk) = &self.inner.disk else {
            return Ok((0..spec.partitions).map(|_| Mutex::default()).collect());
        };
        let io = |e: std::io::Error| {
            StreamError::Unavailable(format!("embedded log, topic {}: {e}", spec.name))
        };
        let now = self.inner.clock.now_ms();
        let mut parts = Vec::with_capacity(spec.partitions as usize);
        for p in 0..spec.partitions {
            let loaded = disk.load(&spec.name, p).map_err(io)?;
            let mut log = PartLog {
                next: loaded.next,
                ..PartLog::default()
            };
            let read = loaded.records.len();
            for (off, ts, e) in loaded.records {
                if spec.cleanup_policy == CleanupPolicy::Compact {
                    log.latest.insert(e.key.clone(), off);
                }
                log.records.insert(off, (ts, e));
            }
            log.maintain(spec, now);
            let rewrite = (log.records.len() < read).then(|| {
                let keep = log.records.iter().map(|(o, (ts, e))| (*o, *ts, e));
                (log.next, keep)
            });
            log.file = Some(disk.append_to(&spec.name, p, rewrite).map_err(io)?);
            if read > 0 {
                tracing::info!(topic = %spec.name, partition = p, records = log.records.len(), next = log.next, "embedded log: partition loaded");
            }
            parts.push(Mutex::new(log));
        }
        Ok(parts)
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
        let now = self.inner.clock.now_ms();
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
        topics
            .iter()
            .map(|spec| {
                let outcome = match map.get(&spec.name) {
                    Some(t) => differences(&t.spec, spec),
                    None => {
                        let t = Topic {
                            name: spec.name.as_str().into(),
                            spec: spec.clone(),
                            parts: self.new_parts(spec)?,
                            appended: watch::channel(0).0,
                        };
                        map.insert(spec.name.clone(), Arc::new(t));
                        EnsureOutcome::Created
                    }
                };
                Ok(EnsureReport {
                    topic: spec.name.clone(),
                    outcome,
                })
            })
            .collect()
    }

    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError> {
        let t = self.topic(topic)?;
        event.validate(self.inner.max_payload)?;
        let partition = partition_for(event.key.as_bytes(), t.spec.partitions);
        let now = self.inner.clock.now_ms();
        let offset = {
            let mut p = t.parts[partition as usize].lock().expect("partition lock");
            let offset = p.next;
            // On disk before it is visible or acknowledged.
            if let Some(f) = p.file.as_mut() {
                f.append(offset, now, event).map_err(|e| {
                    tracing::error!(topic, partition, error = %e, "embedded log write failed");
                    StreamError::Unavailable("the embedded log could not be written".into())
                })?;
            }
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
            .or_insert_with(|| {
                let committed = self
                    .inner
                    .saved_groups
                    .lock()
                    .expect("saved groups lock")
                    .remove(group)
                    .unwrap_or_default();
                Arc::new(Mutex::new(Group {
                    name: group.to_string(),
                    committed,
                    ..Group::default()
                }))
            })
            .clone();
        let id = self.inner.next_member.fetch_add(1, Ordering::Relaxed);
        {
            let mut g = g.lock().expect("group lock");
            g.members.insert(id, topics.to_vec());
            g.generation += 1;
        }
        let wakers = subscribed.iter().map(|t| t.appended.subscribe()).collect();
        Ok(Box::new(consumer::EmbeddedConsumer::new(
            self.inner.disk.clone(),
            g,
            id,
            subscribed,
            wakers,
        )))
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
