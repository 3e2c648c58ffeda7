//! The game state, and the clock-driven part of the rules: rounds going
//! live at their start and closing at their end (or when the game ends).

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::{Lifecycle, Start};
use veltrix_sdk::pack::{Reader, Record, Roster, Writer};
use veltrix_sdk::{GameStatus, Rejection, Reward};

use crate::config::Settings;
use crate::round::Round;

/// Most rounds open (or scheduled) at once.
pub const MAX_OPEN_ROUNDS: usize = 4;

/// Everything the host stores between two actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Status, schedule and game-master adjustments.
    pub life: Lifecycle,
    /// What every round shares.
    pub settings: Settings,
    /// Lowest number a new round may take: every lower one was played.
    pub next_round: u32,
    /// Open and scheduled rounds, in the order they were opened.
    pub rounds: Vec<Round>,
    /// Teams, players and team scores.
    pub teams: Roster<TeamScore>,
}

/// A team's score in the game (what its view shows).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TeamScore(pub i64);

impl Record for TeamScore {
    const SIZE: usize = 8;
    fn read(r: &mut Reader<'_>) -> Self {
        TeamScore(r.i64())
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.i64(self.0);
    }
}

impl State {
    /// The initial state of a game that starts as `start` says.
    pub fn new(settings: Settings, start: Start, ends_at_ms: Option<i64>) -> Self {
        Self {
            life: Lifecycle::scheduled(start, ends_at_ms),
            settings,
            next_round: 1,
            rounds: Vec::new(),
            teams: Roster::default(),
        }
    }

    /// Index of open round `number`.
    pub fn round(&self, number: u32) -> Option<usize> {
        self.rounds.iter().position(|r| r.number == number)
    }

    /// When the game stopped, if it is over: the scheduled end if that has
    /// passed by `now`, else `now` (the game master ended it).
    pub(crate) fn game_end(&self, now: i64) -> Option<i64> {
        (self.life.status() == GameStatus::Finished)
            .then(|| self.life.ends_at_ms().filter(|&e| e <= now).unwrap_or(now))
    }

    /// When round `r` stops by itself: at its window's end, or at the
    /// game's end if that came first.
    pub(crate) fn stop(r: &Round, game_end: Option<i64>) -> i64 {
        game_end.map_or(r.end_ms, |e| e.min(r.end_ms))
    }

    /// When round `r` stops if closed at `now`: now, or its window's end, or
    /// the game's end, whichever came first.
    pub fn close_time(&self, r: &Round, now: i64) -> i64 {
        Self::stop(r, self.game_end(now)).min(now)
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
            self.teams.update(t, |s| s.0 = s.0.saturating_add(r.points));
        }
        Ok(())
    }
}
