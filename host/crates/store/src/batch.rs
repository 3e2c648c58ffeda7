//! Group commit: everything one processor batch writes, in one
//! transaction. The ledger rows and their outbox events, the points sums a
//! first answer needs, then the batch's outcomes, the game statuses it
//! changed and its quest progress. One COMMIT (one fsync) per batch
//! instead of one per mint chunk, one per status and two more for the
//! outcomes and the progress; and an outcome is stored exactly when the
//! effects it reports are, so no reader ever sees one without the other.
//!
//! What the outcomes say depends on what the mint found (a first mint or a
//! replay) and on the ledger's sums: the caller passes a function from
//! those to the rows, run inside the transaction (again on a retry).

use sqlx::{Any, Transaction};

use super::ledger::{SUMS_SQL, decode_sum};
use super::outcomes::insert_outcomes;
use super::quests::{latest, upsert_progress};
use super::retry::Failure;
use super::{Minted, OutcomeRecord, PointsSum, QuestProgress, Reward, Store, StoreError};
use super::{begin, commit};

/// A game's new status, written with the batch that changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    /// Tenant.
    pub tenant: String,
    /// Game.
    pub game_id: String,
    /// The new status (`running`, `finished`, `parked`...).
    pub status: String,
}

/// The rows a batch writes beside its ledger rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchRows {
    /// One per action (first write per action id wins).
    pub outcomes: Vec<OutcomeRecord>,
    /// Written in order, after the outcomes.
    pub statuses: Vec<StatusUpdate>,
    /// Latest status per quest and subject; an update the database would
    /// refuse is logged and left out (see [`crate::quests`]).
    pub quests: Vec<QuestProgress>,
}

/// What the rows are made from, inside the transaction.
#[derive(Debug)]
pub struct BatchView<'a> {
    /// One per reward passed in, in order (see [`Store::mint_batch`]).
    pub minted: &'a [Minted],
    /// Per game asked for, in order: its points by (player, team),
    /// including this batch's mints.
    pub sums: &'a [Vec<PointsSum>],
}

impl Store {
    /// Commits one batch in one transaction: mints `rewards` (ledger and
    /// outbox, as [`Store::mint_batch`] but with no `outbox.batch_size`
    /// limit: the processor's `poll_batch` bounds a batch), reads the
    /// points sums of the games in `sums_of`, then writes the rows `rows`
    /// makes of both. `rows` also returns what the caller keeps (`T`);
    /// it runs again on each attempt, so it must not have side effects.
    /// All or nothing, retried while the database is unreachable.
    #[tracing::instrument(skip_all, fields(rewards = rewards.len(), sums = sums_of.len()))]
    pub async fn commit_batch<T, F>(
        &self,
        rewards: &[Reward],
        sums_of: &[(String, String)],
        rows: F,
    ) -> Result<(Vec<Minted>, T), StoreError>
    where
        F: Fn(BatchView<'_>) -> (BatchRows, T),
    {
        for r in rewards {
            r.validate()?;
        }
        let out = self
            .retry
            .run("commit_batch", || async {
                if let Some(w) = &self.writer {
                    return self.commit_batch_sqlite(w, rewards, sums_of, &rows).await;
                }
                let mut tx = begin(&self.pool).await?;
                let minted = if rewards.is_empty() {
                    Vec::new()
                } else {
                    self.mint_in(&mut tx, rewards).await?
                };
                let mut sums = Vec::with_capacity(sums_of.len());
                for (tenant, game) in sums_of {
                    sums.push(sums_in(&mut tx, tenant, game).await?);
                }
                let (written, keep) = rows(BatchView {
                    minted: &minted,
                    sums: &sums,
                });
                write_rows(&mut tx, &written).await?;
                commit(tx).await?;
                Ok((minted, keep))
            })
            .await;
        if matches!(&out, Ok((m, _)) if m.iter().any(|m| m.first)) {
            self.wake_relay();
        }
        out
    }
}

async fn sums_in(
    tx: &mut Transaction<'static, Any>,
    tenant: &str,
    game_id: &str,
) -> Result<Vec<PointsSum>, Failure> {
    let rows = sqlx::query(SUMS_SQL)
        .bind(tenant)
        .bind(game_id)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows
        .iter()
        .map(decode_sum)
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

async fn write_rows(tx: &mut Transaction<'static, Any>, rows: &BatchRows) -> Result<(), Failure> {
    insert_outcomes(tx, &rows.outcomes).await?;
    for s in &rows.statuses {
        sqlx::query("UPDATE games SET status = $1 WHERE tenant_id = $2 AND game_id = $3")
            .bind(&s.status)
            .bind(&s.tenant)
            .bind(&s.game_id)
            .execute(&mut **tx)
            .await?;
    }
    upsert_progress(tx, &latest(&rows.quests)).await?;
    Ok(())
}
