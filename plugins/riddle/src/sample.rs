//! A benchmark game: [`config`] (20 teams of 5 players, 24 challenges) and
//! [`actions`], a deterministic, realistic stream of actions.
//!
//! The stream follows a model of the game (the real rules, applied to a
//! private copy of the state) so that most actions are valid: wrong answers
//! (the bulk, as in any puzzle hunt), hints and solves paced so that teams
//! never run out of challenges, plus about 15% rejected actions (solved or
//! locked challenges, unknown ids, malformed payloads, cooldowns) and a few
//! game-master grants, revocations and host ticks. It never pauses or ends the
//! game, and the state stays a few KB: grant ids come from a small set.

use serde_json::json;
use veltrix_sdk::rng::SplitMix64;
use veltrix_sdk::{Action, Effects, GameType};

use crate::challenge::bit;
use crate::state::State;
use crate::{Config, Riddle};

/// Game time of the first action.
pub const START_MS: i64 = 1_700_000_000_000;
const TEAMS: u64 = 20;
const PLAYERS_PER_TEAM: u64 = 5;
const CHALLENGES: usize = 24;
/// Parts per million: the unit of the paced odds.
const PPM: u64 = 1_000_000;

/// The benchmark config (JSON): 24 challenges, open from the start, after
/// prerequisites, after a number of solves, or released over the first hours.
pub fn config() -> String {
    let challenges: Vec<_> = (0..CHALLENGES)
        .map(|i| {
            let mut c = json!({
                "id": format!("c{i:02}"),
                "answers": [format!("solution {i}"), format!("sol {i}")],
                "points": 100 + 50 * (i as i64 % 10),
            });
            match i % 3 {
                0 => {
                    c["decay"] = json!({"curve": "linear", "floor": 50, "solves_to_floor": 15})
                }
                1 => {
                    c["decay"] =
                        json!({"curve": "logarithmic", "floor": 60, "solves_to_floor": 19})
                }
                _ => {}
            }
            c["unlock"] = match i {
                0..=5 => serde_json::Value::Null,
                6..=11 => json!({ "after": [format!("c{:02}", i - 6)] }),
                12..=15 => json!({ "min_solves": i - 9 }),
                _ => json!({ "at_ms": START_MS + 600_000 * (i as i64 - 15) }),
            };
            if c["unlock"].is_null() {
                c.as_object_mut().map(|o| o.remove("unlock"));
            }
            let hints: Vec<_> = (0..1 + i % 2)
                .map(|h| json!({"text": format!("hint {h} for c{i:02}"), "cost": 10 + 15 * h as i64}))
                .collect();
            c["hints"] = json!(hints);
            c
        })
        .collect();
    json!({
        "starts_at_ms": START_MS,
        "ends_at_ms": START_MS + 30 * 86_400_000,
        "first_solve_bonus": 25,
        "rate_limit": {"max_wrong": 8, "window_ms": 60_000, "cooldown_ms": 30_000},
        "challenges": challenges,
    })
    .to_string()
}

/// An action of the stream: tenant `bench`, game `g1`, one key per action.
fn action(i: usize, t: i64, player: &str, kind: &str) -> Action {
    Action::new(player, kind, t)
        .with_game("bench", "g1")
        .with_key(&format!("a{i}"))
}

/// Picks one of the challenges in `mask` (which must not be empty).
fn pick(rng: &mut SplitMix64, mask: u128) -> usize {
    let k = rng.below(u64::from(mask.count_ones()));
    (0..128)
        .filter(|&c| mask & bit(c) != 0)
        .nth(k as usize)
        .unwrap_or(0)
}

/// What the model says about one team at `now`.
struct TeamView {
    open: u128,
    solved: u128,
    locked: u128,
    cooling: bool,
    free_hints: Vec<(usize, u32)>,
}

fn team_view(s: &State, team: &str, now: i64) -> TeamView {
    let t = s.teams.team_index(team);
    let p = t.map(|t| s.teams.data(t)).unwrap_or_default();
    let (mut open, mut locked) = (0, 0);
    let mut free_hints = Vec::new();
    for c in 0..s.board.len() {
        if p.solved & bit(c) != 0 {
            continue;
        }
        if s.gate(c, p.solved).is_ok() {
            open |= bit(c);
            let ch = s.board.get(c);
            for h in 0..u32::from(ch.hint_count) {
                if let Some(g) = s.board.hint_index(&ch, h)
                    && p.hints & bit(g) == 0
                {
                    free_hints.push((c, h));
                }
            }
        } else {
            locked |= bit(c);
        }
    }
    TeamView {
        open,
        solved: p.solved,
        locked,
        cooling: p.cooling(now).is_some(),
        free_hints,
    }
}

/// A deterministic stream of `n` actions for the [`config`] game.
pub fn actions(n: usize, seed: u64) -> Vec<Action> {
    let cfg: Config = serde_json::from_str(&config()).expect("sample config parses");
    let mut state = Riddle::init(cfg, seed).expect("sample config is valid");
    let rng = SplitMix64::new(seed ^ 0x5EED_0F41_DD1E);
    // Per team: ~85% of the actions, of which a budget of solves and hints
    // spread over the whole stream, so teams never run out of challenges.
    let per_team = (n as u64 * 85 / 100 / TEAMS).max(1);
    let solve_ppm = (18 * PPM / per_team).min(350_000);
    let hint_ppm = (10 * PPM / per_team).min(100_000);
    let mut g = Gen {
        rng,
        solve_ppm,
        hint_ppm,
        burst: None,
    };
    let mut t = START_MS;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let a = g.next_action(&state, i, t);
        t += 200 + g.rng.below(1_600) as i64;
        // Advance the model; a rejected action leaves it as it was.
        let mut next = state.clone();
        if Riddle::apply(&mut next, &a, &mut Effects::default()).is_ok() {
            state = next;
        }
        out.push(a);
    }
    out
}

/// The stream generator: its randomness, pacing and an ongoing burst.
struct Gen {
    rng: SplitMix64,
    /// Chance of a right answer, parts per million.
    solve_ppm: u64,
    /// Chance of buying a hint, parts per million.
    hint_ppm: u64,
    /// A team hammering guesses: (team, actions left). It runs into the
    /// rate limit, as brute-forcing teams do.
    burst: Option<(u64, u32)>,
}

impl Gen {
    fn next_action(&mut self, s: &State, i: usize, t: i64) -> Action {
        let rng = &mut self.rng;
        if i % 300 == 299 {
            return action(i, t, "host", "tick").as_system();
        }
        if rng.ratio(3, 1_000) {
            let kind = if rng.chance(70) { "grant" } else { "revoke" };
            let team = rng.below(TEAMS);
            // A small id set keeps the lifecycle's record of grants bounded;
            // repeats are rejected as already applied.
            let payload = json!({
                "id": format!("{kind}-{}", rng.below(3)),
                "player": format!("p{team}-0"),
                "team": format!("team-{team}"),
                "points": 10 + rng.below(5) as i64 * 10,
                "reason": "spirit award",
            });
            return action(i, t, "gm", kind)
                .as_game_master()
                .with_payload(payload);
        }
        if let Some((team_ix, left)) = self.burst {
            self.burst = (left > 1).then_some((team_ix, left - 1));
            let view = team_view(s, &format!("team-{team_ix}"), t);
            let c = if view.open != 0 {
                pick(rng, view.open)
            } else {
                0
            };
            let player = format!("p{team_ix}-{}", rng.below(PLAYERS_PER_TEAM));
            return action(i, t, &player, "attempt")
                .with_team(&format!("team-{team_ix}"))
                .with_payload(
                    json!({"challenge": format!("c{c:02}"), "answer": format!("brute {i}")}),
                );
        }
        if rng.ratio(2, 1_000) {
            self.burst = Some((rng.below(TEAMS), 12));
        }
        // Players mostly wait out a cooldown: pick a team that is not cooling.
        let mut team_ix = rng.below(TEAMS);
        let mut view = team_view(s, &format!("team-{team_ix}"), t);
        for _ in 0..4 {
            if !view.cooling && view.open != 0 {
                break;
            }
            team_ix = rng.below(TEAMS);
            view = team_view(s, &format!("team-{team_ix}"), t);
        }
        let player = format!("p{team_ix}-{}", rng.below(PLAYERS_PER_TEAM));
        let team = format!("team-{team_ix}");
        let play = |kind: &str, payload: serde_json::Value| {
            action(i, t, &player, kind)
                .with_team(&team)
                .with_payload(payload)
        };
        let id = |c: usize| format!("c{c:02}");
        // About 12% deliberate mistakes; cooldowns and repeated grants add more.
        if rng.chance(12) {
            let payload = match rng.below(4) {
                0 if view.solved != 0 => {
                    json!({"challenge": id(pick(rng, view.solved)), "answer": "again"})
                }
                1 if view.locked != 0 => {
                    json!({"challenge": id(pick(rng, view.locked)), "answer": "early"})
                }
                2 => json!({"challenge": "c99", "answer": "lost"}),
                // No answer: malformed.
                _ => json!({"challenge": "c00"}),
            };
            return play("attempt", payload);
        }
        if view.open == 0 {
            let c = pick(rng, view.locked.max(1));
            return play("attempt", json!({"challenge": id(c), "answer": "x"}));
        }
        if !view.free_hints.is_empty()
            && rng.ratio(self.hint_ppm, PPM)
            && let Some(&(c, h)) = rng.pick(&view.free_hints)
        {
            return play("hint", json!({"challenge": id(c), "hint": h}));
        }
        let c = pick(rng, view.open);
        let correct = rng.ratio(self.solve_ppm, PPM);
        let answer = if correct {
            // Players type answers in any case and spacing.
            if rng.chance(50) {
                format!("  SOLUTION   {c} ")
            } else {
                format!("sol {c}")
            }
        } else {
            format!("guess {}", rng.below(10_000))
        };
        play("attempt", json!({"challenge": id(c), "answer": answer}))
    }
}
