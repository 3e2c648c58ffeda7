//! The demo's players and teams, and how the built-in sample workloads
//! (each written for its own fixed cast, e.g. 20 teams of 5 players called
//! `t03-p2` or `p3-2`/`team-3`) are recast onto them.
//!
//! Each game's sample teams are mapped, in order of first appearance, onto
//! the demo teams with a per-game offset (so with 30 demo teams every team
//! plays most games), and each sample team's players onto the members of
//! that demo team. The mapping is applied to the action's player and team
//! and to every JSON string in the payload that names a mapped id exactly
//! (game-master grants and judge verdicts name players and teams there).

use std::collections::HashMap;

use veltrix_sdk::Action;

/// Demo players and their teams.
#[derive(Debug, Clone)]
pub struct Population {
    /// Player count.
    pub players: usize,
    /// Team count.
    pub teams: usize,
}

impl Population {
    /// `players` players dealt round-robin into `teams` teams (both >= 1;
    /// `teams` is capped at `players` so no team is empty).
    pub fn new(players: usize, teams: usize) -> Self {
        let players = players.max(1);
        Self {
            players,
            teams: teams.clamp(1, players),
        }
    }

    /// Id of player `i`.
    pub fn player(&self, i: usize) -> String {
        format!("player-{i:04}")
    }

    /// Id of team `k`.
    pub fn team(&self, k: usize) -> String {
        format!("team-{k:03}")
    }

    /// The team of player `i`.
    pub fn team_of(&self, i: usize) -> usize {
        i % self.teams
    }

    fn members(&self, k: usize) -> usize {
        (self.players - k).div_ceil(self.teams)
    }

    /// Member `j` of team `k` (wrapping when the sample has more).
    fn member(&self, k: usize, j: usize) -> usize {
        k + (j % self.members(k)) * self.teams
    }

    /// Recasts the actions of game number `game_ix`: ids as described in
    /// the module docs, game-master and system actions left as they are.
    pub fn recast(&self, game_ix: usize, actions: &mut [Action]) {
        let map = self.mapping(game_ix, actions);
        for a in actions.iter_mut() {
            if let Some(p) = map.get(&a.player) {
                a.player = p.clone();
            }
            if let Some(t) = a.team.as_ref().and_then(|t| map.get(t)) {
                a.team = Some(t.clone());
            }
            if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&a.payload)
                && rename(&mut v, &map)
            {
                a.payload = v.to_string();
            }
        }
    }

    fn mapping(&self, game_ix: usize, actions: &[Action]) -> HashMap<String, String> {
        // Sample teams in order of first appearance, with their players.
        let mut teams: Vec<(String, Vec<String>)> = Vec::new();
        for a in actions {
            let Some(t) = &a.team else { continue };
            let ix = match teams.iter().position(|(id, _)| id == t) {
                Some(ix) => ix,
                None => {
                    teams.push((t.clone(), Vec::new()));
                    teams.len() - 1
                }
            };
            if !teams[ix].1.contains(&a.player) {
                teams[ix].1.push(a.player.clone());
            }
        }
        let mut map = HashMap::new();
        for (ix, (team, players)) in teams.iter().enumerate() {
            let k = (ix + game_ix * 7) % self.teams;
            map.insert(team.clone(), self.team(k));
            for (j, p) in players.iter().enumerate() {
                map.insert(p.clone(), self.player(self.member(k, j + game_ix)));
            }
        }
        map
    }
}

/// Replaces every string equal to a key of `map`; true if any was.
fn rename(v: &mut serde_json::Value, map: &HashMap<String, String>) -> bool {
    match v {
        serde_json::Value::String(s) => match map.get(s.as_str()) {
            Some(n) => {
                *s = n.clone();
                true
            }
            None => false,
        },
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, i| rename(i, map) | c),
        serde_json::Value::Object(o) => o.values_mut().fold(false, |c, i| rename(i, map) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_player_has_a_team_and_members_wrap() {
        let p = Population::new(10, 3);
        assert_eq!(p.members(0), 4);
        assert_eq!(p.members(2), 3);
        assert_eq!(p.member(2, 3), 2);
        for k in 0..3 {
            for j in 0..8 {
                let m = p.member(k, j);
                assert!(m < 10);
                assert_eq!(p.team_of(m), k);
            }
        }
    }
}
