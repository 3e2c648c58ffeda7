//! `judge`: the game master approves or rejects pending evidence.
//!
//! Approving pays the submitting player (and their team) the mission value,
//! or a lower amount the judge chooses: the adjustment is capped at the
//! mission value and may go down to 0 (accepted, but worth nothing). A value
//! outside `0..=points` is refused rather than clamped, so a judge's typo is
//! never silently turned into a different score. Rejecting makes the mission
//! available to the team again (or expired, if its window has closed).
//!
//! Judging is allowed while the game runs or is paused, including after the
//! mission itself expired (the submission came in time); not once the game
//! is over, since final scores stand (the same rule as grants).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use veltrix_sdk::prelude::*;
use veltrix_sdk::submission::{Verdict, check_note, require_pending};

use crate::state::{State, Window};

/// Payload of `judge`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Judge {
    /// Mission id.
    pub mission: String,
    /// The team judged (the player id in a game without teams).
    pub team: String,
    /// The decision.
    #[schemars(with = "VerdictSchema")]
    pub verdict: Verdict,
    /// Points to award on approval (default: the mission value), from 0 to
    /// the mission value.
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
    /// Refuse it: the team may submit again.
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
    let idx = s.mission_index(&j.mission).ok_or_else(|| {
        reject(
            RejectionCode::NotFound,
            format!("no mission `{}`", j.mission),
        )
    })?;
    let m = s.mission(idx);
    let (value, window) = (m.points, m.window(a.timestamp_ms));
    let team = s
        .team_index(&j.team)
        .ok_or_else(|| reject(RejectionCode::NotFound, format!("no team `{}`", j.team)))?;
    require_pending(s.mark(team, idx), &j.team, &j.mission, || {
        format!(
            "mission `{}` is already accepted for `{}`",
            j.mission, j.team
        )
    })?;
    let solo = s.team(team).solo;
    let team_field = (!solo).then(|| j.team.clone());
    let verdict = j.verdict.mark();
    let points = j.verdict.points(j.points, value, "mission")?;
    let by = s.settle_pending(team, idx, verdict).ok_or_else(|| {
        Rejection::new(
            RejectionCode::InvalidState,
            "pending mark without submitter",
        )
    })?;
    let player = s.player_ids.get(by as usize).to_string();
    let update = |status: &str, detail: serde_json::Value| QuestUpdate {
        quest_id: j.mission.clone(),
        status: status.into(),
        team: team_field.clone(),
        player: Some(player.clone()),
        detail: detail.to_string(),
    };
    match j.verdict {
        Verdict::Approve => {
            s.add_score(team, points);
            if points > 0 {
                // Same key as an auto-accepted mission: one payout per team
                // per mission, whatever path it took.
                fx.award_to(
                    format!("mission:{}:{}", j.mission, j.team),
                    "points",
                    &player,
                    team_field.as_deref(),
                    points,
                    format!("mission {} (judged)", j.mission),
                    a.timestamp_ms,
                );
            }
            fx.quest_update(update(
                "approved",
                json!({ "points": points, "value": value, "note": j.note }),
            ));
        }
        Verdict::Reject => {
            fx.quest_update(update("rejected", json!({ "note": j.note })));
            let next = if window == Window::Expired {
                "expired"
            } else {
                "available"
            };
            fx.quest_update(update(next, json!({})));
        }
    }
    Ok(())
}
