//! The trail's rules, driven through the SDK's harness.

use serde_json::{Value, json};
use veltrix_sdk::prelude::*;

#[path = "../../testing/contract_check.rs"]
mod contract_check;
// Shadows the SDK's: every game below holds each accepted action to the
// contract (declared kind, listed role, payload schema, reward types).
use contract_check::Harness;
use veltrix_trail::{Trail, sample};

const T0: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;

/// Three steps: s1 GPS + task + 2 hints, s2 QR + task, s3 GPS check-in only.
fn config() -> Value {
    json!({
        "time_limit_min": 60,
        "finish_bonus": 50,
        "hint_penalty_s": 60,
        "skip_penalty_s": 300,
        "max_skips": 1,
        "max_accuracy_m": 20,
        "steps": [
            {"id": "s1", "lat": 48.8530, "lon": 2.3499, "radius_m": 30, "task": "Bridge?",
             "answers": ["Golden Gate"], "points": 10, "hints": ["red bridge", "San Francisco"]},
            {"id": "s2", "qr": "QR-S2", "answers": ["42"], "points": 20},
            {"id": "s3", "lat": 48.8606, "lon": 2.3376, "radius_m": 50, "points": 5}
        ]
    })
}

fn game_with(config: Value) -> Harness<Trail> {
    Harness::with_config(config, 7).unwrap()
}

fn game() -> Harness<Trail> {
    game_with(config())
}

/// A player action of `team` at `t` ms after T0.
fn act(player: &str, team: &str, kind: &str, t: i64, payload: Value) -> Action {
    Action::new(player, kind, T0 + t)
        .with_team(team)
        .with_payload(payload)
}

fn gm(kind: &str, t: i64, payload: Value) -> Action {
    Action::new("gm", kind, T0 + t)
        .as_game_master()
        .with_payload(payload)
}

fn begin(h: &mut Harness<Trail>, player: &str, team: &str, t: i64) {
    h.apply(act(player, team, "begin", t, json!({}))).unwrap();
}

fn arrive_s1(player: &str, team: &str, t: i64) -> Action {
    act(player, team, "arrive", t, json!({"step": "s1"})).with_location(48.8531, 2.3499, 5.0)
}

fn code(h: &mut Harness<Trail>, a: Action) -> RejectionCode {
    h.apply(a).unwrap_err().code
}

/// Runs the whole trail for `team` from `t` (ms after T0), one minute per
/// action, with `hints` hints on s1; returns the time of the last action.
fn run(h: &mut Harness<Trail>, p: &str, team: &str, t: i64, hints: u8) -> i64 {
    let mut t = t;
    let mut next = || {
        t += MIN;
        t
    };
    h.apply(arrive_s1(p, team, next())).unwrap();
    for i in 0..hints {
        h.apply(act(
            p,
            team,
            "hint",
            next(),
            json!({"step": "s1", "hint": i}),
        ))
        .unwrap();
    }
    let steps = [
        ("answer", json!({"step": "s1", "answer": "golden gate"})),
        ("arrive", json!({"step": "s2", "qr": "QR-S2"})),
        ("answer", json!({"step": "s2", "answer": "42"})),
    ];
    for (kind, payload) in steps {
        h.apply(act(p, team, kind, next(), payload)).unwrap();
    }
    let last = next();
    let a = act(p, team, "arrive", last, json!({"step": "s3"})).with_location(48.8606, 2.3376, 8.0);
    h.apply(a).unwrap();
    last
}

#[test]
fn example_config_inits_and_info_is_complete() {
    let info = Trail::info();
    Harness::<Trail>::new(&info.example_config, 1).unwrap();
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    for kind in ["begin", "arrive", "answer", "hint", "skip"]
        .iter()
        .chain(Lifecycle::KINDS.iter())
    {
        assert!(info.action_kinds.iter().any(|k| k == kind), "{kind}");
    }
    assert_eq!(info.latency_budget_us, 500);
    assert_eq!(info.fuel_budget, 2_000_000);
    sample::config().parse::<Value>().unwrap();
    Harness::<Trail>::new(&sample::config(), 1).unwrap();
}

#[test]
fn config_errors_name_the_field() {
    let cases = [
        ("/steps/0/radius_m", "must be positive"),
        ("/steps/1/id", "duplicate step id `s1`"),
        ("/steps/2", "needs a geofence"),
        (
            "/steps/0/answers",
            "a task needs at least one accepted answer",
        ),
        ("/max_skips", "must be between"),
    ];
    let mut bad = vec![config(); 5];
    bad[0]["steps"][0]["radius_m"] = json!(0);
    bad[1]["steps"][1]["id"] = json!("s1");
    bad[2]["steps"][2] = json!({"id": "s3", "points": 5});
    bad[3]["steps"][0]["answers"] = json!([]);
    bad[4]["max_skips"] = json!(-1);
    for (cfg, (path, msg)) in bad.into_iter().zip(cases) {
        let e = Harness::<Trail>::with_config(cfg, 1).unwrap_err().message;
        assert!(e.starts_with(path) && e.contains(msg), "{e}");
    }
    let mut unknown = config();
    unknown["steps"][0]["colour"] = json!("red");
    let e = Harness::<Trail>::with_config(unknown, 1)
        .unwrap_err()
        .message;
    assert!(e.contains("unknown field `colour`"), "{e}");
}

#[test]
fn full_trail_scores_steps_and_the_finish_bonus() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    let last = run(&mut h, "ann", "red", 0, 0);
    assert_eq!(h.score(Board::Team, "red"), 10 + 20 + 5 + 50);
    assert_eq!(h.score(Board::Individual, "ann"), 85);
    let keys: Vec<&String> = h.rewards().keys().collect();
    assert_eq!(
        keys,
        [
            "finish/red/0",
            "step/red/0/s1",
            "step/red/0/s2",
            "step/red/0/s3"
        ]
    );
    assert_eq!(h.status(), GameStatus::Running);
    let v = h.view("ann");
    assert_eq!(v.score, 85);
    let summary: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(summary["phase"], "finished");
    assert_eq!(summary["elapsed_ms"], last);
    let again = act("ann", "red", "arrive", last + 1, json!({"step": "s1"}));
    assert_eq!(code(&mut h, again), RejectionCode::AlreadyDone);
}

#[test]
fn every_step_transition_is_published() {
    let mut h = game();
    let t = h.apply(act("ann", "red", "begin", 0, json!({}))).unwrap();
    let st = |t: &Transition| -> Vec<(String, String)> {
        t.quest_updates
            .iter()
            .map(|q| (q.quest_id.clone(), q.status.clone()))
            .collect()
    };
    let pair = |q: &str, s: &str| (q.to_string(), s.to_string());
    assert_eq!(st(&t), [pair("trail", "started"), pair("s1", "navigating")]);
    let t = h.apply(arrive_s1("ann", "red", 1)).unwrap();
    assert_eq!(st(&t), [pair("s1", "arrived"), pair("s1", "task-open")]);
    assert!(t.quest_updates[0].detail.contains(r#""via":"gps""#));
    let t = h
        .apply(act(
            "bob",
            "red",
            "answer",
            2,
            json!({"step": "s1", "answer": "Golden Gate"}),
        ))
        .unwrap();
    assert_eq!(st(&t), [pair("s1", "done"), pair("s2", "navigating")]);
    assert_eq!(t.quest_updates[0].team.as_deref(), Some("red"));
    h.apply(act(
        "bob",
        "red",
        "arrive",
        3,
        json!({"step": "s2", "qr": " QR-S2 "}),
    ))
    .unwrap();
    h.apply(act(
        "bob",
        "red",
        "answer",
        4,
        json!({"step": "s2", "answer": "42"}),
    ))
    .unwrap();
    let a =
        act("bob", "red", "arrive", 5, json!({"step": "s3"})).with_location(48.8606, 2.3376, 8.0);
    let t = h.apply(a).unwrap();
    assert_eq!(
        st(&t),
        [
            pair("s3", "arrived"),
            pair("s3", "done"),
            pair("trail", "finished")
        ]
    );
}

#[test]
fn check_in_rejections() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    let s1 = || act("ann", "red", "arrive", 1, json!({"step": "s1"}));
    // 111 m north of the checkpoint.
    let e = h
        .apply(s1().with_location(48.8540, 2.3499, 5.0))
        .unwrap_err();
    assert_eq!(e.code, RejectionCode::Incorrect);
    assert!(
        e.message.contains("111 m from the checkpoint"),
        "{}",
        e.message
    );
    let e = h
        .apply(s1().with_location(48.8530, 2.3499, 25.0))
        .unwrap_err();
    assert_eq!(e.code, RejectionCode::Incorrect);
    assert!(e.message.contains("accuracy"), "{}", e.message);
    assert_eq!(code(&mut h, s1()), RejectionCode::InvalidPayload);
    let qr_at_s1 = act(
        "ann",
        "red",
        "arrive",
        1,
        json!({"step": "s1", "qr": "QR-S2"}),
    );
    assert_eq!(code(&mut h, qr_at_s1), RejectionCode::Incorrect);
    let nowhere = act("ann", "red", "arrive", 1, json!({"step": "s9"}));
    assert_eq!(code(&mut h, nowhere), RejectionCode::NotFound);
    // Move on to the QR-only step.
    h.apply(s1().with_location(48.8530, 2.3499, 5.0)).unwrap();
    h.apply(act(
        "ann",
        "red",
        "answer",
        2,
        json!({"step": "s1", "answer": "golden gate"}),
    ))
    .unwrap();
    let bad_qr = act(
        "ann",
        "red",
        "arrive",
        3,
        json!({"step": "s2", "qr": "QR-S3"}),
    );
    assert_eq!(code(&mut h, bad_qr), RejectionCode::Incorrect);
    let gps_at_qr_step =
        act("ann", "red", "arrive", 3, json!({"step": "s2"})).with_location(0.0, 0.0, 1.0);
    assert_eq!(code(&mut h, gps_at_qr_step), RejectionCode::InvalidPayload);
}

#[test]
fn out_of_order_actions_are_refused() {
    let mut h = game();
    let early = act("ann", "red", "arrive", 0, json!({"step": "s1"}));
    assert_eq!(code(&mut h, early), RejectionCode::NotAllowedNow);
    begin(&mut h, "ann", "red", 0);
    let jump =
        act("ann", "red", "arrive", 1, json!({"step": "s3"})).with_location(48.8606, 2.3376, 8.0);
    assert_eq!(code(&mut h, jump), RejectionCode::NotAllowedNow);
    let eager = act(
        "ann",
        "red",
        "answer",
        1,
        json!({"step": "s1", "answer": "golden gate"}),
    );
    assert_eq!(code(&mut h, eager), RejectionCode::NotAllowedNow);
    h.apply(arrive_s1("ann", "red", 2)).unwrap();
    assert_eq!(
        code(&mut h, arrive_s1("bob", "red", 3)),
        RejectionCode::AlreadyDone
    );
    h.apply(act(
        "ann",
        "red",
        "answer",
        4,
        json!({"step": "s1", "answer": "golden gate"}),
    ))
    .unwrap();
    let late = act(
        "bob",
        "red",
        "answer",
        5,
        json!({"step": "s1", "answer": "golden gate"}),
    );
    assert_eq!(code(&mut h, late), RejectionCode::AlreadyDone);
    // Another team's progress is its own.
    begin(&mut h, "cat", "blue", 6);
    let blue = act(
        "cat",
        "blue",
        "arrive",
        7,
        json!({"step": "s2", "qr": "QR-S2"}),
    );
    assert_eq!(code(&mut h, blue), RejectionCode::NotAllowedNow);
}

#[test]
fn begin_rules_and_roster() {
    let mut h = game_with({
        let mut c = config();
        c["max_teams"] = json!(2);
        c
    });
    begin(&mut h, "ann", "red", 0);
    assert_eq!(
        code(&mut h, act("bob", "red", "begin", 1, json!({}))),
        RejectionCode::AlreadyDone
    );
    // ann plays for red: she cannot act for blue.
    assert_eq!(
        code(&mut h, act("ann", "blue", "begin", 2, json!({}))),
        RejectionCode::Forbidden
    );
    begin(&mut h, "cat", "blue", 3);
    assert_eq!(
        code(&mut h, arrive_s1("ann", "blue", 4)),
        RejectionCode::Forbidden
    );
    assert_eq!(
        code(&mut h, act("dan", "green", "begin", 5, json!({}))),
        RejectionCode::NotAllowedNow
    );
    let long = "x".repeat(65);
    assert_eq!(
        code(&mut h, act("eve", &long, "begin", 6, json!({}))),
        RejectionCode::InvalidPayload
    );
    // Reward keys join ids with `/`: team ids cannot contain one.
    assert_eq!(
        code(&mut h, act("eve", "r&d/paris", "begin", 6, json!({}))),
        RejectionCode::InvalidPayload
    );
}

#[test]
fn answers_ignore_case_and_spacing_and_wrong_ones_are_incorrect() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    h.apply(arrive_s1("ann", "red", 1)).unwrap();
    let wrong = act(
        "ann",
        "red",
        "answer",
        2,
        json!({"step": "s1", "answer": "goldengate"}),
    );
    let e = h.apply(wrong).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (RejectionCode::Incorrect, "wrong answer")
    );
    assert!(h.rewards().is_empty());
    let right = act(
        "ann",
        "red",
        "answer",
        3,
        json!({"step": "s1", "answer": "  GOLDEN\tgate "}),
    );
    let t = h.apply(right).unwrap();
    assert_eq!(t.rewards.len(), 1);
    assert_eq!(t.rewards[0].points, 10);
    assert_eq!(t.rewards[0].team.as_deref(), Some("red"));
}

#[test]
fn hints_cost_time_come_in_order_and_run_out() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    let hint = |t: i64, payload: Value| act("ann", "red", "hint", t, payload);
    assert_eq!(
        code(&mut h, hint(1, json!({"step": "s1", "hint": 1}))),
        RejectionCode::NotAllowedNow
    );
    let t = h.apply(hint(1, json!({"step": "s1", "hint": 0}))).unwrap();
    assert_eq!(t.quest_updates[0].status, "hint");
    assert!(t.quest_updates[0].detail.contains("red bridge"));
    assert!(t.rewards.is_empty(), "hints cost time, not points");
    assert_eq!(
        code(&mut h, hint(2, json!({"step": "s1", "hint": 0}))),
        RejectionCode::AlreadyDone
    );
    h.apply(hint(2, json!({"step": "s1"}))).unwrap();
    assert_eq!(
        code(&mut h, hint(3, json!({"step": "s1"}))),
        RejectionCode::AlreadyDone
    );
    assert_eq!(
        code(&mut h, hint(3, json!({"step": "s1", "hint": 5}))),
        RejectionCode::NotFound
    );
    let summary: Value = serde_json::from_str(&h.view("ann").summary).unwrap();
    assert_eq!(summary["hints"], json!(["red bridge", "San Francisco"]));
    assert_eq!(summary["penalty_ms"], 2 * MIN);
    assert_eq!(summary["hints_left"], 0);
    // s3 has no hints.
    let mut c = config();
    c["max_skips"] = json!(5);
    let mut h2 = game_with(c);
    begin(&mut h2, "ann", "red", 0);
    h2.apply(act("ann", "red", "skip", 1, json!({"step": "s1"})))
        .unwrap();
    h2.apply(act("ann", "red", "skip", 2, json!({"step": "s2"})))
        .unwrap();
    assert_eq!(
        code(&mut h2, act("ann", "red", "hint", 3, json!({"step": "s3"}))),
        RejectionCode::NotFound
    );
}

#[test]
fn skips_move_on_without_points_and_are_limited() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    let t = h
        .apply(act("ann", "red", "skip", MIN, json!({"step": "s1"})))
        .unwrap();
    assert!(t.rewards.is_empty());
    assert_eq!(t.quest_updates[0].status, "skipped");
    assert_eq!(t.quest_updates[1].quest_id, "s2");
    assert_eq!(t.quest_updates[1].status, "navigating");
    let second = act("ann", "red", "skip", 2 * MIN, json!({"step": "s2"}));
    assert_eq!(code(&mut h, second), RejectionCode::NotAllowedNow);
    let summary: Value = serde_json::from_str(&h.view("ann").summary).unwrap();
    assert_eq!(summary["elapsed_ms"], MIN + 5 * MIN);
    assert_eq!(summary["skips_left"], 0);

    // Skipping the last step ends the run without the finish bonus.
    let mut c = config();
    c["max_skips"] = json!(3);
    let mut h = game_with(c);
    begin(&mut h, "ann", "red", 0);
    for (i, s) in ["s1", "s2", "s3"].iter().enumerate() {
        h.apply(act("ann", "red", "skip", i as i64 + 1, json!({"step": s})))
            .unwrap();
    }
    assert!(h.rewards().is_empty());
    let summary: Value = serde_json::from_str(&h.view("ann").summary).unwrap();
    assert_eq!(summary["phase"], "finished");
}

#[test]
fn equal_points_rank_by_elapsed_time_not_by_clock() {
    let mut h = game();
    // red begins first and finishes first, but takes 8 minutes; blue begins
    // 10 minutes in and takes 5.
    begin(&mut h, "ann", "red", 0);
    begin(&mut h, "bob", "blue", 10 * MIN);
    let red_done = run(&mut h, "ann", "red", 3 * MIN, 0);
    let blue_done = run(&mut h, "bob", "blue", 10 * MIN, 0);
    assert_eq!((red_done, blue_done), (8 * MIN, 15 * MIN));
    assert_eq!(h.score(Board::Team, "red"), h.score(Board::Team, "blue"));
    let ranking: Vec<String> = h.ranking(Board::Team).into_iter().map(|r| r.0).collect();
    assert_eq!(ranking, ["blue", "red"]);
    let ranking: Vec<String> = h
        .ranking(Board::Individual)
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(ranking, ["bob", "ann"]);
}

#[test]
fn penalties_break_ties() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    begin(&mut h, "bob", "blue", 0);
    // red takes a hint (one more action = one more minute, plus a minute of
    // penalty); blue finishes 90 s after red but has no penalty.
    let red_done = run(&mut h, "ann", "red", 0, 1);
    let blue_done = run(&mut h, "bob", "blue", 90_000, 0);
    assert!(blue_done > red_done);
    assert_eq!(h.score(Board::Team, "red"), h.score(Board::Team, "blue"));
    let elapsed = |p: &str| -> i64 {
        let v: Value = serde_json::from_str(&h.view(p).summary).unwrap();
        v["elapsed_ms"].as_i64().unwrap()
    };
    assert_eq!(elapsed("ann"), 6 * MIN + MIN);
    assert_eq!(elapsed("bob"), 6 * MIN + 30_000);
    let ranking: Vec<String> = h.ranking(Board::Team).into_iter().map(|r| r.0).collect();
    assert_eq!(ranking, ["blue", "red"]);
}

#[test]
fn the_team_time_limit_closes_its_window() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    begin(&mut h, "bob", "blue", 30 * MIN);
    h.apply(arrive_s1("ann", "red", 60 * MIN - 1)).unwrap();
    let late = act(
        "ann",
        "red",
        "answer",
        60 * MIN,
        json!({"step": "s1", "answer": "golden gate"}),
    );
    assert_eq!(code(&mut h, late), RejectionCode::OutOfWindow);
    // blue began later: its hour is not over.
    h.apply(arrive_s1("bob", "blue", 60 * MIN)).unwrap();
    let summary: Value = serde_json::from_str(&h.view("bob").summary).unwrap();
    assert_eq!(summary["deadline_ms"], T0 + 90 * MIN);
}

#[test]
fn the_schedule_bounds_the_game() {
    let mut c = config();
    c["starts_at_ms"] = json!(T0 + 10 * MIN);
    c["ends_at_ms"] = json!(T0 + 100 * MIN);
    let mut h = game_with(c);
    let early = act("ann", "red", "begin", 0, json!({}));
    assert_eq!(code(&mut h, early), RejectionCode::NotAllowedNow);
    begin(&mut h, "ann", "red", 10 * MIN);
    assert_eq!(h.status(), GameStatus::Running);
    let late = arrive_s1("ann", "red", 100 * MIN);
    assert_eq!(code(&mut h, late), RejectionCode::GameOver);
    h.apply(Action::new("host", "tick", T0 + 100 * MIN).as_system())
        .unwrap();
    assert_eq!(h.status(), GameStatus::Finished);
}

#[test]
fn wait_for_start_waits_for_the_game_master() {
    let mut c = config();
    c["wait_for_start"] = json!(true);
    // A start time as well contradicts waiting: refused.
    let mut both = c.clone();
    both["starts_at_ms"] = json!(T0 + 10 * MIN);
    let e = Harness::<Trail>::with_config(both, 7).unwrap_err().message;
    assert!(e.starts_with("/wait_for_start:"), "{e}");
    let mut h = game_with(c);
    let day = 24 * 60 * MIN;
    let early = act("ann", "red", "begin", day, json!({}));
    assert_eq!(code(&mut h, early), RejectionCode::NotAllowedNow);
    h.apply(Action::new("host", "tick", T0 + 2 * day).as_system())
        .unwrap();
    assert_eq!(h.status(), GameStatus::Waiting);
    let t = h.apply(gm("start", 3 * day, json!({}))).unwrap();
    assert_eq!(t.status, GameStatus::Running);
    begin(&mut h, "ann", "red", 3 * day + 1);
    h.apply(arrive_s1("ann", "red", 3 * day + 2)).unwrap();
    let answer = act(
        "ann",
        "red",
        "answer",
        3 * day + 3,
        json!({"step": "s1", "answer": "golden gate"}),
    );
    h.apply(answer).unwrap();
    assert_eq!(h.score(Board::Team, "red"), 10);
}

#[test]
fn game_master_pause_resume_end_grant_revoke() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    assert_eq!(
        code(&mut h, act("ann", "red", "pause", 1, json!({}))),
        RejectionCode::Forbidden
    );
    h.apply(gm("pause", 1, json!({}))).unwrap();
    assert_eq!(h.status(), GameStatus::Paused);
    assert_eq!(
        code(&mut h, arrive_s1("ann", "red", 2)),
        RejectionCode::NotAllowedNow
    );
    h.apply(gm("resume", 3, json!({}))).unwrap();
    h.apply(arrive_s1("ann", "red", 4)).unwrap();
    let grant = json!({"id": "photo", "player": "ann", "team": "red", "points": 7});
    h.apply(gm("grant", 5, grant.clone())).unwrap();
    assert_eq!(
        code(&mut h, gm("grant", 6, grant)),
        RejectionCode::AlreadyDone
    );
    let grab = act(
        "ann",
        "red",
        "grant",
        6,
        json!({"id": "x", "player": "ann", "points": 100}),
    );
    assert_eq!(code(&mut h, grab), RejectionCode::Forbidden);
    h.apply(gm(
        "revoke",
        7,
        json!({"id": "photo", "player": "ann", "team": "red", "points": 2}),
    ))
    .unwrap();
    assert_eq!(h.score(Board::Team, "red"), 5);
    assert_eq!(h.view("ann").score, 5);
    h.apply(gm("end", 8, json!({}))).unwrap();
    assert_eq!(h.status(), GameStatus::Finished);
    let after = act(
        "ann",
        "red",
        "answer",
        9,
        json!({"step": "s1", "answer": "golden gate"}),
    );
    assert_eq!(code(&mut h, after), RejectionCode::GameOver);
    let grant2 = json!({"id": "late", "player": "ann", "team": "red", "points": 7});
    assert_eq!(
        code(&mut h, gm("grant", 10, grant2)),
        RejectionCode::GameOver
    );
}

#[test]
fn circuit_laps_pay_each_run_once() {
    let mut c = config();
    c["laps"] = json!(2);
    let mut h = game_with(c);
    begin(&mut h, "ann", "red", 0);
    let t = run(&mut h, "ann", "red", 0, 0);
    let summary: Value = serde_json::from_str(&h.view("ann").summary).unwrap();
    assert_eq!(
        (summary["lap"].as_u64(), summary["step"].as_str()),
        (Some(1), Some("s1"))
    );
    let t = run(&mut h, "ann", "red", t, 0);
    assert_eq!(h.score(Board::Team, "red"), 2 * 85);
    assert!(h.rewards().contains_key("step/red/1/s2"));
    assert!(h.rewards().contains_key("finish/red/1"));
    assert_eq!(
        code(&mut h, arrive_s1("ann", "red", t + 1)),
        RejectionCode::AlreadyDone
    );
}

#[test]
fn malformed_input_is_refused() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    let garbage = act("ann", "red", "answer", 1, json!(null)).with_raw_payload("{\"step\":");
    assert_eq!(code(&mut h, garbage), RejectionCode::InvalidPayload);
    let extra = act(
        "ann",
        "red",
        "arrive",
        1,
        json!({"step": "s1", "teleport": true}),
    );
    assert_eq!(code(&mut h, extra), RejectionCode::InvalidPayload);
    let missing = act("ann", "red", "answer", 1, json!({"step": "s1"}));
    assert_eq!(code(&mut h, missing), RejectionCode::InvalidPayload);
    let unknown = act("ann", "red", "teleport", 1, json!({}));
    assert_eq!(code(&mut h, unknown), RejectionCode::UnknownKind);
    let nan = act("ann", "red", "arrive", 1, json!({"step": "s1"})).with_location(
        48.8530,
        2.3499,
        f32::NAN,
    );
    assert_eq!(code(&mut h, nan), RejectionCode::Incorrect);
    let bytes = h.state_bytes().to_vec();
    let e =
        veltrix_sdk::raw::apply::<Trail>(&bytes[..bytes.len() / 2], &arrive_s1("ann", "red", 2));
    assert_eq!(e.unwrap_err().code, RejectionCode::InvalidState);
}

#[test]
fn the_view_shows_progress_but_no_secrets() {
    let mut h = game();
    begin(&mut h, "ann", "red", 0);
    h.apply(arrive_s1("ann", "red", 1)).unwrap();
    let v = h.view("ann");
    assert_eq!(v.status, GameStatus::Running);
    let summary: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(summary["team"], "red");
    assert_eq!(summary["step"], "s1");
    assert_eq!(summary["phase"], "task-open");
    let text = v.summary.to_lowercase();
    assert!(
        !text.contains("golden") && !text.contains("qr-s2"),
        "{text}"
    );
    assert_eq!(h.view("stranger").summary, r#"{"team":null}"#);
}

#[test]
fn replays_are_byte_identical() {
    let actions = sample::actions(600, 3);
    let mut a = Harness::<Trail>::new(&sample::config(), 3).unwrap();
    let mut b = Harness::<Trail>::new(&sample::config(), 3).unwrap();
    for action in actions {
        assert_eq!(a.apply(action.clone()), b.apply(action));
        assert_eq!(a.state_bytes(), b.state_bytes());
    }
    assert!(!a.rewards().is_empty());
}

#[test]
fn the_sample_stream_keeps_the_game_running() {
    let actions = sample::actions(5_000, 1);
    assert_eq!(actions.len(), 5_000);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    assert_eq!(actions[0].timestamp_ms, sample::T0_MS);
    let mut keys: Vec<&str> = actions.iter().map(|a| a.idempotency_key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 5_000);
    let mut h = Harness::<Trail>::new(&sample::config(), 1).unwrap();
    let mut rejected = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for a in actions {
        let kind = a.kind.clone();
        match h.apply(a) {
            Ok(_) => {
                kinds.insert(kind);
            }
            Err(_) => rejected += 1,
        }
    }
    assert_eq!(h.status(), GameStatus::Running);
    let share = rejected as f64 / 5_000.0;
    assert!((0.08..0.25).contains(&share), "rejected {share}");
    for k in [
        "begin", "arrive", "answer", "hint", "skip", "grant", "revoke", "tick",
    ] {
        assert!(kinds.contains(k), "no accepted `{k}`");
    }
    let rewards = h.rewards().len();
    assert!((1_000..3_000).contains(&rewards), "{rewards} rewards");
    assert!(
        h.state_bytes().len() < 4_096,
        "{} bytes",
        h.state_bytes().len()
    );
}

#[test]
fn contract_matches_info_and_declares_what_the_sample_mints() {
    contract_check::assert_contract_matches_info::<Trail>();
    let declared = contract_check::reward_types::<Trail>();
    assert_eq!(
        declared,
        ["points", "bonus", "adjustment"].map(String::from).into()
    );
    // `play` checks every accepted action (role, schema, reward types).
    let minted = contract_check::play::<Trail>(&sample::config(), 1, sample::actions(5_000, 1));
    assert_eq!(minted, declared);
    let c = Trail::contract();
    for k in ["begin", "arrive", "answer", "hint", "skip"] {
        let spec = c.spec(k).unwrap();
        assert_eq!(spec.roles, [ActorRole::Player], "{k}");
        assert_eq!(spec.takes_location, k == "arrive", "{k}");
        assert!(!spec.takes_evidence, "{k}");
    }
}

#[test]
fn payload_schemas_accept_what_the_game_accepts() {
    let ok = |kind: &str, p: Value| contract_check::schema_accepts::<Trail>(kind, &p);
    assert!(ok("begin", json!({})));
    assert!(ok("arrive", json!({ "step": "s1" })));
    assert!(ok("arrive", json!({ "step": "s2", "qr": "QR-S2" })));
    assert!(ok("arrive", json!({ "step": "s2", "qr": null })));
    assert!(ok(
        "answer",
        json!({ "step": "s1", "answer": "golden gate" })
    ));
    assert!(ok("hint", json!({ "step": "s1" })));
    assert!(ok("hint", json!({ "step": "s1", "hint": 1 })));
    assert!(ok("skip", json!({ "step": "s1" })));
    // What serde refuses, the schema refuses.
    assert!(!ok("begin", json!({ "team": "red" })));
    assert!(!ok("arrive", json!({ "qr": "QR-S2" })));
    assert!(!ok("answer", json!({ "step": "s1" })));
    assert!(!ok("hint", json!({ "step": "s1", "hint": -1 })));
    assert!(!ok("skip", json!({ "step": "s1", "why": "lost" })));
    let mut h = game();
    let r = h.apply(act("ann", "red", "begin", 0, json!({ "team": "red" })));
    assert_eq!(r.unwrap_err().code, RejectionCode::InvalidPayload);
}
