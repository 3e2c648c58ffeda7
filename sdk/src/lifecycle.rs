//! The game-master rules every game type shares: start, pause, resume, end,
//! grant and revoke points, and the scheduled start and end of a game.
//!
//! Embed a [`Lifecycle`] in your state, declare its kinds with
//! [`crate::Contract::with_lifecycle`], hand every action to
//! [`Lifecycle::handle`] first and call [`Lifecycle::admit`] before applying
//! a player action.
//!
//! A game starts now, at a time, or when the game master sends `start`
//! ([`Start`]). Timed rules read the game's own clock, which stands still
//! while the game is paused:
//!
//! ```
//! use veltrix_sdk::lifecycle::{Lifecycle, Start};
//! use veltrix_sdk::prelude::*;
//!
//! let mut life = Lifecycle::scheduled(Start::GameMaster, None);
//! let mut fx = Effects::default();
//! let gm = |kind: &str, t: i64| Action::new("gm", kind, t).as_game_master();
//! assert!(life.admit(&Action::new("ann", "answer", 1_000)).is_err()); // waiting
//! life.handle(&gm("start", 10_000), &mut fx).unwrap().unwrap();
//! life.handle(&gm("pause", 70_000), &mut fx).unwrap().unwrap();
//! life.handle(&gm("resume", 100_000), &mut fx).unwrap().unwrap();
//! assert_eq!(life.started_at_ms(), Some(10_000));
//! assert_eq!(life.paused_ms(130_000), 30_000);
//! // "Answers after 90 s of play score half": one line.
//! assert_eq!(life.played_ms(130_000), Some(90_000));
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::game::Effects;
use crate::types::{Action, GameStatus, Rejection, RejectionCode};

/// Reward type of game-master grants and revocations.
pub const ADJUSTMENT: &str = "adjustment";

/// When a game starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Start {
    /// With the first action it sees.
    Now,
    /// At this game time (ms since the epoch); the game master may start it
    /// earlier.
    At(i64),
    /// When the game master sends `start` (the game waits until then).
    GameMaster,
}

/// Status and schedule of one game, its own clock (when it started, how
/// long it was paused), plus the ids of grants already paid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    status: GameStatus,
    starts_at_ms: Option<i64>,
    ends_at_ms: Option<i64>,
    adjustments: BTreeSet<String>,
    /// Waits for the game master's `start` (no scheduled start).
    manual_start: bool,
    started_at_ms: Option<i64>,
    paused_since_ms: Option<i64>,
    paused_total_ms: i64,
}

/// Payload of `grant` and `revoke`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Unique id chosen by the game master; the reward key derives from it,
    /// so the same grant submitted twice pays once.
    pub id: String,
    /// Player credited (or debited).
    pub player: String,
    /// Their team, if any.
    #[serde(default)]
    pub team: Option<String>,
    /// Points, strictly positive (a revoke removes them).
    #[schemars(range(min = 1))]
    pub points: i64,
    /// Why, for the wallet history.
    #[serde(default)]
    pub reason: String,
}

impl Lifecycle {
    /// The action kinds this module handles.
    pub const KINDS: [&'static str; 7] =
        ["start", "pause", "resume", "end", "grant", "revoke", "tick"];

    /// A game that runs from `starts_at_ms` (now, if `None`) until
    /// `ends_at_ms` (until the game master ends it, if `None`). See
    /// [`Lifecycle::scheduled`] for a game that waits for the game master.
    pub fn new(starts_at_ms: Option<i64>, ends_at_ms: Option<i64>) -> Self {
        Self::scheduled(starts_at_ms.map_or(Start::Now, Start::At), ends_at_ms)
    }

    /// A game that starts as `start` says and runs until `ends_at_ms` (until
    /// the game master ends it, if `None`).
    pub fn scheduled(start: Start, ends_at_ms: Option<i64>) -> Self {
        let (status, starts_at_ms) = match start {
            Start::Now => (GameStatus::Running, None),
            Start::At(t) => (GameStatus::Waiting, Some(t)),
            Start::GameMaster => (GameStatus::Waiting, None),
        };
        Self {
            status,
            starts_at_ms,
            ends_at_ms,
            manual_start: start == Start::GameMaster,
            ..Self::default()
        }
    }

    /// The start a config asks for: the game master's `start` when
    /// `wait_for_start`, else `starts_at_ms` (now, if `None`).
    pub fn start_of(starts_at_ms: Option<i64>, wait_for_start: bool) -> Start {
        match (wait_for_start, starts_at_ms) {
            (true, _) => Start::GameMaster,
            (false, Some(t)) => Start::At(t),
            (false, None) => Start::Now,
        }
    }

    /// Current status (as of the last action applied).
    pub fn status(&self) -> GameStatus {
        self.status
    }

    /// When the game started (game time), once it has: its scheduled start,
    /// the game master's `start`, or the first action of a game that
    /// started at once.
    pub fn started_at_ms(&self) -> Option<i64> {
        self.started_at_ms
    }

    /// How long the game has been paused in total, up to `now_ms`
    /// (including a pause still going on).
    pub fn paused_ms(&self, now_ms: i64) -> i64 {
        self.paused_total_ms
            + self
                .paused_since_ms
                .map_or(0, |since| (now_ms - since).max(0))
    }

    /// How long the game has been played at `now_ms`: time since its start
    /// less the time paused (`None` before it starts). The clock of timed
    /// rules ("the first 10 minutes", "a 90-second round").
    pub fn played_ms(&self, now_ms: i64) -> Option<i64> {
        self.started_at_ms
            .map(|s| (now_ms - s - self.paused_ms(now_ms)).max(0))
    }

    /// Scheduled end, if any.
    pub fn ends_at_ms(&self) -> Option<i64> {
        self.ends_at_ms
    }

    /// Moves the status along the schedule to game time `now_ms`: a waiting
    /// game starts at its start time, a running or paused one finishes at its
    /// end time.
    pub fn advance(&mut self, now_ms: i64) {
        if self.status == GameStatus::Waiting
            && let Some(s) = self.starts_at_ms.filter(|s| now_ms >= *s)
        {
            self.status = GameStatus::Running;
            self.started_at_ms = Some(s);
        }
        if self.status == GameStatus::Running && self.started_at_ms.is_none() {
            self.started_at_ms = Some(now_ms);
        }
        if self.status != GameStatus::Finished
            && let Some(e) = self.ends_at_ms.filter(|e| now_ms >= *e)
        {
            self.close_pause(e);
            self.status = GameStatus::Finished;
        }
    }

    fn close_pause(&mut self, at_ms: i64) {
        if let Some(since) = self.paused_since_ms.take() {
            self.paused_total_ms += (at_ms - since).max(0);
        }
    }

    /// Admits a player action at its timestamp, or says why not.
    pub fn admit(&mut self, a: &Action) -> Result<(), Rejection> {
        self.advance(a.timestamp_ms);
        match self.status {
            GameStatus::Running => Ok(()),
            GameStatus::Waiting => Err(Rejection::new(
                RejectionCode::NotAllowedNow,
                "the game has not started",
            )),
            GameStatus::Paused => Err(Rejection::new(
                RejectionCode::NotAllowedNow,
                "the game is paused",
            )),
            GameStatus::Finished => {
                Err(Rejection::new(RejectionCode::GameOver, "the game is over"))
            }
        }
    }

    /// Handles a lifecycle action. Returns `None` when `a.kind` is not one of
    /// [`Lifecycle::KINDS`], so the game type applies it itself.
    pub fn handle(&mut self, a: &Action, fx: &mut Effects) -> Option<Result<(), Rejection>> {
        if !Self::KINDS.contains(&a.kind.as_str()) {
            return None;
        }
        Some(self.handle_known(a, fx))
    }

    fn handle_known(&mut self, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        a.require_game_master()?;
        self.advance(a.timestamp_ms);
        let over = || Rejection::new(RejectionCode::GameOver, "the game is over");
        let next = match (a.kind.as_str(), self.status) {
            ("tick", _) => self.status,
            ("start", GameStatus::Waiting) => GameStatus::Running,
            ("pause", GameStatus::Running) => GameStatus::Paused,
            ("resume", GameStatus::Paused) => GameStatus::Running,
            ("end", s) if s != GameStatus::Finished => GameStatus::Finished,
            ("grant" | "revoke", GameStatus::Finished) => return Err(over()),
            ("grant" | "revoke", _) => return self.adjust(a, fx),
            (_, GameStatus::Finished) => return Err(over()),
            (kind, s) => {
                return Err(Rejection::new(
                    RejectionCode::NotAllowedNow,
                    format!("cannot `{kind}` a game that is {s:?}"),
                ));
            }
        };
        if next != self.status {
            match (self.status, next) {
                (GameStatus::Waiting, GameStatus::Running) => {
                    self.started_at_ms = Some(a.timestamp_ms);
                }
                (_, GameStatus::Paused) => self.paused_since_ms = Some(a.timestamp_ms),
                (GameStatus::Paused, _) => self.close_pause(a.timestamp_ms),
                _ => {}
            }
            self.status = next;
            fx.quest(
                "game",
                format!("{next:?}").to_lowercase(),
                a,
                serde_json::json!({}),
            );
        }
        Ok(())
    }

    fn adjust(&mut self, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
        let adj: Adjustment = a.payload()?;
        if adj.points <= 0 {
            return Err(Rejection::new(
                RejectionCode::InvalidPayload,
                "points must be positive",
            ));
        }
        let key = format!("{}:{}", a.kind, adj.id);
        if !self.adjustments.insert(key.clone()) {
            return Err(Rejection::new(
                RejectionCode::AlreadyDone,
                format!("`{key}` already applied"),
            ));
        }
        let points = if a.kind == "grant" {
            adj.points
        } else {
            -adj.points
        };
        fx.award_to(
            key,
            ADJUSTMENT,
            &adj.player,
            adj.team.as_deref(),
            points,
            adj.reason,
            a.timestamp_ms,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gm(kind: &str, t: i64) -> Action {
        Action::new("gm", kind, t).as_game_master()
    }

    #[test]
    fn schedule_and_pause() {
        let mut l = Lifecycle::new(Some(100), Some(1_000));
        let mut fx = Effects::default();
        assert_eq!(
            l.admit(&Action::new("p", "x", 50)).unwrap_err().code,
            RejectionCode::NotAllowedNow
        );
        assert!(l.admit(&Action::new("p", "x", 100)).is_ok());
        l.handle(&gm("pause", 200), &mut fx).unwrap().unwrap();
        assert_eq!(
            l.admit(&Action::new("p", "x", 300)).unwrap_err().code,
            RejectionCode::NotAllowedNow
        );
        assert_eq!(
            l.handle(&gm("pause", 300), &mut fx)
                .unwrap()
                .unwrap_err()
                .code,
            RejectionCode::NotAllowedNow
        );
        l.handle(&gm("resume", 400), &mut fx).unwrap().unwrap();
        assert!(l.admit(&Action::new("p", "x", 500)).is_ok());
        assert_eq!(
            l.admit(&Action::new("p", "x", 1_000)).unwrap_err().code,
            RejectionCode::GameOver
        );
        assert_eq!(l.status(), GameStatus::Finished);
        assert_eq!(fx.quest_updates().len(), 2);
    }

    #[test]
    fn a_game_can_wait_for_the_game_master_and_keeps_its_own_clock() {
        let mut l = Lifecycle::scheduled(Start::GameMaster, None);
        let mut fx = Effects::default();
        // No scheduled time starts it: only the game master does.
        for t in [0, 1_000_000, i64::MAX / 2] {
            assert_eq!(
                l.admit(&Action::new("p", "x", t)).unwrap_err().code,
                RejectionCode::NotAllowedNow
            );
        }
        assert_eq!(l.played_ms(5_000), None);
        l.handle(&gm("start", 10_000), &mut fx).unwrap().unwrap();
        assert_eq!(l.started_at_ms(), Some(10_000));
        assert_eq!(l.played_ms(15_000), Some(5_000));
        l.handle(&gm("pause", 20_000), &mut fx).unwrap().unwrap();
        // The game clock stands still while paused.
        assert_eq!(l.played_ms(50_000), Some(10_000));
        assert_eq!(l.paused_ms(50_000), 30_000);
        l.handle(&gm("resume", 60_000), &mut fx).unwrap().unwrap();
        assert_eq!(l.played_ms(70_000), Some(20_000));
        l.handle(&gm("end", 80_000), &mut fx).unwrap().unwrap();
        assert_eq!(l.status(), GameStatus::Finished);
        assert_eq!(l.paused_ms(1_000_000), 40_000);
    }

    #[test]
    fn scheduled_and_immediate_starts_record_when_they_started() {
        let mut l = Lifecycle::new(Some(100), None);
        assert!(l.admit(&Action::new("p", "x", 150)).is_ok());
        assert_eq!(l.started_at_ms(), Some(100));
        let mut now = Lifecycle::new(None, None);
        assert!(now.admit(&Action::new("p", "x", 42)).is_ok());
        assert_eq!(now.started_at_ms(), Some(42));
        assert_eq!(Lifecycle::start_of(Some(5), true), Start::GameMaster);
        assert_eq!(Lifecycle::start_of(Some(5), false), Start::At(5));
        assert_eq!(Lifecycle::start_of(None, false), Start::Now);
    }

    #[test]
    fn players_cannot_run_the_game() {
        let mut l = Lifecycle::new(None, None);
        let mut fx = Effects::default();
        let r = l.handle(&Action::new("p", "end", 1), &mut fx).unwrap();
        assert_eq!(r.unwrap_err().code, RejectionCode::Forbidden);
        assert!(l.handle(&Action::new("p", "answer", 1), &mut fx).is_none());
    }

    #[test]
    fn grant_and_revoke_pay_once_and_revoke_is_negative() {
        let mut l = Lifecycle::new(None, None);
        let mut fx = Effects::default();
        let g = gm("grant", 10)
            .with_payload(serde_json::json!({"id": "g1", "player": "p", "team": "t", "points": 5}));
        l.handle(&g, &mut fx).unwrap().unwrap();
        assert_eq!(
            l.handle(&g, &mut fx).unwrap().unwrap_err().code,
            RejectionCode::AlreadyDone
        );
        let r = gm("revoke", 11)
            .with_payload(serde_json::json!({"id": "g1", "player": "p", "points": 2}));
        l.handle(&r, &mut fx).unwrap().unwrap();
        let pts: Vec<i64> = fx.rewards().iter().map(|r| r.points).collect();
        assert_eq!(pts, vec![5, -2]);
        let bad = gm("grant", 12)
            .with_payload(serde_json::json!({"id": "g2", "player": "p", "points": -1}));
        assert_eq!(
            l.handle(&bad, &mut fx).unwrap().unwrap_err().code,
            RejectionCode::InvalidPayload
        );
    }
}
