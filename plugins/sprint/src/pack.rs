//! Fixed-width record tables that serialise as one byte string.
//!
//! Why: the host decodes and re-encodes the whole state on every `apply`.
//! With postcard, a `Vec` of structs costs a serde call (and a tiny write)
//! per field; the board and the roster hold about a thousand fields, which
//! made decode + encode take several microseconds. A [`Table`] is one
//! length-prefixed byte string instead: decoding is one copy, and records are
//! read and written in place with little-endian fixed-width fields.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A record with a fixed-width little-endian layout.
pub trait Record: Sized {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Reads a record from exactly [`Record::SIZE`] bytes.
    fn read(r: &mut Reader<'_>) -> Self;
    /// Writes the record into exactly [`Record::SIZE`] bytes.
    fn write(&self, w: &mut Writer<'_>);
}

/// Reads little-endian fields in order. Reading past the end yields zeros
/// (only possible with corrupt state bytes), never a panic.
#[derive(Debug)]
pub struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(s) = self.b.get(self.at..self.at + N) {
            out.copy_from_slice(s);
        }
        self.at += N;
        out
    }
    /// Reads a `u8`.
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    /// Reads a `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    /// Reads a `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    /// Reads an `i32`.
    pub fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.take())
    }
    /// Reads an `i64`.
    pub fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.take())
    }
    /// Reads a `u128`.
    pub fn u128(&mut self) -> u128 {
        u128::from_le_bytes(self.take())
    }
}

/// Writes little-endian fields in order (silently dropping overflow, which
/// a correct [`Record::SIZE`] never causes).
#[derive(Debug)]
pub struct Writer<'a> {
    b: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, v: &[u8]) {
        if let Some(s) = self.b.get_mut(self.at..self.at + v.len()) {
            s.copy_from_slice(v);
        }
        self.at += v.len();
    }
    /// Writes a `u8`.
    pub fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    /// Writes a `u16`.
    pub fn u16(&mut self, v: u16) {
        self.put(&v.to_le_bytes());
    }
    /// Writes a `u32`.
    pub fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }
    /// Writes an `i32`.
    pub fn i32(&mut self, v: i32) {
        self.put(&v.to_le_bytes());
    }
    /// Writes an `i64`.
    pub fn i64(&mut self, v: i64) {
        self.put(&v.to_le_bytes());
    }
    /// Writes a `u128`.
    pub fn u128(&mut self, v: u128) {
        self.put(&v.to_le_bytes());
    }
}

/// Raw bytes that serialise as one byte string (serde's `Vec<u8>` goes
/// byte by byte).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(BytesVisitor).map(Bytes)
    }
}

/// A growable array of [`Record`]s stored as raw bytes.
pub struct Table<R> {
    bytes: Vec<u8>,
    _r: PhantomData<fn() -> R>,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            _r: PhantomData,
        }
    }
}

impl<R> Clone for Table<R> {
    fn clone(&self) -> Self {
        Self {
            bytes: self.bytes.clone(),
            _r: PhantomData,
        }
    }
}

impl<R> PartialEq for Table<R> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<R> fmt::Debug for Table<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({} bytes)", self.bytes.len())
    }
}

impl<R: Record> Table<R> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.bytes.len() / R::SIZE
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Record `i` (all-zero fields if out of range).
    pub fn get(&self, i: usize) -> R {
        let b = self
            .bytes
            .get(i * R::SIZE..(i + 1) * R::SIZE)
            .unwrap_or(&[]);
        R::read(&mut Reader { b, at: 0 })
    }

    /// Reads part of record `i` (its leading fields) with `f`: cheaper than
    /// [`Table::get`] when only a key is needed.
    pub fn peek<X>(&self, i: usize, f: impl FnOnce(&mut Reader<'_>) -> X) -> X {
        let b = self
            .bytes
            .get(i * R::SIZE..(i + 1) * R::SIZE)
            .unwrap_or(&[]);
        f(&mut Reader { b, at: 0 })
    }

    /// Overwrites record `i` (ignored if out of range).
    pub fn set(&mut self, i: usize, r: &R) {
        if let Some(b) = self.bytes.get_mut(i * R::SIZE..(i + 1) * R::SIZE) {
            let mut w = Writer { b, at: 0 };
            r.write(&mut w);
            debug_assert_eq!(w.at, R::SIZE, "Record::SIZE does not match write");
        }
    }

    /// Inserts a record at position `i` (at most `len()`).
    pub fn insert(&mut self, i: usize, r: &R) {
        let at = i.min(self.len()) * R::SIZE;
        self.bytes.splice(at..at, std::iter::repeat_n(0, R::SIZE));
        self.set(at / R::SIZE, r);
    }

    /// Appends a record.
    pub fn push(&mut self, r: &R) {
        self.insert(self.len(), r);
    }

    /// All records, in order.
    pub fn iter(&self) -> impl Iterator<Item = R> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<R> Serialize for Table<R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de, R: Record> Deserialize<'de> for Table<R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = d.deserialize_bytes(BytesVisitor)?;
        if bytes.len() % R::SIZE != 0 {
            return Err(de::Error::invalid_length(bytes.len(), &"whole records"));
        }
        Ok(Self {
            bytes,
            _r: PhantomData,
        })
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    // Self-describing formats may hand bytes over as a sequence.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut v = Vec::new();
        while let Some(b) = seq.next_element()? {
            v.push(b);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Pair(u32, i64);

    impl Record for Pair {
        const SIZE: usize = 12;
        fn read(r: &mut Reader<'_>) -> Self {
            Pair(r.u32(), r.i64())
        }
        fn write(&self, w: &mut Writer<'_>) {
            w.u32(self.0);
            w.i64(self.1);
        }
    }

    #[test]
    fn records_round_trip_in_place() {
        let mut t = Table::<Pair>::default();
        t.push(&Pair(1, -1));
        t.push(&Pair(3, 30));
        t.insert(1, &Pair(2, i64::MIN));
        t.set(2, &Pair(3, 33));
        assert_eq!(t.len(), 3);
        let all: Vec<_> = t.iter().collect();
        assert_eq!(all, vec![Pair(1, -1), Pair(2, i64::MIN), Pair(3, 33)]);
        assert_eq!(t.get(9), Pair(0, 0));
        let json = serde_json::to_string(&t).unwrap();
        let back: Table<Pair> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert!(serde_json::from_str::<Table<Pair>>("[1,2,3]").is_err());
    }
}
