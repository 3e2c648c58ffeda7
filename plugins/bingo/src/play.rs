//! Player actions: `join` (get one's board) and `submit` (complete a cell).
//!
//! A team's board is drawn on the team's first action, whichever player
//! sends it: that action publishes the board (`board` / `drawn`, with the
//! task ids row-major). `join` exists so a player can see their board before
//! playing; it is allowed before the start and during a pause, since looking
//! at a board is not playing.
//!
//! `submit` checks, in order: payload, task exists, task is on the team's
//! board, the cell's standing (done, waiting for the judge), then the check
//! itself. Answers and check-ins complete the cell on the spot; evidence
//! waits for the judge.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use veltrix_sdk::prelude::*;
use veltrix_sdk::submission::{Entry, Outcome, evaluate};

use crate::scoring::{self, Credit};
use crate::state::{Mark, State};

/// Payload of `submit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// Task id (the cell is where the task sits on the team's board).
    pub task: String,
    /// The typed answer (answer tasks).
    #[serde(default)]
    pub answer: Option<String>,
    /// URL or upload id of the photo / video (evidence tasks).
    #[serde(default)]
    pub evidence: Option<String>,
}

/// Payload of `join`: nothing.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {}

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Registers the acting player with their team (drawing the team's board
/// if this is its first action). Returns the team index, the player index
/// and whether the player was already registered with that team.
fn enter(s: &mut State, a: &Action, fx: &mut Effects) -> (u32, u32, bool) {
    let (team, new) = s.ensure_team(a.scorer(), a.team.is_none());
    let known = s
        .player_ids
        .find(&a.player)
        .filter(|&p| s.player_team.get(p) == team)
        .map(|p| p as u32);
    let player = match known {
        Some(p) => p,
        None => s.ensure_player(&a.player, team),
    };
    if new {
        let tasks: Vec<&str> = s
            .board(team)
            .iter()
            .map(|&t| s.task_ids.get(t as usize))
            .collect();
        fx.quest(
            "board",
            "drawn",
            a,
            json!({ "size": s.rules.size, "tasks": tasks }),
        );
    }
    (team, player, known.is_some())
}

/// Applies `join`.
pub fn join(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let Join {} = a.payload()?;
    s.life.advance(a.timestamp_ms);
    if s.life.status() == GameStatus::Finished {
        return Err(reject(RejectionCode::GameOver, "the game is over"));
    }
    let (_, _, known) = enter(s, a, fx);
    if known {
        return Err(reject(
            RejectionCode::AlreadyDone,
            "you have already joined this board",
        ));
    }
    Ok(())
}

/// Applies `submit` from a player already admitted by the lifecycle.
pub fn submit(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let p: Submit = a.payload()?;
    let task = s
        .task_index(&p.task)
        .ok_or_else(|| reject(RejectionCode::NotFound, format!("no task `{}`", p.task)))?;
    let (team, by, _) = enter(s, a, fx);
    let cell = s
        .board(team)
        .iter()
        .position(|&t| t == task)
        .ok_or_else(|| {
            reject(
                RejectionCode::NotFound,
                format!("task `{}` is not on your board", p.task),
            )
        })? as u32;
    match s.mark(team, cell) {
        m if m.is_done() => {
            return Err(reject(
                RejectionCode::AlreadyDone,
                format!("cell `{}` is already complete", p.task),
            ));
        }
        Mark::Pending => {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("cell `{}` is waiting for the judge", p.task),
            ));
        }
        _ => {}
    }
    let t = s.task(task);
    let entry = Entry {
        answer: p.answer.as_deref(),
        evidence: p.evidence.as_deref(),
        location: a.location.as_ref(),
    };
    let what = format!("task `{}`", p.task);
    let check = match evaluate(&t.check, &s.answers, &entry, &what)? {
        Outcome::Evidence(ev) => {
            s.add_pending(team, cell, by);
            fx.quest(
                &p.task,
                "pending",
                a,
                json!({ "cell": cell, "evidence": ev }),
            );
            return Ok(());
        }
        accepted => accepted.check_name(),
    };
    let who = Credit {
        player: &a.player,
        team: a.team.as_deref(),
        index: team,
        key: a.scorer(),
    };
    let detail = json!({ "cell": cell, "check": check, "points": t.points });
    scoring::complete(s, a, who, cell, task, Mark::Accepted, t.points, detail, fx);
    Ok(())
}
