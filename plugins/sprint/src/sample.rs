//! A benchmark game: [`config`] (20 teams of 5 players) and [`actions`], a
//! deterministic, realistic stream of actions.
//!
//! The game master runs one round after another (six tasks, three with
//! answers; most rounds last 3 minutes and are closed early once every team
//! is done, every third lasts 1 minute and is closed by the host's tick).
//! Players complete tasks; about 15% of the actions are rejected (wrong
//! answers, tasks done twice, unknown tasks or rounds, late or early
//! submissions, malformed payloads). The stream follows a model of the game
//! (the real rules, applied to a private copy of the state), never pauses or
//! ends it, and keeps the state small: closed rounds leave the state, and
//! grant ids come from a small set.

use serde_json::json;
use veltrix_sdk::rng::SplitMix64;
use veltrix_sdk::{Action, Effects, GameType};

use crate::round::Round;
use crate::state::State;
use crate::{Config, Sprint};

/// Game time of the first action.
pub const START_MS: i64 = 1_700_000_000_000;
const TEAMS: u64 = 20;
const PLAYERS_PER_TEAM: u64 = 5;
const TASKS: usize = 6;

/// The benchmark config (JSON).
pub fn config() -> String {
    json!({
        "starts_at_ms": START_MS,
        "ends_at_ms": START_MS + 30 * 86_400_000,
        "placement_bonus": [50, 30, 20, 10],
        "floor_percent": 25,
        "default_duration_ms": 180_000,
    })
    .to_string()
}

/// An action of the stream: tenant `bench`, game `g1`, one key per action.
fn action(i: usize, t: i64, player: &str, kind: &str) -> Action {
    Action::new(player, kind, t)
        .with_game("bench", "g1")
        .with_key(&format!("a{i}"))
}

fn game_master(i: usize, t: i64, kind: &str, payload: serde_json::Value) -> Action {
    action(i, t, "gm", kind)
        .as_game_master()
        .with_payload(payload)
}

fn tick(i: usize, t: i64) -> Action {
    action(i, t, "host", "tick").as_system()
}

/// The answer of task `k` of round `n`, for the tasks that have one.
fn answer(n: u32, k: usize) -> String {
    format!("answer {n} {k}")
}

/// A deterministic stream of `n` actions for the [`config`] game.
pub fn actions(n: usize, seed: u64) -> Vec<Action> {
    let cfg: Config = serde_json::from_str(&config()).expect("sample config parses");
    let mut state = Sprint::init(cfg, seed).expect("sample config is valid");
    let mut rng = SplitMix64::new(seed ^ 0x005E_ED5B_41A7);
    let mut t = START_MS;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let a = next_action(&mut rng, &state, i, t);
        t += 300 + rng.below(1_200) as i64;
        // Advance the model; a rejected action leaves it as it was.
        let mut next = state.clone();
        if Sprint::apply(&mut next, &a, &mut Effects::default()).is_ok() {
            state = next;
        }
        out.push(a);
    }
    out
}

fn open_round(rng: &mut SplitMix64, s: &State, i: usize, t: i64) -> Action {
    let n = s.next_round;
    let tasks: Vec<_> = (0..TASKS)
        .map(|k| {
            let mut task = json!({"id": format!("t{k}"), "points": 20 + 10 * rng.below(9) as i64});
            if k < 3 {
                task["answers"] = json!([answer(n, k)]);
            }
            task
        })
        .collect();
    let mut p = json!({"round": n, "tasks": tasks});
    if n.is_multiple_of(3) {
        p["duration_ms"] = json!(60_000);
    }
    if rng.chance(10) {
        p["start_ms"] = json!(t + 3_000);
    }
    game_master(i, t, "open_round", p)
}

/// Tasks team `team` still has to do in `r`.
fn todo(s: &State, r: &Round, team: u64) -> u32 {
    let all = (1u32 << r.tasks.len()) - 1;
    let done = s
        .teams
        .team_index(&format!("team-{team}"))
        .map_or(0, |t| r.done_by(t));
    all & !done
}

fn next_action(rng: &mut SplitMix64, s: &State, i: usize, t: i64) -> Action {
    if i % 120 == 119 {
        return tick(i, t);
    }
    if rng.ratio(3, 1_000) {
        let kind = if rng.chance(70) { "grant" } else { "revoke" };
        let team = rng.below(TEAMS);
        // A small id set keeps the lifecycle's record of grants bounded;
        // repeats are rejected as already applied.
        let p = json!({
            "id": format!("{kind}-{}", rng.below(3)),
            "player": format!("p{team}-0"),
            "team": format!("team-{team}"),
            "points": 10 + rng.below(5) as i64 * 10,
            "reason": "spirit award",
        });
        return game_master(i, t, kind, p);
    }
    let Some(r) = s.rounds.first() else {
        return open_round(rng, s, i, t);
    };
    let n = r.number;
    if t >= r.end_ms && rng.chance(60) {
        // The window has passed: the host's tick closes the round.
        return tick(i, t);
    }
    // Pick a team that still has work (players of finished teams wait).
    let mut team = rng.below(TEAMS);
    for _ in 0..6 {
        if todo(s, r, team) != 0 {
            break;
        }
        team = rng.below(TEAMS);
    }
    let left = todo(s, r, team);
    if left == 0 && (0..TEAMS).all(|x| todo(s, r, x) == 0) {
        return game_master(i, t, "close_round", json!({ "round": n }));
    }
    let player = format!("p{team}-{}", rng.below(PLAYERS_PER_TEAM));
    let complete = action(i, t, &player, "complete").with_team(&format!("team-{team}"));
    // About 12% mistakes; late and early submissions add a few more.
    if left == 0 || rng.chance(12) {
        let k = rng.below(TASKS as u64) as usize;
        let done = ((1u32 << TASKS) - 1) & !left;
        let payload = match rng.below(6) {
            0 => json!({"round": n, "task": format!("t{}", k % 3), "answer": "no idea"}),
            1 => json!({"round": n, "task": "t9"}),
            2 if n > 1 => json!({"round": n - 1, "task": "t3"}),
            3 => json!({"round": n + 1, "task": "t3"}),
            4 if done != 0 => {
                let k = done.trailing_zeros() as usize;
                json!({"round": n, "task": format!("t{k}"), "answer": answer(n, k)})
            }
            _ => json!({"round": n, "answer": 3}),
        };
        return complete.with_payload(payload);
    }
    let picks: Vec<usize> = (0..TASKS).filter(|&k| left & (1 << k) != 0).collect();
    let k = picks[rng.below(picks.len() as u64) as usize];
    let payload = if k < 3 {
        let typed = if rng.chance(30) {
            answer(n, k).to_uppercase()
        } else {
            answer(n, k)
        };
        json!({"round": n, "task": format!("t{k}"), "answer": typed})
    } else {
        json!({"round": n, "task": format!("t{k}")})
    };
    complete.with_payload(payload)
}
