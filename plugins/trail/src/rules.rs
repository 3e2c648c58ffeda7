//! The player actions of a trail and their dispatch: `begin`, `arrive`,
//! `answer`, `hint` and `skip`.
//!
//! Each team walks the steps in order. A step is `navigating` until the team
//! checks in (a location fix inside the geofence, or the step's QR code;
//! [`crate::checkin`]); then its task is open until answered; then it is
//! `done` and the next step is `navigating` ([`crate::progress`]). A step
//! without a task is done on arrival. Hints and skips add time penalties; a
//! skip moves on without points ([`crate::task`]). This module checks that an
//! action concerns the team's current step in the right state.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::Deserialize;
use veltrix_sdk::{Action, Effects, Rejection, RejectionCode};

use crate::progress::{navigating, trail_detail};
use crate::state::{State, Team, check_id};
use crate::turn::{Turn, reject};
use crate::{checkin, task};

/// The player action kinds of a trail.
pub const KINDS: [&str; 5] = ["begin", "arrive", "answer", "hint", "skip"];

/// Parses a payload, borrowing strings from it where possible.
fn payload<'a, T: Deserialize<'a>>(a: &'a Action) -> Result<T, Rejection> {
    serde_json::from_str(&a.payload).map_err(|e| {
        reject(
            RejectionCode::InvalidPayload,
            format!("payload of `{}`: {e}", a.kind),
        )
    })
}

/// Payload of `begin`: nothing.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

/// Payload of `arrive`: the step, and the QR code if scanned.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Arrive<'a> {
    /// Step id: the team's current step.
    #[serde(borrow)]
    step: Cow<'a, str>,
    /// The step's QR code, if scanned; without it the team checks in by the
    /// device location.
    #[serde(default, borrow)]
    qr: Option<Cow<'a, str>>,
}

/// Payload of `answer`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Answer<'a> {
    /// Step id: the team's current step, arrived at.
    #[serde(borrow)]
    step: Cow<'a, str>,
    /// The answer to the step's task (case and spaces ignored).
    #[serde(borrow)]
    answer: Cow<'a, str>,
}

/// Payload of `hint`: the step, and the index of the hint wanted.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Hint<'a> {
    /// Step id: the team's current step.
    #[serde(borrow)]
    step: Cow<'a, str>,
    /// Index of the next hint (from 0), so that a double tap cannot take
    /// two; any next hint if absent.
    #[serde(default)]
    #[schemars(range(max = u32::MAX))]
    hint: Option<u32>,
}

/// Payload of `skip`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Skip<'a> {
    /// Step id: the team's current step.
    #[serde(borrow)]
    step: Cow<'a, str>,
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

/// Applies a player action of one of [`KINDS`].
pub fn apply(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let mut turn = match a.kind.as_str() {
        "begin" => return begin(s, a, fx),
        "arrive" => {
            let p: Arrive<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::Navigating)?;
            checkin::arrive(s, a, fx, &mut turn, p.qr.as_deref())?;
            turn
        }
        "answer" => {
            let p: Answer<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::TaskOpen)?;
            task::answer(s, a, fx, &mut turn, &p.answer)?;
            turn
        }
        "hint" => {
            let p: Hint<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::Current)?;
            task::hint(s, a, fx, &mut turn, p.hint)?;
            turn
        }
        "skip" => {
            let p: Skip<'_> = payload(a)?;
            let mut turn = locate(s, a, &p.step, Need::Current)?;
            task::skip(s, a, fx, &mut turn)?;
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
    let (team, _) = s.team_ids.intern(name);
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
