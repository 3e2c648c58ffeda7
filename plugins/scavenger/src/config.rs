//! The tenant's config: parsing, validation, and compilation into the compact
//! mission table that lives in the state.
//!
//! Validation errors name the offending field as a JSON pointer first
//! (`/missions/2/points: must be positive`), as the WIT asks.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::util::normalize_answer;

use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Table};

use crate::state::{Check, Mission, State};

/// Most missions one game may have (mission indexes are `u16` in the state,
/// and a bounded table keeps every apply bounded).
pub const MAX_MISSIONS: usize = 500;
/// Longest mission id, in bytes.
pub const MAX_ID_LEN: usize = 64;
/// Most points a single mission may be worth.
pub const MAX_POINTS: i64 = 1_000_000;
/// Most accepted answers per answer mission.
pub const MAX_ANSWERS: usize = 32;
/// GPS accuracy required when neither the game nor the mission sets one.
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
    /// Worst device accuracy (metres) a GPS check-in may report, unless the
    /// mission sets its own.
    #[serde(default = "default_accuracy")]
    pub max_accuracy_m: f32,
    /// The mission board.
    pub missions: Vec<MissionConfig>,
}

fn default_accuracy() -> f32 {
    DEFAULT_MAX_ACCURACY_M
}

/// One mission as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissionConfig {
    /// Unique id: the quest id and part of the reward key.
    pub id: String,
    /// Title for the tenant UI (not kept in the state).
    #[serde(default)]
    pub title: String,
    /// Instructions for the players (not kept in the state).
    #[serde(default)]
    pub description: String,
    /// Points for an accepted submission (also the cap of a judge's award).
    pub points: i64,
    /// Hidden before this time.
    #[serde(default)]
    pub available_from_ms: Option<i64>,
    /// Expired from this time on.
    #[serde(default)]
    pub available_until_ms: Option<i64>,
    /// How a submission is checked.
    pub check: CheckConfig,
}

/// How a mission's submissions are checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CheckConfig {
    /// A typed answer, accepted if it matches one of `answers` (case and
    /// whitespace ignored).
    Answer {
        /// Accepted answers.
        answers: Vec<String>,
    },
    /// A check-in: the device fix must lie within `radius_m` of the point.
    Gps {
        /// Latitude of the point, degrees.
        lat: f64,
        /// Longitude of the point, degrees.
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

/// Kind of evidence a mission asks for.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Media {
    /// A photo.
    #[default]
    Photo,
    /// A video.
    Video,
}

fn err(pointer: String, msg: &str) -> ConfigError {
    ConfigError::new(format!("{pointer}: {msg}"))
}

/// Whether `id` is usable as a quest id and inside reward keys: non-empty,
/// short, and free of the `:` separator and of whitespace.
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

impl Config {
    /// Validates the config and builds the initial state.
    pub fn compile(self) -> Result<State, ConfigError> {
        if let (Some(s), Some(e)) = (self.starts_at_ms, self.ends_at_ms)
            && e <= s
        {
            return Err(err("/ends_at_ms".into(), "must be after starts_at_ms"));
        }
        if !valid_accuracy(self.max_accuracy_m) {
            return Err(err("/max_accuracy_m".into(), "must be a positive number"));
        }
        if self.missions.is_empty() {
            return Err(err("/missions".into(), "needs at least one mission"));
        }
        if self.missions.len() > MAX_MISSIONS {
            return Err(err(
                "/missions".into(),
                &format!("at most {MAX_MISSIONS} missions"),
            ));
        }
        let mut ids = Names::default();
        let mut answers = Names::default();
        let mut out = Table::<Mission>::default();
        for (i, m) in self.missions.into_iter().enumerate() {
            let at = |field: &str| format!("/missions/{i}/{field}");
            if !valid_id(&m.id) {
                return Err(err(
                    at("id"),
                    "must be 1-64 characters of letters, digits, '-', '_' or '.'",
                ));
            }
            if ids.find(&m.id).is_some() {
                return Err(err(at("id"), &format!("duplicate mission id `{}`", m.id)));
            }
            if m.points <= 0 {
                return Err(err(at("points"), "must be positive"));
            }
            if m.points > MAX_POINTS {
                return Err(err(at("points"), &format!("must be at most {MAX_POINTS}")));
            }
            if let (Some(f), Some(u)) = (m.available_from_ms, m.available_until_ms)
                && u <= f
            {
                return Err(err(
                    at("available_until_ms"),
                    "must be after available_from_ms",
                ));
            }
            let check = compile_check(m.check, self.max_accuracy_m, &mut answers, &at)?;
            ids.intern(&m.id);
            out.push(&Mission {
                points: m.points,
                from_ms: m.available_from_ms,
                until_ms: m.available_until_ms,
                check,
            });
        }
        let life = Lifecycle::new(self.starts_at_ms, self.ends_at_ms);
        Ok(State::new(life, ids, answers, out))
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
                    at("check/answers"),
                    &format!("needs 1 to {MAX_ANSWERS} answers"),
                ));
            }
            // Normalised once here, so the state holds the canonical form.
            let mut norm: Vec<String> = Vec::with_capacity(answers.len());
            for (j, a) in answers.iter().enumerate() {
                let n = normalize_answer(a);
                if n.is_empty() {
                    return Err(err(at(&format!("check/answers/{j}")), "must not be blank"));
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
                return Err(err(at("check/lat"), "must be between -90 and 90"));
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(err(at("check/lon"), "must be between -180 and 180"));
            }
            if !(radius_m.is_finite() && radius_m > 0.0) {
                return Err(err(at("check/radius_m"), "must be a positive number"));
            }
            let acc = max_accuracy_m.unwrap_or(game_accuracy);
            if !valid_accuracy(acc) {
                return Err(err(at("check/max_accuracy_m"), "must be a positive number"));
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
