//! Player evidence (migration `0008_screens.sql`): photos and texts a
//! player attaches to an action for a judge, stored content-addressed per
//! tenant (the id is the hex SHA-256 of the bytes, computed by the
//! caller), so the same bytes are stored once and another tenant's id
//! names nothing.

use sqlx::Row;

use super::error::from_sqlx;
use super::{Store, StoreError};

/// Stored evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Its media type, as first uploaded.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Store {
    /// Stores evidence under `evidence_id` for `tenant`; bytes already
    /// stored there are kept as they are (same id, same bytes).
    #[tracing::instrument(skip(self, bytes), fields(size = bytes.len()))]
    pub async fn put_evidence(
        &self,
        tenant: &str,
        evidence_id: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.retry
            .run("put_evidence", || async {
                sqlx::query(
                    "INSERT INTO evidence \
                     (tenant_id, evidence_id, content_type, bytes, size, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (tenant_id, evidence_id) DO NOTHING",
                )
                .bind(tenant)
                .bind(evidence_id)
                .bind(content_type)
                .bind(bytes)
                .bind(bytes.len() as i64)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await
    }

    /// The tenant's evidence with this id.
    #[tracing::instrument(skip(self))]
    pub async fn evidence(
        &self,
        tenant: &str,
        evidence_id: &str,
    ) -> Result<Option<Evidence>, StoreError> {
        let op = "evidence";
        let row = sqlx::query(
            "SELECT content_type, bytes FROM evidence WHERE tenant_id = $1 AND evidence_id = $2",
        )
        .bind(tenant)
        .bind(evidence_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| from_sqlx(op, e))?;
        row.map(|r| {
            Ok(Evidence {
                content_type: r.try_get("content_type")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .transpose()
        .map_err(|e| from_sqlx(op, e))
    }
}
