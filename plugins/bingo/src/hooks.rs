//! What bingo adds after the shared lifecycle has accepted a `grant` or
//! `revoke`: it mirrors the points into the score `view` reports, which
//! follows the team board (or the individual board of a solo player). The
//! lifecycle mints the reward itself.

use veltrix_sdk::lifecycle::Adjustment;
use veltrix_sdk::prelude::*;

use crate::state::State;

/// Runs after `Lifecycle::handle` returned `Ok` for `a`.
pub fn after_lifecycle(s: &mut State, a: &Action) {
    if !matches!(a.kind.as_str(), "grant" | "revoke") {
        return;
    }
    // The lifecycle parsed and validated this payload already.
    let Ok(adj) = a.payload::<Adjustment>() else {
        return;
    };
    let points = if a.kind == "grant" {
        adj.points
    } else {
        -adj.points
    };
    let team = match adj.team.as_deref() {
        Some(id) => {
            let (t, _) = s.ensure_team(id, false);
            s.ensure_player(&adj.player, t);
            t
        }
        None => match s.team_of(&adj.player) {
            // A teamless grant to a team player moves only their individual
            // board, not the team score the view shows.
            Some(t) if !s.team(t).solo => return,
            Some(t) => t,
            None => {
                let (t, _) = s.ensure_team(&adj.player, true);
                s.ensure_player(&adj.player, t);
                t
            }
        },
    };
    let mut t = s.team(team);
    t.score += points;
    s.set_team(team, &t);
}
