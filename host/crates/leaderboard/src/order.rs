//! The ranking order and the fold both backends share.
//!
//! A board is ordered by score, highest first; equal scores go to whoever
//! reached that score first (smallest `reached_at`); equal scores reached in
//! the same millisecond are ordered by id, in descending byte order (what a
//! Redis sorted set does with equal members prefixes; arbitrary but stable).
//!
//! `reached_at` is the latest `at_ms` of the non-zero rewards counted. Using
//! the maximum, not the last one applied, makes the result independent of
//! delivery order, so an uninterrupted run, a replay and a rebuild agree.
//!
//! In Redis the score is the sorted-set score itself (a double, exact for
//! integers up to 2^53) and the time lives in the member,
//! `{MAX_AT_MS - reached_at, 13 digits}|{id}`: Redis orders equal scores by
//! member, reversed in `ZREVRANGE`, so the earliest time comes first. Both
//! parts are exact over their whole range, with no bits shared between
//! them: scores within +-[`MAX_SCORE`] and times within `0..=`[`MAX_AT_MS`]
//! (year 2286). Entries outside are refused; a running total that would
//! leave the score range saturates at +-`MAX_SCORE` (unreachable in
//! practice: it takes a thousand rewards of nine trillion points).

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use super::keys::validate_ids;
use super::{Board, LeaderboardError, ScoreEntry, Standing};

/// Largest absolute score and delta: doubles are exact up to 2^53.
pub const MAX_SCORE: i64 = (1 << 53) - 1;
/// Largest `at_ms`: the largest 13-digit number (2286-11-20).
pub const MAX_AT_MS: i64 = 9_999_999_999_999;
/// Width of the inverted time in a Redis member.
pub const INV_AT_DIGITS: usize = 13;

/// Validates an entry's ids and ranges.
pub fn validate_entry(e: &ScoreEntry) -> Result<(), LeaderboardError> {
    validate_ids(e)?;
    if !(-MAX_SCORE..=MAX_SCORE).contains(&e.delta) {
        return Err(LeaderboardError::Invalid(format!(
            "delta must be within +-{MAX_SCORE}"
        )));
    }
    if !(0..=MAX_AT_MS).contains(&e.at_ms) {
        return Err(LeaderboardError::Invalid(format!(
            "at_ms must be within 0..={MAX_AT_MS}"
        )));
    }
    Ok(())
}

/// Validates `entries` and checks they all belong to `tenant`/`game`: a
/// rebuild must never write one game's rewards into another's board.
pub fn check_scope(
    tenant: &str,
    game: &str,
    entries: &[ScoreEntry],
) -> Result<(), LeaderboardError> {
    for e in entries {
        validate_entry(e)?;
        if e.tenant != tenant || e.game_id != game {
            return Err(LeaderboardError::Invalid(
                "rebuild entries must all belong to the rebuilt game".into(),
            ));
        }
    }
    Ok(())
}

/// `score + delta`, saturated to +-[`MAX_SCORE`]. The Lua scripts do the
/// same in doubles, which agree: both operands are exact and rounding only
/// happens beyond the limit.
pub fn add_score(score: i64, delta: i64) -> i64 {
    score.saturating_add(delta).clamp(-MAX_SCORE, MAX_SCORE)
}

/// The inverted, zero-padded time Redis members start with.
pub fn inv_at(at_ms: i64) -> String {
    format!("{:0width$}", MAX_AT_MS - at_ms, width = INV_AT_DIGITS)
}

/// A Redis sorted-set member.
pub fn member(id: &str, at_ms: i64) -> String {
    format!("{}|{id}", inv_at(at_ms))
}

/// Splits a Redis member into (id, reached_at_ms).
pub fn parse_member(m: &str) -> Option<(&str, i64)> {
    let (inv, rest) = m.split_at_checked(INV_AT_DIGITS)?;
    let id = rest.strip_prefix('|')?;
    let inv: i64 = inv.parse().ok()?;
    (0..=MAX_AT_MS)
        .contains(&inv)
        .then_some((id, MAX_AT_MS - inv))
}

/// A board line's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// Points.
    pub score: i64,
    /// When they were reached.
    pub at_ms: i64,
}

/// Sorts like the board: ascending `RankKey` is rank order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RankKey {
    score: Reverse<i64>,
    at_ms: i64,
    id: Reverse<String>,
}

impl RankKey {
    /// The key of `id` with `total`.
    pub fn new(id: &str, total: Total) -> Self {
        Self {
            score: Reverse(total.score),
            at_ms: total.at_ms,
            id: Reverse(id.to_string()),
        }
    }

    /// The standing this key holds at `rank`.
    pub fn standing(&self, rank: u64) -> Standing {
        Standing {
            id: self.id.0.clone(),
            score: self.score.0,
            rank,
            reached_at_ms: self.at_ms,
        }
    }
}

/// The fold of a game's reward entries: totals per player and team, and
/// the reward ids counted.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    applied: HashSet<String>,
    players: HashMap<String, Total>,
    teams: HashMap<String, Total>,
}

impl Tally {
    /// Folds `entries` (assumed validated and of one game).
    pub fn of(entries: &[ScoreEntry]) -> Self {
        let mut t = Self::default();
        for e in entries {
            t.add(e);
        }
        t
    }

    /// Counts `e` unless its reward id was counted; returns whether it was
    /// counted now. A zero delta is recorded as applied and changes nothing
    /// else (it reached no new score).
    pub fn add(&mut self, e: &ScoreEntry) -> bool {
        if !self.applied.insert(e.reward_id.clone()) {
            return false;
        }
        if e.delta != 0 {
            bump(&mut self.players, &e.player_id, e.delta, e.at_ms);
            if let Some(team) = &e.team_id {
                bump(&mut self.teams, team, e.delta, e.at_ms);
            }
        }
        true
    }

    /// Whether `reward_id` was counted.
    pub fn contains(&self, reward_id: &str) -> bool {
        self.applied.contains(reward_id)
    }

    /// The totals of `board`.
    pub fn totals(&self, board: Board) -> &HashMap<String, Total> {
        match board {
            Board::Players => &self.players,
            Board::Teams => &self.teams,
        }
    }

    /// The reward ids counted.
    pub fn applied(&self) -> impl Iterator<Item = &str> {
        self.applied.iter().map(String::as_str)
    }

    /// `board` in rank order.
    pub fn standings(&self, board: Board) -> Vec<Standing> {
        let mut keys: Vec<RankKey> = self
            .totals(board)
            .iter()
            .map(|(id, t)| RankKey::new(id, *t))
            .collect();
        keys.sort_unstable();
        keys.iter()
            .zip(1..)
            .map(|(k, rank)| k.standing(rank))
            .collect()
    }
}

fn bump(totals: &mut HashMap<String, Total>, id: &str, delta: i64, at_ms: i64) {
    let t = totals
        .entry(id.to_string())
        .or_insert(Total { score: 0, at_ms: 0 });
    t.score = add_score(t.score, delta);
    t.at_ms = t.at_ms.max(at_ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip_and_sort_earliest_last() {
        for at in [0, 1, 1_700_000_000_123, MAX_AT_MS] {
            let m = member("p|1", at);
            assert_eq!(parse_member(&m), Some(("p|1", at)));
        }
        // ZREVRANGE walks members in descending order: earlier first.
        assert!(member("a", 10) > member("a", 11));
        assert_eq!(parse_member("123|x"), None);
    }

    #[test]
    fn saturates() {
        assert_eq!(add_score(MAX_SCORE, 5), MAX_SCORE);
        assert_eq!(add_score(-MAX_SCORE, -MAX_SCORE), -MAX_SCORE);
        assert_eq!(add_score(MAX_SCORE, -1), MAX_SCORE - 1);
        // The Lua side works in doubles: they must agree at the edges.
        assert_eq!(MAX_SCORE as f64 as i64, MAX_SCORE);
    }
}
