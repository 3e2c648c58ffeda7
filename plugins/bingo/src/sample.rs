//! A benchmark game and a deterministic action stream for it.
//!
//! [`config`] is a 5 x 5 bingo for 20 teams of 5 players. Its pool has
//! exactly 25 tasks (10 answers, 5 check-ins, 10 photo/video), so every
//! board holds every task, each team in its own seed-drawn arrangement: the
//! stream stays valid whatever seed the host inits the game with, while
//! lines and blackouts still differ per team. [`actions`] plays it: about
//! one action per second; each player's first action is a `join`; players
//! then submit open cells (right answers typed sloppily, check-ins a few
//! metres off), a quarter of player actions are bad (wrong answers,
//! check-ins too far or too imprecise, unknown tasks, blank evidence,
//! joining twice: about 15% of the stream is rejected), a judge works
//! through the evidence queue, ten grants and a system tick every 250
//! actions. It never pauses or ends the game.
//!
//! A board is finite, so a long stream settles into its renewable part: the
//! judge never approves video `e09` of teams `t00`-`t09`, which keep
//! resubmitting it (those teams never black out; teams `t10`-`t19` do). The
//! state stays bounded however long the stream: about 2 KB.
//!
//! The generator mirrors the rules, so it knows in advance which actions
//! the game accepts.

use std::collections::VecDeque;

use serde_json::json;
use veltrix_sdk::Action;
use veltrix_sdk::rng::SplitMix64;

/// Game start of the stream (ms since the epoch).
pub const T0: i64 = 1_700_000_000_000;
/// Teams in the benchmark game.
pub const TEAMS: usize = 20;
/// Players per team.
pub const PLAYERS: usize = 5;

const WORDS: [&str; 10] = [
    "lighthouse",
    "blue whale",
    "ada lovelace",
    "seventeen",
    "copper",
    "night owl",
    "eiffel",
    "marble staircase",
    "1889",
    "golden gate",
];

#[derive(Clone, Copy)]
enum Kind {
    Answer(usize),
    Gps(f64, f64),
    Evidence,
}

struct Spec {
    id: String,
    points: i64,
    kind: Kind,
}

fn specs() -> Vec<Spec> {
    let mut v = Vec::new();
    for i in 0..10 {
        v.push(Spec {
            id: format!("a{i:02}"),
            points: 20 + 5 * i as i64,
            kind: Kind::Answer(i),
        });
    }
    for i in 0..5 {
        v.push(Spec {
            id: format!("g{i:02}"),
            points: 40,
            kind: Kind::Gps(52.5100 + 0.002 * i as f64, 13.4000 + 0.003 * i as f64),
        });
    }
    for i in 0..10 {
        v.push(Spec {
            id: format!("e{i:02}"),
            points: if i >= 7 { 80 } else { 50 },
            kind: Kind::Evidence,
        });
    }
    v
}

/// The benchmark config (JSON).
pub fn config() -> String {
    let tasks: Vec<_> = specs()
        .iter()
        .map(|t| {
            let check = match t.kind {
                Kind::Answer(w) => json!({ "type": "answer", "answers": [WORDS[w]] }),
                Kind::Gps(lat, lon) => {
                    json!({ "type": "gps", "lat": lat, "lon": lon, "radius_m": 30.0 })
                }
                Kind::Evidence => json!({ "type": "evidence",
                    "media": if t.points > 50 { "video" } else { "photo" } }),
            };
            json!({ "id": t.id, "title": format!("Task {}", t.id), "points": t.points,
                "check": check })
        })
        .collect();
    json!({
        "size": 5,
        "line_bonus": 100,
        "blackout_bonus": 500,
        "first_bingo_ends_round": false,
        "max_accuracy_m": 25.0,
        "tasks": tasks,
    })
    .to_string()
}

#[derive(Clone, Copy, PartialEq)]
enum Standing {
    Open,
    Pending,
    Done,
}

/// An action of the stream: tenant `bench`, game `g1`, one key per action.
fn bench(i: usize, t: i64, player: &str, kind: &str, payload: serde_json::Value) -> Action {
    Action::new(player, kind, t)
        .with_game("bench", "g1")
        .with_key(&format!("bench-{i}"))
        .with_payload(payload)
}

fn player_action(
    i: usize,
    t: i64,
    team: usize,
    p: usize,
    kind: &str,
    payload: serde_json::Value,
) -> Action {
    bench(i, t, &format!("t{team:02}-p{p}"), kind, payload).with_team(&format!("t{team:02}"))
}

fn gm_action(i: usize, t: i64, kind: &str, payload: serde_json::Value) -> Action {
    let a = bench(i, t, "gm", kind, payload);
    if kind == "tick" {
        a.as_system()
    } else {
        a.as_game_master()
    }
}

/// Writes `w` the way a hurried player types it.
fn sloppy(w: &str, rng: &mut SplitMix64) -> String {
    match rng.below(3) {
        0 => w.to_uppercase(),
        1 => format!("  {}  ", w.replace(' ', "   ")),
        _ => w.to_string(),
    }
}

/// `n` actions of the benchmark game, deterministic in `seed`, with
/// increasing timestamps from [`T0`].
pub fn actions(n: usize, seed: u64) -> Vec<Action> {
    let specs = specs();
    let mut rng = SplitMix64::new(seed ^ 0xB1_4600);
    let mut standing = vec![vec![Standing::Open; specs.len()]; TEAMS];
    let mut registered = [[false; PLAYERS]; TEAMS];
    let mut queue: VecDeque<(usize, usize)> = VecDeque::new();
    let mut grants = 0;
    let mut t = T0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        t += 200 + rng.below(1_600) as i64;
        if i % 250 == 249 {
            out.push(gm_action(i, t, "tick", json!({})));
            continue;
        }
        if i % 1_000 == 999 && grants < 10 {
            grants += 1;
            let team = rng.below(TEAMS as u64) as usize;
            registered[team][0] = true;
            out.push(gm_action(
                i,
                t,
                "grant",
                json!({ "id": format!("spirit-{grants}"), "player": format!("t{team:02}-p0"),
                    "team": format!("t{team:02}"), "points": 25, "reason": "team spirit" }),
            ));
            continue;
        }
        if let Some(&(team, k)) = queue.front()
            && (queue.len() > 8 || rng.chance(35))
        {
            queue.pop_front();
            let spec = &specs[k];
            let tid = format!("t{team:02}");
            // e09 of the first ten teams never passes: it keeps the stream alive.
            let approve = !(spec.id == "e09" && team < 10) && rng.chance(70);
            let payload = if approve {
                standing[team][k] = Standing::Done;
                if rng.chance(20) {
                    json!({ "task": spec.id, "team": tid, "verdict": "approve",
                        "points": spec.points / 2, "note": "blurry" })
                } else {
                    json!({ "task": spec.id, "team": tid, "verdict": "approve" })
                }
            } else {
                standing[team][k] = Standing::Open;
                json!({ "task": spec.id, "team": tid, "verdict": "reject", "note": "not quite" })
            };
            out.push(gm_action(i, t, "judge", payload));
            continue;
        }
        let mut team = rng.below(TEAMS as u64) as usize;
        let p = rng.below(PLAYERS as u64) as usize;
        if !registered[team][p] {
            registered[team][p] = true;
            out.push(player_action(i, t, team, p, "join", json!({})));
            continue;
        }
        let mut pick = None;
        if !rng.chance(25) {
            // A valid submission: an open cell of this team, or of the next
            // team that still has one.
            for _ in 0..TEAMS {
                let open: Vec<usize> = (0..specs.len())
                    .filter(|&k| standing[team][k] == Standing::Open)
                    .collect();
                if !open.is_empty() {
                    pick = rng.pick(&open).copied();
                    break;
                }
                team = (team + 1) % TEAMS;
            }
        }
        let Some(k) = pick else {
            out.push(bad_action(i, t, team, p, &specs, &mut rng));
            continue;
        };
        registered[team][p] = true;
        let spec = &specs[k];
        let submit = |payload| player_action(i, t, team, p, "submit", payload);
        out.push(match spec.kind {
            Kind::Answer(w) => {
                standing[team][k] = Standing::Done;
                submit(json!({ "task": spec.id, "answer": sloppy(WORDS[w], &mut rng) }))
            }
            Kind::Gps(lat, lon) => {
                standing[team][k] = Standing::Done;
                // 0 to ~10 m off the point, accuracy 3 to 20 m.
                let off = rng.below(100) as f64 * 1e-6;
                let accuracy_m = 3.0 + rng.below(18) as f32;
                submit(json!({ "task": spec.id })).with_location(lat + off, lon - off, accuracy_m)
            }
            Kind::Evidence => {
                standing[team][k] = Standing::Pending;
                queue.push_back((team, k));
                let ev = format!("https://media.example/bench/{i}.jpg");
                submit(json!({ "task": spec.id, "evidence": ev }))
            }
        });
    }
    out
}

/// A player action the game rejects (the player has joined already).
fn bad_action(
    i: usize,
    t: i64,
    team: usize,
    p: usize,
    specs: &[Spec],
    rng: &mut SplitMix64,
) -> Action {
    let submit = |payload| player_action(i, t, team, p, "submit", payload);
    match rng.below(6) {
        0 | 1 => submit(json!({ "task": specs[rng.below(10) as usize].id, "answer": "no idea" })),
        2 => {
            let k = 10 + rng.below(5) as usize;
            let Kind::Gps(lat, lon) = specs[k].kind else {
                unreachable!("tasks 10..15 are check-ins")
            };
            // Either 200 m away, or right there with a 150 m accuracy.
            let far = rng.chance(50);
            submit(json!({ "task": specs[k].id })).with_location(
                lat + if far { 0.002 } else { 0.0 },
                lon,
                if far { 5.0 } else { 150.0 },
            )
        }
        3 => submit(json!({ "task": "free-space", "answer": "x" })),
        4 => submit(json!({ "task": specs[15 + rng.below(10) as usize].id, "evidence": "" })),
        _ => player_action(i, t, team, p, "join", json!({})),
    }
}
