//! # `scavenger`: the mission board (GooseChase / Eventzee style)
//!
//! Teams complete missions in any order. Each mission has one of three
//! checks:
//! - **answer**: a typed answer, accepted if it matches one of the configured
//!   answers, ignoring case and whitespace ([`veltrix_sdk::util::answer_matches`]);
//! - **gps**: a check-in whose device fix lies within the mission's radius,
//!   with a good enough accuracy ([`veltrix_sdk::util::within`]);
//! - **evidence**: a photo or video reference that waits for the game master
//!   to `judge` it.
//!
//! Per team, a mission moves hidden (before `available_from_ms`) -> available
//! -> submitted -> accepted (answer, gps) | pending -> approved | rejected ->
//! available; it is expired from `available_until_ms` on. One accepted
//! submission per team per mission, paid under the reward key
//! `mission:<mission id>:<team>`; a judge may award less than the mission
//! value, never more. Start, pause, resume, end, grant, revoke and tick are
//! the shared [`Lifecycle`] rules; `tick` also announces missions whose window
//! opened or closed.
//!
//! Action kinds and payloads:
//! - `submit` (player): `{"mission": id, "answer"?: text, "evidence"?: ref}`,
//!   plus the device location for a gps mission;
//! - `judge` (game master): `{"mission": id, "team": id, "verdict":
//!   "approve" | "reject", "points"?: n, "note"?: text}`;
//! - the lifecycle kinds (see [`veltrix_sdk::lifecycle`]).
//!
//! Modules:
//! - [`config`]: the tenant's config, its validation and compilation;
//! - [`state`]: the compact state (built on [`veltrix_sdk::pack`]) and its
//!   lookups;
//! - [`submit`]: a player's submission and the three checks;
//! - [`judge`]: the game master's verdict on evidence;
//! - [`hooks`]: schedule announcements on `tick`, score mirror of grants;
//! - [`view`]: the player's summary;
//! - [`sample`]: a benchmark config and action stream.

#![warn(missing_docs)]

pub mod config;
pub mod hooks;
pub mod judge;
pub mod sample;
pub mod state;
pub mod submit;
pub mod view;

use veltrix_sdk::prelude::*;

use crate::config::Config;
use crate::state::State;

/// The scavenger game type.
#[derive(Debug)]
pub struct Scavenger;

/// JSON Schema (draft 2020-12) of [`Config`].
pub const CONFIG_SCHEMA: &str = include_str!("../config.schema.json");

/// A realistic config that validates against [`CONFIG_SCHEMA`] and that
/// `init` accepts: an afternoon office hunt.
pub const EXAMPLE_CONFIG: &str = r#"{
  "starts_at_ms": 1767261600000,
  "max_accuracy_m": 40,
  "missions": [
    {
      "id": "lobby-riddle",
      "title": "Who is on the lobby portrait?",
      "points": 50,
      "check": { "type": "answer", "answers": ["Ada Lovelace", "Lovelace"] }
    },
    {
      "id": "fountain",
      "title": "Check in at the courtyard fountain",
      "points": 80,
      "check": { "type": "gps", "lat": 48.8566, "lon": 2.3522, "radius_m": 30 }
    },
    {
      "id": "team-selfie",
      "title": "Team selfie with the CEO's plant",
      "points": 120,
      "check": { "type": "evidence", "media": "photo" }
    },
    {
      "id": "lunch-dance",
      "title": "Ten-second dance in the canteen",
      "description": "Only during lunch!",
      "points": 150,
      "available_from_ms": 1700002000000,
      "available_until_ms": 1700005600000,
      "check": { "type": "evidence", "media": "video" }
    },
    {
      "id": "roof-terrace",
      "title": "Find the roof terrace",
      "points": 100,
      "available_from_ms": 1700000600000,
      "check": { "type": "gps", "lat": 48.8570, "lon": 2.3530, "radius_m": 25, "max_accuracy_m": 20 }
    }
  ]
}"#;

impl GameType for Scavenger {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        let mut kinds = vec!["submit".to_string(), "judge".to_string()];
        kinds.extend(Lifecycle::KINDS.iter().map(|k| k.to_string()));
        GameTypeInfo {
            name: "scavenger".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: CONFIG_SCHEMA.into(),
            example_config: EXAMPLE_CONFIG.into(),
            action_kinds: kinds,
            // Budget class "judged".
            latency_budget_us: 1_000,
            fuel_budget: 2_000_000,
        }
    }

    fn contract() -> Contract {
        Contract::new()
            .action::<submit::Submit>(
                "submit",
                "hand in a mission: a typed answer, a check-in or photo/video evidence",
            )
            .located()
            .evidence()
            .action::<judge::Judge>("judge", "approve or reject a team's pending evidence")
            .game_master()
            .with_lifecycle()
            .rewards(&["points"])
    }

    fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
        // No randomness in this game type: the seed is not needed.
        config.compile()
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        if let Some(result) = s.life.handle(a, fx) {
            result?;
            hooks::after_lifecycle(s, a, fx);
            return Ok(());
        }
        match a.kind.as_str() {
            "submit" => {
                s.life.admit(a)?;
                submit::submit(s, a, fx)
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

veltrix_sdk::export_game!(Scavenger);
