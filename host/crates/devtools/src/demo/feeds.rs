//! The player feed under the demo's load: a few players of each game keep
//! a feed open for the whole run, through `veltrix_api::feed::messages`,
//! the code `GET /v1/play/feed` runs (the hub tailing `events.v1.players`,
//! one view read per connection per burst of news, the first whole view,
//! `view` merge patches, `status`, `delta` and `lagged` messages). Only the
//! HTTP connection is left out: each message is counted at
//! `FeedMessage::wire_len`, the bytes of the SSE frame axum writes for it
//! (`event: <name>\ndata: <json>\n\n`; keep-alive comments not counted).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde::Serialize;
use tokio::task::JoinHandle;
use veltrix_api::feed::FeedHub;
use veltrix_api::players::Player;
use veltrix_pipeline::Processor;
use veltrix_sdk::{Action, ActorRole};
use veltrix_streams::Streams;

/// The goal for the median message, in bytes.
pub const GOAL_BYTES: usize = 200;

/// What the open feeds received.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedStats {
    /// Feeds open (players).
    pub feeds: usize,
    /// Messages received, over all feeds.
    pub messages: usize,
    /// Median message size on the wire, bytes.
    pub median_bytes: usize,
    /// 90th percentile, bytes.
    pub p90_bytes: usize,
    /// Largest, bytes.
    pub max_bytes: usize,
    /// Messages per event name (`view`, `status`, `delta`, `lagged`).
    pub by_event: BTreeMap<String, usize>,
}

/// Open feeds and what they received.
pub struct FeedProbe {
    hub: Arc<FeedHub>,
    tasks: Vec<JoinHandle<()>>,
    sizes: Arc<Mutex<Vec<(&'static str, usize)>>>,
    /// When the last message came, ms after `start`.
    last: Arc<AtomicU64>,
    start: Instant,
}

/// Up to `per_game` players of a game's workload (by first action), as the
/// feed's [`Player`]s.
pub fn players_of(tenant: &str, game_id: &str, actions: &[Action], per_game: usize) -> Vec<Player> {
    let mut out: Vec<Player> = Vec::new();
    for a in actions {
        if out.len() == per_game {
            break;
        }
        if a.role != ActorRole::Player || out.iter().any(|p| p.player == a.player) {
            continue;
        }
        out.push(Player {
            tenant: tenant.into(),
            game: game_id.into(),
            player: a.player.clone(),
            team: a.team.clone(),
        });
    }
    out
}

impl FeedProbe {
    /// Opens a feed for each of `players` on a hub of its own over the
    /// player-delta `topic` (as the API's state builds it).
    pub async fn open(
        streams: Arc<dyn Streams>,
        topic: String,
        processor: &Arc<Processor>,
        players: Vec<Player>,
    ) -> anyhow::Result<Self> {
        let hub = Arc::new(FeedHub::new(streams, topic));
        let sizes: Arc<Mutex<Vec<(&'static str, usize)>>> = Arc::default();
        let last = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for p in players {
            let who = format!("{}/{}", p.game, p.player);
            let messages = veltrix_api::feed::messages(&hub, Arc::clone(processor), p)
                .await
                .map_err(|e| anyhow::anyhow!("opening the feed of {who}: {e}"))?;
            let (sizes, last) = (Arc::clone(&sizes), Arc::clone(&last));
            tasks.push(tokio::spawn(async move {
                let mut messages = std::pin::pin!(messages);
                while let Some(m) = messages.next().await {
                    sizes
                        .lock()
                        .expect("sizes lock")
                        .push((m.event, m.wire_len()));
                    last.store(start.elapsed().as_millis() as u64, Ordering::Relaxed);
                }
            }));
        }
        Ok(Self {
            hub,
            tasks,
            sizes,
            last,
            start,
        })
    }

    /// Once no message came for `quiet` (the feeds caught up with the
    /// last actions), or after `within`: closes the feeds and counts.
    pub async fn finish(self, quiet: Duration, within: Duration) -> FeedStats {
        let t = Instant::now();
        while t.elapsed() < within {
            let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
            if self.start.elapsed().saturating_sub(last) >= quiet {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.hub.stop();
        let feeds = self.tasks.len();
        for task in self.tasks {
            let _ = task.await;
        }
        let got = std::mem::take(&mut *self.sizes.lock().expect("sizes lock"));
        stats(feeds, &got)
    }
}

fn stats(feeds: usize, got: &[(&'static str, usize)]) -> FeedStats {
    let mut bytes: Vec<usize> = got.iter().map(|(_, n)| *n).collect();
    bytes.sort_unstable();
    let at = |q: f64| -> usize {
        if bytes.is_empty() {
            return 0;
        }
        let i = ((bytes.len() - 1) as f64 * q).round() as usize;
        bytes[i]
    };
    let mut by_event = BTreeMap::new();
    for (e, _) in got {
        *by_event.entry((*e).to_string()).or_default() += 1;
    }
    FeedStats {
        feeds,
        messages: bytes.len(),
        median_bytes: at(0.5),
        p90_bytes: at(0.9),
        max_bytes: bytes.last().copied().unwrap_or(0),
        by_event,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_counts() {
        let s = stats(2, &[("view", 300), ("delta", 100), ("view", 50)]);
        assert_eq!((s.messages, s.median_bytes, s.max_bytes), (3, 100, 300));
        assert_eq!(s.by_event["view"], 2);
        assert_eq!(stats(0, &[]).median_bytes, 0);
    }
}
