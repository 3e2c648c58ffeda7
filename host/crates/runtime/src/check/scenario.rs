//! Partner scenarios (`veltrix plugin check --scenario FILE`): a game
//! played step by step with the outcome each step must have. They reach
//! what random actions cannot (a five-step trail, a judged submission) and
//! pin the rules a partner cares about.
//!
//! ```json
//! {
//!   "config": { "...": "optional; the example config by default" },
//!   "steps": [
//!     { "player": "ann", "team": "red", "kind": "join", "payload": {},
//!       "expect": { "outcome": "applied", "points": 0 } },
//!     { "after_ms": 5000, "player": "bob", "team": "blue", "kind": "checkin",
//!       "location": { "lat": 52.37, "lon": 4.89, "accuracy_m": 5 },
//!       "expect": { "outcome": "rejected", "code": "not-allowed-now" } },
//!     { "role": "game-master", "kind": "end", "expect": { "status": "finished" } }
//!   ]
//! }
//! ```
//!
//! A component may carry its scenario (the SDK's `embed_scenario!` puts the
//! file in a `veltrix-scenario` custom section): the upload check and the CLI
//! then both play it, so both give the same verdict. `--scenario` overrides
//! it on the command line.
//!
//! Times: `at_ms` (absolute) or `after_ms` after the previous step (1 s by
//! default; the first step is at the earliest time the config names, or
//! 2023-11-14T22:13:20Z). `role` is `player` (default), `game-master` or
//! `system`. Each `expect` field is optional: `outcome` (`applied`,
//! `rejected` — by the plugin or the host — or `faulted`), `code` (the
//! rejection code), `points` (the sum of the step's rewards), `status`
//! (the game's status after an applied step).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use veltrix_contract::{Action, ActorRole, GameStatus, Location, RejectionCode};

use super::subject::Subject;
use crate::Applied;

/// A scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The game config (the example config when absent).
    #[serde(default)]
    pub config: Option<Value>,
    /// The steps, in order.
    pub steps: Vec<ScenarioStep>,
}

/// One step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioStep {
    /// Absolute time (ms since the epoch).
    #[serde(default)]
    pub at_ms: Option<i64>,
    /// Time after the previous step (default 1000).
    #[serde(default)]
    pub after_ms: Option<i64>,
    /// Acting player (`gm` for the game master by default).
    #[serde(default)]
    pub player: Option<String>,
    /// Their team.
    #[serde(default)]
    pub team: Option<String>,
    /// Who acts.
    #[serde(default = "player_role")]
    pub role: ActorRole,
    /// Action kind.
    pub kind: String,
    /// Payload (`{}` by default).
    #[serde(default)]
    pub payload: Option<Value>,
    /// Device location.
    #[serde(default)]
    pub location: Option<Location>,
    /// What must happen.
    #[serde(default)]
    pub expect: Expect,
}

fn player_role() -> ActorRole {
    ActorRole::Player
}

/// The expected outcome of a step.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `applied`, `rejected` or `faulted`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The rejection code.
    #[serde(default)]
    pub code: Option<RejectionCode>,
    /// Sum of the step's reward points.
    #[serde(default)]
    pub points: Option<i64>,
    /// Game status after the step.
    #[serde(default)]
    pub status: Option<GameStatus>,
}

/// What running a scenario found.
#[derive(Debug, Clone, Default)]
pub struct ScenarioRun {
    /// The kinds it applied (for coverage).
    pub applied: Vec<String>,
    /// The first mismatch: `step N (kind): expected X, got Y`.
    pub failure: Option<String>,
    /// Steps run.
    pub steps: usize,
}

fn code_name(c: RejectionCode) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Plays `scenario` from a fresh `init`.
pub fn run(subject: &dyn Subject, scenario: &Scenario, start_ms: i64, seed: u64) -> ScenarioRun {
    let mut out = ScenarioRun::default();
    let mut w = subject.runner();
    let config = scenario
        .config
        .as_ref()
        .map_or_else(|| subject.info().example_config.clone(), Value::to_string);
    let mut state = match w.init(&config, seed) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            out.failure = Some(format!("the scenario's config was refused: {}", e.message));
            return out;
        }
        Err(f) => {
            out.failure = Some(format!("init faulted on the scenario's config: {f}"));
            return out;
        }
    };
    // The first step (1 s after "before the start" by default) is at the start.
    let mut now = start_ms - 1_000;
    for (i, s) in scenario.steps.iter().enumerate() {
        now = s.at_ms.unwrap_or(now + s.after_ms.unwrap_or(1_000));
        let a = Action {
            tenant: "conformance".into(),
            game: "scenario".into(),
            player: s.player.clone().unwrap_or_else(|| "gm".into()),
            team: s.team.clone(),
            idempotency_key: format!("scenario-{i}"),
            role: s.role,
            kind: s.kind.clone(),
            payload: s
                .payload
                .clone()
                .unwrap_or_else(|| serde_json::json!({}))
                .to_string(),
            timestamp_ms: now,
            location: s.location,
        };
        out.steps += 1;
        let (outcome, code, points, status) = match subject.admit(&a) {
            Err(r) => ("rejected", Some(r.code), 0, None),
            Ok(()) => match w.apply(&state, &a) {
                Ok(Applied { result: Ok(t), .. }) => {
                    let points = t.rewards.iter().map(|r| r.points).sum();
                    state.clone_from(&t.state);
                    out.applied.push(a.kind.clone());
                    ("applied", None, points, Some(t.status))
                }
                Ok(Applied { result: Err(r), .. }) => ("rejected", Some(r.code), 0, None),
                Err(f) => {
                    out.failure = Some(format!("step {i} (`{}`) faulted: {f}", a.kind));
                    return out;
                }
            },
        };
        let e = &s.expect;
        let got = || {
            format!(
                "{outcome}{}{}",
                code.map(|c| format!(" {}", code_name(c)))
                    .unwrap_or_default(),
                if outcome == "applied" {
                    format!(" {points:+} points")
                } else {
                    String::new()
                }
            )
        };
        let wrong = e.outcome.as_deref().is_some_and(|o| o != outcome)
            || e.code.is_some_and(|c| Some(c) != code)
            || e.points.is_some_and(|p| p != points)
            || e.status.is_some_and(|st| Some(st) != status);
        if wrong {
            out.failure = Some(format!(
                "step {i} (`{}`): expected {}, got {}",
                a.kind,
                serde_json::to_string(e).unwrap_or_default(),
                got()
            ));
            return out;
        }
    }
    out
}

/// The custom section a component's scenario travels in.
pub const SECTION: &str = "veltrix-scenario";

/// The scenario embedded in a component (`None`: there is none), refused
/// when over `max_bytes` or not a scenario.
pub fn embedded(bytes: &[u8], max_bytes: u64) -> Option<Result<Scenario, String>> {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(wasmparser::Payload::CustomSection(section)) = payload else {
            continue;
        };
        if section.name() != SECTION {
            continue;
        }
        let data = section.data();
        if data.len() as u64 > max_bytes {
            return Some(Err(format!(
                "the embedded scenario is {} bytes, over the limit of {max_bytes} \
                 (`plugins.component.max_describe_bytes`)",
                data.len()
            )));
        }
        return Some(
            serde_json::from_slice(data)
                .map_err(|e| format!("the embedded scenario is not a scenario: {e}")),
        );
    }
    None
}
