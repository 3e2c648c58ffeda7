//! `judge`: the game master approves or rejects pending evidence on a cell.
//!
//! Same rules as the scavenger judge: approving pays the submitting player
//! (and their team) the task value or less (0 to the task value; a value
//! outside that range is refused, not clamped), completes the cell and may
//! complete lines or the board; rejecting opens the cell again. Judging is
//! allowed while the game runs or is paused, not once it is over.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use veltrix_sdk::prelude::*;
use veltrix_sdk::submission::{Verdict, check_note, require_pending};

use crate::scoring::{self, Credit};
use crate::state::{Mark, State};

/// Payload of `judge`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Judge {
    /// Task id.
    pub task: String,
    /// The team judged (the player id in a game without teams).
    pub team: String,
    /// The decision.
    #[schemars(with = "VerdictSchema")]
    pub verdict: Verdict,
    /// Points to award on approval (default: the task value), from 0 to the
    /// task value.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub points: Option<i64>,
    /// A note for the team.
    #[serde(default)]
    pub note: String,
}

/// The schema of [`Verdict`] (the SDK type has no `JsonSchema`).
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum VerdictSchema {
    /// Accept the evidence.
    Approve,
    /// Refuse it: the cell is open again.
    Reject,
}

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Applies a `judge` action (the caller checked the role).
pub fn judge(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    s.life.advance(a.timestamp_ms);
    if s.life.status() == GameStatus::Finished {
        return Err(reject(RejectionCode::GameOver, "the game is over"));
    }
    let j: Judge = a.payload()?;
    check_note(&j.note)?;
    let task = s
        .task_index(&j.task)
        .ok_or_else(|| reject(RejectionCode::NotFound, format!("no task `{}`", j.task)))?;
    let team = s
        .team_index(&j.team)
        .ok_or_else(|| reject(RejectionCode::NotFound, format!("no team `{}`", j.team)))?;
    let cell = s
        .board(team)
        .iter()
        .position(|&t| t == task)
        .ok_or_else(|| {
            reject(
                RejectionCode::NotFound,
                format!("task `{}` is not on the board of `{}`", j.task, j.team),
            )
        })? as u32;
    require_pending(s.mark(team, cell), &j.team, &j.task, || {
        format!("cell `{}` of `{}` is already complete", j.task, j.team)
    })?;
    let value = s.task(task).points;
    let verdict = j.verdict.mark();
    let points = j.verdict.points(j.points, value, "task")?;
    let by = s.settle_pending(team, cell, verdict).ok_or_else(|| {
        Rejection::new(
            RejectionCode::InvalidState,
            "pending cell without submitter",
        )
    })?;
    let player = s.player_ids.get(by as usize).to_string();
    let solo = s.team(team).solo;
    let who = Credit {
        player: &player,
        team: (!solo).then_some(j.team.as_str()),
        index: team,
        key: &j.team,
    };
    match j.verdict {
        Verdict::Approve => {
            let detail = json!({ "cell": cell, "points": points, "value": value, "note": j.note });
            scoring::complete(s, a, who, cell, task, Mark::Approved, points, detail, fx);
        }
        Verdict::Reject => {
            let update = |status: &str, detail: serde_json::Value| QuestUpdate {
                quest_id: j.task.clone(),
                status: status.into(),
                team: who.team.map(Into::into),
                player: Some(player.clone()),
                detail: detail.to_string(),
            };
            fx.quest_update(update("rejected", json!({ "cell": cell, "note": j.note })));
            fx.quest_update(update("available", json!({ "cell": cell })));
        }
    }
    Ok(())
}
