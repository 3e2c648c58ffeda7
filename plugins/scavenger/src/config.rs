//! The tenant's config: parsing, validation, and compilation into the compact
//! mission table that lives in the state.
//!
//! Validation errors name the offending field as a JSON pointer first
//! (`/missions/2/points: must be positive`), as the WIT asks.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::submission::{DEFAULT_MAX_ACCURACY_M, valid_accuracy};

pub use veltrix_sdk::submission::{CheckConfig, Media};

use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Table};

use crate::state::{Mission, State};

/// Most missions one game may have (mission indexes are `u16` in the state,
/// and a bounded table keeps every apply bounded).
pub const MAX_MISSIONS: usize = 500;
/// Longest mission id, in bytes.
pub const MAX_ID_LEN: usize = 64;
/// Most points a single mission may be worth.
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
            let check = m
                .check
                .compile(&at("check"), self.max_accuracy_m, &mut answers)?;
            ids.intern(&m.id);
            out.push(&Mission {
                points: m.points,
                from_ms: m.available_from_ms,
                until_ms: m.available_until_ms,
                check,
            });
        }
        let start = Lifecycle::start_of(self.starts_at_ms, self.wait_for_start);
        let life = Lifecycle::scheduled(start, self.ends_at_ms);
        Ok(State::new(life, ids, answers, out))
    }
}
