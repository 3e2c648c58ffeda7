//! Load-time validation of a component's typed contract (WIT 0.3
//! `contract`): every declared kind has exactly one spec, every payload
//! schema compiles, reward types are well-formed names. What passes is
//! compiled once here and kept on the [`super::Plugin`].

use std::collections::HashMap;
use std::sync::Arc;

use veltrix_contract::{Action, ActorRole, GameContract, GameTypeInfo, Rejection, RejectionCode};

use super::error::{LoadError, plugin_text};
use super::inspect::{ComponentLimits, Limit, LimitExceeded};

/// Longest contract error quoted from a component.
const QUOTED_BYTES: usize = 300;

/// Compiled payload validators, by kind.
pub type Validators = HashMap<String, Arc<jsonschema::Validator>>;

/// Checks `contract` against `info` and compiles its payload schemas.
pub fn validate(
    info: &GameTypeInfo,
    contract: &GameContract,
    limits: &ComponentLimits,
) -> Result<Validators, LoadError> {
    let bad = |m: String| Err(LoadError::BadDescription(plugin_text(&m, QUOTED_BYTES)));
    // The contract's texts share the description's byte budget.
    let size: u64 = contract
        .actions
        .iter()
        .map(|a| (a.kind.len() + a.description.len() + a.payload_schema.len()) as u64)
        .chain(contract.reward_types.iter().map(|r| r.len() as u64))
        .sum();
    if size > limits.max_describe_bytes {
        return Err(LoadError::Limit(LimitExceeded {
            limit: Limit::DescribeBytes,
            value: size,
            max: limits.max_describe_bytes,
        }));
    }
    let mut declared: Vec<&str> = info.action_kinds.iter().map(String::as_str).collect();
    let mut specified: Vec<&str> = contract.actions.iter().map(|a| a.kind.as_str()).collect();
    declared.sort_unstable();
    specified.sort_unstable();
    if declared != specified {
        let missing: Vec<&str> = declared
            .iter()
            .filter(|k| !specified.contains(k))
            .copied()
            .collect();
        let extra: Vec<&str> = specified
            .iter()
            .filter(|k| !declared.contains(k))
            .copied()
            .collect();
        return bad(format!(
            "the contract's action kinds differ from describe's: no spec for {missing:?}, \
             spec for undeclared {extra:?} (each kind exactly once)"
        ));
    }
    let mut validators = HashMap::new();
    for a in &contract.actions {
        if a.roles.is_empty() {
            return bad(format!(
                "action `{}` names no role that may send it",
                a.kind
            ));
        }
        let schema: serde_json::Value = match serde_json::from_str(&a.payload_schema) {
            Ok(v) => v,
            Err(e) => return bad(format!("payload schema of `{}` is not JSON: {e}", a.kind)),
        };
        match jsonschema::validator_for(&schema) {
            Ok(v) => {
                validators.insert(a.kind.clone(), Arc::new(v));
            }
            Err(e) => {
                return bad(format!(
                    "payload schema of `{}` does not compile: {e}",
                    a.kind
                ));
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &contract.reward_types {
        let ok = (1..=64).contains(&r.len())
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return bad(format!(
                "reward type `{r}` must be 1-64 characters of [A-Za-z0-9_-]"
            ));
        }
        if !seen.insert(r) {
            return bad(format!("reward type `{r}` is declared twice"));
        }
    }
    Ok(validators)
}

/// Most payload problems one refusal lists.
const MAX_PAYLOAD_ISSUES: usize = 3;

/// What the host checks before `apply` sees an action: the kind is
/// declared, the actor's role may send it, the payload is JSON that matches
/// the kind's schema (`validators`; a kind without one takes anything). The
/// refusal names the field (`payload of `answer`: /answer: 5 is not of type
/// "string"`); the plugin is not called.
pub fn admit(
    game_type: &str,
    contract: &GameContract,
    validators: &Validators,
    action: &Action,
) -> Result<(), Rejection> {
    let Some(spec) = contract.action(&action.kind) else {
        return Err(Rejection::new(
            RejectionCode::UnknownKind,
            format!("`{}` is not an action kind of {game_type}", action.kind),
        ));
    };
    if !spec.roles.contains(&action.role) {
        let who = match action.role {
            ActorRole::Player => "a player",
            ActorRole::GameMaster => "the game master",
            ActorRole::System => "the host",
        };
        return Err(Rejection::new(
            RejectionCode::Forbidden,
            format!("`{}` may not be sent by {who}", action.kind),
        ));
    }
    let Some(schema) = validators.get(&action.kind) else {
        return Ok(());
    };
    let payload: serde_json::Value = serde_json::from_str(&action.payload).map_err(|e| {
        Rejection::new(
            RejectionCode::InvalidPayload,
            format!("payload of `{}` is not JSON: {e}", action.kind),
        )
    })?;
    // The common case, a valid payload, without collecting errors (which
    // builds their instance paths).
    if schema.is_valid(&payload) {
        return Ok(());
    }
    let issues = super::plugin::issues(schema, &payload, MAX_PAYLOAD_ISSUES);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(Rejection::new(
            RejectionCode::InvalidPayload,
            format!("payload of `{}`: {}", action.kind, issues.join("; ")),
        ))
    }
}
