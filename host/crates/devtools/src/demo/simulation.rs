//! The simulated live event: one submitter per game (a game's actions stay
//! in their order, as its players' devices would send them) with all games
//! running at once, each action going through the API's idempotency path
//! (`Store::claim` -> `Processor::submit` -> outcome -> `Store::complete`),
//! and a fraction of actions sent again with the same key (a client retry
//! after a timeout), which must be answered with the first result.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use veltrix_sdk::Action;
use veltrix_sdk::rng::SplitMix64;

use super::observer::Observer;
use veltrix_pipeline::processor::{ActionResult, Outcome, Processor, ProcessorError, Submitted};
use veltrix_store::{Claim, Store};

/// How long one action may take from submit to outcome before the demo
/// gives up on it (counted as lost).
pub const OUTCOME_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause between a retry's claims while the first request is in flight.
const RETRY_POLL: Duration = Duration::from_millis(5);
/// A retry is sent 0 to this many ms after the first request: early ones
/// find it in flight, late ones find its stored result.
const RETRY_SPREAD_MS: u64 = 200;
/// Submitted actions one game may have waiting for their outcome
/// (backpressure on its submitter).
const IN_FLIGHT_PER_GAME: usize = 2_048;

/// Counters of a run, shared by the tasks.
#[derive(Debug, Default)]
pub struct Counters {
    /// Actions submitted (first requests).
    pub submitted: AtomicU64,
    /// Outcomes received (progress).
    pub done: AtomicU64,
    /// Applied.
    pub applied: AtomicU64,
    /// Rejected by the game (with those refused before submit).
    pub rejected: AtomicU64,
    /// Refused before submit, as the API refuses them (422) before it
    /// claims the key: the game's component declared it does not take
    /// them (kind, role, payload schema); counted in `rejected` too.
    pub refused: AtomicU64,
    /// Faulted.
    pub faulted: AtomicU64,
    /// Unknown game, or no outcome within [`OUTCOME_TIMEOUT`].
    pub lost: AtomicU64,
    /// Rewards in applied outcomes.
    pub rewards: AtomicU64,
    /// Of those, minted for the first time.
    pub minted: AtomicU64,
    /// Quest updates published.
    pub quest_updates: AtomicU64,
    /// Retries sent.
    pub retries_injected: AtomicU64,
    /// Retries answered with the first request's result.
    pub retries_absorbed: AtomicU64,
    /// Retries that found the first request still in progress at least once.
    pub retries_waited: AtomicU64,
    /// Retries the store let through as new, or answered with another result.
    pub retries_leaked: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[allow(missing_docs)]
pub struct Tally {
    pub submitted: u64,
    pub applied: u64,
    pub rejected: u64,
    pub refused: u64,
    pub faulted: u64,
    pub lost: u64,
    pub rewards: u64,
    pub minted: u64,
    pub quest_updates: u64,
    pub retries_injected: u64,
    pub retries_absorbed: u64,
    pub retries_waited: u64,
    pub retries_leaked: u64,
}

impl Counters {
    /// The current values.
    pub fn tally(&self) -> Tally {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Tally {
            submitted: g(&self.submitted),
            applied: g(&self.applied),
            rejected: g(&self.rejected),
            refused: g(&self.refused),
            faulted: g(&self.faulted),
            lost: g(&self.lost),
            rewards: g(&self.rewards),
            minted: g(&self.minted),
            quest_updates: g(&self.quest_updates),
            retries_injected: g(&self.retries_injected),
            retries_absorbed: g(&self.retries_absorbed),
            retries_waited: g(&self.retries_waited),
            retries_leaked: g(&self.retries_leaked),
        }
    }

    fn count(&self, o: Option<&Outcome>) {
        let add = |c: &AtomicU64, n: u64| {
            c.fetch_add(n, Ordering::Relaxed);
        };
        match o.map(|o| &o.result) {
            Some(ActionResult::Applied {
                rewards,
                minted,
                quest_updates,
                ..
            }) => {
                add(&self.applied, 1);
                add(&self.rewards, *rewards as u64);
                add(&self.minted, *minted as u64);
                add(&self.quest_updates, *quest_updates as u64);
            }
            Some(ActionResult::Rejected { .. }) => add(&self.rejected, 1),
            Some(ActionResult::Faulted { .. }) => add(&self.faulted, 1),
            Some(ActionResult::UnknownGame { .. }) | None => add(&self.lost, 1),
        }
        add(&self.done, 1);
    }
}

/// What one game's submitter needs.
pub struct GameRun {
    /// Tenant.
    pub tenant: String,
    /// Game id.
    pub game_id: String,
    /// The game's actions, in order, with unique idempotency keys.
    pub actions: Vec<Action>,
}

/// Shared handles of a run.
#[derive(Clone)]
pub struct Ctx {
    /// The processor.
    pub processor: Arc<Processor>,
    /// The store (idempotency keys).
    pub store: Store,
    /// Stream latency tracker.
    pub observer: Observer,
    /// Counters.
    pub counters: Arc<Counters>,
    /// Fraction of actions retried, 0..=1.
    pub retry_rate: f64,
    /// Seed of the retry draw.
    pub seed: u64,
}

/// The request hash an API would store with the key: the action as sent.
fn request_hash(a: &Action) -> String {
    let body = serde_json::to_vec(a).expect("an action serialises");
    hex::encode(Sha256::digest(&body))
}

/// Plays one game: submits its actions in order through claim/submit and
/// hands them to a completer that awaits outcomes and completes the keys.
pub async fn play(ctx: Ctx, game: GameRun) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<(String, String, Submitted)>(IN_FLIGHT_PER_GAME);
    let completer = tokio::spawn(complete_all(ctx.clone(), game.tenant.clone(), rx));
    let mut rng = SplitMix64::new(ctx.seed ^ fxhash(&game.game_id));
    let mut retries = Vec::new();
    for a in game.actions {
        let key = a.idempotency_key.clone();
        let hash = request_hash(&a);
        // As the API does: an action the game's component does not take as
        // sent is refused (422) before its key is claimed; a retry of it
        // gets the same refusal, so none is drawn.
        match ctx
            .processor
            .check_action(&game.tenant, &game.game_id, &a)
            .await
        {
            Ok(()) => {}
            Err(ProcessorError::Refused(_)) => {
                for c in [
                    &ctx.counters.submitted,
                    &ctx.counters.refused,
                    &ctx.counters.rejected,
                    &ctx.counters.done,
                ] {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("checking {key}")),
        }
        match ctx.store.claim(&game.tenant, &key, &hash).await? {
            Claim::Fresh => {}
            other => anyhow::bail!("fresh key {key} claimed as {other:?}"),
        }
        let t0 = Instant::now();
        let sub = ctx
            .processor
            .submit(&game.tenant, &game.game_id, a)
            .await
            .with_context(|| format!("submitting {key}"))?;
        ctx.observer.submitted(&sub.action_id, t0);
        ctx.counters.submitted.fetch_add(1, Ordering::Relaxed);
        let action_id = sub.action_id.clone();
        if rng.next_f64() < ctx.retry_rate {
            ctx.counters
                .retries_injected
                .fetch_add(1, Ordering::Relaxed);
            let delay = Duration::from_millis(rng.below(RETRY_SPREAD_MS));
            retries.push(tokio::spawn(retry(
                ctx.clone(),
                delay,
                game.tenant.clone(),
                key.clone(),
                hash,
                action_id,
            )));
        }
        tx.send((key, sub.action_id.clone(), sub))
            .await
            .context("completer stopped")?;
    }
    drop(tx);
    completer.await.context("completer task")??;
    for r in retries {
        r.await.context("retry task")??;
    }
    Ok(())
}

/// Awaits each outcome in submit order and completes its key with the
/// outcome as the response (what a retry is answered with).
async fn complete_all(
    ctx: Ctx,
    tenant: String,
    mut rx: mpsc::Receiver<(String, String, Submitted)>,
) -> anyhow::Result<()> {
    while let Some((key, action_id, sub)) = rx.recv().await {
        let outcome = sub.outcome(OUTCOME_TIMEOUT).await;
        if outcome.is_none() {
            tracing::warn!(%key, %action_id, "no outcome within the timeout");
        }
        ctx.counters.count(outcome.as_ref());
        let response = serde_json::to_vec(&outcome).context("encoding the outcome")?;
        ctx.store.complete(&tenant, &key, &response).await?;
    }
    Ok(())
}

/// A client retry: claims the same key with the same body until the first
/// request's result is there (in progress: poll, as a client told to come
/// back would), and checks it is that result.
async fn retry(
    ctx: Ctx,
    delay: Duration,
    tenant: String,
    key: String,
    hash: String,
    action_id: String,
) -> anyhow::Result<()> {
    tokio::time::sleep(delay).await;
    let mut waited = false;
    let t = Instant::now();
    loop {
        match ctx.store.claim(&tenant, &key, &hash).await? {
            Claim::InProgress if t.elapsed() < OUTCOME_TIMEOUT => {
                waited = true;
                tokio::time::sleep(RETRY_POLL).await;
            }
            Claim::Replay(bytes) => {
                let first: Option<Outcome> =
                    serde_json::from_slice(&bytes).context("decoding a replayed response")?;
                let same = first.is_some_and(|o| o.action_id == action_id);
                let c = if same {
                    &ctx.counters.retries_absorbed
                } else {
                    &ctx.counters.retries_leaked
                };
                c.fetch_add(1, Ordering::Relaxed);
                break;
            }
            other => {
                // Fresh would mean the API submits the action a second time.
                tracing::error!(%key, claim = ?other, "retry not absorbed");
                ctx.counters.retries_leaked.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    if waited {
        ctx.counters.retries_waited.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Redraws `[####....] done/total actions  rate/s` on stderr until `total`
/// outcomes are in or `stop` is set.
pub async fn progress(
    counters: Arc<Counters>,
    total: u64,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::io::Write;
    const WIDTH: u64 = 30;
    let start = Instant::now();
    loop {
        let done = counters.done.load(Ordering::Relaxed);
        let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
        let rate = done as f64 / start.elapsed().as_secs_f64().max(1e-3);
        let bar: String = (0..WIDTH)
            .map(|i| if i < filled { '#' } else { '.' })
            .collect();
        eprint!("\r[{bar}] {done}/{total} actions  {rate:.0}/s ");
        let _ = std::io::stderr().flush();
        if done >= total || stop.load(Ordering::Relaxed) {
            eprintln!();
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
