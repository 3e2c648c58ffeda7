//! The [`GameType`] trait a partner implements, and [`Effects`], the
//! collector of what one action causes.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::contract::Contract;
use crate::types::{
    Action, Board, ConfigError, GameStatus, GameTypeInfo, PlayerView, QuestUpdate, Rejection,
    Reward, ScoreDelta,
};

/// A game type: a pure, deterministic state machine.
///
/// The host owns the state: it decodes the bytes into [`GameType::State`],
/// calls [`GameType::apply`] on a scratch copy, and keeps the new state only
/// when `apply` returns `Ok`. So an implementation may mutate `state` freely
/// and still return a rejection: a rejected action never changes the game.
///
/// Determinism rules: use the action's `timestamp_ms` as the only clock and
/// the `seed` given to [`GameType::init`] as the only randomness; prefer
/// `BTreeMap` over `HashMap` so that encoded state does not depend on hash
/// order.
pub trait GameType {
    /// The tenant's config, parsed from JSON before [`GameType::init`].
    type Config: DeserializeOwned;
    /// The game state, stored by the host between actions. `Clone` lets a
    /// batch roll back a rejected action without re-decoding.
    type State: Serialize + DeserializeOwned + Clone;

    /// Name, version, config schema, action kinds and budgets. Leave
    /// `action_kinds` empty to have it filled from [`GameType::contract`]
    /// (if listed, it must name the same kinds: the host refuses a
    /// component whose two lists differ).
    fn info() -> GameTypeInfo;

    /// The typed contract: each action kind's payload type, who may send
    /// it, and the reward types `apply` mints (see [`Contract`]).
    fn contract() -> Contract;

    /// Validates the config and builds the initial state.
    fn init(config: Self::Config, seed: u64) -> Result<Self::State, ConfigError>;

    /// Applies one action: mutate `state`, record effects in `fx`.
    fn apply(state: &mut Self::State, action: &Action, fx: &mut Effects) -> Result<(), Rejection>;

    /// The game's status (reported with every transition).
    fn status(state: &Self::State) -> GameStatus;

    /// The compact view for one player.
    fn view(state: &Self::State, player: &str) -> PlayerView;
}

/// What one action causes: quest updates, rewards and leaderboard deltas.
///
/// Every score change in Veltrix is a reward with a deterministic key, so use
/// [`Effects::award`] (which records both) rather than raw score deltas.
#[derive(Debug, Default, Clone)]
pub struct Effects {
    pub(crate) quest_updates: Vec<QuestUpdate>,
    pub(crate) rewards: Vec<Reward>,
    pub(crate) score_deltas: Vec<ScoreDelta>,
}

impl Effects {
    /// Publishes a quest status change with a JSON `detail`.
    pub fn quest(
        &mut self,
        quest_id: impl Into<String>,
        status: impl Into<String>,
        action: &Action,
        detail: impl Serialize,
    ) {
        self.quest_updates.push(QuestUpdate {
            quest_id: quest_id.into(),
            status: status.into(),
            team: action.team.clone(),
            player: Some(action.player.clone()),
            detail: serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
        });
    }

    /// Publishes a quest update built by hand (for updates that concern
    /// someone other than the acting player).
    pub fn quest_update(&mut self, update: QuestUpdate) {
        self.quest_updates.push(update);
    }

    /// Mints `points` for `player` (and `team`) under `reward_key`, and moves
    /// the individual and team leaderboards at game time `at_ms`.
    ///
    /// `reward_key` must be unique per reward within the game and derived
    /// only from game facts (quest id, team, round), never from a counter of
    /// attempts, so a replayed action maps to the same key.
    #[allow(clippy::too_many_arguments)]
    pub fn award_to(
        &mut self,
        reward_key: impl Into<String>,
        reward_type: &str,
        player: &str,
        team: Option<&str>,
        points: i64,
        reason: impl Into<String>,
        at_ms: i64,
    ) {
        self.rewards.push(Reward {
            reward_key: reward_key.into(),
            reward_type: reward_type.into(),
            player: player.into(),
            team: team.map(Into::into),
            points,
            reason: reason.into(),
        });
        self.score_deltas.push(ScoreDelta {
            board: Board::Individual,
            subject: player.into(),
            delta: points,
            at_ms,
        });
        if let Some(team) = team {
            self.score_deltas.push(ScoreDelta {
                board: Board::Team,
                subject: team.into(),
                delta: points,
                at_ms,
            });
        }
    }

    /// [`Effects::award_to`] for the acting player and their team, at the
    /// action's timestamp.
    pub fn award(
        &mut self,
        action: &Action,
        reward_key: impl Into<String>,
        reward_type: &str,
        points: i64,
        reason: impl Into<String>,
    ) {
        self.award_to(
            reward_key,
            reward_type,
            &action.player,
            action.team.as_deref(),
            points,
            reason,
            action.timestamp_ms,
        );
    }

    /// Quest updates recorded so far.
    pub fn quest_updates(&self) -> &[QuestUpdate] {
        &self.quest_updates
    }

    /// Rewards recorded so far.
    pub fn rewards(&self) -> &[Reward] {
        &self.rewards
    }

    /// Score deltas recorded so far.
    pub fn score_deltas(&self) -> &[ScoreDelta] {
        &self.score_deltas
    }
}
