//! `bloat`: a game type whose `describe()` is far over the host's upload
//! limits, like the attacker's component in the hardening issue: a 2 MiB
//! config schema (valid JSON) and 100,002 action kinds. Everything else is
//! an ordinary, tiny game type, so only the describe limits can refuse it.

use serde::{Deserialize, Serialize};
use veltrix_sdk::prelude::*;

/// The bloat game type.
pub struct Bloat;

/// No config.
#[derive(Deserialize)]
pub struct Config {}

/// No state.
#[derive(Clone, Serialize, Deserialize)]
pub struct State {}

/// Action kinds declared (the issue's figure).
pub const KINDS: usize = 100_002;
/// Bytes of padding in the config schema's description.
pub const SCHEMA_PADDING: usize = 2 << 20;

impl GameType for Bloat {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        // `repeat` is one bulk copy per doubling: cheap in fuel.
        let schema = format!(
            r#"{{"type":"object","description":"{}"}}"#,
            "x".repeat(SCHEMA_PADDING)
        );
        GameTypeInfo {
            name: "bloat".into(),
            version: "0.1.0".into(),
            config_schema: schema,
            example_config: "{}".into(),
            action_kinds: (0..KINDS).map(kind).collect(),
            latency_budget_us: 1_000,
            fuel_budget: 1_000_000,
        }
    }

    /// Deliberately empty, so it differs from `describe`'s 100,002 kinds.
    ///
    /// The host calls `contract` right after `describe` and before it
    /// checks describe's limits, under the same setup fuel: a spec (and a
    /// generated schema) for each of 100,002 kinds would run out of fuel
    /// there and fail the load for the wrong reason. The host refuses this
    /// component on describe's limits (config schema size, action kinds)
    /// before it compares the two lists, so a tiny contract keeps those
    /// limits the only thing under test.
    fn contract() -> Contract {
        Contract::new()
    }

    fn init(_config: Config, _seed: u64) -> Result<State, ConfigError> {
        Ok(State {})
    }

    fn apply(_s: &mut State, _a: &Action, _fx: &mut Effects) -> Result<(), Rejection> {
        Ok(())
    }

    fn status(_s: &State) -> GameStatus {
        GameStatus::Running
    }

    fn view(_s: &State, _player: &str) -> PlayerView {
        PlayerView {
            status: GameStatus::Running,
            score: 0,
            summary: "{}".into(),
        }
    }
}

/// `i` in base 26 (`a`, `b`, ..., `ba`, ...): unique, and far cheaper in
/// fuel than `format!` (100,002 of them fit `describe`'s setup fuel).
fn kind(mut i: usize) -> String {
    let mut s = String::with_capacity(4);
    loop {
        s.push(char::from(b'a' + (i % 26) as u8));
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}

veltrix_sdk::export_game!(Bloat);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_is_tiny_and_describe_is_not() {
        let c = Bloat::contract().into_inner();
        assert!(c.actions.is_empty() && c.reward_types.is_empty());
        let info = Bloat::info();
        assert_eq!(info.action_kinds.len(), KINDS);
        assert!(info.config_schema.len() > SCHEMA_PADDING);
    }
}
