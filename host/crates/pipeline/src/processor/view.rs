//! Player views ([`Processor::view`]): the pinned plugin's `view` run on a
//! game's current in-memory state, never on its last snapshot.
//!
//! A game's state belongs to the worker loop holding its partition (a
//! `GameEntry` in that loop's cache, advanced on the blocking pool one
//! batch at a time). Views do not ask the loop for it: a request routed
//! into the loop would wait behind the batch in flight (a poll wait, the
//! plugin calls, the effects commit), and a burst of open feeds would slow
//! every game of that loop. Instead the loop *publishes* a copy of a game's
//! state after it applied the game's records of a batch (one copy per game
//! and batch, not per action; an `Arc`, so readers never block the loop
//! for longer than a map insert), and it does so before the batch's
//! effects are sent: the player deltas on `events.v1.players` (what the
//! feed reacts to) and the actions' answers both come after the copy holds
//! their action. Views then run on the blocking pool beside the loop, with
//! warm workers of their own.
//!
//! A game no loop of this process holds (never played since the process
//! started, evicted from the cache, its loop stopped, or on a partition
//! another host owns) is *followed*: its latest snapshot plus the game
//! stream up to the partition's end, state only (as a load replays it),
//! kept as a follower copy and caught up from where it stopped on the next
//! view. A copy a loop published is trusted as current while a loop of
//! this host owns the game's partition (`super::ownership`); once a
//! rebalance moves the partition to another host, the copy becomes a
//! follower copy and is caught up from the stream like any other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use veltrix_contract::GameStatus;
use veltrix_runtime::{Plugin, Worker};

use super::game::{GameEntry, GameKey, PARKED_STATUS, replay_records, status_str};
use super::{Processor, ProcessorError};

/// Warm `view` workers kept per component.
const SPARE_WORKERS: usize = 4;

/// One player's view of a game, as the game type built it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerView {
    /// The game.
    pub game_id: String,
    /// The player.
    pub player_id: String,
    /// `waiting`, `running`, `paused`, `finished` (the view's), or
    /// `parked` (the host's: the game applies nothing until an operator
    /// looks at it).
    pub status: &'static str,
    /// The player's (or their team's) score.
    pub score: i64,
    /// The game type's summary: a small JSON document (`plugin check`
    /// refuses a component whose summaries are not JSON).
    pub summary: String,
}

/// A copy of one game's state.
#[derive(Clone)]
pub(crate) struct LiveState {
    plugin: Arc<Plugin>,
    game_type: String,
    state: Vec<u8>,
    status: GameStatus,
    parked: bool,
    topic: String,
    partition: u32,
    /// Every record of the partition below this is in `state`.
    next_offset: i64,
    /// Published by the worker loop that holds the game (current); `false`
    /// for a follower copy, caught up to the stream's end on each view.
    owned: bool,
}

/// The copies, and the `view` workers.
#[derive(Default)]
pub(crate) struct Live {
    games: Mutex<HashMap<GameKey, Arc<LiveState>>>,
    workers: Mutex<HashMap<String, Vec<Worker>>>,
}

impl Live {
    /// The loop's copy of `e`, after it applied records of a batch.
    pub(crate) fn publish(&self, key: &GameKey, e: &GameEntry) {
        let copy = Arc::new(LiveState {
            plugin: Arc::clone(&e.plugin),
            game_type: e.game_type.clone(),
            state: e.state.clone(),
            status: e.status,
            parked: e.parked.is_some(),
            topic: e.topic.clone(),
            partition: e.partition,
            next_offset: e.next_offset,
            owned: true,
        });
        self.games
            .lock()
            .expect("live lock")
            .insert(key.clone(), copy);
    }

    /// Drops a game's copy (the loop evicted it, or cannot load it): the
    /// next view follows it from its snapshot.
    pub(crate) fn forget(&self, key: &GameKey) {
        self.games.lock().expect("live lock").remove(key);
    }

    /// The loop holding `keys` stopped: their copies become follower
    /// copies (another loop or host may apply their records now).
    pub(crate) fn disown<'a>(&self, keys: impl Iterator<Item = &'a GameKey>) {
        let mut games = self.games.lock().expect("live lock");
        for k in keys {
            if let Some(c) = games.get_mut(k)
                && c.owned
            {
                let mut f = (**c).clone();
                f.owned = false;
                *c = Arc::new(f);
            }
        }
    }

    fn get(&self, key: &GameKey) -> Option<Arc<LiveState>> {
        self.games.lock().expect("live lock").get(key).cloned()
    }

    /// Keeps a follower copy unless a loop published one meanwhile, or a
    /// newer follower is there; at most `max` follower copies.
    fn keep(&self, key: &GameKey, copy: &Arc<LiveState>, max: usize) {
        let mut games = self.games.lock().expect("live lock");
        if let Some(c) = games.get(key)
            && (c.owned || c.next_offset > copy.next_offset)
        {
            return;
        }
        games.insert(key.clone(), Arc::clone(copy));
        let followers = games.values().filter(|c| !c.owned).count();
        if followers > max.max(1) {
            // Any other follower: it is rebuilt from its snapshot if needed.
            let drop: Vec<GameKey> = games
                .iter()
                .filter(|(k, c)| !c.owned && *k != key)
                .take(followers - max.max(1))
                .map(|(k, _)| k.clone())
                .collect();
            for k in drop {
                games.remove(&k);
            }
        }
    }

    fn worker(&self, plugin: &Arc<Plugin>) -> Worker {
        self.workers
            .lock()
            .expect("workers lock")
            .get_mut(&plugin.hash)
            .and_then(Vec::pop)
            .unwrap_or_else(|| plugin.worker())
    }

    fn put_back(&self, w: Worker) {
        let mut workers = self.workers.lock().expect("workers lock");
        let spare = workers.entry(w.plugin().hash.clone()).or_default();
        if spare.len() < SPARE_WORKERS {
            spare.push(w);
        }
    }
}

impl Processor {
    /// `player`'s view of `tenant`/`game_id`: the pinned plugin's `view`
    /// on the game's current state (what its worker loop last applied; a
    /// game no loop here holds is rebuilt from its snapshot and the game
    /// stream, see the module docs). `UnknownGame` when the tenant has no
    /// such game; a plugin rejection is `Refused`, a fault `Plugin`.
    pub async fn view(
        &self,
        tenant: &str,
        game_id: &str,
        player: &str,
    ) -> Result<PlayerView, ProcessorError> {
        let key = (tenant.to_string(), game_id.to_string());
        let copy = match self.shared.live.get(&key) {
            Some(c) if c.owned && self.shared.owned.owns(&c.topic, c.partition) => c,
            Some(c) if c.owned => {
                // A rebalance moved the game to another host while this
                // loop runs: its copy here stops at the move.
                self.shared.live.disown(std::iter::once(&key));
                self.follow(&key, Some(c)).await?
            }
            held => self.follow(&key, held).await?,
        };
        let shared = Arc::clone(&self.shared);
        let (c, p) = (Arc::clone(&copy), player.to_string());
        // The blocking pool: sync WASI must not block a runtime thread.
        let viewed = tokio::task::spawn_blocking(move || {
            let mut w = shared.live.worker(&c.plugin);
            let r = w.view(&c.state, &p);
            shared.live.put_back(w);
            r
        })
        .await
        .map_err(|_| ProcessorError::State("view task failed"))??
        .map_err(ProcessorError::Refused)?;
        Ok(PlayerView {
            game_id: game_id.to_string(),
            player_id: player.to_string(),
            status: if copy.parked {
                PARKED_STATUS
            } else {
                status_str(viewed.status)
            },
            score: viewed.score,
            summary: viewed.summary,
        })
    }

    /// A follower copy of a game no loop here holds, caught up to the end
    /// of its partition: from `held` when there is one, else from the
    /// game's snapshot.
    async fn follow(
        &self,
        key: &GameKey,
        held: Option<Arc<LiveState>>,
    ) -> Result<Arc<LiveState>, ProcessorError> {
        let s = &self.shared;
        let unknown = || ProcessorError::UnknownGame(key.1.clone());
        let copy = match held {
            Some(c) => (*c).clone(),
            None => {
                let row = s.store.game(&key.0, &key.1).await?.ok_or_else(unknown)?;
                let Some(plugin) = super::uploads::pinned(s, &row.plugin_hash).await? else {
                    tracing::warn!(tenant = %key.0, game = %key.1, hash = %row.plugin_hash, "view of a game whose component is not registered here");
                    return Err(unknown());
                };
                let snap = s
                    .store
                    .snapshot(&key.0, &key.1)
                    .await?
                    .ok_or_else(unknown)?;
                LiveState {
                    plugin,
                    game_type: row.game_type,
                    state: snap.state,
                    status: super::game::parse_status(&row.status),
                    parked: row.status == PARKED_STATUS,
                    topic: snap.topic,
                    partition: snap.partition,
                    next_offset: snap.next_offset,
                    owned: false,
                }
            }
        };
        let end = s.streams.end_offset(&copy.topic, copy.partition).await?;
        let mut e = GameEntry {
            game_type: copy.game_type,
            plugin: copy.plugin,
            state: copy.state,
            status: copy.status,
            topic: copy.topic,
            partition: copy.partition,
            next_offset: copy.next_offset,
            applied: 0,
            since_snapshot: 0,
            epoch: 0,
            last_used: 0,
            parked: copy.parked.then(String::new),
            tallies: None,
        };
        while e.next_offset < end {
            let want = ((end - e.next_offset) as usize).min(s.cfg.replay_chunk.max(1));
            let recs = s
                .streams
                .read(&e.topic, e.partition, e.next_offset, want)
                .await?;
            if recs.is_empty() {
                break;
            }
            let (k, shared) = (key.clone(), Arc::clone(s));
            e = tokio::task::spawn_blocking(move || {
                let mut w = shared.live.worker(&e.plugin);
                replay_records(&k, &mut e, &mut w, &recs, end, &shared.rules);
                shared.live.put_back(w);
                e
            })
            .await
            .map_err(|_| ProcessorError::State("view replay task failed"))?;
        }
        let copy = Arc::new(LiveState {
            plugin: e.plugin,
            game_type: e.game_type,
            state: e.state,
            status: e.status,
            parked: e.parked.is_some(),
            topic: e.topic,
            partition: e.partition,
            next_offset: e.next_offset,
            owned: false,
        });
        s.live.keep(key, &copy, s.cfg.max_games_cached);
        Ok(copy)
    }
}
