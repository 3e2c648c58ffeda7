//! A batch's tail, off the next batch's path. Once a batch's answers
//! resolved, its quest and player events are sent and awaited, then its
//! due snapshots saved, on a task of its own, while the loop polls and
//! applies the next batch. The loop commits the batch's offsets only when
//! that task is done (so never past events not yet acked), and before the
//! next batch's events go out and its offsets commit: the streams see
//! each batch's events in batch order, and offsets move in order.
//!
//! A snapshot covers a batch's actions only once their events are acked
//! (it is taken at the end of the batch, saved after the acks): a crash
//! before then replays the actions from the stream and sends the events
//! again, under the same ids. Snapshots are also what stays in memory
//! until saved, and every other save (one game's, eviction, shutdown)
//! first waits for the task, so the store sees statuses in order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::super::commit::publish;
use super::super::game::{GameEntry, GameKey, entry_status};
use super::super::outcome::Counters;
use super::Loop;
use veltrix_store::Snapshot;
use veltrix_streams::{Consumer, Envelope, Record};

impl Loop {
    /// Hands the batch's events and due snapshots to a task of their own;
    /// `records` commit once it is done ([`Loop::finish_tail`]). The
    /// previous tail must be finished.
    pub(super) fn spawn_tail(
        &mut self,
        records: Vec<Record>,
        events: Vec<(String, Envelope)>,
        games: &[GameKey],
        stop: &watch::Receiver<bool>,
    ) {
        debug_assert!(self.saving.is_none() && self.uncommitted.is_empty());
        self.uncommitted = records;
        let due = self.snapshots_due(games);
        if events.is_empty() && due.is_empty() {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let stop = stop.clone();
        let retry = Duration::from_millis(shared.cfg.effect_retry_ms.max(1));
        self.saving = Some(tokio::spawn(async move {
            while let Err(e) = publish(&shared, &events).await {
                tracing::warn!(error = %e.message, "publishing quest and player events failed; retrying");
                if *stop.borrow() {
                    return false;
                }
                tokio::time::sleep(retry).await;
            }
            if !due.is_empty() {
                match shared.store.save_snapshots(&due).await {
                    Ok(saved) => Counters::add(&shared.counters.snapshots, saved.len() as u64),
                    Err(err) => {
                        tracing::warn!(games = due.len(), error = %err, "snapshots failed; will retry")
                    }
                }
            }
            true
        }));
    }

    /// Waits for the last batch's tail, then commits its offsets; `false`
    /// when stopping left its events unacked or its offsets uncommitted
    /// (the batch is delivered again).
    pub(super) async fn finish_tail(
        &mut self,
        consumer: &mut dyn Consumer,
        stop: &watch::Receiver<bool>,
    ) -> bool {
        if !self.saved().await {
            return false;
        }
        if self.uncommitted.is_empty() {
            return true;
        }
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        while let Err(e) = consumer.commit(&self.uncommitted).await {
            tracing::warn!(error = %e, "offset commit failed; retrying");
            if *stop.borrow() {
                return false;
            }
            tokio::time::sleep(retry).await;
        }
        self.uncommitted.clear();
        true
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

    /// Waits for the background tail, if any; whether every tail so far
    /// had its events acked (`false` only when stopping cut one short).
    pub(super) async fn saved(&mut self) -> bool {
        if let Some(t) = self.saving.take() {
            let acked = t.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "a batch's tail task failed");
                false
            });
            self.tail_acked &= acked;
        }
        self.tail_acked
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
