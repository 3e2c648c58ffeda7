//! A member of an embedded consumer group: owns its share of the
//! partitions (re-read from the group on every rebalance), reads them
//! round-robin from its positions, and commits by saving the group's
//! offsets (to disk when the log is durable).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::{Group, Topic, disk, record};
use crate::{Consumer, Record, StreamError};

pub(super) struct EmbeddedConsumer {
    disk: Option<disk::Disk>,
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
    pub(super) fn new(
        disk: Option<disk::Disk>,
        group: Arc<Mutex<Group>>,
        id: u64,
        topics: Vec<Arc<Topic>>,
        wakers: Vec<watch::Receiver<u64>>,
    ) -> Self {
        Self {
            disk,
            group,
            id,
            topics,
            wakers,
            generation: 0,
            assigned: Vec::new(),
            next: 0,
        }
    }

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
                // Never past the end: a commit saved ahead of records lost
                // with the OS (power loss without `embedded_fsync`) must
                // not make new records invisible.
                let end = t.parts[p as usize].lock().expect("partition lock").next;
                let pos = g
                    .committed
                    .get(&(t.name.to_string(), p))
                    .copied()
                    .unwrap_or(0)
                    .min(end);
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

    fn assignment(&self) -> Option<Vec<(Arc<str>, u32)>> {
        Some(
            self.assigned
                .iter()
                .map(|&(t, p, _)| (Arc::clone(&self.topics[t].name), p))
                .collect(),
        )
    }

    async fn commit(&mut self, records: &[Record]) -> Result<(), StreamError> {
        let mut g = self.group.lock().expect("group lock");
        for (topic, p, next) in crate::next_offsets(records) {
            g.committed.insert((topic.to_string(), p), next);
        }
        if let Some(disk) = &self.disk {
            disk.save_group(&g.name, &g.committed).map_err(|e| {
                tracing::error!(group = %g.name, error = %e, "embedded log: saving offsets failed");
                StreamError::Unavailable("the embedded log could not save offsets".into())
            })?;
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
