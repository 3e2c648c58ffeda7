//! `probe`: a game type that exists to test the host's limits.
//!
//! Each action kind either obeys a limit or breaks it, chosen by its payload,
//! so every limit test runs a pair: the same guest, one call inside the
//! budget and one outside. Kinds:
//! - `noop`: change nothing (measures the host's fixed cost per call);
//! - `ok`: award one point;
//! - `spin {iterations}`: a loop of that many rounds, or forever when absent;
//! - `alloc {bytes}`: allocate and touch that many bytes;
//! - `trap`: panic (a wasm trap);
//! - `output {bytes}`: return a quest update carrying that many bytes;
//! - `ambient`: report what the sandbox shows of the clock, randomness,
//!   environment and files.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};
use veltrix_sdk::prelude::*;

/// The probe game type.
pub struct Probe;

/// Probe config: nothing to set.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// Probe state: how many actions were applied.
#[derive(Clone, Serialize, Deserialize)]
pub struct State {
    applied: u64,
}

#[derive(Deserialize)]
struct Spin {
    iterations: Option<u64>,
}

#[derive(Deserialize)]
struct Bytes {
    bytes: usize,
}

/// What `ambient` reports of the sandbox.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Ambient {
    /// `SystemTime::now()` in ms since the epoch (or -1 if unavailable).
    pub now_ms: i64,
    /// A hash with a fresh `RandomState`: reveals where hash seeds come from.
    pub hash: u64,
    /// Number of environment variables visible.
    pub env_vars: usize,
    /// Whether the root directory could be listed.
    pub can_list_root: bool,
}

fn ambient() -> Ambient {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(-1);
    Ambient {
        now_ms,
        hash: RandomState::new().hash_one("veltrix"),
        env_vars: std::env::vars().count(),
        can_list_root: std::fs::read_dir("/").is_ok(),
    }
}

impl GameType for Probe {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        GameTypeInfo {
            name: "probe".into(),
            version: "0.1.0".into(),
            config_schema: r#"{"type":"object","additionalProperties":false}"#.into(),
            example_config: "{}".into(),
            action_kinds: ["noop", "ok", "spin", "alloc", "trap", "output", "ambient"]
                .map(String::from)
                .to_vec(),
            latency_budget_us: 1_000,
            // Deliberately huge, so the host's own ceiling (or, with the
            // ceiling lifted, the wall-clock deadline) is what stops a loop.
            fuel_budget: 1_000_000_000_000,
        }
    }

    fn init(_config: Config, _seed: u64) -> Result<State, ConfigError> {
        Ok(State { applied: 0 })
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        if a.kind == "noop" {
            return Ok(());
        }
        s.applied += 1;
        match a.kind.as_str() {
            "ok" => fx.award(a, format!("ok:{}", a.idempotency_key), "points", 1, "ok"),
            "spin" => {
                let Spin { iterations } = a.payload()?;
                let mut x: u64 = s.applied;
                let mut i = 0u64;
                // black_box keeps the optimiser from deleting the loop.
                while iterations.is_none_or(|n| i < n) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                    i += 1;
                }
                fx.quest("spin", "done", a, x);
            }
            "alloc" => {
                let Bytes { bytes } = a.payload()?;
                let mut v = vec![0u8; bytes];
                // Touch every page so the memory is really committed.
                for i in (0..v.len()).step_by(4096) {
                    v[i] = 1;
                }
                fx.quest("alloc", "done", a, std::hint::black_box(&v).len());
            }
            "trap" => panic!("probe asked to trap"),
            "output" => {
                let Bytes { bytes } = a.payload()?;
                fx.quest("output", "done", a, "x".repeat(bytes));
            }
            "ambient" => fx.quest("ambient", "done", a, ambient()),
            _ => return Err(unknown_kind(a)),
        }
        Ok(())
    }

    fn status(_s: &State) -> GameStatus {
        GameStatus::Running
    }

    fn view(s: &State, _player: &str) -> PlayerView {
        PlayerView {
            status: GameStatus::Running,
            score: s.applied as i64,
            summary: "{}".into(),
        }
    }
}

veltrix_sdk::export_game!(Probe);
