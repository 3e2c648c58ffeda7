//! # veltrix-sdk: write a Veltrix game type in plain Rust
//!
//! A game type is a pure state machine: `init(config, seed)` builds a state,
//! `apply(state, action)` moves it and says what happened (quest updates,
//! rewards, leaderboard deltas). You implement [`GameType`], call
//! [`export_game!`] once, and build for `wasm32-wasip2`: the result is a
//! WebAssembly component that the Veltrix host runs under fuel, memory and
//! time limits. The same code runs natively in [`Harness`] for unit tests.
//!
//! Modules:
//! - [`types`]: the contract's data types (mirrors of `wit/game.wit`);
//! - [`game`]: the [`GameType`] trait and the [`Effects`] collector;
//! - [`contract`]: the typed [`Contract`] (payload schemas derived from the
//!   partner's Rust types, roles, reward types);
//! - [`lifecycle`]: the shared game-master rules (pause, resume, end, grant,
//!   revoke, schedule);
//! - [`pack`]: compact state containers (record tables, interned names, a
//!   roster) that keep decoding the state on every apply cheap;
//! - [`harness`]: the native test harness;
//! - `native` (feature `native`): a type-erased native runner (the host's
//!   benchmarks use it);
//! - [`rng`]: [`SplitMix64`](rng::SplitMix64), the deterministic generator
//!   a game type derives its randomness from (seeded by `init`);
//! - [`submission`]: judged submissions for mission-style game types:
//!   check kinds (answer, GPS check-in, evidence) with their config
//!   validation, evaluation of a submission, the per-team status byte and
//!   the judge's verdict;
//! - [`util`]: geofences and answer matching.
//!
//! ## A complete game type
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use veltrix_sdk::prelude::*;
//!
//! /// First team to tap wins `points`; everyone else gets 1.
//! pub struct FirstTap;
//!
//! #[derive(Deserialize)]
//! pub struct Config { points: i64 }
//!
//! #[derive(Clone, Serialize, Deserialize)]
//! pub struct State { points: i64, tapped: Vec<String>, over: bool }
//!
//! impl GameType for FirstTap {
//!     type Config = Config;
//!     type State = State;
//!
//!     fn info() -> GameTypeInfo {
//!         GameTypeInfo {
//!             name: "first-tap".into(),
//!             version: "1.0.0".into(),
//!             config_schema: r#"{"type":"object","required":["points"],
//!                 "properties":{"points":{"type":"integer","minimum":1}}}"#.into(),
//!             example_config: r#"{"points": 10}"#.into(),
//!             // Filled from `contract()`.
//!             action_kinds: vec![],
//!             latency_budget_us: 1_000,
//!             fuel_budget: 2_000_000,
//!         }
//!     }
//!
//!     fn contract() -> Contract {
//!         Contract::new()
//!             .action::<NoPayload>("tap", "tap first to win")
//!             .action::<NoPayload>("end", "end the game").game_master()
//!             .rewards(&["points"])
//!     }
//!
//!     fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
//!         if config.points < 1 {
//!             return Err(ConfigError::new("/points: must be at least 1"));
//!         }
//!         Ok(State { points: config.points, tapped: vec![], over: false })
//!     }
//!
//!     fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
//!         if s.over {
//!             return Err(Rejection::new(RejectionCode::GameOver, "the game is over"));
//!         }
//!         match a.kind.as_str() {
//!             "tap" => {
//!                 let who = a.scorer().to_string();
//!                 if s.tapped.contains(&who) {
//!                     return Err(Rejection::new(RejectionCode::AlreadyDone, "already tapped"));
//!                 }
//!                 let points = if s.tapped.is_empty() { s.points } else { 1 };
//!                 // The reward key names the fact (who tapped), never an
//!                 // attempt counter: a replay maps to the same key.
//!                 fx.award(a, format!("tap:{who}"), "points", points, "tapped");
//!                 fx.quest("tap", "done", a, serde_json::json!({ "points": points }));
//!                 s.tapped.push(who);
//!                 Ok(())
//!             }
//!             "end" => {
//!                 a.require_game_master()?;
//!                 s.over = true;
//!                 Ok(())
//!             }
//!             _ => Err(unknown_kind(a)),
//!         }
//!     }
//!
//!     fn status(s: &State) -> GameStatus {
//!         if s.over { GameStatus::Finished } else { GameStatus::Running }
//!     }
//!
//!     fn view(s: &State, player: &str) -> PlayerView {
//!         PlayerView {
//!             status: Self::status(s),
//!             score: 0,
//!             summary: format!(r#"{{"tapped":{}}}"#, s.tapped.iter().any(|t| t == player)),
//!         }
//!     }
//! }
//!
//! // Exports the component functions when built for wasm32-wasip2;
//! // expands to nothing natively.
//! veltrix_sdk::export_game!(FirstTap);
//!
//! // A native unit test of the rules:
//! let mut game = Harness::<FirstTap>::new(r#"{"points": 10}"#, 7).unwrap();
//! game.apply(Action::new("ann", "tap", 1_000).with_team("red")).unwrap();
//! game.apply(Action::new("bob", "tap", 2_000).with_team("blue")).unwrap();
//! let again = game.apply(Action::new("cat", "tap", 3_000).with_team("red"));
//! assert_eq!(again.unwrap_err().code, RejectionCode::AlreadyDone);
//! assert_eq!(game.ranking(Board::Team), vec![("red".into(), 10), ("blue".into(), 1)]);
//! let end = game.apply(Action::new("ann", "end", 4_000));
//! assert_eq!(end.unwrap_err().code, RejectionCode::Forbidden);
//! game.apply(Action::new("gm", "end", 4_000).as_game_master()).unwrap();
//! assert_eq!(game.status(), GameStatus::Finished);
//! ```
//!
//! ## Building the component
//!
//! ```text
//! # Cargo.toml: [lib] crate-type = ["cdylib", "rlib"]
//! rustup target add wasm32-wasip2
//! cargo build --release --target wasm32-wasip2
//! veltrix plugin check target/wasm32-wasip2/release/first_tap.wasm
//! ```

#![warn(missing_docs)]

pub mod contract;
pub mod game;
pub mod harness;
pub mod lifecycle;
#[cfg(feature = "native")]
pub mod native;
pub mod pack;
// The byte-level functions the component exports: the export glue and the
// native runner call them; not part of the partner API.
#[doc(hidden)]
pub mod raw;
pub use veltrix_contract::rng;
pub mod submission;
pub mod types;
pub mod util;

#[cfg(target_family = "wasm")]
#[doc(hidden)]
pub mod guest;

#[cfg(all(target_family = "wasm", feature = "call-arena"))]
pub mod arena;

/// The guest's allocator (see [`arena`]).
#[cfg(all(target_family = "wasm", feature = "call-arena"))]
#[global_allocator]
static ALLOCATOR: arena::CallArena = arena::CallArena::new();

pub use contract::{Contract, NoPayload};
pub use game::{Effects, GameType};
pub use harness::Harness;
pub use schemars;
pub use types::*;

/// Everything a game type usually needs, in one import.
pub mod prelude {
    pub use crate::contract::{Contract, NoPayload};
    pub use crate::game::{Effects, GameType};
    pub use crate::harness::Harness;
    pub use crate::lifecycle::Lifecycle;
    pub use crate::raw::unknown_kind;
    pub use crate::rng::SplitMix64;
    pub use crate::types::*;
    pub use crate::util::{answer_matches, haversine_m, normalize_answer, within};
}

/// Internal re-exports used by [`export_game!`]; not part of the API.
#[cfg(target_family = "wasm")]
#[doc(hidden)]
pub mod __private {
    pub use crate::guest::*;
}

/// Exports a [`GameType`] as the component's `veltrix:game/game` interface.
///
/// Call it once, at the root of the game type's crate. On wasm targets it
/// expands to the component exports; on native targets to nothing, so the
/// same crate can be unit-tested and benchmarked natively.
#[macro_export]
macro_rules! export_game {
    ($game:ty) => {
        #[cfg(target_family = "wasm")]
        $crate::__export_game_wasm!($game);
    };
}

/// Embeds a scenario file (see `veltrix plugin check --scenario`) in the
/// component, so the upload check plays it too: the upload and `veltrix
/// plugin check` then give the same verdict without passing the file.
///
/// ```ignore
/// veltrix_sdk::embed_scenario!("../scenario.json");
/// ```
///
/// The path is relative to the file that calls it, as for `include_bytes!`.
#[macro_export]
macro_rules! embed_scenario {
    ($path:literal) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            const BYTES: &[u8] = include_bytes!($path);
            #[unsafe(link_section = "veltrix-scenario")]
            #[used]
            static SCENARIO: [u8; BYTES.len()] = {
                let mut out = [0u8; BYTES.len()];
                let mut i = 0;
                while i < BYTES.len() {
                    out[i] = BYTES[i];
                    i += 1;
                }
                out
            };
        };
    };
}

/// Native stand-in so that `export_game!` resolves on every target.
#[cfg(not(target_family = "wasm"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __export_game_wasm {
    ($game:ty) => {};
}
