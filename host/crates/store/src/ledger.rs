//! The reward ledger: one row per `reward_id`, written with its outbox row
//! in one transaction.
//!
//! `reward_id` is derived from (tenant, game, player, reward key), so the
//! same reward minted twice, by a retry, a replayed action or a concurrent
//! worker, hits the primary key: the second mint changes nothing and
//! returns the first row. Phantom currency is impossible by construction.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::outbox::{OutboxEvent, insert_events};
use super::retry::Failure;
use super::{
    ROWS_PER_STATEMENT, Store, StoreError, begin, commit, placeholders, rows_placeholders,
};
use veltrix_streams::Envelope;

/// The stream event kind of a minted reward.
pub const REWARD_MINTED: &str = "reward.minted";

/// A reward to mint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reward {
    /// Owning tenant.
    pub tenant: String,
    /// Game it was earned in.
    pub game_id: String,
    /// Player it goes to.
    pub player_id: String,
    /// The player's team, if any.
    pub team_id: Option<String>,
    /// Reward type (`points`, `badge`, ...): picks the stream topic.
    pub reward_type: String,
    /// What the reward is for, unique per (game, player): the dedup key.
    pub reward_key: String,
    /// Amount (points, count).
    pub amount: i64,
    /// Extra data, as JSON.
    pub payload: serde_json::Value,
}

/// A ledger row: the reward as first minted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardRow {
    /// [`reward_id`] of the reward.
    pub reward_id: String,
    /// The reward.
    #[serde(flatten)]
    pub reward: Reward,
    /// When it was minted, ms since the Unix epoch.
    pub created_at_ms: i64,
}

/// Points a game's ledger holds for one (player, team) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsSum {
    /// The player.
    pub player_id: String,
    /// The team the rows counted for (`None`: no team).
    pub team_id: Option<String>,
    /// Sum of the rows' amounts.
    pub points: i64,
}

/// The result of a mint.
#[derive(Debug, Clone, PartialEq)]
pub struct Minted {
    /// The ledger row (the first one, on a replay).
    pub row: RewardRow,
    /// `true` when this call created it; `false` for a replay (a no-op).
    pub first: bool,
}

/// The deterministic id of a reward: hex SHA-256 over a domain tag and the
/// length-prefixed tenant, game, player and reward key (length prefixes
/// keep `("ab","c")` and `("a","bc")` apart). Tenant-scoped: the same
/// game, player and key under two tenants give two ids.
pub fn reward_id(tenant: &str, game_id: &str, player_id: &str, reward_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"veltrix/reward-id/v1\0");
    for part in [tenant, game_id, player_id, reward_key] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Reward {
    /// This reward's [`reward_id`].
    pub fn id(&self) -> String {
        reward_id(
            &self.tenant,
            &self.game_id,
            &self.player_id,
            &self.reward_key,
        )
    }

    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        for (name, v) in [
            ("tenant", &self.tenant),
            ("game_id", &self.game_id),
            ("player_id", &self.player_id),
            ("reward_key", &self.reward_key),
        ] {
            if v.is_empty() {
                return Err(StoreError::Invalid(format!("reward has no {name}")));
            }
        }
        // The type becomes part of a topic name.
        let ok = !self.reward_type.is_empty()
            && self
                .reward_type
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return Err(StoreError::Invalid(
                "reward_type must be non-empty [A-Za-z0-9._-]".into(),
            ));
        }
        Ok(())
    }
}

const COLUMNS: &str = "reward_id, tenant_id, game_id, player_id, team_id, reward_type, \
                       reward_key, amount, payload, created_at_ms";

/// Inserts `rows` ledger rows, returning the ids that were new (the
/// first mint wins). sqlx's path and SQLite's batch writer (one row)
/// share it.
pub(crate) fn mint_sql(rows: usize) -> String {
    format!(
        "INSERT INTO rewards ({COLUMNS}) VALUES {} \
         ON CONFLICT (reward_id) DO NOTHING RETURNING reward_id",
        rows_placeholders(rows, 10)
    )
}

/// A game's points by (player, team). Postgres sums BIGINT into NUMERIC:
/// cast back.
pub(crate) const SUMS_SQL: &str = "SELECT player_id, team_id, CAST(SUM(amount) AS BIGINT) AS points FROM rewards \
     WHERE tenant_id = $1 AND game_id = $2 GROUP BY player_id, team_id";

pub(crate) fn decode_sum(r: &AnyRow) -> Result<PointsSum, sqlx::Error> {
    Ok(PointsSum {
        player_id: r.try_get("player_id")?,
        team_id: r.try_get("team_id")?,
        points: r.try_get("points")?,
    })
}

fn decode_row(row: &AnyRow) -> Result<RewardRow, sqlx::Error> {
    let payload: String = row.try_get("payload")?;
    Ok(RewardRow {
        reward_id: row.try_get("reward_id")?,
        reward: Reward {
            tenant: row.try_get("tenant_id")?,
            game_id: row.try_get("game_id")?,
            player_id: row.try_get("player_id")?,
            team_id: row.try_get("team_id")?,
            reward_type: row.try_get("reward_type")?,
            reward_key: row.try_get("reward_key")?,
            amount: row.try_get("amount")?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::String(payload)),
        },
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl Store {
    /// Mints one reward: the ledger row and its `reward.minted` outbox
    /// event in one transaction, or, when the `reward_id` exists, nothing
    /// (the first row comes back with `first: false`). Retried while the
    /// database is unreachable (see [`StoreError::Unavailable`]).
    #[tracing::instrument(skip_all, fields(tenant = %reward.tenant, game = %reward.game_id))]
    pub async fn mint(&self, reward: &Reward) -> Result<Minted, StoreError> {
        let mut out = self.mint_batch(std::slice::from_ref(reward)).await?;
        Ok(out.pop().expect("one result per reward"))
    }

    /// Mints up to `outbox.batch_size` rewards in one transaction, one
    /// result per reward in order. All or nothing: a reward that fails
    /// (validation or database) rolls the whole batch back.
    #[tracing::instrument(skip_all, fields(n = rewards.len()))]
    pub async fn mint_batch(&self, rewards: &[Reward]) -> Result<Vec<Minted>, StoreError> {
        self.check_batch(rewards.len())?;
        // Checked before anything is written: a bad reward after good
        // ones must leave nothing behind (and is not worth a retry).
        for r in rewards {
            r.validate()?;
        }
        let minted = self
            .retry
            .run("mint", || async {
                let mut tx = begin(&self.pool).await?;
                let out = self.mint_in(&mut tx, rewards).await?;
                commit(tx).await?;
                Ok(out)
            })
            .await;
        if matches!(&minted, Ok(m) if m.iter().any(|m| m.first)) {
            self.wake_relay();
        }
        minted
    }

    /// Mints `rewards` in `tx` with one multi-row `INSERT .. ON CONFLICT
    /// DO NOTHING RETURNING` per [`ROWS_PER_STATEMENT`] (a statement per reward
    /// was most of the ledger's cost), then reads back the rows that
    /// already existed and enqueues the new rows' events. A reward id twice
    /// in one batch mints once: the later one is a replay of the earlier.
    pub(crate) async fn mint_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        rewards: &[Reward],
    ) -> Result<Vec<Minted>, Failure> {
        let now = self.clock.now_ms();
        let ids: Vec<String> = rewards.iter().map(Reward::id).collect();
        let mut unique: Vec<usize> = Vec::with_capacity(rewards.len());
        let mut seen = HashSet::with_capacity(rewards.len());
        for (i, id) in ids.iter().enumerate() {
            if seen.insert(id.as_str()) {
                unique.push(i);
            }
        }
        let mut inserted: HashSet<String> = HashSet::with_capacity(unique.len());
        for chunk in unique.chunks(ROWS_PER_STATEMENT) {
            let sql = mint_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for &i in chunk {
                let r = &rewards[i];
                q = q
                    .bind(ids[i].as_str())
                    .bind(r.tenant.as_str())
                    .bind(r.game_id.as_str())
                    .bind(r.player_id.as_str())
                    .bind(r.team_id.clone())
                    .bind(r.reward_type.as_str())
                    .bind(r.reward_key.as_str())
                    .bind(r.amount)
                    .bind(r.payload.to_string())
                    .bind(now);
            }
            for row in q.fetch_all(&mut **tx).await? {
                inserted.insert(row.try_get::<String, _>("reward_id")?);
            }
        }
        // Rows minted before this batch: the first mint wins.
        let existing: Vec<&str> = unique
            .iter()
            .map(|&i| ids[i].as_str())
            .filter(|id| !inserted.contains(*id))
            .collect();
        let mut rows: HashMap<String, RewardRow> = HashMap::with_capacity(unique.len());
        for chunk in existing.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT {COLUMNS} FROM rewards WHERE reward_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut **tx).await? {
                let row = decode_row(&row)?;
                rows.insert(row.reward_id.clone(), row);
            }
        }
        let mut events = Vec::with_capacity(inserted.len());
        for &i in &unique {
            if !inserted.contains(&ids[i]) {
                continue;
            }
            let row = RewardRow {
                reward_id: ids[i].clone(),
                reward: rewards[i].clone(),
                created_at_ms: now,
            };
            events.push(self.minted_event(&row));
            rows.insert(ids[i].clone(), row);
        }
        insert_events(tx, &events, now).await?;
        let mut first_seen = HashSet::with_capacity(inserted.len());
        ids.iter()
            .map(|id| {
                let row = rows.get(id).cloned().ok_or_else(|| {
                    // Neither inserted nor found: only a concurrent delete
                    // could do that, and the ledger is append-only.
                    Failure::Fatal(StoreError::Invalid(format!(
                        "reward {id} vanished while minting"
                    )))
                })?;
                let first = inserted.contains(id) && first_seen.insert(id.as_str());
                Ok(Minted { row, first })
            })
            .collect()
    }

    /// The `reward.minted` outbox event of a new ledger row.
    pub(crate) fn minted_event(&self, row: &RewardRow) -> OutboxEvent {
        let payload = serde_json::to_vec(row).expect("a reward row serialises");
        OutboxEvent {
            topic: (self.reward_topic)(&row.reward.reward_type),
            envelope: Envelope {
                event_id: row.reward_id.clone(),
                tenant: row.reward.tenant.clone(),
                key: row.reward_id.clone(),
                kind: REWARD_MINTED.into(),
                ts_ms: row.created_at_ms,
                payload,
            },
        }
    }

    /// Every (tenant, game) with ledger rows.
    #[tracing::instrument(skip(self))]
    pub async fn games_with_rewards(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.retry
            .run("games_with_rewards", || async {
                let rows = sqlx::query(
                    "SELECT DISTINCT tenant_id, game_id FROM rewards ORDER BY tenant_id, game_id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| Ok((r.try_get("tenant_id")?, r.try_get("game_id")?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?)
            })
            .await
    }

    /// A game's points by (player, team): the totals the boards show,
    /// summed in the database (one row per pair, not per reward).
    #[tracing::instrument(skip(self))]
    pub async fn points_sums(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<Vec<PointsSum>, StoreError> {
        self.retry
            .run("points_sums", || async {
                let rows = sqlx::query(SUMS_SQL)
                    .bind(tenant)
                    .bind(game_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .iter()
                    .map(decode_sum)
                    .collect::<Result<Vec<_>, sqlx::Error>>()?)
            })
            .await
    }

    /// A game's ledger, oldest first (for rebuilding leaderboards).
    #[tracing::instrument(skip(self))]
    pub async fn rewards(&self, tenant: &str, game_id: &str) -> Result<Vec<RewardRow>, StoreError> {
        self.retry
            .run("rewards", || async {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM rewards WHERE tenant_id = $1 AND game_id = $2 \
                     ORDER BY created_at_ms, reward_id"
                ))
                .bind(tenant)
                .bind(game_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(decode_row).collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
