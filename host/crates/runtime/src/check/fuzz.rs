//! Actions for the conformance run, built from what the game type declares:
//! each kind's payload from its JSON Schema ([`super::payload`]) filled
//! with the example config's own words, sent by a role the kind allows,
//! from a fixed roster of players in teams, on a clock that moves in small
//! steps (and now and then jumps to the next time the config names, so
//! every declared window is visited). A tenth of the payloads are garbage,
//! some kinds unknown, some roles wrong: the host must refuse those, and a
//! plugin must never fault on what the host lets through.
//!
//! The generator learns from outcomes: an applied action joins a small
//! corpus, and later actions are often that action again from another
//! player or team (the second team to solve a quest, the next hand-over).

use serde_json::Value;
use veltrix_contract::rng::SplitMix64;
use veltrix_contract::{Action, ActorRole, GameContract, GameTypeInfo, Location};

use super::payload::{PayloadGen, Vocabulary};

/// Payloads that are not what any schema describes.
const GARBAGE: &[&str] = &[
    "",
    "{",
    "not json",
    "[1,2",
    "null",
    "42",
    "\"text\"",
    "[]",
    "true",
    "{\"a\":}",
    "{}}",
    "\u{0}",
    "{\"answer\": 1e999}",
    "{\"points\": -9223372036854775808}",
    "{\"points\": 18446744073709551615}",
];

/// Where the clock starts when the config names no time.
const DEFAULT_START_MS: i64 = 1_700_000_000_000;
/// Players in the roster.
const PLAYERS: usize = 8;
/// Most applied actions remembered for replays by others.
const CORPUS: usize = 256;

/// One declared kind, ready to generate.
#[derive(Debug)]
struct Kind {
    name: String,
    roles: Vec<ActorRole>,
    schema: Value,
    located: bool,
    weight: u64,
}

/// Builds actions for one game type.
#[derive(Debug)]
pub struct ActionGen {
    rng: SplitMix64,
    kinds: Vec<Kind>,
    total_weight: u64,
    vocab: Vocabulary,
    roster: Vec<(String, Option<String>)>,
    /// Absolute times the config names, ascending.
    times: Vec<i64>,
    start_ms: i64,
    now_ms: i64,
    seq: u64,
    corpus: Vec<Action>,
}

impl ActionGen {
    /// A generator for a game type's declarations and example config.
    pub fn new(info: &GameTypeInfo, contract: &GameContract, seed: u64) -> Self {
        let config: Value = serde_json::from_str(&info.example_config).unwrap_or(Value::Null);
        let mut vocab = Vocabulary::of(&config);
        let kinds: Vec<Kind> = contract
            .actions
            .iter()
            .map(|a| {
                let for_players = a.roles.contains(&ActorRole::Player);
                Kind {
                    name: a.kind.clone(),
                    roles: a.roles.clone(),
                    schema: serde_json::from_str(&a.payload_schema).unwrap_or(Value::Null),
                    located: a.takes_location,
                    // Players act most; ending the game ends the episode.
                    weight: match (a.kind.as_str(), for_players) {
                        ("end", _) => 2,
                        ("pause", _) => 3,
                        (_, true) => 60,
                        (_, false) => 8,
                    },
                }
            })
            .collect();
        let teams: Vec<String> = vocab
            .for_key("team")
            .map(<[String]>::to_vec)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| (0..3).map(|i| format!("t{i}")).collect());
        let roster: Vec<(String, Option<String>)> = (0..PLAYERS)
            .map(|i| (format!("p{i}"), Some(teams[i % teams.len()].clone())))
            .collect();
        // Payload fields that name a player or a team (a judge's verdict on
        // a team, a grant to a player, a hand-over) name the roster's.
        for (p, t) in &roster {
            for key in ["player", "to", "from", "target", "member"] {
                vocab.add(key, p);
            }
            if let Some(t) = t {
                vocab.add("team", t);
            }
        }
        let mut times: Vec<i64> = vocab
            .numbers
            .iter()
            .filter(|n| **n > 1e12 && **n < 1e14)
            .map(|n| *n as i64)
            .collect();
        times.sort_unstable();
        times.dedup();
        let start_ms = times.first().map_or(DEFAULT_START_MS, |t| t - 30_000);
        Self {
            rng: SplitMix64::new(seed),
            total_weight: kinds.iter().map(|k| k.weight).sum::<u64>().max(1),
            kinds,
            vocab,
            roster,
            times,
            start_ms,
            now_ms: start_ms,
            seq: 0,
            corpus: Vec::new(),
        }
    }

    /// Starts a new episode (a fresh game): the clock goes back to the
    /// start.
    pub fn restart(&mut self) {
        self.now_ms = self.start_ms;
    }

    /// The earliest time the config names (or a fixed default): where a
    /// scenario starts.
    pub fn start_ms(&self) -> i64 {
        self.times.first().copied().unwrap_or(DEFAULT_START_MS)
    }

    /// The players of the roster.
    pub fn players(&self) -> Vec<String> {
        self.roster.iter().map(|(p, _)| p.clone()).collect()
    }

    /// Tells the generator whether `action` was applied. Applied player
    /// actions are replayed later by other players (game-master and host
    /// actions are generated afresh: replaying them would crowd out play).
    pub fn feedback(&mut self, action: &Action, applied: bool) {
        if !applied {
            return;
        }
        if let Ok(v) = serde_json::from_str::<Value>(&action.payload) {
            self.vocab.learn(&v);
        }
        if action.role != ActorRole::Player {
            return;
        }
        if self.corpus.len() < CORPUS {
            self.corpus.push(action.clone());
        } else {
            let i = self.rng.below(CORPUS as u64) as usize;
            self.corpus[i] = action.clone();
        }
    }

    fn tick(&mut self) {
        let step = match self.rng.below(100) {
            0..=69 => 200 + self.rng.below(1_800),
            70..=94 => 2_000 + self.rng.below(18_000),
            95..=98 => 20_000 + self.rng.below(100_000),
            _ => {
                // To the next time the config names, a little before it.
                if let Some(t) = self.times.iter().find(|t| **t > self.now_ms + 5_000) {
                    self.now_ms = t - self.rng.below(5_000) as i64;
                }
                0
            }
        };
        self.now_ms += step as i64;
    }

    fn kind(&mut self) -> Option<usize> {
        let mut x = self.rng.below(self.total_weight);
        for (i, k) in self.kinds.iter().enumerate() {
            if x < k.weight {
                return Some(i);
            }
            x -= k.weight;
        }
        None
    }

    fn location(&mut self, located: bool, payload: &str) -> Option<Location> {
        let roll = self.rng.below(10);
        if !located && roll > 0 {
            return None;
        }
        let jitter = |r: &mut SplitMix64, d: f64| (r.below(2001) as f64 - 1000.0) / 1000.0 * d;
        // A check-in that names a place (a step, a control point) is mostly
        // sent from that place.
        let named = serde_json::from_str::<Value>(payload).ok().and_then(|v| {
            v.as_object()?
                .values()
                .filter_map(Value::as_str)
                .find_map(|s| self.vocab.places_by_id.get(s).copied())
        });
        match roll {
            0..=7 if named.is_some() || !self.vocab.places.is_empty() => {
                let (lat, lon) = match named {
                    Some(p) => p,
                    None => *self.rng.pick(&self.vocab.places).expect("places"),
                };
                // Mostly within a few metres; sometimes a street away.
                let d = if roll < 7 { 0.00005 } else { 0.01 };
                Some(Location {
                    lat: lat + jitter(&mut self.rng, d),
                    lon: lon + jitter(&mut self.rng, d),
                    accuracy_m: 3.0 + self.rng.below(30) as f32,
                })
            }
            8 => None,
            _ => Some(Location {
                lat: *self
                    .rng
                    .pick(&[f64::NAN, 1000.0, -91.0, 0.0])
                    .expect("some"),
                lon: *self
                    .rng
                    .pick(&[f64::NAN, 500.0, 0.0, -181.0])
                    .expect("some"),
                accuracy_m: *self.rng.pick(&[f32::NAN, -1.0, 0.0, 1e9]).expect("some"),
            }),
        }
    }

    fn garbage(&mut self) -> String {
        match self.rng.below(4) {
            0 => format!(
                "{{\"answer\":\"{}\"}}",
                "A".repeat(1 + self.rng.below(20_000) as usize)
            ),
            1 => "[".repeat(1 + self.rng.below(200) as usize),
            _ => (*self.rng.pick(GARBAGE).expect("garbage")).to_string(),
        }
    }

    /// The next action.
    pub fn next_action(&mut self) -> Action {
        self.seq += 1;
        self.tick();
        let key = format!("k{}", self.seq);
        if !self.corpus.is_empty() && self.rng.chance(30) {
            let mut a = self.rng.pick(&self.corpus).expect("corpus").clone();
            if a.role == ActorRole::Player {
                let (p, t) = self.rng.pick(&self.roster).expect("roster").clone();
                a.player = p;
                a.team = t;
            }
            a.idempotency_key = key;
            a.timestamp_ms = self.now_ms;
            return a;
        }
        let Some(i) = self.kind().filter(|_| !self.rng.chance(1)) else {
            return self.action("no-such-kind", ActorRole::Player, "{}".into(), None, key);
        };
        let (name, located) = (self.kinds[i].name.clone(), self.kinds[i].located);
        let roles = self.kinds[i].roles.clone();
        let role = if self.rng.chance(3) {
            *self
                .rng
                .pick(&[ActorRole::Player, ActorRole::GameMaster, ActorRole::System])
                .expect("roles")
        } else {
            *self.rng.pick(&roles).unwrap_or(&ActorRole::Player)
        };
        let payload = if self.rng.chance(10) {
            self.garbage()
        } else {
            let schema = std::mem::take(&mut self.kinds[i].schema);
            let p = PayloadGen::new(&schema, &self.vocab).generate(&mut self.rng);
            self.kinds[i].schema = schema;
            p.to_string()
        };
        let location = self.location(located, &payload);
        self.action(&name, role, payload, location, key)
    }

    fn action(
        &mut self,
        kind: &str,
        role: ActorRole,
        payload: String,
        location: Option<Location>,
        key: String,
    ) -> Action {
        let (player, team) = match role {
            ActorRole::Player => {
                let (p, t) = self.rng.pick(&self.roster).expect("roster").clone();
                // Now and then a player without a team.
                (p, t.filter(|_| !self.rng.chance(5)))
            }
            ActorRole::GameMaster => ("gm".into(), None),
            ActorRole::System => ("host".into(), None),
        };
        Action {
            tenant: "conformance".into(),
            game: "check".into(),
            player,
            team,
            idempotency_key: key,
            role,
            kind: kind.into(),
            payload,
            timestamp_ms: self.now_ms,
            location,
        }
    }
}
