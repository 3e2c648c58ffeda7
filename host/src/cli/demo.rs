//! `veltrix demo`: the simulated live event (see `host/crates/devtools/src/demo`). Exit 0
//! when every invariant held, 1 otherwise.

use anyhow::Context;
use clap::Args;

use super::runtime;
use veltrix_devtools::demo::{self, DemoBackend, DemoOptions};
use veltrix_server::config::HostConfig;

/// `veltrix demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Players.
    #[arg(long, default_value_t = DemoOptions::default().players)]
    pub players: usize,
    /// Teams (players are dealt round-robin).
    #[arg(long, default_value_t = DemoOptions::default().teams)]
    pub teams: usize,
    /// Actions per player, over the six games.
    #[arg(long, default_value_t = DemoOptions::default().actions_per_player)]
    pub actions_per_player: usize,
    /// Fraction of actions the client sends again with the same
    /// idempotency key.
    #[arg(long, default_value_t = DemoOptions::default().retry_rate)]
    pub retry_rate: f64,
    /// embedded: in-process log, SQLite in a temp dir, embedded board;
    /// kafka: the configured Kafka, database and Redis.
    #[arg(long, value_enum, default_value_t = DemoBackend::Embedded)]
    pub backend: DemoBackend,
    /// Seed of the workloads and the retries.
    #[arg(long, default_value_t = DemoOptions::default().seed)]
    pub seed: u64,
    /// Players whose live feed (what `GET /v1/play/feed` sends) stays open
    /// all along, spread over the games; the summary gives the median
    /// message size. 0: none.
    #[arg(long, default_value_t = DemoOptions::default().feeds)]
    pub feeds: usize,
    /// Print the report as JSON (no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// Runs the demo and prints its summary.
pub(crate) fn demo(config: &HostConfig, args: DemoArgs) -> anyhow::Result<i32> {
    let opts = DemoOptions {
        players: args.players,
        teams: args.teams,
        actions_per_player: args.actions_per_player,
        retry_rate: args.retry_rate,
        backend: args.backend,
        seed: args.seed,
        feeds: args.feeds,
        progress: !args.json,
    };
    let report = runtime()?
        .block_on(demo::run(config, &opts))
        .context("running the demo")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", demo::summary::render(&report));
    }
    Ok(if report.passed() { 0 } else { 1 })
}
