//! `submit`: a player hands in a mission.
//!
//! Order of checks (the first failure is the rejection): payload, mission
//! exists, mission window (hidden / expired), the team's standing (already
//! accepted, waiting for the judge), then the check itself. Answers and
//! check-ins are accepted on the spot; evidence goes to `pending` for the
//! judge. "Submitted" is never stored: it resolves within the same apply.

use serde::Deserialize;
use serde_json::json;
use veltrix_sdk::prelude::*;

use crate::state::{Check, SlotStatus, State, Window};

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
    let m = &s.missions[idx];
    match m.window(a.timestamp_ms) {
        Window::Hidden => {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("mission `{}` is not available yet", m.id),
            ));
        }
        Window::Expired => {
            return Err(reject(
                RejectionCode::OutOfWindow,
                format!("mission `{}` has expired", m.id),
            ));
        }
        Window::Open => {}
    }
    let key = a.scorer();
    let slot = s.team(key).and_then(|t| t.slot(idx as u16));
    match slot {
        Some(st) if st.is_done() => {
            return Err(reject(
                RejectionCode::AlreadyDone,
                format!("mission `{}` is already accepted for your team", m.id),
            ));
        }
        Some(SlotStatus::Pending { .. }) => {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("mission `{}` is waiting for the judge", m.id),
            ));
        }
        _ => {}
    }
    let outcome = match &m.check {
        Check::Answer(accepted) => {
            let answer = p.answer.as_deref().ok_or_else(|| {
                reject(
                    RejectionCode::InvalidPayload,
                    format!("mission `{}` needs an `answer`", m.id),
                )
            })?;
            if answer.len() > MAX_ANSWER_LEN {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    format!("answer longer than {MAX_ANSWER_LEN} bytes"),
                ));
            }
            if !answer_matches(answer, accepted) {
                return Err(reject(RejectionCode::Incorrect, "that is not the answer"));
            }
            json!({ "check": "answer", "points": m.points })
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
                    format!("mission `{}` is a check-in: send the device location", m.id),
                )
            })?;
            if !within(fix, *lat, *lon, *radius_m, *max_accuracy_m) {
                // Say which part failed, so the player knows whether to wait
                // for a better fix or to walk.
                let accurate = fix.accuracy_m.is_finite()
                    && fix.accuracy_m >= 0.0
                    && fix.accuracy_m <= *max_accuracy_m;
                let msg = if accurate {
                    "you are not inside the check-in zone".to_string()
                } else {
                    format!("location accuracy must be {max_accuracy_m} m or better")
                };
                return Err(reject(RejectionCode::Incorrect, msg));
            }
            json!({ "check": "gps", "points": m.points })
        }
        Check::Evidence => {
            let ev = p.evidence.as_deref().unwrap_or("");
            if ev.trim().is_empty() || ev.len() > MAX_EVIDENCE_LEN {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    format!(
                        "mission `{}` needs `evidence` (a photo or video reference of 1 to {MAX_EVIDENCE_LEN} bytes)",
                        m.id
                    ),
                ));
            }
            // The reference travels on the quest stream for the judge; the
            // state keeps only who submitted and when.
            let detail = json!({ "evidence": ev });
            let id = m.id.clone();
            let team = s.team_mut(key, a.team.is_none());
            team.add_member(&a.player);
            team.set_slot(
                idx as u16,
                SlotStatus::Pending {
                    by: a.player.clone(),
                    at_ms: a.timestamp_ms,
                },
            );
            fx.quest(id, "pending", a, detail);
            return Ok(());
        }
    };
    let (id, points) = (m.id.clone(), m.points);
    // The reward key names the fact (this mission, this team), never the
    // attempt: one accepted submission per team per mission, replay-safe.
    fx.award(
        a,
        format!("mission:{id}:{key}"),
        "points",
        points,
        format!("mission {id}"),
    );
    let team = s.team_mut(key, a.team.is_none());
    team.add_member(&a.player);
    team.score += points;
    team.set_slot(idx as u16, SlotStatus::Accepted { points });
    fx.quest(id, "accepted", a, outcome);
    Ok(())
}
