//! The game state: lifecycle, board, release schedule and team progress
//! (including the wrong-answer rate limit).

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::{Lifecycle, Start};
use veltrix_sdk::pack::{Reader, Record, Roster, Writer};
use veltrix_sdk::{Effects, GameStatus, QuestUpdate, Rejection, Reward};

use crate::challenge::{Board, Lock, Mask, RateLimit, bit};

/// Everything the host stores between two actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Status, schedule and game-master adjustments.
    pub life: Lifecycle,
    /// Challenges and hints (fixed but for solve counts).
    pub board: Board,
    /// Challenges whose release time has passed (or that have none).
    pub released: Mask,
    /// Earliest release still to come (`i64::MAX` when none), so that most
    /// actions skip the release scan with one comparison.
    pub next_release_ms: i64,
    /// Teams, players and what each team has done.
    pub teams: Roster<Progress>,
}

/// What one team has done.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    /// Solved challenges.
    pub solved: Mask,
    /// Hints bought (global hint indexes).
    pub hints: Mask,
    /// Score in this game (what the team board shows).
    pub score: i64,
    /// Start of the current wrong-answer window.
    pub window_start_ms: i64,
    /// Wrong answers in the current window.
    pub wrong: u32,
    /// Attempts are refused until this time.
    pub cooldown_until_ms: i64,
}

impl Record for Progress {
    const SIZE: usize = 16 + 16 + 8 + 8 + 4 + 8;
    fn read(r: &mut Reader<'_>) -> Self {
        Progress {
            solved: r.u128(),
            hints: r.u128(),
            score: r.i64(),
            window_start_ms: r.i64(),
            wrong: r.u32(),
            cooldown_until_ms: r.i64(),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.u128(self.solved);
        w.u128(self.hints);
        w.i64(self.score);
        w.i64(self.window_start_ms);
        w.u32(self.wrong);
        w.i64(self.cooldown_until_ms);
    }
}

impl Progress {
    /// The end of the cooldown, if the team is cooling down at `now`.
    pub fn cooling(&self, now: i64) -> Option<i64> {
        (now < self.cooldown_until_ms).then_some(self.cooldown_until_ms)
    }

    /// Wrong answers the team may still give in its window at `now`.
    pub fn wrong_left(&self, now: i64, rate: &RateLimit) -> u32 {
        if self.window_open(now, rate) {
            rate.max_wrong - self.wrong
        } else {
            rate.max_wrong
        }
    }

    fn window_open(&self, now: i64, rate: &RateLimit) -> bool {
        self.wrong > 0 && now - self.window_start_ms < rate.window_ms
    }

    /// Counts a wrong answer at `now`. A fixed window opens at the first
    /// wrong answer; the `max_wrong`-th one inside it starts the cooldown
    /// (whose end is returned) and clears the window.
    pub fn record_wrong(&mut self, now: i64, rate: &RateLimit) -> Option<i64> {
        if !self.window_open(now, rate) {
            self.window_start_ms = now;
            self.wrong = 0;
        }
        self.wrong += 1;
        if self.wrong < rate.max_wrong {
            return None;
        }
        self.wrong = 0;
        self.cooldown_until_ms = now.saturating_add(rate.cooldown_ms);
        Some(self.cooldown_until_ms)
    }
}

impl State {
    /// The initial state of a game on `board` that starts as `start` says.
    pub fn new(board: Board, start: Start, ends_at_ms: Option<i64>) -> Self {
        let mut released = 0;
        let mut next = i64::MAX;
        for (i, c) in board.challenges.iter().enumerate() {
            match c.gate.at_ms {
                None => released |= bit(i),
                Some(t) => next = next.min(t),
            }
        }
        Self {
            life: Lifecycle::scheduled(start, ends_at_ms),
            board,
            released,
            next_release_ms: next,
            teams: Roster::default(),
        }
    }

    /// Releases every challenge whose time has come by `now`, with a
    /// `released` quest update for everybody. Only while the game runs or
    /// is paused: a waiting game releases at its start, a finished one never.
    pub fn release_due(&mut self, now: i64, fx: &mut Effects) {
        if now < self.next_release_ms
            || !matches!(self.life.status(), GameStatus::Running | GameStatus::Paused)
        {
            return;
        }
        let mut next = i64::MAX;
        for (i, c) in self.board.challenges.iter().enumerate() {
            let Some(t) = c.gate.at_ms else { continue };
            if self.released & bit(i) != 0 {
                continue;
            }
            if t > now {
                next = next.min(t);
                continue;
            }
            self.released |= bit(i);
            fx.quest_update(QuestUpdate {
                quest_id: self.board.id(i).to_string(),
                status: "released".into(),
                team: None,
                player: None,
                detail: format!(r#"{{"at_ms":{t},"value":{}}}"#, c.value_now()),
            });
        }
        self.next_release_ms = next;
    }

    /// Whether challenge `c` is open for a team that solved `solved`.
    pub fn gate(&self, c: usize, solved: Mask) -> Result<(), Lock> {
        self.board
            .get(c)
            .gate
            .check(self.released & bit(c) != 0, solved)
    }

    /// A player-facing explanation of a lock on challenge `c`.
    pub fn lock_message(&self, c: usize, lock: Lock) -> String {
        let id = self.board.id(c);
        match lock {
            Lock::Time(t) => format!("challenge `{id}` opens at {t} ms"),
            Lock::After(m) => format!("challenge `{id}` opens after {}", self.board.ids(m)),
            Lock::MinSolves(k) => format!("challenge `{id}` opens after {k} solves"),
        }
    }

    /// Books game-master grants and revocations (already minted by the
    /// lifecycle) into team scores, so that views match the team board: a
    /// reward with a team moves that team; one without moves the player's
    /// solo entry (a player in a team has no team-board change).
    pub fn credit(&mut self, rewards: &[Reward]) -> Result<(), Rejection> {
        for r in rewards {
            let t = match &r.team {
                Some(team) => self.teams.ensure_team(team, false)?,
                None if self.teams.is_player(&r.player) => match self.teams.team_of(&r.player) {
                    Some(t) if self.teams.is_solo(t) => t,
                    _ => continue,
                },
                None => self.teams.ensure_team(&r.player, true)?,
            };
            self.teams
                .update(t, |p| p.score = p.score.saturating_add(r.points));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_window_and_cooldown() {
        let rate = RateLimit {
            max_wrong: 3,
            window_ms: 60_000,
            cooldown_ms: 30_000,
        };
        let mut p = Progress::default();
        assert_eq!(p.wrong_left(0, &rate), 3);
        assert_eq!(p.record_wrong(1_000, &rate), None);
        assert_eq!(p.record_wrong(2_000, &rate), None);
        assert_eq!(p.wrong_left(3_000, &rate), 1);
        // The window expired: counting starts again.
        assert_eq!(p.wrong_left(61_000, &rate), 3);
        assert_eq!(p.record_wrong(61_000, &rate), None);
        assert_eq!(p.record_wrong(62_000, &rate), None);
        assert_eq!(p.record_wrong(63_000, &rate), Some(93_000));
        assert_eq!(p.cooling(92_999), Some(93_000));
        assert_eq!(p.cooling(93_000), None);
        assert_eq!(p.wrong_left(93_000, &rate), 3);
    }
}
