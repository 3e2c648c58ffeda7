//! The territory's rules, driven through the SDK's harness.

use serde_json::{Value, json};
use veltrix_sdk::prelude::*;

#[path = "../../testing/contract_check.rs"]
mod contract_check;
// Shadows the SDK's: every game below holds each accepted action to the
// contract (declared kind, listed role, payload schema, reward types).
use contract_check::Harness;
use veltrix_territory::{Territory, sample};

const T0: i64 = 1_700_000_000_000;
const S: i64 = 1_000;
const MIN: i64 = 60_000;

/// Three points: `a` plain, `b` with a question (20 points, 2 per minute),
/// `c` paying nothing for holding. One hour from T0.
fn config() -> Value {
    json!({
        "starts_at_ms": T0,
        "duration_min": 60,
        "capture_points": 10,
        "points_per_minute": 1,
        "max_accuracy_m": 20,
        "control_points": [
            {"id": "a", "lat": 51.5000, "lon": -0.1200, "radius_m": 30},
            {"id": "b", "lat": 51.5010, "lon": -0.1200, "radius_m": 30, "question": "Stone?",
             "answers": ["Granite"], "capture_points": 20, "points_per_minute": 2},
            {"id": "c", "lat": 51.5020, "lon": -0.1200, "radius_m": 30, "points_per_minute": 0}
        ]
    })
}

fn game_with(config: Value) -> Harness<Territory> {
    Harness::with_config(config, 11).unwrap()
}

fn game() -> Harness<Territory> {
    game_with(config())
}

fn lat(cp: &str) -> f64 {
    match cp {
        "a" => 51.5000,
        "b" => 51.5010,
        _ => 51.5020,
    }
}

/// A capture of `cp` by `player` of `team` at `t` ms after T0, from inside
/// the zone, answering `b` correctly.
fn cap(player: &str, team: &str, cp: &str, t: i64) -> Action {
    let payload = if cp == "b" {
        json!({"cp": cp, "answer": "granite"})
    } else {
        json!({"cp": cp})
    };
    Action::new(player, "capture", T0 + t)
        .with_team(team)
        .with_payload(payload)
        .with_location(lat(cp) + 0.0001, -0.1200, 5.0)
}

fn gm(kind: &str, t: i64) -> Action {
    Action::new("gm", kind, T0 + t).as_game_master()
}

fn tick(t: i64) -> Action {
    Action::new("host", "tick", T0 + t).as_system()
}

fn code(h: &mut Harness<Territory>, a: Action) -> RejectionCode {
    h.apply(a).unwrap_err().code
}

fn statuses(t: &Transition) -> Vec<(String, String, Option<String>)> {
    t.quest_updates
        .iter()
        .map(|q| (q.quest_id.clone(), q.status.clone(), q.team.clone()))
        .collect()
}

fn q(id: &str, status: &str, team: Option<&str>) -> (String, String, Option<String>) {
    (id.into(), status.into(), team.map(Into::into))
}

#[test]
fn example_config_inits_and_info_is_complete() {
    let info = Territory::info();
    Harness::<Territory>::new(&info.example_config, 1).unwrap();
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(info.action_kinds.iter().any(|k| k == "capture"));
    for kind in Lifecycle::KINDS {
        assert!(info.action_kinds.iter().any(|k| k == kind), "{kind}");
    }
    assert_eq!((info.latency_budget_us, info.fuel_budget), (500, 2_000_000));
    Harness::<Territory>::new(&sample::config(), 1).unwrap();
}

#[test]
fn config_errors_name_the_field() {
    let mut bad = vec![config(); 5];
    bad[0]["control_points"][0]["radius_m"] = json!(-3);
    bad[1]["control_points"][2]["id"] = json!("a");
    bad[2]["control_points"][1]["answers"] = json!([]);
    bad[3]["duration_min"] = json!(0);
    bad[4]["control_points"] = json!([]);
    let expected = [
        ("/control_points/0/radius_m", "must be positive"),
        ("/control_points/2/id", "duplicate control point id `a`"),
        (
            "/control_points/1/answers",
            "a question needs at least one accepted answer",
        ),
        ("/duration_min", "must be between 1 and 10080"),
        ("/control_points", "must hold 1 to 100"),
    ];
    for (cfg, (path, msg)) in bad.into_iter().zip(expected) {
        let e = Harness::<Territory>::with_config(cfg, 1)
            .unwrap_err()
            .message;
        assert!(e.starts_with(path) && e.contains(msg), "{e}");
    }
    let mut missing = config();
    missing.as_object_mut().unwrap().remove("starts_at_ms");
    let e = Harness::<Territory>::with_config(missing, 1)
        .unwrap_err()
        .message;
    assert!(e.contains("missing field `starts_at_ms`"), "{e}");
    let mut unknown = config();
    unknown["control_points"][0]["owner"] = json!("red");
    let e = Harness::<Territory>::with_config(unknown, 1)
        .unwrap_err()
        .message;
    assert!(e.contains("unknown field `owner`"), "{e}");
}

#[test]
fn a_capture_scores_and_is_published() {
    let mut h = game();
    let t = h.apply(cap("ann", "red", "a", 0)).unwrap();
    assert_eq!(statuses(&t), [q("a", "captured", Some("red"))]);
    assert!(t.quest_updates[0].detail.contains(r#""from":null"#));
    assert_eq!(t.rewards.len(), 1);
    assert_eq!(t.rewards[0].reward_key, "capture/a/1/red");
    assert_eq!(
        (t.rewards[0].points, t.rewards[0].player.as_str()),
        (10, "ann")
    );
    assert_eq!(h.score(Board::Team, "red"), 10);
    assert_eq!(h.score(Board::Individual, "ann"), 10);
    assert_eq!(h.status(), GameStatus::Running);
}

#[test]
fn a_steal_pays_the_old_holder_whole_minutes_only() {
    let mut h = game();
    h.apply(cap("ann", "red", "a", 0)).unwrap();
    let t = h.apply(cap("bob", "blue", "a", 150 * S)).unwrap();
    assert_eq!(
        statuses(&t),
        [
            q("a", "stolen", Some("red")),
            q("a", "captured", Some("blue"))
        ]
    );
    let keys: Vec<(&str, i64, &str)> = t
        .rewards
        .iter()
        .map(|r| (r.reward_key.as_str(), r.points, r.player.as_str()))
        .collect();
    let hold_key = format!("hold/a/red/{T0}");
    assert_eq!(
        keys,
        [
            (hold_key.as_str(), 2, "ann"),
            ("capture/a/2/blue", 10, "bob")
        ]
    );
    // red's last 30 s are lost: blue's holding starts fresh at the steal.
    let t = h.apply(cap("ann", "red", "a", 4 * MIN)).unwrap();
    let hold_key = format!("hold/a/blue/{}", T0 + 150 * S);
    assert_eq!(t.rewards[0].reward_key, hold_key);
    assert_eq!(t.rewards[0].points, 1);
    assert_eq!(h.score(Board::Team, "red"), 10 + 2 + 10);
    assert_eq!(h.score(Board::Team, "blue"), 10 + 1);
}

#[test]
fn game_order_decides_contested_captures() {
    let mut c = config();
    c["lock_s"] = json!(60);
    let mut h = game_with(c);
    // Same millisecond: the first applied wins, the second finds it locked.
    h.apply(cap("ann", "red", "a", 10 * S)).unwrap();
    let e = h.apply(cap("bob", "blue", "a", 10 * S)).unwrap_err();
    assert_eq!(e.code, RejectionCode::NotAllowedNow);
    assert!(e.message.contains("locked for 60 s"), "{}", e.message);
    assert_eq!(
        code(&mut h, cap("cat", "red", "a", 11 * S)),
        RejectionCode::AlreadyDone
    );
    assert_eq!(
        code(&mut h, cap("bob", "blue", "a", 70 * S - 1)),
        RejectionCode::NotAllowedNow
    );
    h.apply(cap("bob", "blue", "a", 70 * S)).unwrap();
    assert_eq!(
        code(&mut h, cap("bob", "blue", "a", 71 * S)),
        RejectionCode::AlreadyDone
    );
}

#[test]
fn check_ins_outside_the_zone_are_incorrect() {
    let mut h = game();
    let at = |lat: f64, acc: f32| {
        Action::new("ann", "capture", T0 + S)
            .with_team("red")
            .with_payload(json!({"cp": "a"}))
            .with_location(lat, -0.1200, acc)
    };
    let e = h.apply(at(51.5010, 5.0)).unwrap_err();
    assert_eq!(e.code, RejectionCode::Incorrect);
    assert!(
        e.message.contains("111 m from the control point"),
        "{}",
        e.message
    );
    let e = h.apply(at(51.5000, 35.0)).unwrap_err();
    assert_eq!(e.code, RejectionCode::Incorrect);
    assert!(e.message.contains("accuracy 35 m"), "{}", e.message);
    assert_eq!(
        code(&mut h, at(51.5000, f32::INFINITY)),
        RejectionCode::Incorrect
    );
    let no_fix = Action::new("ann", "capture", T0 + S)
        .with_team("red")
        .with_payload(json!({"cp": "a"}));
    assert_eq!(code(&mut h, no_fix), RejectionCode::InvalidPayload);
    let nowhere = cap("ann", "red", "a", S).with_payload(json!({"cp": "zz"}));
    assert_eq!(code(&mut h, nowhere), RejectionCode::NotFound);
    assert!(h.rewards().is_empty());
}

#[test]
fn question_points_need_the_right_answer() {
    let mut h = game();
    let with = |payload: Value| cap("ann", "red", "b", S).with_payload(payload);
    assert_eq!(
        code(&mut h, with(json!({"cp": "b"}))),
        RejectionCode::InvalidPayload
    );
    let e = h
        .apply(with(json!({"cp": "b", "answer": "marble"})))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (RejectionCode::Incorrect, "wrong answer")
    );
    let t = h
        .apply(with(json!({"cp": "b", "answer": "  GRANITE "})))
        .unwrap();
    assert_eq!(t.rewards[0].points, 20);
}

#[test]
fn ticks_pay_whole_minutes_once_with_interval_times() {
    let mut h = game();
    h.apply(cap("ann", "red", "b", 0)).unwrap();
    h.apply(cap("bob", "blue", "c", 0)).unwrap();
    let t = h.apply(tick(90 * S)).unwrap();
    assert_eq!(t.rewards.len(), 1, "c pays nothing for holding");
    assert_eq!(t.rewards[0].reward_key, format!("hold/b/red/{T0}"));
    assert_eq!(t.rewards[0].points, 2);
    assert_eq!(
        t.score_deltas[0].at_ms,
        T0 + MIN,
        "paid at the minute's end"
    );
    assert!(h.apply(tick(100 * S)).unwrap().rewards.is_empty());
    let t = h.apply(tick(181 * S)).unwrap();
    assert_eq!(t.rewards[0].reward_key, format!("hold/b/red/{}", T0 + MIN));
    assert_eq!(t.rewards[0].points, 4);
    assert_eq!(h.score(Board::Team, "red"), 20 + 6);
    // A player cannot tick.
    let fake = Action::new("ann", "tick", T0 + 200 * S).with_team("red");
    assert_eq!(code(&mut h, fake), RejectionCode::Forbidden);
}

#[test]
fn the_time_limit_closes_the_game_and_settles_once() {
    let mut h = game();
    let early = cap("ann", "red", "a", -S);
    assert_eq!(code(&mut h, early), RejectionCode::NotAllowedNow);
    h.apply(cap("ann", "red", "a", 0)).unwrap();
    h.apply(tick(30 * MIN + 10 * S)).unwrap();
    h.apply(cap("bob", "blue", "b", 50 * MIN)).unwrap();
    let late = cap("bob", "blue", "a", 60 * MIN);
    assert_eq!(code(&mut h, late), RejectionCode::GameOver);
    assert_eq!(h.status(), GameStatus::Running, "nothing accepted yet");
    let t = h.apply(tick(65 * MIN)).unwrap();
    assert_eq!(h.status(), GameStatus::Finished);
    // Paid up to the limit (60 min), not to the tick (65 min).
    let paid: Vec<(&str, i64)> = t
        .rewards
        .iter()
        .map(|r| (r.team.as_deref().unwrap(), r.points))
        .collect();
    assert_eq!(paid, [("red", 30), ("blue", 20)]);
    assert!(t.score_deltas.iter().all(|d| d.at_ms <= T0 + 60 * MIN));
    assert_eq!(h.score(Board::Team, "red"), 10 + 60);
    assert_eq!(h.score(Board::Team, "blue"), 20 + 20);
    let closed: Vec<_> = statuses(&t)
        .into_iter()
        .filter(|u| u.1 == "closed")
        .collect();
    assert_eq!(
        closed,
        [
            q("a", "closed", Some("red")),
            q("b", "closed", Some("blue")),
            q("c", "closed", None)
        ]
    );
    assert!(
        t.quest_updates
            .iter()
            .any(|u| u.quest_id == "game" && u.status == "finished")
    );
    // Later ticks change nothing; the game stays closed.
    let again = h.apply(tick(70 * MIN)).unwrap();
    assert!(again.rewards.is_empty() && again.quest_updates.is_empty());
    assert_eq!(code(&mut h, gm("pause", 71 * MIN)), RejectionCode::GameOver);
}

#[test]
fn the_game_master_can_end_early() {
    let mut h = game();
    h.apply(cap("ann", "red", "a", 0)).unwrap();
    let t = h.apply(gm("end", 10 * MIN + 30 * S)).unwrap();
    assert_eq!(h.status(), GameStatus::Finished);
    assert_eq!(t.rewards.len(), 1);
    assert_eq!(t.rewards[0].points, 10);
    assert_eq!(
        code(&mut h, cap("bob", "blue", "a", 11 * MIN)),
        RejectionCode::GameOver
    );
    assert!(h.apply(tick(61 * MIN)).unwrap().rewards.is_empty());
}

#[test]
fn pause_stops_the_holding_clock() {
    let mut h = game();
    h.apply(cap("ann", "red", "a", 0)).unwrap();
    assert_eq!(
        code(&mut h, Action::new("ann", "pause", T0).with_team("red")),
        RejectionCode::Forbidden
    );
    let t = h.apply(gm("pause", 90 * S)).unwrap();
    assert_eq!(
        t.rewards.len(),
        1,
        "pausing settles the whole minutes so far"
    );
    assert_eq!(h.status(), GameStatus::Paused);
    assert!(h.apply(tick(10 * MIN)).unwrap().rewards.is_empty());
    assert_eq!(
        code(&mut h, cap("bob", "blue", "a", 11 * MIN)),
        RejectionCode::NotAllowedNow
    );
    h.apply(gm("resume", 20 * MIN)).unwrap();
    // 30 s held before the pause + 30 s after it make the second minute.
    assert!(h.apply(tick(20 * MIN + 29 * S)).unwrap().rewards.is_empty());
    let t = h.apply(tick(20 * MIN + 30 * S)).unwrap();
    assert_eq!(t.rewards.len(), 1);
    assert_eq!(h.score(Board::Team, "red"), 10 + 2);
}

#[test]
fn ties_go_to_whoever_reached_the_score_first() {
    let mut h = game();
    h.apply(cap("zed", "zulu", "a", 0)).unwrap();
    h.apply(cap("al", "alpha", "c", 30 * S)).unwrap();
    let board: Vec<String> = h.ranking(Board::Team).into_iter().map(|r| r.0).collect();
    assert_eq!(board, ["zulu", "alpha"]);
    // alpha captures b at 65 s; zulu's first holding minute (earned at 60 s)
    // is settled on the tick at 70 s, stamped no earlier than zulu's own
    // last change.
    h.apply(cap("zed", "zulu", "b", 61 * S)).unwrap();
    let t = h.apply(tick(70 * S)).unwrap();
    assert_eq!(t.score_deltas[0].at_ms, T0 + 61 * S);
    assert_eq!(h.score(Board::Team, "zulu"), 10 + 20 + 1);
}

#[test]
fn grants_and_revokes_are_rewards() {
    let mut h = game();
    h.apply(cap("ann", "red", "a", 0)).unwrap();
    let grant = json!({"id": "photo", "player": "ann", "team": "red", "points": 15});
    h.apply(gm("grant", S).with_payload(grant.clone())).unwrap();
    assert_eq!(
        code(&mut h, gm("grant", 2 * S).with_payload(grant)),
        RejectionCode::AlreadyDone
    );
    let revoke = json!({"id": "photo", "player": "ann", "team": "red", "points": 5});
    h.apply(gm("revoke", 3 * S).with_payload(revoke)).unwrap();
    assert_eq!(h.score(Board::Team, "red"), 20);
    assert_eq!(h.view("ann").score, 20);
    assert_eq!(h.rewards()["revoke:photo"].points, -5);
}

#[test]
fn the_roster_is_consistent_and_bounded() {
    let mut c = config();
    c["max_teams"] = json!(2);
    let mut h = game_with(c);
    h.apply(cap("ann", "red", "a", 0)).unwrap();
    assert_eq!(
        code(&mut h, cap("ann", "blue", "b", S)),
        RejectionCode::Forbidden
    );
    h.apply(cap("bob", "blue", "b", S)).unwrap();
    assert_eq!(
        code(&mut h, cap("cat", "green", "c", 2 * S)),
        RejectionCode::NotAllowedNow
    );
    let long = "t".repeat(65);
    assert_eq!(
        code(&mut h, cap("dan", &long, "c", 3 * S)),
        RejectionCode::InvalidPayload
    );
    assert_eq!(
        code(&mut h, cap("dan", "r&d/paris", "c", 3 * S)),
        RejectionCode::InvalidPayload
    );
    // A player without a team plays as a team of one.
    let mut h = game();
    let solo = Action::new("solo", "capture", T0)
        .with_payload(json!({"cp": "a"}))
        .with_location(51.5000, -0.1200, 5.0);
    h.apply(solo).unwrap();
    assert_eq!(h.score(Board::Team, "solo"), 10);
}

#[test]
fn malformed_input_is_refused() {
    let mut h = game();
    let garbage = cap("ann", "red", "a", 0).with_raw_payload("{\"cp\": 3");
    assert_eq!(code(&mut h, garbage), RejectionCode::InvalidPayload);
    let extra = cap("ann", "red", "a", 0).with_payload(json!({"cp": "a", "force": true}));
    assert_eq!(code(&mut h, extra), RejectionCode::InvalidPayload);
    let unknown = Action::new("ann", "teleport", T0).with_team("red");
    assert_eq!(code(&mut h, unknown), RejectionCode::UnknownKind);
    let bad_grant = gm("grant", 0).with_raw_payload("[]");
    assert_eq!(code(&mut h, bad_grant), RejectionCode::InvalidPayload);
    let e = veltrix_sdk::raw::apply::<Territory>(&[1, 2, 3], &cap("ann", "red", "a", 0));
    assert_eq!(e.unwrap_err().code, RejectionCode::InvalidState);
}

#[test]
fn the_view_shows_the_map_but_no_answers() {
    let mut c = config();
    c["lock_s"] = json!(30);
    let mut h = game_with(c);
    h.apply(cap("ann", "red", "b", 0)).unwrap();
    h.apply(cap("bob", "blue", "a", S)).unwrap();
    let v = h.view("ann");
    assert_eq!((v.status, v.score), (GameStatus::Running, 20));
    let s: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(s["team"], "red");
    assert_eq!(s["holding"], json!(["b"]));
    assert_eq!(
        s["map"][0],
        json!({"id": "a", "holder": "blue", "locked_until_ms": T0 + 31 * S, "question": false})
    );
    assert_eq!(s["map"][2]["holder"], Value::Null);
    assert_eq!(s["ends_at_ms"], T0 + 60 * MIN);
    assert!(!v.summary.to_lowercase().contains("granite"));
    let stranger: Value = serde_json::from_str(&h.view("nobody").summary).unwrap();
    assert_eq!(
        (stranger["team"].clone(), stranger["points"].clone()),
        (Value::Null, json!(0))
    );
}

#[test]
fn replays_are_byte_identical() {
    let actions = sample::actions(800, 5);
    let mut a = Harness::<Territory>::new(&sample::config(), 5).unwrap();
    let mut b = Harness::<Territory>::new(&sample::config(), 5).unwrap();
    for action in actions {
        assert_eq!(a.apply(action.clone()), b.apply(action));
        assert_eq!(a.state_bytes(), b.state_bytes());
    }
    assert!(a.rewards().keys().any(|k| k.starts_with("hold/")));
}

#[test]
fn the_sample_stream_keeps_the_game_running() {
    let actions = sample::actions(5_000, 1);
    assert_eq!(actions[0].timestamp_ms, sample::T0_MS);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    let mut keys: Vec<&str> = actions.iter().map(|a| a.idempotency_key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 5_000);
    let mut h = Harness::<Territory>::new(&sample::config(), 1).unwrap();
    let mut rejected = std::collections::BTreeMap::new();
    let mut kinds = std::collections::BTreeSet::new();
    for a in actions {
        let kind = a.kind.clone();
        match h.apply(a) {
            Ok(_) => {
                kinds.insert(kind);
            }
            Err(e) => *rejected.entry(format!("{:?}", e.code)).or_insert(0) += 1,
        }
    }
    assert_eq!(h.status(), GameStatus::Running);
    let total: i32 = rejected.values().sum();
    let share = f64::from(total) / 5_000.0;
    assert!(
        (0.08..0.25).contains(&share),
        "rejected {share}: {rejected:?}"
    );
    for k in ["capture", "grant", "revoke", "tick"] {
        assert!(kinds.contains(k), "no accepted `{k}`");
    }
    let holds = h
        .rewards()
        .keys()
        .filter(|k| k.starts_with("hold/"))
        .count();
    let captures = h
        .rewards()
        .keys()
        .filter(|k| k.starts_with("capture/"))
        .count();
    assert!((3_000..4_500).contains(&captures), "{captures} captures");
    assert!(holds > 200, "{holds} holding rewards");
    assert!(
        h.state_bytes().len() < 6_144,
        "{} bytes",
        h.state_bytes().len()
    );
}

#[test]
fn contract_matches_info_and_declares_what_the_sample_mints() {
    contract_check::assert_contract_matches_info::<Territory>();
    let declared = contract_check::reward_types::<Territory>();
    assert_eq!(declared, ["points", "adjustment"].map(String::from).into());
    // `play` checks every accepted action (role, schema, reward types).
    let minted = contract_check::play::<Territory>(&sample::config(), 1, sample::actions(5_000, 1));
    assert_eq!(minted, declared);
    let c = Territory::contract();
    let capture = c.spec("capture").unwrap();
    assert_eq!(capture.roles, [ActorRole::Player]);
    assert!(capture.takes_location && !capture.takes_evidence);
}

#[test]
fn payload_schemas_accept_what_the_game_accepts() {
    let ok = |kind: &str, p: Value| contract_check::schema_accepts::<Territory>(kind, &p);
    assert!(ok("capture", json!({ "cp": "a" })));
    assert!(ok("capture", json!({ "cp": "b", "answer": "granite" })));
    assert!(ok("capture", json!({ "cp": "a", "answer": null })));
    assert!(ok("tick", json!({})));
    // What serde refuses, the schema refuses.
    assert!(!ok("capture", json!({})));
    assert!(!ok("capture", json!({ "cp": 1 })));
    assert!(!ok("capture", json!({ "cp": "a", "team": "red" })));
    let mut h = game();
    let a = cap("ann", "red", "a", S).with_payload(json!({ "cp": "a", "team": "red" }));
    assert_eq!(code(&mut h, a), RejectionCode::InvalidPayload);
}
