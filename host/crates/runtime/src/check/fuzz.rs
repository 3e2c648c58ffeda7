//! Random actions for the conformance run: plausible ones built from the
//! vocabulary of the plugin's own example config (its quest ids, answers,
//! coordinates, times), mixed with garbage (bad JSON, wrong types, huge
//! values, unknown kinds, impossible locations).
//!
//! The generator learns from outcomes: an action the plugin applied joins a
//! small corpus, and later actions are often mutations of corpus entries
//! (another player or team, one payload value swapped, the location
//! jittered). That walks the game deeper than blind guessing, which mostly
//! produces rejections.

use serde_json::Value;
use veltrix_contract::rng::SplitMix64;
use veltrix_contract::{Action, ActorRole, GameTypeInfo, Location};

/// A uniformly chosen element of `xs`, which is never empty here.
fn any<'a, T>(rng: &mut SplitMix64, xs: &'a [T]) -> &'a T {
    rng.pick(xs).expect("picks from a non-empty list")
}

const COMMON_KEYS: &[&str] = &[
    "answer",
    "mission",
    "challenge",
    "step",
    "point",
    "cell",
    "round",
    "task",
    "hint",
    "code",
    "qr",
    "verdict",
    "team",
    "player",
    "id",
    "points",
    "evidence",
    "reason",
    "duration_ms",
    "start_ms",
    "tasks",
    "adjustment",
];

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

/// Builds actions for one plugin.
#[derive(Debug)]
pub struct ActionGen {
    rng: SplitMix64,
    kinds: Vec<String>,
    keys: Vec<String>,
    strings: Vec<String>,
    numbers: Vec<f64>,
    places: Vec<(f64, f64)>,
    now_ms: i64,
    seq: u64,
    corpus: Vec<Action>,
}

/// Most applied actions remembered for mutation.
const CORPUS: usize = 256;

impl ActionGen {
    /// A generator for `info`'s kinds and example config.
    pub fn new(info: &GameTypeInfo, seed: u64) -> Self {
        let mut g = Self {
            rng: SplitMix64::new(seed),
            kinds: info.action_kinds.clone(),
            keys: COMMON_KEYS.iter().map(|s| s.to_string()).collect(),
            strings: vec!["approve".into(), "reject".into(), String::new(), "x".into()],
            numbers: vec![0.0, 1.0, -1.0, 3.0, 1e9],
            places: Vec::new(),
            now_ms: 1_700_000_000_000,
            seq: 0,
            corpus: Vec::new(),
        };
        if let Ok(v) = serde_json::from_str::<Value>(&info.example_config) {
            g.harvest(&v);
        }
        // Start just before the earliest absolute time the config names.
        if let Some(t) = g
            .numbers
            .iter()
            .copied()
            .filter(|n| *n > 1e12 && *n < 1e14)
            .reduce(f64::min)
        {
            g.now_ms = t as i64 - 60_000;
        }
        g.kinds.push("no-such-kind".into());
        g
    }

    fn harvest(&mut self, v: &Value) {
        match v {
            Value::String(s) if s.len() <= 64 => self.strings.push(s.clone()),
            Value::Number(n) => self.numbers.extend(n.as_f64()),
            Value::Array(xs) => xs.iter().for_each(|x| self.harvest(x)),
            Value::Object(m) => {
                let lat = m.get("lat").and_then(Value::as_f64);
                let lon = m.get("lon").and_then(Value::as_f64);
                if let (Some(lat), Some(lon)) = (lat, lon) {
                    self.places.push((lat, lon));
                }
                for (k, x) in m {
                    if !self.keys.contains(k) {
                        self.keys.push(k.clone());
                    }
                    self.harvest(x);
                }
            }
            _ => {}
        }
    }

    fn value(&mut self) -> Value {
        match self.rng.below(10) {
            0..=4 => Value::String(any(&mut self.rng, &self.strings).clone()),
            5..=7 => serde_json::json!(*any(&mut self.rng, &self.numbers)),
            8 => Value::Bool(self.rng.chance(50)),
            _ => Value::Null,
        }
    }

    fn payload(&mut self) -> String {
        match self.rng.below(20) {
            0..=13 => {
                let mut m = serde_json::Map::new();
                for _ in 0..1 + self.rng.below(4) {
                    let k = any(&mut self.rng, &self.keys).clone();
                    let v = self.value();
                    m.insert(k, v);
                }
                Value::Object(m).to_string()
            }
            14 => "{}".into(),
            15..=17 => any(&mut self.rng, GARBAGE).to_string(),
            18 => format!(
                "{{\"answer\":\"{}\"}}",
                "A".repeat(1 + self.rng.below(20_000) as usize)
            ),
            _ => "[".repeat(1 + self.rng.below(200) as usize),
        }
    }

    fn location(&mut self) -> Option<Location> {
        match self.rng.below(10) {
            0..=4 => None,
            5..=8 if !self.places.is_empty() => {
                let (lat, lon) = *any(&mut self.rng, &self.places);
                let jitter = |r: &mut SplitMix64| (r.below(2001) as f64 - 1000.0) * 1e-6;
                Some(Location {
                    lat: lat + jitter(&mut self.rng),
                    lon: lon + jitter(&mut self.rng),
                    accuracy_m: self.rng.below(60) as f32,
                })
            }
            _ => Some(Location {
                lat: *any(
                    &mut self.rng,
                    &[f64::NAN, 1000.0, -91.0, 0.0, f64::INFINITY],
                ),
                lon: *any(&mut self.rng, &[f64::NAN, 500.0, 0.0, -181.0]),
                accuracy_m: *any(&mut self.rng, &[f32::NAN, -1.0, 0.0, 1e9]),
            }),
        }
    }

    /// A random kind; `end` and `pause` are rare so that most of the run
    /// explores a running game.
    fn kind(&mut self) -> String {
        loop {
            let k = any(&mut self.rng, &self.kinds).clone();
            if !matches!(k.as_str(), "end" | "pause") || self.rng.chance(3) {
                return k;
            }
        }
    }

    /// Tells the generator whether `action` was applied.
    pub fn feedback(&mut self, action: &Action, applied: bool) {
        if !applied {
            return;
        }
        if self.corpus.len() < CORPUS {
            self.corpus.push(action.clone());
        } else {
            let i = self.rng.below(CORPUS as u64) as usize;
            self.corpus[i] = action.clone();
        }
    }

    /// A corpus entry with one thing changed.
    fn mutate(&mut self) -> Action {
        let mut a = any(&mut self.rng, &self.corpus).clone();
        match self.rng.below(5) {
            0 => a.player = format!("p{}", self.rng.below(12)),
            1 => a.team = Some(format!("t{}", self.rng.below(4))),
            2 => {
                if let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(&a.payload) {
                    if let Some(k) = m
                        .keys()
                        .nth(self.rng.below(m.len() as u64) as usize)
                        .cloned()
                    {
                        let v = self.value();
                        m.insert(k, v);
                    }
                    a.payload = Value::Object(m).to_string();
                }
            }
            3 => a.location = self.location(),
            _ => {}
        }
        a
    }

    /// The next action: time moves forward by up to two minutes.
    pub fn next_action(&mut self) -> Action {
        self.seq += 1;
        self.now_ms += self.rng.below(120_000) as i64;
        if !self.corpus.is_empty() && self.rng.chance(40) {
            let mut a = self.mutate();
            a.idempotency_key = format!("k{}", self.seq);
            a.timestamp_ms = self.now_ms;
            return a;
        }
        let player = format!("p{}", self.rng.below(12));
        let team = if self.rng.chance(85) {
            let pool: Vec<String> = (0..4).map(|i| format!("t{i}")).collect();
            if self.rng.chance(50) && !self.strings.is_empty() {
                Some(any(&mut self.rng, &self.strings).clone())
            } else {
                Some(any(&mut self.rng, &pool).clone())
            }
        } else {
            None
        };
        let role = match self.rng.below(20) {
            0..=16 => ActorRole::Player,
            17 | 18 => ActorRole::GameMaster,
            _ => ActorRole::System,
        };
        Action {
            tenant: "conformance".into(),
            game: "check".into(),
            player,
            team,
            idempotency_key: format!("k{}", self.seq),
            role,
            kind: self.kind(),
            payload: self.payload(),
            timestamp_ms: self.now_ms,
            location: self.location(),
        }
    }
}
