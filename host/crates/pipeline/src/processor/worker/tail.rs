//! A batch's tail, off the next batches' path. Once a batch's answers
//! resolved, its quest and player events are sent (in batch order, by the
//! loop) and a task of its own awaits their acks, then saves the batch's
//! due snapshots, while the loop polls and applies the next batches. Up to
//! `processor.tails_in_flight` tails run at once; the loop commits a
//! batch's offsets only when its tail and every earlier one are done, so
//! offsets move in order and never past events not yet acked.
//!
//! A snapshot covers a batch's actions only once their events, and every
//! earlier batch's, are acked (it is taken at the end of the batch, saved
//! by its tail after its acks and after the previous tail is done): a
//! crash before then replays the actions from the stream and sends the
//! events again, under the same ids. Every other save (one game's,
//! eviction, shutdown) first waits for all tails, so the store sees
//! statuses in order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::super::commit::{acked, send_all};
use super::super::game::{GameEntry, GameKey, entry_status};
use super::super::outcome::Counters;
use super::Loop;
use veltrix_store::Snapshot;
use veltrix_streams::{Consumer, Envelope, Record};

/// One batch's tail: its task (none when it had nothing to send or save)
/// and its records, whose offsets commit when it is done.
pub(super) struct Tail {
    task: Option<tokio::task::JoinHandle<bool>>,
    /// Set once the task was awaited: its events acked (`false`: stopping
    /// cut it short).
    acked: Option<bool>,
    records: Vec<Record>,
}

impl Loop {
    /// Sends the batch's events now (after every earlier batch's) and
    /// hands their acks and the batch's due snapshots to a task of their
    /// own; `records` commit once it and every earlier tail are done
    /// ([`Loop::commit_ready`]).
    pub(super) fn spawn_tail(
        &mut self,
        records: Vec<Record>,
        events: Vec<(String, Envelope)>,
        games: &[GameKey],
        stop: &watch::Receiver<bool>,
    ) {
        let due = self.snapshots_due(games);
        if events.is_empty() && due.is_empty() {
            self.tails.push_back(Tail {
                task: None,
                acked: Some(true),
                records,
            });
            return;
        }
        let shared = Arc::clone(&self.shared);
        let stop = stop.clone();
        let retry = Duration::from_millis(shared.cfg.effect_retry_ms.max(1));
        let mut sent = Some(send_all(&shared, &events));
        let prev = self.chain.take();
        let (done, chain) = oneshot::channel();
        self.chain = Some(chain);
        let task = tokio::spawn(async move {
            loop {
                let attempt = sent.take().unwrap_or_else(|| send_all(&shared, &events));
                let result = match attempt {
                    Ok(acks) => acked(acks).await,
                    Err(e) => Err(e),
                };
                let Err(e) = result else { break };
                tracing::warn!(error = %e.message, "publishing quest and player events failed; retrying");
                if *stop.borrow() {
                    let _ = done.send(false);
                    return false;
                }
                tokio::time::sleep(retry).await;
            }
            // The snapshots cover earlier batches too: their tails first.
            if let Some(prev) = prev
                && !prev.await.unwrap_or(false)
            {
                let _ = done.send(false);
                return false;
            }
            if !due.is_empty() {
                match shared.store.save_snapshots(&due).await {
                    Ok(saved) => Counters::add(&shared.counters.snapshots, saved.len() as u64),
                    Err(err) => {
                        tracing::warn!(games = due.len(), error = %err, "snapshots failed; will retry")
                    }
                }
            }
            let _ = done.send(true);
            true
        });
        self.tails.push_back(Tail {
            task: Some(task),
            acked: None,
            records,
        });
    }

    /// Commits the offsets of the finished tails at the front of the
    /// queue, waiting for the oldest while more than `tails_in_flight` run
    /// (`all`: waiting for every one). `false` when stopping left a tail's
    /// events unacked or offsets uncommitted (its batch is delivered
    /// again).
    pub(super) async fn commit_ready(
        &mut self,
        consumer: &mut dyn Consumer,
        stop: &watch::Receiver<bool>,
        all: bool,
    ) -> bool {
        let max = self.shared.cfg.tails_in_flight.max(1);
        let mut ready: Vec<Record> = Vec::new();
        let mut batches = 0;
        let mut ok = true;
        loop {
            let over = self.tails.len() > max;
            let Some(front) = self.tails.front_mut() else {
                break;
            };
            if front.acked.is_none() {
                let running = front.task.as_ref().is_some_and(|t| !t.is_finished());
                if running && !all && !over {
                    break;
                }
                front.acked = Some(join(front.task.take()).await);
            }
            if front.acked == Some(false) {
                // It stays queued: `saved` reports it from now on.
                ok = false;
                break;
            }
            if let Some(t) = self.tails.pop_front() {
                ready.extend(t.records);
                batches += 1;
            }
        }
        if ready.is_empty() {
            return ok;
        }
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        while let Err(e) = consumer.commit(&ready).await {
            tracing::warn!(error = %e, "offset commit failed; retrying");
            if *stop.borrow() {
                return false;
            }
            tokio::time::sleep(retry).await;
        }
        Counters::add(&self.shared.counters.committed, batches);
        ok
    }

    /// Waits for every tail, then commits their offsets.
    pub(super) async fn finish_tail(
        &mut self,
        consumer: &mut dyn Consumer,
        stop: &watch::Receiver<bool>,
    ) -> bool {
        self.commit_ready(consumer, stop, true).await
    }

    /// The batch's games whose snapshot is due, taken now (the state as of
    /// the batch); saved by the tail after the batch's events.
    fn snapshots_due(&mut self, games: &[GameKey]) -> Vec<(Snapshot, String)> {
        let every = self.shared.cfg.snapshot_every.max(1);
        let now = self.shared.clock.now_ms();
        let mut due = Vec::new();
        for k in games {
            if let Some(e) = self.cache.get_mut(k)
                && e.since_snapshot >= every
            {
                // A failed save only lengthens a replay; the next cadence
                // (or shutdown) saves the game again.
                e.since_snapshot = 0;
                due.push((snapshot_of(k, e, now), entry_status(e).to_string()));
            }
        }
        due
    }

    /// Waits for every tail's task (their offsets stay queued for
    /// [`Loop::commit_ready`]); whether all had their events acked
    /// (`false` only when stopping cut one short).
    pub(super) async fn saved(&mut self) -> bool {
        let mut all = true;
        for t in &mut self.tails {
            if t.acked.is_none() {
                t.acked = Some(join(t.task.take()).await);
            }
            all &= t.acked == Some(true);
        }
        all
    }

    /// Saves one game's snapshot now (after the tail: its events acked).
    pub(super) async fn save(&mut self, k: &GameKey) {
        if !self.saved().await {
            return;
        }
        let Some(e) = self.cache.get_mut(k) else {
            return;
        };
        let snap = snapshot_of(k, e, self.shared.clock.now_ms());
        match self
            .shared
            .store
            .save_snapshot(&snap, entry_status(e))
            .await
        {
            Ok(_) => {
                e.since_snapshot = 0;
                Counters::add(&self.shared.counters.snapshots, 1);
            }
            Err(err) => {
                tracing::warn!(tenant = %k.0, game = %k.1, error = %err, "snapshot failed; will retry")
            }
        }
    }

    /// Snapshots every game with unsaved actions (shutdown).
    pub(super) async fn save_all(&mut self) {
        let dirty: Vec<GameKey> = self
            .cache
            .iter()
            .filter(|(_, e)| e.since_snapshot > 0)
            .map(|(k, _)| k.clone())
            .collect();
        for k in dirty {
            self.save(&k).await;
        }
    }

    /// Drops the least recently used games beyond `max_games_cached`,
    /// each snapshotted first.
    pub(super) async fn evict(&mut self) {
        while self.cache.len() > self.shared.cfg.max_games_cached.max(1) {
            let Some(k) = self
                .cache
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                return;
            };
            self.save(&k).await;
            self.cache.remove(&k);
            // Saved: a later view follows it from that snapshot.
            self.shared.live.forget(&k);
        }
    }
}

fn snapshot_of(k: &GameKey, e: &GameEntry, now_ms: i64) -> Snapshot {
    Snapshot {
        tenant: k.0.clone(),
        game_id: k.1.clone(),
        state: e.state.clone(),
        topic: e.topic.clone(),
        partition: e.partition,
        next_offset: e.next_offset,
        actions_applied: e.applied,
        updated_at_ms: now_ms,
    }
}

async fn join(task: Option<tokio::task::JoinHandle<bool>>) -> bool {
    match task {
        Some(t) => t.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "a batch's tail task failed");
            false
        }),
        None => true,
    }
}
