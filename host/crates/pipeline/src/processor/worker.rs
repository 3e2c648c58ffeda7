//! The worker loop: poll the game streams, apply each game's actions with
//! its pinned plugin, commit the effects, then the offsets, then resolve
//! outcomes and write snapshots.
//!
//! A game's records all sit in one partition (keyed by game id), and a
//! poll returns a partition's records in offset order, so grouping a batch
//! by game keeps each game's actions in order. The loop keeps games'
//! states in memory; a cached state is trusted only while this loop has
//! seen its partition without a gap (a gap means another member handled
//! records meanwhile: rebalance), otherwise the game is reloaded from its
//! snapshot plus the stream.
//!
//! Plugin calls run on tokio's blocking pool (sync WASI must not block a
//! runtime thread), one game's batch at a time per loop; each is bounded
//! by fuel and the epoch deadline (`plugins.deadline_ms`). A processor
//! runs `processor.workers` such loops, each a consumer-group member.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::commit::{commit_effects, save_outcomes};
use super::game::{
    GameEntry, GameKey, PARKED, PARKED_STATUS, Pending, apply_records, entry_status, outcome,
    parse_status, replay_records, status_str,
};
use super::outcome::{ActionResult, Counters, Paid};
use super::shared::Shared;
use veltrix_runtime::Worker;
use veltrix_store::Snapshot;
use veltrix_streams::{Consumer, Record, StreamError};

/// Why a game could not be loaded.
enum LoadFailure {
    /// It does not exist or cannot run here: its actions get an
    /// `UnknownGame` outcome.
    Missing(String),
    /// The store or stream failed: retry, never skip the actions.
    Transient(String),
}

type PartKey = (Arc<str>, u32);

struct Loop {
    shared: Arc<Shared>,
    cache: HashMap<GameKey, GameEntry>,
    workers: HashMap<String, Worker>,
    last_seen: HashMap<PartKey, i64>,
    epochs: HashMap<PartKey, u64>,
    tick: u64,
    /// The snapshot save running in the background, if any.
    saving: Option<tokio::task::JoinHandle<()>>,
}

/// Runs until `stop` says so, then snapshots every game with unsaved
/// actions.
#[tracing::instrument(name = "processor", skip_all)]
pub(crate) async fn run(
    shared: Arc<Shared>,
    mut consumer: Box<dyn Consumer>,
    stop: watch::Receiver<bool>,
) {
    let wait = Duration::from_millis(shared.cfg.poll_wait_ms.max(1));
    let max = shared.cfg.poll_batch.max(1);
    let mut l = Loop {
        shared,
        cache: HashMap::new(),
        workers: HashMap::new(),
        last_seen: HashMap::new(),
        epochs: HashMap::new(),
        tick: 0,
        saving: None,
    };
    let member = l.shared.owned.join();
    while !*stop.borrow() {
        let polled = consumer.poll(max, wait).await;
        l.shared.owned.publish(member, consumer.assignment());
        let records = match polled {
            Ok(r) => r,
            Err(StreamError::Closed) => break,
            Err(e) => {
                tracing::warn!(error = %e, "poll failed; retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        if records.is_empty() {
            continue;
        }
        if !l.process(&records, consumer.as_mut(), &stop).await {
            // Effects of the cached states may not have committed: no
            // snapshots now (they must never cover uncommitted effects).
            tracing::info!("processor stopped with a batch uncommitted; it will be redelivered");
            l.saved().await;
            l.shared.live.disown(l.cache.keys());
            l.shared.owned.leave(member);
            return;
        }
    }
    l.save_all().await;
    // Another loop (or host) may apply these games from now on: views
    // follow them from the stream instead of trusting this loop's copies.
    l.shared.live.disown(l.cache.keys());
    l.shared.owned.leave(member);
    tracing::info!("processor stopped");
}

impl Loop {
    /// One batch; `false` when stopping left it uncommitted.
    async fn process(
        &mut self,
        records: &[Record],
        consumer: &mut dyn Consumer,
        stop: &watch::Receiver<bool>,
    ) -> bool {
        let polled = std::time::Instant::now();
        self.detect_gaps(records);
        self.shared.observe_poll(records, &self.last_seen);
        let mut order: Vec<GameKey> = Vec::new();
        let mut groups: HashMap<GameKey, Vec<&Record>> = HashMap::new();
        for r in records {
            let k = (r.envelope.tenant.clone(), r.envelope.key.clone());
            groups
                .entry(k.clone())
                .or_insert_with(|| {
                    order.push(k);
                    Vec::new()
                })
                .push(r);
        }
        // One part per game, so a permanent refusal can be traced to it.
        let mut parts: Vec<(GameKey, Pending)> = Vec::with_capacity(order.len());
        for k in &order {
            let mut part = Pending::default();
            if !self.apply_game(k, &groups[k], &mut part, stop).await {
                // A host bug, not a plugin fault: stop without committing,
                // like a crash; the records are delivered again.
                return false;
            }
            parts.push((k.clone(), part));
        }
        let Some(first) = self.commit(&mut parts, stop).await else {
            return false;
        };
        let effects_done = std::time::Instant::now();
        let applied_at = self.shared.clock.now_ms();
        for ((key, part), first) in parts.iter_mut().zip(&first) {
            if let Some(e) = self.cache.get_mut(key) {
                super::totals::settle(&self.shared, &mut e.tallies, key, part, first).await;
            }
            let rewards = &part.rewards;
            for (o, range) in &mut part.outcomes {
                if let ActionResult::Applied { minted, paid, .. } = &mut o.result {
                    let firsts = &first[range.clone()];
                    *minted = firsts.iter().filter(|f| **f).count();
                    *paid = rewards[range.clone()]
                        .iter()
                        .zip(firsts)
                        .map(|((r, _), minted)| Paid {
                            player: r.player_id.clone(),
                            team: r.team_id.clone(),
                            reward_type: r.reward_type.clone(),
                            reward_key: r.reward_key.clone(),
                            points: r.amount,
                            minted: *minted,
                        })
                        .collect();
                }
                o.applied_at_ms = applied_at;
            }
        }
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        // A snapshot save still running carries an older status: let it
        // land first, so the statuses below are the last word.
        if parts
            .iter()
            .any(|(_, p)| !p.statuses.is_empty() || !p.parked.is_empty())
        {
            self.saved().await;
        }
        // Outcomes (and statuses) before the offsets: an action whose
        // offset is committed always has its stored outcome.
        let all: Vec<&Pending> = parts.iter().map(|(_, p)| p).collect();
        while let Err(e) = save_outcomes(&self.shared, &all).await {
            tracing::warn!(error = %e, "storing outcomes failed; retrying");
            if *stop.borrow() {
                return false;
            }
            tokio::time::sleep(retry).await;
        }
        // Answered once stored: the offset commit is not on the answer's
        // path. A crash before it redelivers the batch, which applies
        // nothing twice and answers the same (stored outcomes win).
        let stored = std::time::Instant::now();
        Counters::add(&self.shared.counters.batches, 1);
        for (mut o, _) in parts.into_iter().flat_map(|(_, p)| p.outcomes) {
            (o.stages.polled, o.stages.effects_done) = (Some(polled), Some(effects_done));
            o.stages.stored = Some(stored);
            self.shared.counters.count(&o.result);
            self.shared.outcomes.resolve(o);
        }
        while let Err(e) = consumer.commit(records).await {
            tracing::warn!(error = %e, "offset commit failed; retrying");
            if *stop.borrow() {
                return false;
            }
            tokio::time::sleep(retry).await;
        }
        self.snapshot_due(&order).await;
        self.evict().await;
        true
    }

    /// Commits the parts' effects; per part, per reward, whether its
    /// action minted it. Transient failures are retried until `stop`
    /// (`None`). A permanent one is traced to its game by committing game
    /// by game, and that game is parked ([`Loop::park_refused`]); the
    /// other games' effects commit and they play on.
    async fn commit(
        &mut self,
        parts: &mut [(GameKey, Pending)],
        stop: &watch::Receiver<bool>,
    ) -> Option<Vec<Vec<bool>>> {
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        loop {
            let all: Vec<&Pending> = parts.iter().map(|(_, p)| p).collect();
            match commit_effects(&self.shared, &all).await {
                Ok(first) => {
                    let mut rest = first.as_slice();
                    let mut out = Vec::with_capacity(parts.len());
                    for (_, p) in parts.iter() {
                        let (mine, later) = rest.split_at(p.rewards.len());
                        out.push(mine.to_vec());
                        rest = later;
                    }
                    return Some(out);
                }
                Err(e) if e.permanent && parts.len() > 1 => {
                    tracing::warn!(games = parts.len(), error = %e.message, "a batch's effects were refused; committing game by game");
                    break;
                }
                Err(e) if e.permanent => {
                    self.park_refused(&mut parts[0], &e.message);
                    return Some(vec![Vec::new()]);
                }
                Err(e) => {
                    tracing::warn!(error = %e.message, "committing effects failed; retrying the batch");
                    if *stop.borrow() {
                        return None;
                    }
                    tokio::time::sleep(retry).await;
                }
            }
        }
        let mut out = Vec::with_capacity(parts.len());
        for part in parts.iter_mut() {
            loop {
                match commit_effects(&self.shared, &[&part.1]).await {
                    Ok(first) => {
                        out.push(first);
                        break;
                    }
                    Err(e) if e.permanent => {
                        self.park_refused(part, &e.message);
                        out.push(Vec::new());
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(tenant = %part.0.0, game = %part.0.1, error = %e.message, "committing effects failed; retrying");
                        if *stop.borrow() {
                            return None;
                        }
                        tokio::time::sleep(retry).await;
                    }
                }
            }
        }
        Some(out)
    }

    /// Parks a game whose effects the store or the streams refuse: its
    /// actions of this batch are answered `game-parked` (none of their
    /// effects is published from here on; a mint chunk that committed
    /// before the refusal stays in the ledger, which the log line says),
    /// later ones too, and its status says `parked` until an operator
    /// looks at it. Replaying its actions would only hit the refusal again.
    fn park_refused(&mut self, part: &mut (GameKey, Pending), message: &str) {
        let (key, p) = part;
        let why = format!("its effects were refused: {message}");
        let actions: Vec<&str> = p
            .outcomes
            .iter()
            .map(|(o, _)| o.action_id.as_str())
            .collect();
        tracing::error!(tenant = %key.0, game = %key.1, reason = %why, ?actions, "game parked");
        p.rewards.clear();
        p.events.clear();
        p.statuses.clear();
        p.quests.clear();
        for (o, range) in &mut p.outcomes {
            *range = 0..0;
            o.result = ActionResult::Faulted {
                code: PARKED.into(),
                message: format!("the game is parked: {why}"),
            };
        }
        p.parked.push((key.clone(), why.clone()));
        if let Some(e) = self.cache.get_mut(key) {
            e.parked = Some(why);
            self.shared.live.publish(key, e);
        }
    }

    fn detect_gaps(&mut self, records: &[Record]) {
        let mut lo: HashMap<PartKey, (i64, i64)> = HashMap::new();
        for r in records {
            let e = lo
                .entry((r.topic.clone(), r.partition))
                .or_insert((r.offset, r.offset));
            e.0 = e.0.min(r.offset);
            e.1 = e.1.max(r.offset);
        }
        for (k, (min, max)) in lo {
            let contiguous = self.last_seen.get(&k).is_some_and(|l| *l + 1 == min);
            if !contiguous {
                // Someone else may have applied records of this partition:
                // cached states of its games can be stale.
                *self.epochs.entry(k.clone()).or_default() += 1;
            }
            self.last_seen.insert(k, max);
        }
    }

    /// Applies one game's records of the batch; `false` when the batch
    /// must be abandoned (stopping while the game cannot be loaded, or a
    /// host bug).
    async fn apply_game(
        &mut self,
        key: &GameKey,
        recs: &[&Record],
        pending: &mut Pending,
        stop: &watch::Receiver<bool>,
    ) -> bool {
        let first = recs[0];
        let part = (first.topic.clone(), first.partition);
        let epoch = self.epochs.get(&part).copied().unwrap_or(0);
        // A cached state is trusted only if this loop has seen the
        // partition without a gap since it was loaded (same epoch).
        let mut cached = self.cache.get(key).is_some_and(|e| e.epoch == epoch);
        while !cached {
            match self
                .load(key, &first.topic, first.partition, first.offset)
                .await
            {
                Ok(mut e) => {
                    e.epoch = epoch;
                    self.cache.insert(key.clone(), e);
                    cached = true;
                }
                Err(LoadFailure::Missing(message)) => {
                    tracing::warn!(tenant = %key.0, game = %key.1, %message, "cannot load game");
                    self.shared.live.forget(key);
                    for r in recs {
                        let result = ActionResult::UnknownGame {
                            message: message.clone(),
                        };
                        pending.outcomes.push((outcome(r, result), 0..0));
                    }
                    return true;
                }
                // Never answer "unknown game" because the database blinked:
                // the actions would be committed without being applied.
                Err(LoadFailure::Transient(message)) => {
                    tracing::warn!(tenant = %key.0, game = %key.1, %message, "loading game failed; retrying");
                    if *stop.borrow() {
                        return false;
                    }
                    let pause = self.shared.cfg.effect_retry_ms.max(1);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
        }
        self.tick += 1;
        let mut entry = self.cache.remove(key).expect("loaded above");
        entry.last_used = self.tick;
        let mut worker = self
            .workers
            .remove(&entry.plugin.hash)
            .unwrap_or_else(|| entry.plugin.worker());
        let shared = Arc::clone(&self.shared);
        let owned: Vec<Record> = recs.iter().map(|r| (*r).clone()).collect();
        let k = key.clone();
        // wasmtime-wasi's sync WASI blocks on the tokio runtime (a guest
        // writing to stderr while it panics, for one), which must not
        // happen on a runtime worker thread: plugin calls run on the
        // blocking pool.
        let joined = tokio::task::spawn_blocking(move || {
            let mut local = Pending::default();
            let before = entry.status;
            apply_records(&shared, &k, &mut entry, &mut worker, &owned, &mut local);
            if entry.parked.is_none() && entry.status != before {
                local.statuses.push((k, status_str(entry.status)));
            }
            (entry, worker, local)
        })
        .await;
        let (entry, worker, local) = match joined {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(tenant = %key.0, game = %key.1, error = %e, "apply task failed");
                return false;
            }
        };
        self.workers.insert(entry.plugin.hash.clone(), worker);
        // Before the batch's effects are sent (player deltas, answers):
        // whoever hears of an action and asks for a view sees it applied.
        self.shared.live.publish(key, &entry);
        self.cache.insert(key.clone(), entry);
        let base = pending.rewards.len();
        pending.rewards.extend(local.rewards);
        pending.events.extend(local.events);
        pending.parked.extend(local.parked);
        pending.statuses.extend(local.statuses);
        pending.quests.extend(local.quests);
        pending.outcomes.extend(
            local
                .outcomes
                .into_iter()
                .map(|(o, r)| (o, r.start + base..r.end + base)),
        );
        true
    }

    /// Loads a game from its snapshot and replays its records in
    /// `[snapshot.next_offset, upto)`, state only: the effects of records
    /// below the first one this loop polled for the game have committed
    /// (offsets, and snapshots, move only after effects commit).
    #[tracing::instrument(skip(self), fields(tenant = %key.0, game = %key.1))]
    async fn load(
        &mut self,
        key: &GameKey,
        topic: &str,
        partition: u32,
        upto: i64,
    ) -> Result<GameEntry, LoadFailure> {
        let s = Arc::clone(&self.shared);
        let row = s
            .store
            .game(&key.0, &key.1)
            .await
            .map_err(|e| LoadFailure::Transient(e.to_string()))?
            .ok_or_else(|| LoadFailure::Missing("no such game".into()))?;
        // Loaded from the store when another host took the upload.
        let plugin = super::uploads::pinned(&s, &row.plugin_hash)
            .await
            .map_err(|e| LoadFailure::Transient(e.to_string()))?
            .ok_or_else(|| {
                LoadFailure::Missing(format!("plugin {} is not registered", row.plugin_hash))
            })?;
        let snap = s
            .store
            .snapshot(&key.0, &key.1)
            .await
            .map_err(|e| LoadFailure::Transient(e.to_string()))?
            .ok_or_else(|| LoadFailure::Missing("game has no snapshot".into()))?;
        if snap.topic != topic || snap.partition != partition {
            return Err(LoadFailure::Missing(format!(
                "snapshot is for {}/{}, records arrive on {topic}/{partition} (partition count changed?)",
                snap.topic, snap.partition
            )));
        }
        let parked = (row.status == PARKED_STATUS)
            .then(|| "it was parked earlier (see the host's log)".to_string());
        let mut e = GameEntry {
            parked: parked.clone(),
            game_type: row.game_type.clone(),
            plugin: Arc::clone(&plugin),
            state: snap.state,
            status: parse_status(&row.status),
            topic: snap.topic,
            partition,
            next_offset: snap.next_offset,
            applied: snap.actions_applied,
            since_snapshot: 0,
            epoch: 0,
            last_used: 0,
            tallies: None,
        };
        let mut worker = self
            .workers
            .remove(&plugin.hash)
            .unwrap_or_else(|| plugin.worker());
        let mut replayed = 0u64;
        while e.next_offset < upto {
            let want = ((upto - e.next_offset) as usize).min(s.cfg.replay_chunk.max(1));
            let recs = match s.streams.read(topic, partition, e.next_offset, want).await {
                Ok(r) => r,
                Err(err) => {
                    self.workers.insert(plugin.hash.clone(), worker);
                    return Err(LoadFailure::Transient(err.to_string()));
                }
            };
            if recs.is_empty() {
                break;
            }
            let (k, rules) = (key.clone(), s.rules.clone());
            let joined = tokio::task::spawn_blocking(move || {
                let n = replay_records(&k, &mut e, &mut worker, &recs, upto, &rules);
                (e, worker, n)
            })
            .await
            .map_err(|err| LoadFailure::Transient(format!("replay task failed: {err}")))?;
            (e, worker) = (joined.0, joined.1);
            replayed += joined.2;
        }
        self.workers.insert(plugin.hash.clone(), worker);
        if parked.is_none() && e.parked.is_some() {
            s.store
                .set_game_status(&key.0, &key.1, PARKED_STATUS)
                .await
                .map_err(|err| LoadFailure::Transient(err.to_string()))?;
        }
        Counters::add(&s.counters.games_loaded, 1);
        Counters::add(&s.counters.replayed, replayed);
        tracing::info!(replayed, next_offset = e.next_offset, "game loaded");
        Ok(e)
    }

    /// Snapshots the batch's games that are due, in one transaction, on a
    /// task of its own so the loop goes on with the next batch (the
    /// effects these snapshots cover have committed; the store keeps
    /// snapshots forward-only). One save in flight at a time.
    async fn snapshot_due(&mut self, games: &[GameKey]) {
        let every = self.shared.cfg.snapshot_every.max(1);
        let mut due = Vec::new();
        for k in games {
            if let Some(e) = self.cache.get_mut(k)
                && e.since_snapshot >= every
            {
                // A failed save only lengthens a replay; the next cadence
                // (or shutdown) saves the game again.
                e.since_snapshot = 0;
                due.push((
                    snapshot_of(k, e, self.shared.clock.now_ms()),
                    entry_status(e).to_string(),
                ));
            }
        }
        if due.is_empty() {
            return;
        }
        self.saved().await;
        let shared = Arc::clone(&self.shared);
        self.saving = Some(tokio::spawn(async move {
            match shared.store.save_snapshots(&due).await {
                Ok(saved) => Counters::add(&shared.counters.snapshots, saved.len() as u64),
                Err(err) => {
                    tracing::warn!(games = due.len(), error = %err, "snapshots failed; will retry")
                }
            }
        }));
    }

    /// Waits for the background snapshot save, if any.
    async fn saved(&mut self) {
        if let Some(t) = self.saving.take() {
            let _ = t.await;
        }
    }

    async fn save(&mut self, k: &GameKey) {
        self.saved().await;
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

    async fn save_all(&mut self) {
        self.saved().await;
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

    async fn evict(&mut self) {
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
