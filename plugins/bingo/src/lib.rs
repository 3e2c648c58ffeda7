//! # `bingo`: a bingo board per team
//!
//! Each team gets a `size x size` board drawn from a task pool with the game
//! seed (deterministic per team: see [`board`]). Completing a cell follows
//! the scavenger mission lifecycle: a typed answer (case and whitespace
//! ignored) or a GPS check-in completes it on the spot; photo/video
//! evidence waits for the game master to `judge` it (approved: complete,
//! possibly for fewer points than the task value, never more; rejected: open
//! again). Each completed row, column or diagonal pays the line bonus once;
//! a full board pays the blackout bonus once. With `first_bingo_ends_round`
//! the first completed line ends the game. Start, pause, resume, end, grant,
//! revoke and tick are the shared [`Lifecycle`] rules.
//!
//! Reward keys: `cell:<task>:<team>`, `line:<team>:<row-N|col-N|diag|anti>`,
//! `blackout:<team>` (the team is the player id in a game without teams).
//!
//! Action kinds and payloads:
//! - `join` (player): `{}`; registers the player with their team and draws
//!   the team's board on its first action (allowed before the start and
//!   during a pause);
//! - `submit` (player): `{"task": id, "answer"?: text, "evidence"?: ref}`,
//!   plus the device location for a gps task;
//! - `judge` (game master): `{"task": id, "team": id, "verdict": "approve" |
//!   "reject", "points"?: n, "note"?: text}`;
//! - the lifecycle kinds (see [`veltrix_sdk::lifecycle`]).
//!
//! Modules:
//! - [`config`]: the tenant's config, its validation and compilation;
//! - [`state`]: the compact state (built on [`veltrix_sdk::pack`]) and its
//!   lookups;
//! - [`board`]: drawing boards from the seed, and line geometry;
//! - [`play`]: `join` and `submit` with the three checks;
//! - [`judge`]: the game master's verdict on evidence;
//! - [`scoring`]: completing a cell, line and blackout bonuses, end of round;
//! - [`hooks`]: score mirror of grants and revocations;
//! - [`view`]: the player's summary;
//! - [`sample`]: a benchmark config and action stream.

#![warn(missing_docs)]

pub mod board;
pub mod config;
pub mod hooks;
pub mod judge;
pub mod play;
pub mod sample;
pub mod scoring;
pub mod state;
pub mod view;

use veltrix_sdk::prelude::*;

use crate::config::Config;
use crate::state::State;

/// The bingo game type.
#[derive(Debug)]
pub struct Bingo;

/// JSON Schema (draft 2020-12) of [`Config`].
pub const CONFIG_SCHEMA: &str = include_str!("../config.schema.json");

/// A realistic config that validates against [`CONFIG_SCHEMA`] and that
/// `init` accepts: a 3 x 3 office bingo drawn from ten tasks.
pub const EXAMPLE_CONFIG: &str = r#"{
  "starts_at_ms": 1767261600000,
  "size": 3,
  "line_bonus": 100,
  "blackout_bonus": 300,
  "first_bingo_ends_round": false,
  "max_accuracy_m": 40,
  "tasks": [
    { "id": "wifi", "title": "Guest Wi-Fi password?", "points": 20,
      "check": { "type": "answer", "answers": ["welcome2024", "welcome 2024"] } },
    { "id": "founded", "title": "Year the company was founded", "points": 20,
      "check": { "type": "answer", "answers": ["1998"] } },
    { "id": "mascot", "title": "Name of the office dog", "points": 20,
      "check": { "type": "answer", "answers": ["Biscuit"] } },
    { "id": "rooftop", "title": "Check in on the rooftop", "points": 40,
      "check": { "type": "gps", "lat": 52.5200, "lon": 13.4050, "radius_m": 25 } },
    { "id": "canteen", "title": "Check in at the canteen", "points": 30,
      "check": { "type": "gps", "lat": 52.5203, "lon": 13.4046, "radius_m": 20, "max_accuracy_m": 15 } },
    { "id": "plant", "title": "Selfie with the oldest plant", "points": 50,
      "check": { "type": "evidence", "media": "photo" } },
    { "id": "whiteboard", "title": "Draw the team logo on a whiteboard", "points": 50,
      "check": { "type": "evidence" } },
    { "id": "elevator", "title": "Elevator pitch, 15 seconds", "points": 60,
      "check": { "type": "evidence", "media": "video" } },
    { "id": "handshake", "title": "Secret handshake with IT", "points": 60,
      "check": { "type": "evidence", "media": "video" } },
    { "id": "coffee", "title": "Latte art photo", "points": 40,
      "check": { "type": "evidence", "media": "photo" } }
  ]
}"#;

impl GameType for Bingo {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        let mut kinds = vec!["join".to_string(), "submit".into(), "judge".into()];
        kinds.extend(Lifecycle::KINDS.iter().map(|k| k.to_string()));
        GameTypeInfo {
            name: "bingo".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: CONFIG_SCHEMA.into(),
            example_config: EXAMPLE_CONFIG.into(),
            action_kinds: kinds,
            // Budget class "instant" (line detection included).
            latency_budget_us: 500,
            fuel_budget: 2_000_000,
        }
    }

    fn contract() -> Contract {
        Contract::new()
            .action::<play::Join>(
                "join",
                "join the team's board (drawn on the team's first action)",
            )
            .action::<play::Submit>(
                "submit",
                "complete a cell: a typed answer, a check-in or photo/video evidence",
            )
            .located()
            .evidence()
            .action::<judge::Judge>("judge", "approve or reject a team's pending evidence")
            .game_master()
            .with_lifecycle()
            .rewards(&["points", "bonus"])
    }

    fn init(config: Config, seed: u64) -> Result<State, ConfigError> {
        config.compile(seed)
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        if let Some(result) = s.life.handle(a, fx) {
            result?;
            hooks::after_lifecycle(s, a);
            return Ok(());
        }
        match a.kind.as_str() {
            "join" => play::join(s, a, fx),
            "submit" => {
                s.life.admit(a)?;
                play::submit(s, a, fx)
            }
            "judge" => {
                a.require_game_master()?;
                judge::judge(s, a, fx)
            }
            _ => Err(unknown_kind(a)),
        }
    }

    fn status(s: &State) -> GameStatus {
        s.life.status()
    }

    fn view(s: &State, player: &str) -> PlayerView {
        view::view(s, player)
    }
}

veltrix_sdk::export_game!(Bingo);
