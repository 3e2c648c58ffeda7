//! Tenants, partners, API keys (hashed) and the game types each tenant has
//! enabled (migration `0003_tenancy.sql`).
//!
//! Ids are validated by the caller (the API); these functions only store.
//! Creating something that exists answers `None`/`false`, not an error, so
//! the API can say 409 without parsing database error codes, which differ
//! between Postgres and SQLite.

use sqlx::Row;

use super::error::from_sqlx;
use super::{Store, StoreError};

/// A stored API key (never the secret: only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Hex SHA-256 of the secret.
    pub key_hash: String,
    /// `operator`, `partner` or `tenant`.
    pub role: String,
    /// The tenant of a tenant key.
    pub tenant_id: Option<String>,
    /// The partner of a partner key.
    pub partner_id: Option<String>,
}

/// One row of `tenant_game_types`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantGameType {
    /// Game-type name.
    pub game_type: String,
    /// Whether the tenant may start games of it.
    pub enabled: bool,
    /// Last change, ms since the epoch.
    pub updated_at_ms: i64,
}

impl Store {
    /// A trivial query, for readiness checks.
    #[tracing::instrument(skip(self))]
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| from_sqlx("ping", e))?;
        Ok(())
    }

    /// Creates a tenant, returning its `created_at_ms`; `None` when the id is
    /// taken (nothing changed).
    #[tracing::instrument(skip(self))]
    pub async fn create_tenant(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_named("create_tenant", "tenants", "tenant_id", tenant_id, name)
            .await
    }

    /// Creates a partner, returning its `created_at_ms`; `None` when the id
    /// is taken (nothing changed).
    #[tracing::instrument(skip(self))]
    pub async fn create_partner(
        &self,
        partner_id: &str,
        name: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_named("create_partner", "partners", "partner_id", partner_id, name)
            .await
    }

    /// `table` and `column` are our constants, never caller input.
    async fn insert_named(
        &self,
        op: &'static str,
        table: &'static str,
        column: &'static str,
        id: &str,
        name: &str,
    ) -> Result<Option<i64>, StoreError> {
        let sql = format!(
            "INSERT INTO {table} ({column}, name, created_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT ({column}) DO NOTHING"
        );
        let now = self.clock.now_ms();
        self.retry
            .run(op, || async {
                let n = sqlx::query(&sql)
                    .bind(id)
                    .bind(name)
                    .bind(now)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok((n == 1).then_some(now))
            })
            .await
    }

    /// Whether tenant `tenant_id` exists.
    #[tracing::instrument(skip(self))]
    pub async fn tenant_exists(&self, tenant_id: &str) -> Result<bool, StoreError> {
        self.exists(
            "tenant_exists",
            "SELECT 1 FROM tenants WHERE tenant_id = $1",
            tenant_id,
        )
        .await
    }

    /// Whether partner `partner_id` exists.
    #[tracing::instrument(skip(self))]
    pub async fn partner_exists(&self, partner_id: &str) -> Result<bool, StoreError> {
        self.exists(
            "partner_exists",
            "SELECT 1 FROM partners WHERE partner_id = $1",
            partner_id,
        )
        .await
    }

    async fn exists(&self, op: &'static str, sql: &str, id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| from_sqlx(op, e))?;
        Ok(row.is_some())
    }

    /// Stores a new key. `false` when the hash exists already (a 256-bit
    /// collision: in practice a bug).
    #[tracing::instrument(skip(self, key), fields(role = %key.role))]
    pub async fn insert_api_key(&self, key: &ApiKeyRow) -> Result<bool, StoreError> {
        self.retry
            .run("insert_api_key", || async {
                let n = sqlx::query(
                    "INSERT INTO api_keys (key_hash, role, tenant_id, partner_id, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_hash) DO NOTHING",
                )
                .bind(&key.key_hash)
                .bind(&key.role)
                .bind(key.tenant_id.as_deref())
                .bind(key.partner_id.as_deref())
                .bind(self.clock.now_ms())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            })
            .await
    }

    /// Revokes the live key whose hash starts with `key_id` (16 lowercase
    /// hex, checked by the caller); `false` when there is none. Takes effect
    /// on the next request: keys are looked up on every request.
    #[tracing::instrument(skip(self))]
    pub async fn revoke_api_key(&self, key_id: &str) -> Result<bool, StoreError> {
        self.retry
            .run("revoke_api_key", || async {
                let n = sqlx::query(
                    "UPDATE api_keys SET revoked_at_ms = $1 \
                     WHERE key_hash LIKE $2 AND revoked_at_ms IS NULL",
                )
                .bind(self.clock.now_ms())
                .bind(format!("{key_id}%"))
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n > 0)
            })
            .await
    }

    /// The live (not revoked) key with this hash.
    #[tracing::instrument(skip_all)]
    pub async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let op = "find_api_key";
        let row = sqlx::query(
            "SELECT key_hash, role, tenant_id, partner_id FROM api_keys \
             WHERE key_hash = $1 AND revoked_at_ms IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ApiKeyRow {
            key_hash: row.try_get("key_hash").map_err(|e| from_sqlx(op, e))?,
            role: row.try_get("role").map_err(|e| from_sqlx(op, e))?,
            tenant_id: row.try_get("tenant_id").map_err(|e| from_sqlx(op, e))?,
            partner_id: row.try_get("partner_id").map_err(|e| from_sqlx(op, e))?,
        }))
    }

    /// Enables or disables `game_type` for `tenant_id` (upsert).
    #[tracing::instrument(skip(self))]
    pub async fn set_game_type(
        &self,
        tenant_id: &str,
        game_type: &str,
        enabled: bool,
    ) -> Result<TenantGameType, StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("set_game_type", || async {
                sqlx::query(
                    "INSERT INTO tenant_game_types (tenant_id, game_type, enabled, updated_at_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, game_type) \
                     DO UPDATE SET enabled = excluded.enabled, updated_at_ms = excluded.updated_at_ms",
                )
                .bind(tenant_id)
                .bind(game_type)
                .bind(enabled)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await?;
        Ok(TenantGameType {
            game_type: game_type.to_string(),
            enabled,
            updated_at_ms: now,
        })
    }

    /// The tenant's game-type rows, by name.
    #[tracing::instrument(skip(self))]
    pub async fn list_game_types(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<TenantGameType>, StoreError> {
        let op = "list_game_types";
        let rows = sqlx::query(
            // SQLite hands a BOOLEAN column back as an integer and sqlx's Any
            // driver will not decode that as bool: read 0/1 on both.
            "SELECT game_type, CASE WHEN enabled THEN 1 ELSE 0 END AS enabled_n, updated_at_ms \
             FROM tenant_game_types \
             WHERE tenant_id = $1 ORDER BY game_type",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?;
        rows.iter()
            .map(|r| {
                Ok(TenantGameType {
                    game_type: r.try_get("game_type")?,
                    enabled: r.try_get::<i64, _>("enabled_n")? != 0,
                    updated_at_ms: r.try_get("updated_at_ms")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| from_sqlx(op, e))
    }
}
