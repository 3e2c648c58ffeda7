//! Leaderboards rebuilt from the ledger: the board is a projection, so
//! rebuilding it is folding the ledger again (no reconciliation). `serve`
//! does it for every game at start when its board lives in memory (the
//! embedded board starts empty), and `veltrix leaderboard rebuild` does it
//! on demand (a flushed or restarted Redis).
//!
//! Entries are made exactly as the live pipeline makes them
//! ([`super::effects::score_entry`], the time from the reward's payload),
//! so a rebuilt board equals the live one.

use veltrix_leaderboard::{Leaderboard, LeaderboardError, MAX_AT_MS, ScoreEntry};
use veltrix_store::{RewardRow, Store, StoreError};

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct RebuildReport {
    /// Games whose boards were rebuilt.
    pub games: usize,
    /// Ledger rows folded into them.
    pub rewards: usize,
    /// Rows a board refused (logged; the ledger keeps them).
    pub refused: usize,
}

/// Why a rebuild stopped.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The board backend failed.
    #[error(transparent)]
    Board(#[from] LeaderboardError),
}

/// The board entry of a ledger row, at the game time its payload records.
pub fn entry_of(row: &RewardRow) -> ScoreEntry {
    let at = row
        .reward
        .payload
        .get("at_ms")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(row.created_at_ms)
        .clamp(0, MAX_AT_MS);
    super::effects::score_entry(row, at)
}

/// Rebuilds the boards of `games` (every game with ledger rows when
/// `None`) from the ledger.
#[tracing::instrument(skip_all)]
pub async fn rebuild_boards(
    store: &Store,
    board: &dyn Leaderboard,
    games: Option<Vec<(String, String)>>,
) -> Result<RebuildReport, RebuildError> {
    let games = match games {
        Some(g) => g,
        None => store.games_with_rewards().await?,
    };
    let mut report = RebuildReport::default();
    for (tenant, game) in games {
        let rows = store.rewards(&tenant, &game).await?;
        let (entries, refused): (Vec<_>, Vec<_>) = rows
            .iter()
            .map(entry_of)
            .partition(|e| veltrix_leaderboard::order::validate_entry(e).is_ok());
        for e in &refused {
            tracing::error!(%tenant, %game, reward_id = %e.reward_id, "a ledger row the board cannot take; left out");
        }
        board.rebuild(&tenant, &game, &entries).await?;
        report.games += 1;
        report.rewards += entries.len();
        report.refused += refused.len();
    }
    tracing::info!(
        games = report.games,
        rewards = report.rewards,
        refused = report.refused,
        "leaderboards rebuilt from the ledger"
    );
    Ok(report)
}
