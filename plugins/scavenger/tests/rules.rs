//! Rules of the scavenger game type, through the native harness.

use serde_json::{Value, json};
use veltrix_scavenger::{EXAMPLE_CONFIG, Scavenger, sample};
use veltrix_sdk::prelude::*;

#[path = "../../testing/contract_check.rs"]
mod contract_check;
// Shadows the SDK's: every game below holds each accepted action to the
// contract (declared kind, listed role, payload schema, reward types).
use contract_check::Harness;

const T: i64 = 1_700_000_000_000;
const LAT: f64 = 48.8566;
const LON: f64 = 2.3522;

fn config() -> Value {
    json!({
        "max_accuracy_m": 25,
        "missions": [
            { "id": "riddle", "points": 50,
              "check": { "type": "answer", "answers": ["Golden Gate", "the golden gate"] } },
            { "id": "fountain", "points": 80,
              "check": { "type": "gps", "lat": LAT, "lon": LON, "radius_m": 30 } },
            { "id": "selfie", "points": 100, "check": { "type": "evidence" } },
            { "id": "lunch", "points": 150,
              "available_from_ms": T + 1_000, "available_until_ms": T + 10_000,
              "check": { "type": "evidence", "media": "video" } }
        ]
    })
}

fn game() -> Harness<Scavenger> {
    Harness::with_config(config(), 1).unwrap()
}

fn submit(player: &str, team: &str, t: i64, payload: Value) -> Action {
    Action::new(player, "submit", t)
        .with_team(team)
        .with_payload(payload)
}

fn answer(player: &str, team: &str, t: i64, mission: &str, text: &str) -> Action {
    submit(
        player,
        team,
        t,
        json!({ "mission": mission, "answer": text }),
    )
}

fn evidence(player: &str, team: &str, t: i64, mission: &str) -> Action {
    submit(
        player,
        team,
        t,
        json!({ "mission": mission, "evidence": "https://media.example/1.jpg" }),
    )
}

fn judge(t: i64, mission: &str, team: &str, verdict: &str, extra: Value) -> Action {
    let mut p = json!({ "mission": mission, "team": team, "verdict": verdict });
    if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    Action::new("gm", "judge", t)
        .as_game_master()
        .with_payload(p)
}

fn gm(kind: &str, t: i64) -> Action {
    Action::new("gm", kind, t).as_game_master()
}

fn code(r: Result<Transition, Rejection>) -> RejectionCode {
    r.expect_err("expected a rejection").code
}

fn statuses(t: &Transition) -> Vec<(String, String)> {
    t.quest_updates
        .iter()
        .map(|q| (q.quest_id.clone(), q.status.clone()))
        .collect()
}

#[test]
fn example_config_inits_and_info_is_complete() {
    let info = veltrix_sdk::raw::describe::<Scavenger>();
    assert_eq!(info.name, "scavenger");
    for k in [
        "submit", "judge", "start", "pause", "resume", "end", "grant", "revoke", "tick",
    ] {
        assert!(info.action_kinds.iter().any(|x| x == k), "missing kind {k}");
    }
    assert_eq!(info.latency_budget_us, 1_000);
    assert_eq!(info.fuel_budget, 2_000_000);
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let g = Harness::<Scavenger>::new(&info.example_config, 0).unwrap();
    assert_eq!(g.state().missions.len(), 5);
    assert!(Harness::<Scavenger>::new(EXAMPLE_CONFIG, 0).is_ok());
    assert!(Harness::<Scavenger>::new(&sample::config(), 0).is_ok());
}

#[test]
fn config_errors_name_the_field() {
    let bad = |edit: &dyn Fn(&mut Value), needle: &str| {
        let mut c = config();
        edit(&mut c);
        let e = Harness::<Scavenger>::with_config(c, 0).unwrap_err();
        assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
    };
    bad(
        &|c| c["missions"][2]["points"] = json!(0),
        "/missions/2/points: must be positive",
    );
    bad(
        &|c| c["missions"][1]["id"] = json!("riddle"),
        "/missions/1/id: duplicate",
    );
    bad(&|c| c["missions"][0]["id"] = json!("a:b"), "/missions/0/id");
    bad(
        &|c| c["missions"][3]["available_until_ms"] = json!(T),
        "/missions/3/available_until_ms",
    );
    bad(
        &|c| c["missions"][0]["check"]["answers"] = json!(["  "]),
        "/missions/0/check/answers/0",
    );
    bad(
        &|c| c["missions"][1]["check"]["lat"] = json!(91.0),
        "/missions/1/check/lat",
    );
    bad(
        &|c| c["missions"][1]["check"]["radius_m"] = json!(0),
        "/missions/1/check/radius_m",
    );
    bad(
        &|c| c["missions"] = json!([]),
        "/missions: needs at least one",
    );
    bad(&|c| c["max_accuracy_m"] = json!(-1), "/max_accuracy_m");
    bad(&|c| c["surprise"] = json!(1), "unknown field `surprise`");
    bad(
        &|c| c["missions"][2]["check"]["extra"] = json!(1),
        "unknown field `extra`",
    );
    bad(
        &|c| c["missions"][2]["check"]["type"] = json!("dance"),
        "unknown variant `dance`",
    );
}

#[test]
fn answer_is_case_and_space_insensitive_and_pays_once_per_team() {
    let mut g = game();
    let t = g
        .apply(answer("ann", "red", T, "riddle", "  GOLDEN   gate "))
        .unwrap();
    assert_eq!(t.rewards.len(), 1);
    assert_eq!(t.rewards[0].reward_key, "mission:riddle:red");
    assert_eq!(t.rewards[0].points, 50);
    assert_eq!(statuses(&t), vec![("riddle".into(), "accepted".into())]);
    // A teammate cannot score it again, with the other accepted answer either.
    let again = g.apply(answer("bob", "red", T + 1, "riddle", "the golden gate"));
    assert_eq!(code(again), RejectionCode::AlreadyDone);
    // Another team can.
    g.apply(answer("cat", "blue", T + 2, "riddle", "the golden gate"))
        .unwrap();
    assert_eq!(g.score(Board::Team, "red"), 50);
    assert_eq!(g.score(Board::Team, "blue"), 50);
    assert_eq!(g.score(Board::Individual, "ann"), 50);
    assert_eq!(g.score(Board::Individual, "bob"), 0);
}

#[test]
fn bad_submissions_are_rejected_with_reasons() {
    let mut g = game();
    assert_eq!(
        code(g.apply(answer("ann", "red", T, "riddle", "goldengate"))),
        RejectionCode::Incorrect
    );
    assert_eq!(
        code(g.apply(answer("ann", "red", T, "nope", "x"))),
        RejectionCode::NotFound
    );
    assert_eq!(
        code(g.apply(submit("ann", "red", T, json!({ "mission": "riddle" })))),
        RejectionCode::InvalidPayload
    );
    let long = "x".repeat(501);
    assert_eq!(
        code(g.apply(answer("ann", "red", T, "riddle", &long))),
        RejectionCode::InvalidPayload
    );
    let garbage = Action::new("ann", "submit", T).with_raw_payload("{not json");
    assert_eq!(code(g.apply(garbage)), RejectionCode::InvalidPayload);
    let unknown_field = submit(
        "ann",
        "red",
        T,
        json!({ "mission": "riddle", "answr": "x" }),
    );
    assert_eq!(code(g.apply(unknown_field)), RejectionCode::InvalidPayload);
    assert_eq!(
        code(g.apply(Action::new("ann", "dance", T))),
        RejectionCode::UnknownKind
    );
    let blank = submit(
        "ann",
        "red",
        T,
        json!({ "mission": "selfie", "evidence": "  " }),
    );
    assert_eq!(code(g.apply(blank)), RejectionCode::InvalidPayload);
    assert!(g.rewards().is_empty());
}

#[test]
fn gps_check_in_checks_radius_and_accuracy() {
    let mut g = game();
    let at = |dlat: f64, acc: f32| {
        submit("ann", "red", T, json!({ "mission": "fountain" })).with_location(
            LAT + dlat,
            LON,
            acc,
        )
    };
    assert_eq!(
        code(g.apply(submit("ann", "red", T, json!({ "mission": "fountain" })))),
        RejectionCode::InvalidPayload
    );
    // ~111 m north: outside the 30 m zone.
    let far = g.apply(at(0.001, 5.0)).unwrap_err();
    assert_eq!(far.code, RejectionCode::Incorrect);
    assert!(far.message.contains("zone"), "{}", far.message);
    // On the spot but a 60 m fix: worse than the 25 m required.
    let vague = g.apply(at(0.0, 60.0)).unwrap_err();
    assert_eq!(vague.code, RejectionCode::Incorrect);
    assert!(vague.message.contains("accuracy"), "{}", vague.message);
    assert_eq!(code(g.apply(at(0.0, f32::NAN))), RejectionCode::Incorrect);
    // ~22 m north with a 10 m fix: inside.
    let ok = g.apply(at(0.0002, 10.0)).unwrap();
    assert_eq!(ok.rewards[0].points, 80);
    assert_eq!(code(g.apply(at(0.0, 5.0))), RejectionCode::AlreadyDone);
}

#[test]
fn evidence_waits_for_the_judge_then_pays_the_submitter() {
    let mut g = game();
    let t = g.apply(evidence("ann", "red", T, "selfie")).unwrap();
    assert!(t.rewards.is_empty());
    assert_eq!(statuses(&t), vec![("selfie".into(), "pending".into())]);
    assert!(t.quest_updates[0].detail.contains("media.example"));
    assert_eq!(
        code(g.apply(evidence("bob", "red", T + 1, "selfie"))),
        RejectionCode::NotAllowedNow
    );
    // Players cannot judge.
    let mut as_player = judge(T + 2, "selfie", "red", "approve", json!({}));
    as_player.role = ActorRole::Player;
    assert_eq!(code(g.apply(as_player)), RejectionCode::Forbidden);
    let t = g
        .apply(judge(T + 3, "selfie", "red", "approve", json!({})))
        .unwrap();
    assert_eq!(statuses(&t), vec![("selfie".into(), "approved".into())]);
    let r = &t.rewards[0];
    assert_eq!(
        (
            r.reward_key.as_str(),
            r.player.as_str(),
            r.team.as_deref(),
            r.points
        ),
        ("mission:selfie:red", "ann", Some("red"), 100)
    );
    assert_eq!(t.quest_updates[0].team.as_deref(), Some("red"));
    assert_eq!(t.quest_updates[0].player.as_deref(), Some("ann"));
    assert_eq!(
        code(g.apply(judge(T + 4, "selfie", "red", "approve", json!({})))),
        RejectionCode::AlreadyDone
    );
    assert_eq!(
        code(g.apply(evidence("bob", "red", T + 5, "selfie"))),
        RejectionCode::AlreadyDone
    );
}

#[test]
fn rejected_evidence_is_available_again_and_judge_may_award_less() {
    let mut g = game();
    g.apply(evidence("ann", "red", T, "selfie")).unwrap();
    let t = g
        .apply(judge(
            T + 1,
            "selfie",
            "red",
            "reject",
            json!({ "note": "cut off" }),
        ))
        .unwrap();
    assert_eq!(
        statuses(&t),
        vec![
            ("selfie".into(), "rejected".into()),
            ("selfie".into(), "available".into())
        ]
    );
    assert!(t.rewards.is_empty());
    assert_eq!(
        g.view("ann").summary,
        json!({ "team": "red", "missions": 4,
        "done": [], "pending": [], "rejected": ["selfie"] })
        .to_string()
    );
    g.apply(evidence("bob", "red", T + 2, "selfie")).unwrap();
    // Above the mission value, or negative: refused, not clamped.
    assert_eq!(
        code(g.apply(judge(
            T + 3,
            "selfie",
            "red",
            "approve",
            json!({ "points": 101 })
        ))),
        RejectionCode::InvalidPayload
    );
    assert_eq!(
        code(g.apply(judge(
            T + 3,
            "selfie",
            "red",
            "approve",
            json!({ "points": -5 })
        ))),
        RejectionCode::InvalidPayload
    );
    assert_eq!(
        code(g.apply(judge(
            T + 3,
            "selfie",
            "red",
            "reject",
            json!({ "points": 5 })
        ))),
        RejectionCode::InvalidPayload
    );
    let t = g
        .apply(judge(
            T + 4,
            "selfie",
            "red",
            "approve",
            json!({ "points": 30 }),
        ))
        .unwrap();
    assert_eq!(t.rewards[0].points, 30);
    assert_eq!(t.rewards[0].player, "bob");
    assert_eq!(g.score(Board::Team, "red"), 30);
    assert_eq!(g.view("ann").score, 30);
}

#[test]
fn judge_needs_a_pending_submission() {
    let mut g = game();
    assert_eq!(
        code(g.apply(judge(T, "selfie", "red", "approve", json!({})))),
        RejectionCode::NotFound
    );
    g.apply(answer("ann", "red", T, "riddle", "golden gate"))
        .unwrap();
    assert_eq!(
        code(g.apply(judge(T, "selfie", "red", "approve", json!({})))),
        RejectionCode::NotAllowedNow
    );
    assert_eq!(
        code(g.apply(judge(T, "riddle", "red", "reject", json!({})))),
        RejectionCode::AlreadyDone
    );
    assert_eq!(
        code(g.apply(judge(T, "ghost", "red", "approve", json!({})))),
        RejectionCode::NotFound
    );
    let bad = gm("judge", T)
        .with_payload(json!({ "mission": "selfie", "team": "red", "verdict": "maybe" }));
    assert_eq!(code(g.apply(bad)), RejectionCode::InvalidPayload);
}

#[test]
fn mission_windows_hide_and_expire() {
    let mut g = game();
    assert_eq!(
        code(g.apply(evidence("ann", "red", T + 999, "lunch"))),
        RejectionCode::NotAllowedNow
    );
    g.apply(evidence("ann", "red", T + 1_000, "lunch")).unwrap();
    assert_eq!(
        code(g.apply(evidence("cat", "blue", T + 10_000, "lunch"))),
        RejectionCode::OutOfWindow
    );
    g.apply(evidence("cat", "blue", T + 9_999, "lunch"))
        .unwrap();
    // Submitted in time: still judged after the window closed; a rejected
    // team cannot try again.
    let t = g
        .apply(judge(T + 20_000, "lunch", "red", "reject", json!({})))
        .unwrap();
    assert_eq!(statuses(&t)[1], ("lunch".into(), "expired".into()));
    assert_eq!(
        code(g.apply(evidence("ann", "red", T + 20_001, "lunch"))),
        RejectionCode::OutOfWindow
    );
    let t = g
        .apply(judge(T + 20_002, "lunch", "blue", "approve", json!({})))
        .unwrap();
    assert_eq!(t.rewards[0].points, 150);
}

#[test]
fn ticks_announce_window_changes_once() {
    let mut g = game();
    let tick = |t: i64| Action::new("host", "tick", t).as_system();
    assert!(g.apply(tick(T + 500)).unwrap().quest_updates.is_empty());
    let t = g.apply(tick(T + 1_000)).unwrap();
    assert_eq!(statuses(&t), vec![("lunch".into(), "available".into())]);
    assert_eq!(t.quest_updates[0].team, None);
    assert!(g.apply(tick(T + 5_000)).unwrap().quest_updates.is_empty());
    let t = g.apply(tick(T + 60_000)).unwrap();
    assert_eq!(statuses(&t), vec![("lunch".into(), "expired".into())]);
    assert!(g.apply(tick(T + 70_000)).unwrap().quest_updates.is_empty());
    assert_eq!(
        code(g.apply(Action::new("ann", "tick", T + 80_000))),
        RejectionCode::Forbidden
    );
}

#[test]
fn pause_resume_and_end() {
    let mut g = game();
    g.apply(evidence("ann", "red", T, "selfie")).unwrap();
    assert_eq!(
        code(g.apply(Action::new("ann", "pause", T))),
        RejectionCode::Forbidden
    );
    g.apply(gm("pause", T + 1)).unwrap();
    assert_eq!(g.status(), GameStatus::Paused);
    assert_eq!(
        code(g.apply(answer("bob", "red", T + 2, "riddle", "golden gate"))),
        RejectionCode::NotAllowedNow
    );
    // The judge keeps working through a pause.
    g.apply(judge(T + 3, "selfie", "red", "approve", json!({})))
        .unwrap();
    g.apply(gm("resume", T + 4)).unwrap();
    g.apply(answer("bob", "red", T + 5, "riddle", "golden gate"))
        .unwrap();
    g.apply(evidence("cat", "blue", T + 6, "selfie")).unwrap();
    g.apply(gm("end", T + 7)).unwrap();
    assert_eq!(g.status(), GameStatus::Finished);
    assert_eq!(
        code(g.apply(answer("cat", "blue", T + 8, "riddle", "golden gate"))),
        RejectionCode::GameOver
    );
    assert_eq!(
        code(g.apply(judge(T + 9, "selfie", "blue", "approve", json!({})))),
        RejectionCode::GameOver
    );
    assert_eq!(g.score(Board::Team, "red"), 150);
    assert_eq!(g.view("bob").status, GameStatus::Finished);
}

#[test]
fn scheduled_start_and_end() {
    let mut c = config();
    c["starts_at_ms"] = json!(T + 100);
    c["ends_at_ms"] = json!(T + 1_000);
    let mut g = Harness::<Scavenger>::with_config(c, 0).unwrap();
    assert_eq!(
        code(g.apply(answer("ann", "red", T, "riddle", "golden gate"))),
        RejectionCode::NotAllowedNow
    );
    g.apply(answer("ann", "red", T + 100, "riddle", "golden gate"))
        .unwrap();
    assert_eq!(g.status(), GameStatus::Running);
    assert_eq!(
        code(g.apply(answer("cat", "blue", T + 1_000, "riddle", "golden gate"))),
        RejectionCode::GameOver
    );
    g.apply(Action::new("host", "tick", T + 1_000).as_system())
        .unwrap();
    assert_eq!(g.status(), GameStatus::Finished);
}

#[test]
fn wait_for_start_waits_for_the_game_master_whatever_starts_at_ms_says() {
    let mut c = config();
    c["wait_for_start"] = json!(true);
    // Accepted, and ignored: waiting for the game master wins.
    c["starts_at_ms"] = json!(T + 100);
    let mut g = Harness::<Scavenger>::with_config(c, 0).unwrap();
    let day = 86_400_000;
    assert_eq!(
        code(g.apply(answer("ann", "red", T + day, "riddle", "golden gate"))),
        RejectionCode::NotAllowedNow
    );
    g.apply(Action::new("host", "tick", T + 2 * day).as_system())
        .unwrap();
    assert_eq!(g.status(), GameStatus::Waiting);
    let t = g.apply(gm("start", T + 3 * day)).unwrap();
    assert_eq!(t.status, GameStatus::Running);
    let t = g
        .apply(answer(
            "ann",
            "red",
            T + 3 * day + 1,
            "riddle",
            "golden gate",
        ))
        .unwrap();
    assert_eq!(t.rewards[0].points, 50);
    assert_eq!(g.score(Board::Team, "red"), 50);
}

#[test]
fn grants_and_revokes_pay_once_and_show_in_the_view() {
    let mut g = game();
    g.apply(answer("ann", "red", T, "riddle", "golden gate"))
        .unwrap();
    let grant = gm("grant", T + 1)
        .with_payload(json!({ "id": "spirit", "player": "ann", "team": "red", "points": 20 }));
    g.apply(grant.clone()).unwrap();
    assert_eq!(code(g.apply(grant)), RejectionCode::AlreadyDone);
    let revoke = gm("revoke", T + 2)
        .with_payload(json!({ "id": "cheat", "player": "ann", "team": "red", "points": 15 }));
    let t = g.apply(revoke).unwrap();
    assert_eq!(t.rewards[0].points, -15);
    assert_eq!(g.score(Board::Team, "red"), 55);
    assert_eq!(g.view("ann").score, 55);
    // A teamless grant moves only ann's individual board, as the view shows
    // the team's score.
    let personal =
        gm("grant", T + 3).with_payload(json!({ "id": "mvp", "player": "ann", "points": 7 }));
    g.apply(personal).unwrap();
    assert_eq!(g.score(Board::Individual, "ann"), 62);
    assert_eq!(g.score(Board::Team, "red"), 55);
    assert_eq!(g.view("ann").score, 55);
    assert!(g.view("ann").summary.contains(r#""team":"red""#));
    let as_player = Action::new("ann", "grant", T + 3)
        .with_payload(json!({ "id": "me", "player": "ann", "points": 1000 }));
    assert_eq!(code(g.apply(as_player)), RejectionCode::Forbidden);
}

#[test]
fn ties_go_to_whoever_got_there_first() {
    let mut g = game();
    g.apply(answer("cat", "blue", T, "riddle", "golden gate"))
        .unwrap();
    g.apply(answer("ann", "red", T + 10, "riddle", "golden gate"))
        .unwrap();
    g.apply(evidence("dan", "green", T + 20, "selfie")).unwrap();
    assert_eq!(
        g.ranking(Board::Team),
        vec![("blue".into(), 50), ("red".into(), 50)]
    );
    // Green submitted earlier than red's second score, but is judged later:
    // the score is reached when the judge approves.
    g.apply(evidence("ann", "red", T + 30, "selfie")).unwrap();
    g.apply(judge(
        T + 40,
        "selfie",
        "red",
        "approve",
        json!({ "points": 50 }),
    ))
    .unwrap();
    g.apply(judge(T + 50, "selfie", "green", "approve", json!({})))
        .unwrap();
    let cin = submit("cat", "blue", T + 60, json!({ "mission": "fountain" }))
        .with_location(LAT, LON, 5.0);
    g.apply(cin).unwrap();
    assert_eq!(
        g.ranking(Board::Team),
        vec![
            ("blue".into(), 130),
            ("red".into(), 100),
            ("green".into(), 100)
        ]
    );
}

#[test]
fn solo_players_score_without_a_team() {
    let mut g = game();
    let t = g
        .apply(
            Action::new("zoe", "submit", T)
                .with_payload(json!({ "mission": "selfie", "evidence": "e1" })),
        )
        .unwrap();
    assert_eq!(t.quest_updates[0].team, None);
    let t = g
        .apply(judge(T + 1, "selfie", "zoe", "approve", json!({})))
        .unwrap();
    assert_eq!(t.rewards[0].team, None);
    assert_eq!(t.rewards[0].reward_key, "mission:selfie:zoe");
    assert_eq!(t.score_deltas.len(), 1);
    assert_eq!(g.score(Board::Individual, "zoe"), 100);
    let v = g.view("zoe");
    assert_eq!(v.score, 100);
    assert!(v.summary.contains(r#""team":null"#), "{}", v.summary);
}

#[test]
fn view_shows_only_the_players_team_and_no_answers() {
    let mut g = game();
    g.apply(answer("ann", "red", T, "riddle", "golden gate"))
        .unwrap();
    g.apply(evidence("bob", "red", T + 1, "selfie")).unwrap();
    g.apply(evidence("cat", "blue", T + 1_002, "lunch"))
        .unwrap();
    let v = g.view("bob");
    assert_eq!(v.score, 50);
    assert_eq!(v.status, GameStatus::Running);
    let s: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(
        s,
        json!({ "team": "red", "missions": 4, "done": ["riddle"], "pending": ["selfie"], "rejected": [] })
    );
    assert!(!v.summary.to_lowercase().contains("golden"));
    let stranger = g.view("nobody");
    assert_eq!(stranger.score, 0);
    assert!(stranger.summary.contains(r#""team":null"#));
}

fn script() -> Vec<Action> {
    vec![
        answer("ann", "red", T, "riddle", "golden gate"),
        answer("cat", "blue", T + 1, "riddle", "wrong"),
        evidence("cat", "blue", T + 2, "selfie"),
        Action::new("host", "tick", T + 1_500).as_system(),
        judge(T + 1_600, "selfie", "blue", "reject", json!({})),
        evidence("dan", "blue", T + 1_700, "selfie"),
        judge(
            T + 1_800,
            "selfie",
            "blue",
            "approve",
            json!({ "points": 70 }),
        ),
        gm("grant", T + 1_900)
            .with_payload(json!({ "id": "g", "player": "ann", "team": "red", "points": 5 })),
        evidence("ann", "red", T + 2_000, "lunch"),
    ]
}

#[test]
fn replay_gives_identical_state_and_effects() {
    let (mut a, mut b) = (game(), game());
    for action in script() {
        let ra = a.apply(action.clone());
        let rb = b.apply(action);
        assert_eq!(ra, rb);
    }
    assert_eq!(a.state_bytes(), b.state_bytes());
    assert_eq!(a.rewards(), b.rewards());
    // Replaying the whole script on top mints nothing new: every scoring
    // action is now rejected (already done / already applied / pending).
    for action in script() {
        if let Ok(t) = a.apply(action) {
            assert!(t.rewards.is_empty(), "replay minted {:?}", t.rewards);
        }
    }
}

#[test]
fn sample_stream_runs_with_a_sane_mix() {
    let mut g = Harness::<Scavenger>::new(&sample::config(), 7).unwrap();
    let actions = sample::actions(5_000, 1);
    assert_eq!(actions.len(), 5_000);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    assert_eq!(actions[0].tenant, "bench");
    let keys: std::collections::BTreeSet<_> = actions.iter().map(|a| &a.idempotency_key).collect();
    assert_eq!(keys.len(), actions.len());
    let mut rejected = 0;
    let mut judged = 0;
    for a in actions {
        let gm = a.role != ActorRole::Player;
        judged += usize::from(a.kind == "judge");
        match g.apply(a) {
            Ok(_) => {}
            Err(r) => {
                assert!(!gm, "game-master action rejected: {r}");
                rejected += 1;
            }
        }
    }
    assert_eq!(g.status(), GameStatus::Running);
    assert!((500..=1_100).contains(&rejected), "rejected {rejected}");
    assert!(judged > 300, "judged {judged}");
    let n = g.rewards().len();
    // 20 teams x 30 missions at most, plus a few grants.
    assert!((300..=610).contains(&n), "rewards {n}");
    assert!(
        g.state_bytes().len() < 8_000,
        "state {} bytes",
        g.state_bytes().len()
    );
}

#[test]
fn sample_state_stays_bounded_on_a_long_stream() {
    let mut g = Harness::<Scavenger>::new(&sample::config(), 7).unwrap();
    let mut size_at_10k = 0;
    for (i, a) in sample::actions(30_000, 3).into_iter().enumerate() {
        let _ = g.apply(a);
        if i == 10_000 {
            size_at_10k = g.state_bytes().len();
        }
    }
    assert_eq!(g.status(), GameStatus::Running);
    let end = g.state_bytes().len();
    assert!(end < 8_000, "state {end} bytes");
    assert!(
        end <= size_at_10k + 200,
        "state grew from {size_at_10k} to {end}"
    );
}

#[test]
fn contract_matches_info_and_declares_what_the_sample_mints() {
    contract_check::assert_contract_matches_info::<Scavenger>();
    let declared = contract_check::reward_types::<Scavenger>();
    assert_eq!(declared, ["points", "adjustment"].map(String::from).into());
    // `play` checks every accepted action (role, schema, reward types).
    let mut minted =
        contract_check::play::<Scavenger>(&sample::config(), 7, sample::actions(5_000, 1));
    // The sample's grants fall on its ticks (every 1,000th action is also a
    // 250th): the script has one.
    minted.extend(contract_check::play::<Scavenger>(
        &config().to_string(),
        1,
        script(),
    ));
    assert_eq!(minted, declared);
    let c = Scavenger::contract();
    let submit = c.spec("submit").unwrap();
    assert!(submit.takes_location && submit.takes_evidence);
    assert_eq!(submit.roles, [ActorRole::Player]);
    let judge = c.spec("judge").unwrap();
    assert_eq!(judge.roles, [ActorRole::GameMaster, ActorRole::System]);
    assert_eq!(
        c.spec("tick").unwrap().roles,
        [ActorRole::GameMaster, ActorRole::System]
    );
}

#[test]
fn payload_schemas_accept_what_the_game_accepts() {
    let ok = |kind: &str, p: Value| contract_check::schema_accepts::<Scavenger>(kind, &p);
    assert!(ok("submit", json!({ "mission": "m", "answer": "x" })));
    assert!(ok(
        "submit",
        json!({ "mission": "m", "evidence": "u:1", "answer": null })
    ));
    assert!(ok("submit", json!({ "mission": "m" })));
    assert!(ok(
        "judge",
        json!({ "mission": "m", "team": "red", "verdict": "approve" })
    ));
    assert!(ok(
        "judge",
        json!({ "mission": "m", "team": "red", "verdict": "approve", "points": 0, "note": "n" })
    ));
    assert!(ok(
        "judge",
        json!({ "mission": "m", "team": "red", "verdict": "reject", "points": null })
    ));
    assert!(ok(
        "grant",
        json!({ "id": "g", "player": "ann", "points": 5 })
    ));
    assert!(ok("start", json!({})));
    // What serde refuses, the schema refuses.
    assert!(!ok("submit", json!({ "answer": "x" })));
    assert!(!ok("submit", json!({ "mission": "m", "photo": "x" })));
    assert!(!ok("submit", json!({ "mission": 3 })));
    assert!(!ok(
        "judge",
        json!({ "mission": "m", "team": "red", "verdict": "maybe" })
    ));
    assert!(!ok(
        "judge",
        json!({ "mission": "m", "team": "red", "verdict": "approve", "points": -1 })
    ));
    assert!(!ok("start", json!({ "now": true })));
    // ... and so does the game.
    let mut g = game();
    let r = g.apply(submit(
        "ann",
        "red",
        T,
        json!({ "mission": "riddle", "photo": "x" }),
    ));
    assert_eq!(code(r), RejectionCode::InvalidPayload);
}
