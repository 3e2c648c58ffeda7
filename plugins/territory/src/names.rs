//! Compact string tables: many short strings in one allocation.
//!
//! The host hands the state to every `apply` as bytes, so each `String` kept
//! in the state costs an allocation (and a copy) per action. Ids, answers and
//! hints therefore live in one buffer per table, addressed by a stable `u16`
//! index, which keeps decoding at a handful of allocations whatever the size
//! of the game or the roster.

use serde::{Deserialize, Serialize};

use crate::packed::Table;

/// An append-only list of strings kept in one buffer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Texts {
    blob: String,
    /// End offset in `blob` of each item.
    ends: Table<u32>,
}

impl Texts {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Total bytes of text.
    pub fn bytes(&self) -> usize {
        self.blob.len()
    }

    /// Item `i`; `""` if out of range, so corrupt state bytes cannot panic.
    pub fn get(&self, i: usize) -> &str {
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends.get(i - 1) };
        self.blob
            .get(start as usize..self.ends.get(i) as usize)
            .unwrap_or("")
    }

    /// Appends `s` and returns its index.
    pub fn push(&mut self, s: &str) -> u16 {
        self.blob.push_str(s);
        self.ends.push(&(self.blob.len() as u32));
        (self.ends.len() - 1) as u16
    }

    /// The items of `span`.
    pub fn span(&self, span: Span) -> impl Iterator<Item = &str> {
        let first = usize::from(span.first);
        (first..first + usize::from(span.len)).map(|i| self.get(i))
    }
}

/// A run of consecutive items of a [`Texts`] (the answers or hints of one
/// step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Index of the first item.
    pub first: u16,
    /// Number of items.
    pub len: u8,
}

impl Span {
    /// Pushes `items` into `texts` and returns their span.
    pub fn push_all<'a>(texts: &mut Texts, items: impl IntoIterator<Item = &'a str>) -> Span {
        let first = texts.len() as u16;
        let mut len = 0u8;
        for item in items {
            texts.push(item);
            len += 1;
        }
        Span { first, len }
    }

    /// Item `i` of the span, if any.
    pub fn nth(self, i: u8) -> Option<u16> {
        (i < self.len).then(|| self.first + u16::from(i))
    }
}

/// A set of ids with stable indexes (insertion order) and binary-search
/// lookup by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Names {
    texts: Texts,
    /// Indexes ordered by name.
    sorted: Table<u16>,
}

impl Names {
    /// Number of names.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are no names.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The name with index `i`.
    pub fn get(&self, i: usize) -> &str {
        self.texts.get(i)
    }

    /// The index of `name`, if present.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.position(name)
            .ok()
            .map(|p| usize::from(self.sorted.get(p)))
    }

    /// Adds `name` if absent; returns its index and whether it is new.
    pub fn insert(&mut self, name: &str) -> (usize, bool) {
        match self.position(name) {
            Ok(p) => (usize::from(self.sorted.get(p)), false),
            Err(p) => {
                let i = self.texts.push(name);
                self.sorted.insert(p, &i);
                (usize::from(i), true)
            }
        }
    }

    /// Binary search of `name` in the sorted indexes.
    fn position(&self, name: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.sorted.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.texts.get(usize::from(self.sorted.get(mid))).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_insertion_indexes_and_find_by_name() {
        let mut n = Names::default();
        assert_eq!(n.insert("red"), (0, true));
        assert_eq!(n.insert("blue"), (1, true));
        assert_eq!(n.insert("red"), (0, false));
        assert_eq!(n.insert("amber"), (2, true));
        assert_eq!(n.find("blue"), Some(1));
        assert_eq!(n.find("green"), None);
        assert_eq!(n.get(2), "amber");
        assert_eq!(n.get(9), "");
    }

    #[test]
    fn spans_address_runs_of_texts() {
        let mut t = Texts::default();
        t.push("x");
        let s = Span::push_all(&mut t, ["a", "bb", ""]);
        assert_eq!(s, Span { first: 1, len: 3 });
        assert_eq!(t.span(s).collect::<Vec<_>>(), vec!["a", "bb", ""]);
        assert_eq!(s.nth(1), Some(2));
        assert_eq!(s.nth(3), None);
    }
}
