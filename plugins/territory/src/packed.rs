//! Tables of fixed-size records, kept and serialised as one byte string.
//!
//! Postcard encodes a `Vec<Team>` field by field (a varint and a buffer
//! write per number) and decodes it element by element, which made encoding
//! and decoding the state most of the cost of an `apply`. A [`Table`] keeps
//! its records in a fixed little-endian layout in one `Vec<u8>`, so on the
//! wire it is one length and one copy, and decoding it is one allocation.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Error, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value with a fixed-size little-endian byte layout.
pub trait Record: Sized + Default {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Writes the value (exactly [`Record::SIZE`] bytes).
    fn write(&self, w: &mut Writer<'_>);
    /// Reads a value (exactly [`Record::SIZE`] bytes).
    fn read(r: &mut Reader<'_>) -> Self;
}

/// Sequential little-endian writer over a record's bytes.
#[derive(Debug)]
pub struct Writer<'a>(&'a mut [u8]);

/// Sequential little-endian reader over a record's bytes.
#[derive(Debug)]
pub struct Reader<'a>(&'a [u8]);

macro_rules! numbers {
    ($($t:ident),*) => {
        impl Writer<'_> {
            $(
                #[doc = concat!("Writes a `", stringify!($t), "`.")]
                pub fn $t(&mut self, v: $t) {
                    const N: usize = size_of::<$t>();
                    let (head, tail) = std::mem::take(&mut self.0).split_at_mut(N);
                    head.copy_from_slice(&v.to_le_bytes());
                    self.0 = tail;
                }
            )*
        }
        impl Reader<'_> {
            $(
                #[doc = concat!("Reads a `", stringify!($t), "`.")]
                pub fn $t(&mut self) -> $t {
                    const N: usize = size_of::<$t>();
                    let (head, tail) = self.0.split_at(N);
                    self.0 = tail;
                    $t::from_le_bytes(head.try_into().unwrap_or([0; N]))
                }
            )*
        }
        $(
            impl Record for $t {
                const SIZE: usize = size_of::<$t>();
                fn write(&self, w: &mut Writer<'_>) {
                    w.$t(*self);
                }
                fn read(r: &mut Reader<'_>) -> Self {
                    r.$t()
                }
            }
        )*
    };
}

numbers!(u8, u16, u32, i64, f32, f64);

/// A vector of records stored as bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Table<T> {
    bytes: Vec<u8>,
    _records: PhantomData<fn() -> T>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            _records: PhantomData,
        }
    }
}

impl<T: Record> Table<T> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.bytes.len() / T::SIZE
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Record `i`; the default record if out of range (corrupt state bytes
    /// must not panic).
    pub fn get(&self, i: usize) -> T {
        match self.bytes.get(i * T::SIZE..(i + 1) * T::SIZE) {
            Some(b) => T::read(&mut Reader(b)),
            None => T::default(),
        }
    }

    /// Overwrites record `i` (ignored if out of range).
    pub fn set(&mut self, i: usize, v: &T) {
        if let Some(b) = self.bytes.get_mut(i * T::SIZE..(i + 1) * T::SIZE) {
            v.write(&mut Writer(b));
        }
    }

    /// Appends a record.
    pub fn push(&mut self, v: &T) {
        let at = self.bytes.len();
        self.bytes.resize(at + T::SIZE, 0);
        v.write(&mut Writer(&mut self.bytes[at..]));
    }

    /// Inserts a record at position `i` (`i <= len`).
    pub fn insert(&mut self, i: usize, v: &T) {
        let at = (i * T::SIZE).min(self.bytes.len());
        let mut b = vec![0; T::SIZE];
        v.write(&mut Writer(&mut b));
        self.bytes.splice(at..at, b);
    }

    /// All records, in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.bytes
            .chunks_exact(T::SIZE)
            .map(|b| T::read(&mut Reader(b)))
    }
}

impl<T: Record + fmt::Debug> fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Record> FromIterator<T> for Table<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut t = Table::default();
        for item in items {
            t.push(&item);
        }
        t
    }
}

impl<T> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de, T: Record> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_byte_buf(TableVisitor(PhantomData))
    }
}

struct TableVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Record> Visitor<'de> for TableVisitor<T> {
    type Value = Table<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a byte string of {}-byte records", T::SIZE)
    }

    fn visit_byte_buf<E: Error>(self, bytes: Vec<u8>) -> Result<Table<T>, E> {
        if !bytes.len().is_multiple_of(T::SIZE) {
            return Err(E::invalid_length(bytes.len(), &self));
        }
        Ok(Table {
            bytes,
            _records: PhantomData,
        })
    }

    fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Table<T>, E> {
        self.visit_byte_buf(bytes.to_vec())
    }

    /// Self-describing formats (JSON) present bytes as a sequence of numbers.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Table<T>, A::Error> {
        let mut bytes = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        self.visit_byte_buf(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_keep_records_and_round_trip() {
        let mut t: Table<u16> = [1, 65_535, 7].into_iter().collect();
        t.insert(1, &9);
        t.set(0, &2);
        t.set(10, &2);
        assert_eq!(t.iter().collect::<Vec<_>>(), [2, 9, 65_535, 7]);
        assert_eq!((t.get(3), t.get(4), t.len()), (7, 0, 4));
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Table<u16>>(&text).unwrap(), t);
        assert!(serde_json::from_str::<Table<u16>>("[1,2,3]").is_err());
        assert!(serde_json::from_str::<Table<i64>>("[]").unwrap().is_empty());
    }
}
