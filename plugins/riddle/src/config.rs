//! The tenant's config (JSON), its validation, and the [`Board`] it builds.
//!
//! Validation errors name the offending field as a JSON pointer first, e.g.
//! `/challenges/2/points: must be between 1 and 1000000`.

use serde::Deserialize;
use veltrix_sdk::ConfigError;
use veltrix_sdk::pack::{Names, Table};
use veltrix_sdk::util::normalize_answer;

use crate::challenge::{
    Board, Challenge, Decay, Gate, Hint, MAX_CHALLENGES, MAX_HINTS, RateLimit, bit,
};

/// JSON Schema (draft 2020-12) of [`Config`].
pub const SCHEMA: &str = include_str!("../config.schema.json");

/// A realistic config that `init` accepts.
pub const EXAMPLE: &str = include_str!("../example-config.json");

/// Highest value of a challenge, a bonus or a hint cost.
pub const MAX_POINTS: i64 = 1_000_000;
/// Longest challenge id.
pub const MAX_ID: usize = 32;
/// Longest accepted answer or submitted answer, in bytes.
pub const MAX_ANSWER: usize = 256;
/// Most accepted answers of one challenge.
pub const MAX_ANSWERS: usize = 32;
/// Longest hint text, in bytes.
pub const MAX_HINT_TEXT: usize = 1_000;

/// The riddle config.
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
    /// Default first-solve bonus of every challenge.
    #[serde(default)]
    pub first_solve_bonus: i64,
    /// Wrong-answer rate limit per team.
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
    /// The challenges, in display order.
    pub challenges: Vec<ChallengeConfig>,
}

/// Wrong answers per team: `max_wrong` in a `window_ms` window, then a
/// `cooldown_ms` pause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Wrong answers allowed per window (default 5).
    pub max_wrong: u32,
    /// Window length in ms (default 60 000).
    pub window_ms: i64,
    /// Cooldown in ms (default 60 000).
    pub cooldown_ms: i64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            max_wrong: 5,
            window_ms: 60_000,
            cooldown_ms: 60_000,
        }
    }
}

/// One challenge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeConfig {
    /// Unique id: 1 to 32 of `A-Z a-z 0-9 _ . -`, not `game`.
    pub id: String,
    /// Accepted answers (case- and whitespace-insensitive).
    pub answers: Vec<String>,
    /// Value for the first solver.
    pub points: i64,
    /// Value decay; fixed value if absent.
    pub decay: Option<DecayConfig>,
    /// First-solve bonus; the game's default if absent.
    pub first_solve_bonus: Option<i64>,
    /// Unlock conditions; open from the start if absent.
    pub unlock: Option<UnlockConfig>,
    /// Hints, addressed by their index.
    #[serde(default)]
    pub hints: Vec<HintConfig>,
}

/// Decay curve name.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Curve {
    /// Same drop per solve.
    Linear,
    /// Big drops first, then small ones.
    Logarithmic,
}

/// Value decay of a challenge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecayConfig {
    /// Curve.
    pub curve: Curve,
    /// Lowest value, `0..=points`.
    pub floor: i64,
    /// Number of prior solves at which the value reaches the floor.
    pub solves_to_floor: u32,
}

/// Unlock conditions; all given ones must hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockConfig {
    /// Released to everybody at this time.
    pub at_ms: Option<i64>,
    /// The team must first solve these challenges (declared earlier).
    #[serde(default)]
    pub after: Vec<String>,
    /// The team must first solve this many challenges in total.
    #[serde(default)]
    pub min_solves: u32,
}

/// One hint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HintConfig {
    /// Text shown to the team that buys it.
    pub text: String,
    /// Points it costs.
    pub cost: i64,
}

fn err(path: impl std::fmt::Display, msg: &str) -> ConfigError {
    ConfigError::new(format!("{path}: {msg}"))
}

fn points_in_range(path: impl std::fmt::Display, v: i64, min: i64) -> Result<(), ConfigError> {
    if v < min || v > MAX_POINTS {
        return Err(err(
            path,
            &format!("must be between {min} and {MAX_POINTS}"),
        ));
    }
    Ok(())
}

/// Whether `id` is a valid challenge id: it ends up in reward keys
/// (`solve:<id>:<team>`), so no `:` that could make two keys collide.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id != "game"
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl Config {
    /// Validates the config and builds the board.
    pub fn build(self) -> Result<Board, ConfigError> {
        if let (Some(s), Some(e)) = (self.starts_at_ms, self.ends_at_ms)
            && e <= s
        {
            return Err(err("/ends_at_ms", "must be after starts_at_ms"));
        }
        points_in_range("/first_solve_bonus", self.first_solve_bonus, 0)?;
        let r = &self.rate_limit;
        if r.max_wrong == 0 || r.max_wrong > 1_000 {
            return Err(err("/rate_limit/max_wrong", "must be between 1 and 1000"));
        }
        if r.window_ms < 1_000 {
            return Err(err("/rate_limit/window_ms", "must be at least 1000"));
        }
        if r.cooldown_ms < 1 {
            return Err(err("/rate_limit/cooldown_ms", "must be positive"));
        }
        if self.challenges.is_empty() || self.challenges.len() > MAX_CHALLENGES {
            return Err(err(
                "/challenges",
                &format!("must hold 1 to {MAX_CHALLENGES} challenges"),
            ));
        }
        let mut board = Board {
            ids: Names::default(),
            text: Names::default(),
            challenges: Table::default(),
            hints: Table::default(),
            rate: RateLimit {
                max_wrong: r.max_wrong,
                window_ms: r.window_ms,
                cooldown_ms: r.cooldown_ms,
            },
        };
        for (i, c) in self.challenges.iter().enumerate() {
            let ch = build_challenge(&mut board, i, c, self.first_solve_bonus, &self)?;
            board.challenges.push(&ch);
            board.ids.intern(&c.id);
        }
        Ok(board)
    }
}

fn build_challenge(
    board: &mut Board,
    i: usize,
    c: &ChallengeConfig,
    default_bonus: i64,
    cfg: &Config,
) -> Result<Challenge, ConfigError> {
    let at = |f: &str| format!("/challenges/{i}/{f}");
    if !valid_id(&c.id) {
        return Err(err(
            at("id"),
            "must be 1 to 32 of A-Z a-z 0-9 _ . - and not `game`",
        ));
    }
    if board.find(&c.id).is_some() {
        return Err(err(at("id"), &format!("duplicate id `{}`", c.id)));
    }
    points_in_range(at("points"), c.points, 1)?;
    if c.answers.is_empty() || c.answers.len() > MAX_ANSWERS {
        return Err(err(
            at("answers"),
            &format!("must hold 1 to {MAX_ANSWERS} answers"),
        ));
    }
    let mut answers = Vec::with_capacity(c.answers.len());
    for (j, a) in c.answers.iter().enumerate() {
        let n = normalize_answer(a);
        if n.is_empty() || n.len() > MAX_ANSWER {
            return Err(err(
                format!("/challenges/{i}/answers/{j}"),
                &format!("must be 1 to {MAX_ANSWER} bytes besides spaces"),
            ));
        }
        answers.push(n);
    }
    let decay = match &c.decay {
        None => Decay::Fixed,
        Some(d) => {
            if d.floor < 0 || d.floor > c.points {
                return Err(err(at("decay/floor"), "must be between 0 and points"));
            }
            if d.solves_to_floor == 0 || d.solves_to_floor > 100_000 {
                return Err(err(
                    at("decay/solves_to_floor"),
                    "must be between 1 and 100000",
                ));
            }
            let (floor, solves_to_floor) = (d.floor, d.solves_to_floor);
            match d.curve {
                Curve::Linear => Decay::Linear {
                    floor,
                    solves_to_floor,
                },
                Curve::Logarithmic => Decay::Logarithmic {
                    floor,
                    solves_to_floor,
                },
            }
        }
    };
    let first_bonus = c.first_solve_bonus.unwrap_or(default_bonus);
    points_in_range(at("first_solve_bonus"), first_bonus, 0)?;
    let gate = match &c.unlock {
        None => Gate::default(),
        Some(u) => build_gate(board, i, u, cfg)?,
    };
    if board.hints.len() + c.hints.len() > MAX_HINTS {
        return Err(err(
            at("hints"),
            &format!("a game holds at most {MAX_HINTS} hints"),
        ));
    }
    let first_hint = board.hints.len() as u16;
    for (j, h) in c.hints.iter().enumerate() {
        let text = h.text.trim();
        if text.is_empty() || text.len() > MAX_HINT_TEXT {
            return Err(err(
                format!("/challenges/{i}/hints/{j}/text"),
                &format!("must be 1 to {MAX_HINT_TEXT} bytes"),
            ));
        }
        points_in_range(format!("/challenges/{i}/hints/{j}/cost"), h.cost, 1)?;
        let text = board.text.push(text) as u32;
        board.hints.push(&Hint { text, cost: h.cost });
    }
    Ok(Challenge {
        answers: board.text.push_all(answers.iter().map(String::as_str)),
        points: c.points,
        decay,
        first_bonus,
        gate,
        first_hint,
        hint_count: c.hints.len() as u16,
        solves: 0,
    })
}

fn build_gate(
    board: &Board,
    i: usize,
    u: &UnlockConfig,
    cfg: &Config,
) -> Result<Gate, ConfigError> {
    let at = |f: &str| format!("/challenges/{i}/unlock/{f}");
    let mut gate = Gate {
        at_ms: u.at_ms,
        after: 0,
        min_solves: u.min_solves,
    };
    if let (Some(t), Some(end)) = (u.at_ms, cfg.ends_at_ms)
        && t >= end
    {
        return Err(err(at("at_ms"), "must be before the game ends"));
    }
    for (j, id) in u.after.iter().enumerate() {
        // Only earlier challenges: prerequisites can then never form a cycle.
        match board.find(id) {
            Some(k) => gate.after |= bit(k),
            None => {
                return Err(err(
                    format!("/challenges/{i}/unlock/after/{j}"),
                    &format!("`{id}` is not a challenge declared before this one"),
                ));
            }
        }
    }
    // Challenges declared later may also count, but never this one itself.
    if u.min_solves as usize >= cfg.challenges.len() {
        return Err(err(
            at("min_solves"),
            "must be less than the number of challenges",
        ));
    }
    Ok(gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Board, ConfigError> {
        serde_json::from_str::<Config>(json).unwrap().build()
    }

    #[test]
    fn example_builds() {
        let b = parse(EXAMPLE).unwrap();
        assert!(b.challenges.len() >= 5);
        assert!(!b.hints.is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"challenges":[]}"#, "/challenges:"),
            (
                r#"{"challenges":[{"id":"a","answers":["x"],"points":0}]}"#,
                "/challenges/0/points:",
            ),
            (
                r#"{"challenges":[{"id":"a:b","answers":["x"],"points":5}]}"#,
                "/challenges/0/id:",
            ),
            (
                r#"{"challenges":[{"id":"a","answers":["x"],"points":5},
                    {"id":"a","answers":["y"],"points":5}]}"#,
                "/challenges/1/id: duplicate",
            ),
            (
                r#"{"challenges":[{"id":"a","answers":["  "],"points":5}]}"#,
                "/challenges/0/answers/0:",
            ),
            (
                r#"{"challenges":[{"id":"a","answers":["x"],"points":5,
                    "decay":{"curve":"linear","floor":9,"solves_to_floor":3}}]}"#,
                "/challenges/0/decay/floor:",
            ),
            (
                r#"{"challenges":[{"id":"a","answers":["x"],"points":5,
                    "unlock":{"after":["b"]}},{"id":"b","answers":["x"],"points":5}]}"#,
                "/challenges/0/unlock/after/0:",
            ),
            (
                r#"{"challenges":[{"id":"a","answers":["x"],"points":5,
                    "hints":[{"text":"t","cost":-3}]}]}"#,
                "/challenges/0/hints/0/cost:",
            ),
            (
                r#"{"rate_limit":{"max_wrong":0},"challenges":[{"id":"a","answers":["x"],"points":5}]}"#,
                "/rate_limit/max_wrong:",
            ),
            (
                r#"{"starts_at_ms":10,"ends_at_ms":5,"challenges":[{"id":"a","answers":["x"],"points":5}]}"#,
                "/ends_at_ms:",
            ),
        ];
        for (json, want) in cases {
            let e = parse(json).unwrap_err().message;
            assert!(e.starts_with(want), "{json}: got `{e}`, want `{want}`");
        }
    }
}
