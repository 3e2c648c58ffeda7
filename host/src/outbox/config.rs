//! `[outbox]`.

use serde::{Deserialize, Serialize};

/// `[outbox]`: writer batching and the relay's lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Most events the writer groups into one transaction. Default 100.
    pub batch_size: usize,
    /// The relay's lease, in ms: another relay may take over this long
    /// after the holder last renewed. Default 500.
    pub lease_ms: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            batch_size: 100,
            lease_ms: 500,
        }
    }
}
