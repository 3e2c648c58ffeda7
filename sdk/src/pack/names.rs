//! [`Names`]: an interned string table in one byte string, and the [`Span`]
//! of a run of its entries.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::bytes::BytesVisitor;
use super::table::{Reader, Record, Writer};

/// An append-only table of strings with stable indexes, and lookup by value
/// of its keys, all kept in one byte string.
///
/// Entry `i` is the `i`-th string added; indexes never change, so the rest
/// of a state can refer to a string by its index (a `u16` or `u32` field of
/// a [`Record`]) instead of holding a `String`. Two kinds of entries share
/// the table:
/// - keys, added with [`Names::intern`]: one entry per distinct value, found
///   again by [`Names::find`] (a binary search over a sorted index);
/// - texts, added with [`Names::push`] / [`Names::push_all`]: may repeat, are
///   not indexed (so cost less) and are addressed by index or [`Span`], such
///   as the accepted answers of each task.
///
/// The whole table serialises as one byte string: decoding it is one
/// allocation and one copy, with no UTF-8 check of the text (each
/// [`Names::get`] checks just its entry).
///
/// ```
/// use veltrix_sdk::pack::Names;
///
/// let mut teams = Names::default();
/// assert_eq!(teams.intern("red"), (0, true));
/// assert_eq!(teams.intern("blue"), (1, true));
/// assert_eq!(teams.intern("red"), (0, false));
/// assert_eq!(teams.find("blue"), Some(1));
/// assert_eq!(teams.get(0), "red");
///
/// let mut text = Names::default();
/// let answers = text.push_all(["paris", "lutetia"]);
/// assert!(text.span(answers).any(|a| a == "lutetia"));
/// assert_eq!(text.find("paris"), None); // a text, not a key
/// ```
///
/// Layout (little-endian): entry count `n` and key count `k` (`u32`s); `n`
/// end offsets into the text (`u32`s); the `k` keys' entry indexes sorted by
/// text (`u16`s while `n` is at most 65 536, else `u32`s); the text. Empty
/// when there is no entry. The text must stay under 4 GiB.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Names {
    bytes: Vec<u8>,
}

/// A run of consecutive entries of a [`Names`]: `first..first + len`.
///
/// It is a [`Record`] (8 bytes), so records can embed it with
/// `Span::read(r)` and `span.write(w)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// Index of the first entry.
    pub first: u32,
    /// Number of entries.
    pub len: u32,
}

impl Span {
    /// Whether the run is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// Index of entry `i` of the run, if `i < len`.
    #[inline]
    pub fn nth(self, i: usize) -> Option<usize> {
        (i < self.len as usize).then(|| self.first as usize + i)
    }
}

impl Record for Span {
    const SIZE: usize = 8;
    #[inline]
    fn read(r: &mut Reader<'_>) -> Self {
        Span {
            first: r.u32(),
            len: r.u32(),
        }
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.first);
        w.u32(self.len);
    }
}

/// The `i`-th little-endian `u32` of `words` (0 if out of range).
#[inline]
fn word(words: &[u8], i: usize) -> usize {
    match words.get(4 * i..).and_then(<[u8]>::first_chunk::<4>) {
        Some(b) => u32::from_le_bytes(*b) as usize,
        None => 0,
    }
}

/// Width in bytes of a key index in a table of `n` entries.
#[inline]
fn key_width(n: usize) -> usize {
    if n > 1 << 16 { 4 } else { 2 }
}

/// The `i`-th key index of `order`, `width` bytes wide (0 if out of range).
#[inline]
fn key(order: &[u8], i: usize, width: usize) -> usize {
    if width == 2 {
        match order.get(2 * i..).and_then(<[u8]>::first_chunk::<2>) {
            Some(b) => usize::from(u16::from_le_bytes(*b)),
            None => 0,
        }
    } else {
        word(order, i)
    }
}

/// A table's regions: entry count, end offsets, sorted keys, text.
#[derive(Clone, Copy)]
struct Parts<'a> {
    n: usize,
    keys: usize,
    ends: &'a [u8],
    order: &'a [u8],
    text: &'a [u8],
}

impl<'a> Parts<'a> {
    /// The bytes of entry `i` (empty if out of range or corrupt).
    #[inline]
    fn entry(self, i: usize) -> &'a [u8] {
        if i >= self.n {
            return &[];
        }
        let start = if i == 0 { 0 } else { word(self.ends, i - 1) };
        self.text.get(start..word(self.ends, i)).unwrap_or(&[])
    }

    /// Position in the sorted keys of the first key not below `s`.
    #[inline]
    fn bound(self, s: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.keys);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry(key(self.order, mid, key_width(self.n))) < s {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The key at position `pos` of the sorted keys, if it equals `s`.
    #[inline]
    fn hit(self, pos: usize, s: &str) -> Option<usize> {
        let i = key(self.order, pos, key_width(self.n));
        (pos < self.keys && self.entry(i) == s.as_bytes()).then_some(i)
    }
}

impl Names {
    /// The table's regions (all empty for an empty table).
    #[inline]
    fn parts(&self) -> Parts<'_> {
        let (n, keys) = (self.len(), word(&self.bytes, 1));
        let order = key_width(n) * keys;
        let region = |from: usize, len: usize| self.bytes.get(from..from + len).unwrap_or(&[]);
        Parts {
            n,
            keys,
            ends: region(8, 4 * n),
            order: region(8 + 4 * n, order),
            text: self.bytes.get(8 + 4 * n + order..).unwrap_or(&[]),
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        word(&self.bytes, 0)
    }

    /// Whether the table is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bytes of text.
    pub fn text_len(&self) -> usize {
        self.parts().text.len()
    }

    /// Entry `i`; `""` if out of range (a well-formed state never asks).
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        std::str::from_utf8(self.parts().entry(i)).unwrap_or("")
    }

    /// Index of the key `s` (binary search); texts added with
    /// [`Names::push`] are not keys.
    pub fn find(&self, s: &str) -> Option<usize> {
        let parts = self.parts();
        parts.hit(parts.bound(s.as_bytes()), s)
    }

    /// Appends the text `s` (even if already present) and returns its index.
    pub fn push(&mut self, s: &str) -> usize {
        self.insert(None, s)
    }

    /// Index of the key `s`, appended first if absent; the flag says whether
    /// it was appended.
    pub fn intern(&mut self, s: &str) -> (usize, bool) {
        let parts = self.parts();
        let pos = parts.bound(s.as_bytes());
        match parts.hit(pos, s) {
            Some(i) => (i, false),
            None => (self.insert(Some(pos), s), true),
        }
    }

    /// Appends `s` as the new last entry; a key goes at position `slot` of
    /// the sorted keys.
    fn insert(&mut self, slot: Option<usize>, s: &str) -> usize {
        if self.bytes.is_empty() {
            self.bytes.extend_from_slice(&[0; 8]);
        }
        let (n, keys) = (self.len(), word(&self.bytes, 1));
        let end = (self.text_len() + s.len()) as u32;
        let ends_end = 8 + 4 * n;
        let width = key_width(n + 1);
        if width != key_width(n) {
            // The table outgrows `u16` key indexes: widen them all.
            let wide: Vec<u8> = (0..keys)
                .flat_map(|i| (key(&self.bytes[ends_end..], i, 2) as u32).to_le_bytes())
                .collect();
            self.bytes.splice(ends_end..ends_end + 2 * keys, wide);
        }
        let old = self.bytes.len();
        // [n, k | ends | keys | text] -> [n + 1, k (+ 1) | ends, end |
        // keys (with n at `slot`) | text, s]
        match slot {
            Some(pos) => {
                let slot = ends_end + width * pos.min(keys);
                self.bytes.resize(old + 4 + width, 0);
                self.bytes.copy_within(slot..old, slot + 4 + width);
                self.bytes.copy_within(ends_end..slot, ends_end + 4);
                let at = slot + 4;
                if width == 2 {
                    self.bytes[at..at + 2].copy_from_slice(&(n as u16).to_le_bytes());
                } else {
                    self.bytes[at..at + 4].copy_from_slice(&(n as u32).to_le_bytes());
                }
                self.bytes[4..8].copy_from_slice(&(keys as u32 + 1).to_le_bytes());
            }
            None => {
                self.bytes.resize(old + 4, 0);
                self.bytes.copy_within(ends_end..old, ends_end + 4);
            }
        }
        self.bytes[ends_end..ends_end + 4].copy_from_slice(&end.to_le_bytes());
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes[..4].copy_from_slice(&(n as u32 + 1).to_le_bytes());
        n
    }

    /// Appends `items` as consecutive entries and returns their run.
    pub fn push_all<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> Span {
        let first = self.len() as u32;
        let mut len = 0;
        for s in items {
            self.push(s);
            len += 1;
        }
        Span { first, len }
    }

    /// The entries of `span` (those that exist).
    pub fn span(&self, span: Span) -> impl Iterator<Item = &str> {
        let first = span.first as usize;
        let end = first.saturating_add(span.len as usize).min(self.len());
        (first..end).map(|i| self.get(i))
    }

    /// Every entry, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> FromIterator<&'a str> for Names {
    /// Pushes every item (duplicates included).
    fn from_iter<I: IntoIterator<Item = &'a str>>(items: I) -> Self {
        let mut names = Names::default();
        names.push_all(items);
        names
    }
}

impl Serialize for Names {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de> Deserialize<'de> for Names {
    /// Refuses a byte string too short for the counts it announces.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Names {
            bytes: d.deserialize_byte_buf(BytesVisitor)?,
        };
        let (n, keys) = (names.len(), word(&names.bytes, 1));
        let need = keys
            .checked_mul(key_width(n))
            .zip(n.checked_mul(4))
            .and_then(|(a, b)| a.checked_add(b))
            .and_then(|x| x.checked_add(8));
        let bad = keys > n || need.is_none_or(|need| names.bytes.len() < need);
        if !names.bytes.is_empty() && bad {
            return Err(D::Error::invalid_length(
                names.bytes.len(),
                &"a string table as long as its entry count says",
            ));
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_intern_find_get() {
        let mut n = Names::default();
        assert_eq!((n.len(), n.find(""), n.get(0)), (0, None, ""));
        assert_eq!(n.intern("red"), (0, true));
        assert_eq!(n.intern("blue"), (1, true));
        assert_eq!(n.intern("red"), (0, false));
        assert_eq!(n.intern(""), (2, true));
        assert_eq!(n.intern("amber"), (3, true));
        assert_eq!(n.intern("green"), (4, true));
        assert_eq!(
            n.iter().collect::<Vec<_>>(),
            ["red", "blue", "", "amber", "green"]
        );
        for (i, s) in ["red", "blue", "", "amber", "green"].iter().enumerate() {
            assert_eq!(n.find(s), Some(i), "{s}");
        }
        assert_eq!(n.find("blu"), None);
        assert_eq!(n.find("zzz"), None);
        assert_eq!(n.get(5), "");
        assert_eq!(n.get(usize::MAX), "");
        assert_eq!((n.len(), n.text_len()), (5, 17));
    }

    #[test]
    fn texts_repeat_and_are_not_keys() {
        let mut n = Names::default();
        assert_eq!(n.push("b"), 0);
        assert_eq!(n.intern("a"), (1, true));
        assert_eq!(n.push("a"), 2);
        assert_eq!(n.intern("b"), (3, true));
        assert_eq!(n.push("b"), 4);
        assert_eq!((n.find("a"), n.find("b")), (Some(1), Some(3)));
        assert_eq!(n.intern("a"), (1, false));
        assert_eq!(n.iter().collect::<Vec<_>>(), ["b", "a", "a", "b", "b"]);
        let text: Names = ["x", "y"].into_iter().collect();
        assert_eq!(text.find("x"), None);
    }

    #[test]
    fn many_names_stay_sorted() {
        let mut n = Names::default();
        // A scrambled order, with multi-byte text.
        let ids: Vec<String> = (0..500u32)
            .map(|i| format!("ü{}", i.wrapping_mul(7919) % 1000))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(n.intern(id), (2 * i, true));
            assert_eq!(n.push(id), 2 * i + 1);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(n.find(id), Some(2 * i));
            assert_eq!(n.get(2 * i + 1), id);
        }
        assert_eq!(n.find("ü1000"), None);
    }

    #[test]
    fn key_indexes_widen_past_65536_entries() {
        let mut n = Names::default();
        n.intern("k");
        for i in 0..(1 << 16) {
            n.push(if i % 2 == 0 { "" } else { "t" });
        }
        assert_eq!(n.intern("z"), (65_537, true));
        assert_eq!(n.intern("a"), (65_538, true));
        assert_eq!(n.intern("k"), (0, false));
        assert_eq!(
            (n.find("z"), n.find("a"), n.find("t")),
            (Some(65_537), Some(65_538), None)
        );
        let bytes = postcard::to_allocvec(&n).unwrap();
        assert_eq!(postcard::from_bytes::<Names>(&bytes).unwrap(), n);
        assert_eq!(n.get(65_538), "a");
    }

    #[test]
    fn spans_address_runs() {
        let mut n = Names::default();
        n.push("x");
        let s = n.push_all(["a", "bb", ""]);
        assert_eq!(s, Span { first: 1, len: 3 });
        assert_eq!(n.span(s).collect::<Vec<_>>(), ["a", "bb", ""]);
        assert_eq!((s.nth(1), s.nth(3)), (Some(2), None));
        assert!(n.push_all([]).is_empty());
        // A span past the end yields what exists, however long it claims to be.
        let wild = Span {
            first: 2,
            len: u32::MAX,
        };
        assert_eq!(n.span(wild).collect::<Vec<_>>(), ["bb", ""]);
    }

    #[test]
    fn round_trips_through_postcard_as_one_byte_string() {
        let mut n: Names = ["red", "blue", "red"].into_iter().collect();
        n.intern("ünïcode");
        let bytes = postcard::to_allocvec(&n).unwrap();
        assert_eq!(bytes.len(), 1 + 8 + 4 * 4 + 2 + n.text_len());
        let back: Names = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, n);
        assert_eq!(back.find("ünïcode"), Some(3));
        assert_eq!(postcard::to_allocvec(&Names::default()).unwrap(), [0]);
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<Names>(&json).unwrap(), n);
        assert_eq!(format!("{n:?}"), r#"["red", "blue", "red", "ünïcode"]"#);
    }

    #[test]
    fn span_is_a_record() {
        let s = Span { first: 7, len: 3 };
        let mut buf = [0u8; Span::SIZE];
        s.write(&mut Writer::new(&mut buf));
        assert_eq!(Span::read(&mut Reader::new(&buf)), s);
    }

    #[test]
    fn corrupt_or_short_input_never_panics() {
        // Counts say 2 entries, bytes too short for the offsets.
        assert!(postcard::from_bytes::<Names>(&[9, 2, 0, 0, 0, 0, 0, 0, 0, 9]).is_err());
        // More keys than entries.
        assert!(postcard::from_bytes::<Names>(&[8, 0, 0, 0, 0, 1, 0, 0, 0]).is_err());
        assert!(postcard::from_bytes::<Names>(&[3, 255, 255, 255]).is_err());
        assert!(postcard::from_bytes::<Names>(&[2, 1]).is_err());
        // Every byte string that decodes can be used without panicking.
        let mut good: Names = ["ab", "c"].into_iter().collect();
        good.intern("ab");
        good.intern("ü");
        let bin = postcard::to_allocvec(&good).unwrap();
        for i in 1..bin.len() {
            for v in [0u8, 1, 0x7f, 0xc3, 0xff] {
                let mut bad = bin.clone();
                bad[i] = v;
                if let Ok(mut n) = postcard::from_bytes::<Names>(&bad) {
                    let _ = (n.find("ab"), n.find("zz"), n.get(1), n.text_len());
                    let _ = n.iter().count();
                    n.intern("d");
                    n.push("ab");
                    let _ = n.find("d");
                }
            }
        }
    }
}
