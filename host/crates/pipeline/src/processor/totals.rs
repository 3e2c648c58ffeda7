//! Running points totals of each cached game, so an action's answer can
//! say the player's and team's new totals without a ledger read per
//! action.
//!
//! A game's tallies are seeded from the ledger (one grouped sum) the first
//! time an answer needs them after the game was loaded. The sum is read in
//! the batch's own transaction, after its mint (the answers are stored in
//! that transaction too), so the batch's first mints are taken back out
//! and then added again action by action, in order: each answer
//! carries the totals as of its own action. Only the loop that owns a
//! game's partition mints its rewards, and a cached entry is reloaded
//! (tallies dropped) whenever the partition may have been handled
//! elsewhere (the worker's epochs), so the tallies stay equal to the
//! ledger, and to the boards, which count the same rows.

use std::collections::HashMap;

use super::outcome::{ActionResult, Outcome, Totals};
use veltrix_store::{PointsSum, Reward};

/// Points by player and by team of one game.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Tallies {
    players: HashMap<String, i64>,
    teams: HashMap<String, i64>,
}

impl Tallies {
    fn from_sums(rows: &[PointsSum]) -> Self {
        let mut t = Self::default();
        for r in rows {
            t.add(&r.player_id, r.team_id.as_deref(), r.points);
        }
        t
    }

    fn add(&mut self, player: &str, team: Option<&str>, points: i64) {
        *self.players.entry(player.to_string()).or_default() += points;
        if let Some(team) = team {
            *self.teams.entry(team.to_string()).or_default() += points;
        }
    }

    fn add_reward(&mut self, r: &Reward, sign: i64) {
        self.add(&r.player_id, r.team_id.as_deref(), sign * r.amount);
    }

    /// Fills the values of the players and teams `t` names.
    fn fill(&self, t: &mut Totals) {
        for (id, v) in &mut t.players {
            *v = self.players.get(id).copied().unwrap_or(0);
        }
        for (id, v) in &mut t.teams {
            *v = self.teams.get(id).copied().unwrap_or(0);
        }
    }
}

/// The players and teams whose totals an applied action's answer gives:
/// the acting player and their team (`None` for the game master and the
/// host), and everyone the action paid. Values are filled after commit.
pub(crate) fn named(actor: Option<(&str, Option<&str>)>, rewards: &[(Reward, i64)]) -> Totals {
    let mut t = Totals::default();
    let paid = rewards
        .iter()
        .map(|(r, _)| (r.player_id.as_str(), r.team_id.as_deref()));
    for (player, team) in actor.into_iter().chain(paid) {
        t.players.insert(player.to_string(), 0);
        if let Some(team) = team {
            t.teams.insert(team.to_string(), 0);
        }
    }
    t
}

/// Whether an answer of `outcomes` carries totals: then a game without
/// cached tallies has its ledger sums read in the batch's transaction.
pub(crate) fn wanted(outcomes: &[(Outcome, std::ops::Range<usize>)]) -> bool {
    outcomes.iter().any(|(o, _)| {
        matches!(
            o.result,
            ActionResult::Applied {
                totals: Some(_),
                ..
            }
        )
    })
}

/// Fills the totals of a part's applied `outcomes`, in action order
/// (`first`: per reward of the part, whether this batch minted it), and
/// returns the game's tallies after the batch. They start from `cached`
/// (the tallies before this batch), else from `sums`, the ledger's sums
/// read in the batch's own transaction, which include the batch's first
/// mints: those are taken back out, then added again action by action, so
/// each answer carries the totals as of its own action. With neither, no
/// answer wants totals and nothing is seeded.
pub(crate) fn settle(
    cached: Option<&Tallies>,
    sums: Option<&[PointsSum]>,
    rewards: &[(Reward, i64)],
    outcomes: &mut [(Outcome, std::ops::Range<usize>)],
    first: &[bool],
) -> Option<Tallies> {
    let minted = |i: usize| first.get(i).copied().unwrap_or(false);
    let mut t = match (cached, sums) {
        (Some(t), _) => t.clone(),
        (None, Some(rows)) => {
            let mut t = Tallies::from_sums(rows);
            for (i, (r, _)) in rewards.iter().enumerate() {
                if minted(i) {
                    t.add_reward(r, -1);
                }
            }
            t
        }
        (None, None) => return None,
    };
    for (o, range) in outcomes {
        for i in range.clone() {
            if minted(i) {
                t.add_reward(&rewards[i].0, 1);
            }
        }
        if let ActionResult::Applied {
            totals: Some(totals),
            ..
        } = &mut o.result
        {
            t.fill(totals);
        }
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward(player: &str, team: Option<&str>, amount: i64) -> (Reward, i64) {
        let r = Reward {
            tenant: "t".into(),
            game_id: "g".into(),
            player_id: player.into(),
            team_id: team.map(str::to_string),
            reward_type: "points".into(),
            reward_key: format!("{player}-{amount}"),
            amount,
            payload: serde_json::Value::Null,
        };
        (r, 0)
    }

    #[test]
    fn named_lists_the_actor_and_everyone_paid() {
        let t = named(
            Some(("p1", Some("red"))),
            &[reward("p2", Some("blue"), 5), reward("p3", None, 1)],
        );
        let players: Vec<&str> = t.players.keys().map(String::as_str).collect();
        let teams: Vec<&str> = t.teams.keys().map(String::as_str).collect();
        assert_eq!(players, ["p1", "p2", "p3"]);
        assert_eq!(teams, ["blue", "red"]);
        assert!(named(None, &[]).players.is_empty());
    }

    #[test]
    fn tallies_sum_players_across_teams_and_teams_across_players() {
        let rows = [
            PointsSum {
                player_id: "p1".into(),
                team_id: Some("red".into()),
                points: 10,
            },
            PointsSum {
                player_id: "p1".into(),
                team_id: None,
                points: 3,
            },
            PointsSum {
                player_id: "p2".into(),
                team_id: Some("red".into()),
                points: -4,
            },
        ];
        let t = Tallies::from_sums(&rows);
        let mut out = named(Some(("p1", Some("red"))), &[reward("p2", None, 0)]);
        t.fill(&mut out);
        assert_eq!(out.players["p1"], 13);
        assert_eq!(out.players["p2"], -4);
        assert_eq!(out.teams["red"], 6);
    }
}
