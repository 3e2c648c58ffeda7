//! `GET /v1/play/feed`: the calling player's deltas as Server-Sent Events.
//!
//! One in-process fan-out ([`FeedHub`]) tails `events.v1.players` for the
//! whole process and broadcasts every delta; each SSE connection filters
//! the broadcast by its tenant and player. Why not a consumer group per
//! connection: groups are broker state (one per open browser tab would
//! pile up in Kafka), and a new group starts from the beginning of the
//! topic. The hub reads partitions directly ([`Streams::read`]) from their
//! end offsets at its first subscriber, so a feed carries what happens
//! after it opened, never history. It commits nothing: a delta is a
//! "refresh" hint, and a client that missed some (slow consumer, restart)
//! reloads its view.
//!
//! With several hosts, each tails the whole topic; that is one read per
//! host, whatever the number of connections.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast, watch};

use super::players::Player;
use super::{ApiError, AppState};
use veltrix_streams::{StreamError, Streams};

/// Deltas buffered per connection; a slower reader skips the oldest (it
/// is told with a `lagged` event and should reload).
const BUFFER: usize = 1_024;
/// Pause between reads when every partition is drained.
const IDLE: Duration = Duration::from_millis(50);
/// Records per partition read.
const CHUNK: usize = 500;

/// One player delta as published by the processor (`player.delta`), and
/// as sent to the client: small, never the game state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// Tenant (not sent: the client knows its own).
    #[serde(skip_serializing)]
    pub tenant: String,
    /// Game.
    pub game_id: String,
    /// Player.
    pub player_id: String,
    /// Points this action gave the player (0: only the game changed).
    pub points: i64,
    /// Game status after the action.
    pub status: serde_json::Value,
    /// The action that caused it.
    pub action_id: String,
    /// Game time of the action, ms since the epoch.
    pub at_ms: i64,
}

#[derive(Deserialize)]
struct Payload {
    game_id: String,
    player_id: String,
    points: i64,
    status: serde_json::Value,
    action_id: String,
    at_ms: i64,
}

/// The process-wide tail of `events.v1.players`.
pub struct FeedHub {
    streams: Arc<dyn Streams>,
    topic: String,
    tx: broadcast::Sender<Arc<Delta>>,
    started: OnceCell<()>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for FeedHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedHub")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl FeedHub {
    /// A hub over `topic`; it reads nothing before its first subscriber.
    pub fn new(streams: Arc<dyn Streams>, topic: String) -> Self {
        let (tx, _) = broadcast::channel(BUFFER);
        let (stop, _) = watch::channel(false);
        Self {
            streams,
            topic,
            tx,
            started: OnceCell::new(),
            stop,
        }
    }

    /// Ends the tail and every open feed (graceful shutdown waits for open
    /// connections, so feeds must end first).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// A receiver of every delta from now on, and the stop signal. The
    /// first call positions the tail at the current end of each partition
    /// before returning, so nothing published after it is missed.
    pub async fn subscribe(
        &self,
    ) -> Result<(broadcast::Receiver<Arc<Delta>>, watch::Receiver<bool>), StreamError> {
        let rx = self.tx.subscribe();
        self.started
            .get_or_try_init(|| async {
                let n = self.streams.partitions(&self.topic).await?;
                let mut from = Vec::with_capacity(n as usize);
                for p in 0..n {
                    from.push(self.streams.end_offset(&self.topic, p).await?);
                }
                tokio::spawn(tail(
                    Arc::clone(&self.streams),
                    self.topic.clone(),
                    from,
                    self.tx.clone(),
                    self.stop.subscribe(),
                ));
                Ok::<_, StreamError>(())
            })
            .await?;
        Ok((rx, self.stop.subscribe()))
    }
}

/// Reads every partition from `from` until stopped, broadcasting deltas.
async fn tail(
    streams: Arc<dyn Streams>,
    topic: String,
    mut from: Vec<i64>,
    tx: broadcast::Sender<Arc<Delta>>,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(%topic, partitions = from.len(), "player feed started");
    while !*stop.borrow() {
        let mut idle = true;
        for (p, next) in from.iter_mut().enumerate() {
            match streams.read(&topic, p as u32, *next, CHUNK).await {
                Ok(records) => {
                    for r in records {
                        *next = r.offset + 1;
                        idle = false;
                        match serde_json::from_slice::<Payload>(&r.envelope.payload) {
                            Ok(d) => {
                                // No receivers is fine: nobody is watching.
                                let _ = tx.send(Arc::new(Delta {
                                    tenant: r.envelope.tenant,
                                    game_id: d.game_id,
                                    player_id: d.player_id,
                                    points: d.points,
                                    status: d.status,
                                    action_id: d.action_id,
                                    at_ms: d.at_ms,
                                }));
                            }
                            Err(e) => {
                                tracing::warn!(%topic, offset = r.offset, error = %e, "unreadable player delta skipped");
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(%topic, partition = p, error = %e, "player feed read failed")
                }
            }
        }
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(IDLE) => {}
                _ = stop.changed() => {}
            }
        }
    }
    tracing::info!(%topic, "player feed stopped");
}

/// `GET /v1/play/feed`: `delta` events (JSON [`Delta`]) for the calling
/// player, in their game; `lagged` when some were skipped.
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game, player = %player.player))]
pub async fn feed(
    State(state): State<AppState>,
    player: Player,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (rx, stop) = state.feed.subscribe().await?;
    let stream = futures::stream::unfold(
        (rx, stop, player),
        |(mut rx, mut stop, player)| async move {
            loop {
                if *stop.borrow() {
                    return None;
                }
                let got = tokio::select! {
                    got = rx.recv() => got,
                    _ = stop.changed() => return None,
                };
                let event = match got {
                    Ok(d) => {
                        if d.tenant != player.tenant
                            || d.game_id != player.game
                            || d.player_id != player.player
                        {
                            continue;
                        }
                        Event::default()
                            .event("delta")
                            .json_data(&*d)
                            .unwrap_or_else(|_| Event::default().event("delta"))
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        Event::default().event("lagged").data(n.to_string())
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                return Some((Ok(event), (rx, stop, player)));
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
