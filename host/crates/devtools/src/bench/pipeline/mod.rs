//! `veltrix bench pipeline`: the whole live pipeline in-process under an
//! open-loop load. Action `i` is due at `start + i / rate` whatever the
//! system does (no coordinated omission: latencies count from the due
//! time, so falling behind shows up as latency, not as a lower rate).
//!
//! Actions enter at the ingest boundary (`Processor::submit`, no HTTP, no
//! idempotency claim) and are timed to:
//! - accepted: `submit` returned (durable in the game stream);
//! - applied: the outcome resolved (effects committed: ledger, board,
//!   quest and player events). The leaderboard is written before the
//!   outcome resolves, so "applied" bounds "on the leaderboard";
//! - quest: the quest update consumed from `quest.v1.*` (matched by
//!   `action_id`) by a consumer group of the bench's own;
//! - reward: the reward consumed from `reward.v1.*` after the outbox relay
//!   published it (matched by the reward payload's `action_id`).
//!
//! Where the time goes: per applied action, the stages between due,
//! submit returned and the processor's [`veltrix_pipeline::processor::StageTimes`]
//! (poll returned, plugin returned, effects committed, outcomes stored)
//! to the outcome ([`stages`]).
//!
//! On Kafka the same invocation first runs raw rdkafka produce -> consume
//! on the same broker, same count and rate, paced the same way, with the
//! game family's producer and fetch settings
//! ([`crate::bench::streams::raw_histogram`]), and checks the issue's
//! Kafka target: >= 2,000 actions/s sustained and our applied p99 at most
//! 10 ms above the raw round trip's p99 ([`KafkaTarget`]).
//!
//! [`chart`] draws a run as an SVG (`--svg PATH`).

pub mod chart;
mod report;
mod stages;
mod timed;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::sync::watch;
use tokio::time::Instant;
use veltrix_sdk::Action;

pub use report::{KafkaTarget, PipelineReport, RawReport, table};
pub use stages::{STAGES, Stage};

use crate::builtin::BUILTINS;
use crate::demo::observer::{Observer, Percentiles, histogram};
use crate::demo::{DemoBackend, Rig};
use stages::StageHists;
use veltrix_pipeline::processor::{ActionResult, ProcessorError};
use veltrix_server::config::HostConfig;
use veltrix_streams::Family;
use veltrix_streams::envelope::now_ms;

/// The bench's tenant.
const TENANT: &str = "bench-pipeline";
/// Games per built-in type: more games spread the load over partitions.
pub const DEFAULT_GAMES_PER_TYPE: usize = 4;
/// An action without an outcome after this long counts as lost.
const OUTCOME_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Hists {
    accepted: Option<Histogram<u64>>,
    applied: Option<Histogram<u64>>,
    stages: StageHists,
}

fn rec(h: &mut Option<Histogram<u64>>, d: Duration) {
    h.get_or_insert_with(histogram)
        .saturating_record((d.as_micros() as u64).max(1));
}

fn pct(h: &Option<Histogram<u64>>) -> Percentiles {
    h.as_ref().map(Percentiles::of).unwrap_or_default()
}

/// Runs the pipeline at `rate` actions/s for `duration`.
pub async fn run(
    cfg: &HostConfig,
    backend: DemoBackend,
    rate: u64,
    duration: Duration,
    games_per_type: usize,
) -> anyhow::Result<PipelineReport> {
    anyhow::ensure!(rate > 0, "--rate must be positive");
    let timings = timed::Timings::default();
    let t = timings.clone();
    let rig = Rig::start_with(cfg, backend, move |c, streams, board| {
        let untimed = c
            .streams
            .game_types
            .iter()
            .map(|ty| c.streams.topic(Family::Game, ty))
            .collect();
        let s = timed::TimedStreams {
            inner: streams,
            untimed,
            t: t.clone(),
        };
        let b = timed::TimedBoard { inner: board, t };
        (Arc::new(s), Arc::new(b))
    })
    .await?;
    let total = (rate as f64 * duration.as_secs_f64()).ceil() as usize;
    let games = games_per_type.max(1) * BUILTINS.len();
    let run_id = now_ms();
    // Per game, its own sample stream (in order); actions are then taken
    // round-robin over the games, so each game sees its stream in order
    // of due time.
    let mut streams: Vec<(String, std::vec::IntoIter<Action>)> = Vec::new();
    for (g, b) in BUILTINS.iter().cycle().take(games).enumerate() {
        let game_id = format!("{}-{g}-{run_id}", b.name);
        rig.processor
            .create_game(TENANT, &game_id, b.name, &(b.sample_config)(), g as u64)
            .await
            .with_context(|| format!("creating {game_id}"))?;
        let n = total.div_ceil(games);
        streams.push((game_id, (b.sample_actions)(n, g as u64).into_iter()));
    }
    let mut plan: Vec<(String, Action)> = Vec::with_capacity(total);
    'fill: loop {
        for (game, it) in &mut streams {
            if plan.len() == total {
                break 'fill;
            }
            match it.next() {
                Some(a) => plan.push((game.clone(), a)),
                None => break 'fill,
            }
        }
    }

    let observer = Observer::default();
    let (obs_stop, obs_rx) = watch::channel(false);
    let obs_task = observer
        .spawn(
            observer_streams(&rig, backend).await?,
            &rig.cfg.streams,
            &format!("bench-observer-{run_id}"),
            obs_rx,
        )
        .await
        .context("subscribing the stream observer")?;

    // Kafka: raw rdkafka at the same rate on the same broker first (our
    // processor idles meanwhile; its and the observer's group joins are
    // done by the time ours starts).
    let raw = match backend {
        DemoBackend::Kafka => Some(raw_run(&rig, total, rate, &run_id.to_string()).await?),
        DemoBackend::Embedded => None,
    };

    let hists = Arc::new(Mutex::new(Hists::default()));
    let lost = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let last_done = Arc::new(Mutex::new(Instant::now()));
    let mut max_lag = Duration::ZERO;
    let start = Instant::now();
    let offered = plan.len() as u64;
    let mut tasks = Vec::with_capacity(plan.len());
    for (i, (game, action)) in plan.into_iter().enumerate() {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due).await;
        max_lag = max_lag.max(Instant::now().saturating_duration_since(due));
        let p = Arc::clone(&rig.processor);
        let (obs, hists, lost, refused, last) = (
            observer.clone(),
            Arc::clone(&hists),
            Arc::clone(&lost),
            Arc::clone(&refused),
            Arc::clone(&last_done),
        );
        tasks.push(tokio::spawn(async move {
            // A client that honours back-pressure: refused at capacity,
            // it waits as told and sends the same action again (the
            // latency from its due time keeps counting).
            let sub = loop {
                match p.submit(TENANT, &game, action.clone()).await {
                    Ok(s) => break s,
                    Err(ProcessorError::Overloaded { retry_after_ms, .. }) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(retry_after_ms.max(1))).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "submit failed");
                        lost.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            };
            let acked = std::time::Instant::now();
            rec(&mut hists.lock().expect("hist").accepted, due.elapsed());
            obs.submitted(&sub.action_id, due.into_std());
            match sub.outcome(OUTCOME_TIMEOUT).await {
                Some(o) if !matches!(o.result, ActionResult::UnknownGame { .. }) => {
                    let seen = std::time::Instant::now();
                    let mut h = hists.lock().expect("hist");
                    rec(&mut h.applied, due.elapsed());
                    h.stages.record(due.into_std(), acked, &o.stages, seen);
                    drop(h);
                    let mut l = last.lock().expect("last");
                    *l = (*l).max(Instant::now());
                }
                _ => {
                    lost.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.context("action task")?;
    }
    let elapsed = last_done.lock().expect("last").duration_since(start);

    rig.drain_outbox(OUTCOME_TIMEOUT).await?;
    let stats = rig.processor.stats();
    let wait = Instant::now();
    while (observer.observed().reward.count < stats_minted(&rig, run_id).await?
        || observer.observed().quest.count == 0)
        && wait.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = obs_stop.send(true);
    let _ = obs_task.await;
    let seen = observer.observed();
    let (accepted, applied, stages) = {
        let h = hists.lock().expect("hist");
        (pct(&h.accepted), pct(&h.applied), h.stages.report())
    };
    let done = stats.applied + stats.rejected + stats.faulted;
    let mut report = PipelineReport {
        backend: format!("{backend:?}").to_lowercase(),
        offered_rate: rate,
        duration_s: duration.as_secs_f64(),
        offered,
        sustained_rate: done as f64 / elapsed.as_secs_f64().max(1e-9),
        elapsed_s: elapsed.as_secs_f64(),
        max_send_lag_ms: max_lag.as_secs_f64() * 1000.0,
        accepted,
        applied,
        quest: seen.quest,
        reward: seen.reward,
        stages,
        board_apply: timings.report().0,
        event_ack: timings.report().1,
        lost: lost.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        processor: stats,
        raw: None,
        kafka_target: None,
    };
    if let Some(raw) = raw {
        report.kafka_target = Some(KafkaTarget::of(&report, &raw));
        report.raw = Some(raw);
    }
    rig.stop().await?;
    Ok(report)
}

/// The observer's stream client. On Kafka a client of its own whose new
/// consumer groups start at the end of the topics: the shared broker's
/// quest and reward topics hold earlier runs' events, which a group
/// starting at the earliest offset would have to read through first.
async fn observer_streams(
    rig: &Rig,
    backend: DemoBackend,
) -> anyhow::Result<Arc<dyn veltrix_streams::Streams>> {
    Ok(match backend {
        DemoBackend::Embedded => Arc::clone(&rig.streams),
        DemoBackend::Kafka => {
            let mut kafka = rig.cfg.kafka.clone();
            kafka
                .consumer
                .insert("auto.offset.reset".into(), "latest".into());
            veltrix_server::open_streams(&rig.cfg.streams, &kafka, &rig.cfg.database.url)
                .await
                .context("opening the observer's stream client")?
        }
    })
}

/// Raw rdkafka produce -> consume of `n` records at `rate` on a game-family
/// bench topic (the game stream's producer and fetch settings).
async fn raw_run(rig: &Rig, n: usize, rate: u64, run: &str) -> anyhow::Result<RawReport> {
    let family = Family::Game;
    eprintln!("raw rdkafka: {n} records at {rate}/s ...");
    let (row, h) = crate::bench::streams::raw_histogram(
        &*rig.streams,
        &rig.cfg.streams,
        &rig.cfg.kafka,
        family,
        n,
        rate,
        &format!("pipeline-{run}"),
    )
    .await
    .context("raw rdkafka run")?;
    eprintln!("raw rdkafka: done; ours: {n} actions at {rate}/s ...");
    Ok(RawReport {
        family: row.family,
        messages: row.messages,
        msgs_per_sec: row.msgs_per_sec,
        round_trip: Percentiles::of(&h),
    })
}

/// Rewards in the ledger of this run's games (the reward count the
/// observer should reach).
async fn stats_minted(rig: &Rig, run_id: i64) -> anyhow::Result<u64> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM rewards WHERE tenant_id = $1 AND game_id LIKE $2")
            .bind(TENANT)
            .bind(format!("%-{run_id}"))
            .fetch_one(rig.store.pool())
            .await?;
    let n: i64 = sqlx::Row::try_get(&row, "n")?;
    Ok(n as u64)
}
