//! # `territory`: control-point capture (Loquiz Match / rogaine style)
//!
//! Control points sit on a map. Each is neutral until a team captures it by
//! checking in inside its zone (haversine distance <= radius, device
//! accuracy <= the limit), answering its question when it has one; another
//! team can then steal it (`stolen` for the old holder, `captured` for the
//! new one), and so on. Teams score points on each capture plus points per
//! whole minute held, computed from action timestamps only. The per-game
//! action order decides who captured first: a capture by the holder is
//! `AlreadyDone`, and an optional lock (`lock_s`) protects a fresh capture.
//!
//! The game runs from `starts_at_ms` for `duration_min` minutes
//! (`Lifecycle::new(start, Some(end))`) and closes at its time limit.
//!
//! ## Holding pay and `tick`
//!
//! [`Lifecycle::handle`] consumes `tick` (and the other game-master kinds);
//! *after* delegating, [`holding::after_lifecycle`] settles: on `tick` it
//! pays every holder for the whole minutes held so far; on `pause` it
//! settles and stops the holding clock (`resume` restarts it); when the game
//! is finished (by `end`, or by the first `tick` at or after the time
//! limit) it pays every holding up to the end time exactly once and
//! publishes `closed` for every point. The host should send a `tick` at the
//! time limit so that the final settlement is not delayed. Holding rewards
//! are keyed by (control point, team, interval start) and carry the end of
//! the paid interval as `at_ms`, never earlier than the team's previous
//! score change, so ties go to whoever really reached the score first.
//!
//! ## Actions
//!
//! - `capture {"cp", "answer"?}` with the action's location;
//! - the shared game-master kinds of [`Lifecycle::KINDS`].
//!
//! Players without a team play as a team of one named after them.
//!
//! ## Modules
//!
//! - [`config`]: the config, its validation and compilation into the state;
//! - [`state`]: the compact state (control points, holders, scores, roster),
//!   kept in [`veltrix_sdk::pack`] containers;
//! - [`capture`]: the capture rule;
//! - [`holding`]: holding pay, pause and the final settlement;
//! - [`view`]: the phone's view;
//! - [`sample`]: a benchmark config and action stream.

pub mod capture;
pub mod config;
pub mod holding;
pub mod sample;
pub mod state;
pub mod view;

use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::prelude::*;

pub use config::Config;
pub use state::State;

/// The territory game type.
#[derive(Debug)]
pub struct Territory;

impl GameType for Territory {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        GameTypeInfo {
            name: "territory".into(),
            version: "1.0.0".into(),
            config_schema: config::SCHEMA.into(),
            example_config: config::EXAMPLE.into(),
            action_kinds: capture::KINDS
                .iter()
                .chain(Lifecycle::KINDS.iter())
                .map(|k| (*k).to_string())
                .collect(),
            // Budget class: contested.
            latency_budget_us: 500,
            fuel_budget: 2_000_000,
        }
    }

    fn contract() -> Contract {
        Contract::new()
            .action::<capture::Capture<'static>>(
                "capture",
                "capture a control point from inside its zone, answering its question if it has one",
            )
            .located()
            .with_lifecycle()
            .rewards(&[capture::POINTS, holding::POINTS])
    }

    fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
        // Nothing is drawn at random: the seed is not needed.
        config.compile()
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        let before = s.life.status();
        let first = fx.rewards().len();
        if let Some(result) = s.life.handle(a, fx) {
            result?;
            // Grants and revokes: keep the team tallies of the view in step.
            for i in first..fx.rewards().len() {
                let r = &fx.rewards()[i];
                let (team, points) = (r.team.clone(), r.points);
                if let Some(t) = team.as_deref().and_then(|t| s.team_ids.find(t)) {
                    s.score(t, points, a.timestamp_ms);
                }
            }
            holding::after_lifecycle(s, before, a, fx);
            return Ok(());
        }
        if !capture::KINDS.contains(&a.kind.as_str()) {
            return Err(unknown_kind(a));
        }
        s.life.admit(a)?;
        capture::capture(s, a, fx)
    }

    fn status(s: &State) -> GameStatus {
        s.life.status()
    }

    fn view(s: &State, player: &str) -> PlayerView {
        view::view(s, player)
    }
}

veltrix_sdk::export_game!(Territory);
