//! [`Contract`]: what a game type promises the host about its actions and
//! rewards, built from the partner's own Rust payload types so the
//! published schemas cannot drift from what `apply` parses.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use veltrix_sdk::prelude::*;
//!
//! /// Answer a riddle.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Answer {
//!     /// The riddle's id.
//!     riddle: String,
//!     /// The player's answer.
//!     answer: String,
//! }
//!
//! let c = Contract::new()
//!     .action::<Answer>("answer", "answer a riddle")
//!     .action::<NoPayload>("hint", "buy a hint").located()
//!     .with_lifecycle()
//!     .rewards(&["points"]);
//! let spec = c.spec("answer").unwrap();
//! assert!(spec.payload_schema.contains("\"riddle\""));
//! assert_eq!(c.kinds().len(), 2 + Lifecycle::KINDS.len());
//! ```
//!
//! The host validates every payload against its kind's schema before
//! `apply` runs (a `422` naming the field; the plugin is not called), refuses
//! a role the kind does not list, publishes the schemas in its game-type
//! catalogue (clients build their forms from them) and faults any reward of
//! a type not declared here. `veltrix plugin check` generates payloads from
//! the same schemas.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use veltrix_contract::{ActionSpec, ActorRole, GameContract};

use crate::lifecycle::{ADJUSTMENT, Adjustment, Lifecycle};

/// The payload of a kind that takes none: exactly `{}`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoPayload {}

/// A game type's typed contract, built with chained calls: each
/// [`Contract::action`] adds a kind; the modifiers after it (`by`,
/// [`Contract::game_master`], [`Contract::located`], [`Contract::evidence`])
/// apply to the kind added last.
#[derive(Debug, Clone, Default)]
pub struct Contract {
    inner: GameContract,
}

impl Contract {
    /// An empty contract.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a player action of `kind` whose payload deserialises into `P`;
    /// its schema is derived from `P` (draft 2020-12, subschemas inlined).
    pub fn action<P: JsonSchema>(mut self, kind: &str, description: &str) -> Self {
        self.inner.actions.push(ActionSpec {
            kind: kind.into(),
            description: description.into(),
            roles: vec![ActorRole::Player],
            payload_schema: schema_of::<P>(),
            takes_location: false,
            takes_evidence: false,
        });
        self
    }

    /// Sets who may send the kind added last.
    pub fn by(mut self, roles: &[ActorRole]) -> Self {
        if let Some(a) = self.inner.actions.last_mut() {
            a.roles = roles.to_vec();
        }
        self
    }

    /// The kind added last is for the game master (and the host's own
    /// scheduler), not for players.
    pub fn game_master(self) -> Self {
        self.by(&[ActorRole::GameMaster, ActorRole::System])
    }

    /// The kind added last reads the device location.
    pub fn located(mut self) -> Self {
        if let Some(a) = self.inner.actions.last_mut() {
            a.takes_location = true;
        }
        self
    }

    /// The payload of the kind added last carries evidence for a judge.
    pub fn evidence(mut self) -> Self {
        if let Some(a) = self.inner.actions.last_mut() {
            a.takes_evidence = true;
        }
        self
    }

    /// Adds the game-master kinds [`Lifecycle`] handles (start, pause,
    /// resume, end, tick, grant, revoke; all for the game master and the host)
    /// and the reward type of grants and
    /// revocations (`adjustment`).
    pub fn with_lifecycle(self) -> Self {
        let c = self
            .action::<NoPayload>("start", "start a game waiting for the game master")
            .game_master()
            .action::<NoPayload>("pause", "pause the game: player actions are refused")
            .game_master()
            .action::<NoPayload>("resume", "resume a paused game")
            .game_master()
            .action::<NoPayload>("end", "end the game: scores are final")
            .game_master()
            .action::<NoPayload>("tick", "the host's clock: closes what is due")
            .game_master()
            .action::<Adjustment>("grant", "grant points to a player, with a reason")
            .game_master()
            .action::<Adjustment>("revoke", "take points back from a player, with a reason")
            .game_master();
        debug_assert!(Lifecycle::KINDS.iter().all(|k| c.spec(k).is_some()));
        c.rewards(&[ADJUSTMENT])
    }

    /// Declares reward types `apply` may mint (added to those declared).
    pub fn rewards(mut self, types: &[&str]) -> Self {
        for t in types {
            if !self.inner.reward_types.iter().any(|x| x == t) {
                self.inner.reward_types.push((*t).to_string());
            }
        }
        self
    }

    /// The spec of `kind`, if declared.
    pub fn spec(&self, kind: &str) -> Option<&ActionSpec> {
        self.inner.action(kind)
    }

    /// Every declared kind, in declaration order.
    pub fn kinds(&self) -> Vec<String> {
        self.inner.actions.iter().map(|a| a.kind.clone()).collect()
    }

    /// The contract as the WIT `contract` function returns it.
    pub fn into_inner(self) -> GameContract {
        self.inner
    }
}

/// The JSON Schema of `P`, with subschemas inlined where schemars can (a
/// form builder then needs no `$ref` resolution; recursive types keep it).
pub fn schema_of<P: JsonSchema>() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<P>();
    serde_json::to_string(&schema).unwrap_or_else(|_| "{}".into())
}
