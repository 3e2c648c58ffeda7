//! A benchmark game and a deterministic, realistic action stream for it.
//!
//! 20 teams of 5 players run a 12-step city circuit (GPS, QR and mixed
//! check-ins, tasks, hints). So that a stream of any length keeps the game
//! busy with valid play, the trail is a circuit (`laps`): a team that ends a
//! run starts the next one, and its state stays the same size. About 15 % of
//! the actions are refused (wrong answers, check-ins outside the geofence,
//! out-of-order steps, hints or skips too many); every 250th action is a
//! host tick or, a few times, a game-master grant or revoke.

use serde_json::json;
use veltrix_sdk::rng::SplitMix64;
use veltrix_sdk::{Action, Location};

/// Teams in the benchmark game.
pub const TEAMS: usize = 20;
/// Players per team.
pub const PLAYERS_PER_TEAM: usize = 5;
/// Steps of the benchmark trail.
pub const STEPS: usize = 12;
/// Timestamp of the first action.
pub const T0_MS: i64 = 1_700_000_000_000;

const LAT0: f64 = 38.7075;
const LON0: f64 = -9.1365;
const METRES_PER_DEG_LAT: f64 = 111_195.0;
const RADIUS_M: f64 = 40.0;
const MAX_SKIPS: usize = 2;

/// What the stream generator knows of a step.
struct StepSpec {
    geo: Option<(f64, f64)>,
    qr: Option<String>,
    answer: Option<String>,
    hints: usize,
}

fn spec(i: usize) -> StepSpec {
    let geo = (i % 4 != 3).then(|| {
        (
            LAT0 + 0.0011 * i as f64,
            LON0 + 0.0009 * ((i * 5) % 7) as f64,
        )
    });
    let qr = (geo.is_none() || i.is_multiple_of(5)).then(|| format!("VX-BENCH-QR-{i:02}"));
    let answer = (i % 3 != 2).then(|| format!("answer {i}"));
    let hints = if answer.is_some() { 2 } else { i % 2 };
    StepSpec {
        geo,
        qr,
        answer,
        hints,
    }
}

/// The benchmark config (JSON).
pub fn config() -> String {
    let steps: Vec<_> = (0..STEPS)
        .map(|i| {
            let s = spec(i);
            let mut v = json!({ "id": format!("s{i:02}"), "title": format!("Checkpoint {}", i + 1),
                "points": 10 + 5 * (i % 4) });
            if let Some((lat, lon)) = s.geo {
                v["lat"] = json!(lat);
                v["lon"] = json!(lon);
                v["radius_m"] = json!(RADIUS_M);
            }
            if let Some(qr) = s.qr {
                v["qr"] = json!(qr);
            }
            if let Some(answer) = s.answer {
                v["task"] = json!(format!("What is the answer at checkpoint {}?", i + 1));
                v["answers"] = json!([answer, format!("the {answer}")]);
            }
            v["hints"] = json!(
                (0..s.hints)
                    .map(|h| format!("Hint {h} for checkpoint {}", i + 1))
                    .collect::<Vec<_>>()
            );
            v
        })
        .collect();
    json!({
        "title": "Benchmark city circuit",
        "time_limit_min": 7 * 24 * 60,
        "finish_bonus": 50,
        "hint_penalty_s": 60,
        "skip_penalty_s": 300,
        "max_skips": MAX_SKIPS,
        "max_accuracy_m": 30,
        "laps": 1_000_000,
        "max_teams": TEAMS,
        "max_players": TEAMS * PLAYERS_PER_TEAM,
        "steps": steps,
    })
    .to_string()
}

/// The generator's model of one team's progress (mirrors the rules).
#[derive(Clone, Default)]
struct Sim {
    begun: bool,
    step: usize,
    arrived: bool,
    hints: usize,
    skips: usize,
}

/// Kind, payload and location of one player action.
type Move = (&'static str, serde_json::Value, Option<Location>);

impl Sim {
    fn advance(&mut self) {
        self.arrived = false;
        self.hints = 0;
        self.step += 1;
        if self.step == STEPS {
            self.step = 0;
            self.skips = 0;
        }
    }

    fn hint(&mut self, sp: &StepSpec, id: &str) -> Move {
        if self.hints < sp.hints {
            self.hints += 1;
        }
        ("hint", json!({ "step": id }), None)
    }

    /// The team's next move; updates the model when the move is valid.
    fn next(&mut self, specs: &[StepSpec], rng: &mut SplitMix64) -> Move {
        if !self.begun {
            self.begun = true;
            return ("begin", json!({}), None);
        }
        let sp = &specs[self.step];
        let id = format!("s{:02}", self.step);
        let r = rng.below(100);
        if self.arrived {
            return match r {
                0..12 => ("answer", json!({ "step": id, "answer": "no idea" }), None),
                12..14 => ("arrive", json!({ "step": id, "qr": "VX-STALE" }), None),
                14..17 => self.hint(sp, &id),
                _ => {
                    let answer = sp.answer.clone().unwrap_or_default();
                    let answer = if r.is_multiple_of(2) {
                        format!("  {}  ", answer.to_uppercase())
                    } else {
                        answer
                    };
                    self.advance();
                    ("answer", json!({ "step": id, "answer": answer }), None)
                }
            };
        }
        match r {
            0..3 => (
                "arrive",
                json!({ "step": format!("s{:02}", (self.step + 1) % STEPS) }),
                None,
            ),
            3..5 if sp.answer.is_some() => {
                ("answer", json!({ "step": id, "answer": "too early" }), None)
            }
            3..11 => match sp.geo {
                Some((lat, lon)) => (
                    "arrive",
                    json!({ "step": id }),
                    Some(fix(lat + 0.003, lon, 8.0)),
                ),
                None => ("arrive", json!({ "step": id, "qr": "VX-WRONG" }), None),
            },
            11..17 => self.hint(sp, &id),
            17 => {
                if self.skips < MAX_SKIPS {
                    self.skips += 1;
                    self.advance();
                }
                ("skip", json!({ "step": id }), None)
            }
            _ => {
                let m = match (&sp.geo, &sp.qr) {
                    (Some((lat, lon)), qr) if qr.is_none() || r.is_multiple_of(2) => {
                        // Up to 15 m north or south, east or west.
                        let mut off = || (2.0 * rng.next_f64() - 1.0) * 15.0;
                        let (dlat, dlon) = (off(), off());
                        let at = fix(
                            lat + dlat / METRES_PER_DEG_LAT,
                            lon + dlon / (METRES_PER_DEG_LAT * lat.to_radians().cos()),
                            5.0 + (r % 10) as f32,
                        );
                        ("arrive", json!({ "step": id }), Some(at))
                    }
                    (_, qr) => ("arrive", json!({ "step": id, "qr": qr }), None),
                };
                if sp.answer.is_some() {
                    self.arrived = true;
                } else {
                    self.advance();
                }
                m
            }
        }
    }
}

fn fix(lat: f64, lon: f64, accuracy_m: f32) -> Location {
    Location {
        lat,
        lon,
        accuracy_m,
    }
}

fn team_id(t: usize) -> String {
    format!("team-{t:02}")
}

fn player_id(t: usize, p: usize) -> String {
    format!("p{t:02}-{p}")
}

/// The `k`-th occasional game-master (or host) action, at `ts`.
fn gm_move(k: usize, ts: i64) -> Action {
    let grant = |id: usize| {
        json!({ "id": format!("bench-{id}"), "player": player_id(id % TEAMS, 0),
            "team": team_id(id % TEAMS), "points": 5 + id, "reason": "photo of the team" })
    };
    match k {
        // A handful of grants and a revoke (bounded: each id stays in state).
        0..3 => Action::new("gm", "grant", ts)
            .as_game_master()
            .with_payload(grant(k)),
        3 => Action::new("gm", "revoke", ts)
            .as_game_master()
            .with_payload(grant(0)),
        _ => Action::new("gm", "tick", ts).as_system(),
    }
}

/// `n` actions with increasing timestamps from [`T0_MS`], deterministic in
/// `seed`; the game stays running throughout.
pub fn actions(n: usize, seed: u64) -> Vec<Action> {
    let mut rng = SplitMix64::new(seed);
    let specs: Vec<StepSpec> = (0..STEPS).map(spec).collect();
    let mut teams = vec![Sim::default(); TEAMS];
    let mut out = Vec::with_capacity(n);
    let mut ts = T0_MS;
    for i in 0..n {
        if i > 0 {
            ts += 10 + rng.below(80) as i64;
        }
        let a = if i % 250 == 249 {
            gm_move(i / 250, ts)
        } else {
            let t = rng.below(TEAMS as u64) as usize;
            let (kind, payload, location) = teams[t].next(&specs, &mut rng);
            let p = rng.below(PLAYERS_PER_TEAM as u64) as usize;
            let mut a = Action::new(&player_id(t, p), kind, ts)
                .with_team(&team_id(t))
                .with_payload(payload);
            a.location = location;
            a
        };
        out.push(
            a.with_game("bench", "g1")
                .with_key(&format!("bench-{seed}-{i}")),
        );
    }
    out
}
