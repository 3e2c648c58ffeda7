//! The worker loop: poll the game streams, apply each game's actions with
//! its pinned plugin, write the batch's effects and outcomes in one
//! transaction, update the boards and resolve the answers, then send the
//! quest and player events. The batch's tail (those acks, then its due
//! snapshots) runs while the next batches are polled and applied; its
//! offsets commit when it and every earlier tail are done ([`tail`]).
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

use super::commit::{Part, Settled, update_boards, write};
use super::game::{
    GameEntry, GameKey, PARKED, PARKED_STATUS, Pending, apply_records, outcome, parse_status,
    replay_records, status_str,
};
use super::outcome::{ActionResult, Counters};
use super::shared::Shared;
use veltrix_runtime::Worker;
use veltrix_streams::{Consumer, Record, StreamError};

mod tail;

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
    /// Batch tails in flight, oldest first (their events, then their due
    /// snapshots; see [`tail`]), with the records they hold uncommitted.
    tails: std::collections::VecDeque<tail::Tail>,
    /// Done when the newest tail is: the next one's snapshots wait for it.
    chain: Option<tokio::sync::oneshot::Receiver<bool>>,
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
        tails: std::collections::VecDeque::new(),
        chain: None,
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
            // Idle: the last batch's offsets need not wait for a next one.
            if !l.finish_tail(consumer.as_mut(), &stop).await {
                break;
            }
            continue;
        }
        if !l.process(records, consumer.as_mut(), &stop).await {
            // Effects of the cached states may not have committed: no
            // snapshots now (they must never cover uncommitted effects).
            tracing::info!("processor stopped with a batch uncommitted; it will be redelivered");
            l.saved().await;
            l.shared.live.disown(l.cache.keys());
            l.shared.owned.leave(member);
            return;
        }
    }
    if l.finish_tail(consumer.as_mut(), &stop).await {
        l.save_all().await;
    } else {
        // Events of the last batch may be unacked: no snapshots may
        // cover them; the batch is delivered again.
        tracing::info!("processor stopped with a batch's tail unfinished; it will be redelivered");
    }
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
        records: Vec<Record>,
        consumer: &mut dyn Consumer,
        stop: &watch::Receiver<bool>,
    ) -> bool {
        let polled = std::time::Instant::now();
        self.detect_gaps(&records);
        self.shared.observe_poll(&records, &self.last_seen);
        let mut order: Vec<GameKey> = Vec::new();
        let mut groups: HashMap<GameKey, Vec<&Record>> = HashMap::new();
        for r in &records {
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
        let applied_at = self.shared.clock.now_ms();
        // A tail still running saves snapshots with older statuses: let
        // them land first, so the statuses this batch writes are the last
        // word.
        if parts
            .iter()
            .any(|(_, p)| !p.statuses.is_empty() || !p.parked.is_empty())
        {
            self.saved().await;
        }
        let Some(mut settled) = self.commit(&mut parts, applied_at, stop).await else {
            return false;
        };
        let stored = std::time::Instant::now();
        for ((key, part), s) in parts.iter_mut().zip(&mut settled) {
            if let (Some(e), Some(t)) = (self.cache.get_mut(key), s.tallies.take()) {
                e.tallies = Some(t);
            }
            part.outcomes = std::mem::take(&mut s.outcomes);
        }
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        while let Err(e) = update_boards(&self.shared, &settled).await {
            tracing::warn!(error = %e.message, "updating the leaderboards failed; retrying");
            if *stop.borrow() {
                return false;
            }
            tokio::time::sleep(retry).await;
        }
        // Answered once the transaction holding the effects and outcomes
        // committed and the boards show it: the events and the offset
        // commit are not on the answer's path. A crash before the offsets
        // move redelivers the batch, which applies nothing twice and
        // answers the same (stored outcomes win).
        let boards = std::time::Instant::now();
        Counters::add(&self.shared.counters.batches, 1);
        let mut events = Vec::new();
        for (_, p) in parts {
            events.extend(p.events);
            for (mut o, _) in p.outcomes {
                (o.stages.polled, o.stages.stored) = (Some(polled), Some(stored));
                o.stages.boards_done = Some(boards);
                self.shared.counters.count(&o.result);
                self.shared.outcomes.resolve(o);
            }
        }
        // Events go out now, after every earlier batch's; their acks, the
        // snapshots and the offset commit follow off this path.
        self.spawn_tail(records, events, &order, stop);
        if !self.commit_ready(consumer, stop, false).await {
            return false;
        }
        self.evict().await;
        true
    }

    /// Writes the parts' effects and outcomes in one transaction
    /// ([`write`]); per part, what it settled. Transient failures are
    /// retried until `stop` (`None`). A permanent one is traced to its
    /// game by writing game by game ([`Loop::commit_one`]).
    async fn commit(
        &mut self,
        parts: &mut [(GameKey, Pending)],
        applied_at: i64,
        stop: &watch::Receiver<bool>,
    ) -> Option<Vec<Settled>> {
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        loop {
            let view: Vec<Part<'_>> = parts
                .iter()
                .map(|(k, p)| (k, p, self.cache.get(k).and_then(|e| e.tallies.as_ref())))
                .collect();
            match write(&self.shared, &view, applied_at).await {
                Ok(settled) => return Some(settled),
                Err(e) if e.permanent => {
                    tracing::warn!(games = parts.len(), error = %e.message, "a batch's effects were refused; committing game by game");
                    break;
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
            out.push(self.commit_one(part, applied_at, stop).await?);
        }
        Some(out)
    }

    /// Writes one game's part; refused, the game is parked
    /// ([`Loop::park_refused`]) and its answers (`game-parked`) and status
    /// are written instead. Should even those be refused (a payload the
    /// database cannot hold), they are written without payloads, and
    /// failing that answered from memory only, which the log says.
    async fn commit_one(
        &mut self,
        part: &mut (GameKey, Pending),
        applied_at: i64,
        stop: &watch::Receiver<bool>,
    ) -> Option<Settled> {
        let retry = Duration::from_millis(self.shared.cfg.effect_retry_ms.max(1));
        let mut refusals = 0;
        loop {
            let tallies = self.cache.get(&part.0).and_then(|e| e.tallies.as_ref());
            let view = [(&part.0, &part.1, tallies)];
            match write(&self.shared, &view, applied_at).await {
                Ok(mut settled) => return settled.pop(),
                Err(e) if e.permanent => {
                    refusals += 1;
                    match refusals {
                        1 => {
                            // Its parked status must not be overwritten
                            // by an older snapshot save.
                            self.saved().await;
                            self.park_refused(part, &e.message);
                        }
                        2 => part
                            .1
                            .outcomes
                            .iter_mut()
                            .for_each(|(o, _)| o.payload = None),
                        _ => {
                            tracing::error!(tenant = %part.0.0, game = %part.0.1, error = %e.message, "the parked game's answers were refused too; answered from memory only");
                            for (o, _) in &mut part.1.outcomes {
                                o.applied_at_ms = applied_at;
                            }
                            return Some(Settled {
                                outcomes: part.1.outcomes.clone(),
                                tallies: None,
                                entries: Vec::new(),
                            });
                        }
                    }
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
}
