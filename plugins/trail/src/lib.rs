//! # `trail`: an ordered checkpoint trail (Actionbound / Loquiz clue style)
//!
//! Each team walks the same steps in order. A step is `navigating` until the
//! team checks in, by a location fix inside the step's geofence (haversine
//! distance <= radius and device accuracy <= the limit) or by scanning the
//! step's QR code; the step is then `arrived` and its task is open
//! (`task-open`) until a player answers it correctly (case- and
//! whitespace-insensitive); it is then `done`, its points are paid and the
//! next step is `navigating`. A step without a task is done on arrival.
//! Out-of-order actions (arriving at step 3 while on step 1, answering before
//! arriving) are rejected `NotAllowedNow`; repeating a finished action is
//! `AlreadyDone`.
//!
//! Hints (revealed in order) and skips (moving on without points, at most
//! `max_skips` per run) add time penalties. Completing the last step with its
//! task pays the finish bonus; skipping the last step ends the run without
//! it. Teams may run the trail `laps` times (circuit mode; 1 by default).
//!
//! ## Ranking
//!
//! Teams rank by points, then by elapsed time = time of their last completed
//! (or skipped) step - time they began + penalties. The host ranks equal
//! scores by the `at_ms` of the delta that reached them, so every trail
//! reward carries `at_ms` on a *ranking clock*: the time the first team
//! began plus the scoring team's elapsed time. With a mass start this is the
//! action time plus penalties; with staggered starts it still orders teams by
//! their own elapsed time. (Game-master grants keep the action time.)
//!
//! ## Actions
//!
//! - `begin {}`: the team starts its clock (one per team);
//! - `arrive {"step", "qr"?}` with the action's location: check in;
//! - `answer {"step", "answer"}`: answer the open task;
//! - `hint {"step", "hint"?}`: reveal the next hint (`hint` must name it);
//! - `skip {"step"}`: skip the current step;
//! - the shared game-master kinds of [`Lifecycle::KINDS`].
//!
//! Players without a team play as a team of one named after them.
//!
//! ## Modules
//!
//! - [`config`]: the config, its validation and compilation into the state;
//! - [`state`]: the compact state (steps, team progress, roster), kept in
//!   [`veltrix_sdk::pack`] containers;
//! - [`rules`]: the player actions' dispatch and turn-order checks;
//! - [`turn`]: the acting team's turn, shared by the action modules;
//! - [`checkin`]: arriving at a step (geofence or QR code);
//! - [`task`]: answers, hints and skips;
//! - [`progress`]: completing steps and runs, bonuses, quest updates;
//! - [`view`]: the phone's view;
//! - [`sample`]: a benchmark config and action stream.

pub mod checkin;
pub mod config;
pub mod progress;
pub mod rules;
pub mod sample;
pub mod state;
pub mod task;
pub mod turn;
pub mod view;

use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::prelude::*;

pub use config::Config;
pub use state::State;

/// The trail game type.
#[derive(Debug)]
pub struct Trail;

impl GameType for Trail {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        GameTypeInfo {
            name: "trail".into(),
            version: "1.0.0".into(),
            config_schema: config::SCHEMA.into(),
            example_config: config::EXAMPLE.into(),
            action_kinds: rules::KINDS
                .iter()
                .chain(Lifecycle::KINDS.iter())
                .map(|k| (*k).to_string())
                .collect(),
            // Budget class: instant.
            latency_budget_us: 500,
            fuel_budget: 2_000_000,
        }
    }

    fn contract() -> Contract {
        Contract::new()
            .action::<rules::Empty>("begin", "start the team's clock on the trail")
            .action::<rules::Arrive<'static>>(
                "arrive",
                "check in at the current step: by QR code or by the device location",
            )
            .located()
            .action::<rules::Answer<'static>>("answer", "answer the current step's task")
            .action::<rules::Hint<'static>>("hint", "reveal the next hint, for a time penalty")
            .action::<rules::Skip<'static>>(
                "skip",
                "skip the current step: no points, a time penalty",
            )
            .with_lifecycle()
            .rewards(&[progress::POINTS, progress::BONUS])
    }

    fn init(config: Config, _seed: u64) -> Result<State, ConfigError> {
        // The trail draws nothing at random: the seed is not needed.
        config.compile()
    }

    fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        let before = fx.rewards().len();
        if let Some(result) = s.life.handle(a, fx) {
            result?;
            // Keep the team tallies of the view in step with grants/revokes.
            for i in before..fx.rewards().len() {
                let r = &fx.rewards()[i];
                let (team, points) = (r.team.clone(), r.points);
                s.tally(team.as_deref(), points);
            }
            return Ok(());
        }
        if !rules::KINDS.contains(&a.kind.as_str()) {
            return Err(unknown_kind(a));
        }
        s.life.admit(a)?;
        rules::apply(s, a, fx)
    }

    fn status(s: &State) -> GameStatus {
        s.life.status()
    }

    fn view(s: &State, player: &str) -> PlayerView {
        view::view(s, player)
    }
}

veltrix_sdk::export_game!(Trail);
