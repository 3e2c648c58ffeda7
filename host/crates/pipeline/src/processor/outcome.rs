//! Per-action outcomes for the API layer, and the accepted -> applied
//! latency.
//!
//! `submit` registers the action id before the action is sent, so the
//! worker can never resolve an outcome nobody waits for yet. An outcome is
//! published only after the action's effects have committed (ledger,
//! leaderboard, quest and player events): "applied" means durable.
//!
//! Outcomes resolve in the process that applied the action; a waiter for
//! an action another host applies reads the stored outcome instead
//! ([`super::submitted`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};
use veltrix_contract::{GameStatus, RejectionCode};

/// What happened to one action (its schema is part of the API's OpenAPI
/// document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ActionResult {
    /// The plugin accepted it; its effects are committed.
    Applied {
        /// Game status after the action.
        #[schema(value_type = String, example = "running")]
        status: GameStatus,
        /// Rewards the action produced.
        rewards: usize,
        /// Of those, rewards minted for the first time (the others were
        /// already in the ledger: a replay).
        minted: usize,
        /// Quest updates published.
        quest_updates: usize,
        /// Score deltas the plugin reported.
        score_deltas: usize,
        /// What the action paid, one entry per reward, in the ledger's
        /// terms (empty in outcomes stored before this field existed).
        #[serde(default)]
        paid: Vec<Paid>,
        /// Points totals right after this action of the acting player,
        /// their team and every player and team it paid (from the ledger,
        /// as the boards count them). `None` in outcomes stored before
        /// this field existed, or when the ledger could not be read.
        #[serde(default)]
        totals: Option<Totals>,
    },
    /// The plugin refused it; the game state is unchanged.
    Rejected {
        /// Why.
        #[schema(value_type = String, example = "wrong-answer")]
        code: RejectionCode,
        /// For the player.
        message: String,
    },
    /// The plugin faulted (trap, fuel, deadline, memory, size) or produced
    /// unusable effects; the game state is unchanged.
    Faulted {
        /// Stable code (`trapped`, `fuel-exhausted`, `invalid-effects`...).
        code: String,
        /// Our message (no guest text beyond the fault's own).
        message: String,
    },
    /// The game does not exist (or its pinned plugin is not registered).
    UnknownGame {
        /// Why.
        message: String,
    },
}

/// One reward an action paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Paid {
    /// The player credited.
    pub player: String,
    /// Their team, if the reward counts for one.
    pub team: Option<String>,
    /// A declared reward type (`streams.reward_types`).
    pub reward_type: String,
    /// The plugin's key for it (unique per player in the game).
    pub reward_key: String,
    /// Points (negative for a penalty or a revocation).
    pub points: i64,
    /// Whether this action minted it (`false`: it was in the ledger
    /// already, from an earlier delivery of the same action).
    pub minted: bool,
}

/// Points totals after an action, by player and by team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Totals {
    /// Player id -> total points.
    pub players: BTreeMap<String, i64>,
    /// Team id -> total points.
    pub teams: BTreeMap<String, i64>,
}

/// The outcome of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The action id (the game-stream event id `submit` returned).
    pub action_id: String,
    /// Tenant.
    pub tenant: String,
    /// Game.
    pub game_id: String,
    /// Game-stream offset of the action.
    pub offset: i64,
    /// The acting player (empty where the action could not be decoded).
    #[serde(default)]
    pub player_id: String,
    /// What happened.
    pub result: ActionResult,
    /// When the host accepted it (the envelope time), ms since the epoch.
    pub received_at_ms: i64,
    /// When its effects committed, ms since the epoch.
    pub applied_at_ms: i64,
    /// The action's kind (empty where the action could not be decoded).
    #[serde(default)]
    pub kind: String,
    /// The action's payload (JSON text), only for kinds whose contract
    /// says `takes_evidence`: a judge's queue shows it.
    #[serde(default)]
    pub payload: Option<String>,
    /// When each processing stage ended, on this process's clock (the
    /// pipeline bench's breakdown). Not serialized, ignored by `==`.
    #[serde(skip)]
    pub stages: StageTimes,
}

/// When the processor's stages ended for one action (this process's
/// monotonic clock; `None` where the stage did not run).
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    /// The poll that returned the action's batch.
    pub polled: Option<Instant>,
    /// The plugin returned for this action.
    pub plugin_done: Option<Instant>,
    /// The batch's transaction committed: ledger + outbox, outcomes,
    /// statuses and quest progress (the group commit).
    pub stored: Option<Instant>,
    /// The boards show the batch's rewards; the outcome resolves right
    /// after, before the quest/player events are acked and the
    /// game-stream offsets committed (a crash in between redelivers the
    /// batch, which applies nothing twice and answers the same).
    pub boards_done: Option<Instant>,
}

/// Timings are measurements, not part of what happened.
impl PartialEq for StageTimes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for StageTimes {}

/// Latency from `submit` to outcome, in microseconds, for actions
/// submitted through this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LatencySummary {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Maximum.
    pub max_us: u64,
}

/// Counters since the processor started (for tests, metrics and the
/// pipeline bench).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ProcessorStats {
    /// Batches committed.
    pub batches: u64,
    /// Actions applied (effects committed).
    pub applied: u64,
    /// Actions the plugin rejected.
    pub rejected: u64,
    /// Actions that faulted.
    pub faulted: u64,
    /// Actions for games that could not be loaded.
    pub unknown_game: u64,
    /// Games loaded from a snapshot.
    pub games_loaded: u64,
    /// Actions replayed (state only) while loading games.
    pub replayed: u64,
    /// Snapshots written.
    pub snapshots: u64,
    /// Actions whose step came from an `apply-batch` call (the rest went
    /// through `apply` one by one).
    pub batched: u64,
    /// Batches whose stream offsets are committed (their tails done):
    /// `batches - committed` is what a crash now would redeliver.
    pub committed: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub batches: AtomicU64,
    pub applied: AtomicU64,
    pub rejected: AtomicU64,
    pub faulted: AtomicU64,
    pub unknown_game: AtomicU64,
    pub games_loaded: AtomicU64,
    pub replayed: AtomicU64,
    pub snapshots: AtomicU64,
    pub batched: AtomicU64,
    pub committed: AtomicU64,
}

impl Counters {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn count(&self, r: &ActionResult) {
        let c = match r {
            ActionResult::Applied { .. } => &self.applied,
            ActionResult::Rejected { .. } => &self.rejected,
            ActionResult::Faulted { .. } => &self.faulted,
            ActionResult::UnknownGame { .. } => &self.unknown_game,
        };
        Self::add(c, 1);
    }

    pub(crate) fn snapshot(&self) -> ProcessorStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ProcessorStats {
            batches: g(&self.batches),
            applied: g(&self.applied),
            rejected: g(&self.rejected),
            faulted: g(&self.faulted),
            unknown_game: g(&self.unknown_game),
            games_loaded: g(&self.games_loaded),
            replayed: g(&self.replayed),
            snapshots: g(&self.snapshots),
            batched: g(&self.batched),
            committed: g(&self.committed),
        }
    }
}

type Key = (String, String);

/// Registrations older than this are dropped once `outcomes_retained` of
/// them pile up.
const STALE_WAITER: Duration = Duration::from_secs(600);

#[derive(Default)]
struct Book {
    done: HashMap<Key, Outcome>,
    order: VecDeque<Key>,
    waiting: HashMap<Key, (Instant, Vec<oneshot::Sender<Outcome>>)>,
}

/// Resolved outcomes buffered per subscriber of
/// [`super::Processor::subscribe_outcomes`]; a slower one skips the oldest.
const BROADCAST: usize = 1_024;

/// Outcomes by (tenant, action id), bounded.
pub(crate) struct Outcomes {
    book: Mutex<Book>,
    latency: Mutex<Histogram<u64>>,
    retained: usize,
    /// Every resolved outcome, to whoever listens (the activity feed).
    resolved: broadcast::Sender<std::sync::Arc<Outcome>>,
}

impl Outcomes {
    pub(crate) fn new(retained: usize) -> Self {
        Self {
            book: Mutex::default(),
            // 1 us .. 1 h, 3 significant digits.
            latency: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("bounds")),
            retained: retained.max(1),
            resolved: broadcast::channel(BROADCAST).0,
        }
    }

    /// Every outcome resolved from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<std::sync::Arc<Outcome>> {
        self.resolved.subscribe()
    }

    /// Registers interest in `action_id` before it is sent, unless
    /// `limit` actions already wait for theirs (then how many do): the
    /// admission check and the registration under one lock, so concurrent
    /// submits cannot all slip past the bound.
    pub(crate) fn admit(
        &self,
        tenant: &str,
        action_id: &str,
        limit: usize,
    ) -> Result<oneshot::Receiver<Outcome>, usize> {
        let mut b = self.book.lock().expect("outcomes lock");
        let key = (tenant.to_string(), action_id.to_string());
        // A retry of an action already waiting is not a new one.
        if b.waiting.len() >= limit.max(1) && !b.waiting.contains_key(&key) {
            return Err(b.waiting.len());
        }
        Ok(self.register(&mut b, key))
    }

    /// How many actions submitted here wait for their outcome.
    pub(crate) fn in_flight(&self) -> usize {
        self.book.lock().expect("outcomes lock").waiting.len()
    }

    /// Adds a waiter for `key` to the locked book.
    fn register(&self, b: &mut Book, key: Key) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        if b.waiting.len() >= self.retained {
            // Actions applied by another process never resolve here: drop
            // registrations nobody can still be waiting for.
            b.waiting.retain(|_, (at, senders)| {
                at.elapsed() < STALE_WAITER && senders.iter().any(|s| !s.is_closed())
            });
        }
        b.waiting
            .entry(key)
            .or_insert_with(|| (Instant::now(), Vec::new()))
            .1
            .push(tx);
        rx
    }

    /// Forgets a registration whose send failed.
    pub(crate) fn forget(&self, tenant: &str, action_id: &str) {
        let mut b = self.book.lock().expect("outcomes lock");
        b.waiting
            .remove(&(tenant.to_string(), action_id.to_string()));
    }

    /// Drops `action_id`'s registration once none of its waiters is left
    /// (they were closed): for an action another host applies, which
    /// would otherwise count against `max_in_flight` here until pruned.
    pub(crate) fn forget_closed(&self, tenant: &str, action_id: &str) {
        let mut b = self.book.lock().expect("outcomes lock");
        let key = (tenant.to_string(), action_id.to_string());
        if b.waiting
            .get(&key)
            .is_some_and(|(_, senders)| senders.iter().all(|s| s.is_closed()))
        {
            b.waiting.remove(&key);
        }
    }

    /// Stores an outcome and wakes its waiters.
    pub(crate) fn resolve(&self, o: Outcome) {
        // The copy is made only for someone watching (the activity feed,
        // a projector): this runs once per action.
        if self.resolved.receiver_count() > 0 {
            let _ = self.resolved.send(std::sync::Arc::new(o.clone()));
        }
        let key = (o.tenant.clone(), o.action_id.clone());
        let mut b = self.book.lock().expect("outcomes lock");
        if let Some((accepted, senders)) = b.waiting.remove(&key) {
            let us = accepted.elapsed().as_micros().max(1) as u64;
            let _ = self
                .latency
                .lock()
                .expect("latency lock")
                .record(us.min(3_600_000_000));
            for s in senders {
                let _ = s.send(o.clone());
            }
        }
        if b.done.insert(key.clone(), o).is_none() {
            b.order.push_back(key);
        }
        while b.order.len() > self.retained {
            if let Some(k) = b.order.pop_front() {
                b.done.remove(&k);
            }
        }
    }

    /// Whether someone here still waits for `action_id`'s outcome.
    pub(crate) fn is_waiting(&self, tenant: &str, action_id: &str) -> bool {
        let b = self.book.lock().expect("outcomes lock");
        b.waiting
            .contains_key(&(tenant.to_string(), action_id.to_string()))
    }

    pub(crate) fn get(&self, tenant: &str, game_id: &str, action_id: &str) -> Option<Outcome> {
        let b = self.book.lock().expect("outcomes lock");
        b.done
            .get(&(tenant.to_string(), action_id.to_string()))
            .filter(|o| o.game_id == game_id)
            .cloned()
    }

    pub(crate) fn latency(&self) -> LatencySummary {
        let h = self.latency.lock().expect("latency lock");
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_is_bounded_by_those_waiting() {
        let o = Outcomes::new(100);
        let _a = o.admit("t", "a", 2).expect("room");
        let _b = o.admit("t", "b", 2).expect("room");
        assert_eq!(o.admit("t", "c", 2).err(), Some(2), "at the bound");
        // The same action again is not a new one.
        assert!(o.admit("t", "b", 2).is_ok());
        o.forget("t", "a");
        assert_eq!(o.in_flight(), 1);
        assert!(o.admit("t", "c", 2).is_ok(), "room once one left");
    }
}
