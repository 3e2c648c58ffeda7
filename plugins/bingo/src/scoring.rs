//! Completing a cell, and what it may trigger: the cell's points, line
//! bonuses, the blackout bonus, and the end of the round.
//!
//! Line detection only looks at the lines through the completed cell (at
//! most four lines of at most seven cells), so it costs the same whatever
//! the board or the game size. Each line pays once per team (a bit in
//! [`Team::lines`](crate::state::Team::lines)); the blackout pays once.
//! Reward keys name the facts: `cell:<task>:<team>`, `line:<team>:<line>`,
//! `blackout:<team>`.
//!
//! With `first_bingo_ends_round`, the first completed line ends the game
//! (a bingo game is one round): the bonuses of that completion are still
//! paid, then the shared lifecycle's `end` runs, so every later action sees
//! a finished game.

use serde_json::json;
use veltrix_sdk::prelude::*;

use crate::board::{line_cells, line_name, lines_through};
use crate::state::{Mark, State};

/// Who a completion credits.
#[derive(Debug, Clone, Copy)]
pub struct Credit<'a> {
    /// Player credited (the one who submitted).
    pub player: &'a str,
    /// Team on the rewards and quest updates (`None` for a solo player).
    pub team: Option<&'a str>,
    /// Team index in the state.
    pub index: u32,
    /// Team (or solo player) id used in reward keys.
    pub key: &'a str,
}

impl Credit<'_> {
    fn update(&self, quest: &str, status: &str, detail: serde_json::Value) -> QuestUpdate {
        QuestUpdate {
            quest_id: quest.into(),
            status: status.into(),
            team: self.team.map(Into::into),
            player: Some(self.player.into()),
            detail: detail.to_string(),
        }
    }
}

/// Completes `cell` (holding task `task`) for `who` with `mark` (accepted
/// or approved), paying `points` and any bonus this completes. `a` is the
/// action doing it (its time is the time of every reward).
#[allow(clippy::too_many_arguments)]
pub fn complete(
    s: &mut State,
    a: &Action,
    who: Credit<'_>,
    cell: u32,
    task: u32,
    mark: Mark,
    points: i64,
    detail: serde_json::Value,
    fx: &mut Effects,
) {
    let task_id = s.task_ids.get(task as usize).to_string();
    let mut team = s.team(who.index);
    s.set_mark(who.index, cell, mark);
    let award = |fx: &mut Effects, key: String, kind: &str, pts: i64, reason: String| {
        fx.award_to(key, kind, who.player, who.team, pts, reason, a.timestamp_ms);
    };
    if points > 0 {
        award(
            fx,
            format!("cell:{task_id}:{}", who.key),
            "points",
            points,
            format!("bingo cell {task_id}"),
        );
        team.score += points;
    }
    let status = if mark == Mark::Approved {
        "approved"
    } else {
        "accepted"
    };
    fx.quest_update(who.update(&task_id, status, detail));

    let rules = s.rules;
    let mut new_lines = 0;
    for line in lines_through(rules.size, cell as usize) {
        if team.lines & (1 << line) != 0 {
            continue;
        }
        let full = line_cells(rules.size, line).all(|c| s.mark(who.index, c as u32).is_done());
        if !full {
            continue;
        }
        team.lines |= 1 << line;
        new_lines += 1;
        let name = line_name(rules.size, line);
        if rules.line_bonus > 0 {
            award(
                fx,
                format!("line:{}:{name}", who.key),
                "bonus",
                rules.line_bonus,
                format!("bingo line {name}"),
            );
            team.score += rules.line_bonus;
        }
        fx.quest_update(who.update(
            "board",
            "line",
            json!({ "line": name, "bonus": rules.line_bonus }),
        ));
    }
    if !team.blackout && s.team_marks(who.index).all(Mark::is_done) {
        team.blackout = true;
        if rules.blackout_bonus > 0 {
            award(
                fx,
                format!("blackout:{}", who.key),
                "bonus",
                rules.blackout_bonus,
                "bingo blackout".into(),
            );
            team.score += rules.blackout_bonus;
        }
        fx.quest_update(who.update(
            "board",
            "blackout",
            json!({ "bonus": rules.blackout_bonus }),
        ));
    }
    s.set_team(who.index, &team);
    if new_lines > 0 && rules.first_bingo_ends_round {
        end_round(s, a, fx);
    }
}

/// Ends the game through the shared lifecycle, as the game master's `end`
/// would (the SDK has no direct "finish" call).
fn end_round(s: &mut State, a: &Action, fx: &mut Effects) {
    let mut end = a.clone();
    end.kind = "end".into();
    end.role = ActorRole::System;
    end.payload = "{}".into();
    // `end` cannot fail on a running or paused game, the only states in
    // which a cell can be completed.
    let _ = s.life.handle(&end, fx);
}
