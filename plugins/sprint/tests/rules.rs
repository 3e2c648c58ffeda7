//! The sprint rules, driven through the SDK's native harness.

use serde_json::{Value, json};
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::prelude::*;

#[path = "../../testing/contract_check.rs"]
mod contract_check;
// Shadows the SDK's: every game below holds each accepted action to the
// contract (declared kind, listed role, payload schema, reward types).
use contract_check::Harness;
use veltrix_sprint::{Sprint, sample};

const CONFIG: &str = r#"{
  "placement_bonus": [50, 30, 10],
  "floor_percent": 20,
  "default_duration_ms": 100000
}"#;

fn game() -> Harness<Sprint> {
    Harness::new(CONFIG, 1).unwrap()
}

fn tasks() -> Value {
    json!([
        {"id": "a", "points": 100},
        {"id": "b", "points": 50, "answers": ["Blue Whale", "blue-whale"]}
    ])
}

fn gm(kind: &str, t: i64, payload: Value) -> Action {
    Action::new("gm", kind, t)
        .as_game_master()
        .with_payload(payload)
}

fn open(n: u32, t: i64) -> Action {
    gm("open_round", t, json!({"round": n, "tasks": tasks()}))
}

fn close(n: u32, t: i64) -> Action {
    gm("close_round", t, json!({"round": n}))
}

fn tick(t: i64) -> Action {
    Action::new("host", "tick", t).as_system()
}

fn done(player: &str, team: &str, round: u32, task: &str, t: i64) -> Action {
    Action::new(player, "complete", t)
        .with_team(team)
        .with_payload(json!({"round": round, "task": task, "answer": "blue whale"}))
}

fn code(r: Result<Transition, Rejection>) -> RejectionCode {
    r.expect_err("action should be rejected").code
}

fn update<'a>(t: &'a Transition, status: &str) -> &'a QuestUpdate {
    t.quest_updates
        .iter()
        .find(|q| q.status == status)
        .unwrap_or_else(|| panic!("no `{status}` update in {:?}", t.quest_updates))
}

fn detail(t: &Transition, status: &str) -> Value {
    serde_json::from_str(&update(t, status).detail).unwrap()
}

#[test]
fn example_config_inits_and_info_is_complete() {
    let info = Sprint::info();
    assert!(Harness::<Sprint>::new(&info.example_config, 3).is_ok());
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    for k in Lifecycle::KINDS
        .iter()
        .chain(["open_round", "close_round", "complete"].iter())
    {
        assert!(info.action_kinds.iter().any(|x| x == k), "missing {k}");
    }
    assert_eq!((info.latency_budget_us, info.fuel_budget), (500, 2_000_000));
    let bad = Harness::<Sprint>::new(r#"{"placement_bonus": [10], "rounds": []}"#, 1);
    assert!(bad.unwrap_err().message.contains("rounds"));
}

#[test]
fn task_value_decays_over_the_window() {
    let mut g = game();
    let t = g.apply(open(1, 0)).unwrap();
    let d = detail(&t, "open");
    assert_eq!(
        (d["start_ms"].as_i64(), d["end_ms"].as_i64()),
        (Some(0), Some(100_000))
    );
    assert!(!t.quest_updates[0].detail.contains("whale"), "answers leak");
    g.apply(done("ann", "red", 1, "a", 0)).unwrap();
    g.apply(done("bob", "blue", 1, "a", 50_000)).unwrap();
    let t = g.apply(done("cat", "green", 1, "a", 99_999)).unwrap();
    let r = &g.rewards();
    assert_eq!(r["task:1:a:red"].points, 100);
    // 100 - (100 - 20) * elapsed / duration.
    assert_eq!(r["task:1:a:blue"].points, 60);
    assert_eq!(r["task:1:a:green"].points, 21);
    let d = detail(&t, "done");
    assert_eq!(
        (d["points"].as_i64(), d["elapsed_ms"].as_i64()),
        (Some(21), Some(99_999))
    );
    assert_eq!(update(&t, "done").quest_id, "round-1/a");
    assert_eq!(g.view("bob").score, 60);
}

#[test]
fn answers_are_checked_and_tasks_count_once_per_team() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    let no_answer = Action::new("ann", "complete", 1_000)
        .with_team("red")
        .with_payload(json!({"round": 1, "task": "b"}));
    assert_eq!(code(g.apply(no_answer)), RejectionCode::InvalidPayload);
    let wrong = Action::new("ann", "complete", 1_000)
        .with_team("red")
        .with_payload(json!({"round": 1, "task": "b", "answer": "orca"}));
    assert_eq!(code(g.apply(wrong)), RejectionCode::Incorrect);
    let right = Action::new("ann", "complete", 1_000)
        .with_team("red")
        .with_payload(json!({"round": 1, "task": "b", "answer": "  BLUE   whale "}));
    g.apply(right).unwrap();
    assert_eq!(
        code(g.apply(done("al", "red", 1, "b", 2_000))),
        RejectionCode::AlreadyDone
    );
    assert_eq!(
        code(g.apply(done("ann", "red", 1, "zz", 2_000))),
        RejectionCode::NotFound
    );
    g.apply(done("al", "red", 1, "a", 3_000)).unwrap();
    assert_eq!(g.score(Board::Team, "red"), 50 + 98);
}

#[test]
fn submissions_outside_the_window_are_rejected() {
    let mut g = game();
    assert_eq!(
        code(g.apply(done("ann", "red", 1, "a", 0))),
        RejectionCode::NotFound
    );
    let scheduled = gm(
        "open_round",
        1_000,
        json!({"round": 1, "start_ms": 10_000, "duration_ms": 5_000, "tasks": tasks()}),
    );
    let t = g.apply(scheduled).unwrap();
    assert_eq!(t.quest_updates[0].status, "scheduled");
    assert_eq!(
        code(g.apply(done("ann", "red", 1, "a", 9_999))),
        RejectionCode::OutOfWindow
    );
    // The first action after the start announces the round as open.
    let t = g.apply(done("ann", "red", 1, "a", 10_000)).unwrap();
    let statuses: Vec<_> = t.quest_updates.iter().map(|q| q.status.as_str()).collect();
    assert_eq!(statuses, vec!["open", "done"]);
    assert_eq!(g.rewards()["task:1:a:red"].points, 100);
    // The window end is exclusive.
    assert_eq!(
        code(g.apply(done("bob", "blue", 1, "a", 15_000))),
        RejectionCode::OutOfWindow
    );
    g.apply(tick(15_000)).unwrap();
    assert_eq!(
        code(g.apply(done("bob", "blue", 1, "a", 15_001))),
        RejectionCode::OutOfWindow
    );
    assert_eq!(
        code(g.apply(done("bob", "blue", 2, "a", 15_001))),
        RejectionCode::NotFound
    );
}

#[test]
fn a_tick_after_the_window_closes_ranks_and_pays_at_once() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(done("ann", "red", 1, "a", 10_000)).unwrap(); // 92
    g.apply(done("bob", "blue", 1, "a", 1_000)).unwrap(); // 100 (out of order is fine)
    g.apply(done("bob", "blue", 1, "b", 2_000)).unwrap(); // 50
    g.apply(done("cat", "green", 1, "b", 3_000)).unwrap(); // 49
    g.apply(done("dan", "pink", 1, "b", 4_000)).unwrap(); // 49, but later
    assert_eq!(
        code(g.apply(Action::new("ann", "tick", 130_000).with_team("red"))),
        RejectionCode::Forbidden
    );
    let early = g.apply(tick(99_999)).unwrap();
    assert!(early.rewards.is_empty() && early.quest_updates.is_empty());
    let t = g.apply(tick(130_000)).unwrap();
    let closed = update(&t, "closed");
    assert_eq!(
        (closed.quest_id.as_str(), closed.team.as_deref()),
        ("round-1", None)
    );
    let d: Value = serde_json::from_str(&closed.detail).unwrap();
    assert_eq!(d["closed_at_ms"], 100_000);
    let order: Vec<&str> = d["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["team"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec!["blue", "red", "green", "pink"]);
    assert_eq!(d["ranking"][3]["bonus"], 0);
    let r = g.rewards();
    assert_eq!(r["place:1:blue"].points, 50);
    assert_eq!(r["place:1:red"].points, 30);
    assert_eq!(r["place:1:green"].points, 10);
    assert!(!r.contains_key("place:1:pink"));
    assert_eq!(r["place:1:blue"].reward_type, "bonus");
    // Paid at the round's end, not at the tick.
    let at: Vec<i64> = t.score_deltas.iter().map(|d| d.at_ms).collect();
    assert!(at.iter().all(|&x| x == 100_000), "{at:?}");
    assert_eq!(g.score(Board::Team, "blue"), 200);
    assert_eq!(g.view("bob").score, 200);
    // Closed once: later ticks change nothing.
    assert!(g.apply(tick(200_000)).unwrap().rewards.is_empty());
}

#[test]
fn game_master_closes_early_and_only_once() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(done("ann", "red", 1, "a", 1_000)).unwrap();
    assert_eq!(
        code(
            g.apply(
                Action::new("ann", "close_round", 2_000)
                    .with_team("red")
                    .with_payload(json!({"round": 1}))
            )
        ),
        RejectionCode::Forbidden
    );
    let t = g.apply(close(1, 20_000)).unwrap();
    assert_eq!(detail(&t, "closed")["closed_at_ms"], 20_000);
    assert_eq!(g.rewards()["place:1:red"].points, 50);
    assert_eq!(code(g.apply(close(1, 21_000))), RejectionCode::AlreadyDone);
    assert_eq!(code(g.apply(close(7, 21_000))), RejectionCode::NotFound);
    assert_eq!(
        code(g.apply(done("bob", "blue", 1, "a", 22_000))),
        RejectionCode::OutOfWindow
    );
    // A late close never lengthens the round.
    g.apply(open(2, 30_000)).unwrap();
    let t = g.apply(close(2, 500_000)).unwrap();
    assert_eq!(detail(&t, "closed")["closed_at_ms"], 130_000);
}

#[test]
fn round_ties_go_to_whoever_reached_the_score_first() {
    let mut g = game();
    let flat = json!({"round": 1, "floor_percent": 100, "tasks": tasks()});
    g.apply(gm("open_round", 0, flat)).unwrap();
    // zeta scores first, but alpha reaches 150 first.
    g.apply(done("z", "zeta", 1, "b", 1_000)).unwrap();
    g.apply(done("a", "alpha", 1, "a", 2_000)).unwrap();
    g.apply(done("a", "alpha", 1, "b", 3_000)).unwrap();
    g.apply(done("z", "zeta", 1, "a", 4_000)).unwrap();
    g.apply(close(1, 5_000)).unwrap();
    assert_eq!(g.rewards()["place:1:alpha"].points, 50);
    assert_eq!(g.rewards()["place:1:zeta"].points, 30);
    // On the game board alpha leads: same game score, bonus paid at close.
    assert_eq!(g.ranking(Board::Team)[0], ("alpha".into(), 200));
}

#[test]
fn game_board_ties_go_to_whoever_got_there_first() {
    let mut g = game();
    let flat = json!({"round": 1, "floor_percent": 100, "tasks": tasks()});
    g.apply(gm("open_round", 0, flat)).unwrap();
    g.apply(done("z", "zeta", 1, "a", 1_000)).unwrap();
    g.apply(done("a", "alpha", 1, "a", 2_000)).unwrap();
    assert_eq!(
        g.ranking(Board::Team),
        vec![("zeta".into(), 100), ("alpha".into(), 100)]
    );
    assert_eq!(
        g.ranking(Board::Individual),
        vec![("z".into(), 100), ("a".into(), 100)]
    );
}

#[test]
fn placement_bonus_goes_to_the_teams_last_scorer_and_solo_players_have_no_team() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(done("ann", "red", 1, "a", 1_000)).unwrap();
    g.apply(done("al", "red", 1, "b", 2_000)).unwrap();
    let solo = Action::new("sol", "complete", 3_000).with_payload(json!({"round": 1, "task": "a"}));
    g.apply(solo).unwrap();
    g.apply(close(1, 4_000)).unwrap();
    let first = &g.rewards()["place:1:red"];
    assert_eq!(
        (first.player.as_str(), first.team.as_deref()),
        ("al", Some("red"))
    );
    let second = &g.rewards()["place:1:sol"];
    assert_eq!(
        (second.player.as_str(), second.team.as_deref()),
        ("sol", None)
    );
    assert_eq!(g.view("sol").score, g.score(Board::Individual, "sol"));
}

#[test]
fn ending_the_game_closes_open_rounds() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(done("ann", "red", 1, "a", 1_000)).unwrap();
    let t = g.apply(gm("end", 40_000, json!({}))).unwrap();
    assert_eq!(t.status, GameStatus::Finished);
    assert_eq!(detail(&t, "closed")["closed_at_ms"], 40_000);
    assert_eq!(g.rewards()["place:1:red"].points, 50);
    assert_eq!(code(g.apply(open(2, 50_000))), RejectionCode::GameOver);
    assert_eq!(
        code(g.apply(done("ann", "red", 1, "b", 50_000))),
        RejectionCode::GameOver
    );
}

#[test]
fn the_scheduled_end_closes_rounds_at_the_games_end() {
    let mut g = Harness::<Sprint>::new(
        r#"{"starts_at_ms": 1000, "ends_at_ms": 60000, "placement_bonus": [50]}"#,
        1,
    )
    .unwrap();
    assert_eq!(code(g.apply(open(1, 500))), RejectionCode::NotAllowedNow);
    g.apply(open(1, 1_000)).unwrap();
    g.apply(done("ann", "red", 1, "a", 2_000)).unwrap();
    let t = g.apply(tick(90_000)).unwrap();
    assert_eq!(t.status, GameStatus::Finished);
    assert_eq!(detail(&t, "closed")["closed_at_ms"], 60_000);
    assert_eq!(g.rewards()["place:1:red"].points, 50);
    // A round may not start after the game's end.
    let mut g = Harness::<Sprint>::new(r#"{"ends_at_ms": 60000}"#, 1).unwrap();
    let late = gm(
        "open_round",
        0,
        json!({"round": 1, "start_ms": 60_000, "tasks": tasks()}),
    );
    assert_eq!(code(g.apply(late)), RejectionCode::NotAllowedNow);
}

#[test]
fn wait_for_start_waits_for_the_game_master_whatever_starts_at_ms_says() {
    // `starts_at_ms` is accepted, and ignored: waiting for the game master
    // wins.
    let mut g =
        Harness::<Sprint>::new(r#"{"wait_for_start": true, "starts_at_ms": 1000}"#, 1).unwrap();
    let day = 86_400_000;
    assert_eq!(
        code(g.apply(done("ann", "red", 1, "a", day))),
        RejectionCode::NotAllowedNow
    );
    assert_eq!(code(g.apply(open(1, day))), RejectionCode::NotAllowedNow);
    assert_eq!(g.apply(tick(2 * day)).unwrap().status, GameStatus::Waiting);
    let t = g.apply(gm("start", 3 * day, json!({}))).unwrap();
    assert_eq!(t.status, GameStatus::Running);
    g.apply(open(1, 3 * day)).unwrap();
    g.apply(done("ann", "red", 1, "a", 3 * day)).unwrap();
    assert_eq!(g.rewards()["task:1:a:red"].points, 100);
}

#[test]
fn pause_blocks_players_but_not_the_clock() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(gm("pause", 1_000, json!({}))).unwrap();
    assert_eq!(
        code(g.apply(done("ann", "red", 1, "a", 2_000))),
        RejectionCode::NotAllowedNow
    );
    // The game master may prepare the next round while paused.
    g.apply(open(2, 3_000)).unwrap();
    g.apply(gm("resume", 50_000, json!({}))).unwrap();
    g.apply(done("ann", "red", 1, "a", 50_000)).unwrap();
    assert_eq!(g.rewards()["task:1:a:red"].points, 60);
    assert_eq!(
        code(g.apply(gm("resume", 51_000, json!({})))),
        RejectionCode::NotAllowedNow
    );
}

#[test]
fn open_round_is_validated() {
    let mut g = game();
    let by_player =
        Action::new("ann", "open_round", 0).with_payload(json!({"round": 1, "tasks": tasks()}));
    assert_eq!(code(g.apply(by_player)), RejectionCode::Forbidden);
    let cases = [
        json!({"round": 0, "tasks": tasks()}),
        json!({"round": 1, "tasks": []}),
        json!({"round": 1, "start_ms": -5, "tasks": tasks()}),
        json!({"round": 1, "duration_ms": 10, "tasks": tasks()}),
        json!({"round": 1, "floor_percent": 101, "tasks": tasks()}),
        json!({"round": 1, "tasks": [{"id": "a:b", "points": 5}]}),
        json!({"round": 1, "tasks": tasks(), "bonus": 3}),
        json!({"round": 4_000_000_000u32, "tasks": tasks()}),
    ];
    for p in cases {
        let e = g.apply(gm("open_round", 0, p.clone())).unwrap_err();
        assert_eq!(e.code, RejectionCode::InvalidPayload, "{p}: {}", e.message);
    }
    g.apply(open(3, 0)).unwrap();
    assert_eq!(code(g.apply(open(3, 1))), RejectionCode::AlreadyDone);
    assert_eq!(code(g.apply(open(2, 1))), RejectionCode::AlreadyDone);
    for n in 4..7 {
        g.apply(open(n, 2)).unwrap();
    }
    assert_eq!(code(g.apply(open(7, 3))), RejectionCode::NotAllowedNow);
    g.apply(close(4, 4)).unwrap();
    g.apply(open(9, 5)).unwrap();
    assert_eq!(g.state().next_round, 10);
}

#[test]
fn concurrent_rounds_score_independently() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(gm(
        "open_round",
        0,
        json!({"round": 2, "duration_ms": 10_000, "tasks": [{"id": "a", "points": 10}]}),
    ))
    .unwrap();
    g.apply(done("ann", "red", 1, "a", 1_000)).unwrap();
    g.apply(done("ann", "red", 2, "a", 5_000)).unwrap();
    // Halfway: 10 - (10 - 2) / 2.
    assert_eq!(g.rewards()["task:2:a:red"].points, 6);
    // Round 2 closes at 10 s on the next action, round 1 stays open.
    let t = g.apply(done("bob", "blue", 1, "a", 10_000)).unwrap();
    assert_eq!(update(&t, "closed").quest_id, "round-2");
    assert!(g.rewards().contains_key("place:2:red"));
    assert!(!g.rewards().contains_key("place:1:red"));
}

#[test]
fn grants_and_revokes_move_boards_and_views_once() {
    let mut g = game();
    let grant = gm(
        "grant",
        1_000,
        json!({"id": "g1", "player": "ann", "team": "red", "points": 40}),
    );
    g.apply(grant.clone()).unwrap();
    assert_eq!(code(g.apply(grant)), RejectionCode::AlreadyDone);
    g.apply(gm(
        "revoke",
        2_000,
        json!({"id": "g1", "player": "ann", "team": "red", "points": 15}),
    ))
    .unwrap();
    g.apply(open(1, 3_000)).unwrap();
    g.apply(done("ann", "red", 1, "a", 3_000)).unwrap();
    assert_eq!(g.score(Board::Team, "red"), 125);
    assert_eq!(g.view("ann").score, 125);
    let own = Action::new("ann", "grant", 4_000)
        .with_payload(json!({"id": "x", "player": "ann", "points": 9}));
    assert_eq!(code(g.apply(own)), RejectionCode::Forbidden);
}

#[test]
fn players_cannot_switch_teams() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(done("ann", "red", 1, "a", 1_000)).unwrap();
    assert_eq!(
        code(g.apply(done("ann", "blue", 1, "b", 2_000))),
        RejectionCode::NotAllowedNow
    );
}

#[test]
fn view_shows_own_progress_and_no_answers() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    g.apply(done("ann", "red", 1, "b", 1_000)).unwrap();
    g.apply(done("bob", "blue", 1, "a", 1_000)).unwrap();
    let v = g.view("ann");
    let s: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(s["team"], "red");
    assert_eq!(s["rounds"][0]["status"], "open");
    assert_eq!(s["rounds"][0]["round_score"], 50);
    assert_eq!(s["rounds"][0]["tasks"][0]["done"], false);
    assert_eq!(s["rounds"][0]["tasks"][1]["done"], true);
    assert_eq!(v.score, 50);
    assert!(!v.summary.to_lowercase().contains("whale"));
    let stranger = g.view("nobody");
    assert_eq!(stranger.score, 0);
    assert!(stranger.summary.contains("\"team\":null"));
    g.apply(close(1, 2_000)).unwrap();
    let s: Value = serde_json::from_str(&g.view("ann").summary).unwrap();
    assert_eq!(
        (
            s["last_round"].as_u64(),
            s["rounds"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0))
    );
}

#[test]
fn invalid_payloads_are_rejected() {
    let mut g = game();
    g.apply(open(1, 0)).unwrap();
    for raw in [
        "",
        "null",
        "{\"round\": -1, \"task\": \"a\"}",
        "{\"round\": 1}",
        "{\"round\": 1, \"task\": \"a\", \"x\": 1}",
    ] {
        let a = Action::new("ann", "complete", 1)
            .with_team("red")
            .with_raw_payload(raw);
        assert_eq!(code(g.apply(a)), RejectionCode::InvalidPayload, "{raw}");
    }
    let long = Action::new("ann", "complete", 1)
        .with_team("red")
        .with_payload(json!({"round": 1, "task": "b", "answer": "x".repeat(5_000)}));
    assert_eq!(code(g.apply(long)), RejectionCode::InvalidPayload);
    assert_eq!(
        code(g.apply(Action::new("ann", "sprint", 1))),
        RejectionCode::UnknownKind
    );
    assert!(g.rewards().is_empty());
}

#[test]
fn garbage_payloads_never_panic() {
    // The SDK's own harness: the host refuses most of these before the
    // plugin (payload schemas, roles), but the plugin must not rely on it.
    let mut g = veltrix_sdk::Harness::<Sprint>::new(CONFIG, 1).unwrap();
    g.apply(open(1, 0)).unwrap();
    let garbage = [
        "",
        "[]",
        "{\"round\": 1e999}",
        "{\"round\": 1, \"task\": [1]}",
        "\u{0}",
    ];
    let mut t = 1;
    for kind in Sprint::info().action_kinds {
        if kind == "end" || kind == "pause" {
            continue;
        }
        for p in garbage {
            for role in [ActorRole::Player, ActorRole::GameMaster, ActorRole::System] {
                t += 1;
                let mut a = Action::new("p", &kind, t)
                    .with_raw_payload(p)
                    .with_team("red");
                a.role = role;
                let _ = g.apply(a);
            }
        }
    }
    assert!(g.rewards().is_empty());
    assert_eq!(g.status(), GameStatus::Running);
}

fn game_of_sample(seed: u64) -> Harness<Sprint> {
    Harness::new(&sample::config(), seed).unwrap()
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

#[test]
fn sample_stream_keeps_the_game_running_with_sane_rewards() {
    let actions = sample::actions(5_000, 1);
    assert_eq!(actions.len(), 5_000);
    assert_eq!(actions[0].timestamp_ms, sample::START_MS);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    let mut keys: Vec<_> = actions.iter().map(|a| &a.idempotency_key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 5_000);
    let mut g = game_of_sample(1);
    let mut rejected = std::collections::BTreeMap::new();
    let mut kinds = std::collections::BTreeSet::new();
    let mut closed = 0;
    let mut max_state = 0;
    for a in actions {
        assert_eq!((a.tenant.as_str(), a.game.as_str()), ("bench", "g1"));
        kinds.insert(a.kind.clone());
        match g.apply(a) {
            Ok(t) => {
                closed += t
                    .quest_updates
                    .iter()
                    .filter(|q| q.status == "closed")
                    .count()
            }
            Err(r) => *rejected.entry(format!("{:?}", r.code)).or_insert(0) += 1,
        }
        max_state = max_state.max(g.state_bytes().len());
    }
    let n = g.rewards().len();
    eprintln!(
        "rejections {rejected:?}, {n} rewards, {closed} rounds closed, state <= {max_state} bytes"
    );
    assert_eq!(g.status(), GameStatus::Running);
    let total: usize = rejected.values().sum();
    assert!((400..=1_000).contains(&total), "rejections {rejected:?}");
    for k in [
        "NotFound",
        "AlreadyDone",
        "Incorrect",
        "OutOfWindow",
        "InvalidPayload",
    ] {
        assert!(rejected.contains_key(k), "no {k} in {rejected:?}");
    }
    for k in [
        "open_round",
        "close_round",
        "complete",
        "tick",
        "grant",
        "revoke",
    ] {
        assert!(kinds.contains(k), "no {k}");
    }
    assert!((20..=60).contains(&closed), "{closed} rounds closed");
    assert!((2_000..=5_000).contains(&n), "{n} rewards");
    assert!(g.rewards().keys().any(|k| k.starts_with("place:")));
    assert!(max_state < 4_000, "state grew to {max_state} bytes");
}

#[test]
fn contract_matches_info_and_declares_what_the_sample_mints() {
    contract_check::assert_contract_matches_info::<Sprint>();
    let declared = contract_check::reward_types::<Sprint>();
    assert_eq!(
        declared,
        ["points", "bonus", "adjustment"].map(String::from).into()
    );
    // `play` checks every accepted action (role, schema, reward types).
    let minted = contract_check::play::<Sprint>(&sample::config(), 1, sample::actions(5_000, 1));
    assert_eq!(minted, declared);
    let c = Sprint::contract();
    let gm = [ActorRole::GameMaster, ActorRole::System];
    assert_eq!(c.spec("open_round").unwrap().roles, gm);
    assert_eq!(c.spec("close_round").unwrap().roles, gm);
    assert_eq!(c.spec("complete").unwrap().roles, [ActorRole::Player]);
}

#[test]
fn payload_schemas_accept_what_the_game_accepts() {
    let ok = |kind: &str, p: Value| contract_check::schema_accepts::<Sprint>(kind, &p);
    assert!(ok("open_round", json!({ "round": 1, "tasks": tasks() })));
    assert!(ok(
        "open_round",
        json!({ "round": 1_000_000_000, "start_ms": null, "duration_ms": 1_000,
            "floor_percent": 100, "tasks": [{ "id": "A.z_-9", "points": 1_000_000 }] })
    ));
    assert!(ok("close_round", json!({ "round": 0 })));
    assert!(ok("complete", json!({ "round": 1, "task": "a" })));
    assert!(ok(
        "complete",
        json!({ "round": 1, "task": "b", "answer": "blue whale" })
    ));
    // What serde refuses, the schema refuses; and what `open_round` refuses
    // whatever the state.
    assert!(!ok("complete", json!({ "round": -1, "task": "a" })));
    assert!(!ok("complete", json!({ "task": "a" })));
    assert!(!ok("close_round", json!({ "round": 1, "now": true })));
    let open_with = |extra: Value| {
        let mut p = json!({ "round": 1, "tasks": tasks() });
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    let mut g = game();
    for bad in [
        json!({ "round": 0 }),
        json!({ "round": 1_000_000_001 }),
        json!({ "duration_ms": 999 }),
        json!({ "duration_ms": 86_400_001 }),
        json!({ "floor_percent": 101 }),
        json!({ "tasks": [] }),
        json!({ "tasks": [{ "id": "", "points": 1 }] }),
        json!({ "tasks": [{ "id": "a b", "points": 1 }] }),
        json!({ "tasks": [{ "id": "x".repeat(33), "points": 1 }] }),
        json!({ "tasks": [{ "id": "a", "points": 0 }] }),
        json!({ "tasks": [{ "id": "a", "points": 1_000_001 }] }),
    ] {
        let p = open_with(bad);
        assert!(!ok("open_round", p.clone()), "{p}");
        // The game refuses each of them too.
        assert_eq!(
            code(g.apply(gm("open_round", 0, p.clone()))),
            RejectionCode::InvalidPayload,
            "{p}"
        );
    }
    let many: Vec<Value> = (0..33)
        .map(|i| json!({ "id": format!("t{i}"), "points": 1 }))
        .collect();
    let p = open_with(json!({ "tasks": many }));
    assert!(!ok("open_round", p.clone()));
    assert_eq!(
        code(g.apply(gm("open_round", 0, p))),
        RejectionCode::InvalidPayload
    );
}
