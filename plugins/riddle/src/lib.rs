//! # `riddle`: answer challenges (CTFd / puzzle-hunt style)
//!
//! Teams answer challenges from a board. Rules (see `GAME_TYPES.md` §2):
//!
//! - **Unlocking.** A challenge opens when all of its `unlock` conditions
//!   hold: its release time `at_ms` has passed (announced to everybody with a
//!   `released` quest update), the team solved every challenge in `after`
//!   (which must be declared earlier, so prerequisites never form a cycle),
//!   and the team solved at least `min_solves` challenges. A solve that opens
//!   a challenge for the team emits `unlocked` for it.
//! - **Attempts.** `attempt {challenge, answer}` is accepted as `solved` or
//!   `incorrect` (answers are case- and whitespace-insensitive). A wrong
//!   answer is an accepted transition, not a rejection, because it counts
//!   toward the rate limit: a fixed window opens at a team's first wrong
//!   answer; the `max_wrong`-th wrong answer inside it starts a cooldown of
//!   `cooldown_ms` during which every attempt is rejected `RateLimited`.
//! - **Value.** A challenge's value decays with the number of teams that
//!   solved it before, linearly or logarithmically, down to its floor after
//!   `solves_to_floor` solves (integer maths only). It is frozen at solve
//!   time: reward `solve:<challenge>:<team>`. The first solver also gets the
//!   first-solve bonus, reward `first:<challenge>` (one key per challenge).
//! - **Hints.** `hint {challenge, hint}` buys hint number `hint` (0-based) of
//!   an open, unsolved challenge once per team: a negative reward
//!   `hint:<challenge>:<hint>:<team>` of type `penalty`; the text comes back
//!   in the `hint` quest update. A score may go negative.
//! - **Game master.** `start`, `pause`, `resume`, `end`, `grant`, `revoke` and
//!   the host's `tick` are [`Lifecycle`]'s.
//!   Any accepted action (a `tick` in particular) also releases challenges
//!   whose time has come.
//! - **Teams.** The scorer is the action's team, or the player when they
//!   have none; a player stays on the team they first played for (the
//!   SDK's [`veltrix_sdk::pack::Roster`]).
//!
//! Modules:
//! - [`config`]: the config, its validation and the JSON Schema;
//! - [`challenge`]: the board (challenges, hints, decay curves, gates);
//! - [`state`]: the state, releases and the per-team rate limit (kept in
//!   [`veltrix_sdk::pack`] containers, cheap to decode);
//! - [`play`]: the `attempt` and `hint` actions;
//! - [`view`]: the per-player view;
//! - [`sample`]: a benchmark config and action stream.

pub mod challenge;
pub mod config;
pub mod play;
pub mod sample;
pub mod state;
pub mod view;

use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::prelude::*;

pub use config::Config;
pub use state::State;

/// The riddle game type.
#[derive(Debug)]
pub struct Riddle;

/// Action kinds of the riddle itself (besides [`Lifecycle::KINDS`]).
pub const KINDS: [&str; 2] = ["attempt", "hint"];

impl GameType for Riddle {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        GameTypeInfo {
            name: "riddle".into(),
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
            .action::<play::Attempt>(
                "attempt",
                "answer a challenge (a wrong answer counts toward the rate limit)",
            )
            .action::<play::HintRequest>("hint", "buy a hint of an open challenge, for a penalty")
            .with_lifecycle()
            .rewards(&["points", "bonus", "penalty"])
    }

    fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
        let start = Lifecycle::start_of(config.starts_at_ms, config.wait_for_start);
        let ends = config.ends_at_ms;
        Ok(State::new(config.build()?, start, ends))
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        let minted = fx.rewards().len();
        if let Some(done) = s.life.handle(a, fx) {
            done?;
            if matches!(a.kind.as_str(), "grant" | "revoke") {
                s.credit(&fx.rewards()[minted..])?;
            }
            s.release_due(a.timestamp_ms, fx);
            return Ok(());
        }
        match a.kind.as_str() {
            "attempt" | "hint" => {
                s.life.admit(a)?;
                s.release_due(a.timestamp_ms, fx);
                if a.kind == "attempt" {
                    play::attempt(s, a, fx)
                } else {
                    play::hint(s, a, fx)
                }
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

veltrix_sdk::export_game!(Riddle);
