//! `[redis]`: the leaderboard settings (Redis URL, TTLs, view size; the
//! TTLs and view size apply to the embedded board too).

use serde::{Deserialize, Serialize};

/// `[redis]`: the leaderboard projection (see `docs/leaderboards.md`). The
/// TTLs and view size also apply to the embedded board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// Redis URL (`VELTRIX_REDIS_URL`). Default `redis://127.0.0.1:6379`.
    pub url: String,
    /// TTL of a game's boards and applied-reward set, in ms, refreshed on
    /// every write, so finished games expire on their own. Default
    /// 86,400,000 (24 h).
    pub board_ttl_ms: u64,
    /// TTL of the cached top-N view of a board, in ms, refreshed on every
    /// write. Default 30,000.
    pub view_ttl_ms: u64,
    /// How many standings the cached top-N view holds; `top(n)` with a
    /// larger `n` reads the board itself. Default 100.
    pub view_size: u32,
    /// Per-command response timeout and connect timeout, in ms. Default
    /// 1,000.
    pub timeout_ms: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".into(),
            board_ttl_ms: 24 * 3600 * 1000,
            view_ttl_ms: 30_000,
            view_size: 100,
            timeout_ms: 1_000,
        }
    }
}
