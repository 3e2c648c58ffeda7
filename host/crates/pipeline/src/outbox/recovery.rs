//! The recovery scan: run by a relay at the start of every epoch and after
//! any failed publish, before it publishes anything.
//!
//! A previous holder may have published rows and died (or lost its lease)
//! before marking them. Each (topic, partition) has a watermark below which
//! every record is accounted for, and a relay records a partition's first
//! watermark (the stream's end) before it ever publishes there. So any
//! unmarked publish lies between a watermark and the stream's end: the scan
//! reads exactly that range for the partitions pending rows map to, marks
//! the pending rows whose event ids it finds, and moves the watermarks to
//! the end it read. Those rows are never sent again.

use std::collections::{BTreeSet, HashSet};

use super::relay::{Held, Relay, RoundError};
use veltrix_store::outbox::{Published, Watermark};

impl Relay {
    /// Reconciles the stream with the outbox; returns rows marked.
    #[tracing::instrument(skip_all, fields(epoch = h.lease.epoch))]
    pub(crate) async fn recover(&self, h: &mut Held) -> Result<u64, RoundError> {
        let rows = self
            .store
            .fetch_pending(self.cfg.recovery_scan_rows)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut targets = BTreeSet::new();
        for r in &rows {
            targets.insert(self.target(r).await?);
        }
        let targets: Vec<(String, u32)> = targets.into_iter().collect();
        // Partitions nobody has published to yet start at the stream's end.
        self.ensure_watermarks(h, &targets).await?;
        let marks = self.store.watermarks().await?;
        let pending: HashSet<&str> = rows.iter().map(|r| r.envelope.event_id.as_str()).collect();

        let mut found: Vec<String> = Vec::new();
        let mut advanced: Vec<Watermark> = Vec::new();
        let mut scanned = 0usize;
        for (topic, part) in &targets {
            let from = marks.get(&(topic.clone(), *part)).copied().unwrap_or(0);
            let end = self.streams.end_offset(topic, *part).await?;
            if end < from {
                // The stream lost records we counted (an embedded log after
                // a restart, a recreated topic): nothing of ours is past
                // `end`, so start over from there.
                tracing::warn!(
                    topic,
                    partition = part,
                    watermark = from,
                    end,
                    "stream ends before its watermark; resetting it"
                );
                self.store
                    .reset_watermarks(&h.lease, self.cfg.lease_ms, &[(topic.clone(), *part, end)])
                    .await?;
                continue;
            }
            let mut at = from;
            while at < end {
                let batch = self
                    .streams
                    .read(topic, *part, at, self.cfg.recovery_read_max.max(1))
                    .await?;
                let Some(last) = batch.last() else { break };
                at = last.offset + 1;
                scanned += batch.len();
                found.extend(
                    batch
                        .iter()
                        .filter(|r| pending.contains(r.envelope.event_id.as_str()))
                        .map(|r| r.envelope.event_id.clone()),
                );
                self.renew_if_due(h).await?;
            }
            if end > from {
                advanced.push((topic.clone(), *part, end));
            }
        }
        let n = self
            .store
            .mark_published(
                &h.lease,
                self.cfg.lease_ms,
                Published::EventIds(&found),
                &advanced,
            )
            .await?;
        tracing::info!(
            partitions = targets.len(),
            scanned,
            marked = n,
            "outbox recovery scan done"
        );
        Ok(n)
    }
}
