//! The tenant's config: parsing, validation, and compilation into the
//! initial state.
//!
//! Validation errors name the offending field as a JSON pointer first
//! (`/tasks/2/points: must be positive`), as the WIT asks.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Table};
use veltrix_sdk::submission::{DEFAULT_MAX_ACCURACY_M, valid_accuracy};

pub use veltrix_sdk::submission::{CheckConfig, Media};

use crate::state::{Rules, State, Task};

/// Smallest board side.
pub const MIN_SIZE: u8 = 3;
/// Largest board side (49 cells; lines fit a 16-bit mask).
pub const MAX_SIZE: u8 = 7;
/// Most tasks in the pool.
pub const MAX_TASKS: usize = 500;
/// Longest task id, in bytes.
pub const MAX_ID_LEN: usize = 64;
/// Most points a task, a line or a blackout may be worth.
pub const MAX_POINTS: i64 = 1_000_000;

/// The config a tenant gives `init` (see `config.schema.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Scheduled start (ms since the epoch); absent: the game runs at once.
    #[serde(default)]
    pub starts_at_ms: Option<i64>,
    /// The game waits for the game master's `start` (`starts_at_ms` is then
    /// ignored).
    #[serde(default)]
    pub wait_for_start: bool,
    /// Scheduled end; absent: the game master ends the game.
    #[serde(default)]
    pub ends_at_ms: Option<i64>,
    /// Side of the board: each team gets `size x size` tasks.
    pub size: u8,
    /// Bonus for each completed row, column or diagonal.
    #[serde(default)]
    pub line_bonus: i64,
    /// Bonus for completing every cell.
    #[serde(default)]
    pub blackout_bonus: i64,
    /// End the game as soon as any team completes a line.
    #[serde(default)]
    pub first_bingo_ends_round: bool,
    /// Worst device accuracy (metres) a GPS check-in may report, unless the
    /// task sets its own.
    #[serde(default = "default_accuracy")]
    pub max_accuracy_m: f32,
    /// The pool boards are drawn from (at least `size * size` tasks).
    pub tasks: Vec<TaskConfig>,
}

fn default_accuracy() -> f32 {
    DEFAULT_MAX_ACCURACY_M
}

/// One task of the pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    /// Unique id: the quest id and part of the reward key.
    pub id: String,
    /// Title for the tenant UI (not kept in the state).
    #[serde(default)]
    pub title: String,
    /// Instructions for the players (not kept in the state).
    #[serde(default)]
    pub description: String,
    /// Points for completing the cell (also the cap of a judge's award).
    pub points: i64,
    /// How a submission is checked.
    pub check: CheckConfig,
}

fn err(pointer: &str, msg: &str) -> ConfigError {
    ConfigError::new(format!("{pointer}: {msg}"))
}

/// Whether `id` is usable as a quest id and inside reward keys.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_points(pointer: &str, p: i64, min: i64) -> Result<(), ConfigError> {
    if p < min {
        let what = if min > 0 { "positive" } else { "zero or more" };
        return Err(err(pointer, &format!("must be {what}")));
    }
    if p > MAX_POINTS {
        return Err(err(pointer, &format!("must be at most {MAX_POINTS}")));
    }
    Ok(())
}

impl Config {
    /// Validates the config and builds the initial state.
    pub fn compile(self, seed: u64) -> Result<State, ConfigError> {
        if let (Some(s), Some(e)) = (self.starts_at_ms, self.ends_at_ms)
            && e <= s
        {
            return Err(err("/ends_at_ms", "must be after starts_at_ms"));
        }
        if !(MIN_SIZE..=MAX_SIZE).contains(&self.size) {
            return Err(err(
                "/size",
                &format!("must be between {MIN_SIZE} and {MAX_SIZE}"),
            ));
        }
        check_points("/line_bonus", self.line_bonus, 0)?;
        check_points("/blackout_bonus", self.blackout_bonus, 0)?;
        if !valid_accuracy(self.max_accuracy_m) {
            return Err(err("/max_accuracy_m", "must be a positive number"));
        }
        let cells = usize::from(self.size) * usize::from(self.size);
        if self.tasks.len() < cells {
            return Err(err(
                "/tasks",
                &format!(
                    "a {0} x {0} board needs at least {cells} tasks, got {1}",
                    self.size,
                    self.tasks.len()
                ),
            ));
        }
        if self.tasks.len() > MAX_TASKS {
            return Err(err("/tasks", &format!("at most {MAX_TASKS} tasks")));
        }
        let mut ids = Names::default();
        let mut answers = Names::default();
        let mut tasks = Table::<Task>::default();
        for (i, t) in self.tasks.into_iter().enumerate() {
            let at = |field: &str| format!("/tasks/{i}/{field}");
            if !valid_id(&t.id) {
                return Err(err(
                    &at("id"),
                    "must be 1-64 characters of letters, digits, '-', '_' or '.'",
                ));
            }
            if ids.find(&t.id).is_some() {
                return Err(err(&at("id"), &format!("duplicate task id `{}`", t.id)));
            }
            check_points(&at("points"), t.points, 1)?;
            let check = t
                .check
                .compile(&at("check"), self.max_accuracy_m, &mut answers)?;
            ids.intern(&t.id);
            tasks.push(&Task {
                points: t.points,
                check,
            });
        }
        let rules = Rules {
            seed,
            size: self.size,
            line_bonus: self.line_bonus,
            blackout_bonus: self.blackout_bonus,
            first_bingo_ends_round: self.first_bingo_ends_round,
        };
        let start = Lifecycle::start_of(self.starts_at_ms, self.wait_for_start);
        let life = Lifecycle::scheduled(start, self.ends_at_ms);
        Ok(State::new(life, rules, ids, answers, tasks))
    }
}
