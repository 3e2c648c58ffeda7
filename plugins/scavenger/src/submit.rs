//! `submit`: a player hands in a mission.
//!
//! Order of checks (the first failure is the rejection): payload, mission
//! exists, mission window (hidden / expired), the team's standing (already
//! accepted, waiting for the judge), then the check itself. Answers and
//! check-ins are accepted on the spot; evidence goes to `pending` for the
//! judge. "Submitted" is never stored: it resolves within the same apply.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use veltrix_sdk::prelude::*;
use veltrix_sdk::submission::{Entry, Outcome, evaluate};

use crate::state::{Mark, State, Window};

/// Payload of `submit`.
#[derive(Debug, Deserialize, JsonSchema)]
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
    let entry = Entry {
        answer: p.answer.as_deref(),
        evidence: p.evidence.as_deref(),
        location: a.location.as_ref(),
    };
    let what = format!("mission `{}`", p.mission);
    let check = match evaluate(&m.check, &s.answers, &entry, &what)? {
        Outcome::Evidence(ev) => {
            // The reference travels on the quest stream for the judge; the
            // state keeps only who submitted and when.
            let team = s.ensure_team(key, a.team.is_none());
            let by = s.ensure_player(&a.player, team);
            s.add_pending(team, idx, by);
            fx.quest(&p.mission, "pending", a, json!({ "evidence": ev }));
            return Ok(());
        }
        accepted => accepted.check_name(),
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
