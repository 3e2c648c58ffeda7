//! From a plugin's effects to the host's records: the one place that maps
//! WIT rewards, score deltas and quest updates onto the ledger, the
//! leaderboard and the streams.
//!
//! The mapping (see also `docs/processor.md`):
//!
//! - WIT `reward` -> [`store::Reward`]: tenant and game from the action's
//!   game (never from the plugin), `player`, `team`, `reward-type`,
//!   `reward-key` unchanged, `points` -> `amount`, and a JSON payload
//!   `{reason, action_id, at_ms}`. The ledger derives `reward_id` from
//!   (tenant, game, player, reward key), so a replayed action mints
//!   nothing new.
//! - Leaderboard entries are made from the **ledger rows** the mint
//!   returns (the first row on a replay), one [`ScoreEntry`] per reward
//!   with its `reward_id`, `delta = amount`, `team_id = team`: the board is
//!   the fold of the ledger by construction, and the board skips reward ids
//!   it has already counted.
//! - WIT `score-delta`s only supply `at_ms` (the game time the score was
//!   reached, which may be later than the action, e.g. a round closing):
//!   the SDK emits, for every reward, an individual delta for its player
//!   (and a team delta) with the same points. A reward takes the `at-ms`
//!   of the first unused individual delta with the same subject and
//!   points, else the action's timestamp. A delta matching no reward is
//!   not applied (a board entry needs a ledger row) and is counted in the
//!   `unmatched_score_deltas` log field.
//! - WIT `quest-update` -> `quest.v1.<type>` keyed by quest id, kind
//!   `quest.updated`.
//! - After each applied action, one `player.delta` on `events.v1.players`
//!   per player concerned (the actor and every rewarded player), keyed by
//!   player id: a compact "refresh this game" hint with the points the
//!   action gave them.
//!
//! Event ids of quest and player events derive from the action id and the
//! effect's index, so redelivering an action republishes the same ids and
//! consumers deduplicate on `event_id`.

use sha2::{Digest, Sha256};
use veltrix_sdk::{GameStatus, QuestUpdate, ScoreDelta};

use crate::leaderboard::{MAX_AT_MS, ScoreEntry};
use crate::store::{self, RewardRow};
use crate::streams::Envelope;

/// Stream kind of a quest update.
pub const QUEST_UPDATED: &str = "quest.updated";
/// Stream kind of a player delta.
pub const PLAYER_DELTA: &str = "player.delta";
/// Stream kind of an action on the game stream.
pub const GAME_ACTION: &str = "game.action";

/// The action an effect comes from.
#[derive(Debug, Clone)]
pub(crate) struct Origin<'a> {
    pub tenant: &'a str,
    pub game_id: &'a str,
    pub game_type: &'a str,
    pub action_id: &'a str,
    pub player: &'a str,
    pub at_ms: i64,
}

/// A deterministic event id for effect `index` of kind `tag` of an action.
pub(crate) fn derived_id(action_id: &str, tag: &str, index: usize) -> String {
    let mut h = Sha256::new();
    h.update(b"veltrix/effect-id/v1\0");
    for part in [action_id, tag] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update((index as u64).to_be_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Checks what the ledger would refuse, before the transition is adopted:
/// a bad reward must fail its action, not the whole mint batch.
pub(crate) fn check_rewards(
    rewards: &[veltrix_sdk::Reward],
    reward_types: &[String],
) -> Result<(), String> {
    for r in rewards {
        if r.reward_key.is_empty() || r.player.is_empty() {
            return Err("a reward has an empty reward key or player".into());
        }
        // The relay could never publish to an undeclared topic.
        if !reward_types.contains(&r.reward_type) {
            return Err(format!(
                "reward type `{}` is not declared in streams.reward_types",
                r.reward_type
            ));
        }
    }
    Ok(())
}

/// The ledger reward of a WIT reward, and the game time it was reached.
pub(crate) fn rewards(
    o: &Origin<'_>,
    rewards: &[veltrix_sdk::Reward],
    deltas: &[ScoreDelta],
) -> (Vec<(store::Reward, i64)>, usize) {
    let mut used = vec![false; deltas.len()];
    let out = rewards
        .iter()
        .map(|r| {
            let at = deltas
                .iter()
                .enumerate()
                .find(|(i, d)| {
                    !used[*i]
                        && d.board == veltrix_sdk::Board::Individual
                        && d.subject == r.player
                        && d.delta == r.points
                })
                .map(|(i, d)| {
                    used[i] = true;
                    d.at_ms
                })
                .unwrap_or(o.at_ms);
            let reward = store::Reward {
                tenant: o.tenant.to_string(),
                game_id: o.game_id.to_string(),
                player_id: r.player.clone(),
                team_id: r.team.clone(),
                reward_type: r.reward_type.clone(),
                reward_key: r.reward_key.clone(),
                amount: r.points,
                payload: serde_json::json!({
                    "reason": r.reason,
                    "action_id": o.action_id,
                    "at_ms": at,
                }),
            };
            (reward, at)
        })
        .collect();
    let unmatched = deltas
        .iter()
        .zip(&used)
        .filter(|(d, u)| !**u && d.board == veltrix_sdk::Board::Individual)
        .count();
    (out, unmatched)
}

/// The leaderboard entry of a ledger row.
pub(crate) fn score_entry(row: &RewardRow, at_ms: i64) -> ScoreEntry {
    ScoreEntry {
        tenant: row.reward.tenant.clone(),
        game_id: row.reward.game_id.clone(),
        player_id: row.reward.player_id.clone(),
        team_id: row.reward.team_id.clone(),
        delta: row.reward.amount,
        reward_id: row.reward_id.clone(),
        at_ms: at_ms.clamp(0, MAX_AT_MS),
    }
}

/// The quest-stream event of a quest update.
pub(crate) fn quest_event(o: &Origin<'_>, index: usize, q: &QuestUpdate) -> Envelope {
    let detail: serde_json::Value = serde_json::from_str(&q.detail)
        .unwrap_or_else(|_| serde_json::Value::String(q.detail.clone()));
    let payload = serde_json::json!({
        "game_id": o.game_id,
        "game_type": o.game_type,
        "quest_id": q.quest_id,
        "status": q.status,
        "team": q.team,
        "player": q.player,
        "detail": detail,
        "action_id": o.action_id,
        "at_ms": o.at_ms,
    });
    Envelope {
        event_id: derived_id(o.action_id, "quest", index),
        tenant: o.tenant.to_string(),
        key: q.quest_id.clone(),
        kind: QUEST_UPDATED.into(),
        ts_ms: o.at_ms,
        payload: serde_json::to_vec(&payload).expect("json"),
    }
}

/// The player deltas of an applied action: the actor first, then every
/// other rewarded player, each with the points this action gave them.
pub(crate) fn player_events(
    o: &Origin<'_>,
    rewards: &[veltrix_sdk::Reward],
    status: GameStatus,
) -> Vec<Envelope> {
    let mut players: Vec<(&str, i64)> = vec![(o.player, 0)];
    for r in rewards {
        match players.iter_mut().find(|(p, _)| *p == r.player) {
            Some(e) => e.1 = e.1.saturating_add(r.points),
            None => players.push((&r.player, r.points)),
        }
    }
    players
        .into_iter()
        .filter(|(p, _)| !p.is_empty())
        .enumerate()
        .map(|(i, (player, points))| {
            let payload = serde_json::json!({
                "game_id": o.game_id,
                "game_type": o.game_type,
                "player_id": player,
                "points": points,
                "status": status,
                "action_id": o.action_id,
                "at_ms": o.at_ms,
            });
            Envelope {
                event_id: derived_id(o.action_id, "player", i),
                tenant: o.tenant.to_string(),
                key: player.to_string(),
                kind: PLAYER_DELTA.into(),
                ts_ms: o.at_ms,
                payload: serde_json::to_vec(&payload).expect("json"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use veltrix_sdk::{Board, Reward};

    fn origin() -> Origin<'static> {
        Origin {
            tenant: "acme",
            game_id: "g1",
            game_type: "scavenger",
            action_id: "a1",
            player: "p1",
            at_ms: 1_000,
        }
    }

    fn reward(player: &str, points: i64, ty: &str) -> Reward {
        Reward {
            reward_key: format!("k:{player}:{points}"),
            reward_type: ty.into(),
            player: player.into(),
            team: Some("t1".into()),
            points,
            reason: "why".into(),
        }
    }

    fn delta(board: Board, subject: &str, delta: i64, at_ms: i64) -> ScoreDelta {
        ScoreDelta {
            board,
            subject: subject.into(),
            delta,
            at_ms,
        }
    }

    #[test]
    fn rewards_take_their_deltas_time_and_ids_match_the_ledger() {
        let rs = [reward("p1", 5, "points"), reward("p2", 3, "bonus")];
        let ds = [
            delta(Board::Individual, "p1", 5, 2_000),
            delta(Board::Team, "t1", 5, 2_000),
            delta(Board::Individual, "p9", 1, 3_000),
        ];
        let (out, unmatched) = rewards(&origin(), &rs, &ds);
        assert_eq!(unmatched, 1);
        assert_eq!(out[0].1, 2_000, "time from the matching delta");
        assert_eq!(out[1].1, 1_000, "no delta: the action's time");
        let r = &out[0].0;
        assert_eq!((r.tenant.as_str(), r.game_id.as_str()), ("acme", "g1"));
        assert_eq!(r.amount, 5);
        assert_eq!(
            r.id(),
            store::reward_id("acme", "g1", "p1", &rs[0].reward_key)
        );
    }

    #[test]
    fn undeclared_reward_types_and_empty_keys_are_refused() {
        let types = vec!["points".to_string()];
        assert!(check_rewards(&[reward("p1", 1, "points")], &types).is_ok());
        assert!(check_rewards(&[reward("p1", 1, "gold")], &types).is_err());
        let mut r = reward("p1", 1, "points");
        r.reward_key.clear();
        assert!(check_rewards(&[r], &types).is_err());
    }

    #[test]
    fn effect_ids_are_deterministic_and_player_deltas_cover_the_rewarded() {
        assert_eq!(derived_id("a1", "quest", 0), derived_id("a1", "quest", 0));
        assert_ne!(derived_id("a1", "quest", 0), derived_id("a1", "quest", 1));
        assert_ne!(derived_id("a1", "quest", 0), derived_id("a1", "player", 0));
        let ev = player_events(
            &origin(),
            &[reward("p2", 3, "points"), reward("p2", 2, "points")],
            GameStatus::Running,
        );
        let keys: Vec<&str> = ev.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["p1", "p2"]);
        let v: serde_json::Value = serde_json::from_slice(&ev[1].payload).unwrap();
        assert_eq!(v["points"], 5);
    }
}
