//! `[processor]`: batch sizes, waits, snapshot cadence and cache bounds of
//! the game processor.

use serde::{Deserialize, Serialize};

/// `[processor]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessorConfig {
    /// Worker loops per host: members of the game family's consumer
    /// group, each owning a share of the partitions (its games), so
    /// games on different partitions apply and commit in parallel.
    /// Default 2.
    pub workers: usize,
    /// Most game-stream records one poll returns (and one effects
    /// transaction covers). Default 500.
    pub poll_batch: usize,
    /// How long a poll waits for the first record, in ms. Also bounds how
    /// long shutdown waits for the loop to notice. Default 50.
    pub poll_wait_ms: u64,
    /// Save a game's snapshot after this many actions (applied or
    /// rejected) since its last one. Bounds the replay after a crash.
    /// Default 200.
    pub snapshot_every: u64,
    /// Games whose state stays in memory; the least recently used is
    /// snapshotted and dropped beyond this. Default 10,000.
    pub max_games_cached: usize,
    /// Records read per `Streams::read` while rebuilding a game from its
    /// snapshot. Default 1,000.
    pub replay_chunk: usize,
    /// A game with at least this many actions in one poll has them applied
    /// in one `apply-batch` plugin call (one state copy each way instead
    /// of one per action; the per-action path decides whenever the two
    /// could differ, see `processor/batched.rs`). 0 turns it off. Default 2.
    pub apply_batch_min: usize,
    /// `apply-batch` calls per poll and game whose result the per-action
    /// path had to replace (a fault, a refused effect, a status change)
    /// before the rest of that poll goes one by one. A refusal is usually
    /// one action's doing (the one that starts or ends the game), so the
    /// call is tried again from the action after it. Default 3.
    pub apply_batch_retries: u32,
    /// Batch tails (quest/player event acks, then snapshots) a worker loop
    /// keeps in flight while it goes on with the next batches; offsets
    /// commit in batch order as tails finish. 1: each batch's tail is done
    /// before the next batch's starts. Default 4.
    pub tails_in_flight: usize,
    /// Action outcomes kept for [`super::Processor::outcome`] lookups,
    /// oldest dropped first. Default 100,000.
    pub outcomes_retained: usize,
    /// Pause between retries when committing a batch's effects failed
    /// (database, stream or leaderboard unavailable), in ms. The batch is
    /// retried until it commits: offsets never move past uncommitted
    /// effects. Default 200.
    pub effect_retry_ms: u64,
    /// The host's clock: every this many ms, each unfinished game whose
    /// type declares the `tick` kind gets a `tick` action, so rounds and
    /// time limits close without a player acting. 0 turns the ticker off.
    /// Default 1,000.
    pub tick_interval_ms: u64,
    /// Games read per page while ticking. Default 1,000.
    pub tick_page: usize,
    /// Ticks in flight at once (each waits for its stream ack). Default 64.
    pub tick_concurrency: usize,
    /// Largest |points| of one reward, and of what one action gives one
    /// player. A plugin that mints more faults that action
    /// (`invalid-effects`) before anything is written: every board total
    /// stays exact (boards hold doubles, exact to 2^53) and the ledger's
    /// sums far from 64-bit overflow. Default 1,000,000,000.
    pub max_reward_points: i64,
    /// Attempts at a replayed action that stalls the sandbox's wall-clock
    /// backstop (it applied live, so the stall is the machine's, not the
    /// plugin's) before its game is parked rather than rebuilt without
    /// it. Default 3.
    pub replay_stall_tries: u32,
    /// Actions this host has accepted into the game stream and not yet
    /// applied (submitted, outcome not resolved) beyond which a submit is
    /// refused with [`super::ProcessorError::Overloaded`] (the API: 503
    /// with `Retry-After`) instead of queueing what cannot be applied in
    /// time. Size it to the host's capacity times the answer time you
    /// accept (docs/processor.md, "Overload"). Default 10,000.
    pub max_in_flight: usize,
    /// What an overloaded submit tells the caller to wait before trying
    /// again, in ms (the API's `Retry-After`, rounded up to seconds).
    /// Default 1,000.
    pub overload_retry_after_ms: u64,
    /// How often a host makes partner uploads that another host took
    /// current here (and consumes their topics), in ms; 0 never (one host,
    /// or restarts only). A game pinned to a component not loaded here
    /// loads it from the store when it needs it, whatever this says.
    /// Default 2,000.
    pub plugin_sync_ms: u64,
    /// How often a request waiting for an action whose game another host
    /// applies (its partition is not owned here) reads the action's
    /// stored outcome, in ms. A waiter whose game this host applies polls
    /// nothing; it hears of a rebalance that moves the game away. Default
    /// 20.
    pub outcome_poll_ms: u64,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            poll_batch: 500,
            poll_wait_ms: 50,
            snapshot_every: 200,
            max_games_cached: 10_000,
            replay_chunk: 1_000,
            apply_batch_min: 2,
            apply_batch_retries: 3,
            tails_in_flight: 4,
            outcomes_retained: 100_000,
            effect_retry_ms: 200,
            tick_interval_ms: 1_000,
            tick_page: 1_000,
            tick_concurrency: 64,
            max_reward_points: 1_000_000_000,
            replay_stall_tries: 3,
            max_in_flight: 10_000,
            overload_retry_after_ms: 1_000,
            plugin_sync_ms: 2_000,
            outcome_poll_ms: 20,
        }
    }
}
