//! # `sprint`: timed bonus rounds
//!
//! The game master runs rounds; teams race through each round's tasks while
//! their value drains away. Rules (see `GAME_TYPES.md` §6):
//!
//! - **Rounds.** `open_round {round, start_ms?, duration_ms?, floor_percent?,
//!   tasks: [{id, points, answers?}]}` (game master) opens round number
//!   `round` with a window `[start_ms, start_ms + duration_ms)`; `start_ms`
//!   defaults to now and may lie up to a week ahead (the round is then
//!   `scheduled`, and goes `open` at its start). Numbers are used once and
//!   only grow (round 1, 2, ...; gaps allowed), so the state remembers every
//!   played round with one integer. At most 4 rounds are open at once, and
//!   rounds open only while the game runs or is paused.
//! - **Tasks.** `complete {round, task, answer?}` inside the window scores
//!   the task once per team; tasks with `answers` need a matching answer
//!   (case- and whitespace-insensitive; a wrong one is rejected
//!   `Incorrect`). The value falls linearly over the window from `points` at
//!   its start towards `floor_percent`% of them at its end. Reward
//!   `task:<round>:<task>:<team>`. Rejections: before the window, after it
//!   or once the round closed `OutOfWindow`; a round never opened or an
//!   unknown task `NotFound`; a task the team already did `AlreadyDone`.
//! - **Closing.** A round closes on `close_round {round}` (game master or
//!   host), or by itself once its window has passed: every accepted action
//!   first closes due rounds, and the host's periodic `tick` is such an
//!   action. (`Lifecycle::handle` consumes `tick`, checking its role and
//!   moving the schedule; rounds are settled right after it.) When the game
//!   ends, every open round closes at the game's end. Closing ranks the
//!   round's teams (score, then whoever reached it first), pays the
//!   placement bonuses (`place:<round>:<team>`, at the close time) and
//!   publishes `closed` with the final ranking in the same transition, so a
//!   finished round is never shown as still in progress.
//! - **Game master.** `start`, `pause`, `resume`, `end`, `grant`, `revoke`
//!   and `tick` are [`Lifecycle`]'s.
//!   Pausing blocks players but does not stretch round windows.
//! - **Teams.** The scorer is the action's team, or the player when they
//!   have none; a player stays on the team they first played for (the
//!   SDK's [`veltrix_sdk::pack::Roster`]).
//!
//! Modules:
//! - [`config`]: the config, its validation and the JSON Schema;
//! - [`round`]: a round, its tasks and results, the `open_round` payload;
//! - [`standings`]: announcements, round ranking and placement bonuses;
//! - [`state`]: the state (kept in [`veltrix_sdk::pack`] containers, cheap
//!   to decode) and the clock (rounds opening and closing);
//! - [`play`]: the `open_round`, `close_round` and `complete` actions;
//! - [`view`]: the per-player view;
//! - [`sample`]: a benchmark config and action stream.

pub mod config;
pub mod play;
pub mod round;
pub mod sample;
pub mod standings;
pub mod state;
pub mod view;

use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::prelude::*;

pub use config::Config;
pub use state::State;

/// The sprint game type.
#[derive(Debug)]
pub struct Sprint;

/// Action kinds of the sprint itself (besides [`Lifecycle::KINDS`]).
pub const KINDS: [&str; 3] = ["open_round", "close_round", "complete"];

impl GameType for Sprint {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        GameTypeInfo {
            name: "sprint".into(),
            version: "1.0.0".into(),
            config_schema: config::SCHEMA.into(),
            example_config: config::EXAMPLE.into(),
            action_kinds: KINDS
                .iter()
                .chain(Lifecycle::KINDS.iter())
                .map(|k| k.to_string())
                .collect(),
            // Budget class "instant".
            latency_budget_us: 500,
            fuel_budget: 2_000_000,
        }
    }

    fn contract() -> Contract {
        Contract::new()
            .action::<round::OpenRound>(
                "open_round",
                "open (or schedule) a numbered round of tasks whose value drains over its window",
            )
            .game_master()
            .action::<play::CloseRound>(
                "close_round",
                "close a round now: rank its teams and pay the placement bonuses",
            )
            .game_master()
            .action::<play::Complete>(
                "complete",
                "complete a task of an open round, once per team",
            )
            .with_lifecycle()
            .rewards(&["points", "bonus"])
    }

    fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
        let settings = config.build()?;
        let start = Lifecycle::start_of(config.starts_at_ms, config.wait_for_start);
        Ok(State::new(settings, start, config.ends_at_ms))
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        let minted = fx.rewards().len();
        if let Some(done) = s.life.handle(a, fx) {
            done?;
            if matches!(a.kind.as_str(), "grant" | "revoke") {
                s.credit(&fx.rewards()[minted..])?;
            }
            // After `tick`, `end` or any game-master action: close due rounds.
            standings::settle(s, a.timestamp_ms, fx);
            return Ok(());
        }
        match a.kind.as_str() {
            "open_round" => play::open_round(s, a, fx),
            "close_round" => play::close_round(s, a, fx),
            "complete" => {
                s.life.admit(a)?;
                standings::settle(s, a.timestamp_ms, fx);
                play::complete(s, a, fx)
            }
            _ => Err(unknown_kind(a)),
        }
    }

    fn status(s: &State) -> GameStatus {
        s.life.status()
    }

    fn view(s: &State, player: &str) -> PlayerView {
        view::player_view(s, player)
    }
}

veltrix_sdk::export_game!(Sprint);
