//! `probe`: a game type that exists to test the host's limits.
//!
//! Each action kind either obeys a limit or breaks it, chosen by its payload,
//! so every limit test runs a pair: the same guest, one call inside the
//! budget and one outside. Kinds:
//! - `noop`: change nothing (measures the host's fixed cost per call);
//! - `ok`: award one point;
//! - `spin {iterations}`: a loop of that many rounds, or forever when absent;
//! - `alloc {bytes}`: allocate and touch that many bytes;
//! - `trap {message?}`: panic (a wasm trap) with that message;
//! - `output {bytes}`: return a quest update carrying that many bytes;
//! - `ambient`: report what the sandbox shows of the clock, randomness,
//!   environment and files;
//! - `sleep {ms}`: `std::thread::sleep`, then report the time that passed;
//! - `poll {ms}`: `wasi:io/poll.poll` on a timer of that many ms; reports
//!   how many pollables were ready;
//! - `entropy`: report `getentropy` bytes, a fresh `RandomState` hash and a
//!   `HashMap`'s iteration order;
//! - `exit {code}`: `std::process::exit(code)`;
//! - `handles {count}`: create that many pollables and never drop them;
//! - `corrupt`: reject with `invalid-state` (which the WIT calls a fault);
//! - `mint`: mint one point of the payload's `reward_type`, declared or not.
//!
//! And outside actions: `describe` always sleeps 20 s (wasm only) and `init`
//! sleeps `sleep_ms` from the config, so every load and init proves that a
//! plugin cannot make the host wait.

mod wasi_raw;

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use veltrix_sdk::prelude::*;

/// The probe game type.
pub struct Probe;

/// Probe config.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Milliseconds `init` sleeps (default none).
    #[serde(default)]
    sleep_ms: Option<u64>,
}

/// Milliseconds `describe` sleeps on wasm: far past any deadline.
const DESCRIBE_SLEEP_MS: u64 = 20_000;

/// Probe state: how many actions were applied.
#[derive(Clone, Serialize, Deserialize)]
pub struct State {
    applied: u64,
}

/// The payload of a kind that ignores it: anything.
type Any = serde_json::Value;

/// Payload of `spin`.
#[derive(Deserialize, JsonSchema)]
struct Spin {
    /// Rounds of the loop; forever when absent or null.
    iterations: Option<u64>,
}

/// Payload of `alloc` and `output`.
#[derive(Deserialize, JsonSchema)]
struct Bytes {
    /// How many bytes.
    bytes: usize,
}

/// Payload of `sleep` and `poll`.
#[derive(Deserialize, JsonSchema)]
struct Millis {
    /// Milliseconds.
    ms: u64,
}

/// Payload of `mint`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Mint {
    /// The reward type to mint one point of (declared or not).
    reward_type: String,
}

/// Payload of `trap`.
#[derive(Deserialize, JsonSchema)]
struct Says {
    /// The panic message (a default one when absent).
    message: Option<String>,
}

/// Payload of `exit`.
#[derive(Deserialize, JsonSchema)]
struct Code {
    /// The exit code.
    #[schemars(range(min = i32::MIN, max = i32::MAX))]
    code: i32,
}

/// Payload of `handles`.
#[derive(Deserialize, JsonSchema)]
struct Count {
    /// How many pollables.
    count: u64,
}

/// What `entropy` reports: everything a plugin could draw from the sandbox.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Drawn {
    /// Eight `getentropy` bytes (`wasi:random/random`).
    pub random: u64,
    /// A hash with a fresh `RandomState` (`wasi:random/insecure-seed`).
    pub hash: u64,
    /// The keys 0..16 in a `HashMap`'s iteration order.
    pub order: Vec<u8>,
}

fn drawn() -> Drawn {
    let map: HashMap<u8, ()> = (0..16).map(|k| (k, ())).collect();
    Drawn {
        random: wasi_raw::entropy_u64(),
        hash: RandomState::new().hash_one("veltrix"),
        order: map.keys().copied().collect(),
    }
}

/// Sleeps for `ms` and reports how long the monotonic clock says it took.
fn sleep_for(ms: u64) -> u128 {
    let start = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(ms));
    start.elapsed().as_millis()
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
        if cfg!(target_family = "wasm") {
            sleep_for(DESCRIBE_SLEEP_MS);
        }
        GameTypeInfo {
            name: "probe".into(),
            version: "0.1.0".into(),
            config_schema: r#"{"type":"object","properties":{"sleep_ms":{"type":"integer","minimum":0}},"additionalProperties":false}"#.into(),
            example_config: "{}".into(),
            action_kinds: [
                "noop", "ok", "spin", "alloc", "trap", "output", "ambient", "sleep", "poll",
                "entropy", "exit", "handles", "corrupt", "mint",
            ]
            .map(String::from)
            .to_vec(),
            latency_budget_us: 1_000,
            // Deliberately huge, so the host's own ceiling (or, with the
            // ceiling lifted, the wall-clock deadline) is what stops a loop.
            fuel_budget: 1_000_000_000_000,
        }
    }

    /// Every kind, for players (as the host's tests send them). Kinds that
    /// ignore their payload accept any (the host's benchmarks send `noop`
    /// a realistic one, its limit tests pad `ok`'s). Unlike `describe`, this
    /// does not sleep.
    fn contract() -> Contract {
        Contract::new()
            .action::<Any>("noop", "change nothing (the host's fixed cost per call)")
            .action::<Any>("ok", "award one point")
            .action::<Spin>("spin", "loop `iterations` rounds, or forever")
            .action::<Bytes>("alloc", "allocate and touch `bytes` bytes")
            .action::<Says>("trap", "panic (a wasm trap) with `message`")
            .action::<Bytes>("output", "return a quest update carrying `bytes` bytes")
            .action::<Any>(
                "ambient",
                "report what the sandbox shows of the clock, randomness, environment and files",
            )
            .action::<Millis>("sleep", "sleep `ms`, then report the time that passed")
            .action::<Millis>(
                "poll",
                "poll a timer of `ms`; report how many pollables were ready",
            )
            .action::<Any>(
                "entropy",
                "report getentropy bytes, a fresh RandomState hash and a HashMap's order",
            )
            .action::<Code>("exit", "std::process::exit(code)")
            .action::<Count>("handles", "create `count` pollables and never drop them")
            .action::<Any>("corrupt", "reject with invalid-state (a fault)")
            .action::<Mint>("mint", "mint one point of `reward_type`, declared or not")
            .rewards(&["points"])
    }

    fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
        if let Some(ms) = config.sleep_ms {
            sleep_for(ms);
        }
        Ok(State { applied: 0 })
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        if a.kind == "noop" {
            return Ok(());
        }
        s.applied += 1;
        match a.kind.as_str() {
            "ok" => fx.award(a, format!("ok:{}", a.idempotency_key), "points", 1, "ok"),
            "mint" => {
                let Mint { reward_type } = a.payload()?;
                fx.award(
                    a,
                    format!("mint:{}", a.idempotency_key),
                    &reward_type,
                    1,
                    "mint",
                );
            }
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
            "trap" => {
                let Says { message } = a.payload()?;
                panic!("{}", message.as_deref().unwrap_or("probe asked to trap"))
            }
            "output" => {
                let Bytes { bytes } = a.payload()?;
                fx.quest("output", "done", a, "x".repeat(bytes));
            }
            "ambient" => fx.quest("ambient", "done", a, ambient()),
            "sleep" => {
                let Millis { ms } = a.payload()?;
                fx.quest("sleep", "done", a, sleep_for(ms));
            }
            "poll" => {
                let Millis { ms } = a.payload()?;
                fx.quest("poll", "done", a, wasi_raw::poll_sleep(ms));
            }
            "entropy" => fx.quest("entropy", "done", a, drawn()),
            "exit" => {
                let Code { code } = a.payload()?;
                std::process::exit(code)
            }
            "handles" => {
                let Count { count } = a.payload()?;
                wasi_raw::leak_pollables(count);
                fx.quest("handles", "done", a, count);
            }
            "corrupt" => {
                return Err(Rejection::new(
                    RejectionCode::InvalidState,
                    "probe says its state is corrupt",
                ));
            }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use super::*;

    fn validator(kind: &str) -> jsonschema::Validator {
        let c = Probe::contract();
        let spec = c.spec(kind).unwrap_or_else(|| panic!("no kind `{kind}`"));
        let schema: Value = serde_json::from_str(&spec.payload_schema).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    #[test]
    fn contract_names_the_kinds_of_info_and_the_reward_ok_mints() {
        let c = Probe::contract();
        let kinds: BTreeSet<String> = c.kinds().into_iter().collect();
        let info: BTreeSet<String> = Probe::info().action_kinds.into_iter().collect();
        assert_eq!(kinds, info);
        assert_eq!(kinds.len(), c.kinds().len());
        let mut g = Harness::<Probe>::new("{}", 1).unwrap();
        let t = g.apply(Action::new("p1", "ok", 1)).unwrap();
        let declared = c.into_inner().reward_types;
        assert_eq!(declared, ["points"]);
        assert!(t.rewards.iter().all(|r| declared.contains(&r.reward_type)));
    }

    #[test]
    fn payload_schemas_accept_what_the_host_tests_send() {
        let accepts = |kind: &str, p: Value| validator(kind).is_valid(&p);
        let big = "x".repeat(1 << 16);
        for (kind, p) in [
            ("ok", json!({})),
            ("ok", json!({ "pad": big })),
            ("noop", json!({ "mission": "m12", "answer": "golden gate" })),
            ("spin", json!({ "iterations": 10_000 })),
            ("spin", json!({ "iterations": null })),
            ("spin", json!({})),
            ("alloc", json!({ "bytes": 1_u64 << 30 })),
            ("trap", json!({})),
            ("trap", json!({ "message": "forged" })),
            ("output", json!({ "bytes": 96 << 10 })),
            ("sleep", json!({ "ms": 20_000 })),
            ("poll", json!({ "ms": 20_000 })),
            ("exit", json!({ "code": 3 })),
            ("exit", json!({ "code": -1 })),
            ("handles", json!({ "count": 1_000_000 })),
            ("corrupt", json!({})),
            ("mint", json!({ "reward_type": "bonus" })),
            ("entropy", json!({})),
            ("ambient", json!({})),
        ] {
            assert!(accepts(kind, p.clone()), "{kind} {p}");
        }
        // What serde refuses, the schema refuses.
        for (kind, p) in [
            ("spin", json!({ "iterations": -1 })),
            ("alloc", json!({})),
            ("sleep", json!({ "ms": "1" })),
            ("exit", json!({ "code": 1_u64 << 31 })),
            ("handles", json!({ "count": -1 })),
        ] {
            assert!(!accepts(kind, p.clone()), "{kind} {p}");
        }
    }
}
