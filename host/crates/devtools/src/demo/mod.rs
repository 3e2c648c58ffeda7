//! `veltrix demo`: a simulated live corporate treasure hunt through the
//! whole pipeline, in-process and without servers.
//!
//! One tenant (`demo-corp`), one game per built-in game type, all six at
//! once; the players (dealt into teams) play each game's sample workload
//! ([`population`] recasts it onto them), every action goes through the
//! API's idempotency path and a fraction is retried by the "client"
//! ([`simulation`]); a relay publishes the rewards all along and an
//! [`observer`] times quest updates and rewards on their streams. The
//! [`summary`] checks the invariants: each reward in the ledger once,
//! retries answered with the first result, ledger totals = leaderboard
//! totals.
//!
//! - [`rig`]: the in-process pipeline (also used by `bench pipeline`);
//! - [`published`]: the rewards the relay published, read back by offset;
//! - [`feeds`]: a few players' live feeds, open all along; the summary
//!   gives their messages' median size.

pub mod feeds;
pub mod observer;
pub mod population;
pub mod published;
pub mod rig;
pub mod simulation;
pub mod summary;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::watch;

use crate::builtin::BUILTINS;
pub use population::Population;
pub use rig::{DemoBackend, Rig};
pub use summary::DemoReport;
use veltrix_server::config::HostConfig;
use veltrix_streams::Family;
use veltrix_streams::envelope::now_ms;

/// The demo's tenant.
pub const TENANT: &str = "demo-corp";

/// How long the relay gets to publish every reward after the last outcome.
const DRAIN: Duration = Duration::from_secs(60);
/// How long the stream observer then gets to consume them.
const OBSERVER_WAIT: Duration = Duration::from_secs(15);
/// The feeds are done once none got a message for this long...
const FEED_QUIET: Duration = Duration::from_secs(1);
/// ...or after this long.
const FEED_WAIT: Duration = Duration::from_secs(30);

/// `veltrix demo` options (the CLI flags; defaults documented there).
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Players.
    pub players: usize,
    /// Teams.
    pub teams: usize,
    /// Actions per player, over all games.
    pub actions_per_player: usize,
    /// Fraction of actions retried by the client, 0..=1.
    pub retry_rate: f64,
    /// Backends.
    pub backend: DemoBackend,
    /// Seed of the workloads and the retry draw.
    pub seed: u64,
    /// Players whose live feed stays open, spread over the games (0: none).
    pub feeds: usize,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            players: 300,
            teams: 30,
            actions_per_player: 30,
            retry_rate: 0.05,
            backend: DemoBackend::Embedded,
            seed: 7,
            feeds: 12,
            progress: true,
        }
    }
}

/// Runs the demo and returns its report (check [`DemoReport::passed`]).
pub async fn run(cfg: &HostConfig, opts: &DemoOptions) -> anyhow::Result<DemoReport> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&opts.retry_rate),
        "--retry-rate must be within 0..=1"
    );
    let pop = Population::new(opts.players, opts.teams);
    let rig = Rig::start(cfg, opts.backend).await?;
    if rig
        .store
        .create_tenant(TENANT, "Demo Corp")
        .await?
        .is_none()
    {
        tracing::info!(tenant = TENANT, "tenant exists (a shared database)");
    }

    // Game ids are never reused (a Kafka partition remembers them): a run
    // suffix keeps reruns on a shared backend apart.
    let run_id = now_ms();
    let total = pop.players * opts.actions_per_player;
    let per_game = total.div_ceil(BUILTINS.len()).max(1);
    let mut games = Vec::new();
    for (g, b) in BUILTINS.iter().enumerate() {
        let game_id = format!("{}-{run_id}", b.name);
        rig.processor
            .create_game(TENANT, &game_id, b.name, &(b.sample_config)(), opts.seed)
            .await
            .with_context(|| format!("creating the {} game", b.name))?;
        let mut actions = (b.sample_actions)(per_game, opts.seed + g as u64);
        pop.recast(g, &mut actions);
        for (i, a) in actions.iter_mut().enumerate() {
            a.idempotency_key = format!("{game_id}-{i}");
        }
        games.push((b.name, game_id, actions));
    }

    // A few players of each game keep their feed open from the start.
    let per_game = opts.feeds.div_ceil(BUILTINS.len());
    let mut watched: Vec<_> = games
        .iter()
        .flat_map(|(_, id, actions)| feeds::players_of(TENANT, id, actions, per_game))
        .collect();
    watched.truncate(opts.feeds);
    let probe = feeds::FeedProbe::open(
        Arc::clone(&rig.streams),
        rig.cfg.streams.topic(Family::Players, ""),
        &rig.processor,
        watched,
    )
    .await
    .context("opening the player feeds")?;

    let marks = published::marks(&rig.streams, &rig.cfg.streams)
        .await
        .context("reading reward-topic end offsets")?;
    let (obs_stop, obs_rx) = watch::channel(false);
    let observer = observer::Observer::default();
    let obs_task = observer
        .spawn(
            Arc::clone(&rig.streams),
            &rig.cfg.streams,
            &format!("demo-observer-{run_id}"),
            obs_rx,
        )
        .await
        .context("subscribing the stream observer")?;

    let counters = Arc::new(simulation::Counters::default());
    let ctx = simulation::Ctx {
        processor: Arc::clone(&rig.processor),
        store: rig.store.clone(),
        observer: observer.clone(),
        counters: Arc::clone(&counters),
        retry_rate: opts.retry_rate,
        seed: opts.seed,
    };
    let submitted: u64 = games.iter().map(|g| g.2.len() as u64).sum();
    let bar_stop = Arc::new(AtomicBool::new(false));
    let bar = opts.progress.then(|| {
        tokio::spawn(simulation::progress(
            Arc::clone(&counters),
            submitted,
            Arc::clone(&bar_stop),
        ))
    });
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (_, game_id, actions) in &mut games {
        tasks.push(tokio::spawn(simulation::play(
            ctx.clone(),
            simulation::GameRun {
                tenant: TENANT.into(),
                game_id: game_id.clone(),
                actions: std::mem::take(actions),
            },
        )));
    }
    let mut played = Ok(());
    for t in tasks {
        let r = t.await.context("game task")?;
        if played.is_ok() {
            played = r;
        }
    }
    bar_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(b) = bar {
        let _ = b.await;
    }
    played?;
    let elapsed_s = start.elapsed().as_secs_f64();
    drop(ctx);

    // Every reward published, then consumed by the observer.
    rig.drain_outbox(DRAIN).await?;
    let feed = probe.finish(FEED_QUIET, FEED_WAIT).await;
    let mut ledger_rows = 0;
    let mut summaries = Vec::new();
    for (ty, game_id, _) in &games {
        let s = summary::game(&rig.store, rig.board.as_ref(), TENANT, ty, game_id).await?;
        ledger_rows += s.ledger_rows;
        summaries.push(s);
    }
    let game_ids = games.iter().map(|g| g.1.clone()).collect();
    let mut read_back_error = None;
    let published = match published::rewards_since(&rig.streams, &marks, TENANT, &game_ids).await {
        Ok((events, ids)) => Some((events, ids.len())),
        // A broker that times out reads must not hide the rest of the
        // report; embedded reads cannot time out, so there it is fatal.
        Err(e) if opts.backend == DemoBackend::Kafka => {
            tracing::warn!(error = %format!("{e:#}"), "reading the published rewards back failed");
            read_back_error = Some(format!("{e:#}"));
            None
        }
        Err(e) => return Err(e.context("reading the published rewards back")),
    };
    let t = Instant::now();
    while (observer.observed().distinct_rewards as usize) < ledger_rows
        && t.elapsed() < OBSERVER_WAIT
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = obs_stop.send(true);
    let _ = obs_task.await;

    let mut report = DemoReport {
        backend: format!("{:?}", opts.backend).to_lowercase(),
        players: pop.players,
        teams: pop.teams,
        elapsed_s,
        tally: counters.tally(),
        applied: rig.processor.latency(),
        streams: observer.observed(),
        ledger_rows,
        published_events: published.map(|p| p.0),
        published_rewards: published.map(|p| p.1),
        games: summaries,
        feed,
        failures: Vec::new(),
        warnings: Vec::new(),
    };
    (report.failures, report.warnings) = summary::check(&report);
    if let Some(e) = read_back_error {
        report
            .warnings
            .push(format!("reward topics not read back: {e}"));
    }
    rig.stop().await?;
    Ok(report)
}
