//! `submit`: a player hands in a mission.
//!
//! Order of checks (the first failure is the rejection): payload, mission
//! exists, mission window (hidden / expired), the team's standing (already
//! accepted, waiting for the judge), then the check itself. Answers and
//! check-ins are accepted on the spot; evidence goes to `pending` for the
//! judge. "Submitted" is never stored: it resolves within the same apply.

use serde::Deserialize;
use serde_json::json;
use veltrix_sdk::pack::Span;
use veltrix_sdk::prelude::*;

use crate::state::{Check, Mark, State, Window};

/// Longest typed answer accepted (normalising is linear in its length).
pub const MAX_ANSWER_LEN: usize = 500;
/// Longest evidence reference (URL or upload id) accepted.
pub const MAX_EVIDENCE_LEN: usize = 512;

/// Payload of `submit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// Mission id.
    pub mission: String,
    /// The typed answer (answer missions).
    #[serde(default)]
    pub answer: Option<String>,
    /// URL or upload id of the photo / video (evidence missions).
    #[serde(default)]
    pub evidence: Option<String>,
}

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Applies a `submit` from a player already admitted by the lifecycle.
pub fn submit(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let p: Submit = a.payload()?;
    let idx = s.mission_index(&p.mission).ok_or_else(|| {
        reject(
            RejectionCode::NotFound,
            format!("no mission `{}`", p.mission),
        )
    })?;
    let m = s.mission(idx);
    match m.window(a.timestamp_ms) {
        Window::Hidden => {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("mission `{}` is not available yet", p.mission),
            ));
        }
        Window::Expired => {
            return Err(reject(
                RejectionCode::OutOfWindow,
                format!("mission `{}` has expired", p.mission),
            ));
        }
        Window::Open => {}
    }
    let key = a.scorer();
    match s.team_index(key).map(|t| s.mark(t, idx)) {
        Some(mark) if mark.is_done() => {
            return Err(reject(
                RejectionCode::AlreadyDone,
                format!("mission `{}` is already accepted for your team", p.mission),
            ));
        }
        Some(Mark::Pending) => {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("mission `{}` is waiting for the judge", p.mission),
            ));
        }
        _ => {}
    }
    let check = match m.check {
        Check::Answer { first, count } => {
            let answer = p.answer.as_deref().ok_or_else(|| {
                reject(
                    RejectionCode::InvalidPayload,
                    format!("mission `{}` needs an `answer`", p.mission),
                )
            })?;
            if answer.len() > MAX_ANSWER_LEN {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    format!("answer longer than {MAX_ANSWER_LEN} bytes"),
                ));
            }
            // The accepted answers were normalised by the same function at
            // init, so this is `answer_matches` without re-normalising them.
            let typed = normalize_answer(answer);
            if !s
                .answers
                .span(Span { first, len: count })
                .any(|x| x == typed)
            {
                return Err(reject(RejectionCode::Incorrect, "that is not the answer"));
            }
            "answer"
        }
        Check::Gps {
            lat,
            lon,
            radius_m,
            max_accuracy_m,
        } => {
            let fix = a.location.as_ref().ok_or_else(|| {
                reject(
                    RejectionCode::InvalidPayload,
                    format!(
                        "mission `{}` is a check-in: send the device location",
                        p.mission
                    ),
                )
            })?;
            if !within(fix, lat, lon, radius_m, max_accuracy_m) {
                // Say which part failed, so the player knows whether to wait
                // for a better fix or to walk.
                let accurate = fix.accuracy_m.is_finite()
                    && fix.accuracy_m >= 0.0
                    && fix.accuracy_m <= max_accuracy_m;
                let msg = if accurate {
                    "you are not inside the check-in zone".to_string()
                } else {
                    format!("location accuracy must be {max_accuracy_m} m or better")
                };
                return Err(reject(RejectionCode::Incorrect, msg));
            }
            "gps"
        }
        Check::Evidence => {
            let ev = p.evidence.as_deref().unwrap_or("");
            if ev.trim().is_empty() || ev.len() > MAX_EVIDENCE_LEN {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    format!(
                        "mission `{}` needs `evidence` (a photo or video reference of 1 to {MAX_EVIDENCE_LEN} bytes)",
                        p.mission
                    ),
                ));
            }
            // The reference travels on the quest stream for the judge; the
            // state keeps only who submitted and when.
            let team = s.ensure_team(key, a.team.is_none());
            let by = s.ensure_player(&a.player, team);
            s.add_pending(team, idx, by);
            fx.quest(p.mission, "pending", a, json!({ "evidence": ev }));
            return Ok(());
        }
    };
    let points = m.points;
    // The reward key names the fact (this mission, this team), never the
    // attempt: one accepted submission per team per mission, replay-safe.
    fx.award(
        a,
        format!("mission:{}:{key}", p.mission),
        "points",
        points,
        format!("mission {}", p.mission),
    );
    let team = s.ensure_team(key, a.team.is_none());
    s.ensure_player(&a.player, team);
    s.add_score(team, points);
    s.set_mark(team, idx, Mark::Accepted);
    fx.quest(
        p.mission,
        "accepted",
        a,
        json!({ "check": check, "points": points }),
    );
    Ok(())
}
