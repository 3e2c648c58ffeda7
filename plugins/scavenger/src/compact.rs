//! Compact building blocks for a state that is decoded on every apply.
//!
//! The host decodes and re-encodes the whole state per action. With postcard,
//! each `String` costs an allocation and each integer in a `Vec` a varint
//! step, so per-id strings and per-mission records add up to tens of
//! microseconds on a small machine. Two shapes avoid that:
//! - [`Names`]: every id of a kind (missions, teams, players, answers) in one
//!   string plus end offsets, so the rest of the state refers to ids by index;
//! - [`Bytes`]: a byte vector that postcard copies as one block (serde's
//!   `bytes`), used for the per-team, per-mission marks.

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Append-only string table; entry `i` is `text[ends[i-1]..ends[i]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    text: String,
    ends: Vec<u32>,
}

impl Names {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Entry `i` (empty if out of range, which a well-formed state never asks).
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// Index of the first entry equal to `s`.
    pub fn find(&self, s: &str) -> Option<u32> {
        let mut start = 0usize;
        for (i, &end) in self.ends.iter().enumerate() {
            let end = end as usize;
            if end - start == s.len() && self.text.get(start..end) == Some(s) {
                return Some(i as u32);
            }
            start = end;
        }
        None
    }

    /// Appends `s` and returns its index (no de-duplication: see
    /// [`Names::intern`]).
    pub fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        (self.ends.len() - 1) as u32
    }

    /// Index of `s`, appended first if absent.
    pub fn intern(&mut self, s: &str) -> u32 {
        match self.find(s) {
            Some(i) => i,
            None => self.push(s),
        }
    }

    /// Entries `first..first + count`.
    pub fn range(&self, first: u32, count: u32) -> impl Iterator<Item = &str> {
        (first..first.saturating_add(count)).map(|i| self.get(i))
    }
}

/// A byte vector encoded as serde `bytes` (one length and one copy) rather
/// than as a sequence of integers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            // Self-describing formats (JSON) may hand a sequence instead.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(b) = seq.next_element()? {
                    v.push(b);
                }
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_as_one_block() {
        let b = Bytes(vec![0, 1, 2, 255]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), b);
    }

    #[test]
    fn push_find_get() {
        let mut n = Names::default();
        assert_eq!(n.find(""), None);
        assert_eq!(n.push("red"), 0);
        assert_eq!(n.intern("blue"), 1);
        assert_eq!(n.intern("red"), 0);
        assert_eq!(n.push(""), 2);
        assert_eq!((n.get(0), n.get(1), n.get(2), n.get(9)), ("red", "blue", "", ""));
        assert_eq!(n.find("blu"), None);
        assert_eq!(n.find(""), Some(2));
        assert_eq!(n.range(0, 2).collect::<Vec<_>>(), vec!["red", "blue"]);
        assert_eq!(n.len(), 3);
    }
}
