//! The player actions: `begin`, `arrive`, `answer`, `hint` and `skip`.
//!
//! Each team walks the steps in order. A step is `navigating` until the team
//! checks in (a location fix inside the geofence, or the step's QR code);
//! then its task is open until answered; then it is `done` and the next step
//! is `navigating`. A step without a task is done on arrival. Hints and skips
//! add time penalties; a skip moves on without points.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use veltrix_sdk::util::{haversine_m, normalize_answer, within};
use veltrix_sdk::{Action, Effects, Location, Rejection, RejectionCode};

use crate::state::{Geofence, State, Step, Team, check_id};

/// The player action kinds of a trail.
pub const KINDS: [&str; 5] = ["begin", "arrive", "answer", "hint", "skip"];

/// Reward type of step points.
const POINTS: &str = "points";
/// Reward type of the finish bonus.
const BONUS: &str = "bonus";

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Parses a payload, borrowing strings from it where possible.
fn payload<'a, T: Deserialize<'a>>(a: &'a Action) -> Result<T, Rejection> {
    serde_json::from_str(&a.payload).map_err(|e| {
        reject(
            RejectionCode::InvalidPayload,
            format!("payload of `{}`: {e}", a.kind),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Arrive<'a> {
    #[serde(borrow)]
    step: Cow<'a, str>,
    #[serde(default, borrow)]
    qr: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer<'a> {
    #[serde(borrow)]
    step: Cow<'a, str>,
    #[serde(borrow)]
    answer: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hint<'a> {
    #[serde(borrow)]
    step: Cow<'a, str>,
    #[serde(default)]
    hint: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Skip<'a> {
    #[serde(borrow)]
    step: Cow<'a, str>,
}

/// Quest detail of step updates.
#[derive(Serialize)]
struct StepDetail<'a> {
    lap: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    penalty_ms: Option<i64>,
}

/// Quest detail of hint updates.
#[derive(Serialize)]
struct HintDetail<'a> {
    hint: u8,
    text: &'a str,
    penalty_ms: i64,
}

/// Quest detail of the team's `trail` quest.
#[derive(Serialize)]
struct TrailDetail {
    lap: u32,
    points: i64,
    elapsed_ms: i64,
}

/// What a step action needs of the team's position.
#[derive(Clone, Copy, PartialEq)]
enum Need {
    /// Not yet arrived (`arrive`).
    Navigating,
    /// Arrived, task open (`answer`).
    TaskOpen,
    /// Either (`hint`, `skip`).
    Current,
}

/// The acting team and its current step, loaded from the state; the team
/// record is written back once the action succeeds.
struct Turn {
    team: usize,
    t: Team,
    step: usize,
    st: Step,
}

/// Applies a player action of one of [`KINDS`].
pub fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let mut turn = match a.kind.as_str() {
        "begin" => return begin(s, a, fx),
        "arrive" => {
            let p: Arrive<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::Navigating)?;
            arrive(s, a, fx, &mut turn, p.qr.as_deref())?;
            turn
        }
        "answer" => {
            let p: Answer<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::TaskOpen)?;
            answer(s, a, fx, &mut turn, &p.answer)?;
            turn
        }
        "hint" => {
            let p: Hint<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::Current)?;
            hint(s, a, fx, &mut turn, p.hint)?;
            turn
        }
        "skip" => {
            let p: Skip<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::Current)?;
            skip(s, a, fx, &mut turn)?;
            turn
        }
        _ => return Err(veltrix_sdk::raw::unknown_kind(a)),
    };
    s.enrol(a, turn.team);
    s.teams.set(turn.team, &std::mem::take(&mut turn.t));
    Ok(())
}

/// `begin {}`: the team starts its clock and navigates to the first step.
fn begin(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let _: Empty = payload(a)?;
    let name = a.scorer();
    check_id("team", name)?;
    let existing = s.team_ids.find(name);
    s.check_player(a, existing)?;
    if let Some(t) = existing {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!(
                "team `{name}` began the trail at {}",
                s.teams.get(t).started_ms
            ),
        ));
    }
    if s.teams.len() >= usize::from(s.rules.max_teams) {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            format!("the trail is full ({} teams)", s.rules.max_teams),
        ));
    }
    let (team, _) = s.team_ids.insert(name);
    let t = Team::new(a.timestamp_ms);
    s.teams.push(&t);
    s.enrol(a, team);
    s.epoch_ms.get_or_insert(a.timestamp_ms);
    fx.quest("trail", "started", a, trail_detail(&t));
    navigating(s, a, fx, &t);
    Ok(())
}

/// Finds the step and the acting team, and checks the step is the team's
/// current one in the state `need` asks for.
fn locate(s: &State, a: &Action, step_id: &str, need: Need) -> Result<Turn, Rejection> {
    let step = s.step_ids.find(step_id).ok_or_else(|| {
        reject(
            RejectionCode::NotFound,
            format!("no step `{step_id}` on this trail"),
        )
    })?;
    let name = a.scorer();
    let team = s.team_ids.find(name).ok_or_else(|| {
        reject(
            RejectionCode::NotAllowedNow,
            format!("team `{name}` has not begun the trail: send `begin` first"),
        )
    })?;
    s.check_player(a, Some(team))?;
    let t = s.teams.get(team);
    if t.lap >= s.rules.laps {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("team `{name}` has finished the trail"),
        ));
    }
    if let Some(limit) = s.rules.time_limit_ms
        && a.timestamp_ms >= t.started_ms.saturating_add(limit)
    {
        return Err(reject(
            RejectionCode::OutOfWindow,
            format!("team `{name}`'s {} minutes are up", limit / 60_000),
        ));
    }
    let current = usize::from(t.step);
    if step < current {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("step `{step_id}` is already behind you"),
        ));
    }
    if step > current {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            format!(
                "step `{step_id}` is not open yet: your team is on `{}`",
                s.step_ids.get(current)
            ),
        ));
    }
    match (need, t.arrived) {
        (Need::Navigating, true) => Err(reject(
            RejectionCode::AlreadyDone,
            format!("already arrived at `{step_id}`: answer its task"),
        )),
        (Need::TaskOpen, false) => Err(reject(
            RejectionCode::NotAllowedNow,
            format!("arrive at `{step_id}` before answering"),
        )),
        _ => Ok(Turn {
            team,
            t,
            step,
            st: s.steps.get(step),
        }),
    }
}

/// `arrive {step, qr?}`: check in by QR code, or by the action's location.
fn arrive(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
    qr: Option<&str>,
) -> Result<(), Rejection> {
    let st = &turn.st;
    let id = s.step_ids.get(turn.step);
    let via = match (qr, st.qr) {
        (Some(code), Some(q)) if code.trim() == s.text.get(usize::from(q)) => "qr",
        (Some(_), Some(_)) => {
            return Err(reject(
                RejectionCode::Incorrect,
                format!("not the QR code of `{id}`"),
            ));
        }
        (Some(_), None) => {
            return Err(reject(
                RejectionCode::Incorrect,
                format!("`{id}` has no QR code: check in on location"),
            ));
        }
        (None, _) => {
            let Some(geo) = st.geo else {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    format!("`{id}` checks in by QR code: send `qr`"),
                ));
            };
            let Some(fix) = a.location else {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    "checking in needs a device location (or a `qr` code)",
                ));
            };
            if !within(
                &fix,
                geo.lat,
                geo.lon,
                f64::from(geo.radius_m),
                geo.max_accuracy_m,
            ) {
                return Err(reject(RejectionCode::Incorrect, miss(&fix, &geo)));
            }
            "gps"
        }
    };
    let detail = StepDetail {
        lap: turn.t.lap,
        via: Some(via),
        points: None,
        penalty_ms: None,
    };
    fx.quest(id, "arrived", a, &detail);
    if st.has_task() {
        turn.t.arrived = true;
        fx.quest(
            id,
            "task-open",
            a,
            StepDetail {
                via: None,
                ..detail
            },
        );
    } else {
        complete(s, a, fx, turn);
    }
    Ok(())
}

/// Why a fix is not inside a geofence, for the player.
fn miss(fix: &Location, geo: &Geofence) -> String {
    let acc = fix.accuracy_m;
    if !(acc.is_finite() && acc >= 0.0 && acc <= geo.max_accuracy_m) {
        return format!(
            "location accuracy {acc:.0} m is not good enough (need {:.0} m or better)",
            geo.max_accuracy_m
        );
    }
    let d = haversine_m(fix.lat, fix.lon, geo.lat, geo.lon);
    format!(
        "you are {d:.0} m from the checkpoint (must be within {:.0} m)",
        geo.radius_m
    )
}

/// `answer {step, answer}`: case- and whitespace-insensitive.
fn answer(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
    given: &str,
) -> Result<(), Rejection> {
    let given = normalize_answer(given);
    if !s.text.span(turn.st.answers).any(|x| x == given) {
        return Err(reject(RejectionCode::Incorrect, "wrong answer"));
    }
    complete(s, a, fx, turn);
    Ok(())
}

/// `hint {step, hint?}`: reveals the next hint of the current step. `hint`,
/// when sent, must be the index of that next hint, so a double tap cannot
/// take (and pay for) two hints.
fn hint(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
    asked: Option<u32>,
) -> Result<(), Rejection> {
    let hints = turn.st.hints;
    let id = s.step_ids.get(turn.step);
    if hints.len == 0 {
        return Err(reject(
            RejectionCode::NotFound,
            format!("`{id}` has no hints"),
        ));
    }
    let next = turn.t.hints;
    if let Some(h) = asked {
        if h >= u32::from(hints.len) {
            return Err(reject(
                RejectionCode::NotFound,
                format!("`{id}` has {} hints (0 to {})", hints.len, hints.len - 1),
            ));
        }
        if h < u32::from(next) {
            return Err(reject(
                RejectionCode::AlreadyDone,
                format!("hint {h} already taken"),
            ));
        }
        if h > u32::from(next) {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("take hint {next} first"),
            ));
        }
    }
    let Some(text) = hints.nth(next) else {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("all {} hints of `{id}` taken", hints.len),
        ));
    };
    let penalty_ms = s.rules.hint_penalty_ms;
    turn.t.hints += 1;
    turn.t.penalty_ms += penalty_ms;
    let detail = HintDetail {
        hint: next,
        text: s.text.get(usize::from(text)),
        penalty_ms,
    };
    fx.quest(id, "hint", a, detail);
    Ok(())
}

/// `skip {step}`: moves on without points, for a time penalty.
fn skip(s: &State, a: &Action, fx: &mut Effects, turn: &mut Turn) -> Result<(), Rejection> {
    let t = &mut turn.t;
    if let Some(max) = s.rules.max_skips
        && t.skips >= max
    {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            format!("no skips left ({max} per run)"),
        ));
    }
    t.skips += 1;
    t.penalty_ms += s.rules.skip_penalty_ms;
    let detail = StepDetail {
        lap: t.lap,
        via: None,
        points: None,
        penalty_ms: Some(s.rules.skip_penalty_ms),
    };
    fx.quest(s.step_ids.get(turn.step), "skipped", a, detail);
    advance(s, a, fx, t, false);
    Ok(())
}

/// The step is done: pay its points and move on.
fn complete(s: &State, a: &Action, fx: &mut Effects, turn: &mut Turn) {
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
fn advance(s: &State, a: &Action, fx: &mut Effects, t: &mut Team, solved: bool) {
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
fn navigating(s: &State, a: &Action, fx: &mut Effects, t: &Team) {
    let detail = StepDetail {
        lap: t.lap,
        via: None,
        points: None,
        penalty_ms: None,
    };
    fx.quest(s.step_ids.get(usize::from(t.step)), "navigating", a, detail);
}

fn trail_detail(t: &Team) -> TrailDetail {
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
