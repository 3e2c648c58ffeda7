//! The phone's view of a trail: the team's position, hints taken, points
//! and time. Never answers or QR codes.

use serde::Serialize;
use veltrix_sdk::PlayerView;

use crate::state::State;

#[derive(Serialize)]
struct Summary<'a> {
    team: &'a str,
    /// Current run (0-based).
    lap: u32,
    laps: u32,
    /// Current step id (`None` once finished).
    step: Option<&'a str>,
    /// 1-based position of the current step, and the trail's length.
    step_no: usize,
    steps: usize,
    phase: &'static str,
    /// Hints taken on the current step.
    hints: Vec<&'a str>,
    hints_left: u8,
    skips_left: Option<u16>,
    points: i64,
    elapsed_ms: i64,
    penalty_ms: i64,
    /// When the team's time runs out, if the trail has a time limit.
    deadline_ms: Option<i64>,
}

/// The view for `player`: their team's score and progress.
pub fn view(s: &State, player: &str) -> PlayerView {
    let status = s.life.status();
    let Some(p) = s.player_ids.find(player) else {
        return PlayerView {
            status,
            score: 0,
            summary: r#"{"team":null}"#.into(),
        };
    };
    let team = usize::from(s.player_team.get(p));
    let t = s.teams.get(team);
    let finished = t.lap >= s.rules.laps;
    let idx = usize::from(t.step);
    let (step, hints) = if finished || idx >= s.steps.len() {
        (None, Default::default())
    } else {
        (Some(s.step_ids.get(idx)), s.steps.get(idx).hints)
    };
    let taken = u32::from(t.hints).min(hints.len);
    let summary = Summary {
        team: s.team_ids.get(team),
        lap: t.lap,
        laps: s.rules.laps,
        step,
        step_no: if finished { s.steps.len() } else { idx + 1 },
        steps: s.steps.len(),
        phase: match (finished, t.arrived) {
            (true, _) => "finished",
            (false, true) => "task-open",
            (false, false) => "navigating",
        },
        hints: (0..taken)
            .filter_map(|i| hints.nth(i as usize))
            .map(|i| s.text.get(i))
            .collect(),
        hints_left: (hints.len - taken).min(u32::from(u8::MAX)) as u8,
        skips_left: s.rules.max_skips.map(|m| m.saturating_sub(t.skips)),
        points: t.points,
        elapsed_ms: t.elapsed_ms(),
        penalty_ms: t.penalty_ms,
        deadline_ms: s.rules.time_limit_ms.map(|l| t.started_ms + l),
    };
    PlayerView {
        status,
        score: t.points,
        summary: serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into()),
    }
}
