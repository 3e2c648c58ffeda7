//! Rules of the bingo game type, through the native harness.

use serde_json::{Value, json};
use veltrix_bingo::{Bingo, EXAMPLE_CONFIG, board, sample};
use veltrix_sdk::prelude::*;

#[path = "../../testing/contract_check.rs"]
mod contract_check;
// Shadows the SDK's: every game below holds each accepted action to the
// contract (declared kind, listed role, payload schema, reward types).
use contract_check::Harness;

const T: i64 = 1_700_000_000_000;
const SEED: u64 = 99;
const LAT: f64 = 52.52;
const LON: f64 = 13.405;

/// Task ids in config order; `ans-N` answers `word N`, `gps` is a check-in,
/// `ev-N` evidence. Ten tasks for a 3 x 3 board: one is left off each board.
const TASKS: [&str; 10] = [
    "ans-0", "ans-1", "ans-2", "ans-3", "ans-4", "ans-5", "ans-6", "gps", "ev-0", "ev-1",
];

fn config() -> Value {
    let tasks: Vec<Value> = TASKS
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let check = if id.starts_with("ans") {
                json!({ "type": "answer", "answers": [format!("Word {i}")] })
            } else if *id == "gps" {
                json!({ "type": "gps", "lat": LAT, "lon": LON, "radius_m": 30 })
            } else {
                json!({ "type": "evidence" })
            };
            json!({ "id": id, "points": 10 * (i as i64 + 1), "check": check })
        })
        .collect();
    json!({ "size": 3, "line_bonus": 100, "blackout_bonus": 1000, "max_accuracy_m": 25, "tasks": tasks })
}

fn game_with(c: Value) -> Harness<Bingo> {
    Harness::with_config(c, SEED).unwrap()
}

fn game() -> Harness<Bingo> {
    game_with(config())
}

fn points_of(task: &str) -> i64 {
    10 * (TASKS.iter().position(|t| *t == task).unwrap() as i64 + 1)
}

/// The board of `team`, row-major task ids.
fn board_of(team: &str) -> Vec<&'static str> {
    board::draw(SEED, team, TASKS.len(), 9)
        .into_iter()
        .map(|i| TASKS[i as usize])
        .collect()
}

/// The task left off `team`'s board.
fn off_board(team: &str) -> &'static str {
    let b = board_of(team);
    TASKS.iter().find(|t| !b.contains(t)).unwrap()
}

fn submit(player: &str, team: &str, t: i64, payload: Value) -> Action {
    Action::new(player, "submit", t)
        .with_team(team)
        .with_payload(payload)
}

/// The right submission for `task` (evidence goes to pending).
fn solve(player: &str, team: &str, t: i64, task: &str) -> Action {
    if let Some(n) = task.strip_prefix("ans-") {
        let i: usize = n.parse().unwrap();
        submit(
            player,
            team,
            t,
            json!({ "task": task, "answer": format!("  word {i} ") }),
        )
    } else if task == "gps" {
        submit(player, team, t, json!({ "task": task })).with_location(LAT, LON, 5.0)
    } else {
        submit(
            player,
            team,
            t,
            json!({ "task": task, "evidence": "https://media.example/x.jpg" }),
        )
    }
}

fn judge(t: i64, task: &str, team: &str, verdict: &str, extra: Value) -> Action {
    let mut p = json!({ "task": task, "team": team, "verdict": verdict });
    if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    Action::new("gm", "judge", t)
        .as_game_master()
        .with_payload(p)
}

/// Completes `task` for `team`, judging evidence at once. Returns every
/// reward key minted.
fn complete(g: &mut Harness<Bingo>, player: &str, team: &str, t: i64, task: &str) -> Vec<String> {
    let mut tr = g.apply(solve(player, team, t, task)).unwrap();
    if task.starts_with("ev") {
        tr = g
            .apply(judge(t + 1, task, team, "approve", json!({})))
            .unwrap();
    }
    tr.rewards.into_iter().map(|r| r.reward_key).collect()
}

fn gm(kind: &str, t: i64) -> Action {
    Action::new("gm", kind, t).as_game_master()
}

fn code(r: Result<Transition, Rejection>) -> RejectionCode {
    r.expect_err("expected a rejection").code
}

#[test]
fn example_config_inits_and_info_is_complete() {
    let info = veltrix_sdk::raw::describe::<Bingo>();
    assert_eq!(info.name, "bingo");
    for k in [
        "join", "submit", "judge", "start", "pause", "resume", "end", "grant", "revoke", "tick",
    ] {
        assert!(info.action_kinds.iter().any(|x| x == k), "missing kind {k}");
    }
    assert_eq!(info.latency_budget_us, 500);
    assert_eq!(info.fuel_budget, 2_000_000);
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let g = Harness::<Bingo>::new(&info.example_config, 0).unwrap();
    assert_eq!(g.state().tasks.len(), 10);
    assert!(Harness::<Bingo>::new(EXAMPLE_CONFIG, 0).is_ok());
    assert!(Harness::<Bingo>::new(&sample::config(), 0).is_ok());
}

#[test]
fn config_errors_name_the_field() {
    let bad = |edit: &dyn Fn(&mut Value), needle: &str| {
        let mut c = config();
        edit(&mut c);
        let e = Harness::<Bingo>::with_config(c, 0).unwrap_err();
        assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
    };
    bad(&|c| c["size"] = json!(2), "/size: must be between 3 and 7");
    bad(&|c| c["size"] = json!(8), "/size");
    bad(
        &|c| c["size"] = json!(4),
        "/tasks: a 4 x 4 board needs at least 16 tasks, got 10",
    );
    bad(
        &|c| c["line_bonus"] = json!(-1),
        "/line_bonus: must be zero or more",
    );
    bad(
        &|c| c["blackout_bonus"] = json!(2_000_000),
        "/blackout_bonus",
    );
    bad(
        &|c| c["tasks"][3]["points"] = json!(0),
        "/tasks/3/points: must be positive",
    );
    bad(
        &|c| c["tasks"][4]["id"] = json!("ans-0"),
        "/tasks/4/id: duplicate",
    );
    bad(
        &|c| c["tasks"][7]["check"]["lon"] = json!(200),
        "/tasks/7/check/lon",
    );
    bad(
        &|c| c["tasks"][0]["check"]["answers"] = json!([]),
        "/tasks/0/check/answers",
    );
    bad(&|c| c["bonus"] = json!(1), "unknown field `bonus`");
    bad(
        &|c| c["tasks"][8]["check"]["type"] = json!("quiz"),
        "unknown variant `quiz`",
    );
}

#[test]
fn boards_are_drawn_from_the_seed_per_team() {
    let mut g = game();
    let t = g
        .apply(Action::new("ann", "join", T).with_team("red"))
        .unwrap();
    assert_eq!(t.quest_updates.len(), 1);
    let q = &t.quest_updates[0];
    assert_eq!(
        (q.quest_id.as_str(), q.status.as_str(), q.team.as_deref()),
        ("board", "drawn", Some("red"))
    );
    let drawn: Value = serde_json::from_str(&q.detail).unwrap();
    assert_eq!(drawn["tasks"], json!(board_of("red")));
    // A teammate joining sees the same board; nothing new is drawn.
    let t = g
        .apply(Action::new("bob", "join", T + 1).with_team("red"))
        .unwrap();
    assert!(t.quest_updates.is_empty());
    let view: Value = serde_json::from_str(&g.view("bob").summary).unwrap();
    assert_eq!(view["board"], json!(board_of("red")));
    assert_eq!(
        code(g.apply(Action::new("bob", "join", T + 2).with_team("red"))),
        RejectionCode::AlreadyDone
    );
    // Teams get different boards; another seed gives other boards.
    assert_ne!(board_of("red"), board_of("blue"));
    assert_ne!(
        board::draw(SEED, "red", 10, 9),
        board::draw(SEED + 1, "red", 10, 9)
    );
    let mut other = Harness::<Bingo>::with_config(config(), SEED + 1).unwrap();
    other
        .apply(Action::new("ann", "join", T).with_team("red"))
        .unwrap();
    assert_ne!(other.view("ann").summary, g.view("ann").summary);
}

#[test]
fn cells_off_the_board_or_unknown_are_not_found() {
    let mut g = game();
    let off = off_board("red");
    assert_eq!(
        code(g.apply(solve("ann", "red", T, off))),
        RejectionCode::NotFound
    );
    assert_eq!(
        code(g.apply(submit("ann", "red", T, json!({ "task": "free" })))),
        RejectionCode::NotFound
    );
    let garbage = Action::new("ann", "submit", T)
        .with_team("red")
        .with_raw_payload("[1,2");
    assert_eq!(code(g.apply(garbage)), RejectionCode::InvalidPayload);
    assert_eq!(
        code(g.apply(Action::new("ann", "shout", T))),
        RejectionCode::UnknownKind
    );
    let join_payload = Action::new("ann", "join", T).with_raw_payload(r#"{"x":1}"#);
    assert_eq!(code(g.apply(join_payload)), RejectionCode::InvalidPayload);
}

#[test]
fn answers_and_check_ins_complete_cells_once() {
    let mut g = game();
    let b = board_of("red");
    let ans = *b.iter().find(|t| t.starts_with("ans")).unwrap();
    let wrong = submit("ann", "red", T, json!({ "task": ans, "answer": "word 99" }));
    assert_eq!(code(g.apply(wrong)), RejectionCode::Incorrect);
    assert_eq!(
        code(g.apply(submit("ann", "red", T, json!({ "task": ans })))),
        RejectionCode::InvalidPayload
    );
    let t = g.apply(solve("ann", "red", T + 1, ans)).unwrap();
    assert_eq!(t.rewards.len(), 1);
    assert_eq!(t.rewards[0].reward_key, format!("cell:{ans}:red"));
    assert_eq!(t.rewards[0].points, points_of(ans));
    let q = t.quest_updates.iter().find(|q| q.quest_id == ans).unwrap();
    assert_eq!(q.status, "accepted");
    assert_eq!(
        code(g.apply(solve("bob", "red", T + 2, ans))),
        RejectionCode::AlreadyDone
    );
    if b.contains(&"gps") {
        let far = submit("ann", "red", T + 3, json!({ "task": "gps" })).with_location(
            LAT + 0.001,
            LON,
            5.0,
        );
        assert_eq!(code(g.apply(far)), RejectionCode::Incorrect);
        let vague =
            submit("ann", "red", T + 3, json!({ "task": "gps" })).with_location(LAT, LON, 80.0);
        let r = g.apply(vague).unwrap_err();
        assert!(r.message.contains("accuracy"), "{}", r.message);
        assert_eq!(
            code(g.apply(submit("ann", "red", T + 3, json!({ "task": "gps" })))),
            RejectionCode::InvalidPayload
        );
        g.apply(solve("ann", "red", T + 4, "gps")).unwrap();
    }
    assert!(g.score(Board::Team, "red") >= points_of(ans));
}

#[test]
fn evidence_waits_for_the_judge() {
    let mut g = game();
    let ev = *board_of("red")
        .iter()
        .find(|t| t.starts_with("ev"))
        .unwrap();
    let t = g.apply(solve("ann", "red", T, ev)).unwrap();
    assert!(t.rewards.is_empty());
    assert!(
        t.quest_updates
            .iter()
            .any(|q| q.quest_id == ev && q.status == "pending")
    );
    assert_eq!(
        code(g.apply(solve("bob", "red", T + 1, ev))),
        RejectionCode::NotAllowedNow
    );
    let mut as_player = judge(T + 2, ev, "red", "approve", json!({}));
    as_player.role = ActorRole::Player;
    assert_eq!(code(g.apply(as_player)), RejectionCode::Forbidden);
    let t = g
        .apply(judge(
            T + 3,
            ev,
            "red",
            "reject",
            json!({ "note": "too dark" }),
        ))
        .unwrap();
    let st: Vec<_> = t.quest_updates.iter().map(|q| q.status.as_str()).collect();
    assert_eq!(st, ["rejected", "available"]);
    assert!(g.view("ann").summary.contains('r'));
    assert_eq!(
        code(g.apply(judge(T + 4, ev, "red", "approve", json!({})))),
        RejectionCode::NotAllowedNow
    );
    g.apply(solve("bob", "red", T + 5, ev)).unwrap();
    let over = judge(
        T + 6,
        ev,
        "red",
        "approve",
        json!({ "points": points_of(ev) + 1 }),
    );
    assert_eq!(code(g.apply(over)), RejectionCode::InvalidPayload);
    assert_eq!(
        code(g.apply(judge(T + 6, ev, "blue", "approve", json!({})))),
        RejectionCode::NotFound
    );
    let t = g
        .apply(judge(T + 7, ev, "red", "approve", json!({ "points": 5 })))
        .unwrap();
    assert_eq!(
        (t.rewards[0].player.as_str(), t.rewards[0].points),
        ("bob", 5)
    );
    assert_eq!(t.rewards[0].reward_key, format!("cell:{ev}:red"));
    assert_eq!(
        code(g.apply(judge(T + 8, ev, "red", "approve", json!({})))),
        RejectionCode::AlreadyDone
    );
}

#[test]
fn each_line_pays_once() {
    let mut g = game();
    let b = board_of("red");
    // Top row: the third cell completes it.
    let mut keys = Vec::new();
    for (k, &task) in b[0..3].iter().enumerate() {
        keys = complete(&mut g, "ann", "red", T + 10 * k as i64, task);
    }
    assert!(keys.contains(&"line:red:row-1".to_string()), "{keys:?}");
    assert_eq!(keys.iter().filter(|k| k.starts_with("line")).count(), 1);
    // Left column (cell 0 is done): cells 3 and 6 complete it, not row 1 again.
    complete(&mut g, "ann", "red", T + 100, b[3]);
    let keys = complete(&mut g, "ann", "red", T + 110, b[6]);
    let lines: Vec<_> = keys.iter().filter(|k| k.starts_with("line")).collect();
    assert_eq!(lines, ["line:red:col-1"]);
    // Anti-diagonal 2-4-6: cell 4 completes it.
    let keys = complete(&mut g, "ann", "red", T + 120, b[4]);
    assert!(keys.contains(&"line:red:anti".to_string()), "{keys:?}");
    let view: Value = serde_json::from_str(&g.view("ann").summary).unwrap();
    assert_eq!(view["lines"], 3);
    assert_eq!(view["cells"], "xxxxx.x..");
    let cells: i64 = [0, 1, 2, 3, 4, 6].iter().map(|&c| points_of(b[c])).sum();
    assert_eq!(g.score(Board::Team, "red"), cells + 300);
}

#[test]
fn blackout_pays_every_line_and_the_board_once() {
    let mut g = game();
    let b = board_of("blue");
    let mut all = Vec::new();
    for (k, &task) in b.iter().enumerate() {
        all.extend(complete(&mut g, "cat", "blue", T + 10 * k as i64, task));
    }
    assert_eq!(
        all.iter().filter(|k| k.starts_with("line:blue:")).count(),
        8
    );
    assert_eq!(all.iter().filter(|k| *k == "blackout:blue").count(), 1);
    let cells: i64 = b.iter().map(|t| points_of(t)).sum();
    assert_eq!(g.score(Board::Team, "blue"), cells + 8 * 100 + 1000);
    assert_eq!(g.view("cat").score, cells + 800 + 1000);
    assert!(g.view("cat").summary.contains(r#""blackout":true"#));
}

#[test]
fn first_bingo_can_end_the_round() {
    let mut c = config();
    c["first_bingo_ends_round"] = json!(true);
    let mut g = game_with(c);
    let (red, blue) = (board_of("red"), board_of("blue"));
    complete(&mut g, "cat", "blue", T, blue[0]);
    complete(&mut g, "ann", "red", T + 10, red[0]);
    complete(&mut g, "ann", "red", T + 20, red[1]);
    let ev_pending = blue
        .iter()
        .position(|t| t.starts_with("ev"))
        .filter(|&p| p != 0);
    if let Some(p) = ev_pending {
        g.apply(solve("cat", "blue", T + 25, blue[p])).unwrap();
    }
    let last = solve("ann", "red", T + 30, red[2]);
    let mut t = g.apply(last).unwrap();
    if red[2].starts_with("ev") {
        t = g
            .apply(judge(T + 31, red[2], "red", "approve", json!({})))
            .unwrap();
    }
    assert!(t.rewards.iter().any(|r| r.reward_key == "line:red:row-1"));
    assert!(
        t.quest_updates
            .iter()
            .any(|q| q.quest_id == "game" && q.status == "finished")
    );
    assert_eq!(g.status(), GameStatus::Finished);
    assert_eq!(
        code(g.apply(solve("cat", "blue", T + 40, blue[1]))),
        RejectionCode::GameOver
    );
    if let Some(p) = ev_pending {
        assert_eq!(
            code(g.apply(judge(T + 41, blue[p], "blue", "approve", json!({})))),
            RejectionCode::GameOver
        );
    }
    assert_eq!(
        code(g.apply(Action::new("dan", "join", T + 42).with_team("green"))),
        RejectionCode::GameOver
    );
}

#[test]
fn a_judged_cell_completing_a_line_credits_the_submitter() {
    let mut g = game();
    let b = board_of("red");
    // Find a line whose cells include evidence; complete the others first.
    let line = (0..board::line_count(3))
        .find(|&l| board::line_cells(3, l).any(|c| b[c].starts_with("ev")))
        .unwrap();
    let cells: Vec<usize> = board::line_cells(3, line).collect();
    let ev = cells
        .iter()
        .copied()
        .find(|&c| b[c].starts_with("ev"))
        .unwrap();
    for (k, &c) in cells.iter().filter(|&&c| c != ev).enumerate() {
        complete(&mut g, "ann", "red", T + k as i64 * 10, b[c]);
    }
    g.apply(solve("bob", "red", T + 100, b[ev])).unwrap();
    // Approved for 0 points: the cell counts, the line pays.
    let t = g
        .apply(judge(
            T + 200,
            b[ev],
            "red",
            "approve",
            json!({ "points": 0 }),
        ))
        .unwrap();
    let name = format!(
        "line:red:{}",
        [
            "row-1", "row-2", "row-3", "col-1", "col-2", "col-3", "diag", "anti"
        ][line as usize]
    );
    assert_eq!(t.rewards.len(), 1, "{:?}", t.rewards);
    assert_eq!(t.rewards[0].reward_key, name);
    assert_eq!(
        (t.rewards[0].player.as_str(), t.rewards[0].points),
        ("bob", 100)
    );
    assert_eq!(g.score(Board::Individual, "bob"), 100);
}

#[test]
fn pause_join_and_end() {
    let mut c = config();
    c["starts_at_ms"] = json!(T + 1_000);
    let mut g = game_with(c);
    // Joining (seeing the board) works before the start; playing does not.
    g.apply(Action::new("ann", "join", T).with_team("red"))
        .unwrap();
    assert_eq!(g.status(), GameStatus::Waiting);
    let first = board_of("red")[0];
    assert_eq!(
        code(g.apply(solve("ann", "red", T + 1, first))),
        RejectionCode::NotAllowedNow
    );
    g.apply(gm("start", T + 2)).unwrap();
    g.apply(gm("pause", T + 3)).unwrap();
    g.apply(Action::new("bob", "join", T + 4).with_team("red"))
        .unwrap();
    assert_eq!(
        code(g.apply(solve("bob", "red", T + 5, first))),
        RejectionCode::NotAllowedNow
    );
    assert_eq!(
        code(g.apply(Action::new("bob", "resume", T + 6))),
        RejectionCode::Forbidden
    );
    g.apply(gm("resume", T + 6)).unwrap();
    complete(&mut g, "bob", "red", T + 7, first);
    g.apply(gm("end", T + 10)).unwrap();
    assert_eq!(g.status(), GameStatus::Finished);
    assert_eq!(
        code(g.apply(solve("bob", "red", T + 11, board_of("red")[1]))),
        RejectionCode::GameOver
    );
    assert_eq!(
        code(g.apply(Action::new("cat", "join", T + 12).with_team("blue"))),
        RejectionCode::GameOver
    );
    let grant =
        gm("grant", T + 13).with_payload(json!({ "id": "late", "player": "bob", "points": 5 }));
    assert_eq!(code(g.apply(grant)), RejectionCode::GameOver);
}

#[test]
fn wait_for_start_waits_for_the_game_master_whatever_starts_at_ms_says() {
    let mut c = config();
    c["wait_for_start"] = json!(true);
    // Accepted, and ignored: waiting for the game master wins.
    c["starts_at_ms"] = json!(T + 1_000);
    let mut g = game_with(c);
    let first = board_of("red")[0];
    let day = 86_400_000;
    assert_eq!(
        code(g.apply(solve("ann", "red", T + day, first))),
        RejectionCode::NotAllowedNow
    );
    g.apply(Action::new("host", "tick", T + 2 * day).as_system())
        .unwrap();
    assert_eq!(g.status(), GameStatus::Waiting);
    let t = g.apply(gm("start", T + 3 * day)).unwrap();
    assert_eq!(t.status, GameStatus::Running);
    complete(&mut g, "ann", "red", T + 3 * day + 1, first);
    assert_eq!(g.score(Board::Team, "red"), points_of(first));
}

#[test]
fn grants_and_revokes_show_in_the_view() {
    let mut g = game();
    complete(&mut g, "ann", "red", T, board_of("red")[0]);
    let base = g.score(Board::Team, "red");
    let grant = gm("grant", T + 1)
        .with_payload(json!({ "id": "fun", "player": "ann", "team": "red", "points": 30 }));
    g.apply(grant.clone()).unwrap();
    assert_eq!(code(g.apply(grant)), RejectionCode::AlreadyDone);
    g.apply(
        gm("revoke", T + 2)
            .with_payload(json!({ "id": "oops", "player": "ann", "team": "red", "points": 10 })),
    )
    .unwrap();
    assert_eq!(g.score(Board::Team, "red"), base + 20);
    assert_eq!(g.view("ann").score, base + 20);
    // A grant to a newcomer's team registers them.
    g.apply(
        gm("grant", T + 3)
            .with_payload(json!({ "id": "hi", "player": "dan", "team": "green", "points": 7 })),
    )
    .unwrap();
    assert_eq!(g.view("dan").score, 7);
}

#[test]
fn ties_go_to_whoever_got_there_first() {
    let mut g = game();
    // Both teams complete the same task (every board holds 9 of the 10).
    let both = TASKS
        .iter()
        .find(|t| {
            board_of("red").contains(t) && board_of("blue").contains(t) && t.starts_with("ans")
        })
        .unwrap();
    complete(&mut g, "cat", "blue", T, both);
    complete(&mut g, "ann", "red", T + 5, both);
    let p = points_of(both);
    assert_eq!(
        g.ranking(Board::Team),
        vec![("blue".into(), p), ("red".into(), p)]
    );
    assert_eq!(
        g.ranking(Board::Individual),
        vec![("cat".into(), p), ("ann".into(), p)]
    );
}

#[test]
fn solo_players_get_their_own_board() {
    let mut g = game();
    let b = board_of("zoe");
    let t = g.apply(Action::new("zoe", "join", T)).unwrap();
    assert_eq!(t.quest_updates[0].team, None);
    let task = b[4];
    let mut a = solve("zoe", "x", T + 1, task);
    a.team = None;
    let t = g.apply(a).unwrap();
    if task.starts_with("ev") {
        let t = g
            .apply(judge(T + 2, task, "zoe", "approve", json!({})))
            .unwrap();
        assert_eq!(t.rewards[0].team, None);
    } else {
        assert_eq!(t.rewards[0].team, None);
    }
    assert_eq!(g.view("zoe").score, points_of(task));
    assert!(g.view("zoe").summary.contains(r#""team":null"#));
}

#[test]
fn view_shows_only_the_players_board_and_no_answers() {
    let mut g = game();
    let b = board_of("red");
    complete(&mut g, "ann", "red", T, b[0]);
    g.apply(Action::new("cat", "join", T + 1).with_team("blue"))
        .unwrap();
    let v = g.view("ann");
    let s: Value = serde_json::from_str(&v.summary).unwrap();
    assert_eq!(s["team"], "red");
    assert_eq!(s["size"], 3);
    assert_eq!(s["board"], json!(b));
    assert_eq!(s["cells"], "x........");
    assert!(!v.summary.to_lowercase().contains("word"));
    assert_eq!(v.score, points_of(b[0]));
    let stranger = g.view("nobody");
    assert_eq!(stranger.summary, r#"{"size":3,"team":null}"#);
}

fn script() -> Vec<Action> {
    let b = board_of("red");
    let mut v = vec![Action::new("ann", "join", T).with_team("red")];
    for (k, &task) in b[0..3].iter().enumerate() {
        v.push(solve("ann", "red", T + 10 + k as i64, task));
        if task.starts_with("ev") {
            v.push(judge(T + 20 + k as i64, task, "red", "approve", json!({})));
        }
    }
    v.push(solve("cat", "blue", T + 50, "ans-0"));
    v.push(
        gm("grant", T + 60)
            .with_payload(json!({ "id": "g", "player": "cat", "team": "blue", "points": 3 })),
    );
    v
}

#[test]
fn replay_gives_identical_state_and_effects() {
    let (mut a, mut b) = (game(), game());
    for action in script() {
        assert_eq!(a.apply(action.clone()), b.apply(action));
    }
    assert_eq!(a.state_bytes(), b.state_bytes());
    assert!(a.rewards().contains_key("line:red:row-1"));
    // Replaying the script mints nothing new.
    for action in script() {
        if let Ok(t) = a.apply(action) {
            assert!(t.rewards.is_empty(), "replay minted {:?}", t.rewards);
        }
    }
}

#[test]
fn sample_stream_runs_with_a_sane_mix() {
    let mut g = Harness::<Bingo>::new(&sample::config(), 7).unwrap();
    let actions = sample::actions(5_000, 1);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    let keys: std::collections::BTreeSet<_> = actions.iter().map(|a| &a.idempotency_key).collect();
    assert_eq!(keys.len(), actions.len());
    let mut rejected = 0;
    for a in actions {
        let gm = a.role != ActorRole::Player;
        if let Err(r) = g.apply(a) {
            assert!(!gm, "game-master action rejected: {r}");
            rejected += 1;
        }
    }
    assert_eq!(g.status(), GameStatus::Running);
    assert!((500..=1_100).contains(&rejected), "rejected {rejected}");
    let rewards = g.rewards();
    let lines = rewards.keys().filter(|k| k.starts_with("line:")).count();
    let blackouts = rewards
        .keys()
        .filter(|k| k.starts_with("blackout:"))
        .count();
    assert!(rewards.len() > 400, "rewards {}", rewards.len());
    assert!(lines > 100, "lines {lines}");
    assert!((1..=10).contains(&blackouts), "blackouts {blackouts}");
    assert!(
        g.state_bytes().len() < 6_000,
        "state {} bytes",
        g.state_bytes().len()
    );
}

#[test]
fn sample_state_stays_bounded_on_a_long_stream() {
    let mut g = Harness::<Bingo>::new(&sample::config(), 11).unwrap();
    let mut size_at_10k = 0;
    for (i, a) in sample::actions(30_000, 5).into_iter().enumerate() {
        let _ = g.apply(a);
        if i == 10_000 {
            size_at_10k = g.state_bytes().len();
        }
    }
    assert_eq!(g.status(), GameStatus::Running);
    let end = g.state_bytes().len();
    assert!(
        end <= size_at_10k + 200,
        "state grew from {size_at_10k} to {end}"
    );
    let blackouts = g
        .rewards()
        .keys()
        .filter(|k| k.starts_with("blackout:"))
        .count();
    assert_eq!(blackouts, 10, "teams t10-t19 black out, t00-t09 never do");
}

#[test]
fn contract_matches_info_and_declares_what_the_sample_mints() {
    contract_check::assert_contract_matches_info::<Bingo>();
    let declared = contract_check::reward_types::<Bingo>();
    assert_eq!(
        declared,
        ["points", "bonus", "adjustment"].map(String::from).into()
    );
    // `play` checks every accepted action (role, schema, reward types).
    let mut minted = contract_check::play::<Bingo>(&sample::config(), 7, sample::actions(5_000, 1));
    // The sample's grants fall on its ticks (every 1,000th action is also a
    // 250th): the script has one.
    minted.extend(contract_check::play::<Bingo>(
        &config().to_string(),
        SEED,
        script(),
    ));
    assert_eq!(minted, declared);
    let c = Bingo::contract();
    let submit = c.spec("submit").unwrap();
    assert!(submit.takes_location && submit.takes_evidence);
    assert_eq!(submit.roles, [ActorRole::Player]);
    assert_eq!(c.spec("join").unwrap().roles, [ActorRole::Player]);
    let judge = c.spec("judge").unwrap();
    assert_eq!(judge.roles, [ActorRole::GameMaster, ActorRole::System]);
}

#[test]
fn payload_schemas_accept_what_the_game_accepts() {
    let ok = |kind: &str, p: Value| contract_check::schema_accepts::<Bingo>(kind, &p);
    assert!(ok("join", json!({})));
    assert!(ok("submit", json!({ "task": "ans-0", "answer": "word 0" })));
    assert!(ok("submit", json!({ "task": "ev-0", "evidence": "u:1" })));
    assert!(ok("submit", json!({ "task": "gps" })));
    assert!(ok(
        "judge",
        json!({ "task": "ev-0", "team": "red", "verdict": "reject", "note": "" })
    ));
    assert!(ok(
        "judge",
        json!({ "task": "ev-0", "team": "red", "verdict": "approve", "points": 5 })
    ));
    // What serde refuses, the schema refuses.
    assert!(!ok("join", json!({ "team": "red" })));
    assert!(!ok("submit", json!({ "answer": "word 0" })));
    assert!(!ok("submit", json!({ "task": "gps", "lat": 1.0 })));
    assert!(!ok("judge", json!({ "task": "ev-0", "team": "red" })));
    assert!(!ok(
        "judge",
        json!({ "task": "ev-0", "team": "red", "verdict": "Approve" })
    ));
    assert!(!ok(
        "judge",
        json!({ "task": "ev-0", "team": "red", "verdict": "approve", "points": -5 })
    ));
    let mut g = game();
    let r = g.apply(Action::new("ann", "join", T).with_payload(json!({ "team": "red" })));
    assert_eq!(r.unwrap_err().code, RejectionCode::InvalidPayload);
}
