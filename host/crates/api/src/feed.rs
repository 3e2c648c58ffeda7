//! `GET /v1/play/feed`: the calling player's live feed as Server-Sent
//! Events: their view of the game as it changes, the game's status
//! changes, and their point deltas.
//!
//! One in-process fan-out ([`FeedHub`]) tails `events.v1.players` for the
//! whole process and broadcasts every delta; each connection
//! ([`PlayerFeed`]) keeps those of its tenant and game. Why not a consumer
//! group per connection: groups are broker state (one per open browser
//! tab would pile up in Kafka), and a new group starts from the beginning
//! of the topic. The hub reads partitions directly ([`Streams::read`])
//! from their end offsets at its first subscriber, so a feed carries what
//! happens after it opened, never history. It commits nothing: a client
//! that missed messages (slow reader, restart) reloads `GET /v1/play/view`.
//!
//! Every applied action publishes a `player.delta` for its actor (and for
//! each player it paid), so the deltas of a game are also the news that
//! the game changed: on each, a connection asks the processor for its
//! player's view ([`Processor::view`], the game's current state, which the
//! processor publishes before the action's deltas are sent) and sends
//! what differs from the view it last sent:
//!
//! - `view`: the whole view `{status, score, summary}` (as `GET
//!   /v1/play/view` without its ids): the first message of every feed,
//!   and whenever a patch cannot say the change;
//! - `patch`: only what changed since the last `view`/`patch`, as a JSON
//!   merge patch (RFC 7386: members patched one by one, `null` removes
//!   one; clients read an absent member as `null`) with one extension:
//!   where the current value is an array, an object patches its elements
//!   in place, by index (`{"map":{"7":{"holder":"team-3"}}}`); any other
//!   value replaces. Never sent when nothing changed ([`view_patch`]);
//! - `status` `{status}`: the game's status changed (started, paused,
//!   resumed, finished, parked), to every connection of the game (the
//!   `patch` that follows carries it too);
//! - `delta`: the caller's points from one action (the processor's
//!   `player.delta`, as before);
//! - `lagged`: how many deltas the connection skipped (it reads too
//!   slowly); a patch follows when the view changed meanwhile.
//!
//! Deltas already waiting are taken together, so a burst costs one view
//! call per connection, not one per action.
//!
//! With several hosts, each tails the whole topic; that is one read per
//! host, whatever the number of connections.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::{OnceCell, broadcast, watch};

use super::players::{PlayView, Player};
use super::{ApiError, AppState};
use veltrix_pipeline::processor::{Processor, ProcessorError};
use veltrix_streams::{StreamError, Streams};

/// Deltas buffered per connection; a slower reader skips the oldest (it
/// is told with a `lagged` event and should reload).
const BUFFER: usize = 1_024;
/// Pause between reads when every partition is drained.
const IDLE: Duration = Duration::from_millis(50);
/// Records per partition read.
const CHUNK: usize = 500;
/// Action ids a connection remembers having looked at (an action's
/// deltas, one per player it paid, arrive apart: keys differ).
const SEEN: usize = 64;

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

    /// The stop signal alone (`true` once [`FeedHub::stop`] ran): the other
    /// event streams (activity, projector) end with the feeds.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
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

/// One message of a player's feed: its SSE event name (`view`, `patch`,
/// `status`, `delta`, `lagged`) and its data (one line of JSON, or a
/// number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMessage {
    /// The SSE event name.
    pub event: &'static str,
    /// The data line.
    pub data: String,
}

impl FeedMessage {
    /// Its size on the wire: the SSE frame `event: <event>\ndata:
    /// <data>\n\n`, as axum writes an event whose data is one line.
    pub fn wire_len(&self) -> usize {
        "event: ".len() + self.event.len() + 1 + "data: ".len() + self.data.len() + 2
    }

    fn json(event: &'static str, data: &impl Serialize) -> Option<Self> {
        match serde_json::to_string(data) {
            Ok(data) => Some(Self { event, data }),
            Err(e) => {
                tracing::warn!(event, error = %e, "feed message not encoded");
                None
            }
        }
    }

    fn sse(&self) -> Event {
        Event::default().event(self.event).data(&self.data)
    }
}

/// One connection's feed: the view it last sent, and how its game's
/// deltas become messages.
#[derive(Debug)]
pub struct PlayerFeed {
    player: Player,
    /// The view last sent, as `{status, score, summary}` (`None` before
    /// the first).
    sent: Option<Value>,
    /// Action ids looked at lately, newest last.
    seen: VecDeque<String>,
}

impl PlayerFeed {
    /// A feed of `player` that has sent nothing yet.
    pub fn new(player: Player) -> Self {
        Self {
            player,
            sent: None,
            seen: VecDeque::new(),
        }
    }

    /// Its player.
    pub fn player(&self) -> &Player {
        &self.player
    }

    /// The messages `deltas` (in arrival order, any game) make: `delta`
    /// for the player's own, then, if any was news of the game (or
    /// `missed`: deltas were skipped), `status` and `patch` as the view
    /// changed. A view that cannot be read now is logged and skipped: the
    /// next action of the game asks again.
    pub async fn on_deltas(
        &mut self,
        processor: &Processor,
        deltas: &[Arc<Delta>],
        missed: bool,
    ) -> Vec<FeedMessage> {
        let mut out = Vec::new();
        let mut news = missed;
        for d in deltas {
            let p = &self.player;
            if d.tenant != p.tenant || d.game_id != p.game {
                continue;
            }
            if d.player_id == p.player {
                out.extend(FeedMessage::json("delta", &**d));
            }
            if !self.seen.contains(&d.action_id) {
                if self.seen.len() == SEEN {
                    self.seen.pop_front();
                }
                self.seen.push_back(d.action_id.clone());
                news = true;
            }
        }
        if news {
            match self.refresh(processor).await {
                Ok(m) => out.extend(m),
                Err(e) => {
                    tracing::warn!(tenant = %self.player.tenant, game = %self.player.game, error = %e, "feed view not read; the next action retries");
                }
            }
        }
        out
    }

    /// Reads the player's view and returns what to send for it: the whole
    /// view the first time; later a `status` message if the status
    /// changed and a `patch` if anything did (nothing when the view is the
    /// one last sent; the whole view again when a patch cannot say it).
    pub async fn refresh(
        &mut self,
        processor: &Processor,
    ) -> Result<Vec<FeedMessage>, ProcessorError> {
        let p = &self.player;
        let v = processor.view(&p.tenant, &p.game, &p.player).await?;
        let Some(v) = PlayView::from_view(v) else {
            return Ok(Vec::new());
        };
        Ok(self.changes(v))
    }

    fn changes(&mut self, v: PlayView) -> Vec<FeedMessage> {
        let now = json!({ "status": v.status, "score": v.score, "summary": v.summary });
        let mut out = Vec::new();
        match &self.sent {
            None => out.extend(FeedMessage::json("view", &now)),
            Some(before) => {
                if before["status"] != now["status"] {
                    out.extend(FeedMessage::json(
                        "status",
                        &json!({ "status": now["status"] }),
                    ));
                }
                match view_patch(before, &now) {
                    Ok(Some(patch)) => out.extend(FeedMessage::json("patch", &patch)),
                    Ok(None) => {}
                    Err(Inexpressible) => out.extend(FeedMessage::json("view", &now)),
                }
            }
        }
        self.sent = Some(now);
        out
    }
}

/// A change a `patch` cannot say: an array became an object (which a
/// client would read as a patch of the array's elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inexpressible;

/// The `patch` that turns `old` into `new`, `None` when they are equal:
/// a JSON merge patch (RFC 7386) of objects, member by member (a removed
/// member is `null`); an array that kept its length is patched by index
/// (an object of the changed indexes) when that is shorter than the new
/// array; anything else is replaced whole.
pub fn view_patch(old: &Value, new: &Value) -> Result<Option<Value>, Inexpressible> {
    if old == new {
        return Ok(None);
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for k in o.keys().filter(|k| !n.contains_key(*k)) {
                patch.insert(k.clone(), Value::Null);
            }
            for (k, nv) in n {
                let changed = match o.get(k) {
                    Some(ov) => view_patch(ov, nv)?,
                    None => Some(nv.clone()),
                };
                if let Some(c) = changed {
                    patch.insert(k.clone(), c);
                }
            }
            Ok(Some(Value::Object(patch)))
        }
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            let mut at = Map::new();
            for (i, (ov, nv)) in o.iter().zip(n).enumerate() {
                if let Some(c) = view_patch(ov, nv)? {
                    at.insert(i.to_string(), c);
                }
            }
            let at = Value::Object(at);
            let shorter = at.to_string().len() < new.to_string().len();
            Ok(Some(if shorter { at } else { new.clone() }))
        }
        (Value::Array(_), Value::Object(_)) => Err(Inexpressible),
        _ => Ok(Some(new.clone())),
    }
}

/// One open feed: the hub's receiver and what is left to send.
struct Connection {
    rx: broadcast::Receiver<Arc<Delta>>,
    stop: watch::Receiver<bool>,
    feed: PlayerFeed,
    processor: Arc<Processor>,
    queue: VecDeque<FeedMessage>,
}

impl Connection {
    async fn next(&mut self) -> Option<FeedMessage> {
        loop {
            if let Some(m) = self.queue.pop_front() {
                return Some(m);
            }
            if *self.stop.borrow() {
                return None;
            }
            let mut deltas = Vec::new();
            let mut lagged = 0;
            let got = tokio::select! {
                got = self.rx.recv() => got,
                _ = self.stop.changed() => return None,
            };
            match got {
                Ok(d) => deltas.push(d),
                Err(broadcast::error::RecvError::Lagged(n)) => lagged += n,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
            // Whatever is already waiting goes with it: one view read.
            loop {
                match self.rx.try_recv() {
                    Ok(d) => deltas.push(d),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => lagged += n,
                    Err(_) => break,
                }
            }
            if lagged > 0 {
                self.queue.push_back(FeedMessage {
                    event: "lagged",
                    data: lagged.to_string(),
                });
            }
            let messages = self
                .feed
                .on_deltas(&self.processor, &deltas, lagged > 0)
                .await;
            self.queue.extend(messages);
        }
    }
}

/// `player`'s feed as messages, until `hub` stops: what `GET
/// /v1/play/feed` sends (each message an SSE event), and what `veltrix
/// demo` measures. It subscribes first, then reads the view, so nothing
/// that happens after this call is missed. 404 when the player's game
/// does not exist; a view that cannot be read now is logged, and the
/// whole view comes with the next change instead.
pub async fn messages(
    hub: &FeedHub,
    processor: Arc<Processor>,
    player: Player,
) -> Result<impl Stream<Item = FeedMessage> + Send + use<>, ApiError> {
    let (rx, stop) = hub.subscribe().await?;
    let mut feed = PlayerFeed::new(player);
    let first = match feed.refresh(&processor).await {
        Ok(m) => m,
        Err(e @ ProcessorError::UnknownGame(_)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "feed opened without its first view");
            Vec::new()
        }
    };
    let conn = Connection {
        rx,
        stop,
        feed,
        processor,
        queue: first.into(),
    };
    Ok(futures::stream::unfold(conn, |mut c| async move {
        let m = c.next().await?;
        Some((m, c))
    }))
}

/// `GET /v1/play/feed`: the caller's `view`, `patch`, `status`, `delta`
/// and `lagged` events (see the module docs); 404 when their game does not
/// exist.
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game, player = %player.player))]
pub async fn feed(
    State(state): State<AppState>,
    player: Player,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let messages = messages(&state.feed, Arc::clone(&state.processor), player).await?;
    let events = messages.map(|m| Ok::<_, Infallible>(m.sse()));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a client applies a `patch` (the module docs' rule).
    fn apply(target: &mut Value, patch: &Value) {
        let Value::Object(p) = patch else {
            *target = patch.clone();
            return;
        };
        if let Value::Array(items) = target {
            for (i, v) in p {
                apply(&mut items[i.parse::<usize>().expect("an index")], v);
            }
            return;
        }
        if !target.is_object() {
            *target = json!({});
        }
        let t = target.as_object_mut().expect("an object");
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                apply(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }

    #[test]
    fn patches_hold_only_what_changed() {
        let old = json!({ "status": "running", "score": 5, "summary": { "a": 1, "b": [1, 2], "c": { "x": 1, "y": 2 }, "gone": true } });
        assert_eq!(view_patch(&old, &old), Ok(None));
        let new = json!({ "status": "running", "score": 7, "summary": { "a": 1, "b": [1, 2, 3], "c": { "x": 1, "y": 3 }, "new": "n" } });
        let p = view_patch(&old, &new).unwrap().unwrap();
        assert_eq!(
            p,
            json!({ "score": 7, "summary": { "b": [1, 2, 3], "c": { "y": 3 }, "gone": null, "new": "n" } })
        );
        let mut v = old.clone();
        apply(&mut v, &p);
        assert_eq!(v, new);
        // Not an object: replaced whole.
        assert_eq!(view_patch(&json!(1), &json!([1])), Ok(Some(json!([1]))));
        // An array that kept its length: by index, when shorter.
        let map = |holder: &str| json!({ "map": (0..10).map(|i| json!({ "id": format!("cp{i}"), "holder": if i == 7 { holder } else { "t0" } })).collect::<Vec<_>>() });
        let p = view_patch(&map("t1"), &map("t2")).unwrap().unwrap();
        assert_eq!(p, json!({ "map": { "7": { "holder": "t2" } } }));
        let mut v = map("t1");
        apply(&mut v, &p);
        assert_eq!(v, map("t2"));
        // Every element changed: the array is shorter.
        assert_eq!(
            view_patch(&json!({ "a": [1, 2] }), &json!({ "a": [3, 4] })),
            Ok(Some(json!({ "a": [3, 4] })))
        );
        // An array that became an object: the whole view instead.
        assert_eq!(
            view_patch(&json!({ "a": [1] }), &json!({ "a": { "0": 2 } })),
            Err(Inexpressible)
        );
    }

    #[test]
    fn wire_len_is_the_sse_frame() {
        let m = FeedMessage {
            event: "status",
            data: r#"{"status":"paused"}"#.into(),
        };
        // What axum writes for it (no keep-alive: the frame alone).
        let sse = Sse::new(futures::stream::iter([Ok::<_, Infallible>(m.sse())]));
        let body = axum::response::IntoResponse::into_response(sse).into_body();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let bytes = rt
            .block_on(axum::body::to_bytes(body, 1 << 16))
            .expect("body");
        assert_eq!(
            std::str::from_utf8(&bytes).expect("utf-8"),
            "event: status\ndata: {\"status\":\"paused\"}\n\n"
        );
        assert_eq!(m.wire_len(), bytes.len());
    }
}
