//! The group commit on SQLite's batch writer ([`crate::writer`]): the
//! same transaction as [`crate::batch`]'s, as prepared single-row
//! statements on the writer's own connection.
//!
//! The caller's `rows` function runs inside the transaction but not on the
//! writer thread (it borrows the processor's batch), so one attempt is a
//! short conversation: the writer mints and reads the sums, sends them
//! back and waits; the caller makes the rows and sends them; the writer
//! writes them, and the answer comes once the writer's group committed.
//! A caller that goes away in between drops its sender, and the writer
//! rolls this job back.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use rusqlite::{Transaction, params};
use tokio::sync::oneshot;

use super::batch::{BatchRows, BatchView};
use super::ledger::{SUMS_SQL, mint_sql};
use super::outbox::insert_events_sql;
use super::quests::latest;
use super::retry::Failure;
use super::writer::{Ended, JobError, SqliteWriter, Work, crashed};
use super::{Minted, PointsSum, Reward, RewardRow, Store};
use super::{outcomes, quests};

/// A new ledger row and its `reward.minted` event, made before the
/// transaction (the writer thread does only the writing).
struct Candidate {
    row: RewardRow,
    payload: String,
    topic: String,
    envelope: Vec<u8>,
}

/// The single-row statements, from the same builders as sqlx's
/// multi-row ones (one rule per table, whichever path writes it).
struct Statements {
    mint: String,
    event: String,
    outcome: String,
    progress: String,
}

static SQL: LazyLock<Statements> = LazyLock::new(|| Statements {
    mint: mint_sql(1),
    event: insert_events_sql(1),
    outcome: outcomes::insert_sql(1),
    progress: quests::upsert_sql(1),
});

/// What the writer found before the rows are made.
type Found = Result<(Vec<Minted>, Vec<Vec<PointsSum>>), Failure>;

/// One attempt of a batch, as the writer runs it.
struct BatchJob {
    candidates: Vec<Candidate>,
    sums_of: Vec<(String, String)>,
    now: i64,
    /// Taken once what was found is sent.
    found: Option<oneshot::Sender<Found>>,
    rows: std::sync::mpsc::Receiver<BatchRows>,
    done: oneshot::Sender<Result<(), Failure>>,
}

impl Work for BatchJob {
    fn run(&mut self, tx: &Transaction<'_>) -> Result<(), JobError> {
        let minted = mint(tx, &self.candidates, self.now)?;
        let sums = self
            .sums_of
            .iter()
            .map(|(tenant, game)| sums_in(tx, tenant, game))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let found = self.found.take().ok_or(JobError::Gone)?;
        found.send(Ok((minted, sums))).map_err(|_| JobError::Gone)?;
        let written = self.rows.recv().map_err(|_| JobError::Gone)?;
        write_rows(tx, &written)?;
        Ok(())
    }

    fn finish(self: Box<Self>, ended: Ended) {
        let result = match ended {
            Ended::Committed => Ok(()),
            Ended::RolledBack(e) => Err(Failure::Before(e)),
            Ended::Unknown(e) => Err(Failure::Commit(e)),
        };
        // Stopped before it found anything: the caller still waits there.
        if let Some(found) = self.found {
            let _ = found.send(result.map(|()| (Vec::new(), Vec::new())));
            return;
        }
        let _ = self.done.send(result);
    }
}

impl Store {
    /// One attempt of [`Store::commit_batch`] on the writer.
    pub(crate) async fn commit_batch_sqlite<T, F>(
        &self,
        writer: &SqliteWriter,
        rewards: &[Reward],
        sums_of: &[(String, String)],
        rows: &F,
    ) -> Result<(Vec<Minted>, T), Failure>
    where
        F: Fn(BatchView<'_>) -> (BatchRows, T),
    {
        let now = self.clock.now_ms();
        let candidates: Vec<Candidate> = rewards
            .iter()
            .map(|r| {
                let row = RewardRow {
                    reward_id: r.id(),
                    reward: r.clone(),
                    created_at_ms: now,
                };
                let event = self.minted_event(&row);
                Candidate {
                    payload: r.payload.to_string(),
                    topic: event.topic,
                    envelope: event.envelope.encode(),
                    row,
                }
            })
            .collect();
        let (found_tx, found_rx) = oneshot::channel::<Found>();
        let (rows_tx, rows_rx) = std::sync::mpsc::sync_channel::<BatchRows>(1);
        let (done_tx, done_rx) = oneshot::channel();
        let job = BatchJob {
            candidates,
            sums_of: sums_of.to_vec(),
            now,
            found: Some(found_tx),
            rows: rows_rx,
            done: done_tx,
        };
        if !writer.send(job) {
            return Err(Failure::Before(crashed()));
        }
        let (minted, sums) = found_rx.await.map_err(|_| Failure::Before(crashed()))??;
        let (written, keep) = rows(BatchView {
            minted: &minted,
            sums: &sums,
        });
        // A send fails only if the writer already gave up (its error
        // comes through `done`).
        let _ = rows_tx.send(written);
        done_rx.await.map_err(|_| Failure::Before(crashed()))??;
        Ok((minted, keep))
    }
}

/// Inserts each new reward with its outbox event; a reward already in the
/// ledger is read back instead (the first mint wins). One [`Minted`] per
/// candidate, in order, `first` only on a reward's first occurrence.
fn mint(tx: &Transaction<'_>, candidates: &[Candidate], now: i64) -> rusqlite::Result<Vec<Minted>> {
    let mut insert = tx.prepare_cached(&SQL.mint)?;
    let mut event = tx.prepare_cached(&SQL.event)?;
    let mut existing = tx.prepare_cached(
        "SELECT tenant_id, game_id, player_id, team_id, reward_type, reward_key, amount, \
         payload, created_at_ms FROM rewards WHERE reward_id = ?1",
    )?;
    let mut rows: HashMap<&str, (RewardRow, bool)> = HashMap::with_capacity(candidates.len());
    for c in candidates {
        let id = c.row.reward_id.as_str();
        if rows.contains_key(id) {
            continue;
        }
        let r = &c.row.reward;
        let added = insert.exists(params![
            id,
            r.tenant,
            r.game_id,
            r.player_id,
            r.team_id,
            r.reward_type,
            r.reward_key,
            r.amount,
            c.payload,
            now
        ])?;
        if added {
            event.execute(params![r.tenant, c.topic, id, id, c.envelope, now])?;
            rows.insert(id, (c.row.clone(), true));
        } else {
            let row = existing.query_row(params![id], |x| {
                let payload: String = x.get(7)?;
                Ok(RewardRow {
                    reward_id: id.to_string(),
                    reward: Reward {
                        tenant: x.get(0)?,
                        game_id: x.get(1)?,
                        player_id: x.get(2)?,
                        team_id: x.get(3)?,
                        reward_type: x.get(4)?,
                        reward_key: x.get(5)?,
                        amount: x.get(6)?,
                        payload: serde_json::from_str(&payload)
                            .unwrap_or(serde_json::Value::String(payload)),
                    },
                    created_at_ms: x.get(8)?,
                })
            })?;
            rows.insert(id, (row, false));
        }
    }
    let mut first_seen = HashSet::with_capacity(rows.len());
    Ok(candidates
        .iter()
        .map(|c| {
            let id = c.row.reward_id.as_str();
            let (row, inserted) = &rows[id];
            Minted {
                row: row.clone(),
                first: *inserted && first_seen.insert(id),
            }
        })
        .collect())
}

fn sums_in(tx: &Transaction<'_>, tenant: &str, game_id: &str) -> rusqlite::Result<Vec<PointsSum>> {
    let mut q = tx.prepare_cached(SUMS_SQL)?;
    let sums = q.query_map(params![tenant, game_id], |x| {
        Ok(PointsSum {
            player_id: x.get(0)?,
            team_id: x.get(1)?,
            points: x.get(2)?,
        })
    })?;
    sums.collect()
}

fn write_rows(tx: &Transaction<'_>, rows: &BatchRows) -> rusqlite::Result<()> {
    let mut outcome = tx.prepare_cached(&SQL.outcome)?;
    for o in &rows.outcomes {
        outcome.execute(params![
            o.tenant,
            o.action_id,
            o.game_id,
            o.player_id,
            o.offset,
            o.result,
            o.received_at_ms,
            o.applied_at_ms,
            o.kind,
            o.payload
        ])?;
    }
    let mut status =
        tx.prepare_cached("UPDATE games SET status = ?1 WHERE tenant_id = ?2 AND game_id = ?3")?;
    for s in &rows.statuses {
        status.execute(params![s.status, s.tenant, s.game_id])?;
    }
    let mut progress = tx.prepare_cached(&SQL.progress)?;
    for q in latest(&rows.quests) {
        progress.execute(params![
            q.tenant,
            q.game_id,
            q.quest_id,
            q.scope.as_str(),
            q.subject,
            q.status,
            q.offset,
            q.updated_at_ms
        ])?;
    }
    Ok(())
}
