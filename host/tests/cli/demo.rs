//! `veltrix demo` with a small population: the invariants hold (no
//! duplicate rewards, every retry answered with the first result, every
//! game has a leaderboard, ledger totals = leaderboard totals).

use anyhow::{Result, ensure};
use veltrix_devtools::demo::{self, DemoBackend, DemoOptions};
use veltrix_server::config::HostConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_demo_keeps_its_invariants() -> Result<()> {
    let opts = DemoOptions {
        players: 40,
        teams: 4,
        actions_per_player: 15,
        // High, so a small run still retries plenty of actions.
        retry_rate: 0.2,
        backend: DemoBackend::Embedded,
        seed: 11,
        feeds: 6,
        progress: false,
    };
    let r = demo::run(&HostConfig::default(), &opts).await?;
    ensure!(r.passed(), "invariants failed: {:?}", r.failures);
    let t = &r.tally;
    ensure!(t.submitted == 600, "submitted {}", t.submitted);
    ensure!(t.applied + t.rejected + t.faulted == t.submitted);
    ensure!(t.retries_injected > 0, "no retries injected");
    ensure!(t.retries_absorbed == t.retries_injected);
    ensure!(t.retries_leaked == 0);
    ensure!(r.games.len() == 6);
    for g in &r.games {
        ensure!(g.duplicates == 0, "{}: duplicates", g.game_id);
        ensure!(
            g.players_match && g.teams_match,
            "{}: ledger != board",
            g.game_id
        );
        ensure!(
            !g.top_players.is_empty(),
            "{}: empty player board",
            g.game_id
        );
        ensure!(!g.top_teams.is_empty(), "{}: empty team board", g.game_id);
        for (p, _) in &g.top_players {
            ensure!(
                p.starts_with("player-"),
                "{}: sample id {p} leaked",
                g.game_id
            );
        }
    }
    ensure!(t.minted as usize == r.ledger_rows);
    ensure!(r.streams.distinct_rewards as usize == r.ledger_rows);
    ensure!(r.published_rewards == Some(r.ledger_rows));
    // One feed per game, each with its whole view first, then patches.
    let f = &r.feed;
    ensure!(f.feeds == 6, "feeds {}", f.feeds);
    let n = |e: &str| f.by_event.get(e).copied().unwrap_or(0);
    ensure!(n("view") >= f.feeds, "a whole view per feed: {f:?}");
    ensure!(n("patch") > 0 && n("delta") > 0, "{f:?}");
    ensure!(f.median_bytes > 0 && f.median_bytes <= f.max_bytes, "{f:?}");
    Ok(())
}
