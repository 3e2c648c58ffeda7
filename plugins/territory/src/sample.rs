//! A benchmark game and a deterministic, realistic action stream for it.
//!
//! 20 teams of 5 players fight over 30 control points for up to a week (a
//! campus-wide challenge), so that even 200,000 actions (about 1.2 s apart)
//! end well before the time limit. A third of the points ask a question;
//! captures lock a point for 30 s. About 15 % of the actions are refused
//! (captures outside the zone, wrong answers, points the team already holds
//! or that are locked); every 250th action is a host tick (which settles
//! holding pay) or, a few times, a game-master grant or revoke.

use serde_json::json;
use veltrix_sdk::rng::SplitMix64;
use veltrix_sdk::{Action, Location};

/// Teams in the benchmark game.
pub const TEAMS: usize = 20;
/// Players per team.
pub const PLAYERS_PER_TEAM: usize = 5;
/// Control points of the benchmark game.
pub const POINTS: usize = 30;
/// Timestamp of the first action, and the game's start.
pub const T0_MS: i64 = 1_700_000_000_000;

const LAT0: f64 = 52.3700;
const LON0: f64 = 4.8900;
const METRES_PER_DEG_LAT: f64 = 111_195.0;
const RADIUS_M: f64 = 40.0;
const LOCK_MS: i64 = 30_000;

/// What the stream generator knows of a control point.
struct Cp {
    lat: f64,
    lon: f64,
    answer: Option<String>,
    holder: Option<usize>,
    captured_ms: i64,
}

fn cp(i: usize) -> Cp {
    Cp {
        lat: LAT0 + 0.0013 * (i / 6) as f64,
        lon: LON0 + 0.0021 * (i % 6) as f64,
        answer: i.is_multiple_of(3).then(|| format!("answer {i}")),
        holder: None,
        captured_ms: 0,
    }
}

/// The benchmark config (JSON).
pub fn config() -> String {
    let points: Vec<_> = (0..POINTS)
        .map(|i| {
            let c = cp(i);
            let mut v = json!({ "id": format!("cp{i:02}"), "name": format!("Control {}", i + 1),
                "lat": c.lat, "lon": c.lon, "radius_m": RADIUS_M });
            if let Some(answer) = c.answer {
                v["question"] = json!(format!("What is written on control {}?", i + 1));
                v["answers"] = json!([answer]);
            }
            if i % 5 == 4 {
                v["capture_points"] = json!(20);
                v["points_per_minute"] = json!(2);
            }
            v
        })
        .collect();
    json!({
        "title": "Benchmark campus territory week",
        "starts_at_ms": T0_MS,
        "duration_min": 7 * 24 * 60,
        "capture_points": 10,
        "points_per_minute": 1,
        "lock_s": LOCK_MS / 1_000,
        "max_accuracy_m": 25,
        "max_teams": TEAMS,
        "max_players": TEAMS * PLAYERS_PER_TEAM,
        "control_points": points,
    })
    .to_string()
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
            "team": team_id(id % TEAMS), "points": 5 + id, "reason": "best team photo" })
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

/// The generator's model of the map (mirrors the rules).
struct Sim {
    cps: Vec<Cp>,
}

impl Sim {
    /// A capture attempt by team `t` at `now`: (payload, location). Valid
    /// attempts update the model.
    fn next(&mut self, t: usize, now: i64, rng: &mut SplitMix64) -> (serde_json::Value, Location) {
        let r = rng.below(100);
        let free =
            |c: &Cp| c.holder != Some(t) && (c.holder.is_none() || now >= c.captured_ms + LOCK_MS);
        // A point the team could take: scan the map from a random place.
        let start = rng.below(POINTS as u64) as usize;
        let pick = |want_question: bool| {
            (0..POINTS)
                .map(|k| (start + k) % POINTS)
                .find(|&k| free(&self.cps[k]) && (!want_question || self.cps[k].answer.is_some()))
        };
        match r {
            0..3 => {
                if let Some(own) = self.cps.iter().position(|c| c.holder == Some(t)) {
                    return self.attempt(own, true, rng);
                }
            }
            3..9 => {
                let i = pick(false).unwrap_or(start);
                let c = &self.cps[i];
                let far = Location {
                    lat: c.lat + 0.003,
                    lon: c.lon,
                    accuracy_m: 8.0,
                };
                return (
                    json!({ "cp": format!("cp{i:02}"), "answer": c.answer }),
                    far,
                );
            }
            9..14 => {
                if let Some(k) = pick(true) {
                    let (_, at) = self.attempt(k, false, rng);
                    return (
                        json!({ "cp": format!("cp{k:02}"), "answer": "no idea" }),
                        at,
                    );
                }
            }
            _ => {}
        }
        match pick(false) {
            Some(i) => {
                let c = &mut self.cps[i];
                c.holder = Some(t);
                c.captured_ms = now;
                self.attempt(i, true, rng)
            }
            // Every point is held by the team or locked: refused.
            None => self.attempt(start, true, rng),
        }
    }

    /// A check-in inside the zone of point `i`, with the right answer if
    /// `right`.
    fn attempt(
        &self,
        i: usize,
        right: bool,
        rng: &mut SplitMix64,
    ) -> (serde_json::Value, Location) {
        let c = &self.cps[i];
        // Up to 10 m north or south, east or west.
        let mut off = || (2.0 * rng.next_f64() - 1.0) * 10.0;
        let (dn, de) = (off(), off());
        let at = Location {
            lat: c.lat + dn / METRES_PER_DEG_LAT,
            lon: c.lon + de / (METRES_PER_DEG_LAT * c.lat.to_radians().cos()),
            accuracy_m: 4.0 + rng.below(10) as f32,
        };
        let answer = match (&c.answer, right) {
            (Some(a), true) if rng.chance(50) => Some(a.to_uppercase()),
            (Some(a), true) => Some(format!("  {a} ")),
            _ => None,
        };
        let mut payload = json!({ "cp": format!("cp{i:02}") });
        if let Some(a) = answer {
            payload["answer"] = json!(a);
        }
        (payload, at)
    }
}

/// `n` actions with increasing timestamps from [`T0_MS`], deterministic in
/// `seed`; the game stays running throughout.
pub fn actions(n: usize, seed: u64) -> Vec<Action> {
    let mut rng = SplitMix64::new(seed);
    let mut sim = Sim {
        cps: (0..POINTS).map(cp).collect(),
    };
    let mut out = Vec::with_capacity(n);
    let mut ts = T0_MS;
    for i in 0..n {
        if i > 0 {
            ts += 200 + rng.below(2_000) as i64;
        }
        let a = if i % 250 == 249 {
            gm_move(i / 250, ts)
        } else {
            let t = rng.below(TEAMS as u64) as usize;
            let (payload, location) = sim.next(t, ts, &mut rng);
            let p = rng.below(PLAYERS_PER_TEAM as u64) as usize;
            let mut a = Action::new(&player_id(t, p), "capture", ts)
                .with_team(&team_id(t))
                .with_payload(payload);
            a.location = Some(location);
            a
        };
        out.push(
            a.with_game("bench", "g1")
                .with_key(&format!("bench-{seed}-{i}")),
        );
    }
    out
}
