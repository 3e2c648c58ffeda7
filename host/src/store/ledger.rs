//! The reward ledger: one row per `reward_id`, written with its outbox row
//! in one transaction.
//!
//! `reward_id` is derived from (tenant, game, player, reward key), so the
//! same reward minted twice, by a retry, a replayed action or a concurrent
//! worker, hits the primary key: the second mint changes nothing and
//! returns the first row. Phantom currency is impossible by construction.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::outbox::{OutboxEvent, insert_event};
use super::retry::Failure;
use super::{Store, StoreError, begin, commit};
use crate::streams::Envelope;
use crate::streams::envelope::now_ms;

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

    fn validate(&self) -> Result<(), StoreError> {
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
        let minted = self
            .retry
            .run("mint", || async {
                let mut tx = begin(&self.pool).await?;
                let mut out = Vec::with_capacity(rewards.len());
                for r in rewards {
                    // Checked inside the transaction: a bad reward after
                    // good ones must leave nothing behind.
                    r.validate()?;
                    out.push(self.mint_in(&mut tx, r).await?);
                }
                commit(tx).await?;
                Ok(out)
            })
            .await;
        if matches!(&minted, Ok(m) if m.iter().any(|m| m.first)) {
            self.wake_relay();
        }
        minted
    }

    async fn mint_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        r: &Reward,
    ) -> Result<Minted, Failure> {
        let id = r.id();
        let row = RewardRow {
            reward_id: id.clone(),
            reward: r.clone(),
            created_at_ms: now_ms(),
        };
        let inserted = sqlx::query(&format!(
            "INSERT INTO rewards ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (reward_id) DO NOTHING"
        ))
        .bind(id.as_str())
        .bind(r.tenant.as_str())
        .bind(r.game_id.as_str())
        .bind(r.player_id.as_str())
        .bind(r.team_id.clone())
        .bind(r.reward_type.as_str())
        .bind(r.reward_key.as_str())
        .bind(r.amount)
        .bind(r.payload.to_string())
        .bind(row.created_at_ms)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1;
        if !inserted {
            let first = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM rewards WHERE reward_id = $1"
            ))
            .bind(id.as_str())
            .fetch_one(&mut **tx)
            .await?;
            return Ok(Minted {
                row: decode_row(&first)?,
                first: false,
            });
        }
        let payload = serde_json::to_vec(&row).expect("a reward row serialises");
        let envelope = Envelope {
            event_id: id.clone(),
            tenant: r.tenant.clone(),
            key: id,
            kind: REWARD_MINTED.into(),
            ts_ms: row.created_at_ms,
            payload,
        };
        let event = OutboxEvent {
            topic: (self.reward_topic)(&r.reward_type),
            envelope,
        };
        insert_event(tx, &event).await?;
        Ok(Minted { row, first: true })
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
