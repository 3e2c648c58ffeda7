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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;
use veltrix_sdk::Action;

use crate::builtin::BUILTINS;
use crate::config::HostConfig;
use crate::demo::observer::{Observer, Percentiles, histogram};
use crate::demo::{DemoBackend, Rig};
use crate::processor::{ActionResult, ProcessorStats};
use crate::streams::envelope::now_ms;

/// The bench's tenant.
const TENANT: &str = "bench-pipeline";
/// Games per built-in type: more games spread the load over partitions.
pub const DEFAULT_GAMES_PER_TYPE: usize = 4;
/// An action without an outcome after this long counts as lost.
const OUTCOME_TIMEOUT: Duration = Duration::from_secs(60);

/// The targets (embedded): throughput and p99s in ms.
const TARGET_RATE: f64 = 100_000.0;
const TARGET_P99_MS: [(&str, f64); 3] = [("applied", 15.0), ("quest", 30.0), ("reward", 40.0)];

/// One run's result.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineReport {
    /// `embedded` or `kafka`.
    pub backend: String,
    /// Offered load, actions/s.
    pub offered_rate: u64,
    /// Seconds of offered load.
    pub duration_s: f64,
    /// Actions offered.
    pub offered: u64,
    /// Applied + rejected + faulted outcomes per second, from the first
    /// due time to the last outcome.
    pub sustained_rate: f64,
    /// Seconds from start to the last outcome.
    pub elapsed_s: f64,
    /// How far behind its schedule the generator got (ms): > 0 means the
    /// ingest boundary itself could not take the offered rate.
    pub max_send_lag_ms: f64,
    /// Due -> submit returned.
    pub accepted: Percentiles,
    /// Due -> outcome.
    pub applied: Percentiles,
    /// Due -> quest update consumed.
    pub quest: Percentiles,
    /// Due -> reward consumed from the reward stream.
    pub reward: Percentiles,
    /// Outcomes that never came.
    pub lost: u64,
    /// The processor's counters.
    pub processor: ProcessorStats,
}

#[derive(Default)]
struct Hists {
    accepted: Option<Histogram<u64>>,
    applied: Option<Histogram<u64>>,
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
    let rig = Rig::start(cfg, backend).await?;
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
            Arc::clone(&rig.streams),
            &rig.cfg.streams,
            &format!("bench-observer-{run_id}"),
            obs_rx,
        )
        .await
        .context("subscribing the stream observer")?;

    let hists = Arc::new(Mutex::new(Hists::default()));
    let lost = Arc::new(AtomicU64::new(0));
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
        let (obs, hists, lost, last) = (
            observer.clone(),
            Arc::clone(&hists),
            Arc::clone(&lost),
            Arc::clone(&last_done),
        );
        tasks.push(tokio::spawn(async move {
            let sub = match p.submit(TENANT, &game, action).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "submit failed");
                    lost.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            };
            rec(&mut hists.lock().expect("hist").accepted, due.elapsed());
            obs.submitted(&sub.action_id, due.into_std());
            match sub.outcome(OUTCOME_TIMEOUT).await {
                Some(o) if !matches!(o.result, ActionResult::UnknownGame { .. }) => {
                    rec(&mut hists.lock().expect("hist").applied, due.elapsed());
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
    while (observer.observed().reward.count < stats_minted(&rig).await?
        || observer.observed().quest.count == 0)
        && wait.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = obs_stop.send(true);
    let _ = obs_task.await;
    let seen = observer.observed();
    let (accepted, applied) = {
        let h = hists.lock().expect("hist");
        (pct(&h.accepted), pct(&h.applied))
    };
    let done = stats.applied + stats.rejected + stats.faulted;
    let report = PipelineReport {
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
        lost: lost.load(Ordering::Relaxed),
        processor: stats,
    };
    rig.stop().await?;
    Ok(report)
}

/// Rewards in the ledger of this run's games (the reward count the
/// observer should reach).
async fn stats_minted(rig: &Rig) -> anyhow::Result<u64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM rewards WHERE tenant_id = $1")
        .bind(TENANT)
        .fetch_one(rig.store.pool())
        .await?;
    let n: i64 = sqlx::Row::try_get(&row, "n")?;
    Ok(n as u64)
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// The report as a markdown table, with the targets.
pub fn table(r: &PipelineReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "backend {}: offered {} actions/s for {:.0} s ({} actions); sustained {:.0} actions/s \
         (last outcome at {:.1} s); generator lag max {:.1} ms; lost {}\n",
        r.backend,
        r.offered_rate,
        r.duration_s,
        r.offered,
        r.sustained_rate,
        r.elapsed_s,
        r.max_send_lag_ms,
        r.lost
    );
    let _ = writeln!(
        o,
        "| from due time to | n | p50 ms | p99 ms | p999 ms | max ms | target p99 |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---|");
    let rows = [
        ("accepted (submit returned)", &r.accepted, None),
        (
            "applied (outcome; board written before it)",
            &r.applied,
            Some(0),
        ),
        ("quest update consumed", &r.quest, Some(1)),
        ("reward consumed (after relay)", &r.reward, Some(2)),
    ];
    for (name, p, target) in rows {
        // The targets are for the embedded mode.
        let target = target.filter(|_| r.backend == "embedded");
        let t = target.map_or_else(String::new, |i| {
            let (_, ms_target) = TARGET_P99_MS[i];
            let ok = (p.p99_us as f64) < ms_target * 1000.0 && p.count > 0;
            format!("< {ms_target} ms: {}", if ok { "met" } else { "MISSED" })
        });
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} | {} | {} | {t} |",
            p.count,
            ms(p.p50_us),
            ms(p.p99_us),
            ms(p.p999_us),
            ms(p.max_us)
        );
    }
    let throughput = if r.backend != "embedded" {
        "n/a (embedded target)"
    } else if r.sustained_rate >= TARGET_RATE {
        "met"
    } else {
        "MISSED"
    };
    let _ = writeln!(
        o,
        "\nthroughput target >= {TARGET_RATE:.0} actions/s: {throughput}; processor: {} batches, {} applied, {} rejected, {} faulted (mean batch {:.1})",
        r.processor.batches,
        r.processor.applied,
        r.processor.rejected,
        r.processor.faulted,
        (r.processor.applied + r.processor.rejected + r.processor.faulted) as f64
            / r.processor.batches.max(1) as f64
    );
    o
}
