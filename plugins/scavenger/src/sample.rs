//! A benchmark game and a deterministic action stream for it.
//!
//! [`config`] is an afternoon hunt for 20 teams of 5 players with 30
//! missions (10 answers, 8 check-ins, 12 photo/video). [`actions`] plays it:
//! about one action per second, players submitting open missions (right
//! answers with sloppy case and spacing, check-ins a few metres off the
//! point), a quarter of player actions bad (wrong answers, check-ins too far
//! or too imprecise, unknown, hidden, expired or already settled missions:
//! about 15% of the stream is rejected), a judge working through the
//! evidence queue, ten grants and a system tick every 250 actions. It never
//! pauses or ends the game.
//!
//! A mission board is finite (20 x 30 first-time acceptances, nearly all in
//! after about 2,000 actions), so a long stream settles into its renewable part:
//! mission `ph11` is a video the judge never approves, so teams keep
//! resubmitting it and the judge keeps rejecting it (in that phase about 42%
//! of actions are judge verdicts and no new points are minted). The state
//! stays bounded (one mark byte per team and mission, the pending queue, 100
//! players, ten grants) however long the stream: about 4.7 KB.
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

const MIN: i64 = 60_000;
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

/// Kind of a sample mission, with what the generator needs to play it.
#[derive(Clone, Copy)]
enum Kind {
    Answer(usize),
    Gps(f64, f64),
    Evidence,
}

struct Spec {
    id: String,
    points: i64,
    from: Option<i64>,
    until: Option<i64>,
    kind: Kind,
}

impl Spec {
    fn open(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.until.is_none_or(|u| t < u)
    }
}

fn specs() -> Vec<Spec> {
    let mut v = Vec::new();
    for i in 0..10 {
        v.push(Spec {
            id: format!("q{i:02}"),
            points: 50 + 10 * i as i64,
            // q09 is hidden for the first quarter of an hour.
            from: (i == 9).then_some(T0 + 15 * MIN),
            until: None,
            kind: Kind::Answer(i),
        });
    }
    for i in 0..8 {
        v.push(Spec {
            id: format!("cp{i:02}"),
            points: 80,
            from: None,
            until: None,
            kind: Kind::Gps(48.8500 + 0.002 * i as f64, 2.3400 + 0.003 * i as f64),
        });
    }
    for i in 0..12 {
        v.push(Spec {
            id: format!("ph{i:02}"),
            points: if i >= 9 { 200 } else { 120 },
            from: None,
            // The lunch video: open from 30 to 90 minutes into the game.
            until: (i == 10).then_some(T0 + 90 * MIN),
            kind: Kind::Evidence,
        });
        if i == 10 {
            v.last_mut().unwrap().from = Some(T0 + 30 * MIN);
        }
    }
    v
}

/// The benchmark config (JSON).
pub fn config() -> String {
    let missions: Vec<_> = specs()
        .iter()
        .map(|m| {
            let check = match m.kind {
                Kind::Answer(w) => json!({ "type": "answer", "answers": [WORDS[w]] }),
                Kind::Gps(lat, lon) => {
                    json!({ "type": "gps", "lat": lat, "lon": lon, "radius_m": 30.0 })
                }
                Kind::Evidence => json!({ "type": "evidence",
                    "media": if m.points > 120 { "video" } else { "photo" } }),
            };
            let mut o = json!({ "id": m.id, "title": format!("Mission {}", m.id),
                "points": m.points, "check": check });
            if let Some(f) = m.from {
                o["available_from_ms"] = json!(f);
            }
            if let Some(u) = m.until {
                o["available_until_ms"] = json!(u);
            }
            o
        })
        .collect();
    json!({ "max_accuracy_m": 25.0, "missions": missions }).to_string()
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

fn player_action(i: usize, t: i64, team: usize, p: usize, payload: serde_json::Value) -> Action {
    bench(i, t, &format!("t{team:02}-p{p}"), "submit", payload).with_team(&format!("t{team:02}"))
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
    let mut rng = SplitMix64::new(seed ^ 0x5CA7_E9E5);
    let mut standing = vec![vec![Standing::Open; specs.len()]; TEAMS];
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
            out.push(gm_action(
                i,
                t,
                "grant",
                json!({ "id": format!("spirit-{grants}"), "player": format!("t{team:02}-p0"),
                    "team": format!("t{team:02}"), "points": 25, "reason": "team spirit" }),
            ));
            continue;
        }
        if let Some(&(team, m)) = queue.front()
            && (queue.len() > 8 || rng.chance(35))
        {
            queue.pop_front();
            let spec = &specs[m];
            // ph11 is the video no judge ever likes: it keeps the stream alive.
            let approve = spec.id != "ph11" && rng.chance(70);
            let payload = if approve {
                standing[team][m] = Standing::Done;
                if rng.chance(20) {
                    json!({ "mission": spec.id, "team": format!("t{team:02}"),
                        "verdict": "approve", "points": spec.points / 2, "note": "blurry" })
                } else {
                    json!({ "mission": spec.id, "team": format!("t{team:02}"),
                        "verdict": "approve" })
                }
            } else {
                standing[team][m] = Standing::Open;
                json!({ "mission": spec.id, "team": format!("t{team:02}"),
                    "verdict": "reject", "note": "not quite" })
            };
            out.push(gm_action(i, t, "judge", payload));
            continue;
        }
        let mut team = rng.below(TEAMS as u64) as usize;
        let p = rng.below(PLAYERS as u64) as usize;
        let mut pick = None;
        if !rng.chance(25) {
            // A valid submission: an open mission of this team, or of the
            // next team that still has one.
            for _ in 0..TEAMS {
                let open: Vec<usize> = (0..specs.len())
                    .filter(|&m| standing[team][m] == Standing::Open && specs[m].open(t))
                    .collect();
                if !open.is_empty() {
                    pick = rng.pick(&open).copied();
                    break;
                }
                team = (team + 1) % TEAMS;
            }
        }
        let Some(m) = pick else {
            out.push(bad_action(i, t, team, p, &specs, &mut rng));
            continue;
        };
        let spec = &specs[m];
        let mut a = match spec.kind {
            Kind::Answer(w) => {
                standing[team][m] = Standing::Done;
                player_action(
                    i,
                    t,
                    team,
                    p,
                    json!({ "mission": spec.id, "answer": sloppy(WORDS[w], &mut rng) }),
                )
            }
            Kind::Gps(..) => {
                standing[team][m] = Standing::Done;
                player_action(i, t, team, p, json!({ "mission": spec.id }))
            }
            Kind::Evidence => {
                standing[team][m] = Standing::Pending;
                queue.push_back((team, m));
                player_action(
                    i,
                    t,
                    team,
                    p,
                    json!({ "mission": spec.id,
                        "evidence": format!("https://media.example/bench/{i}.jpg") }),
                )
            }
        };
        if let Kind::Gps(lat, lon) = spec.kind {
            // 0 to ~10 m off the point, accuracy 3 to 20 m.
            let off = rng.below(100) as f64 * 1e-6;
            a = a.with_location(lat + off, lon - off, 3.0 + rng.below(18) as f32);
        }
        out.push(a);
    }
    out
}

/// A player action the game rejects (wrong, too far, too imprecise, unknown,
/// hidden or expired mission, or a mission already settled).
fn bad_action(
    i: usize,
    t: i64,
    team: usize,
    p: usize,
    specs: &[Spec],
    rng: &mut SplitMix64,
) -> Action {
    let answer_m = rng.below(10) as usize;
    let gps_m = 10 + rng.below(8) as usize;
    match rng.below(6) {
        0 | 1 => player_action(
            i,
            t,
            team,
            p,
            json!({ "mission": specs[answer_m].id, "answer": "no idea" }),
        ),
        2 => {
            let Kind::Gps(lat, lon) = specs[gps_m].kind else {
                unreachable!("missions 10..18 are check-ins")
            };
            // Either 200 m away, or right there with a 150 m accuracy.
            let far = rng.chance(50);
            player_action(i, t, team, p, json!({ "mission": specs[gps_m].id })).with_location(
                lat + if far { 0.002 } else { 0.0 },
                lon,
                if far { 5.0 } else { 150.0 },
            )
        }
        3 => player_action(
            i,
            t,
            team,
            p,
            json!({ "mission": "does-not-exist", "answer": "x" }),
        ),
        4 => {
            // Outside its window: q09 early, ph10 before or after lunch; else
            // an empty evidence reference.
            let lunch = specs.iter().position(|s| s.id == "ph10").unwrap();
            let m = if !specs[9].open(t) { 9 } else { lunch };
            if specs[m].open(t) {
                player_action(i, t, team, p, json!({ "mission": "ph00", "evidence": " " }))
            } else {
                player_action(
                    i,
                    t,
                    team,
                    p,
                    json!({ "mission": specs[m].id, "answer": "x", "evidence": "x" }),
                )
            }
        }
        _ => player_action(i, t, team, p, json!({ "mission": "q00" })),
    }
}
