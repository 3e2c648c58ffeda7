//! `view`: the compact summary a player's phone shows.
//!
//! Only the player's own team appears: its score and which missions are
//! done, waiting for the judge or rejected. Answers and other teams' progress
//! never leave the state. Windows are not evaluated here (a view has no
//! clock); the app knows each mission's schedule from the config.

use serde_json::json;
use veltrix_sdk::prelude::*;

use crate::state::{Mark, State};

/// Builds the view of `player`.
pub fn view(s: &State, player: &str) -> PlayerView {
    let status = s.life.status();
    let Some(team) = s.team_of(player) else {
        return PlayerView {
            status,
            score: 0,
            summary: json!({ "team": null, "missions": s.missions.len() }).to_string(),
        };
    };
    let (mut done, mut pending, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for (mission, mark) in s.team_marks(team) {
        let id = s.mission_ids.get(mission as usize);
        match mark {
            Mark::Open => {}
            Mark::Pending => pending.push(id),
            Mark::Rejected => rejected.push(id),
            Mark::Accepted | Mark::Approved => done.push(id),
        }
    }
    let t = s.team(team);
    let summary = json!({
        "team": if t.solo { None } else { Some(s.team_ids.get(team as usize)) },
        "missions": s.missions.len(),
        "done": done,
        "pending": pending,
        "rejected": rejected,
    });
    PlayerView {
        status,
        score: t.score,
        summary: summary.to_string(),
    }
}
