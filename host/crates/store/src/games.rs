//! Games and their state snapshots (migration `0002_games.sql`).
//!
//! A game row pins the component it started with (`plugin_hash`), its
//! config and its seed: with those and the game stream, any processor can
//! rebuild the game. A snapshot is the state after every game-stream record
//! below `next_offset`; it only ever moves forward, so a slow processor that
//! lost the partition cannot overwrite a newer snapshot with an older one.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, begin, commit};

/// A game as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameRow {
    /// Owning tenant.
    pub tenant: String,
    /// Game id, unique per tenant.
    pub game_id: String,
    /// Game type (`scavenger`, ...): picks the `game.v1.<type>` topic.
    pub game_type: String,
    /// Content hash of the pinned component.
    pub plugin_hash: String,
    /// The tenant's config, JSON text, as accepted by `init`.
    pub config: String,
    /// The seed given to `init`.
    pub seed: u64,
    /// Game status (`waiting`, `running`, `paused`, `finished`), as of the
    /// latest snapshot.
    pub status: String,
    /// When it was created, ms since the Unix epoch.
    pub created_at_ms: i64,
}

/// A game's state at a stream position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Owning tenant.
    pub tenant: String,
    /// Game id.
    pub game_id: String,
    /// The plugin's state bytes.
    pub state: Vec<u8>,
    /// Game-stream topic.
    pub topic: String,
    /// Game-stream partition (the one the game id hashes to).
    pub partition: u32,
    /// Every record of the partition below this offset is in `state`.
    pub next_offset: i64,
    /// Actions applied (accepted or rejected) since the game started.
    pub actions_applied: i64,
    /// When it was written, ms since the Unix epoch.
    pub updated_at_ms: i64,
}

/// Whether [`Store::create_game`] created the game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// New game.
    New,
    /// A game with this id already existed; nothing changed.
    Exists,
}

fn decode_game(r: &AnyRow) -> Result<GameRow, sqlx::Error> {
    let seed: i64 = r.try_get("seed")?;
    Ok(GameRow {
        tenant: r.try_get("tenant_id")?,
        game_id: r.try_get("game_id")?,
        game_type: r.try_get("game_type")?,
        plugin_hash: r.try_get("plugin_hash")?,
        config: r.try_get("config")?,
        // Stored as the same 64 bits, signed (no unsigned SQL type).
        seed: seed as u64,
        status: r.try_get("status")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

fn decode_snapshot(r: &AnyRow) -> Result<Snapshot, sqlx::Error> {
    let partition: i64 = r.try_get("partition_no")?;
    Ok(Snapshot {
        tenant: r.try_get("tenant_id")?,
        game_id: r.try_get("game_id")?,
        state: r.try_get("state")?,
        topic: r.try_get("topic")?,
        partition: partition as u32,
        next_offset: r.try_get("next_offset")?,
        actions_applied: r.try_get("actions_applied")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}

const GAME_COLUMNS: &str =
    "tenant_id, game_id, game_type, plugin_hash, config, seed, status, created_at_ms";
const SNAPSHOT_COLUMNS: &str = "tenant_id, game_id, state, topic, partition_no, next_offset, \
                                actions_applied, updated_at_ms";

impl Store {
    /// Creates a game and its initial snapshot in one transaction. An
    /// existing game id is left as it was ([`Created::Exists`]): game ids
    /// are never reused, so a retried create is a no-op.
    #[tracing::instrument(skip_all, fields(tenant = %game.tenant, game = %game.game_id))]
    pub async fn create_game(
        &self,
        game: &GameRow,
        initial: &Snapshot,
    ) -> Result<Created, StoreError> {
        self.retry
            .run("create_game", || async {
                let mut tx = begin(&self.pool).await?;
                let inserted = sqlx::query(&format!(
                    "INSERT INTO games ({GAME_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant_id, game_id) DO NOTHING"
                ))
                .bind(game.tenant.as_str())
                .bind(game.game_id.as_str())
                .bind(game.game_type.as_str())
                .bind(game.plugin_hash.as_str())
                .bind(game.config.as_str())
                .bind(game.seed as i64)
                .bind(game.status.as_str())
                .bind(game.created_at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !inserted {
                    return Ok(Created::Exists);
                }
                upsert_snapshot(&mut tx, initial, None, self.clock.now_ms()).await?;
                commit(tx).await?;
                Ok(Created::New)
            })
            .await
    }

    /// The game `tenant`/`game_id`, if it exists.
    #[tracing::instrument(skip(self))]
    pub async fn game(&self, tenant: &str, game_id: &str) -> Result<Option<GameRow>, StoreError> {
        self.retry
            .run("game", || async {
                let row = sqlx::query(&format!(
                    "SELECT {GAME_COLUMNS} FROM games WHERE tenant_id = $1 AND game_id = $2"
                ))
                .bind(tenant)
                .bind(game_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(decode_game).transpose()?)
            })
            .await
    }

    /// The tenant's games, newest first (ties: by id).
    #[tracing::instrument(skip(self))]
    pub async fn list_games(&self, tenant: &str) -> Result<Vec<GameRow>, StoreError> {
        self.retry
            .run("list_games", || async {
                let rows = sqlx::query(&format!(
                    "SELECT {GAME_COLUMNS} FROM games WHERE tenant_id = $1 \
                     ORDER BY created_at_ms DESC, game_id"
                ))
                .bind(tenant)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(decode_game).collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Up to `limit` games not yet finished (as of their latest snapshot)
    /// after `after` = (tenant, game id) in key order: the host ticker's
    /// work list, read in pages so a large table is never loaded at once.
    #[tracing::instrument(skip(self))]
    pub async fn unfinished_games(
        &self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<GameRow>, StoreError> {
        let (t, g) = after.unwrap_or(("", ""));
        self.retry
            .run("unfinished_games", || async {
                let rows = sqlx::query(&format!(
                    "SELECT {GAME_COLUMNS} FROM games WHERE status NOT IN ('finished', 'parked') \
                     AND (tenant_id > $1 OR (tenant_id = $1 AND game_id > $2)) \
                     ORDER BY tenant_id, game_id LIMIT $3"
                ))
                .bind(t)
                .bind(g)
                .bind(limit.min(i64::MAX as usize) as i64)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(decode_game).collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Stores `snap` unless the stored snapshot is already further along
    /// the stream (returns `false` then), and records `status` on the game.
    #[tracing::instrument(skip_all, fields(tenant = %snap.tenant, game = %snap.game_id, next_offset = snap.next_offset))]
    pub async fn save_snapshot(&self, snap: &Snapshot, status: &str) -> Result<bool, StoreError> {
        self.retry
            .run("save_snapshot", || async {
                let mut tx = begin(&self.pool).await?;
                let saved =
                    upsert_snapshot(&mut tx, snap, Some(status), self.clock.now_ms()).await?;
                commit(tx).await?;
                Ok(saved)
            })
            .await
    }

    /// [`Store::save_snapshot`] for many games in one transaction (one
    /// fsync instead of one per game); per snapshot, whether it was saved.
    #[tracing::instrument(skip_all, fields(n = snaps.len()))]
    pub async fn save_snapshots(
        &self,
        snaps: &[(Snapshot, String)],
    ) -> Result<Vec<bool>, StoreError> {
        self.retry
            .run("save_snapshots", || async {
                let mut tx = begin(&self.pool).await?;
                let mut out = Vec::with_capacity(snaps.len());
                for (snap, status) in snaps {
                    out.push(
                        upsert_snapshot(&mut tx, snap, Some(status), self.clock.now_ms()).await?,
                    );
                }
                commit(tx).await?;
                Ok(out)
            })
            .await
    }

    /// Records `status` on a game (the processor parks a game with it).
    #[tracing::instrument(skip(self))]
    pub async fn set_game_status(
        &self,
        tenant: &str,
        game_id: &str,
        status: &str,
    ) -> Result<(), StoreError> {
        self.retry
            .run("set_game_status", || async {
                sqlx::query("UPDATE games SET status = $1 WHERE tenant_id = $2 AND game_id = $3")
                    .bind(status)
                    .bind(tenant)
                    .bind(game_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            })
            .await
    }

    /// The latest snapshot of a game, if it exists.
    #[tracing::instrument(skip(self))]
    pub async fn snapshot(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        self.retry
            .run("snapshot", || async {
                let row = sqlx::query(&format!(
                    "SELECT {SNAPSHOT_COLUMNS} FROM game_snapshots \
                     WHERE tenant_id = $1 AND game_id = $2"
                ))
                .bind(tenant)
                .bind(game_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(decode_snapshot).transpose()?)
            })
            .await
    }
}

async fn upsert_snapshot(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    s: &Snapshot,
    status: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    // Forward only: an older position never replaces a newer one.
    let saved = sqlx::query(&format!(
        "INSERT INTO game_snapshots ({SNAPSHOT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (tenant_id, game_id) DO UPDATE SET state = excluded.state, \
         topic = excluded.topic, partition_no = excluded.partition_no, \
         next_offset = excluded.next_offset, actions_applied = excluded.actions_applied, \
         updated_at_ms = excluded.updated_at_ms \
         WHERE game_snapshots.next_offset <= excluded.next_offset"
    ))
    .bind(s.tenant.as_str())
    .bind(s.game_id.as_str())
    .bind(s.state.clone())
    .bind(s.topic.as_str())
    .bind(i64::from(s.partition))
    .bind(s.next_offset)
    .bind(s.actions_applied)
    .bind(if s.updated_at_ms == 0 {
        now
    } else {
        s.updated_at_ms
    })
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if saved && let Some(status) = status {
        sqlx::query("UPDATE games SET status = $1 WHERE tenant_id = $2 AND game_id = $3")
            .bind(status)
            .bind(s.tenant.as_str())
            .bind(s.game_id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(saved)
}
