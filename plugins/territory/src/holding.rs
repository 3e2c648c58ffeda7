//! Holding pay: points per whole minute a team holds a control point.
//!
//! Holdings are settled, never accrued per action: when a point changes
//! hands, on every host `tick`, when the game master pauses, and once when
//! the game closes (its time limit or `end`). Each settlement pays the
//! holder for the whole minutes held since the last settlement; the leftover
//! part of a minute carries on while the point stays held and is lost when
//! it changes hands. The reward key is (control point, team, interval start),
//! unique because intervals of one point never overlap, and a replay of the
//! same action settles the same interval.
//!
//! The holding clock stops while the game is paused: pausing settles up to
//! the pause, and resuming shifts every holding (and lock) by the pause's
//! length, so the partial minute held before the pause still counts.

use serde::Serialize;
use veltrix_sdk::{Action, Effects, GameStatus, QuestUpdate};

use crate::state::{MINUTE_MS, State};

/// Reward type of holding pay.
pub(crate) const POINTS: &str = "points";

#[derive(Serialize)]
struct ClosedDetail<'a> {
    holder: Option<&'a str>,
    captures: u32,
}

/// Pays the holder of point `i` for the whole minutes up to `until_ms` on
/// the holding clock.
pub fn settle(s: &mut State, i: usize, until_ms: i64, fx: &mut Effects) {
    let mut p = s.points.get(i);
    let Some(mut h) = p.holder else {
        return;
    };
    let minutes = (until_ms - h.settled_ms) / MINUTE_MS;
    if minutes <= 0 {
        return;
    }
    let start = h.settled_ms;
    let end = start + minutes * MINUTE_MS;
    h.settled_ms = end;
    p.holder = Some(h);
    s.points.set(i, &p);
    if p.points_per_minute == 0 {
        return;
    }
    let points = minutes * i64::from(p.points_per_minute);
    let team = usize::from(h.team);
    let at = s.score(team, points, end);
    let (cp, team_id) = (s.point_ids.get(i), s.team_ids.get(team));
    fx.award_to(
        text(&["hold/", cp, "/", team_id, "/"], start, ""),
        POINTS,
        s.player_ids.get(usize::from(h.player)),
        Some(team_id),
        points,
        text(&["held ", cp, " for "], minutes, " min"),
        at,
    );
}

/// `parts` then `n` then `tail`, in one allocation: a tick settles every
/// point, and `format!` would grow each string several times.
fn text(parts: &[&str], n: i64, tail: &str) -> String {
    use std::fmt::Write;
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut s = String::with_capacity(len + 20 + tail.len());
    for p in parts {
        s.push_str(p);
    }
    let _ = write!(s, "{n}");
    s.push_str(tail);
    s
}

/// Settles every held point up to `until_ms` on the holding clock.
pub fn settle_all(s: &mut State, until_ms: i64, fx: &mut Effects) {
    for i in 0..s.points.len() {
        settle(s, i, until_ms, fx);
    }
}

/// Follows up a lifecycle action (already applied, game status was
/// `before`): pauses and resumes the holding clock, settles on `tick`, and
/// closes the game once it is finished.
pub fn after_lifecycle(s: &mut State, before: GameStatus, a: &Action, fx: &mut Effects) {
    let now = a.timestamp_ms;
    match s.life.status() {
        GameStatus::Finished if !s.closed => close(s, a, fx),
        GameStatus::Paused if before != GameStatus::Paused => {
            settle_all(s, now, fx);
            s.paused_at_ms = Some(now);
        }
        GameStatus::Running if before == GameStatus::Paused => resume(s, now),
        GameStatus::Running if a.kind == "tick" => settle_all(s, now, fx),
        _ => {}
    }
}

/// Restarts the holding clock: holdings and locks move by the pause length.
fn resume(s: &mut State, now_ms: i64) {
    let Some(paused) = s.paused_at_ms.take() else {
        return;
    };
    let gap = (now_ms - paused).max(0);
    for i in 0..s.points.len() {
        let mut p = s.points.get(i);
        if let Some(h) = p.holder.as_mut() {
            h.settled_ms += gap;
            h.captured_ms += gap;
            s.points.set(i, &p);
        }
    }
}

/// The final settlement, paid exactly once: up to the time limit (or the
/// game master's `end`, if earlier), on the holding clock.
fn close(s: &mut State, a: &Action, fx: &mut Effects) {
    let end = s
        .life
        .ends_at_ms()
        .map_or(a.timestamp_ms, |e| e.min(a.timestamp_ms));
    settle_all(s, s.holding_clock(end), fx);
    s.closed = true;
    if a.kind != "end" {
        // The schedule closed the game: the lifecycle published nothing.
        fx.quest("game", "finished", a, serde_json::json!({ "at_ms": end }));
    }
    for i in 0..s.points.len() {
        let p = s.points.get(i);
        let holder = p.holder.map(|h| s.team_ids.get(usize::from(h.team)));
        let detail = ClosedDetail {
            holder,
            captures: p.captures,
        };
        fx.quest_update(QuestUpdate {
            quest_id: s.point_ids.get(i).to_string(),
            status: "closed".into(),
            team: holder.map(String::from),
            player: None,
            detail: serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
        });
    }
}
