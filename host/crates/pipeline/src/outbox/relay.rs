//! The relay: the one active publisher of outbox rows.
//!
//! Relays compete for a lease row (`outbox.lease_ms`, 500 ms by default);
//! a relay takes over only once the lease has expired, and every
//! acquisition bumps the lease `epoch`. The holder renews every
//! `renew_interval_ms`, also while waiting for acknowledgements, and every
//! write it makes (renewal, marking rows published, watermarks) is fenced by
//! its epoch: once another relay has taken over, a stale holder changes
//! nothing.
//!
//! A round: fetch pending rows in id order, make sure each target
//! (topic, partition) has a watermark, send them all (the backend stores
//! events of one key in call order), await the acks, then mark the acked
//! rows published and advance each partition's watermark to its highest
//! acked offset + 1, in one fenced transaction. At the start of every epoch
//! and after any publish failure, [`super::recovery`] first reconciles the
//! stream with the outbox, so rows a dead relay published but never marked
//! are marked, not sent again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use tokio::sync::watch;

use super::OutboxConfig;
use crate::telemetry::Telemetry;
use veltrix_store::outbox::{Lease, Published, Watermark};
use veltrix_store::{OutboxStats, PendingRow, Store, StoreError};
use veltrix_streams::partition::partition_for;
use veltrix_streams::{Family, StreamError, Streams};

/// What a relay has done, plus the outbox backlog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Rows not yet published and the oldest one's age.
    pub backlog: OutboxStats,
    /// Rows this relay published and marked.
    pub published: u64,
    /// Rows its recovery scans found already on the stream and marked.
    pub recovered: u64,
    /// Leases acquired.
    pub acquisitions: u64,
    /// Rounds that failed (stream or database errors, lost leases).
    pub errors: u64,
    /// The epoch it holds now, if any.
    pub epoch: Option<i64>,
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RoundError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Stream(#[from] StreamError),
    #[error("acknowledgements took longer than {0:?}")]
    PublishTimeout(Duration),
}

/// The lease this relay holds and when it last renewed it.
pub(crate) struct Held {
    pub lease: Lease,
    pub renewed: Instant,
}

/// The outbox relay.
pub struct Relay {
    pub(crate) store: Store,
    pub(crate) streams: Arc<dyn Streams>,
    pub(crate) cfg: OutboxConfig,
    holder: String,
    counters: Mutex<RelayStats>,
    partitions: Mutex<HashMap<String, u32>>,
    /// Where outbox -> published latency goes, if anywhere.
    telemetry: Option<Arc<Telemetry>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay named `holder_id` (unique per process: it is what the lease
    /// row records).
    pub fn new(
        store: Store,
        streams: Arc<dyn Streams>,
        cfg: OutboxConfig,
        holder_id: impl Into<String>,
    ) -> Self {
        Self {
            store,
            streams,
            cfg,
            holder: holder_id.into(),
            counters: Mutex::default(),
            partitions: Mutex::default(),
            telemetry: None,
        }
    }

    /// Records each published row's outbox -> published latency in
    /// `telemetry` (`veltrix_stream_latency_seconds{stage="published"}`).
    pub fn with_telemetry(mut self, telemetry: Arc<Telemetry>) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    /// Counters and the current backlog.
    pub async fn stats(&self) -> Result<RelayStats, StoreError> {
        let backlog = self.store.outbox_stats().await?;
        let mut s = self.counters.lock().expect("stats lock").clone();
        s.backlog = backlog;
        Ok(s)
    }

    fn count(&self, f: impl FnOnce(&mut RelayStats)) {
        f(&mut self.counters.lock().expect("stats lock"));
    }

    /// Publishes until `shutdown` turns true (or its sender is dropped).
    /// Errors are logged and retried with backoff: with the stream down the
    /// outbox absorbs the backlog and drains it once the stream is back.
    #[tracing::instrument(skip_all, fields(holder = %self.holder))]
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut held: Option<Held> = None;
        let mut recover = true;
        let initial = OutboxConfig::ms(self.cfg.retry_initial_backoff_ms);
        let mut backoff = initial;
        // After a failure, back off fully even if rows arrive meanwhile.
        let mut idle_is_backoff;
        while !*shutdown.borrow() {
            let pause = match self.round(&mut held, &mut recover).await {
                Ok(true) => {
                    backoff = initial;
                    continue;
                }
                Ok(false) => {
                    idle_is_backoff = false;
                    OutboxConfig::ms(self.cfg.poll_interval_ms)
                }
                Err(e) => {
                    idle_is_backoff = true;
                    self.count(|s| s.errors += 1);
                    if let RoundError::Store(StoreError::Fenced { epoch }) = e {
                        tracing::warn!(epoch, "outbox lease lost to another relay");
                        held = None;
                        self.count(|s| s.epoch = None);
                    } else {
                        tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "outbox relay round failed; retrying");
                    }
                    // Whatever was sent may be on the stream unmarked.
                    recover = true;
                    let p = backoff;
                    backoff = (backoff * 2).min(OutboxConfig::ms(self.cfg.retry_max_backoff_ms));
                    p
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
                // New rows written through this process's store: publish
                // now (the poll still finds other processes' rows). Only
                // while holding the lease: a standby must not turn every
                // mint into a lease attempt.
                _ = self.store.outbox_written(), if !idle_is_backoff && held.is_some() => {}
            }
        }
    }

    /// One round; `Ok(true)` when it did work (go again at once).
    async fn round(&self, held: &mut Option<Held>, recover: &mut bool) -> Result<bool, RoundError> {
        let lease_ms = self.cfg.lease_ms;
        if held.is_none() {
            let Some(lease) = self
                .store
                .acquire_lease(&self.cfg.relay_name, &self.holder, lease_ms)
                .await?
            else {
                return Ok(false);
            };
            tracing::info!(epoch = lease.epoch, "outbox lease acquired");
            self.count(|s| {
                s.acquisitions += 1;
                s.epoch = Some(lease.epoch);
            });
            *held = Some(Held {
                lease,
                renewed: Instant::now(),
            });
            *recover = true;
        }
        let h = held.as_mut().expect("lease held");
        self.renew_if_due(h).await?;
        if *recover {
            let n = self.recover(h).await?;
            self.count(|s| s.recovered += n);
            *recover = false;
        }
        let rows = self.store.fetch_pending(self.cfg.relay_batch_size).await?;
        if rows.is_empty() {
            return Ok(false);
        }
        self.publish(h, rows).await?;
        Ok(true)
    }

    /// Renews the lease once `renew_interval_ms` has passed.
    pub(crate) async fn renew_if_due(&self, h: &mut Held) -> Result<(), StoreError> {
        if h.renewed.elapsed() >= OutboxConfig::ms(self.cfg.renew_interval_ms) {
            let started = Instant::now();
            self.store.renew_lease(&h.lease, self.cfg.lease_ms).await?;
            h.renewed = started;
        }
        Ok(())
    }

    /// Partitions of `topic` (cached: they only grow by an operator's hand,
    /// and a changed count would also move keys for every other backend).
    pub(crate) async fn partitions(&self, topic: &str) -> Result<u32, StreamError> {
        if let Some(n) = self.partitions.lock().expect("partitions lock").get(topic) {
            return Ok(*n);
        }
        let n = self.streams.partitions(topic).await?;
        self.partitions
            .lock()
            .expect("partitions lock")
            .insert(topic.to_string(), n);
        Ok(n)
    }

    /// Where `row` lands: the same mapping every backend uses.
    pub(crate) async fn target(&self, row: &PendingRow) -> Result<(String, u32), StreamError> {
        let n = self.partitions(&row.topic).await?;
        Ok((
            row.topic.clone(),
            partition_for(row.envelope.key.as_bytes(), n),
        ))
    }

    /// Records the stream's end as the first watermark of every target
    /// partition that has none, before anything is published there.
    pub(crate) async fn ensure_watermarks(
        &self,
        h: &Held,
        targets: &[(String, u32)],
    ) -> Result<(), RoundError> {
        let known = self.store.watermarks().await?;
        let mut missing: Vec<Watermark> = Vec::new();
        for (t, p) in targets {
            if !known.contains_key(&(t.clone(), *p))
                && !missing.iter().any(|m| m.0 == *t && m.1 == *p)
            {
                missing.push((t.clone(), *p, self.streams.end_offset(t, *p).await?));
            }
        }
        if !missing.is_empty() {
            self.store
                .init_watermarks(&h.lease, self.cfg.lease_ms, &missing)
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(epoch = h.lease.epoch, n = rows.len()))]
    async fn publish(&self, h: &mut Held, rows: Vec<PendingRow>) -> Result<(), RoundError> {
        let mut targets = Vec::with_capacity(rows.len());
        for r in &rows {
            targets.push(self.target(r).await?);
        }
        self.ensure_watermarks(h, &targets).await?;

        // Send everything first: one task, call order, so per-key order holds.
        let mut acks = Vec::with_capacity(rows.len());
        let mut send_error = None;
        for r in &rows {
            match self.streams.send(&r.topic, &r.envelope) {
                Ok(ack) => acks.push(ack),
                Err(e) => {
                    send_error = Some(e);
                    break;
                }
            }
        }
        let sent = acks.len();
        let all = join_all(acks);
        tokio::pin!(all);
        let deadline = tokio::time::sleep(OutboxConfig::ms(self.cfg.publish_timeout_ms));
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(OutboxConfig::ms(self.cfg.renew_interval_ms));
        let results = loop {
            tokio::select! {
                r = &mut all => break r,
                _ = tick.tick() => self.renew_if_due(h).await?,
                _ = &mut deadline => {
                    return Err(RoundError::PublishTimeout(OutboxConfig::ms(self.cfg.publish_timeout_ms)));
                }
            }
        };

        // Mark what was acknowledged. A partition with any failed ack keeps
        // its watermark, so the recovery scan still looks at the records a
        // "failed" send may have left there.
        let mut ids = Vec::with_capacity(sent);
        let mut latencies = Vec::with_capacity(sent);
        let mut next: HashMap<(String, u32), i64> = HashMap::new();
        let mut failed: Vec<(String, u32)> = Vec::new();
        let mut first_error = send_error.map(RoundError::from);
        for ((row, target), res) in rows.iter().zip(&targets).zip(results) {
            match res {
                Ok(d) => {
                    ids.push(row.id);
                    latencies.push((row.topic.as_str(), row.created_at_ms));
                    let e = next.entry((row.topic.clone(), d.partition)).or_insert(0);
                    *e = (*e).max(d.offset + 1);
                }
                Err(e) => {
                    failed.push(target.clone());
                    first_error.get_or_insert(RoundError::Stream(e));
                }
            }
        }
        let marks: Vec<Watermark> = next
            .into_iter()
            .filter(|(k, _)| !failed.contains(k))
            .map(|((t, p), o)| (t, p, o))
            .collect();
        if !ids.is_empty() {
            let n = self
                .store
                .mark_published(&h.lease, self.cfg.lease_ms, Published::Ids(&ids), &marks)
                .await?;
            self.count(|s| s.published += n);
            // Acked is published: a row a lost lease leaves unmarked is
            // on the stream all the same.
            if let Some(t) = &self.telemetry {
                t.published(Family::Reward, latencies);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
