//! What the operator lists (the operator page): tenants, partners and API
//! keys, newest first, at most a caller-given number. Keys come with
//! their hash (never a secret: none is stored); the API shows only the
//! public id it derives from it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

/// A tenant or a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// When it was created, ms since the epoch.
    pub created_at_ms: i64,
}

/// An API key as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    /// Hex SHA-256 of the secret.
    pub key_hash: String,
    /// `operator`, `partner` or `tenant`.
    pub role: String,
    /// The tenant of a tenant key.
    pub tenant_id: Option<String>,
    /// The partner of a partner key.
    pub partner_id: Option<String>,
    /// When it was issued, ms since the epoch.
    pub created_at_ms: i64,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
}

fn named(row: &AnyRow, id: &str) -> Result<Named, sqlx::Error> {
    Ok(Named {
        id: row.try_get(id)?,
        name: row.try_get("name")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl Store {
    /// The newest `limit` tenants.
    #[tracing::instrument(skip(self))]
    pub async fn list_tenants(&self, limit: usize) -> Result<Vec<Named>, StoreError> {
        self.list_named("list_tenants", "tenants", "tenant_id", limit)
            .await
    }

    /// The newest `limit` partners.
    #[tracing::instrument(skip(self))]
    pub async fn list_partners(&self, limit: usize) -> Result<Vec<Named>, StoreError> {
        self.list_named("list_partners", "partners", "partner_id", limit)
            .await
    }

    async fn list_named(
        &self,
        op: &'static str,
        table: &'static str,
        id: &'static str,
        limit: usize,
    ) -> Result<Vec<Named>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.retry
            .run(op, || async {
                let rows = sqlx::query(&format!(
                    "SELECT {id}, name, created_at_ms FROM {table} \
                     ORDER BY created_at_ms DESC, {id} LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| named(r, id))
                    .collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// The newest `limit` API keys, revoked ones included.
    #[tracing::instrument(skip(self))]
    pub async fn list_api_keys(&self, limit: usize) -> Result<Vec<KeyListing>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.retry
            .run("list_api_keys", || async {
                let rows = sqlx::query(
                    "SELECT key_hash, role, tenant_id, partner_id, created_at_ms, revoked_at_ms \
                     FROM api_keys ORDER BY created_at_ms DESC, key_hash LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(KeyListing {
                        key_hash: r.try_get("key_hash")?,
                        role: r.try_get("role")?,
                        tenant_id: r.try_get("tenant_id")?,
                        partner_id: r.try_get("partner_id")?,
                        created_at_ms: r.try_get("created_at_ms")?,
                        revoked_at_ms: r.try_get("revoked_at_ms")?,
                    });
                }
                Ok(out)
            })
            .await
    }
}
