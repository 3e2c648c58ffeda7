//! Outbox table operations for the writer and the relay: enqueue inside a
//! transaction, fetch pending rows in id order, the relay lease, and
//! marking rows published, fenced by the lease epoch, together with the
//! per-partition stream watermarks.
//!
//! Fencing: every relay write first updates the lease row `WHERE holder =
//! me AND epoch = mine`. If that touches no row, another relay has taken
//! over and the transaction is rolled back. The update also locks the lease
//! row until commit, so a takeover cannot slip in between the check and the
//! writes (a takeover is an update of the same row).

use std::collections::HashMap;

use sqlx::{Any, Row, Transaction};

use super::error::from_sqlx;
use super::retry::Failure;
use super::{
    ROWS_PER_STATEMENT, Store, StoreError, begin, commit, placeholders, rows_placeholders,
};
use veltrix_streams::Envelope;

/// An event to publish on `topic`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Stream topic.
    pub topic: String,
    /// The event; `envelope.key` is the message key, `event_id` unique.
    pub envelope: Envelope,
}

/// A row not yet published.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRow {
    /// Row id (publication order).
    pub id: i64,
    /// Topic.
    pub topic: String,
    /// The decoded envelope.
    pub envelope: Envelope,
    /// When the row was written, ms since the epoch (for the relay's
    /// outbox -> published latency).
    pub created_at_ms: i64,
}

/// The outbox backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxStats {
    /// Rows not yet published.
    pub pending: u64,
    /// Age of the oldest pending row, in ms (0 when none).
    pub oldest_age_ms: u64,
}

/// A lease held by one relay at one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Lease row (relay name).
    pub name: String,
    /// Holder id.
    pub holder: String,
    /// Epoch of this acquisition; bumped on every acquisition.
    pub epoch: i64,
}

/// Which rows a relay marks published.
#[derive(Debug, Clone, Copy)]
pub enum Published<'a> {
    /// Rows it published and saw acknowledged, by id.
    Ids(&'a [i64]),
    /// Rows the recovery scan found on the stream, by event id.
    EventIds(&'a [String]),
}

/// `(topic, partition, next_offset)`.
pub type Watermark = (String, u32, i64);

/// Inserts `events` in `tx`, in order, one multi-row statement per
/// [`ROWS_PER_STATEMENT`]; an event id already in the outbox is skipped.
/// Inserts `rows` outbox events (an event id already there is kept).
/// sqlx's path and SQLite's batch writer (one row) share it.
pub(crate) fn insert_events_sql(rows: usize) -> String {
    format!(
        "INSERT INTO outbox (tenant_id, topic, msg_key, event_id, envelope, created_at_ms) \
         VALUES {} ON CONFLICT (event_id) DO NOTHING",
        rows_placeholders(rows, 6)
    )
}

pub(crate) async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    events: &[OutboxEvent],
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_events_sql(chunk.len());
        let mut q = sqlx::query(&sql);
        for event in chunk {
            let e = &event.envelope;
            q = q
                .bind(e.tenant.as_str())
                .bind(event.topic.as_str())
                .bind(e.key.as_str())
                .bind(e.event_id.as_str())
                .bind(e.encode())
                .bind(now);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Updates the lease row if `lease` is still current: the fence.
async fn fence(
    tx: &mut Transaction<'static, Any>,
    lease: &Lease,
    lease_ms: u64,
    now: i64,
) -> Result<(), Failure> {
    let n = sqlx::query(
        "UPDATE outbox_lease SET expires_at_ms = $1 WHERE name = $2 AND holder = $3 AND epoch = $4",
    )
    .bind(now + lease_ms as i64)
    .bind(lease.name.as_str())
    .bind(lease.holder.as_str())
    .bind(lease.epoch)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(Failure::Fatal(StoreError::Fenced { epoch: lease.epoch }))
    }
}

/// Runs one relay transaction once (the relay has its own backoff: a
/// 12 s retry budget would outlive a 500 ms lease).
async fn once<T>(op: &'static str, r: Result<T, Failure>) -> Result<T, StoreError> {
    r.map_err(|f| match f {
        Failure::Fatal(e) => e,
        Failure::Before(e) | Failure::Commit(e) => from_sqlx(op, e),
    })
}

impl Store {
    /// Enqueues events in one transaction (the outbox writer's group
    /// commit). Events whose id is already in the outbox are skipped, so a
    /// retry after a lost COMMIT cannot publish twice.
    #[tracing::instrument(skip_all, fields(n = events.len()))]
    pub async fn enqueue(&self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        self.retry
            .run("outbox_enqueue", || async {
                let mut tx = begin(&self.pool).await?;
                insert_events(&mut tx, events, self.clock.now_ms()).await?;
                commit(tx).await
            })
            .await?;
        self.wake_relay();
        Ok(())
    }

    /// Up to `limit` pending rows, in id order.
    #[tracing::instrument(skip(self))]
    pub async fn fetch_pending(&self, limit: usize) -> Result<Vec<PendingRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, topic, envelope, created_at_ms FROM outbox WHERE published_at_ms IS NULL \
             ORDER BY id LIMIT $1",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| from_sqlx("outbox_fetch", e))?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id").map_err(|e| from_sqlx("outbox_fetch", e))?;
                let bytes: Vec<u8> = r
                    .try_get("envelope")
                    .map_err(|e| from_sqlx("outbox_fetch", e))?;
                let envelope = Envelope::decode(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("outbox row {id}: {e}")))?;
                Ok(PendingRow {
                    id,
                    topic: r
                        .try_get("topic")
                        .map_err(|e| from_sqlx("outbox_fetch", e))?,
                    envelope,
                    created_at_ms: r
                        .try_get("created_at_ms")
                        .map_err(|e| from_sqlx("outbox_fetch", e))?,
                })
            })
            .collect()
    }

    /// The backlog: pending rows and the age of the oldest.
    #[tracing::instrument(skip(self))]
    pub async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at_ms) AS oldest FROM outbox \
             WHERE published_at_ms IS NULL",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| from_sqlx("outbox_stats", e))?;
        let n: i64 = row.try_get("n").map_err(|e| from_sqlx("outbox_stats", e))?;
        let oldest: Option<i64> = row
            .try_get("oldest")
            .map_err(|e| from_sqlx("outbox_stats", e))?;
        Ok(OutboxStats {
            pending: n.max(0) as u64,
            oldest_age_ms: oldest.map_or(0, |t| (self.clock.now_ms() - t).max(0) as u64),
        })
    }

    /// Takes the lease `name` for `holder` if it is free or expired, with
    /// a new epoch; `None` while another holder's lease runs.
    #[tracing::instrument(skip(self))]
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        lease_ms: u64,
    ) -> Result<Option<Lease>, StoreError> {
        let now = self.clock.now_ms();
        // One statement: concurrent takeovers serialise on the row, and the
        // WHERE is re-checked on the latest version, so one wins.
        let row = sqlx::query(
            "INSERT INTO outbox_lease (name, holder, epoch, expires_at_ms) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             epoch = outbox_lease.epoch + 1, expires_at_ms = excluded.expires_at_ms \
             WHERE outbox_lease.expires_at_ms < $4 RETURNING epoch",
        )
        .bind(name)
        .bind(holder)
        .bind(now + lease_ms as i64)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx("lease_acquire", e))?;
        row.map(|r| {
            Ok(Lease {
                name: name.into(),
                holder: holder.into(),
                epoch: r
                    .try_get("epoch")
                    .map_err(|e| from_sqlx("lease_acquire", e))?,
            })
        })
        .transpose()
    }

    /// Extends `lease` by `lease_ms` from now; [`StoreError::Fenced`] when
    /// another relay has taken it over.
    #[tracing::instrument(skip(self))]
    pub async fn renew_lease(&self, lease: &Lease, lease_ms: u64) -> Result<(), StoreError> {
        once(
            "lease_renew",
            async {
                let mut tx = begin(&self.pool).await?;
                fence(&mut tx, lease, lease_ms, self.clock.now_ms()).await?;
                commit(tx).await
            }
            .await,
        )
        .await
    }

    /// Stored watermarks: `(topic, partition) -> next_offset`.
    #[tracing::instrument(skip(self))]
    pub async fn watermarks(&self) -> Result<HashMap<(String, u32), i64>, StoreError> {
        let rows = sqlx::query("SELECT topic, partition_no, next_offset FROM outbox_watermarks")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| from_sqlx("watermarks", e))?;
        rows.iter()
            .map(|r| {
                let t: String = r.try_get("topic")?;
                let p: i64 = r.try_get("partition_no")?;
                Ok(((t, p as u32), r.try_get("next_offset")?))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| from_sqlx("watermarks", e))
    }

    /// Records first watermarks (the stream's end before the relay
    /// publishes there); existing ones are kept. Fenced.
    #[tracing::instrument(skip(self, marks), fields(n = marks.len()))]
    pub async fn init_watermarks(
        &self,
        lease: &Lease,
        lease_ms: u64,
        marks: &[Watermark],
    ) -> Result<(), StoreError> {
        self.write_watermarks(lease, lease_ms, marks, "DO NOTHING")
            .await
    }

    /// Overwrites watermarks, also backwards: for a stream that is now
    /// shorter than its watermark (an embedded log after a restart, a
    /// recreated topic). Fenced.
    #[tracing::instrument(skip(self, marks), fields(n = marks.len()))]
    pub async fn reset_watermarks(
        &self,
        lease: &Lease,
        lease_ms: u64,
        marks: &[Watermark],
    ) -> Result<(), StoreError> {
        self.write_watermarks(
            lease,
            lease_ms,
            marks,
            "DO UPDATE SET next_offset = excluded.next_offset",
        )
        .await
    }

    async fn write_watermarks(
        &self,
        lease: &Lease,
        lease_ms: u64,
        marks: &[Watermark],
        on_conflict: &'static str,
    ) -> Result<(), StoreError> {
        once(
            "watermarks_write",
            async {
                let mut tx = begin(&self.pool).await?;
                fence(&mut tx, lease, lease_ms, self.clock.now_ms()).await?;
                for (t, p, next) in marks {
                    sqlx::query(&format!(
                        "INSERT INTO outbox_watermarks (topic, partition_no, next_offset) \
                         VALUES ($1, $2, $3) ON CONFLICT (topic, partition_no) {on_conflict}"
                    ))
                    .bind(t.as_str())
                    .bind(i64::from(*p))
                    .bind(*next)
                    .execute(&mut *tx)
                    .await?;
                }
                commit(tx).await
            }
            .await,
        )
        .await
    }

    /// Marks rows published and advances watermarks (never backwards), in
    /// one transaction, only while `lease` is current. Returns how many
    /// rows changed.
    #[tracing::instrument(skip(self, done, marks), fields(epoch = lease.epoch))]
    pub async fn mark_published(
        &self,
        lease: &Lease,
        lease_ms: u64,
        done: Published<'_>,
        marks: &[Watermark],
    ) -> Result<u64, StoreError> {
        once(
            "outbox_mark",
            async {
                let mut tx = begin(&self.pool).await?;
                fence(&mut tx, lease, lease_ms, self.clock.now_ms()).await?;
                let now = self.clock.now_ms();
                let mut changed = 0;
                // Chunks keep the statement under every parameter limit.
                match done {
                    Published::Ids(ids) => {
                        for chunk in ids.chunks(500) {
                            let sql = format!(
                                "UPDATE outbox SET published_at_ms = $1 WHERE published_at_ms \
                                 IS NULL AND id IN ({})",
                                placeholders(2, chunk.len())
                            );
                            let mut q = sqlx::query(&sql).bind(now);
                            for id in chunk {
                                q = q.bind(*id);
                            }
                            changed += q.execute(&mut *tx).await?.rows_affected();
                        }
                    }
                    Published::EventIds(ids) => {
                        for chunk in ids.chunks(500) {
                            let sql = format!(
                                "UPDATE outbox SET published_at_ms = $1 WHERE published_at_ms \
                                 IS NULL AND event_id IN ({})",
                                placeholders(2, chunk.len())
                            );
                            let mut q = sqlx::query(&sql).bind(now);
                            for id in chunk {
                                q = q.bind(id.as_str());
                            }
                            changed += q.execute(&mut *tx).await?.rows_affected();
                        }
                    }
                }
                for (t, p, next) in marks {
                    sqlx::query(
                        "INSERT INTO outbox_watermarks (topic, partition_no, next_offset) \
                         VALUES ($1, $2, $3) ON CONFLICT (topic, partition_no) DO UPDATE \
                         SET next_offset = excluded.next_offset \
                         WHERE outbox_watermarks.next_offset < excluded.next_offset",
                    )
                    .bind(t.as_str())
                    .bind(i64::from(*p))
                    .bind(*next)
                    .execute(&mut *tx)
                    .await?;
                }
                commit(tx).await?;
                Ok(changed)
            }
            .await,
        )
        .await
    }
}
