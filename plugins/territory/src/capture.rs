//! The one player action: `capture` a control point.
//!
//! A point is neutral until a team checks in inside its zone (and, if the
//! point asks a question, answers it); it is then captured by that team. A
//! capture by another team steals it: the old holder's holding is settled,
//! it gets a `stolen` update, and the new holder a `captured` one. The
//! per-game action order decides who captured first, so a second capture by
//! the holder is `AlreadyDone`; an optional lock protects a fresh capture
//! for `lock_s` seconds.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use veltrix_sdk::util::{haversine_m, normalize_answer, within};
use veltrix_sdk::{Action, Effects, QuestUpdate, Rejection, RejectionCode};

use crate::holding;
use crate::state::{Holder, Point, State};

/// The player action kinds of a territory game.
pub const KINDS: [&str; 1] = ["capture"];

/// Reward type of capture points.
pub(crate) const POINTS: &str = "points";

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Payload of `capture`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Capture<'a> {
    /// Control point id.
    #[serde(borrow)]
    cp: Cow<'a, str>,
    /// Answer to the point's question, if it has one.
    #[serde(default, borrow)]
    answer: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct CapturedDetail<'a> {
    from: Option<&'a str>,
    capture: u32,
    points: u32,
}

#[derive(Serialize)]
struct StolenDetail<'a> {
    by: &'a str,
    capture: u32,
}

/// `capture {"cp", "answer"?}` with the action's location.
pub fn capture(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let p: Capture<'_> = serde_json::from_str(&a.payload).map_err(|e| {
        reject(
            RejectionCode::InvalidPayload,
            format!("payload of `capture`: {e}"),
        )
    })?;
    let cp = p.cp.as_ref();
    let i = s.point_ids.find(cp).ok_or_else(|| {
        reject(
            RejectionCode::NotFound,
            format!("no control point `{cp}` in this game"),
        )
    })?;
    let (team, _) = s.identify(a)?;
    let mut pt = s.points.get(i);
    check_holder(s, &pt, team, cp, a.timestamp_ms)?;
    check_zone(&pt, a)?;
    if !pt.answers.is_empty() {
        let Some(answer) = p.answer.as_deref() else {
            return Err(reject(
                RejectionCode::InvalidPayload,
                format!("`{cp}` asks a question: send an `answer`"),
            ));
        };
        let answer = normalize_answer(answer);
        if !s.text.span(pt.answers).any(|x| x == answer) {
            return Err(reject(RejectionCode::Incorrect, "wrong answer"));
        }
    }

    // Accepted: the old holder is paid up to now, then the point changes hands.
    let now = a.timestamp_ms;
    let (team, player) = s.register(a);
    let from = pt.holder.map(|h| usize::from(h.team));
    if from.is_some() {
        let clock = s.holding_clock(now);
        holding::settle(s, i, clock, fx);
        pt = s.points.get(i);
    }
    pt.captures += 1;
    pt.holder = Some(Holder {
        team: team as u16,
        player: player as u16,
        captured_ms: now,
        settled_ms: now,
    });
    s.points.set(i, &pt);
    let team_id = a.scorer();
    if let Some(old) = from {
        let detail = StolenDetail {
            by: team_id,
            capture: pt.captures,
        };
        fx.quest_update(QuestUpdate {
            quest_id: cp.to_string(),
            status: "stolen".into(),
            team: Some(s.team_ids.get(old).to_string()),
            player: Some(a.player.clone()),
            detail: serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
        });
    }
    if pt.capture_points > 0 {
        let points = i64::from(pt.capture_points);
        let at = s.score(team, points, now);
        // The n-th change of hands of a point is a fact of the game: a
        // replay of this capture maps to the same key.
        fx.award_to(
            format!("capture/{cp}/{}/{team_id}", pt.captures),
            POINTS,
            &a.player,
            Some(team_id),
            points,
            format!("captured {cp}"),
            at,
        );
    }
    let detail = CapturedDetail {
        from: from.map(|t| s.team_ids.get(t)),
        capture: pt.captures,
        points: pt.capture_points,
    };
    fx.quest(cp, "captured", a, detail);
    Ok(())
}

/// The holder cannot capture again, and nobody can take a locked point.
fn check_holder(
    s: &State,
    pt: &Point,
    team: Option<usize>,
    cp: &str,
    now_ms: i64,
) -> Result<(), Rejection> {
    let Some(h) = pt.holder else {
        return Ok(());
    };
    if team == Some(usize::from(h.team)) {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("your team already holds `{cp}`"),
        ));
    }
    let unlocks = h.captured_ms.saturating_add(s.rules.lock_ms);
    if now_ms < unlocks {
        let secs = (unlocks - now_ms + 999) / 1_000;
        return Err(reject(
            RejectionCode::NotAllowedNow,
            format!(
                "`{cp}` was just captured by `{}`: locked for {secs} s more",
                s.team_ids.get(usize::from(h.team))
            ),
        ));
    }
    Ok(())
}

/// The action's location must lie in the point's zone, accurately enough.
fn check_zone(pt: &Point, a: &Action) -> Result<(), Rejection> {
    let Some(fix) = a.location else {
        return Err(reject(
            RejectionCode::InvalidPayload,
            "capturing needs a device location",
        ));
    };
    let radius = f64::from(pt.radius_m);
    if within(&fix, pt.lat, pt.lon, radius, pt.max_accuracy_m) {
        return Ok(());
    }
    let acc = fix.accuracy_m;
    let msg = if !(acc.is_finite() && acc >= 0.0 && acc <= pt.max_accuracy_m) {
        format!(
            "location accuracy {acc:.0} m is not good enough (need {:.0} m or better)",
            pt.max_accuracy_m
        )
    } else {
        let d = haversine_m(fix.lat, fix.lon, pt.lat, pt.lon);
        format!("you are {d:.0} m from the control point (must be within {radius:.0} m)")
    };
    Err(reject(RejectionCode::Incorrect, msg))
}
