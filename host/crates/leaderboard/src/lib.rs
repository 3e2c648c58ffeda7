//! # veltrix-leaderboard
//!
//! Leaderboards: a projection of the reward ledger, never a source of truth.
//!
//! - [`config`]: the `[redis]` section;
//! - [`keys`]: id validation and the Redis key layout (tenant prefix on
//!   every key);
//! - [`order`]: the ranking order (score, then who reached it first), its
//!   limits, and [`Tally`], the fold of reward entries both backends share;
//! - [`embedded`]: the in-process board (default mode, no server);
//! - [`redis`]: sorted sets in Redis, updated by Lua scripts.
//!
//! Everything here can be thrown away and rebuilt from the ledger with
//! [`Leaderboard::rebuild`]: there is no reconciliation loop, because there
//! is nothing to reconcile. Applying is idempotent per `reward_id` (the
//! reward stream is at-least-once), so after a rebuild the stream can be
//! replayed from any earlier point without double counting. See
//! `docs/leaderboards.md`.

pub mod config;
pub mod embedded;
pub mod keys;
pub mod order;
pub mod redis;

use std::time::Duration;

pub use embedded::EmbeddedBoard;
pub use order::{MAX_AT_MS, MAX_SCORE, Tally};
pub use redis::RedisBoard;

pub use config::RedisConfig;

/// Which board of a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Board {
    /// One standing per player.
    Players,
    /// One standing per team (sum of its members' rewards that carried the
    /// team id).
    Teams,
}

impl Board {
    /// The name used in keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Board::Players => "players",
            Board::Teams => "teams",
        }
    }
}

/// One score change, as carried by the reward stream / ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreEntry {
    /// Tenant id (validated by [`keys::validate_scope_id`]).
    pub tenant: String,
    /// Game id (validated like the tenant).
    pub game_id: String,
    /// Player the points go to.
    pub player_id: String,
    /// Team that also gets the points, if any.
    pub team_id: Option<String>,
    /// Points; negative for a revocation or a hint cost. `|delta|` must be
    /// at most [`MAX_SCORE`].
    pub delta: i64,
    /// The reward's deterministic id: applying it twice counts once.
    pub reward_id: String,
    /// When the score was reached (the action's timestamp), ms since the
    /// Unix epoch, in `0..=MAX_AT_MS`.
    pub at_ms: i64,
}

/// One line of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Player or team id.
    pub id: String,
    /// Total points.
    pub score: i64,
    /// 1-based position; never shared (ties go to who reached the score
    /// first).
    pub rank: u64,
    /// When the current score was reached: the latest `at_ms` among the
    /// non-zero rewards counted.
    pub reached_at_ms: i64,
}

/// What [`Leaderboard::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Entries counted for the first time.
    pub applied: usize,
    /// Entries whose `reward_id` was already counted (skipped).
    pub duplicates: usize,
}

/// Leaderboard failures. Messages are ours: backend error text is logged
/// with tracing, never passed on to API clients.
#[derive(Debug, thiserror::Error)]
pub enum LeaderboardError {
    /// The request was refused before reaching the backend.
    #[error("invalid leaderboard request: {0}")]
    Invalid(String),
    /// The backend could not be reached or refused the request.
    #[error("leaderboard backend unavailable")]
    Unavailable,
    /// The backend returned data this code did not write.
    #[error("leaderboard data is corrupt")]
    Corrupt,
}

/// Largest `n` of `top` and `2k + 1` of `around`: larger requests are
/// clamped, so one call can never make Redis walk a whole big board.
pub const MAX_PAGE: usize = 1_000;

/// TTLs and view size, from `[redis]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSettings {
    /// Lifetime of a game's boards after their last write.
    pub board_ttl: Duration,
    /// Lifetime of the cached top-N view after its last refresh.
    pub view_ttl: Duration,
    /// Standings held by the cached view.
    pub view_size: usize,
}

impl From<&RedisConfig> for BoardSettings {
    fn from(c: &RedisConfig) -> Self {
        Self {
            // A zero TTL would make PEXPIRE delete the key at once.
            board_ttl: Duration::from_millis(c.board_ttl_ms.max(1)),
            view_ttl: Duration::from_millis(c.view_ttl_ms.max(1)),
            view_size: (c.view_size as usize).clamp(1, MAX_PAGE),
        }
    }
}

impl Default for BoardSettings {
    fn default() -> Self {
        Self::from(&RedisConfig::default())
    }
}

/// A game's boards. Both backends give the same answers for the same
/// entries, whatever their order and however often each is delivered.
#[async_trait::async_trait]
pub trait Leaderboard: Send + Sync {
    /// `embedded` or `redis`.
    fn backend(&self) -> &'static str;

    /// Adds each entry to its player's board and, when `team_id` is set, to
    /// its team's board. An entry whose `reward_id` was already applied to
    /// that game is skipped. Every entry is validated first: one invalid
    /// entry refuses the whole call and changes nothing. Entries of one
    /// game are applied atomically; a call spanning several games is
    /// atomic per game.
    async fn apply(&self, entries: &[ScoreEntry]) -> Result<Applied, LeaderboardError>;

    /// The first `n` standings (at most [`MAX_PAGE`]).
    async fn top(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        n: usize,
    ) -> Result<Vec<Standing>, LeaderboardError>;

    /// `id`'s standing, `None` when it is not on the board.
    async fn rank(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
    ) -> Result<Option<Standing>, LeaderboardError>;

    /// `id`'s standing with up to `k` neighbours on each side, in rank
    /// order; empty when `id` is not on the board.
    async fn around(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
        k: usize,
    ) -> Result<Vec<Standing>, LeaderboardError>;

    /// Replaces the game's boards and applied-reward set with the fold of
    /// `entries` (the ledger's full list for the game; every entry must
    /// belong to `tenant`/`game`). Readers see the old boards or the new
    /// ones, never a mix. Rewards applied while the rebuild runs are lost
    /// unless `entries` holds them: replay the stream from the ledger
    /// snapshot's position afterwards (duplicates are skipped).
    async fn rebuild(
        &self,
        tenant: &str,
        game: &str,
        entries: &[ScoreEntry],
    ) -> Result<(), LeaderboardError>;

    /// Deletes the game's boards, views and applied-reward set.
    async fn clear(&self, tenant: &str, game: &str) -> Result<(), LeaderboardError>;
}
