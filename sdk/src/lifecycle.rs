//! The game-master rules every game type shares: start, pause, resume, end,
//! grant and revoke points, and the scheduled start and end of a game.
//!
//! Embed a [`Lifecycle`] in your state, list [`Lifecycle::KINDS`] among your
//! action kinds, hand every action to [`Lifecycle::handle`] first and call
//! [`Lifecycle::admit`] before applying a player action.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::game::Effects;
use crate::types::{Action, GameStatus, Rejection, RejectionCode};

/// Reward type of game-master grants and revocations.
pub const ADJUSTMENT: &str = "adjustment";

/// Status and schedule of one game, plus the ids of grants already paid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    status: GameStatus,
    starts_at_ms: Option<i64>,
    ends_at_ms: Option<i64>,
    adjustments: BTreeSet<String>,
}

/// Payload of `grant` and `revoke`.
#[derive(Debug, Clone, Deserialize)]
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
    /// `ends_at_ms` (until the game master ends it, if `None`).
    pub fn new(starts_at_ms: Option<i64>, ends_at_ms: Option<i64>) -> Self {
        Self {
            status: if starts_at_ms.is_some() {
                GameStatus::Waiting
            } else {
                GameStatus::Running
            },
            starts_at_ms,
            ends_at_ms,
            adjustments: BTreeSet::new(),
        }
    }

    /// Current status (as of the last action applied).
    pub fn status(&self) -> GameStatus {
        self.status
    }

    /// Scheduled end, if any.
    pub fn ends_at_ms(&self) -> Option<i64> {
        self.ends_at_ms
    }

    /// Moves the status along the schedule to game time `now_ms`: a waiting
    /// game starts at its start time, a running or paused one finishes at its
    /// end time.
    pub fn advance(&mut self, now_ms: i64) {
        if self.status == GameStatus::Waiting && self.starts_at_ms.is_some_and(|s| now_ms >= s) {
            self.status = GameStatus::Running;
        }
        if self.status != GameStatus::Finished && self.ends_at_ms.is_some_and(|e| now_ms >= e) {
            self.status = GameStatus::Finished;
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
