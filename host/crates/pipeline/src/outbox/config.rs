//! `[outbox]`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[outbox]`: writer batching, the relay's lease, pacing and recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Most events the writer groups into one transaction, and most rewards
    /// one `Store::mint_batch` takes (the processor's batch commit is
    /// bounded by `processor.poll_batch` instead). Default 100.
    pub batch_size: usize,
    /// Events the writer queues before `submit` waits. Default 10,000.
    pub writer_queue: usize,
    /// Largest event payload the writer accepts, in bytes; keep it at or
    /// under `streams.max_payload_bytes`, or the relay cannot publish the
    /// row. Default 64 KiB.
    pub max_payload_bytes: usize,
    /// Name of the lease row relays compete for. Default `outbox`.
    pub relay_name: String,
    /// The relay's lease, in ms: another relay may take over this long
    /// after the holder last renewed. Default 500.
    pub lease_ms: u64,
    /// How often the holder renews, in ms (about a third of `lease_ms`, so
    /// two renewals can fail before it expires). Default 150.
    pub renew_interval_ms: u64,
    /// Most pending rows the relay publishes per round. Default 500.
    pub relay_batch_size: usize,
    /// Pause when there is nothing to publish or the lease is taken, in ms.
    /// Default 50.
    pub poll_interval_ms: u64,
    /// Longest wait for one batch's acknowledgements, in ms. Keep it above
    /// the producer's own delivery timeout (`kafka.message_timeout_ms`,
    /// 30 s by default) so that a batch given up on cannot still land
    /// later. Default 35,000.
    pub publish_timeout_ms: u64,
    /// First pause after a failed round (stream or database down), in ms;
    /// doubled per failure. Default 100.
    pub retry_initial_backoff_ms: u64,
    /// Longest pause after failed rounds, in ms. Default 5,000.
    pub retry_max_backoff_ms: u64,
    /// Pending rows (oldest first) whose partitions the recovery scan
    /// covers. Default 10,000.
    pub recovery_scan_rows: usize,
    /// Records per stream read during the recovery scan. Default 1,000.
    pub recovery_read_max: usize,
    /// `veltrix serve` runs a relay beside the API. Relays take turns
    /// through the lease, so several hosts may all run one; set `false`
    /// when relays run as separate `veltrix outbox relay` processes.
    /// Default `true`.
    pub relay_in_serve: bool,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            batch_size: 100,
            writer_queue: 10_000,
            max_payload_bytes: 64 * 1024,
            relay_name: "outbox".into(),
            lease_ms: 500,
            renew_interval_ms: 150,
            relay_batch_size: 500,
            poll_interval_ms: 50,
            publish_timeout_ms: 35_000,
            retry_initial_backoff_ms: 100,
            retry_max_backoff_ms: 5_000,
            recovery_scan_rows: 10_000,
            recovery_read_max: 1_000,
            relay_in_serve: true,
        }
    }
}

impl OutboxConfig {
    pub(crate) fn ms(v: u64) -> Duration {
        Duration::from_millis(v.max(1))
    }
}
