//! The typed contract a game type publishes (WIT 0.3 `contract`): the
//! payload schema and roles of every action kind, and the reward types it
//! mints.

use serde::{Deserialize, Serialize};

use crate::ActorRole;

/// One action kind of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionSpec {
    /// The kind, as in [`crate::Action::kind`].
    pub kind: String,
    /// One line: what the action does.
    pub description: String,
    /// Who may send it.
    pub roles: Vec<ActorRole>,
    /// JSON Schema (draft 2020-12) of the payload (`{}` accepts anything).
    pub payload_schema: String,
    /// The kind reads the device location.
    pub takes_location: bool,
    /// The payload carries evidence for a judge.
    pub takes_evidence: bool,
}

/// What a game type promises about its actions and rewards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GameContract {
    /// One entry per action kind.
    pub actions: Vec<ActionSpec>,
    /// The reward types `apply` may mint.
    pub reward_types: Vec<String>,
}

impl GameContract {
    /// The contract of a component built before contracts existed (WIT
    /// 0.2): every declared kind, any role, any payload; reward types
    /// unknown (`None` from [`GameContract::reward_types`]).
    pub fn untyped(kinds: &[String]) -> Self {
        Self {
            actions: kinds
                .iter()
                .map(|k| ActionSpec {
                    kind: k.clone(),
                    description: String::new(),
                    roles: vec![ActorRole::Player, ActorRole::GameMaster, ActorRole::System],
                    payload_schema: "{}".into(),
                    takes_location: false,
                    takes_evidence: false,
                })
                .collect(),
            reward_types: Vec::new(),
        }
    }

    /// The spec of `kind`, if declared.
    pub fn action(&self, kind: &str) -> Option<&ActionSpec> {
        self.actions.iter().find(|a| a.kind == kind)
    }
}
