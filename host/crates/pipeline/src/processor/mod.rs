//! The game processor: the core of the live pipeline.
//!
//! ```text
//! submit ──> game.v1.<type> ──> worker: cached state (or snapshot + replay)
//!                                  └─> pinned plugin `apply`, per action
//!                                        ├─> rewards ─> ledger + outbox ─> relay ─> reward.v1.<type>
//!                                        ├─> ledger rows ─> leaderboard (idempotent per reward_id)
//!                                        ├─> quest updates ─> quest.v1.<type>
//!                                        └─> player deltas ─> events.v1.players
//!                                  then: store outcomes, resolve them, commit consumer offsets, snapshot
//! ```
//!
//! - [`config`]: the `[processor]` section;
//! - [`boards`]: leaderboards rebuilt from the ledger;
//! - [`registry`]: loaded plugins by content hash, current version per type;
//! - [`effects`]: how WIT rewards, score deltas and quest updates map onto
//!   the ledger, the leaderboard and the streams;
//! - [`game`]: one game's cached state and how records advance it;
//! - [`outcome`]: per-action outcomes and accepted -> applied latency;
//! - `ownership`: which game partitions this host's loops own (who ticks
//!   a game, who waits for its outcome locally);
//! - [`service`]: [`Processor`]: `create_game`, `submit`, `outcome`, start
//!   and shutdown;
//! - [`submitted`]: [`Submitted`], waiting for an action's outcome on any
//!   host (the stored outcome when another host applies it);
//! - `shared`: what the loops, the ticker and the handle share, and the
//!   submit path;
//! - [`worker`]: the consume -> apply -> commit loop and the game cache;
//! - `commit`: a batch's effects, outcomes and parked statuses, in order;
//! - `totals`: running points totals per cached game, for the answers;
//! - `batched`: a game's queued actions in one `apply-batch` call;
//! - [`ticker`]: the host's clock, a periodic `tick` to unfinished games;
//! - [`view`]: [`Processor::view`], a player's view of a game's current
//!   state (the copy its worker loop publishes after each batch).
//!
//! Crash safety: a game's state is a snapshot plus the game stream after
//! the snapshot's `next_offset`. Snapshots are written only after the
//! effects of the actions they cover have committed, and consumer offsets
//! only after the effects of the records below them have committed. A
//! processor that dies anywhere leaves records that are delivered again;
//! re-applying them mints nothing twice (the ledger is unique on the
//! deterministic `reward_id`), counts nothing twice on the leaderboard
//! (idempotent per `reward_id`), and republishes quest and player events
//! under the same event ids (consumers deduplicate on `event_id`).

mod batched;
pub mod boards;
mod commit;
pub mod config;
pub mod effects;
pub mod game;
pub mod outcome;
mod ownership;
pub mod registry;
pub mod service;
mod shared;
pub mod submitted;
pub mod ticker;
mod totals;
mod uploads;
pub mod view;
pub mod worker;

pub use boards::{RebuildError, RebuildReport, rebuild_boards};
pub use config::ProcessorConfig;
pub use outcome::{
    ActionResult, LatencySummary, Outcome, Paid, ProcessorStats, StageTimes, Totals,
};
pub use registry::Registry;
pub use service::Processor;
pub use submitted::Submitted;
pub use view::PlayerView;

use veltrix_runtime::Fault;
use veltrix_store::StoreError;
use veltrix_streams::StreamError;

/// Processor failures callers branch on.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// No plugin is registered for this game type.
    #[error("unknown game type `{0}`")]
    UnknownGameType(String),
    /// The game does not exist for this tenant.
    #[error("unknown game `{0}`")]
    UnknownGame(String),
    /// A game with this id already exists.
    #[error("game `{0}` already exists")]
    GameExists(String),
    /// The plugin's `init` refused the config.
    #[error("invalid game config: {0}")]
    InvalidConfig(String),
    /// The plugin faulted during `init`.
    #[error("plugin fault: {0}")]
    Plugin(#[from] Fault),
    /// The action or ids are unusable.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The game's component does not take this action as sent (its kind,
    /// the sender's role, or its payload against the declared schema).
    #[error("refused: {0}")]
    Refused(veltrix_contract::Rejection),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stream failed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The host already holds `processor.max_in_flight` accepted actions
    /// it has not applied: nothing was sent; try again after
    /// `retry_after_ms`.
    #[error(
        "the host is at capacity ({in_flight} actions waiting to apply); retry in {retry_after_ms} ms"
    )]
    Overloaded {
        /// Actions accepted and not yet applied.
        in_flight: usize,
        /// How long to wait before retrying, in ms.
        retry_after_ms: u64,
    },
    /// The processor is already running, or was shut down.
    #[error("processor is not in a state to do this: {0}")]
    State(&'static str),
}
