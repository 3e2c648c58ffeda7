//! Player tokens (migration `0004_players.sql`): the credential of one
//! player in one game of one tenant. Only the token's hash is stored.

use std::sync::LazyLock;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::from_sqlx;
use super::{ROWS_PER_STATEMENT, Store, StoreError, begin, commit, rows_placeholders};

/// A stored player token (never the secret: only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerTokenRow {
    /// Hex SHA-256 of the secret.
    pub token_hash: String,
    /// Tenant of the game.
    pub tenant_id: String,
    /// The game the token may play.
    pub game_id: String,
    /// The player it acts as.
    pub player_id: String,
    /// The player's team, if the game is played in teams.
    pub team_id: Option<String>,
}

/// The columns [`token_row`] reads, in a `SELECT`.
pub(crate) const TOKEN_COLUMNS: &str = "token_hash, tenant_id, game_id, player_id, team_id";

/// A `player_tokens` row selected with [`TOKEN_COLUMNS`].
pub(crate) fn token_row(row: &AnyRow) -> Result<PlayerTokenRow, sqlx::Error> {
    Ok(PlayerTokenRow {
        token_hash: row.try_get("token_hash")?,
        tenant_id: row.try_get("tenant_id")?,
        game_id: row.try_get("game_id")?,
        player_id: row.try_get("player_id")?,
        team_id: row.try_get("team_id")?,
    })
}

impl Store {
    /// Stores a new player token. `false` when the hash exists already (a
    /// 256-bit collision: in practice a bug).
    #[tracing::instrument(skip(self, row), fields(tenant = %row.tenant_id, game = %row.game_id, player = %row.player_id))]
    pub async fn insert_player_token(&self, row: &PlayerTokenRow) -> Result<bool, StoreError> {
        self.retry
            .run("insert_player_token", || async {
                let n = sqlx::query(
                    "INSERT INTO player_tokens \
                     (token_hash, tenant_id, game_id, player_id, team_id, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_hash) DO NOTHING",
                )
                .bind(&row.token_hash)
                .bind(&row.tenant_id)
                .bind(&row.game_id)
                .bind(&row.player_id)
                .bind(row.team_id.as_deref())
                .bind(self.clock.now_ms())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            })
            .await
    }

    /// Deletes every token of `player` in `tenant`'s `game` (all their
    /// devices); the number deleted. A deleted token is refused from the
    /// next request on (tokens are looked up per request, never cached;
    /// see module `token_lookups`).
    #[tracing::instrument(skip(self))]
    pub async fn revoke_player_tokens(
        &self,
        tenant: &str,
        game_id: &str,
        player_id: &str,
    ) -> Result<u64, StoreError> {
        self.retry
            .run("revoke_player_tokens", || async {
                Ok(sqlx::query(
                    "DELETE FROM player_tokens \
                     WHERE tenant_id = $1 AND game_id = $2 AND player_id = $3",
                )
                .bind(tenant)
                .bind(game_id)
                .bind(player_id)
                .execute(&self.pool)
                .await?
                .rows_affected())
            })
            .await
    }

    /// The player token with this hash. Concurrent lookups share one
    /// query (`database.token_lookup_batch_max`, module `token_lookups`);
    /// nothing is cached, so a revoked token is refused from the next
    /// request on.
    #[tracing::instrument(skip_all)]
    pub async fn find_player_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<PlayerTokenRow>, StoreError> {
        if let Some(found) = self.token_lookups.find(self, token_hash).await {
            return Ok(found);
        }
        let op = "find_player_token";
        static FIND_ONE: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {TOKEN_COLUMNS} FROM player_tokens WHERE token_hash = $1")
        });
        let row = sqlx::query(&FIND_ONE)
            .bind(token_hash)
            .fetch_optional(&self.reads)
            .await
            .map_err(|e| from_sqlx(op, e))?;
        row.map(|r| token_row(&r))
            .transpose()
            .map_err(|e| from_sqlx(op, e))
    }

    /// Player-token lookups since the store opened: (queries run, lookups
    /// they answered) by the batched path; their ratio is its mean batch.
    pub fn token_lookup_counts(&self) -> (u64, u64) {
        self.token_lookups.counts()
    }

    /// Stores every token of `rows` in one transaction: all or none. `false`
    /// (nothing stored) when a hash exists already (a 256-bit collision).
    #[tracing::instrument(skip_all, fields(tokens = rows.len()))]
    pub async fn insert_player_tokens(&self, rows: &[PlayerTokenRow]) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("insert_player_tokens", || async {
                let mut tx = begin(&self.pool).await?;
                let mut inserted = 0;
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "INSERT INTO player_tokens \
                         (token_hash, tenant_id, game_id, player_id, team_id, created_at_ms) \
                         VALUES {} ON CONFLICT (token_hash) DO NOTHING",
                        rows_placeholders(chunk.len(), 6)
                    );
                    let mut q = sqlx::query(&sql);
                    for r in chunk {
                        q = q
                            .bind(&r.token_hash)
                            .bind(&r.tenant_id)
                            .bind(&r.game_id)
                            .bind(&r.player_id)
                            .bind(r.team_id.as_deref())
                            .bind(now);
                    }
                    inserted += q.execute(&mut *tx).await?.rows_affected();
                }
                if inserted != rows.len() as u64 {
                    // Dropping the transaction rolls it back.
                    return Ok(false);
                }
                commit(tx).await?;
                Ok(true)
            })
            .await
    }

    /// The players holding a token in the game (revoked tokens are
    /// deleted, so every row is live), by id, each with a team (the
    /// greatest, should their tokens name different teams).
    #[tracing::instrument(skip(self))]
    pub async fn game_players(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        self.retry
            .run("game_players", || async {
                let rows = sqlx::query(
                    "SELECT player_id, MAX(team_id) AS team_id FROM player_tokens \
                     WHERE tenant_id = $1 AND game_id = $2 GROUP BY player_id ORDER BY player_id",
                )
                .bind(tenant)
                .bind(game_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| Ok((r.try_get("player_id")?, r.try_get("team_id")?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?)
            })
            .await
    }
}
