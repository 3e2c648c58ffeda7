//! The versioned event envelope every stream record carries.
//!
//! Wire format: one version byte, then the envelope encoded with postcard
//! (compact binary: the seed's JSON-everywhere bus spent its CPU on text).
//! The payload stays opaque bytes; its schema is named by `kind`.

use serde::{Deserialize, Serialize};

/// The envelope version this host writes; readers refuse other versions with
/// a typed error instead of guessing.
pub const ENVELOPE_VERSION: u8 = 1;

/// One event: who it belongs to (tenant), how it is ordered (key), what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique id of the event (a UUIDv7, or a deterministic id such as a
    /// reward id); consumers and the outbox relay deduplicate on it.
    pub event_id: String,
    /// Tenant that owns the event; never empty.
    pub tenant: String,
    /// Partitioning key (game id, quest id, reward id, player id); never empty.
    pub key: String,
    /// Event type, e.g. `reward.minted`.
    pub kind: String,
    /// Event time, milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// The event body (JSON by convention), opaque to the streams layer.
    pub payload: Vec<u8>,
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Every event belongs to a tenant.
    #[error("event has no tenant")]
    MissingTenant,
    /// Every event is keyed: ordering and compaction depend on it.
    #[error("event has no key")]
    MissingKey,
    /// Every event has an id for deduplication.
    #[error("event has no event id")]
    MissingEventId,
    /// Every event names its type.
    #[error("event has no type")]
    MissingKind,
    /// The payload is larger than `streams.max_payload_bytes`.
    #[error("event payload is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Payload size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The bytes are not an envelope this host can read.
    #[error("undecodable envelope: {0}")]
    Malformed(String),
    /// Written by a newer (or unknown) envelope version.
    #[error("envelope version {0} is not supported (this host reads version {ENVELOPE_VERSION})")]
    UnsupportedVersion(u8),
}

impl Envelope {
    /// A new event with a fresh time-ordered id and the current time.
    pub fn new(
        tenant: impl Into<String>,
        key: impl Into<String>,
        kind: impl Into<String>,
        payload: Vec<u8>,
    ) -> Self {
        Self {
            event_id: uuid::Uuid::now_v7().to_string(),
            tenant: tenant.into(),
            key: key.into(),
            kind: kind.into(),
            ts_ms: now_ms(),
            payload,
        }
    }

    /// Checks the fields every backend relies on; `limit` is the payload cap.
    pub fn validate(&self, limit: usize) -> Result<(), EnvelopeError> {
        if self.tenant.is_empty() {
            return Err(EnvelopeError::MissingTenant);
        }
        if self.key.is_empty() {
            return Err(EnvelopeError::MissingKey);
        }
        if self.event_id.is_empty() {
            return Err(EnvelopeError::MissingEventId);
        }
        if self.kind.is_empty() {
            return Err(EnvelopeError::MissingKind);
        }
        if self.payload.len() > limit {
            return Err(EnvelopeError::TooLarge {
                size: self.payload.len(),
                limit,
            });
        }
        Ok(())
    }

    /// Encodes as version byte + postcard.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + 96);
        self.encode_into(&mut out);
        out
    }

    /// [`Envelope::encode`], appended to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(ENVELOPE_VERSION);
        // Encoding strings and bytes into a Vec cannot fail.
        let taken = std::mem::take(out);
        *out = postcard::to_extend(self, taken).expect("encoding into a Vec");
    }

    /// Decodes bytes written by [`Envelope::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        match bytes.split_first() {
            None => Err(EnvelopeError::Malformed("empty record".into())),
            Some((&ENVELOPE_VERSION, rest)) => {
                postcard::from_bytes(rest).map_err(|e| EnvelopeError::Malformed(e.to_string()))
            }
            Some((&v, _)) => Err(EnvelopeError::UnsupportedVersion(v)),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let e = Envelope::new("acme", "g1", "action", b"{}".to_vec());
        assert_eq!(Envelope::decode(&e.encode()).unwrap(), e);
        assert_eq!(e.validate(16), Ok(()));
        assert_eq!(
            e.validate(1),
            Err(EnvelopeError::TooLarge { size: 2, limit: 1 })
        );
        let mut bad = e.clone();
        bad.key.clear();
        assert_eq!(bad.validate(16), Err(EnvelopeError::MissingKey));
        bad = e.clone();
        bad.tenant.clear();
        assert_eq!(bad.validate(16), Err(EnvelopeError::MissingTenant));
        let mut bytes = e.encode();
        bytes[0] = 9;
        assert_eq!(
            Envelope::decode(&bytes),
            Err(EnvelopeError::UnsupportedVersion(9))
        );
        assert!(matches!(
            Envelope::decode(&[ENVELOPE_VERSION, 0xff]),
            Err(EnvelopeError::Malformed(_))
        ));
    }
}
