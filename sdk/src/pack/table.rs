//! Fixed-width records ([`Record`], [`Reader`], [`Writer`]) and the
//! [`Table`] that keeps them as one byte string.

use std::fmt;
use std::marker::PhantomData;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::bytes::BytesVisitor;

/// A value with a fixed-width little-endian byte layout, storable in a
/// [`Table`].
///
/// `read` and `write` must visit the same fields in the same order, and
/// `write` must write exactly [`Record::SIZE`] bytes (checked by a debug
/// assertion in [`Table::set`] and [`Table::push`]).
///
/// ```
/// use veltrix_sdk::pack::{Reader, Record, Writer};
///
/// struct Team { solo: bool, score: i64 }
///
/// impl Record for Team {
///     const SIZE: usize = 1 + 8;
///     fn read(r: &mut Reader<'_>) -> Self {
///         Team { solo: r.bool(), score: r.i64() }
///     }
///     fn write(&self, w: &mut Writer<'_>) {
///         w.bool(self.solo);
///         w.i64(self.score);
///     }
/// }
/// ```
pub trait Record: Sized {
    /// Encoded size in bytes; must not be zero.
    const SIZE: usize;
    /// Reads a record from its [`Record::SIZE`] bytes.
    fn read(r: &mut Reader<'_>) -> Self;
    /// Writes the record's [`Record::SIZE`] bytes.
    fn write(&self, w: &mut Writer<'_>);
}

/// Reads little-endian fields in order from a record's bytes.
///
/// Reading past the end yields zeros (only corrupt state bytes or a wrong
/// [`Record::SIZE`] can cause it), never a panic.
#[derive(Debug)]
pub struct Reader<'a>(&'a [u8]);

/// Writes little-endian fields in order into a record's bytes.
///
/// Writing past the end (which only a wrong [`Record::SIZE`] causes) trips
/// a debug assertion; release builds drop the extra bytes.
#[derive(Debug)]
pub struct Writer<'a>(&'a mut [u8]);

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader(bytes)
    }

    #[inline]
    fn take<const N: usize>(&mut self) -> [u8; N] {
        match self.0.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.0 = tail;
                *head
            }
            None => {
                self.0 = &[];
                [0; N]
            }
        }
    }

    /// Reads a `bool` (one byte, anything but 0 is `true`).
    #[inline]
    pub fn bool(&mut self) -> bool {
        self.u8() != 0
    }
}

impl<'a> Writer<'a> {
    /// A writer over `bytes`.
    #[inline]
    pub fn new(bytes: &'a mut [u8]) -> Self {
        Writer(bytes)
    }

    #[inline]
    fn put<const N: usize>(&mut self, v: [u8; N]) {
        match std::mem::take(&mut self.0).split_first_chunk_mut::<N>() {
            Some((head, tail)) => {
                *head = v;
                self.0 = tail;
            }
            None => debug_assert!(false, "record write past Record::SIZE"),
        }
    }

    /// Bytes not written yet.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.0.len()
    }

    /// Writes a `bool` as one byte (0 or 1).
    #[inline]
    pub fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
}

macro_rules! numbers {
    ($($t:ident),*) => {
        impl Reader<'_> {
            $(
                #[doc = concat!("Reads a `", stringify!($t), "`.")]
                #[inline]
                pub fn $t(&mut self) -> $t {
                    $t::from_le_bytes(self.take())
                }
            )*
        }
        impl Writer<'_> {
            $(
                #[doc = concat!("Writes a `", stringify!($t), "`.")]
                #[inline]
                pub fn $t(&mut self, v: $t) {
                    self.put(v.to_le_bytes());
                }
            )*
        }
        $(
            impl Record for $t {
                const SIZE: usize = size_of::<$t>();
                #[inline]
                fn read(r: &mut Reader<'_>) -> Self {
                    r.$t()
                }
                #[inline]
                fn write(&self, w: &mut Writer<'_>) {
                    w.$t(*self);
                }
            }
        )*
    };
}

numbers!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

/// The record size, rejected at compile time when zero.
const fn size<R: Record>() -> usize {
    const { assert!(R::SIZE > 0, "Record::SIZE must not be zero") };
    R::SIZE
}

/// A growable array of [`Record`]s kept as raw bytes.
///
/// It serialises as one byte string (serde `bytes`), so postcard encodes it
/// with one length and one copy and decodes it with one allocation however
/// many records it holds; records are read and written in place, one at a
/// time. Indexes out of range never panic: [`Table::get`] returns the
/// all-zero record and the mutators do nothing.
///
/// ```
/// use veltrix_sdk::pack::Table;
///
/// let mut t: Table<u32> = [10, 30].into_iter().collect();
/// t.insert(1, &20);
/// t.update(0, |v| *v += 1);
/// assert_eq!(t.iter().collect::<Vec<_>>(), [11, 20, 30]);
/// assert_eq!(t.get(7), 0);
/// let bytes = postcard::to_allocvec(&t).unwrap();
/// assert_eq!(bytes.len(), 1 + 3 * 4);
/// assert_eq!(postcard::from_bytes::<Table<u32>>(&bytes).unwrap(), t);
/// ```
pub struct Table<R> {
    bytes: Vec<u8>,
    _records: PhantomData<fn() -> R>,
}

impl<R> Table<R> {
    /// An empty table.
    pub const fn new() -> Self {
        Self {
            bytes: Vec::new(),
            _records: PhantomData,
        }
    }
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> Clone for Table<R> {
    fn clone(&self) -> Self {
        Self {
            bytes: self.bytes.clone(),
            _records: PhantomData,
        }
    }
}

impl<R> PartialEq for Table<R> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<R> Eq for Table<R> {}

impl<R: Record + fmt::Debug> fmt::Debug for Table<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<R: Record> Table<R> {
    /// The byte range of record `i`, if it exists.
    fn range(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let at = i.checked_mul(size::<R>())?;
        let end = at.checked_add(R::SIZE)?;
        (end <= self.bytes.len()).then_some(at..end)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.bytes.len() / size::<R>()
    }

    /// Whether the table holds no record.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Record `i`; past the end, the record read from all-zero bytes.
    pub fn get(&self, i: usize) -> R {
        let bytes = self.range(i).map_or(&[][..], |r| &self.bytes[r]);
        R::read(&mut Reader(bytes))
    }

    /// Overwrites record `i` (nothing past the end).
    pub fn set(&mut self, i: usize, r: &R) {
        if let Some(range) = self.range(i) {
            let mut w = Writer(&mut self.bytes[range]);
            r.write(&mut w);
            debug_assert_eq!(w.remaining(), 0, "Record::write is shorter than SIZE");
        }
    }

    /// Changes record `i` through `f` (read, change, write back) and returns
    /// what `f` returns. Past the end `f` sees the all-zero record and its
    /// change is dropped.
    pub fn update<X>(&mut self, i: usize, f: impl FnOnce(&mut R) -> X) -> X {
        let mut r = self.get(i);
        let out = f(&mut r);
        self.set(i, &r);
        out
    }

    /// Appends a record.
    pub fn push(&mut self, r: &R) {
        let at = self.bytes.len();
        self.bytes.resize(at + size::<R>(), 0);
        self.set(at / R::SIZE, r);
    }

    /// Inserts a record at position `i`, shifting the later ones (at the end
    /// if `i` is past it).
    pub fn insert(&mut self, i: usize, r: &R) {
        let i = i.min(self.len());
        let (at, old) = (i * R::SIZE, self.bytes.len());
        self.bytes.resize(old + R::SIZE, 0);
        self.bytes.copy_within(at..old, at + R::SIZE);
        self.set(i, r);
    }

    /// Removes record `i`, shifting the later ones (nothing past the end).
    pub fn remove(&mut self, i: usize) {
        if let Some(range) = self.range(i) {
            self.bytes.drain(range);
        }
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.bytes.clear();
    }

    /// All records, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = R> + DoubleEndedIterator + '_ {
        self.bytes
            .chunks_exact(size::<R>())
            .map(|b| R::read(&mut Reader(b)))
    }
}

impl<R: Record> FromIterator<R> for Table<R> {
    fn from_iter<I: IntoIterator<Item = R>>(items: I) -> Self {
        let mut t = Table::new();
        for r in items {
            t.push(&r);
        }
        t
    }
}

impl<R> Serialize for Table<R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de, R: Record> Deserialize<'de> for Table<R> {
    /// Refuses a byte string that is not a whole number of records.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = d.deserialize_byte_buf(BytesVisitor)?;
        if !bytes.len().is_multiple_of(size::<R>()) {
            return Err(D::Error::invalid_length(
                bytes.len(),
                &"a whole number of records",
            ));
        }
        Ok(Table {
            bytes,
            _records: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Pair {
        flag: bool,
        id: u16,
        score: i64,
        ratio: f64,
    }

    impl Record for Pair {
        const SIZE: usize = 1 + 2 + 8 + 8;
        fn read(r: &mut Reader<'_>) -> Self {
            Pair {
                flag: r.bool(),
                id: r.u16(),
                score: r.i64(),
                ratio: r.f64(),
            }
        }
        fn write(&self, w: &mut Writer<'_>) {
            w.bool(self.flag);
            w.u16(self.id);
            w.i64(self.score);
            w.f64(self.ratio);
        }
    }

    fn pair(id: u16) -> Pair {
        Pair {
            flag: id % 2 == 1,
            id,
            score: -i64::from(id) * 1_000_000_007,
            ratio: f64::from(id) / 3.0,
        }
    }

    const ZERO: Pair = Pair {
        flag: false,
        id: 0,
        score: 0,
        ratio: 0.0,
    };

    #[test]
    fn push_insert_set_update_remove() {
        let mut t = Table::<Pair>::new();
        assert!(t.is_empty());
        t.push(&pair(1));
        t.push(&pair(3));
        t.insert(1, &pair(2));
        t.insert(99, &pair(4));
        t.insert(0, &pair(0));
        assert_eq!(t.len(), 5);
        assert_eq!(t.iter().map(|p| p.id).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        t.set(2, &pair(9));
        assert_eq!(t.get(2), pair(9));
        assert_eq!(
            t.update(3, |p| std::mem::replace(&mut p.score, 7)),
            pair(3).score
        );
        assert_eq!(t.get(3).score, 7);
        t.remove(0);
        t.remove(50);
        assert_eq!(t.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 9, 3, 4]);
        assert_eq!(t.iter().next_back(), Some(pair(4)));
        t.clear();
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn out_of_range_is_harmless() {
        let mut t: Table<Pair> = (1..=2).map(pair).collect();
        let before = t.clone();
        assert_eq!(t.get(2), ZERO);
        assert_eq!(t.get(usize::MAX), ZERO);
        t.set(2, &pair(5));
        t.set(usize::MAX, &pair(5));
        t.remove(usize::MAX);
        assert_eq!(t.update(9, |p| p.id), 0);
        assert_eq!(t, before);
    }

    #[test]
    fn round_trips_through_postcard_as_one_byte_string() {
        let t: Table<Pair> = (0..40).map(pair).collect();
        let bytes = postcard::to_allocvec(&t).unwrap();
        // One varint length (40 * 19 = 760 needs two bytes) and the records.
        assert_eq!(bytes.len(), 2 + 40 * Pair::SIZE);
        let back: Table<Pair> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.get(39), pair(39));
        let empty = postcard::to_allocvec(&Table::<Pair>::new()).unwrap();
        assert_eq!(empty, [0]);
    }

    #[test]
    fn primitives_are_records() {
        let t: Table<i16> = [-1, i16::MAX, 0].into_iter().collect();
        assert_eq!(
            postcard::to_allocvec(&t).unwrap(),
            [6, 255, 255, 255, 127, 0, 0]
        );
        let f: Table<f32> = [1.5, -0.0].into_iter().collect();
        assert_eq!(f.iter().collect::<Vec<_>>(), [1.5, -0.0]);
        let w: Table<u128> = [u128::MAX].into_iter().collect();
        assert_eq!(w.get(0), u128::MAX);
    }

    #[test]
    fn corrupt_or_short_input_is_an_error_not_a_panic() {
        // Not a whole number of records.
        assert!(postcard::from_bytes::<Table<Pair>>(&[3, 1, 2, 3]).is_err());
        // Length longer than the input.
        assert!(postcard::from_bytes::<Table<u32>>(&[8, 1, 2, 3]).is_err());
        assert!(postcard::from_bytes::<Table<u32>>(&[]).is_err());
        // Any bytes of the right length decode, and every read is defined.
        let mut junk = vec![(Pair::SIZE * 2) as u8];
        junk.extend((0..Pair::SIZE * 2).map(|i| (i * 37) as u8));
        let t: Table<Pair> = postcard::from_bytes(&junk).unwrap();
        assert_eq!(t.iter().count(), 2);
    }

    #[test]
    fn short_reads_give_zeros() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), 0x0201);
        assert_eq!(r.u32(), 0);
        assert_eq!(r.u8(), 0);
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        w.u16(0x0201);
        assert_eq!(w.remaining(), 1);
        w.u8(3);
        assert_eq!(buf, [1, 2, 3]);
    }

    #[test]
    fn json_round_trip() {
        let t: Table<u16> = [1, 65_535, 7].into_iter().collect();
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Table<u16>>(&text).unwrap(), t);
        assert!(serde_json::from_str::<Table<u16>>("[1,2,3]").is_err());
        assert_eq!(format!("{t:?}"), "[1, 65535, 7]");
    }
}
