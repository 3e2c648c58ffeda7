//! The tenant's config: parsing, validation, and compilation into the
//! initial state.
//!
//! Validation errors name the offending field as a JSON pointer first
//! (`/tasks/2/points: must be positive`), as the WIT asks.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Table};
use veltrix_sdk::util::normalize_answer;

use crate::state::{Check, Rules, State, Task};

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
/// Most accepted answers per answer task.
pub const MAX_ANSWERS: usize = 32;
/// GPS accuracy required when neither the game nor the task sets one.
pub const DEFAULT_MAX_ACCURACY_M: f32 = 50.0;

/// The config a tenant gives `init` (see `config.schema.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Scheduled start (ms since the epoch); absent: the game runs at once.
    #[serde(default)]
    pub starts_at_ms: Option<i64>,
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

/// How a task's submissions are checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CheckConfig {
    /// A typed answer matching one of `answers` (case and whitespace ignored).
    Answer {
        /// Accepted answers.
        answers: Vec<String>,
    },
    /// A check-in within `radius_m` of the point.
    Gps {
        /// Latitude, degrees.
        lat: f64,
        /// Longitude, degrees.
        lon: f64,
        /// Radius of the zone, metres.
        radius_m: f64,
        /// Worst accuracy accepted here (defaults to the game's).
        #[serde(default)]
        max_accuracy_m: Option<f32>,
    },
    /// A photo or video that waits for a judge.
    Evidence {
        /// What the players are asked for (informs the app only).
        #[serde(default)]
        media: Media,
    },
}

/// Kind of evidence a task asks for.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Media {
    /// A photo.
    #[default]
    Photo,
    /// A video.
    Video,
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

fn valid_accuracy(a: f32) -> bool {
    a.is_finite() && a > 0.0
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
            let check = compile_check(t.check, self.max_accuracy_m, &mut answers, &at)?;
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
        let life = Lifecycle::new(self.starts_at_ms, self.ends_at_ms);
        Ok(State::new(life, rules, ids, answers, tasks))
    }
}

fn compile_check(
    c: CheckConfig,
    game_accuracy: f32,
    table: &mut Names,
    at: &dyn Fn(&str) -> String,
) -> Result<Check, ConfigError> {
    match c {
        CheckConfig::Answer { answers } => {
            if answers.is_empty() || answers.len() > MAX_ANSWERS {
                return Err(err(
                    &at("check/answers"),
                    &format!("needs 1 to {MAX_ANSWERS} answers"),
                ));
            }
            // Normalised once here, so the state holds the canonical form.
            let mut norm: Vec<String> = Vec::with_capacity(answers.len());
            for (j, a) in answers.iter().enumerate() {
                let n = normalize_answer(a);
                if n.is_empty() {
                    return Err(err(&at(&format!("check/answers/{j}")), "must not be blank"));
                }
                if !norm.contains(&n) {
                    norm.push(n);
                }
            }
            let first = table.len() as u32;
            for n in &norm {
                table.push(n);
            }
            Ok(Check::Answer {
                first,
                count: norm.len() as u32,
            })
        }
        CheckConfig::Gps {
            lat,
            lon,
            radius_m,
            max_accuracy_m,
        } => {
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(err(&at("check/lat"), "must be between -90 and 90"));
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(err(&at("check/lon"), "must be between -180 and 180"));
            }
            if !(radius_m.is_finite() && radius_m > 0.0) {
                return Err(err(&at("check/radius_m"), "must be a positive number"));
            }
            let acc = max_accuracy_m.unwrap_or(game_accuracy);
            if !valid_accuracy(acc) {
                return Err(err(
                    &at("check/max_accuracy_m"),
                    "must be a positive number",
                ));
            }
            Ok(Check::Gps {
                lat,
                lon,
                radius_m,
                max_accuracy_m: acc,
            })
        }
        CheckConfig::Evidence { media: _ } => Ok(Check::Evidence),
    }
}
