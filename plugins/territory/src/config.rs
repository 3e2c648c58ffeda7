//! The tenant's config: its serde shape, its validation, and its compilation
//! into the initial [`State`].
//!
//! Texts only the phone needs (names, question wording) are accepted but not
//! kept in the state; answers are stored normalised.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Table};
use veltrix_sdk::util::normalize_answer;

use crate::state::{MINUTE_MS, Point, Rules, State};

/// JSON Schema (draft 2020-12) of [`Config`].
pub const SCHEMA: &str = include_str!("../config.schema.json");

/// A realistic config that validates against [`SCHEMA`] and that init accepts.
pub const EXAMPLE: &str = include_str!("../example-config.json");

/// Most control points in a game (bounds the work of a tick: the final
/// settlement of 100 held points stays well inside the fuel budget).
pub const MAX_POINTS: usize = 100;
const MAX_ANSWERS: usize = 20;
const MAX_TEXT: usize = 500;
/// Most bytes of answers in all (the state is decoded on every action).
const MAX_TEXT_TOTAL: usize = 64 * 1024;
/// Latest start accepted (year 9999), so that start + duration cannot overflow.
const MAX_START_MS: i64 = 253_402_300_799_999;

/// The tenant's config of a territory game.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Display title (phone only; not kept in the state).
    #[serde(default)]
    pub title: Option<String>,
    /// When the game starts (ms since the Unix epoch).
    pub starts_at_ms: i64,
    /// Time limit: the game closes `duration_min` after its start.
    pub duration_min: i64,
    /// Default points for a capture.
    #[serde(default = "default_capture_points")]
    pub capture_points: i64,
    /// Default points per whole minute a point is held.
    #[serde(default = "one")]
    pub points_per_minute: i64,
    /// Seconds after a capture during which no other team can take the point.
    #[serde(default)]
    pub lock_s: i64,
    /// Default worst device accuracy accepted in a zone, in metres.
    #[serde(default = "default_accuracy")]
    pub max_accuracy_m: f64,
    /// Most teams that may play.
    #[serde(default = "default_max_teams")]
    pub max_teams: i64,
    /// Most players that may play.
    #[serde(default = "default_max_players")]
    pub max_players: i64,
    /// The control points.
    pub control_points: Vec<PointConfig>,
}

/// One control point.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointConfig {
    /// Unique id (the quest id of the point).
    pub id: String,
    /// Display name (phone only).
    #[serde(default)]
    pub name: Option<String>,
    /// Zone centre latitude.
    pub lat: f64,
    /// Zone centre longitude.
    pub lon: f64,
    /// Zone radius in metres.
    pub radius_m: f64,
    /// Worst device accuracy accepted here (defaults to the game's).
    #[serde(default)]
    pub max_accuracy_m: Option<f64>,
    /// Points for a capture (defaults to the game's).
    #[serde(default)]
    pub capture_points: Option<i64>,
    /// Points per whole minute held (defaults to the game's).
    #[serde(default)]
    pub points_per_minute: Option<i64>,
    /// Question to answer when capturing (phone only); needs `answers`.
    #[serde(default)]
    pub question: Option<String>,
    /// Accepted answers; when present a capture needs one of them.
    #[serde(default)]
    pub answers: Vec<String>,
}

fn default_capture_points() -> i64 {
    10
}
fn one() -> i64 {
    1
}
fn default_accuracy() -> f64 {
    30.0
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

fn accuracy_ok(path: &str, v: f64) -> Result<f32, ConfigError> {
    if v.is_finite() && v > 0.0 && v <= 10_000.0 {
        Ok(v as f32)
    } else {
        Err(err(path, "must be positive (metres, at most 10000)"))
    }
}

impl Config {
    /// Validates the config and builds the initial state.
    pub fn compile(self) -> Result<State, ConfigError> {
        let start = int_in("/starts_at_ms", self.starts_at_ms, 0, MAX_START_MS)?;
        let minutes = int_in("/duration_min", self.duration_min, 1, 7 * 24 * 60)?;
        let capture = int_in("/capture_points", self.capture_points, 0, 1_000_000)?;
        let per_minute = int_in("/points_per_minute", self.points_per_minute, 0, 1_000_000)?;
        let rules = Rules {
            lock_ms: int_in("/lock_s", self.lock_s, 0, 86_400)? * 1_000,
            max_teams: int_in("/max_teams", self.max_teams, 1, 1_000)? as u16,
            max_players: int_in("/max_players", self.max_players, 1, 5_000)? as u16,
        };
        let accuracy = accuracy_ok("/max_accuracy_m", self.max_accuracy_m)?;
        if self.control_points.is_empty() || self.control_points.len() > MAX_POINTS {
            return Err(err(
                "/control_points",
                &format!("must hold 1 to {MAX_POINTS} control points"),
            ));
        }
        let mut point_ids = Names::default();
        let mut text = Names::default();
        let mut points = Table::default();
        for (i, c) in self.control_points.iter().enumerate() {
            let at = format!("/control_points/{i}");
            if c.id.is_empty() || c.id.len() > 64 || c.id.contains('/') {
                return Err(err(
                    &format!("{at}/id"),
                    "must be 1 to 64 bytes, without `/`",
                ));
            }
            if !point_ids.intern(&c.id).1 {
                return Err(err(
                    &format!("{at}/id"),
                    &format!("duplicate control point id `{}`", c.id),
                ));
            }
            if !(c.lat.is_finite() && (-90.0..=90.0).contains(&c.lat)) {
                return Err(err(&format!("{at}/lat"), "must be between -90 and 90"));
            }
            if !(c.lon.is_finite() && (-180.0..=180.0).contains(&c.lon)) {
                return Err(err(&format!("{at}/lon"), "must be between -180 and 180"));
            }
            if !(c.radius_m.is_finite() && c.radius_m > 0.0 && c.radius_m <= 100_000.0) {
                return Err(err(
                    &format!("{at}/radius_m"),
                    "must be positive (at most 100000)",
                ));
            }
            if c.question.is_some() && c.answers.is_empty() {
                return Err(err(
                    &format!("{at}/answers"),
                    "a question needs at least one accepted answer",
                ));
            }
            if c.answers.len() > MAX_ANSWERS {
                return Err(err(
                    &format!("{at}/answers"),
                    &format!("at most {MAX_ANSWERS}"),
                ));
            }
            for (j, a) in c.answers.iter().enumerate() {
                if a.trim().is_empty() || a.len() > MAX_TEXT {
                    return Err(err(
                        &format!("{at}/answers/{j}"),
                        &format!("must be 1 to {MAX_TEXT} bytes, not blank"),
                    ));
                }
            }
            let normalised: Vec<String> = c.answers.iter().map(|a| normalize_answer(a)).collect();
            points.push(&Point {
                lat: c.lat,
                lon: c.lon,
                radius_m: c.radius_m as f32,
                max_accuracy_m: match c.max_accuracy_m {
                    Some(a) => accuracy_ok(&format!("{at}/max_accuracy_m"), a)?,
                    None => accuracy,
                },
                capture_points: match c.capture_points {
                    Some(p) => int_in(&format!("{at}/capture_points"), p, 0, 1_000_000)?,
                    None => capture,
                } as u32,
                points_per_minute: match c.points_per_minute {
                    Some(p) => int_in(&format!("{at}/points_per_minute"), p, 0, 1_000_000)?,
                    None => per_minute,
                } as u32,
                answers: text.push_all(normalised.iter().map(String::as_str)),
                captures: 0,
                holder: None,
            });
        }
        if text.text_len() > MAX_TEXT_TOTAL {
            return Err(err(
                "/control_points",
                &format!("answers total more than {MAX_TEXT_TOTAL} bytes"),
            ));
        }
        Ok(State {
            life: Lifecycle::new(Some(start), Some(start + minutes * MINUTE_MS)),
            rules,
            point_ids,
            text,
            points,
            team_ids: Names::default(),
            teams: Table::default(),
            player_ids: Names::default(),
            player_team: Table::default(),
            paused_at_ms: None,
            closed: false,
        })
    }
}
