//! # veltrix-contract
//!
//! The game-type contract in plain Rust: mirrors of the WIT types in
//! `wit/game.wit`, and the deterministic generator game types derive their
//! randomness from. No wasm engine and no I/O: the SDK (guest side) and the
//! host's runtime (engine side) both build on this crate, so neither
//! depends on the other.
//!
//! - the data types (this module): actions, effects, transitions,
//!   rejections, the game type's self-description;
//! - [`spec`]: the typed contract (action payload schemas, roles, reward
//!   types) a game type publishes;
//! - [`rng`]: the `SplitMix64` generator.
//!
//! The WIT glue on each side converts by moving fields, so crossing the
//! component boundary costs no extra copies.

pub mod rng;
pub mod spec;

pub use spec::{ActionSpec, GameContract};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A GPS fix reported by the player's device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude in decimal degrees (WGS84).
    pub lat: f64,
    /// Longitude in decimal degrees (WGS84).
    pub lon: f64,
    /// Horizontal accuracy radius in metres.
    pub accuracy_m: f32,
}

/// Who sent an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorRole {
    /// A player acting for themselves and their team.
    Player,
    /// The tenant's game master (already authorised by the host).
    GameMaster,
    /// The host itself, for scheduled events.
    System,
}

/// One action, in game order. See the WIT for the meaning of each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Tenant that owns the game.
    pub tenant: String,
    /// Game instance id.
    pub game: String,
    /// Acting player (or game master) id.
    pub player: String,
    /// The player's team, if any.
    pub team: Option<String>,
    /// Client idempotency key.
    pub idempotency_key: String,
    /// Who is acting.
    pub role: ActorRole,
    /// Action kind.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Game clock: milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// Device location, if sent.
    pub location: Option<Location>,
}

impl Action {
    /// A player action of `kind` at `timestamp_ms` with an empty (`{}`) payload,
    /// in tenant `t` and game `g`. Chain the `with_*` methods to fill the rest.
    pub fn new(player: &str, kind: &str, timestamp_ms: i64) -> Self {
        Self {
            tenant: "t".into(),
            game: "g".into(),
            player: player.into(),
            team: None,
            idempotency_key: format!("{player}:{kind}:{timestamp_ms}"),
            role: ActorRole::Player,
            kind: kind.into(),
            payload: "{}".into(),
            timestamp_ms,
            location: None,
        }
    }

    /// Sets the tenant and the game instance (`t` and `g` by default).
    ///
    /// ```
    /// use veltrix_contract::Action;
    ///
    /// // The 42nd action of a generated stream.
    /// let a = Action::new("p1", "tap", 1_000)
    ///     .with_game("acme", "g7")
    ///     .with_key("stream-42");
    /// assert_eq!((a.tenant.as_str(), a.game.as_str()), ("acme", "g7"));
    /// assert_eq!(a.idempotency_key, "stream-42");
    /// ```
    pub fn with_game(mut self, tenant: &str, game: &str) -> Self {
        self.tenant = tenant.into();
        self.game = game.into();
        self
    }

    /// Sets the idempotency key (by default `player:kind:timestamp`, which
    /// repeats if one player sends the same kind twice in a millisecond).
    pub fn with_key(mut self, key: &str) -> Self {
        self.idempotency_key = key.into();
        self
    }

    /// Sets the team.
    pub fn with_team(mut self, team: &str) -> Self {
        self.team = Some(team.into());
        self
    }

    /// Sets the payload from any serialisable value.
    pub fn with_payload(mut self, payload: impl Serialize) -> Self {
        self.payload = serde_json::to_string(&payload).expect("payload serialises to JSON");
        self
    }

    /// Sets the raw payload text (useful to test malformed input).
    pub fn with_raw_payload(mut self, payload: &str) -> Self {
        self.payload = payload.into();
        self
    }

    /// Sets the device location.
    pub fn with_location(mut self, lat: f64, lon: f64, accuracy_m: f32) -> Self {
        self.location = Some(Location {
            lat,
            lon,
            accuracy_m,
        });
        self
    }

    /// Marks the action as sent by the game master.
    pub fn as_game_master(mut self) -> Self {
        self.role = ActorRole::GameMaster;
        self
    }

    /// Marks the action as sent by the host's scheduler.
    pub fn as_system(mut self) -> Self {
        self.role = ActorRole::System;
        self
    }

    /// Parses the payload as `T`, or rejects with [`RejectionCode::InvalidPayload`].
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        serde_json::from_str(&self.payload).map_err(|e| {
            Rejection::new(
                RejectionCode::InvalidPayload,
                format!("payload of `{}`: {e}", self.kind),
            )
        })
    }

    /// The id that scores for this action on the team board: the team if
    /// there is one, else the player.
    pub fn scorer(&self) -> &str {
        self.team.as_deref().unwrap_or(&self.player)
    }

    /// Rejects unless the action comes from the game master (or the host).
    pub fn require_game_master(&self) -> Result<(), Rejection> {
        match self.role {
            ActorRole::GameMaster | ActorRole::System => Ok(()),
            ActorRole::Player => Err(Rejection::new(
                RejectionCode::Forbidden,
                format!("`{}` is a game-master action", self.kind),
            )),
        }
    }
}

/// What a game type says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameTypeInfo {
    /// Machine name, `[a-z][a-z0-9-]*`.
    pub name: String,
    /// Semantic version.
    pub version: String,
    /// JSON Schema of the config.
    pub config_schema: String,
    /// A config that `init` accepts (validates against the schema).
    pub example_config: String,
    /// Accepted action kinds.
    pub action_kinds: Vec<String>,
    /// Target p99 of one apply, microseconds.
    pub latency_budget_us: u32,
    /// Most fuel one apply may use.
    pub fuel_budget: u64,
}

/// Game lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum GameStatus {
    /// Waiting for its start.
    #[default]
    Waiting,
    /// Accepting player actions.
    Running,
    /// Paused by the game master.
    Paused,
    /// Over.
    Finished,
}

/// A quest change to publish on the quest stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestUpdate {
    /// Quest id (the quest stream's key).
    pub quest_id: String,
    /// New status.
    pub status: String,
    /// Team concerned.
    pub team: Option<String>,
    /// Player concerned.
    pub player: Option<String>,
    /// Small JSON detail.
    pub detail: String,
}

/// Points to mint in the reward ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    /// Plugin-chosen key, unique per reward within the game.
    pub reward_key: String,
    /// Reward type (selects the reward stream).
    pub reward_type: String,
    /// Player credited.
    pub player: String,
    /// Team credited.
    pub team: Option<String>,
    /// Points, positive or negative.
    pub points: i64,
    /// Human-readable reason.
    pub reason: String,
}

/// Which leaderboard a delta applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Board {
    /// One entry per player.
    Individual,
    /// One entry per team.
    Team,
}

/// A leaderboard change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreDelta {
    /// Board.
    pub board: Board,
    /// Player or team id.
    pub subject: String,
    /// Points to add.
    pub delta: i64,
    /// Game time of the change, for "first to reach the score wins" ties.
    pub at_ms: i64,
}

/// The result of a successful apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The new state bytes.
    pub state: Vec<u8>,
    /// Quest updates, in order.
    pub quest_updates: Vec<QuestUpdate>,
    /// Rewards, in order.
    pub rewards: Vec<Reward>,
    /// Leaderboard deltas, in order.
    pub score_deltas: Vec<ScoreDelta>,
    /// Game status after the action.
    pub status: GameStatus,
}

/// What one applied action of a batch caused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionEffects {
    /// Quest updates, in order.
    pub quest_updates: Vec<QuestUpdate>,
    /// Rewards, in order.
    pub rewards: Vec<Reward>,
    /// Leaderboard deltas, in order.
    pub score_deltas: Vec<ScoreDelta>,
}

/// The result of applying a batch of actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// State after the batch.
    pub state: Vec<u8>,
    /// Status after the batch.
    pub status: GameStatus,
    /// Per action: its effects, or its rejection.
    pub outcomes: Vec<Result<ActionEffects, Rejection>>,
}

/// Machine-readable rejection reasons (see the WIT for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectionCode {
    /// Payload is not valid for this kind.
    InvalidPayload,
    /// Kind not accepted.
    UnknownKind,
    /// The actor may not do this.
    Forbidden,
    /// Not now (paused, locked, out of turn).
    NotAllowedNow,
    /// Outside a time window.
    OutOfWindow,
    /// Already done.
    AlreadyDone,
    /// Too many attempts.
    RateLimited,
    /// Wrong answer or location.
    Incorrect,
    /// The game is over.
    GameOver,
    /// Unknown quest, player or team.
    NotFound,
    /// State bytes do not decode.
    InvalidState,
}

/// A refused action; the state stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Machine-readable reason.
    pub code: RejectionCode,
    /// Human-readable explanation.
    pub message: String,
}

impl Rejection {
    /// A rejection with `code` and `message`.
    pub fn new(code: RejectionCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for Rejection {}

/// A refused config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigError {
    /// Human-readable explanation.
    pub message: String,
}

impl ConfigError {
    /// A config error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The compact per-player view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerView {
    /// Game status.
    pub status: GameStatus,
    /// The player's (or their team's) score.
    pub score: i64,
    /// Small JSON document for the player's screen.
    pub summary: String,
}
