//! `view`: the compact summary a player's phone shows.
//!
//! Only the player's own team appears: its board (task ids, row-major), one
//! character per cell (`.` open, `x` complete, `p` waiting for the judge,
//! `r` rejected), the number of lines completed and the blackout. Answers
//! and other teams' boards never leave the state. A player who has not
//! acted yet (no `join`) has no team known to the game.

use serde_json::json;
use veltrix_sdk::prelude::*;

use crate::state::{Mark, State};

/// One-letter code of a cell: `.` open, `x` done, `p` pending, `r`
/// rejected.
pub fn code(mark: Mark) -> char {
    match mark {
        Mark::Open => '.',
        Mark::Accepted | Mark::Approved => 'x',
        Mark::Pending => 'p',
        Mark::Rejected => 'r',
    }
}

/// Builds the view of `player`.
pub fn view(s: &State, player: &str) -> PlayerView {
    let status = s.life.status();
    let Some(team) = s.team_of(player) else {
        return PlayerView {
            status,
            score: 0,
            summary: json!({ "team": null, "size": s.rules.size }).to_string(),
        };
    };
    let t = s.team(team);
    let board: Vec<&str> = s
        .board(team)
        .iter()
        .map(|&i| s.task_ids.get(i as usize))
        .collect();
    let cells: String = s.team_marks(team).map(code).collect();
    let summary = json!({
        "team": if t.solo { None } else { Some(s.team_ids.get(team as usize)) },
        "size": s.rules.size,
        "board": board,
        "cells": cells,
        "lines": t.lines.count_ones(),
        "blackout": t.blackout,
    });
    PlayerView {
        status,
        score: t.score,
        summary: summary.to_string(),
    }
}
