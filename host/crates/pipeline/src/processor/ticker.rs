//! The host's clock: a periodic `tick` action (role `system`) to every
//! unfinished game whose type declares the `tick` kind.
//!
//! Game types are pure functions of their actions, so time only passes in a
//! game when an action arrives: a sprint round whose window has closed, a
//! territory game past its time limit, a hunt past its end time all settle
//! on the next action. Without players acting, that next action is the
//! host's tick. Ticks go through the game stream like any action (so a game
//! rebuilt from snapshot + stream sees them at the same place) and carry
//! the host's clock ([`veltrix_clock::Clock`]) as their timestamp; the
//! interval between rounds is real time.
//!
//! Every host runs a ticker, but a game is ticked only by the host whose
//! worker loop owns its game-stream partition (`super::ownership`), so it
//! gets one tick per interval across the cluster. While a rebalance moves
//! a partition, a round may tick a game twice or skip it: neither matters
//! (a tick only moves a game's clock forward).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use veltrix_contract::{Action, ActorRole};
use veltrix_streams::Family;
use veltrix_streams::partition::partition_for;

use super::shared::Shared;
use veltrix_store::GameRow;

/// The action kind the host sends.
pub const TICK: &str = "tick";
/// The acting "player" of a tick.
pub const HOST_ACTOR: &str = "host";

/// Ticks every `processor.tick_interval_ms` until `stop`.
#[tracing::instrument(name = "ticker", skip_all)]
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut partitions = HashMap::new();
    let every = Duration::from_millis(shared.cfg.tick_interval_ms.max(1));
    let mut next = tokio::time::Instant::now() + every;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        next += every;
        let sent = round(&shared, &mut partitions).await;
        tracing::debug!(sent, "tick round");
        // A round that overran its interval starts the next one at once,
        // but never queues up rounds it missed.
        next = next.max(tokio::time::Instant::now());
    }
}

/// Whether this host owns `g`'s partition of its game topic;
/// `partitions` caches each topic's partition count.
async fn owned_here(shared: &Shared, partitions: &mut HashMap<String, u32>, g: &GameRow) -> bool {
    let topic = shared.streams_cfg.topic(Family::Game, &g.game_type);
    let n = match partitions.get(&topic) {
        Some(n) => *n,
        None => match shared.streams.partitions(&topic).await {
            Ok(n) if n > 0 => *partitions.entry(topic.clone()).or_insert(n),
            Ok(_) => return false,
            Err(e) => {
                tracing::debug!(%topic, error = %e, "partition count unknown; not ticking");
                return false;
            }
        },
    };
    shared
        .owned
        .owns(&topic, partition_for(g.game_id.as_bytes(), n))
}

/// One round over the unfinished games; how many ticks were sent.
async fn round(shared: &Shared, partitions: &mut HashMap<String, u32>) -> usize {
    let page = shared.cfg.tick_page.max(1);
    let mut after: Option<(String, String)> = None;
    let mut sent = 0;
    loop {
        let games = match shared
            .store
            .unfinished_games(after.as_ref().map(|(t, g)| (t.as_str(), g.as_str())), page)
            .await
        {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "listing games to tick failed; skipping this round");
                return sent;
            }
        };
        let last = games.len() < page;
        let next = match games.last() {
            Some(g) if !last => Some((g.tenant.clone(), g.game_id.clone())),
            _ => None,
        };
        let mut due: Vec<GameRow> = Vec::new();
        for g in games {
            let ticks = shared
                .registry
                .pinned(&g.plugin_hash)
                .is_some_and(|p| p.info.action_kinds.iter().any(|k| k == TICK));
            if ticks && owned_here(shared, partitions, &g).await {
                due.push(g);
            }
        }
        // Concurrent sends: on Kafka each waits for its broker ack.
        let results: Vec<bool> = futures::stream::iter(due)
            .map(|g: GameRow| async move {
                let now = shared.clock.now_ms();
                let action = Action {
                    tenant: g.tenant.clone(),
                    game: g.game_id.clone(),
                    player: HOST_ACTOR.into(),
                    team: None,
                    idempotency_key: format!("tick:{now}"),
                    role: ActorRole::System,
                    kind: TICK.into(),
                    payload: "{}".into(),
                    timestamp_ms: now,
                    location: None,
                };
                // Nobody waits for a tick's outcome: dropping the receiver
                // is fine (the outcome is still recorded and counted).
                match shared.submit(&g.tenant, &g.game_id, action, None).await {
                    Ok(_) => true,
                    Err(e) => {
                        tracing::warn!(tenant = %g.tenant, game = %g.game_id, error = %e, "tick failed");
                        false
                    }
                }
            })
            .buffer_unordered(shared.cfg.tick_concurrency.max(1))
            .collect()
            .await;
        sent += results.iter().filter(|ok| **ok).count();
        match next {
            Some(n) => after = Some(n),
            None => return sent,
        }
    }
}
