//! Payloads generated from a kind's declared JSON Schema, filled with the
//! vocabulary of the game's own config (its quest ids, answers, names), so
//! that most generated actions are ones the rules can accept: a check that
//! only sends what the host refuses, or what no game contains, never
//! reaches a success path.
//!
//! Handles what schemars derives from Rust types (objects, required and
//! optional fields, enums, `oneOf`/`anyOf`, nullable type lists, arrays,
//! numeric ranges, `$ref` into `$defs`) and falls back to a vocabulary
//! value for anything else.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use veltrix_contract::rng::SplitMix64;

/// Field names tried in payloads of kinds that declare no schema (a 0.2
/// component's): the usual ones of hunt games.
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
];

/// Deepest schema nesting followed (recursive types stop here).
const MAX_DEPTH: usize = 8;

/// What a config says, by the key it says it under.
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    /// Strings by key (and by the key's singular: `answers` -> `answer`;
    /// an object's `id` inside `challenges` -> `challenge`, `challenge_id`).
    by_key: BTreeMap<String, Vec<String>>,
    /// Every string seen.
    pub strings: Vec<String>,
    /// Every number seen.
    pub numbers: Vec<f64>,
    /// Every `{lat, lon}` seen.
    pub places: Vec<(f64, f64)>,
    /// The `{lat, lon}` of objects with an `id` (a step, a control point):
    /// a check-in naming that id is sent from there.
    pub places_by_id: BTreeMap<String, (f64, f64)>,
}

fn singular(k: &str) -> &str {
    k.strip_suffix("es")
        .filter(|s| s.ends_with("sh") || s.ends_with("ch") || s.ends_with('x'))
        .or_else(|| k.strip_suffix('s'))
        .unwrap_or(k)
}

impl Vocabulary {
    /// The vocabulary of a config document.
    pub fn of(config: &Value) -> Self {
        let mut v = Self::default();
        v.harvest(config, None);
        v
    }

    /// Adds `s` as a word said under `key`.
    pub fn add(&mut self, key: &str, s: &str) {
        for k in [key, singular(key)] {
            let list = self.by_key.entry(k.to_string()).or_default();
            if !list.iter().any(|x| x == s) {
                list.push(s.to_string());
            }
        }
    }

    fn harvest(&mut self, v: &Value, key: Option<&str>) {
        match v {
            Value::String(s) if s.len() <= 64 => {
                if !self.strings.contains(s) {
                    self.strings.push(s.clone());
                }
                if let Some(k) = key {
                    self.add(k, s);
                }
            }
            Value::Number(n) => {
                self.numbers.extend(n.as_f64());
                if let Some(k) = key {
                    self.add(k, &n.to_string());
                }
            }
            Value::Array(xs) => xs.iter().for_each(|x| self.harvest(x, key)),
            Value::Object(m) => {
                if let (Some(lat), Some(lon)) = (
                    m.get("lat").and_then(Value::as_f64),
                    m.get("lon").and_then(Value::as_f64),
                ) {
                    self.places.push((lat, lon));
                    if let Some(Value::String(id)) = m.get("id") {
                        self.places_by_id.insert(id.clone(), (lat, lon));
                    }
                }
                // An object's id names it under its container's key.
                if let (Some(Value::String(id)), Some(k)) = (m.get("id"), key) {
                    let one = singular(k).to_string();
                    self.add(&one, id);
                    self.add(&format!("{one}_id"), id);
                }
                for (k, x) in m {
                    self.harvest(x, Some(k));
                }
            }
            _ => {}
        }
    }

    /// Learns the words of an applied action's payload (a round it opened,
    /// the tasks it named), so later actions can refer to them.
    pub fn learn(&mut self, payload: &Value) {
        self.harvest(payload, None);
    }

    /// Strings said under `key` (or its singular), if any.
    pub fn for_key(&self, key: &str) -> Option<&[String]> {
        let stem = key.strip_suffix("_id").unwrap_or(key);
        [key, singular(key), stem]
            .into_iter()
            .find_map(|k| self.by_key.get(k).filter(|l| !l.is_empty()))
            .map(Vec::as_slice)
    }
}

/// Builds payloads for one schema document.
pub struct PayloadGen<'a> {
    root: &'a Value,
    vocab: &'a Vocabulary,
}

impl<'a> PayloadGen<'a> {
    /// A generator for the schema `root`.
    pub fn new(root: &'a Value, vocab: &'a Vocabulary) -> Self {
        Self { root, vocab }
    }

    /// A payload the schema probably accepts.
    pub fn generate(&self, rng: &mut SplitMix64) -> Value {
        let says_nothing = self.root.as_object().is_none_or(|m| {
            ![
                "type",
                "properties",
                "$ref",
                "oneOf",
                "anyOf",
                "allOf",
                "enum",
                "const",
            ]
            .iter()
            .any(|k| m.contains_key(*k))
        });
        if says_nothing {
            return self.untyped(rng);
        }
        self.value(self.root, None, rng, 0)
    }

    /// An object of one to three usual fields, for a kind without a schema.
    fn untyped(&self, rng: &mut SplitMix64) -> Value {
        let mut m = Map::new();
        for _ in 0..1 + rng.below(3) {
            let key = *rng.pick(COMMON_KEYS).expect("keys");
            let v = match rng.below(3) {
                0 => json!(1 + rng.below(20)),
                _ => self.loose(Some(key), rng),
            };
            m.insert(key.to_string(), v);
        }
        Value::Object(m)
    }

    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut s = schema;
        for _ in 0..MAX_DEPTH {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').map(|p| self.root.pointer(p)) {
                    Some(Some(target)) => s = target,
                    _ => return &Value::Null,
                },
                None => return s,
            }
        }
        s
    }

    fn value(
        &self,
        schema: &'a Value,
        key: Option<&str>,
        rng: &mut SplitMix64,
        depth: usize,
    ) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let s = self.resolve(schema);
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(options)) = s.get("enum")
            && let Some(o) = rng.pick(options)
        {
            return o.clone();
        }
        for combinator in ["oneOf", "anyOf"] {
            if let Some(Value::Array(options)) = s.get(combinator)
                && let Some(o) = rng.pick(options)
            {
                return self.value(o, key, rng, depth + 1);
            }
        }
        if let Some(Value::Array(all)) = s.get("allOf")
            && let Some(first) = all.first()
        {
            return self.value(first, key, rng, depth + 1);
        }
        let ty = match s.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => {
                // Nullable fields: mostly the value, sometimes null.
                let non_null: Vec<&str> = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .collect();
                match rng.pick(&non_null) {
                    Some(t) if !rng.chance(15) || non_null.len() == ts.len() => t,
                    _ => "null",
                }
            }
            _ if s.get("properties").is_some() => "object",
            _ => return self.loose(key, rng),
        };
        match ty {
            "object" => self.object(s, rng, depth),
            "array" => {
                let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                let max = s
                    .get("maxItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(min + 3)
                    .max(min);
                let n = min + rng.below(max - min + 1);
                let items = s.get("items").unwrap_or(&Value::Null);
                Value::Array(
                    (0..n)
                        .map(|_| self.value(items, key, rng, depth + 1))
                        .collect(),
                )
            }
            "string" => Value::String(self.string(s, key, rng)),
            "integer" => json!(self.number(s, key, rng).round() as i64),
            "number" => json!(self.number(s, key, rng)),
            "boolean" => Value::Bool(rng.chance(50)),
            "null" => Value::Null,
            _ => self.loose(key, rng),
        }
    }

    fn object(&self, s: &'a Value, rng: &mut SplitMix64, depth: usize) -> Value {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut m = Map::new();
        if let Some(Value::Object(props)) = s.get("properties") {
            for (k, p) in props {
                if required.contains(&k.as_str()) || rng.chance(50) {
                    m.insert(k.clone(), self.value(p, Some(k), rng, depth + 1));
                }
            }
        }
        Value::Object(m)
    }

    fn string(&self, s: &Value, key: Option<&str>, rng: &mut SplitMix64) -> String {
        let max = s.get("maxLength").and_then(Value::as_u64).unwrap_or(64) as usize;
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let pattern = s.get("pattern").and_then(Value::as_str);
        let fits = |x: &String| {
            (min..=max).contains(&x.chars().count())
                && pattern.is_none_or(|p| {
                    jsonschema::is_valid(&json!({ "pattern": p }), &Value::String(x.clone()))
                })
        };
        let keyed = key.and_then(|k| self.vocab.for_key(k));
        let pick = match (keyed, rng.below(10)) {
            (Some(list), 0..=7) => rng.pick(list).cloned(),
            (_, 0..=5) => rng.pick(&self.vocab.strings).cloned(),
            _ => None,
        };
        match pick.filter(fits) {
            Some(x) => x,
            // A plain word most patterns and lengths accept, varied so
            // that ids in one payload rarely repeat.
            None => {
                let mut x = format!("x{}", rng.below(1_000));
                while x.len() < min {
                    x.push('x');
                }
                x.truncate(max.max(1));
                x
            }
        }
    }

    fn number(&self, s: &Value, key: Option<&str>, rng: &mut SplitMix64) -> f64 {
        let lo = s
            .get("minimum")
            .and_then(Value::as_f64)
            .or_else(|| {
                s.get("exclusiveMinimum")
                    .and_then(Value::as_f64)
                    .map(|x| x + 1.0)
            })
            .unwrap_or(0.0);
        let hi = s
            .get("maximum")
            .and_then(Value::as_f64)
            .or_else(|| {
                s.get("exclusiveMaximum")
                    .and_then(Value::as_f64)
                    .map(|x| x - 1.0)
            })
            .unwrap_or(lo.max(0.0) + 100.0)
            .max(lo);
        let keyed: Vec<f64> = key
            .and_then(|k| self.vocab.for_key(k))
            .map(|l| l.iter().filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default();
        let from_config: Vec<f64> = keyed
            .into_iter()
            .chain(self.vocab.numbers.iter().copied())
            .filter(|n| (lo..=hi).contains(n))
            .collect();
        if !from_config.is_empty() && rng.chance(50) {
            return *rng.pick(&from_config).unwrap_or(&lo);
        }
        // Small values near the bottom of the range are the usual ones.
        let span = (hi - lo).min(20.0);
        lo + rng.below(span as u64 + 1) as f64
    }

    /// A value for a schema that says nothing (`{}`).
    fn loose(&self, key: Option<&str>, rng: &mut SplitMix64) -> Value {
        if let Some(list) = key.and_then(|k| self.vocab.for_key(k))
            && let Some(x) = rng.pick(list)
        {
            return Value::String(x.clone());
        }
        match rng.below(4) {
            0 => rng
                .pick(&self.vocab.strings)
                .map_or(Value::Null, |s| Value::String(s.clone())),
            1 => rng.pick(&self.vocab.numbers).map_or(json!(1), |n| json!(n)),
            2 => Value::Bool(rng.chance(50)),
            _ => json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_follow_the_schema_and_use_the_configs_words() {
        let config = json!({"challenges": [{"id": "c1", "answers": ["paris"]}, {"id": "c2", "answers": ["rome"]}]});
        let vocab = Vocabulary::of(&config);
        let schema = json!({
            "type": "object",
            "required": ["challenge", "answer"],
            "properties": {
                "challenge": {"type": "string"},
                "answer": {"type": "string"},
                "hint": {"type": ["integer", "null"], "minimum": 1, "maximum": 3},
                "verdict": {"$ref": "#/$defs/Verdict"}
            },
            "$defs": {"Verdict": {"type": "string", "enum": ["approve", "reject"]}}
        });
        let validator = jsonschema::validator_for(&schema).unwrap();
        let g = PayloadGen::new(&schema, &vocab);
        let mut rng = SplitMix64::new(7);
        let mut challenges = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let p = g.generate(&mut rng);
            assert!(validator.is_valid(&p), "{p}");
            challenges.insert(p["challenge"].as_str().unwrap().to_string());
        }
        assert!(
            challenges.contains("c1") && challenges.contains("c2"),
            "{challenges:?}"
        );
    }
}
