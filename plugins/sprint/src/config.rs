//! The tenant's config (JSON) and its validation into [`Settings`].
//!
//! Rounds are not declared here: the game master opens each one live with
//! its tasks (see [`crate::round`]). The config sets the schedule and what
//! every round shares: placement bonuses, the decay floor and the default
//! window length.

use serde::{Deserialize, Serialize};
use veltrix_sdk::ConfigError;

/// JSON Schema (draft 2020-12) of [`Config`].
pub const SCHEMA: &str = include_str!("../config.schema.json");

/// A realistic config that `init` accepts.
pub const EXAMPLE: &str = include_str!("../example-config.json");

/// Highest task value or placement bonus.
pub const MAX_POINTS: i64 = 1_000_000;
/// Most placement bonuses (places paid).
pub const MAX_PLACES: usize = 10;
/// Shortest round window.
pub const MIN_DURATION_MS: i64 = 1_000;
/// Longest round window (a day).
pub const MAX_DURATION_MS: i64 = 86_400_000;

/// The sprint config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// When the game starts (now if absent).
    pub starts_at_ms: Option<i64>,
    /// The game waits for the game master's `start` (`starts_at_ms` is then
    /// ignored).
    #[serde(default)]
    pub wait_for_start: bool,
    /// When the game ends (when the game master ends it, if absent).
    pub ends_at_ms: Option<i64>,
    /// Bonus per place when a round closes: first place first.
    #[serde(default)]
    pub placement_bonus: Vec<i64>,
    /// What a task is still worth at the very end of its window, in percent
    /// of its points (default 25; 100 means no decay).
    #[serde(default = "default_floor")]
    pub floor_percent: u8,
    /// Window length of a round opened without `duration_ms` (default 5 min).
    #[serde(default = "default_duration")]
    pub default_duration_ms: i64,
}

fn default_floor() -> u8 {
    25
}

fn default_duration() -> i64 {
    300_000
}

/// The validated settings every round shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Bonus per place, first place first.
    pub placement_bonus: Vec<i64>,
    /// Default decay floor, percent of a task's points.
    pub floor_percent: u8,
    /// Default window length.
    pub default_duration_ms: i64,
}

fn err(path: impl std::fmt::Display, msg: &str) -> ConfigError {
    ConfigError::new(format!("{path}: {msg}"))
}

impl Config {
    /// Validates the config.
    pub fn build(&self) -> Result<Settings, ConfigError> {
        if let (Some(s), Some(e)) = (self.starts_at_ms, self.ends_at_ms)
            && e <= s
        {
            return Err(err("/ends_at_ms", "must be after starts_at_ms"));
        }
        if self.placement_bonus.len() > MAX_PLACES {
            return Err(err(
                "/placement_bonus",
                &format!("pays at most {MAX_PLACES} places"),
            ));
        }
        for (i, &b) in self.placement_bonus.iter().enumerate() {
            if !(1..=MAX_POINTS).contains(&b) {
                return Err(err(
                    format!("/placement_bonus/{i}"),
                    &format!("must be between 1 and {MAX_POINTS}"),
                ));
            }
        }
        if self.floor_percent > 100 {
            return Err(err("/floor_percent", "must be between 0 and 100"));
        }
        if !(MIN_DURATION_MS..=MAX_DURATION_MS).contains(&self.default_duration_ms) {
            return Err(err(
                "/default_duration_ms",
                &format!("must be between {MIN_DURATION_MS} and {MAX_DURATION_MS}"),
            ));
        }
        Ok(Settings {
            placement_bonus: self.placement_bonus.clone(),
            floor_percent: self.floor_percent,
            default_duration_ms: self.default_duration_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Settings, ConfigError> {
        serde_json::from_str::<Config>(json).unwrap().build()
    }

    #[test]
    fn example_builds_and_defaults_apply() {
        assert!(!parse(EXAMPLE).unwrap().placement_bonus.is_empty());
        let s = parse("{}").unwrap();
        assert_eq!((s.floor_percent, s.default_duration_ms), (25, 300_000));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"placement_bonus":[50,0]}"#, "/placement_bonus/1:"),
            (
                r#"{"placement_bonus":[1,1,1,1,1,1,1,1,1,1,1]}"#,
                "/placement_bonus:",
            ),
            (r#"{"floor_percent":101}"#, "/floor_percent:"),
            (r#"{"default_duration_ms":10}"#, "/default_duration_ms:"),
            (r#"{"starts_at_ms":5,"ends_at_ms":5}"#, "/ends_at_ms:"),
        ];
        for (json, want) in cases {
            let e = parse(json).unwrap_err().message;
            assert!(e.starts_with(want), "{json}: got `{e}`, want `{want}`");
        }
    }
}
