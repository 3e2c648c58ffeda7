//! The riddle rules, driven through the SDK's native harness.

use serde_json::{Value, json};
use veltrix_riddle::{Riddle, sample};
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::prelude::*;

#[path = "../../testing/contract_check.rs"]
mod contract_check;
// Shadows the SDK's: every game below holds each accepted action to the
// contract (declared kind, listed role, payload schema, reward types).
use contract_check::Harness;

const CONFIG: &str = r#"{
  "first_solve_bonus": 50,
  "rate_limit": {"max_wrong": 3, "window_ms": 60000, "cooldown_ms": 30000},
  "challenges": [
    {"id": "a", "answers": ["Golden Gate", "golden-gate"], "points": 100,
     "hints": [{"text": "A bridge", "cost": 20}, {"text": "In San Francisco", "cost": 30}]},
    {"id": "b", "answers": ["b"], "points": 500,
     "decay": {"curve": "linear", "floor": 100, "solves_to_floor": 4}},
    {"id": "c", "answers": ["c"], "points": 300, "unlock": {"after": ["a"]},
     "hints": [{"text": "see a", "cost": 10}]},
    {"id": "d", "answers": ["d"], "points": 200, "unlock": {"at_ms": 10000}},
    {"id": "e", "answers": ["e"], "points": 400, "first_solve_bonus": 0,
     "unlock": {"min_solves": 2}},
    {"id": "f", "answers": ["f"], "points": 700,
     "decay": {"curve": "logarithmic", "floor": 100, "solves_to_floor": 7}}
  ]
}"#;

fn game() -> Harness<Riddle> {
    Harness::new(CONFIG, 1).unwrap()
}

fn attempt(player: &str, team: &str, challenge: &str, answer: &str, t: i64) -> Action {
    Action::new(player, "attempt", t)
        .with_team(team)
        .with_payload(json!({ "challenge": challenge, "answer": answer }))
}

fn hint(player: &str, team: &str, challenge: &str, h: u32, t: i64) -> Action {
    Action::new(player, "hint", t)
        .with_team(team)
        .with_payload(json!({ "challenge": challenge, "hint": h }))
}

fn gm(kind: &str, t: i64) -> Action {
    Action::new("gm", kind, t).as_game_master()
}

fn code(r: Result<Transition, Rejection>) -> RejectionCode {
    r.expect_err("action should be rejected").code
}

fn detail(t: &Transition, status: &str) -> Value {
    let q = t
        .quest_updates
        .iter()
        .find(|q| q.status == status)
        .unwrap_or_else(|| panic!("no `{status}` update in {:?}", t.quest_updates));
    serde_json::from_str(&q.detail).unwrap()
}

#[test]
fn example_config_inits_and_info_is_complete() {
    let info = Riddle::info();
    assert!(Harness::<Riddle>::new(&info.example_config, 9).is_ok());
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    for k in Lifecycle::KINDS.iter().chain(["attempt", "hint"].iter()) {
        assert!(info.action_kinds.iter().any(|x| x == k), "missing {k}");
    }
    assert_eq!(info.latency_budget_us, 500);
    assert_eq!(info.fuel_budget, 2_000_000);
    let bad = Harness::<Riddle>::new(r#"{"challenges": [], "extra": 1}"#, 1);
    assert!(bad.unwrap_err().message.contains("extra"));
}

#[test]
fn correct_answer_scores_value_and_first_solve_bonus_once() {
    let mut g = game();
    let t = g
        .apply(attempt("ann", "red", "a", "  golden   GATE ", 1_000))
        .unwrap();
    assert_eq!(g.rewards()["solve:a:red"].points, 100);
    assert_eq!(g.rewards()["first:a"].points, 50);
    assert_eq!(g.rewards()["first:a"].reward_type, "bonus");
    let d = detail(&t, "solved");
    assert_eq!(
        (d["points"].as_i64(), d["bonus"].as_i64()),
        (Some(100), Some(50))
    );
    g.apply(attempt("bob", "blue", "a", "golden-gate", 2_000))
        .unwrap();
    assert_eq!(g.rewards()["solve:a:blue"].points, 100);
    assert_eq!(g.rewards().len(), 3, "the bonus is paid once");
    assert_eq!(
        g.ranking(Board::Team),
        vec![("red".into(), 150), ("blue".into(), 100)]
    );
    assert_eq!(g.score(Board::Individual, "ann"), 150);
    assert_eq!(g.view("ann").score, 150);
    // The same team cannot solve twice, even with another player.
    let again = g.apply(attempt("al", "red", "a", "golden gate", 3_000));
    assert_eq!(code(again), RejectionCode::AlreadyDone);
}

#[test]
fn wrong_answer_is_accepted_as_incorrect_without_reward() {
    let mut g = game();
    let t = g
        .apply(attempt("ann", "red", "a", "golden bridge", 1_000))
        .unwrap();
    assert!(t.rewards.is_empty() && t.score_deltas.is_empty());
    assert_eq!(t.quest_updates[0].quest_id, "a");
    assert_eq!(t.quest_updates[0].team.as_deref(), Some("red"));
    let d = detail(&t, "incorrect");
    assert_eq!(d["wrong_left"], 2);
    assert!(d["cooldown_until_ms"].is_null());
    // "goldengate" is not "golden gate": only case and spacing are ignored.
    let t = g
        .apply(attempt("ann", "red", "a", "goldengate", 2_000))
        .unwrap();
    assert_eq!(detail(&t, "incorrect")["wrong_left"], 1);
}

#[test]
fn wrong_answers_are_rate_limited_per_team_then_cool_down() {
    let mut g = game();
    g.apply(attempt("ann", "red", "a", "x", 1_000)).unwrap();
    g.apply(attempt("al", "red", "b", "y", 2_000)).unwrap();
    let t = g.apply(attempt("ann", "red", "f", "z", 3_000)).unwrap();
    let d = detail(&t, "incorrect");
    assert_eq!(
        (d["cooldown_until_ms"].as_i64(), d["wrong_left"].as_i64()),
        (Some(33_000), Some(0))
    );
    // Every attempt of the team is refused, even a right one...
    assert_eq!(
        code(g.apply(attempt("al", "red", "a", "golden gate", 4_000))),
        RejectionCode::RateLimited
    );
    assert_eq!(
        code(g.apply(attempt("ann", "red", "b", "b", 32_999))),
        RejectionCode::RateLimited
    );
    // ...but not another team's.
    g.apply(attempt("bob", "blue", "a", "wrong", 5_000))
        .unwrap();
    // After the cooldown the team plays again, with a fresh window.
    g.apply(attempt("al", "red", "a", "golden gate", 33_000))
        .unwrap();
    let t = g.apply(attempt("al", "red", "b", "nope", 34_000)).unwrap();
    assert_eq!(detail(&t, "incorrect")["wrong_left"], 2);
}

#[test]
fn rate_limit_window_expires() {
    let mut g = game();
    g.apply(attempt("ann", "red", "a", "x", 1_000)).unwrap();
    g.apply(attempt("ann", "red", "a", "y", 2_000)).unwrap();
    // 60 s after the window opened, counting starts again.
    let t = g.apply(attempt("ann", "red", "a", "z", 61_000)).unwrap();
    assert_eq!(detail(&t, "incorrect")["wrong_left"], 2);
    g.apply(attempt("ann", "red", "a", "w", 62_000)).unwrap();
    g.apply(attempt("ann", "red", "a", "golden gate", 63_000))
        .unwrap();
}

#[test]
fn linear_decay_is_frozen_at_solve_time_and_stops_at_the_floor() {
    let mut g = game();
    for (i, team) in ["t0", "t1", "t2", "t3", "t4", "t5"].iter().enumerate() {
        let t = g
            .apply(attempt(&format!("p{i}"), team, "b", "B", 1_000 + i as i64))
            .unwrap();
        let next = [400, 300, 200, 100, 100, 100][i];
        assert_eq!(detail(&t, "solved")["next_value"], next);
    }
    let got: Vec<i64> = (0..6)
        .map(|i| g.rewards()[&format!("solve:b:t{i}")].points)
        .collect();
    assert_eq!(got, vec![500, 400, 300, 200, 100, 100]);
    // Later solvers never lowered earlier scores.
    assert_eq!(g.score(Board::Team, "t0"), 550);
    assert_eq!(g.score(Board::Team, "t1"), 400);
}

#[test]
fn logarithmic_decay_drops_fast_then_slowly() {
    let mut g = game();
    let got: Vec<i64> = (0..9)
        .map(|i| {
            g.apply(attempt(
                &format!("p{i}"),
                &format!("t{i}"),
                "f",
                "f",
                100 + i,
            ))
            .unwrap();
            g.rewards()[&format!("solve:f:t{i}")].points
        })
        .collect();
    // 700 - 600 * log2(1 + n) / log2(8).
    assert_eq!(got, vec![700, 500, 384, 300, 236, 184, 139, 100, 100]);
}

#[test]
fn hints_cost_points_once_per_team() {
    let mut g = game();
    let t = g.apply(hint("ann", "red", "a", 1, 1_000)).unwrap();
    let r = &g.rewards()["hint:a:1:red"];
    assert_eq!((r.points, r.reward_type.as_str()), (-30, "penalty"));
    assert_eq!(detail(&t, "hint")["text"], "In San Francisco");
    assert_eq!(
        code(g.apply(hint("al", "red", "a", 1, 2_000))),
        RejectionCode::AlreadyDone
    );
    g.apply(hint("bob", "blue", "a", 1, 3_000)).unwrap();
    g.apply(hint("al", "red", "a", 0, 4_000)).unwrap();
    assert_eq!(g.score(Board::Team, "red"), -50);
    assert_eq!(g.view("al").score, -50);
    assert_eq!(
        code(g.apply(hint("al", "red", "a", 2, 5_000))),
        RejectionCode::NotFound
    );
    assert_eq!(
        code(g.apply(hint("al", "red", "nope", 0, 5_000))),
        RejectionCode::NotFound
    );
    // No hints for locked challenges, nor for solved ones.
    assert_eq!(
        code(g.apply(hint("al", "red", "c", 0, 5_000))),
        RejectionCode::NotAllowedNow
    );
    g.apply(attempt("al", "red", "a", "golden gate", 6_000))
        .unwrap();
    g.apply(hint("al", "red", "c", 0, 7_000)).unwrap();
    g.apply(attempt("al", "red", "c", "c", 8_000)).unwrap();
    assert_eq!(
        code(g.apply(hint("al", "red", "c", 0, 9_000))),
        RejectionCode::AlreadyDone
    );
    // The solve is not reduced by the hints: they are separate rewards.
    assert_eq!(g.rewards()["solve:a:red"].points, 100);
}

#[test]
fn prerequisite_unlocks_on_solve() {
    let mut g = game();
    let locked = g.apply(attempt("ann", "red", "c", "c", 1_000)).unwrap_err();
    assert_eq!(locked.code, RejectionCode::NotAllowedNow);
    assert!(locked.message.contains("after a"), "{}", locked.message);
    let t = g
        .apply(attempt("ann", "red", "a", "golden gate", 2_000))
        .unwrap();
    let unlocked: Vec<_> = t
        .quest_updates
        .iter()
        .filter(|q| q.status == "unlocked")
        .map(|q| (q.quest_id.as_str(), q.team.as_deref()))
        .collect();
    assert_eq!(unlocked, vec![("c", Some("red"))]);
    g.apply(attempt("ann", "red", "c", "C", 3_000)).unwrap();
    // Another team is still locked out.
    assert_eq!(
        code(g.apply(attempt("bob", "blue", "c", "c", 4_000))),
        RejectionCode::NotAllowedNow
    );
}

#[test]
fn min_solves_unlocks_after_enough_solves() {
    let mut g = game();
    g.apply(attempt("ann", "red", "b", "b", 1_000)).unwrap();
    assert_eq!(
        code(g.apply(attempt("ann", "red", "e", "e", 2_000))),
        RejectionCode::NotAllowedNow
    );
    let t = g.apply(attempt("ann", "red", "f", "f", 3_000)).unwrap();
    assert!(
        t.quest_updates
            .iter()
            .any(|q| q.quest_id == "e" && q.status == "unlocked")
    );
    g.apply(attempt("ann", "red", "e", "e", 4_000)).unwrap();
    // `first_solve_bonus: 0` on e overrides the game's 50.
    assert!(!g.rewards().contains_key("first:e"));
    assert_eq!(g.rewards()["solve:e:red"].points, 400);
}

#[test]
fn time_release_on_tick_and_only_the_host_or_gm_ticks() {
    let mut g = game();
    assert_eq!(
        code(g.apply(attempt("ann", "red", "d", "d", 9_999))),
        RejectionCode::NotAllowedNow
    );
    assert_eq!(
        code(g.apply(Action::new("ann", "tick", 10_000))),
        RejectionCode::Forbidden
    );
    let early = g
        .apply(Action::new("host", "tick", 9_000).as_system())
        .unwrap();
    assert!(early.quest_updates.is_empty());
    let t = g
        .apply(Action::new("host", "tick", 10_000).as_system())
        .unwrap();
    assert_eq!(t.quest_updates.len(), 1);
    let q = &t.quest_updates[0];
    assert_eq!((q.quest_id.as_str(), q.status.as_str()), ("d", "released"));
    assert_eq!(q.team, None);
    // Released once only.
    let t = g
        .apply(Action::new("host", "tick", 20_000).as_system())
        .unwrap();
    assert!(t.quest_updates.is_empty());
    g.apply(attempt("ann", "red", "d", "d", 20_001)).unwrap();
}

#[test]
fn a_player_action_after_the_release_time_releases_first() {
    let mut g = game();
    let t = g.apply(attempt("ann", "red", "d", "d", 12_000)).unwrap();
    let statuses: Vec<_> = t.quest_updates.iter().map(|q| q.status.as_str()).collect();
    assert_eq!(statuses, vec!["released", "solved"]);
}

#[test]
fn invalid_actions_are_rejected_with_the_right_code() {
    let mut g = game();
    let cases = [
        (
            attempt("ann", "red", "zzz", "x", 1),
            RejectionCode::NotFound,
        ),
        (
            attempt("ann", "red", "a", "   ", 1),
            RejectionCode::InvalidPayload,
        ),
        (
            Action::new("ann", "attempt", 1).with_raw_payload(r#"{"challenge":"a"}"#),
            RejectionCode::InvalidPayload,
        ),
        (
            Action::new("ann", "attempt", 1).with_raw_payload("not json"),
            RejectionCode::InvalidPayload,
        ),
        (
            Action::new("ann", "hint", 1).with_raw_payload(r#"{"challenge":"a","hint":-1}"#),
            RejectionCode::InvalidPayload,
        ),
        (
            attempt("ann", "red", "a", &"x".repeat(5_000), 1),
            RejectionCode::InvalidPayload,
        ),
        (Action::new("ann", "dance", 1), RejectionCode::UnknownKind),
        (
            Action::new(&"p".repeat(65), "attempt", 1)
                .with_payload(json!({"challenge": "a", "answer": "x"})),
            RejectionCode::InvalidPayload,
        ),
    ];
    for (a, want) in cases {
        let kind = a.kind.clone();
        assert_eq!(code(g.apply(a)), want, "{kind}");
    }
    assert!(g.rewards().is_empty());
}

#[test]
fn players_cannot_switch_teams() {
    let mut g = game();
    g.apply(attempt("ann", "red", "a", "golden gate", 1_000))
        .unwrap();
    let hop = g.apply(attempt("ann", "blue", "a", "golden gate", 2_000));
    assert_eq!(code(hop), RejectionCode::NotAllowedNow);
}

#[test]
fn pause_resume_and_end() {
    let mut g = game();
    g.apply(attempt("ann", "red", "a", "nope", 1_000)).unwrap();
    assert_eq!(
        code(g.apply(Action::new("ann", "pause", 2_000))),
        RejectionCode::Forbidden
    );
    g.apply(gm("pause", 2_000)).unwrap();
    assert_eq!(g.status(), GameStatus::Paused);
    assert_eq!(
        code(g.apply(attempt("ann", "red", "a", "golden gate", 3_000))),
        RejectionCode::NotAllowedNow
    );
    assert_eq!(
        code(g.apply(hint("ann", "red", "a", 0, 3_000))),
        RejectionCode::NotAllowedNow
    );
    g.apply(gm("resume", 4_000)).unwrap();
    g.apply(attempt("ann", "red", "a", "golden gate", 5_000))
        .unwrap();
    let end = g.apply(gm("end", 6_000)).unwrap();
    assert_eq!(end.status, GameStatus::Finished);
    assert_eq!(
        code(g.apply(attempt("bob", "blue", "a", "golden gate", 7_000))),
        RejectionCode::GameOver
    );
    assert_eq!(code(g.apply(gm("resume", 8_000))), RejectionCode::GameOver);
    assert_eq!(g.view("ann").status, GameStatus::Finished);
}

#[test]
fn schedule_starts_and_ends_the_game_and_releases_wait_for_the_start() {
    let cfg: Value = serde_json::from_str(CONFIG).unwrap();
    let mut cfg = cfg.as_object().unwrap().clone();
    cfg.insert("starts_at_ms".into(), json!(20_000));
    cfg.insert("ends_at_ms".into(), json!(100_000));
    let mut g = Harness::<Riddle>::with_config(&cfg, 1).unwrap();
    assert_eq!(
        code(g.apply(attempt("ann", "red", "a", "golden gate", 19_999))),
        RejectionCode::NotAllowedNow
    );
    // Waiting: `d` (due at 10 s) is not released before the start.
    let t = g
        .apply(Action::new("host", "tick", 15_000).as_system())
        .unwrap();
    assert!(t.quest_updates.is_empty());
    assert_eq!(t.status, GameStatus::Waiting);
    let t = g.apply(attempt("ann", "red", "d", "d", 20_000)).unwrap();
    assert_eq!(t.status, GameStatus::Running);
    assert_eq!(t.quest_updates[0].status, "released");
    assert_eq!(
        code(g.apply(attempt("ann", "red", "a", "golden gate", 100_000))),
        RejectionCode::GameOver
    );
    let t = g
        .apply(Action::new("host", "tick", 100_000).as_system())
        .unwrap();
    assert_eq!(t.status, GameStatus::Finished);
}

#[test]
fn wait_for_start_waits_for_the_game_master_then_releases() {
    let cfg: Value = serde_json::from_str(CONFIG).unwrap();
    let mut cfg = cfg.as_object().unwrap().clone();
    cfg.insert("wait_for_start".into(), json!(true));
    // Accepted, and ignored: waiting for the game master wins.
    cfg.insert("starts_at_ms".into(), json!(20_000));
    let mut g = Harness::<Riddle>::with_config(&cfg, 1).unwrap();
    assert_eq!(
        code(g.apply(attempt("ann", "red", "a", "golden gate", 5_000_000))),
        RejectionCode::NotAllowedNow
    );
    let t = g
        .apply(Action::new("host", "tick", 6_000_000).as_system())
        .unwrap();
    assert_eq!(t.status, GameStatus::Waiting);
    assert!(t.quest_updates.is_empty());
    // The start releases `d` (due at 10 s) at once.
    let t = g.apply(gm("start", 7_000_000)).unwrap();
    assert_eq!(t.status, GameStatus::Running);
    assert!(t.quest_updates.iter().any(|q| q.status == "released"));
    let t = g.apply(attempt("ann", "red", "d", "d", 7_000_001)).unwrap();
    assert_eq!(t.rewards[0].points, 200);
}

#[test]
fn grants_and_revokes_move_boards_and_views_once() {
    let mut g = game();
    g.apply(attempt("ann", "red", "a", "golden gate", 1_000))
        .unwrap();
    let grant = gm("grant", 2_000).with_payload(
        json!({"id": "spirit", "player": "ann", "team": "red", "points": 40, "reason": "costumes"}),
    );
    g.apply(grant.clone()).unwrap();
    assert_eq!(code(g.apply(grant)), RejectionCode::AlreadyDone);
    let revoke = gm("revoke", 3_000)
        .with_payload(json!({"id": "spirit", "player": "ann", "team": "red", "points": 15}));
    g.apply(revoke).unwrap();
    assert_eq!(g.rewards()["revoke:spirit"].points, -15);
    assert_eq!(g.score(Board::Team, "red"), 175);
    assert_eq!(g.view("ann").score, 175);
    let by_player = Action::new("ann", "grant", 4_000)
        .with_payload(json!({"id": "self", "player": "ann", "points": 1000}));
    assert_eq!(code(g.apply(by_player)), RejectionCode::Forbidden);
    // A solo player credited by the game master sees it in their view.
    g.apply(gm("grant", 5_000).with_payload(json!({"id": "solo", "player": "sol", "points": 7})))
        .unwrap();
    assert_eq!(g.view("sol").score, 7);
}

#[test]
fn ties_go_to_whoever_reached_the_score_first() {
    let mut g = game();
    // zeta reaches 150 first (solve + first bonus); alpha gets there later.
    g.apply(attempt("z1", "zeta", "a", "golden gate", 1_000))
        .unwrap();
    g.apply(attempt("a1", "alpha", "a", "golden gate", 2_000))
        .unwrap();
    g.apply(
        gm("grant", 3_000)
            .with_payload(json!({"id": "g", "player": "a1", "team": "alpha", "points": 50})),
    )
    .unwrap();
    assert_eq!(
        g.ranking(Board::Team),
        vec![("zeta".into(), 150), ("alpha".into(), 150)]
    );
    assert_eq!(
        g.ranking(Board::Individual),
        vec![("z1".into(), 150), ("a1".into(), 150)]
    );
}

#[test]
fn view_shows_own_progress_and_no_answers() {
    let mut g = game();
    g.apply(attempt("ann", "red", "a", "golden gate", 1_000))
        .unwrap();
    g.apply(hint("ann", "red", "c", 0, 2_000)).unwrap();
    g.apply(attempt("ann", "red", "b", "nope", 3_000)).unwrap();
    g.apply(attempt("al", "red", "b", "nope", 4_000)).unwrap();
    let v = g.view("al");
    assert_eq!(v.score, 140);
    let s: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(s["team"], "red");
    assert_eq!(s["solved"], json!(["a"]));
    let open: Vec<&str> = s["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(open, vec!["b", "c", "f"]);
    assert_eq!(s["open"][1]["bought"], json!([0]));
    assert_eq!(s["locked"], 2);
    assert!(!v.summary.to_lowercase().contains("golden"));
    let stranger = g.view("nobody");
    assert_eq!(stranger.score, 0);
    assert!(stranger.summary.contains("\"team\":null"));
}

#[test]
fn replay_is_byte_identical() {
    let actions = sample::actions(1_500, 42);
    let (mut g1, mut g2) = (game_of_sample(42), game_of_sample(42));
    for a in actions {
        let r1 = g1.apply(a.clone());
        let r2 = g2.apply(a);
        assert_eq!(r1, r2);
        assert_eq!(g1.state_bytes(), g2.state_bytes());
    }
    assert_eq!(g1.rewards(), g2.rewards());
}

fn game_of_sample(seed: u64) -> Harness<Riddle> {
    Harness::new(&sample::config(), seed).unwrap()
}

#[test]
fn sample_stream_keeps_the_game_running_with_sane_rewards() {
    let actions = sample::actions(5_000, 1);
    assert_eq!(actions.len(), 5_000);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    assert_eq!(actions[0].timestamp_ms, sample::START_MS);
    let mut keys: Vec<_> = actions.iter().map(|a| &a.idempotency_key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 5_000);
    let mut g = game_of_sample(1);
    let mut rejected = std::collections::BTreeMap::new();
    let mut kinds = std::collections::BTreeSet::new();
    let mut max_state = 0;
    for a in actions {
        assert_eq!((a.tenant.as_str(), a.game.as_str()), ("bench", "g1"));
        kinds.insert(a.kind.clone());
        if let Err(r) = g.apply(a) {
            *rejected.entry(format!("{:?}", r.code)).or_insert(0) += 1;
        }
        max_state = max_state.max(g.state_bytes().len());
    }
    assert_eq!(g.status(), GameStatus::Running);
    let total: usize = rejected.values().sum();
    assert!((400..=1_000).contains(&total), "rejections {rejected:?}");
    for k in [
        "NotFound",
        "AlreadyDone",
        "NotAllowedNow",
        "InvalidPayload",
        "RateLimited",
    ] {
        assert!(rejected.contains_key(k), "no {k} in {rejected:?}");
    }
    for k in ["attempt", "hint", "grant", "revoke", "tick"] {
        assert!(kinds.contains(k), "no {k}");
    }
    let n = g.rewards().len();
    eprintln!("rejections {rejected:?}, {n} rewards, state <= {max_state} bytes");
    assert!((300..=1_500).contains(&n), "{n} rewards");
    assert!(g.rewards().keys().any(|k| k.starts_with("first:")));
    assert!(g.rewards().keys().any(|k| k.starts_with("hint:")));
    assert!(max_state < 8_000, "state grew to {max_state} bytes");
}

#[test]
fn garbage_payloads_never_panic_and_never_score() {
    // The SDK's own harness: the host refuses most of these before the
    // plugin (payload schemas, roles), but the plugin must not rely on it.
    let mut g = veltrix_sdk::Harness::<Riddle>::new(CONFIG, 1).unwrap();
    let garbage = [
        "",
        "null",
        "[]",
        "{\"challenge\": 1e999, \"answer\": []}",
        "{\"challenge\": \"a\", \"hint\": 4294967296}",
        "{\"id\": \"x\", \"player\": \"p\", \"points\": 9223372036854775807}",
        "\u{0}\u{1}",
    ];
    let mut t = 1;
    for kind in Riddle::info().action_kinds {
        for p in garbage {
            for role in [ActorRole::Player, ActorRole::GameMaster] {
                t += 1;
                let mut a = Action::new("p", &kind, t)
                    .with_raw_payload(p)
                    .with_team("red");
                a.role = role;
                if kind == "end" || kind == "pause" {
                    continue;
                }
                let _ = g.apply(a);
            }
        }
    }
    // Only the (valid) huge grant and revoke may have scored.
    let keys: Vec<_> = g.rewards().keys().cloned().collect();
    assert_eq!(keys, vec!["grant:x", "revoke:x"]);
    assert_eq!(g.status(), GameStatus::Running);
}

#[test]
fn contract_matches_info_and_declares_what_the_sample_mints() {
    contract_check::assert_contract_matches_info::<Riddle>();
    let declared = contract_check::reward_types::<Riddle>();
    assert_eq!(
        declared,
        ["points", "bonus", "penalty", "adjustment"]
            .map(String::from)
            .into()
    );
    // `play` checks every accepted action (role, schema, reward types).
    let minted = contract_check::play::<Riddle>(&sample::config(), 1, sample::actions(5_000, 1));
    assert_eq!(minted, declared);
    let c = Riddle::contract();
    for k in veltrix_riddle::KINDS {
        let spec = c.spec(k).unwrap();
        assert_eq!(spec.roles, [ActorRole::Player]);
        assert!(!spec.takes_location && !spec.takes_evidence);
    }
}

#[test]
fn payload_schemas_accept_what_the_game_accepts() {
    let ok = |kind: &str, p: Value| contract_check::schema_accepts::<Riddle>(kind, &p);
    assert!(ok(
        "attempt",
        json!({ "challenge": "a", "answer": "golden gate" })
    ));
    assert!(ok("attempt", json!({ "challenge": "a", "answer": "" })));
    assert!(ok("hint", json!({ "challenge": "a", "hint": 0 })));
    assert!(ok(
        "hint",
        json!({ "challenge": "a", "hint": 4_294_967_295_u64 })
    ));
    assert!(ok(
        "grant",
        json!({ "id": "g", "player": "ann", "team": null, "points": 5 })
    ));
    // What serde refuses, the schema refuses.
    assert!(!ok("attempt", json!({ "challenge": "c00" })));
    assert!(!ok(
        "attempt",
        json!({ "challenge": "a", "answer": "x", "hint": 0 })
    ));
    assert!(!ok("hint", json!({ "challenge": "a", "hint": -1 })));
    assert!(!ok(
        "hint",
        json!({ "challenge": "a", "hint": 4_294_967_296_u64 })
    ));
    assert!(!ok("hint", json!({ "challenge": "a", "hint": "0" })));
    assert!(!ok(
        "revoke",
        json!({ "id": "g", "player": "ann", "points": 0 })
    ));
    let mut g = game();
    let r = g.apply(hint("ann", "red", "a", 0, 1).with_payload(json!({ "challenge": "a" })));
    assert_eq!(code(r), RejectionCode::InvalidPayload);
}
