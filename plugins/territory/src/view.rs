//! The phone's view of a territory game: the team's score, the points it
//! holds, and the map (who holds what, which points are locked). Answers
//! are never shown.

use serde::Serialize;
use veltrix_sdk::PlayerView;

use crate::state::State;

#[derive(Serialize)]
struct MapEntry<'a> {
    id: &'a str,
    holder: Option<&'a str>,
    /// Until when a fresh capture protects the point (if a lock applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    locked_until_ms: Option<i64>,
    question: bool,
}

#[derive(Serialize)]
struct Summary<'a> {
    team: Option<&'a str>,
    points: i64,
    /// Ids of the points the team holds.
    holding: Vec<&'a str>,
    map: Vec<MapEntry<'a>>,
    ends_at_ms: Option<i64>,
    closed: bool,
}

/// The view for `player`: their team's score and the map.
pub fn view(s: &State, player: &str) -> PlayerView {
    let team = s
        .player_ids
        .find(player)
        .map(|p| usize::from(s.player_team.get(p)));
    let score = team.map_or(0, |t| s.teams.get(t).points);
    let lock = s.rules.lock_ms;
    let map: Vec<MapEntry<'_>> = (0..s.points.len())
        .map(|i| {
            let p = s.points.get(i);
            MapEntry {
                id: s.point_ids.get(i),
                holder: p.holder.map(|h| s.team_ids.get(usize::from(h.team))),
                locked_until_ms: p
                    .holder
                    .filter(|_| lock > 0 && !s.closed)
                    .map(|h| h.captured_ms + lock),
                question: !p.answers.is_empty(),
            }
        })
        .collect();
    let holding = (0..s.points.len())
        .filter(|&i| {
            let h = s.points.get(i).holder;
            team.is_some() && h.map(|h| usize::from(h.team)) == team
        })
        .map(|i| s.point_ids.get(i))
        .collect();
    let summary = Summary {
        team: team.map(|t| s.team_ids.get(t)),
        points: score,
        holding,
        map,
        ends_at_ms: s.life.ends_at_ms(),
        closed: s.closed,
    };
    PlayerView {
        status: s.life.status(),
        score,
        summary: serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into()),
    }
}
