//! The tenant's config: its serde shape, its validation, and its compilation
//! into the initial [`State`].
//!
//! Texts only the phone needs (titles, task wording) are accepted but not
//! kept in the state; answers are stored normalised so that checking an
//! answer normalises only the player's input.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Table};
use veltrix_sdk::util::normalize_answer;

use crate::state::{Geofence, Rules, State, Step};

/// JSON Schema (draft 2020-12) of [`Config`].
pub const SCHEMA: &str = include_str!("../config.schema.json");

/// A realistic config that validates against [`SCHEMA`] and that init accepts.
pub const EXAMPLE: &str = include_str!("../example-config.json");

/// Most steps on a trail (bounds the work of any one action).
pub const MAX_STEPS: usize = 200;
const MAX_ANSWERS: usize = 20;
const MAX_HINTS: usize = 10;
const MAX_TEXT: usize = 500;
/// Most bytes of QR codes, answers and hints in all (the state is decoded
/// on every action).
const MAX_TEXT_TOTAL: usize = 64 * 1024;

/// The tenant's config of a trail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Display title (for the phone; not kept in the state).
    #[serde(default)]
    pub title: Option<String>,
    /// Scheduled start; the game runs from creation when absent.
    #[serde(default)]
    pub starts_at_ms: Option<i64>,
    /// The game waits for the game master's `start` (not with
    /// `starts_at_ms`).
    #[serde(default)]
    pub wait_for_start: bool,
    /// Scheduled end; the game master ends it when absent.
    #[serde(default)]
    pub ends_at_ms: Option<i64>,
    /// Minutes each team has from its `begin`.
    #[serde(default)]
    pub time_limit_min: Option<i64>,
    /// Bonus for completing the last step of a run with its task.
    #[serde(default)]
    pub finish_bonus: i64,
    /// Seconds added to the team's time per hint.
    #[serde(default)]
    pub hint_penalty_s: i64,
    /// Seconds added to the team's time per skipped step.
    #[serde(default)]
    pub skip_penalty_s: i64,
    /// Skips allowed per run (unlimited when absent).
    #[serde(default)]
    pub max_skips: Option<i64>,
    /// Default worst device accuracy accepted at a geofence, in metres.
    #[serde(default = "default_accuracy")]
    pub max_accuracy_m: f64,
    /// How many times a team may run the trail (circuit mode when > 1).
    #[serde(default = "one")]
    pub laps: i64,
    /// Most teams that may begin.
    #[serde(default = "default_max_teams")]
    pub max_teams: i64,
    /// Most players that may take part.
    #[serde(default = "default_max_players")]
    pub max_players: i64,
    /// The steps, in the order teams do them.
    pub steps: Vec<StepConfig>,
}

/// One step of the trail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// Unique step id (the quest id of the step).
    pub id: String,
    /// Display title (phone only).
    #[serde(default)]
    pub title: Option<String>,
    /// Task wording shown on arrival (phone only).
    #[serde(default)]
    pub task: Option<String>,
    /// Geofence centre latitude.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Geofence centre longitude.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Geofence radius in metres.
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// Worst device accuracy accepted here (defaults to the game's).
    #[serde(default)]
    pub max_accuracy_m: Option<f64>,
    /// QR code posted at the step; scanning it also checks in.
    #[serde(default)]
    pub qr: Option<String>,
    /// Accepted answers to the task; none means arriving completes the step.
    #[serde(default)]
    pub answers: Vec<String>,
    /// Points for completing the step.
    #[serde(default)]
    pub points: i64,
    /// Hints, revealed one at a time for a time penalty.
    #[serde(default)]
    pub hints: Vec<String>,
}

fn default_accuracy() -> f64 {
    30.0
}
fn one() -> i64 {
    1
}
fn default_max_teams() -> i64 {
    100
}
fn default_max_players() -> i64 {
    1_000
}

fn err(path: &str, msg: &str) -> ConfigError {
    ConfigError::new(format!("{path}: {msg}"))
}

fn int_in(path: &str, v: i64, lo: i64, hi: i64) -> Result<i64, ConfigError> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(err(path, &format!("must be between {lo} and {hi}")))
    }
}

fn text_ok(path: &str, s: &str) -> Result<(), ConfigError> {
    if s.trim().is_empty() {
        return Err(err(path, "must not be empty"));
    }
    if s.len() > MAX_TEXT {
        return Err(err(path, &format!("must be at most {MAX_TEXT} bytes")));
    }
    Ok(())
}

impl Config {
    /// Validates the config and builds the initial state.
    pub fn compile(self) -> Result<State, ConfigError> {
        if let (Some(s), Some(e)) = (self.starts_at_ms, self.ends_at_ms)
            && e <= s
        {
            return Err(err("/ends_at_ms", "must be after starts_at_ms"));
        }
        if self.wait_for_start && self.starts_at_ms.is_some() {
            return Err(err(
                "/wait_for_start",
                "a game that waits for the game master's start has no starts_at_ms",
            ));
        }
        let day_min = 7 * 24 * 60;
        let rules = Rules {
            finish_bonus: int_in("/finish_bonus", self.finish_bonus, 0, 1_000_000)? as u32,
            hint_penalty_ms: int_in("/hint_penalty_s", self.hint_penalty_s, 0, 86_400)? * 1_000,
            skip_penalty_ms: int_in("/skip_penalty_s", self.skip_penalty_s, 0, 86_400)? * 1_000,
            max_skips: match self.max_skips {
                Some(n) => Some(int_in("/max_skips", n, 0, MAX_STEPS as i64)? as u16),
                None => None,
            },
            time_limit_ms: match self.time_limit_min {
                Some(m) => Some(int_in("/time_limit_min", m, 1, day_min)? * 60_000),
                None => None,
            },
            laps: int_in("/laps", self.laps, 1, 1_000_000)? as u32,
            max_teams: int_in("/max_teams", self.max_teams, 1, 1_000)? as u16,
            max_players: int_in("/max_players", self.max_players, 1, 5_000)? as u16,
        };
        let accuracy = accuracy_ok("/max_accuracy_m", self.max_accuracy_m)?;
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(err("/steps", &format!("must hold 1 to {MAX_STEPS} steps")));
        }
        let mut step_ids = Names::default();
        let mut text = Names::default();
        let mut steps = Table::default();
        for (i, c) in self.steps.iter().enumerate() {
            let at = format!("/steps/{i}");
            steps.push(&compile_step(c, &at, accuracy, &mut step_ids, &mut text)?);
        }
        if text.text_len() > MAX_TEXT_TOTAL {
            return Err(err(
                "/steps",
                &format!("QR codes, answers and hints total more than {MAX_TEXT_TOTAL} bytes"),
            ));
        }
        Ok(State {
            life: Lifecycle::scheduled(
                Lifecycle::start_of(self.starts_at_ms, self.wait_for_start),
                self.ends_at_ms,
            ),
            rules,
            step_ids,
            text,
            steps,
            epoch_ms: None,
            team_ids: Names::default(),
            teams: Table::default(),
            player_ids: Names::default(),
            player_team: Table::default(),
        })
    }
}

fn accuracy_ok(path: &str, v: f64) -> Result<f32, ConfigError> {
    if v.is_finite() && v > 0.0 && v <= 10_000.0 {
        Ok(v as f32)
    } else {
        Err(err(path, "must be positive (metres, at most 10000)"))
    }
}

fn compile_step(
    c: &StepConfig,
    at: &str,
    default_accuracy: f32,
    step_ids: &mut Names,
    text: &mut Names,
) -> Result<Step, ConfigError> {
    if c.id.is_empty() || c.id.len() > 64 || c.id.contains('/') {
        return Err(err(
            &format!("{at}/id"),
            "must be 1 to 64 bytes, without `/`",
        ));
    }
    if !step_ids.intern(&c.id).1 {
        return Err(err(
            &format!("{at}/id"),
            &format!("duplicate step id `{}`", c.id),
        ));
    }
    let geo = match (c.lat, c.lon, c.radius_m) {
        (None, None, None) => None,
        (Some(lat), Some(lon), Some(r)) => {
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(err(&format!("{at}/lat"), "must be between -90 and 90"));
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(err(&format!("{at}/lon"), "must be between -180 and 180"));
            }
            if !(r.is_finite() && r > 0.0 && r <= 100_000.0) {
                return Err(err(
                    &format!("{at}/radius_m"),
                    "must be positive (at most 100000)",
                ));
            }
            let max_accuracy_m = match c.max_accuracy_m {
                Some(a) => accuracy_ok(&format!("{at}/max_accuracy_m"), a)?,
                None => default_accuracy,
            };
            Some(Geofence {
                lat,
                lon,
                radius_m: r as f32,
                max_accuracy_m,
            })
        }
        _ => return Err(err(at, "lat, lon and radius_m go together")),
    };
    if geo.is_none() && c.max_accuracy_m.is_some() {
        return Err(err(&format!("{at}/max_accuracy_m"), "needs a geofence"));
    }
    let qr = match &c.qr {
        Some(q) => {
            text_ok(&format!("{at}/qr"), q)?;
            Some(text.push(q.trim()) as u16)
        }
        None => None,
    };
    if geo.is_none() && qr.is_none() {
        return Err(err(
            at,
            "needs a geofence (lat, lon, radius_m) or a qr code",
        ));
    }
    if c.task.is_some() && c.answers.is_empty() {
        return Err(err(
            &format!("{at}/answers"),
            "a task needs at least one accepted answer",
        ));
    }
    if c.answers.len() > MAX_ANSWERS {
        return Err(err(
            &format!("{at}/answers"),
            &format!("at most {MAX_ANSWERS}"),
        ));
    }
    if c.hints.len() > MAX_HINTS {
        return Err(err(&format!("{at}/hints"), &format!("at most {MAX_HINTS}")));
    }
    for (j, a) in c.answers.iter().enumerate() {
        text_ok(&format!("{at}/answers/{j}"), a)?;
    }
    for (j, h) in c.hints.iter().enumerate() {
        text_ok(&format!("{at}/hints/{j}"), h)?;
    }
    let normalised: Vec<String> = c.answers.iter().map(|a| normalize_answer(a)).collect();
    Ok(Step {
        geo,
        qr,
        answers: text.push_all(normalised.iter().map(String::as_str)),
        hints: text.push_all(c.hints.iter().map(String::as_str)),
        points: int_in(&format!("{at}/points"), c.points, 0, 1_000_000)? as u32,
    })
}
