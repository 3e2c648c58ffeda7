//! Holds a game type's tests to its typed contract ([`GameType::contract`]).
//!
//! Not a crate: each game type's integration tests include this file with
//!
//! ```text
//! #[path = "../../testing/contract_check.rs"]
//! mod contract_check;
//! use contract_check::Harness;
//! ```
//!
//! The explicit `use` shadows the SDK's `Harness` from the prelude's glob,
//! so every game the existing tests play goes through [`Harness::apply`]
//! here, which checks each *accepted* action the way the host would have
//! let it through: its kind is declared, its role is listed, its payload
//! validates against the kind's schema, and every reward it minted has a
//! declared type. A rejected action is not checked: the host refusing it
//! earlier (422 or 403) is fine, since the plugin refuses it too.
//!
//! [`assert_contract_matches_info`] checks the contract itself (the kinds
//! agree with `info().action_kinds`, schemas compile, reward types are
//! well-formed); [`play`] runs an action stream (the sample game) and
//! returns the reward types minted.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};

use veltrix_sdk::{Action, ActorRole, ConfigError, GameType, Rejection, Transition};

/// What the host keeps of a kind's spec to let an action through.
struct Spec {
    roles: Vec<ActorRole>,
    validator: jsonschema::Validator,
}

/// The contract of `G`, compiled: specs by kind, and the reward types.
struct Compiled {
    specs: BTreeMap<String, Spec>,
    reward_types: BTreeSet<String>,
}

impl Compiled {
    fn of<G: GameType>() -> Self {
        let c = G::contract().into_inner();
        let specs = c
            .actions
            .into_iter()
            .map(|a| {
                let schema: serde_json::Value = serde_json::from_str(&a.payload_schema)
                    .unwrap_or_else(|e| panic!("schema of `{}` is not JSON: {e}", a.kind));
                let validator = jsonschema::validator_for(&schema)
                    .unwrap_or_else(|e| panic!("schema of `{}` does not compile: {e}", a.kind));
                let spec = Spec {
                    roles: a.roles,
                    validator,
                };
                (a.kind, spec)
            })
            .collect();
        Self {
            specs,
            reward_types: c.reward_types.into_iter().collect(),
        }
    }

    /// Panics unless the host would have let `a` through and accepted what
    /// it minted (`t`).
    fn check(&self, a: &Action, t: &Transition) {
        let spec = self.specs.get(&a.kind).unwrap_or_else(|| {
            panic!(
                "`{}` was accepted but the contract does not declare it",
                a.kind
            )
        });
        assert!(
            spec.roles.contains(&a.role),
            "`{}` from {:?} was accepted but the contract only lets {:?} send it",
            a.kind,
            a.role,
            spec.roles
        );
        let payload: serde_json::Value = serde_json::from_str(&a.payload).unwrap_or_else(|e| {
            panic!(
                "`{}` accepted a payload that is not JSON ({e}): {}",
                a.kind, a.payload
            )
        });
        if let Err(e) = spec.validator.validate(&payload) {
            panic!(
                "`{}` accepted a payload its schema refuses ({e} at `{}`): {}",
                a.kind, e.instance_path, a.payload
            );
        }
        for r in &t.rewards {
            assert!(
                self.reward_types.contains(&r.reward_type),
                "`{}` minted reward type `{}`, not declared in {:?}",
                a.kind,
                r.reward_type,
                self.reward_types
            );
        }
    }
}

/// The SDK's [`veltrix_sdk::Harness`], checking every accepted action
/// against the contract of `G` (see the module docs). Everything but
/// `apply` is the SDK harness's, through `Deref`.
pub struct Harness<G: GameType> {
    inner: veltrix_sdk::Harness<G>,
    contract: Compiled,
    minted: BTreeSet<String>,
}

impl<G: GameType> std::fmt::Debug for Harness<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl<G: GameType> Harness<G> {
    fn wrap(inner: veltrix_sdk::Harness<G>) -> Self {
        Self {
            inner,
            contract: Compiled::of::<G>(),
            minted: BTreeSet::new(),
        }
    }

    /// See [`veltrix_sdk::Harness::new`].
    pub fn new(config_json: &str, seed: u64) -> Result<Self, ConfigError> {
        veltrix_sdk::Harness::new(config_json, seed).map(Self::wrap)
    }

    /// See [`veltrix_sdk::Harness::with_config`].
    pub fn with_config(config: impl serde::Serialize, seed: u64) -> Result<Self, ConfigError> {
        veltrix_sdk::Harness::with_config(config, seed).map(Self::wrap)
    }

    /// [`veltrix_sdk::Harness::apply`], then the contract checks on an
    /// accepted action.
    pub fn apply(&mut self, action: Action) -> Result<Transition, Rejection> {
        let t = self.inner.apply(action.clone())?;
        self.contract.check(&action, &t);
        self.minted
            .extend(t.rewards.iter().map(|r| r.reward_type.clone()));
        Ok(t)
    }

    /// The reward types minted so far.
    pub fn minted_types(&self) -> &BTreeSet<String> {
        &self.minted
    }
}

impl<G: GameType> Deref for Harness<G> {
    type Target = veltrix_sdk::Harness<G>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<G: GameType> DerefMut for Harness<G> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// The contract of `G` is one the host loads: its kinds are those of
/// `info().action_kinds` (each once), every kind names a role and has a
/// payload schema that compiles, reward types are well-formed and unique,
/// and `adjustment` is declared when the lifecycle kinds are.
pub fn assert_contract_matches_info<G: GameType>() {
    let c = G::contract().into_inner();
    let kinds: Vec<&str> = c.actions.iter().map(|a| a.kind.as_str()).collect();
    let set: BTreeSet<&str> = kinds.iter().copied().collect();
    assert_eq!(
        set.len(),
        kinds.len(),
        "a kind is declared twice: {kinds:?}"
    );
    let info = G::info();
    let declared: BTreeSet<&str> = info.action_kinds.iter().map(String::as_str).collect();
    assert_eq!(
        declared.len(),
        info.action_kinds.len(),
        "info() lists a kind twice"
    );
    assert_eq!(
        set, declared,
        "contract kinds differ from info().action_kinds"
    );
    let described = veltrix_sdk::raw::describe::<G>();
    assert_eq!(described.action_kinds, info.action_kinds);
    // Compiles every schema (panics on one that does not).
    let compiled = Compiled::of::<G>();
    for a in &c.actions {
        assert!(!a.roles.is_empty(), "`{}` names no role", a.kind);
        assert!(!a.description.is_empty(), "`{}` has no description", a.kind);
        // Every payload is a JSON object: the schema says so.
        assert!(
            !compiled.specs[&a.kind]
                .validator
                .is_valid(&serde_json::json!([])),
            "the schema of `{}` accepts an array",
            a.kind
        );
    }
    let types: BTreeSet<&str> = c.reward_types.iter().map(String::as_str).collect();
    assert_eq!(types.len(), c.reward_types.len(), "a reward type twice");
    for r in &types {
        assert!(
            (1..=64).contains(&r.len())
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "reward type `{r}`"
        );
    }
    if set.contains("grant") {
        assert!(types.contains("adjustment"), "grants mint `adjustment`");
    }
}

/// Plays `actions` on a checked game of `G` (rejections are fine) and
/// returns the reward types minted.
pub fn play<G: GameType>(
    config_json: &str,
    seed: u64,
    actions: impl IntoIterator<Item = Action>,
) -> BTreeSet<String> {
    let mut g = Harness::<G>::new(config_json, seed).expect("the config inits");
    for a in actions {
        let _ = g.apply(a);
    }
    g.minted_types().clone()
}

/// Whether the schema of `kind` accepts `payload`.
pub fn schema_accepts<G: GameType>(kind: &str, payload: &serde_json::Value) -> bool {
    let c = Compiled::of::<G>();
    let spec = c
        .specs
        .get(kind)
        .unwrap_or_else(|| panic!("no kind `{kind}`"));
    spec.validator.is_valid(payload)
}

/// The declared reward types of `G`.
pub fn reward_types<G: GameType>() -> BTreeSet<String> {
    G::contract()
        .into_inner()
        .reward_types
        .into_iter()
        .collect()
}
