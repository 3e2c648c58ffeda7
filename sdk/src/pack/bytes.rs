//! [`Bytes`]: a byte vector that serialises as one byte string.

use std::fmt;

use serde::de::{Error, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A byte vector that serialises as one byte string (serde `bytes`).
///
/// Serde encodes a plain `Vec<u8>` as a sequence, one element at a time; a
/// `Bytes` is one length and one copy each way. Use it for per-cell flags,
/// bitmaps and other raw byte data of a state.
///
/// ```
/// use veltrix_sdk::pack::Bytes;
///
/// let marks = Bytes(vec![0, 1, 2, 255]);
/// let bytes = postcard::to_allocvec(&marks).unwrap();
/// assert_eq!(bytes, [4, 0, 1, 2, 255]);
/// assert_eq!(postcard::from_bytes::<Bytes>(&bytes).unwrap(), marks);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_byte_buf(BytesVisitor).map(Bytes)
    }
}

/// Accepts serde `bytes` (binary formats) or a sequence of `u8`
/// (self-describing formats such as JSON).
pub(crate) struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // The hint comes from the input: trust it only so far.
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element()? {
            v.push(b);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_postcard_and_json() {
        let b = Bytes((0..=255).collect());
        let bin = postcard::to_allocvec(&b).unwrap();
        assert_eq!(bin.len(), 2 + 256);
        assert_eq!(postcard::from_bytes::<Bytes>(&bin).unwrap(), b);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), b);
    }

    #[test]
    fn short_input_is_an_error() {
        assert!(postcard::from_bytes::<Bytes>(&[]).is_err());
        assert!(postcard::from_bytes::<Bytes>(&[5, 1, 2]).is_err());
        assert!(serde_json::from_str::<Bytes>("[1, 300]").is_err());
    }
}
