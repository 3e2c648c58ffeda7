//! Action outcomes, stored with the batch that applied them: written after
//! the batch's ledger and outbox rows committed and before the game
//! stream's offsets move, so an action whose offset is committed always
//! has its outcome here. A crash in between redelivers the batch, which
//! writes the same outcomes again (first write wins).
//!
//! The API answers from here whatever host applied the action, and after
//! a restart: `GET /v1/play/actions/{action_id}` and a retried
//! `Idempotency-Key` whose first request was answered `pending`.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{ROWS_PER_STATEMENT, Store, StoreError, begin, commit, rows_placeholders};

/// One action's outcome as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecord {
    /// Tenant.
    pub tenant: String,
    /// The action id (game-stream event id).
    pub action_id: String,
    /// Game.
    pub game_id: String,
    /// The acting player (`host` for the host's ticks).
    pub player_id: String,
    /// Game-stream offset of the action.
    pub offset: i64,
    /// What happened, as the processor's `ActionResult` JSON.
    pub result: String,
    /// When the host accepted the action, ms since the epoch.
    pub received_at_ms: i64,
    /// When its batch's effects committed, ms since the epoch.
    pub applied_at_ms: i64,
    /// The action's kind (`None` where it could not be decoded, and in
    /// outcomes stored before migration 0008).
    pub kind: Option<String>,
    /// The action's payload (JSON text), kept only for kinds that take
    /// evidence: the judge's queue shows it.
    pub payload: Option<String>,
}

const COLUMNS: &str = "tenant_id, action_id, game_id, player_id, stream_offset, result, \
                       received_at_ms, applied_at_ms, kind, payload";
const WIDTH: usize = 10;

fn decode(row: &AnyRow) -> Result<OutcomeRecord, sqlx::Error> {
    Ok(OutcomeRecord {
        tenant: row.try_get("tenant_id")?,
        action_id: row.try_get("action_id")?,
        game_id: row.try_get("game_id")?,
        player_id: row.try_get("player_id")?,
        offset: row.try_get("stream_offset")?,
        result: row.try_get("result")?,
        received_at_ms: row.try_get("received_at_ms")?,
        applied_at_ms: row.try_get("applied_at_ms")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
    })
}

/// Inserts `rows` outcomes (first write per action id wins). sqlx's path
/// and SQLite's batch writer (one row) share it.
pub(crate) fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO action_outcomes ({COLUMNS}) VALUES {} \
         ON CONFLICT (tenant_id, action_id) DO NOTHING",
        rows_placeholders(rows, WIDTH)
    )
}

/// Inserts `outcomes` in `tx`, keeping an outcome already stored for an
/// action id (first write wins).
pub(crate) async fn insert_outcomes(
    tx: &mut Transaction<'static, Any>,
    outcomes: &[OutcomeRecord],
) -> Result<(), sqlx::Error> {
    for chunk in outcomes.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(chunk.len());
        let mut q = sqlx::query(&sql);
        for o in chunk {
            q = q
                .bind(&o.tenant)
                .bind(&o.action_id)
                .bind(&o.game_id)
                .bind(&o.player_id)
                .bind(o.offset)
                .bind(&o.result)
                .bind(o.received_at_ms)
                .bind(o.applied_at_ms)
                .bind(o.kind.as_deref())
                .bind(o.payload.as_deref());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// Stores outcomes in one transaction; an outcome already stored for
    /// an action id is kept (a redelivered batch changes nothing).
    #[tracing::instrument(skip_all, fields(outcomes = outcomes.len()))]
    pub async fn save_outcomes(&self, outcomes: &[OutcomeRecord]) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        self.retry
            .run("save_outcomes", || async {
                let mut tx = begin(&self.pool).await?;
                insert_outcomes(&mut tx, outcomes).await?;
                commit(tx).await?;
                Ok(())
            })
            .await
    }

    /// The stored outcome of `action_id` in `tenant`, if any.
    #[tracing::instrument(skip(self))]
    pub async fn stored_outcome(
        &self,
        tenant: &str,
        action_id: &str,
    ) -> Result<Option<OutcomeRecord>, StoreError> {
        self.retry
            .run("stored_outcome", || async {
                let row = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM action_outcomes WHERE tenant_id = $1 AND action_id = $2"
                ))
                .bind(tenant)
                .bind(action_id)
                .fetch_optional(&self.reads)
                .await?;
                Ok(row.as_ref().map(decode).transpose()?)
            })
            .await
    }

    /// The outcome of the game's last applied action (the highest stream
    /// offset), if any.
    #[tracing::instrument(skip(self))]
    pub async fn last_outcome(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<Option<OutcomeRecord>, StoreError> {
        self.retry
            .run("last_outcome", || async {
                let row = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM action_outcomes WHERE tenant_id = $1 AND game_id = $2 \
                     ORDER BY stream_offset DESC LIMIT 1"
                ))
                .bind(tenant)
                .bind(game_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(decode).transpose()?)
            })
            .await
    }

    /// The game's last `n` stored outcomes, oldest first (the activity
    /// feed's backlog).
    #[tracing::instrument(skip(self))]
    pub async fn recent_outcomes(
        &self,
        tenant: &str,
        game_id: &str,
        n: usize,
    ) -> Result<Vec<OutcomeRecord>, StoreError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.retry
            .run("recent_outcomes", || async {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM action_outcomes WHERE tenant_id = $1 AND game_id = $2 \
                     ORDER BY stream_offset DESC LIMIT $3"
                ))
                .bind(tenant)
                .bind(game_id)
                .bind(n)
                .fetch_all(&self.pool)
                .await?;
                let mut out = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
                out.reverse();
                Ok(out)
            })
            .await
    }

    /// Up to `n` of the game's stored outcomes after stream offset
    /// `after`, oldest first (the activity feed's catch-up with what
    /// other hosts applied).
    #[tracing::instrument(skip(self))]
    pub async fn outcomes_after(
        &self,
        tenant: &str,
        game_id: &str,
        after: i64,
        n: usize,
    ) -> Result<Vec<OutcomeRecord>, StoreError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.retry
            .run("outcomes_after", || async {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM action_outcomes WHERE tenant_id = $1 AND game_id = $2 \
                     AND stream_offset > $3 ORDER BY stream_offset LIMIT $4"
                ))
                .bind(tenant)
                .bind(game_id)
                .bind(after)
                .bind(n)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// How many outcomes a game has stored (tests and tools).
    pub async fn count_outcomes(&self, tenant: &str, game_id: &str) -> Result<i64, StoreError> {
        self.retry
            .run("count_outcomes", || async {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS n FROM action_outcomes WHERE tenant_id = $1 AND game_id = $2",
                )
                .bind(tenant)
                .bind(game_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get::<i64, _>("n")?)
            })
            .await
    }
}
