//! What the scavenger game adds after the shared lifecycle has accepted one
//! of its actions:
//! - `tick`: announce missions whose window opened or closed since the last
//!   tick (`available` / `expired` quest updates for everyone). Only ticks do
//!   this, so a player action never pays for scanning the mission table.
//! - `grant` / `revoke`: mirror the points into the team's score, which
//!   `view` reports (the lifecycle mints the reward itself).

use serde_json::json;
use veltrix_sdk::lifecycle::Adjustment;
use veltrix_sdk::prelude::*;

use crate::state::State;

/// Runs after `Lifecycle::handle` returned `Ok` for `a`.
pub fn after_lifecycle(s: &mut State, a: &Action, fx: &mut Effects) {
    match a.kind.as_str() {
        "tick" => announce(s, a.timestamp_ms, fx),
        "grant" | "revoke" => {
            // The lifecycle parsed and validated this payload already.
            if let Ok(adj) = a.payload::<Adjustment>() {
                let points = if a.kind == "grant" {
                    adj.points
                } else {
                    -adj.points
                };
                mirror_adjustment(s, &adj, points);
            }
        }
        _ => {}
    }
}

/// Mirrors a grant or revocation into the score `view` reports, which
/// follows the team board (or the individual board of a solo player).
fn mirror_adjustment(s: &mut State, adj: &Adjustment, points: i64) {
    let team = match adj.team.as_deref() {
        Some(id) => {
            let t = s.ensure_team(id, false);
            s.ensure_player(&adj.player, t);
            t
        }
        None => match s.team_of(&adj.player) {
            // A teamless grant to a team player moves only their individual
            // board, not the team score the view shows.
            Some(t) if !s.team(t).solo => return,
            Some(t) => t,
            None => {
                let t = s.ensure_team(&adj.player, true);
                s.ensure_player(&adj.player, t);
                t
            }
        },
    };
    s.add_score(team, points);
}

/// Publishes schedule changes in `(announced_ms, now_ms]`.
fn announce(s: &mut State, now_ms: i64, fx: &mut Effects) {
    let since = s.announced_ms;
    if since.is_some_and(|t| now_ms <= t) {
        return;
    }
    let crossed = |b: Option<i64>| b.is_some_and(|b| b <= now_ms && since.is_none_or(|t| b > t));
    for (i, m) in s.missions.iter().enumerate() {
        // A mission whose whole window passed between two ticks reports both.
        for (boundary, status) in [(m.from_ms, "available"), (m.until_ms, "expired")] {
            if crossed(boundary) {
                fx.quest_update(QuestUpdate {
                    quest_id: s.mission_ids.get(i).to_string(),
                    status: status.into(),
                    team: None,
                    player: None,
                    detail: json!({ "at_ms": boundary }).to_string(),
                });
            }
        }
    }
    s.announced_ms = Some(now_ms);
}
