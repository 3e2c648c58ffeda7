//! Moving a team along the trail: completing a step (its points), ending a
//! run (the finish bonus), starting the next one, and the quest updates that
//! publish each move. Rewards carry the team's ranking time as `at_ms` (see
//! [`State::rank_at_ms`]).

use serde::Serialize;
use veltrix_sdk::{Action, Effects};

use crate::state::{State, Team};
use crate::turn::Turn;

/// Reward type of step points.
pub(crate) const POINTS: &str = "points";
/// Reward type of the finish bonus.
pub(crate) const BONUS: &str = "bonus";

/// Quest detail of step updates.
#[derive(Serialize)]
pub(crate) struct StepDetail<'a> {
    /// Run of the trail (0-based).
    pub lap: u32,
    /// How the team checked in (`gps` or `qr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'a str>,
    /// Points paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Time penalty added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty_ms: Option<i64>,
}

/// Quest detail of hint updates.
#[derive(Serialize)]
pub(crate) struct HintDetail<'a> {
    /// Index of the hint.
    pub hint: u8,
    /// Its text.
    pub text: &'a str,
    /// Time penalty added.
    pub penalty_ms: i64,
}

/// Quest detail of the team's `trail` quest.
#[derive(Serialize)]
pub(crate) struct TrailDetail {
    lap: u32,
    points: i64,
    elapsed_ms: i64,
}

/// The step is done: pay its points and move on.
pub(crate) fn complete(s: &State, a: &Action, fx: &mut Effects, turn: &mut Turn) {
    let points = turn.st.points;
    let id = s.step_ids.get(turn.step);
    let t = &mut turn.t;
    t.last_ms = a.timestamp_ms;
    let lap = t.lap;
    if points > 0 {
        t.points += i64::from(points);
        // One reward per (team, run, step): a fact, not an attempt.
        let key = format!("step/{}/{lap}/{id}", a.scorer());
        award(
            fx,
            a,
            key,
            POINTS,
            points,
            format!("step {id}"),
            s.rank_at_ms(t),
        );
    }
    let detail = StepDetail {
        lap,
        via: None,
        points: Some(points),
        penalty_ms: None,
    };
    fx.quest(id, "done", a, detail);
    advance(s, a, fx, t, true);
}

/// Moves the team past its current step; `solved` says whether the step was
/// done (rather than skipped), which the finish bonus requires.
pub(crate) fn advance(s: &State, a: &Action, fx: &mut Effects, t: &mut Team, solved: bool) {
    t.last_ms = a.timestamp_ms;
    t.arrived = false;
    t.hints = 0;
    t.step += 1;
    if usize::from(t.step) < s.steps.len() {
        navigating(s, a, fx, t);
        return;
    }
    // End of a run of the trail.
    let bonus = s.rules.finish_bonus;
    if solved && bonus > 0 {
        t.points += i64::from(bonus);
        let key = format!("finish/{}/{}", a.scorer(), t.lap);
        award(
            fx,
            a,
            key,
            BONUS,
            bonus,
            "finished the trail".into(),
            s.rank_at_ms(t),
        );
    }
    t.lap += 1;
    t.step = 0;
    t.skips = 0;
    if t.lap >= s.rules.laps {
        fx.quest("trail", "finished", a, trail_detail(t));
    } else {
        fx.quest("trail", "lap-done", a, trail_detail(t));
        navigating(s, a, fx, t);
    }
}

/// Announces the team's current step as `navigating`.
pub(crate) fn navigating(s: &State, a: &Action, fx: &mut Effects, t: &Team) {
    let detail = StepDetail {
        lap: t.lap,
        via: None,
        points: None,
        penalty_ms: None,
    };
    fx.quest(s.step_ids.get(usize::from(t.step)), "navigating", a, detail);
}

/// The detail of the team's `trail` quest updates.
pub(crate) fn trail_detail(t: &Team) -> TrailDetail {
    TrailDetail {
        lap: t.lap,
        points: t.points,
        elapsed_ms: t.elapsed_ms(),
    }
}

/// Credits the acting player and their team, at ranking time `at_ms`.
fn award(
    fx: &mut Effects,
    a: &Action,
    key: String,
    kind: &str,
    points: u32,
    reason: String,
    at_ms: i64,
) {
    fx.award_to(
        key,
        kind,
        &a.player,
        Some(a.scorer()),
        i64::from(points),
        reason,
        at_ms,
    );
}
