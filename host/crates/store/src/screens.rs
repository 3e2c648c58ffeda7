//! What the web pages need (migration `0008_screens.sql`): browser
//! sessions, a game's projector (hashed token, freeze and reveal flags)
//! and a tenant's branding. Secrets are stored as hashes only; the API
//! hashes them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::from_sqlx;
use super::{Store, StoreError};

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Hex SHA-256 of the API key it was opened with.
    pub key_hash: String,
    /// When it ends, ms since the epoch.
    pub expires_at_ms: i64,
}

/// A game's projector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectorRow {
    /// Tenant.
    pub tenant_id: String,
    /// Game.
    pub game_id: String,
    /// Standings hidden from changes.
    pub frozen: bool,
    /// Podium shown.
    pub revealed: bool,
    /// The standings captured when it froze (JSON text).
    pub frozen_board: Option<String>,
}

/// A tenant's branding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrandingRow {
    /// Display name.
    pub name: String,
    /// Logo address.
    pub logo_url: Option<String>,
    /// Primary colour, `#rrggbb`.
    pub primary: Option<String>,
    /// Accent colour, `#rrggbb`.
    pub accent: Option<String>,
}

fn decode_projector(r: &AnyRow) -> Result<ProjectorRow, sqlx::Error> {
    Ok(ProjectorRow {
        tenant_id: r.try_get("tenant_id")?,
        game_id: r.try_get("game_id")?,
        frozen: r.try_get::<i64, _>("frozen")? != 0,
        revealed: r.try_get::<i64, _>("revealed")? != 0,
        frozen_board: r.try_get("frozen_board")?,
    })
}

const PROJECTOR_COLUMNS: &str = "tenant_id, game_id, frozen, revealed, frozen_board";

impl Store {
    /// Stores a new session.
    #[tracing::instrument(skip_all)]
    pub async fn create_session(
        &self,
        session_hash: &str,
        key_hash: &str,
        expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("create_session", || async {
                sqlx::query(
                    "INSERT INTO sessions (session_hash, key_hash, created_at_ms, expires_at_ms) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(session_hash)
                .bind(key_hash)
                .bind(now)
                .bind(expires_at_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await
    }

    /// The unexpired session with this hash. Whether its key is still
    /// live is the caller's check (the bootstrap key is not in the table).
    #[tracing::instrument(skip_all)]
    pub async fn find_session(&self, session_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let op = "find_session";
        let row = sqlx::query(
            "SELECT key_hash, expires_at_ms FROM sessions \
             WHERE session_hash = $1 AND expires_at_ms > $2",
        )
        .bind(session_hash)
        .bind(self.clock.now_ms())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?;
        row.map(|r| {
            Ok(SessionRow {
                key_hash: r.try_get("key_hash")?,
                expires_at_ms: r.try_get("expires_at_ms")?,
            })
        })
        .transpose()
        .map_err(|e| from_sqlx(op, e))
    }

    /// Deletes a session, and every expired one on the way (no sweeper
    /// needed: logins and logouts keep the table small).
    #[tracing::instrument(skip_all)]
    pub async fn delete_session(&self, session_hash: &str) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("delete_session", || async {
                sqlx::query("DELETE FROM sessions WHERE session_hash = $1 OR expires_at_ms <= $2")
                    .bind(session_hash)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            })
            .await
    }

    /// Sets the game's projector token (creating the projector, not
    /// frozen, if it has none); the previous token stops matching at once.
    #[tracing::instrument(skip(self, token_hash))]
    pub async fn rotate_projector(
        &self,
        tenant: &str,
        game_id: &str,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("rotate_projector", || async {
                sqlx::query(
                    "INSERT INTO projectors \
                     (tenant_id, game_id, token_hash, frozen, revealed, frozen_board, updated_at_ms) \
                     VALUES ($1, $2, $3, 0, 0, NULL, $4) ON CONFLICT (tenant_id, game_id) \
                     DO UPDATE SET token_hash = excluded.token_hash, updated_at_ms = excluded.updated_at_ms",
                )
                .bind(tenant)
                .bind(game_id)
                .bind(token_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await
    }

    /// Sets the game's freeze and reveal flags and the frozen standings
    /// (creating a projector without a token if it has none).
    #[tracing::instrument(skip(self, frozen_board))]
    pub async fn set_projector(
        &self,
        tenant: &str,
        game_id: &str,
        frozen: bool,
        revealed: bool,
        frozen_board: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("set_projector", || async {
                sqlx::query(
                    "INSERT INTO projectors \
                     (tenant_id, game_id, token_hash, frozen, revealed, frozen_board, updated_at_ms) \
                     VALUES ($1, $2, NULL, $3, $4, $5, $6) ON CONFLICT (tenant_id, game_id) \
                     DO UPDATE SET frozen = excluded.frozen, revealed = excluded.revealed, \
                     frozen_board = excluded.frozen_board, updated_at_ms = excluded.updated_at_ms",
                )
                .bind(tenant)
                .bind(game_id)
                .bind(i64::from(frozen))
                .bind(i64::from(revealed))
                .bind(frozen_board)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await
    }

    /// The game's projector, if it has one.
    #[tracing::instrument(skip(self))]
    pub async fn projector(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<Option<ProjectorRow>, StoreError> {
        let op = "projector";
        sqlx::query(&format!(
            "SELECT {PROJECTOR_COLUMNS} FROM projectors WHERE tenant_id = $1 AND game_id = $2"
        ))
        .bind(tenant)
        .bind(game_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?
        .as_ref()
        .map(decode_projector)
        .transpose()
        .map_err(|e| from_sqlx(op, e))
    }

    /// The projector whose current token has this hash.
    #[tracing::instrument(skip_all)]
    pub async fn projector_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ProjectorRow>, StoreError> {
        let op = "projector_by_token";
        sqlx::query(&format!(
            "SELECT {PROJECTOR_COLUMNS} FROM projectors WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?
        .as_ref()
        .map(decode_projector)
        .transpose()
        .map_err(|e| from_sqlx(op, e))
    }

    /// Stores the tenant's branding (upsert).
    #[tracing::instrument(skip(self, b))]
    pub async fn set_branding(&self, tenant: &str, b: &BrandingRow) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("set_branding", || async {
                sqlx::query(
                    "INSERT INTO branding \
                     (tenant_id, name, logo_url, primary_color, accent_color, updated_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO UPDATE SET \
                     name = excluded.name, logo_url = excluded.logo_url, \
                     primary_color = excluded.primary_color, accent_color = excluded.accent_color, \
                     updated_at_ms = excluded.updated_at_ms",
                )
                .bind(tenant)
                .bind(&b.name)
                .bind(b.logo_url.as_deref())
                .bind(b.primary.as_deref())
                .bind(b.accent.as_deref())
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await
    }

    /// The tenant's branding: the stored one, else its name from the
    /// tenants table and no logo or colours; `None` for no such tenant.
    #[tracing::instrument(skip(self))]
    pub async fn branding(&self, tenant: &str) -> Result<Option<BrandingRow>, StoreError> {
        let op = "branding";
        let row = sqlx::query(
            "SELECT COALESCE(b.name, t.name) AS name, b.logo_url, b.primary_color, b.accent_color \
             FROM tenants t LEFT JOIN branding b ON b.tenant_id = t.tenant_id \
             WHERE t.tenant_id = $1",
        )
        .bind(tenant)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?;
        row.map(|r| {
            Ok(BrandingRow {
                name: r.try_get("name")?,
                logo_url: r.try_get("logo_url")?,
                primary: r.try_get("primary_color")?,
                accent: r.try_get("accent_color")?,
            })
        })
        .transpose()
        .map_err(|e| from_sqlx(op, e))
    }
}
