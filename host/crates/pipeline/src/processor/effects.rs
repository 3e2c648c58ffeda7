//! From a plugin's effects to the host's records: the one place that maps
//! WIT rewards, score deltas and quest updates onto the ledger, the
//! leaderboard and the streams.
//!
//! The mapping (see also `docs/processor.md`):
//!
//! - WIT `reward` -> [`veltrix_store::Reward`]: tenant and game from the action's
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

use std::collections::{HashMap, VecDeque};

use sha2::{Digest, Sha256};
use veltrix_contract::{GameStatus, QuestUpdate, ScoreDelta};

use veltrix_leaderboard::keys::validate_member_id;
use veltrix_leaderboard::{MAX_AT_MS, ScoreEntry};
use veltrix_store::RewardRow;
use veltrix_streams::Envelope;

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

/// What a plugin's rewards must satisfy to be minted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RewardRules {
    /// `streams.reward_types`.
    pub types: Vec<String>,
    /// `processor.max_reward_points`.
    pub max_points: i64,
    /// `processor.replay_stall_tries`.
    pub replay_stall_tries: u32,
    /// The largest quest update detail or reward reason a stream event can
    /// carry: `streams.max_payload_bytes` less [`EVENT_OVERHEAD`].
    pub max_text_bytes: usize,
}

/// Room left in an event payload for the fields the host adds around a
/// plugin's text (ids, game type, times, JSON punctuation): ids are
/// bounded well below this.
pub(crate) const EVENT_OVERHEAD: usize = 1024;

/// Checks what the ledger, the relay or a board would refuse, before the
/// transition is adopted: a bad reward must fail its own action (a fault,
/// decided the same way on every replay), never the mint batch or another
/// game's board entries.
pub(crate) fn check_rewards(
    rewards: &[veltrix_contract::Reward],
    rules: &RewardRules,
) -> Result<(), String> {
    let mut sums: HashMap<&str, i64> = HashMap::new();
    for r in rewards {
        if r.reward_key.is_empty() || r.player.is_empty() {
            return Err("a reward has an empty reward key or player".into());
        }
        // The relay could never publish to an undeclared topic.
        if !rules.types.contains(&r.reward_type) {
            return Err(format!(
                "reward type `{}` is not declared in streams.reward_types",
                r.reward_type
            ));
        }
        if r.points.checked_abs().is_none_or(|p| p > rules.max_points) {
            return Err(format!(
                "a reward of {} points is outside +-{} (processor.max_reward_points)",
                r.points, rules.max_points
            ));
        }
        // What the boards refuse (control characters, over-long ids).
        let ids = std::iter::once(("player", r.player.as_str()))
            .chain(r.team.as_deref().map(|t| ("team", t)))
            .chain(std::iter::once(("reward key", r.reward_key.as_str())));
        for (what, id) in ids {
            if let Err(e) = validate_member_id(what, id) {
                return Err(e.to_string());
            }
        }
        let sum = sums.entry(&r.player).or_default();
        *sum = sum.saturating_add(r.points);
        if sum.abs() > rules.max_points {
            return Err(format!(
                "one action gives player `{}` more than +-{} points (processor.max_reward_points)",
                r.player.escape_debug(),
                rules.max_points
            ));
        }
    }
    Ok(())
}

/// Checks that a typed component mints only the reward types its contract
/// declares (`declared` is `None` for a 0.2 component, which declared
/// none): a game type cannot start minting a currency nobody agreed to.
pub(crate) fn check_declared(
    rewards: &[veltrix_contract::Reward],
    declared: Option<&[String]>,
) -> Result<(), String> {
    let Some(declared) = declared else {
        return Ok(());
    };
    match rewards.iter().find(|r| !declared.contains(&r.reward_type)) {
        Some(r) => Err(format!(
            "reward type `{}` is not among the game type's declared reward types {declared:?}",
            r.reward_type
        )),
        None => Ok(()),
    }
}

/// Checks what the streams would refuse: a quest update (or a reward's
/// reason) too large for one event would fail the batch's sends on every
/// retry, so it faults its own action instead.
pub(crate) fn check_sizes(
    t: &veltrix_contract::Transition,
    rules: &RewardRules,
) -> Result<(), String> {
    let limit = rules.max_text_bytes;
    for q in &t.quest_updates {
        let size = [Some(&q.detail), Some(&q.quest_id), Some(&q.status)]
            .into_iter()
            .chain([q.team.as_ref(), q.player.as_ref()])
            .flatten()
            .map(String::len)
            .sum::<usize>();
        if size > limit {
            return Err(format!(
                "quest update `{}` is {size} bytes; an event carries at most {limit} \
                 (streams.max_payload_bytes less {EVENT_OVERHEAD})",
                q.quest_id.escape_debug()
            ));
        }
    }
    for r in &t.rewards {
        if r.reason.len() > limit {
            return Err(format!(
                "a reward's reason is {} bytes; an event carries at most {limit} \
                 (streams.max_payload_bytes less {EVENT_OVERHEAD})",
                r.reason.len()
            ));
        }
    }
    Ok(())
}

/// The ledger reward of a WIT reward, and the game time it was reached.
/// Linear in the plugin's output: individual deltas are queued by
/// (subject, points), each reward takes the first one of its queue.
pub(crate) fn rewards(
    o: &Origin<'_>,
    rewards: &[veltrix_contract::Reward],
    deltas: &[ScoreDelta],
) -> (Vec<(veltrix_store::Reward, i64)>, usize) {
    let mut queues: HashMap<(&str, i64), VecDeque<i64>> = HashMap::new();
    let mut individual = 0usize;
    for d in deltas {
        if d.board == veltrix_contract::Board::Individual {
            individual += 1;
            queues
                .entry((d.subject.as_str(), d.delta))
                .or_default()
                .push_back(d.at_ms);
        }
    }
    let mut used = 0usize;
    let out = rewards
        .iter()
        .map(|r| {
            let at = queues
                .get_mut(&(r.player.as_str(), r.points))
                .and_then(VecDeque::pop_front)
                .inspect(|_| used += 1)
                .unwrap_or(o.at_ms);
            let reward = veltrix_store::Reward {
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
    (out, individual - used)
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

/// The compaction key of a player's deltas on `events.v1.players`:
/// tenant, game and player, so nothing another tenant (or another game)
/// does can replace a delta not yet read. Tenant and game ids cannot hold
/// `/`, so the key is unambiguous.
pub fn player_key(tenant: &str, game_id: &str, player: &str) -> String {
    format!("{tenant}/{game_id}/{player}")
}

/// The player deltas of an applied action: the actor first, then every
/// other rewarded player, each with the points this action gave them.
pub(crate) fn player_events(
    o: &Origin<'_>,
    rewards: &[veltrix_contract::Reward],
    status: GameStatus,
) -> Vec<Envelope> {
    let mut players: Vec<(&str, i64)> = vec![(o.player, 0)];
    let mut index: HashMap<&str, usize> = HashMap::from([(o.player, 0)]);
    for r in rewards {
        match index.get(r.player.as_str()) {
            Some(&i) => players[i].1 = players[i].1.saturating_add(r.points),
            None => {
                index.insert(&r.player, players.len());
                players.push((&r.player, r.points));
            }
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
                key: player_key(o.tenant, o.game_id, player),
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
    use veltrix_contract::{Board, Reward};

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
            veltrix_store::reward_id("acme", "g1", "p1", &rs[0].reward_key)
        );
    }

    #[test]
    fn undeclared_reward_types_and_empty_keys_are_refused() {
        let rules = RewardRules {
            types: vec!["points".to_string()],
            max_points: 1_000,
            replay_stall_tries: 1,
            max_text_bytes: 1 << 16,
        };
        assert!(check_rewards(&[reward("p1", 1, "points")], &rules).is_ok());
        assert!(check_rewards(&[reward("p1", 1, "gold")], &rules).is_err());
        let mut r = reward("p1", 1, "points");
        r.reward_key.clear();
        assert!(check_rewards(&[r], &rules).is_err());
    }

    #[test]
    fn what_a_board_or_the_ledger_would_refuse_faults_the_action() {
        let rules = RewardRules {
            types: vec!["points".to_string()],
            max_points: 1_000,
            replay_stall_tries: 1,
            max_text_bytes: 1 << 16,
        };
        for points in [1_001, -1_001, i64::MAX, i64::MIN, 1 << 53] {
            assert!(check_rewards(&[reward("p1", points, "points")], &rules).is_err());
        }
        assert!(check_rewards(&[reward("p\u{1b}[31m", 1, "points")], &rules).is_err());
        // Each in range, together over it.
        let two = [reward("p1", 600, "points"), reward("p1", 600, "points")];
        assert!(check_rewards(&two, &rules).is_err());
        assert!(check_rewards(&[reward("p1", -1_000, "points")], &rules).is_ok());
    }

    #[test]
    fn pairing_many_rewards_with_deltas_is_linear_and_exact() {
        let n = 20_000;
        let rs: Vec<Reward> = (0..n)
            .map(|i| reward(&format!("p{i}"), 1, "points"))
            .collect();
        let ds: Vec<ScoreDelta> = (0..n)
            .rev()
            .map(|i| delta(Board::Individual, &format!("p{i}"), 1, 5_000 + i as i64))
            .collect();
        let (out, unmatched) = rewards(&origin(), &rs, &ds);
        assert_eq!(unmatched, 0);
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, (_, at))| *at == 5_000 + i as i64)
        );
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
        assert_eq!(keys, ["acme/g1/p1", "acme/g1/p2"]);
        let v: serde_json::Value = serde_json::from_slice(&ev[1].payload).unwrap();
        assert_eq!(v["points"], 5);
    }

    #[test]
    fn text_too_large_for_an_event_faults_the_action() {
        let rules = RewardRules {
            types: vec!["points".to_string()],
            max_points: 1_000,
            replay_stall_tries: 1,
            max_text_bytes: 100,
        };
        let quest = |detail: &str| QuestUpdate {
            quest_id: "q1".into(),
            status: "done".into(),
            team: None,
            player: Some("p1".into()),
            detail: detail.into(),
        };
        let mut t = veltrix_contract::Transition {
            state: Vec::new(),
            status: GameStatus::Running,
            rewards: vec![reward("p1", 1, "points")],
            score_deltas: Vec::new(),
            quest_updates: vec![quest("small")],
        };
        assert!(check_sizes(&t, &rules).is_ok());
        t.quest_updates.push(quest(&"x".repeat(100)));
        let e = check_sizes(&t, &rules).unwrap_err();
        assert!(e.contains("quest update `q1`"), "{e}");
        t.quest_updates.pop();
        t.rewards[0].reason = "y".repeat(101);
        assert!(check_sizes(&t, &rules).unwrap_err().contains("reason"));
    }
}
