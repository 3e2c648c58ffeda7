//! Partner game types (migration `0005_plugins.sql`): component bytes stored
//! once per SHA-256 (`plugin_blobs`), and versions 1..n of each game type
//! (`plugin_versions`).
//!
//! A game type belongs to the partner that stored its version 1. The
//! caller validates the component and the name (and keeps built-in names
//! out); [`Store::add_plugin_version`] only decides, in one transaction,
//! whether the upload is a new version, one stored already, or another
//! partner's type. Two uploads racing for the same next version collide on
//! the primary key; the loser rereads and decides again, so each answer is
//! one of the three, never a database error.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::from_sqlx;
use super::retry::Failure;
use super::{Store, StoreError, begin, commit};

/// One stored version of a partner game type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginVersion {
    /// Game-type name (the component's `describe` name).
    pub game_type: String,
    /// 1..n per game type, in upload order.
    pub version: i64,
    /// The owning partner.
    pub partner_id: String,
    /// Hex SHA-256 of the component.
    pub hash: String,
    /// The component's own semver (`describe().version`).
    pub plugin_version: String,
    /// Component size in bytes.
    pub size: i64,
    /// When this version was stored, ms since the epoch.
    pub created_at_ms: i64,
}

/// A component to store as a version of its game type.
#[derive(Debug, Clone, Copy)]
pub struct NewPluginVersion<'a> {
    /// The uploading partner.
    pub partner_id: &'a str,
    /// Game-type name.
    pub game_type: &'a str,
    /// Hex SHA-256 of `bytes`.
    pub hash: &'a str,
    /// The component.
    pub bytes: &'a [u8],
    /// `describe().version`.
    pub plugin_version: &'a str,
}

/// What [`Store::add_plugin_version`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// Stored as a new version.
    New(PluginVersion),
    /// These bytes were already a version of this partner's type: nothing
    /// changed.
    Existing(PluginVersion),
    /// The game type belongs to another partner: nothing changed.
    OwnedByOther,
}

/// How often a collision on the next version number is retried: each retry
/// means another upload of the same type committed in between.
const VERSION_RACES: usize = 5;

const VERSION_COLUMNS: &str = "v.game_type, v.version, v.partner_id, v.hash, v.plugin_version, \
                               b.size, v.created_at_ms";

fn decode(r: &AnyRow) -> Result<PluginVersion, sqlx::Error> {
    Ok(PluginVersion {
        game_type: r.try_get("game_type")?,
        version: r.try_get("version")?,
        partner_id: r.try_get("partner_id")?,
        hash: r.try_get("hash")?,
        plugin_version: r.try_get("plugin_version")?,
        size: r.try_get("size")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

impl Store {
    /// Stores `new` as the next version of its game type, unless the type
    /// is another partner's or these bytes are a version of it already.
    #[tracing::instrument(skip_all, fields(partner = %new.partner_id, game_type = %new.game_type, hash = %new.hash))]
    pub async fn add_plugin_version(
        &self,
        new: NewPluginVersion<'_>,
    ) -> Result<Upload, StoreError> {
        for _ in 0..VERSION_RACES {
            let now = self.clock.now_ms();
            let outcome = self
                .retry
                .run("add_plugin_version", || async {
                    let mut tx = begin(&self.pool).await?;
                    let found = sqlx::query(&format!(
                        "SELECT {VERSION_COLUMNS} FROM plugin_versions v \
                         JOIN plugin_blobs b ON b.hash = v.hash \
                         WHERE v.game_type = $1 ORDER BY v.version"
                    ))
                    .bind(new.game_type)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(decode)
                    .collect::<Result<Vec<_>, _>>()?;
                    if found
                        .first()
                        .is_some_and(|v| v.partner_id != new.partner_id)
                    {
                        return Ok(Some(Upload::OwnedByOther));
                    }
                    if let Some(v) = found.iter().find(|v| v.hash == new.hash) {
                        return Ok(Some(Upload::Existing(v.clone())));
                    }
                    let version = found.last().map_or(1, |v| v.version + 1);
                    // Same hash, same bytes: an existing blob is kept.
                    sqlx::query(
                        "INSERT INTO plugin_blobs (hash, bytes, size, created_at_ms) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING",
                    )
                    .bind(new.hash)
                    .bind(new.bytes.to_vec())
                    .bind(new.bytes.len() as i64)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let inserted = sqlx::query(
                        "INSERT INTO plugin_versions (game_type, version, partner_id, hash, \
                         plugin_version, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(new.game_type)
                    .bind(version)
                    .bind(new.partner_id)
                    .bind(new.hash)
                    .bind(new.plugin_version)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if !inserted {
                        // Another upload took this version number (or these
                        // bytes) first: decide again on what it stored.
                        return Ok(None);
                    }
                    commit(tx).await?;
                    Ok(Some(Upload::New(PluginVersion {
                        game_type: new.game_type.to_string(),
                        version,
                        partner_id: new.partner_id.to_string(),
                        hash: new.hash.to_string(),
                        plugin_version: new.plugin_version.to_string(),
                        size: new.bytes.len() as i64,
                        created_at_ms: now,
                    })))
                })
                .await?;
            if let Some(o) = outcome {
                return Ok(o);
            }
        }
        Err(StoreError::Contended {
            op: "add_plugin_version",
        })
    }

    /// Every version of `game_type`, ascending (empty when it has none).
    #[tracing::instrument(skip(self))]
    pub async fn plugin_versions(&self, game_type: &str) -> Result<Vec<PluginVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions v \
             JOIN plugin_blobs b ON b.hash = v.hash \
             WHERE v.game_type = $1 ORDER BY v.version"
        );
        self.versions("plugin_versions", &sql, game_type).await
    }

    /// How many games (all tenants) run each component of `game_type`, by
    /// content hash: what a partner sees per version (counts only, never
    /// which tenants).
    #[tracing::instrument(skip(self))]
    pub async fn games_per_plugin(
        &self,
        game_type: &str,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        self.retry
            .run("games_per_plugin", || async {
                let rows = sqlx::query(
                    "SELECT plugin_hash, COUNT(*) AS n FROM games WHERE game_type = $1 \
                     GROUP BY plugin_hash",
                )
                .bind(game_type)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| Ok((r.try_get("plugin_hash")?, r.try_get("n")?)))
                    .collect::<Result<_, sqlx::Error>>()?)
            })
            .await
    }

    /// The latest version of each of `partner_id`'s game types, by name.
    #[tracing::instrument(skip(self))]
    pub async fn partner_game_types(
        &self,
        partner_id: &str,
    ) -> Result<Vec<PluginVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions v \
             JOIN plugin_blobs b ON b.hash = v.hash \
             WHERE v.partner_id = $1 AND v.version = \
               (SELECT MAX(l.version) FROM plugin_versions l WHERE l.game_type = v.game_type) \
             ORDER BY v.game_type"
        );
        self.versions("partner_game_types", &sql, partner_id).await
    }

    /// The version stored with content hash `hash`, if any.
    #[tracing::instrument(skip(self))]
    pub async fn plugin_version_by_hash(
        &self,
        hash: &str,
    ) -> Result<Option<PluginVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions v \
             JOIN plugin_blobs b ON b.hash = v.hash WHERE v.hash = $1"
        );
        Ok(self
            .versions("plugin_version_by_hash", &sql, hash)
            .await?
            .into_iter()
            .next())
    }

    /// The newest stored version of every partner game type (what each
    /// host makes current), by game type.
    #[tracing::instrument(skip(self))]
    pub async fn newest_plugin_versions(&self) -> Result<Vec<PluginVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions v \
             JOIN plugin_blobs b ON b.hash = v.hash \
             WHERE v.version = (SELECT MAX(w.version) FROM plugin_versions w \
                                WHERE w.game_type = v.game_type) \
             ORDER BY v.game_type"
        );
        self.retry
            .run("newest_plugin_versions", || async {
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(decode)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(Failure::from)
            })
            .await
    }

    /// The stored component with content hash `hash`, if any.
    #[tracing::instrument(skip(self))]
    pub async fn plugin_bytes(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.retry
            .run("plugin_bytes", || async {
                let row = sqlx::query("SELECT bytes FROM plugin_blobs WHERE hash = $1")
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.try_get::<Vec<u8>, _>("bytes")).transpose()?)
            })
            .await
    }

    /// Every stored version with its bytes, by game type then version: what
    /// a starting host registers, in this order, so each type's newest
    /// version ends up current.
    #[tracing::instrument(skip(self))]
    pub async fn all_plugin_components(&self) -> Result<Vec<(PluginVersion, Vec<u8>)>, StoreError> {
        let op = "all_plugin_components";
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS}, b.bytes FROM plugin_versions v \
             JOIN plugin_blobs b ON b.hash = v.hash ORDER BY v.game_type, v.version"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?;
        rows.iter()
            .map(|r| Ok((decode(r)?, r.try_get::<Vec<u8>, _>("bytes")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| from_sqlx(op, e))
    }

    async fn versions(
        &self,
        op: &'static str,
        sql: &str,
        arg: &str,
    ) -> Result<Vec<PluginVersion>, StoreError> {
        self.retry
            .run(op, || async {
                let rows = sqlx::query(sql).bind(arg).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(decode)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(Failure::from)
            })
            .await
    }
}
