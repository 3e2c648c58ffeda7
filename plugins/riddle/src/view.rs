//! The per-player view: the team's score, open challenges with their current
//! value and hints, and the rate-limit state. Never another team's progress
//! and never answers.

use serde_json::json;
use veltrix_sdk::PlayerView;

use crate::challenge::bit;
use crate::state::State;

/// The view of `player` (a player, or a solo player) of game `s`.
pub fn player_view(s: &State, player: &str) -> PlayerView {
    let status = s.life.status();
    let Some(t) = s.teams.team_of(player) else {
        // Not playing yet: what is open for a new team.
        let open: Vec<_> = (0..s.board.len())
            .filter(|&c| s.gate(c, 0).is_ok())
            .map(|c| s.board.id(c))
            .collect();
        return PlayerView {
            status,
            score: 0,
            summary: json!({ "team": null, "open": open }).to_string(),
        };
    };
    let p = s.teams.data(t);
    let mut open = Vec::new();
    let mut solved = Vec::new();
    let mut locked = 0;
    for (c, ch) in s.board.challenges.iter().enumerate() {
        let id = s.board.id(c);
        if p.solved & bit(c) != 0 {
            solved.push(id);
        } else if s.gate(c, p.solved).is_ok() {
            let bought: Vec<u16> = (0..ch.hint_count)
                .filter(|&h| p.hints & bit(usize::from(ch.first_hint + h)) != 0)
                .collect();
            open.push(json!({
                "id": id,
                "value": ch.value_now(),
                "solves": ch.solves,
                "hints": ch.hint_count,
                "bought": bought,
            }));
        } else {
            locked += 1;
        }
    }
    PlayerView {
        status,
        score: p.score,
        summary: json!({
            "team": s.teams.name(t),
            "solved": solved,
            "open": open,
            "locked": locked,
            "cooldown_until_ms": p.cooldown_until_ms,
        })
        .to_string(),
    }
}
