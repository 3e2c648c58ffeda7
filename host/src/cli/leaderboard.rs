//! `veltrix leaderboard rebuild`: fold the ledger into the configured
//! board backend again (a flushed or restarted Redis, a board an operator
//! distrusts). `serve` does the same at start for the embedded board.

use anyhow::Context;

use super::runtime;
use veltrix_api::LeaderboardBackend;
use veltrix_pipeline::processor::rebuild_boards;
use veltrix_server::config::HostConfig;

/// Rebuilds one game's boards (`tenant` and `game`) or every game's.
pub(crate) fn rebuild(
    config: &HostConfig,
    game: Option<(String, String)>,
    json: bool,
) -> anyhow::Result<i32> {
    let report = runtime()?.block_on(async {
        let store = veltrix_server::open_store(config)
            .await
            .context("opening the store")?;
        // With the embedded board nothing outlives this process: this only
        // checks that every ledger row folds (`serve` rebuilds it at start).
        let board = veltrix_server::open_board(config)
            .await
            .context("opening the leaderboard")?;
        let report = rebuild_boards(&store, board.as_ref(), game.map(|g| vec![g]))
            .await
            .context("rebuilding the leaderboards")?;
        store.close().await;
        anyhow::Ok(report)
    })?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "rebuilt {} game(s) from {} ledger row(s) ({} refused by the board) on the {} board",
            report.games,
            report.rewards,
            report.refused,
            match config.api.leaderboard {
                LeaderboardBackend::Redis => "redis",
                LeaderboardBackend::Embedded => "embedded",
            }
        );
    }
    Ok(if report.refused > 0 { 1 } else { 0 })
}
