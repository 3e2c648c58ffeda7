//! The native test harness: drive a game type action by action, without wasm,
//! through the same byte-level path the component uses.

use std::collections::BTreeMap;

use crate::game::GameType;
use crate::raw;
use crate::types::{
    Action, Board, ConfigError, GameStatus, PlayerView, Rejection, Reward, Transition,
};

/// One game of `G`, held as state bytes exactly as the host holds it.
///
/// Besides the state it keeps what a host would: the minted rewards (keyed by
/// reward key, so a duplicate key is caught) and the two leaderboards with
/// the game time at which each entry last changed (for tie checks).
pub struct Harness<G: GameType> {
    state: Vec<u8>,
    status: GameStatus,
    rewards: BTreeMap<String, Reward>,
    boards: BTreeMap<(Board, String), (i64, i64)>,
    _game: std::marker::PhantomData<fn() -> G>,
}

// By hand: a derive would require the game type itself to be `Debug`.
impl<G: GameType> std::fmt::Debug for Harness<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("state_bytes", &self.state.len())
            .field("status", &self.status)
            .field("rewards", &self.rewards.len())
            .finish()
    }
}

impl<G: GameType> Harness<G> {
    /// Starts a game from a JSON config and a seed.
    pub fn new(config_json: &str, seed: u64) -> Result<Self, ConfigError> {
        let state = raw::init::<G>(config_json, seed)?;
        let decoded = raw::decode_state::<G>(&state).map_err(|r| ConfigError::new(r.message))?;
        Ok(Self {
            status: G::status(&decoded),
            state,
            rewards: BTreeMap::new(),
            boards: BTreeMap::new(),
            _game: std::marker::PhantomData,
        })
    }

    /// Starts a game from a serialisable config value.
    pub fn with_config(config: impl serde::Serialize, seed: u64) -> Result<Self, ConfigError> {
        let json = serde_json::to_string(&config).map_err(|e| ConfigError::new(e.to_string()))?;
        Self::new(&json, seed)
    }

    /// Applies an action. On success the new state is kept and the effects are
    /// booked; on rejection nothing changes (asserted).
    ///
    /// # Panics
    /// If the game type mints the same reward key twice: that would be
    /// phantom currency in production.
    pub fn apply(&mut self, action: Action) -> Result<Transition, Rejection> {
        let before = self.state.clone();
        match raw::apply::<G>(&self.state, &action) {
            Ok(t) => {
                for r in &t.rewards {
                    let prev = self.rewards.insert(r.reward_key.clone(), r.clone());
                    assert!(prev.is_none(), "reward key `{}` minted twice", r.reward_key);
                }
                for d in &t.score_deltas {
                    let e = self
                        .boards
                        .entry((d.board, d.subject.clone()))
                        .or_insert((0, d.at_ms));
                    e.0 += d.delta;
                    e.1 = d.at_ms;
                }
                self.state = t.state.clone();
                self.status = t.status;
                Ok(t)
            }
            Err(r) => {
                assert_eq!(before, self.state, "rejection changed the state");
                Err(r)
            }
        }
    }

    /// The decoded current state.
    pub fn state(&self) -> G::State {
        raw::decode_state::<G>(&self.state).expect("harness state decodes")
    }

    /// The raw state bytes.
    pub fn state_bytes(&self) -> &[u8] {
        &self.state
    }

    /// Status after the last successful action (initially the status of
    /// the initial state).
    pub fn status(&self) -> GameStatus {
        self.status
    }

    /// One player's view.
    pub fn view(&self, player: &str) -> PlayerView {
        raw::view::<G>(&self.state, player).expect("harness state decodes")
    }

    /// Every reward minted so far, by reward key.
    pub fn rewards(&self) -> &BTreeMap<String, Reward> {
        &self.rewards
    }

    /// Sum of minted points for a player.
    pub fn points_of(&self, player: &str) -> i64 {
        self.rewards
            .values()
            .filter(|r| r.player == player)
            .map(|r| r.points)
            .sum()
    }

    /// Current score of `subject` on `board` (0 if absent).
    pub fn score(&self, board: Board, subject: &str) -> i64 {
        self.boards
            .get(&(board, subject.to_string()))
            .map_or(0, |e| e.0)
    }

    /// The board ranked as the host ranks it: score descending, then whoever
    /// reached their score first, then id.
    pub fn ranking(&self, board: Board) -> Vec<(String, i64)> {
        let mut rows: Vec<_> = self
            .boards
            .iter()
            .filter(|((b, _), _)| *b == board)
            .map(|((_, s), (score, at))| (s.clone(), *score, *at))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
        rows.into_iter().map(|(s, score, _)| (s, score)).collect()
    }
}
