//! Compact building blocks for a state that is decoded on every apply.
//!
//! The host decodes and re-encodes the whole state per action. With postcard,
//! each `String` costs an allocation and each integer in a `Vec` a varint
//! step, so per-id strings and per-mission records add up to tens of
//! microseconds on a small machine. Three shapes avoid that:
//! - [`Names`]: every id of a kind (missions, teams, players, answers) in one
//!   string plus end offsets, so the rest of the state refers to ids by index;
//! - [`Bytes`]: a byte vector that postcard copies as one block (serde's
//!   `bytes`), used for the per-team, per-mission marks;
//! - [`Table`]: fixed-size records ([`Fixed`]) in one [`Bytes`] block, so the
//!   mission table costs one copy per apply and an action decodes only the
//!   records it touches.

use std::marker::PhantomData;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Append-only string table: entry `i` is `text[end(i-1)..end(i)]`, the end
/// offsets stored as little-endian `u32`s in one [`Bytes`] block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    text: String,
    ends: Bytes,
}

impl Names {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ends.0.len() / 4
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.0.is_empty()
    }

    fn end(&self, i: usize) -> usize {
        self.ends
            .0
            .get(4 * i..4 * i + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    /// Entry `i` (empty if out of range, which a well-formed state never asks).
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        if i >= self.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        self.text.get(start..self.end(i)).unwrap_or("")
    }

    /// Index of the first entry equal to `s`.
    pub fn find(&self, s: &str) -> Option<u32> {
        let mut start = 0usize;
        for (i, b) in self.ends.0.chunks_exact(4).enumerate() {
            let end = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
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
        let end = self.text.len() as u32;
        self.ends.0.extend_from_slice(&end.to_le_bytes());
        (self.len() - 1) as u32
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

/// A record with a fixed-size little-endian encoding.
pub trait Fixed: Sized {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Appends exactly [`Fixed::SIZE`] bytes.
    fn write(&self, out: &mut Vec<u8>);
    /// Reads a record from exactly [`Fixed::SIZE`] bytes.
    fn read(r: &mut Reader<'_>) -> Self;
}

/// Reads little-endian fields from a record; past the end it reads zeros (a
/// well-formed state never does, and a plugin must not panic on bytes).
#[derive(Debug)]
pub struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if self.0.len() >= N {
            out.copy_from_slice(&self.0[..N]);
            self.0 = &self.0[N..];
        } else {
            self.0 = &[];
        }
        out
    }
    /// A `u8`.
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    /// A `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    /// An `i64`.
    pub fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.take())
    }
    /// An `f32`.
    pub fn f32(&mut self) -> f32 {
        f32::from_le_bytes(self.take())
    }
    /// An `f64`.
    pub fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take())
    }
}

impl Fixed for u32 {
    const SIZE: usize = 4;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Self {
        r.u32()
    }
}

/// A vector of [`Fixed`] records stored as one byte block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table<T> {
    bytes: Bytes,
    #[serde(skip)]
    _t: PhantomData<fn() -> T>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            bytes: Bytes::default(),
            _t: PhantomData,
        }
    }
}

impl<T: Fixed> Table<T> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.bytes.0.len() / T::SIZE
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Record `i` (`None` past the end).
    pub fn get(&self, i: usize) -> Option<T> {
        let at = i.checked_mul(T::SIZE)?;
        let b = self.bytes.0.get(at..at + T::SIZE)?;
        Some(T::read(&mut Reader(b)))
    }

    /// Appends a record.
    pub fn push(&mut self, v: &T) {
        v.write(&mut self.bytes.0);
    }

    /// Overwrites record `i` (ignored past the end).
    pub fn set(&mut self, i: usize, v: &T) {
        let at = i * T::SIZE;
        if at + T::SIZE <= self.bytes.0.len() {
            let mut buf = Vec::with_capacity(T::SIZE);
            v.write(&mut buf);
            self.bytes.0[at..at + T::SIZE].copy_from_slice(&buf);
        }
    }

    /// Removes record `i` (ignored past the end).
    pub fn remove(&mut self, i: usize) {
        let at = i * T::SIZE;
        if at + T::SIZE <= self.bytes.0.len() {
            self.bytes.0.drain(at..at + T::SIZE);
        }
    }

    /// Every record, in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.bytes
            .0
            .chunks_exact(T::SIZE)
            .map(|b| T::read(&mut Reader(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_fixed_records() {
        let mut t = Table::<u32>::default();
        t.push(&7);
        t.push(&u32::MAX);
        t.push(&9);
        t.set(0, &8);
        t.remove(1);
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![8, 9]);
        assert_eq!((t.get(1), t.get(2), t.len()), (Some(9), None, 2));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Table<u32>>(&json).unwrap(), t);
    }

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
        assert_eq!(
            (n.get(0), n.get(1), n.get(2), n.get(9)),
            ("red", "blue", "", "")
        );
        assert_eq!(n.find("blu"), None);
        assert_eq!(n.find(""), Some(2));
        assert_eq!(n.range(0, 2).collect::<Vec<_>>(), vec!["red", "blue"]);
        assert_eq!(n.len(), 3);
    }
}
