//! The per-player view: the team's score and the open (or scheduled)
//! rounds with their tasks, what the team has done and its round score.
//! Never answers, never another team's progress.

use serde::Serialize;
use veltrix_sdk::PlayerView;

use crate::state::State;

#[derive(Serialize)]
struct TaskView<'a> {
    id: &'a str,
    points: i64,
    done: bool,
}

#[derive(Serialize)]
struct RoundView<'a> {
    round: u32,
    status: &'static str,
    start_ms: i64,
    end_ms: i64,
    floor_percent: u8,
    round_score: i64,
    tasks: Vec<TaskView<'a>>,
}

#[derive(Serialize)]
struct Summary<'a> {
    team: Option<&'a str>,
    /// Highest round number opened so far (0: none).
    last_round: u32,
    rounds: Vec<RoundView<'a>>,
}

/// The view of `player` of game `s`.
pub fn player_view(s: &State, player: &str) -> PlayerView {
    let team = s.teams.team_of(player);
    let rounds = s
        .rounds
        .iter()
        .map(|r| {
            let entry = team.and_then(|t| r.entry_of(t)).map(|e| r.entries.get(e));
            let done = entry.map_or(0, |e| e.done);
            RoundView {
                round: r.number,
                status: if r.live { "open" } else { "scheduled" },
                start_ms: r.start_ms,
                end_ms: r.end_ms,
                floor_percent: r.floor_percent,
                round_score: entry.map_or(0, |e| e.score),
                tasks: r
                    .tasks
                    .iter()
                    .enumerate()
                    .map(|(k, t)| TaskView {
                        id: r.task_id(k),
                        points: t.points,
                        done: done & (1 << k) != 0,
                    })
                    .collect(),
            }
        })
        .collect();
    let summary = Summary {
        team: team.map(|t| s.teams.name(t)),
        last_round: s.next_round - 1,
        rounds,
    };
    PlayerView {
        status: s.life.status(),
        score: team.map_or(0, |t| s.teams.data(t).0),
        summary: serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into()),
    }
}
