//! Client idempotency keys: a retried action is answered with the first
//! result, never applied twice.
//!
//! `claim` before doing the work, `complete` with the response after it.
//! Claims of concurrent requests are written together (`claims`): a new
//! key costs a share of one commit, not a commit of its own.
//! A claim still in progress after `database.idempotency_claim_ttl_ms` is
//! taken to be abandoned (the request died between claim and complete) and
//! can be claimed again. The work itself must still be idempotent (mints
//! are, by `reward_id`): a slow request outliving the TTL may run twice.

use sqlx::Row;

use super::{Store, StoreError};

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its earlier claim was abandoned): do the work,
    /// then `complete`.
    Fresh,
    /// Already done: answer with these response bytes.
    Replay(Vec<u8>),
    /// Another request with this key is in progress: ask the client to
    /// retry later.
    InProgress,
    /// The key's earlier claim was abandoned (older than
    /// `database.idempotency_claim_ttl_ms`, never completed) and is now
    /// this request's: the work may or may not have been done, so look
    /// for its result before doing it again.
    TakenOver,
    /// The key was used for a different request (another request hash).
    Mismatch,
}

impl Store {
    /// Claims `key` for a request whose body hashes to `request_hash`.
    #[tracing::instrument(skip(self, request_hash))]
    pub async fn claim(
        &self,
        tenant: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Claim, StoreError> {
        let batched = self.claims.claim(self, tenant, key, request_hash).await;
        if batched == Some(true) {
            return Ok(Claim::Fresh);
        }
        // Seen before, twice in one group, or the group failed: decide
        // this key alone.
        self.retry
            .run("idempotency_claim", || async {
                let now = self.clock.now_ms();
                let fresh = sqlx::query(super::claims::CLAIM_ONE.as_str())
                    .bind(tenant)
                    .bind(key)
                    .bind(request_hash)
                    .bind(now)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1;
                if fresh {
                    return Ok(Claim::Fresh);
                }
                let row = sqlx::query(
                    "SELECT request_hash, response, created_at_ms, completed_at_ms \
                     FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
                )
                .bind(tenant)
                .bind(key)
                .fetch_one(&self.pool)
                .await?;
                let hash: String = row.try_get("request_hash")?;
                if hash != request_hash {
                    return Ok(Claim::Mismatch);
                }
                let completed: Option<i64> = row.try_get("completed_at_ms")?;
                if completed.is_some() {
                    let response: Option<Vec<u8>> = row.try_get("response")?;
                    return Ok(Claim::Replay(response.unwrap_or_default()));
                }
                let created: i64 = row.try_get("created_at_ms")?;
                if now - created < self.claim_ttl_ms {
                    return Ok(Claim::InProgress);
                }
                // Abandoned: take it over, unless someone else just did
                // (the compare on created_at_ms decides who).
                let taken = sqlx::query(
                    "UPDATE idempotency_keys SET created_at_ms = $1 WHERE tenant_id = $2 \
                     AND key = $3 AND completed_at_ms IS NULL AND created_at_ms = $4",
                )
                .bind(now)
                .bind(tenant)
                .bind(key)
                .bind(created)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1;
                Ok(if taken {
                    Claim::TakenOver
                } else {
                    Claim::InProgress
                })
            })
            .await
    }

    /// Stores the response of a claimed request; later claims replay it.
    /// Completing twice keeps the first response.
    #[tracing::instrument(skip(self, response))]
    pub async fn complete(
        &self,
        tenant: &str,
        key: &str,
        response: &[u8],
    ) -> Result<(), StoreError> {
        let done = self
            .retry
            .run("idempotency_complete", || async {
                let n = sqlx::query(
                    "UPDATE idempotency_keys SET response = $1, completed_at_ms = $2 \
                     WHERE tenant_id = $3 AND key = $4 AND completed_at_ms IS NULL",
                )
                .bind(response.to_vec())
                .bind(self.clock.now_ms())
                .bind(tenant)
                .bind(key)
                .execute(&self.pool)
                .await?
                .rows_affected();
                if n == 1 {
                    return Ok(true);
                }
                // Already completed (a retried complete) is fine.
                let row = sqlx::query(
                    "SELECT 1 AS one FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 \
                     AND completed_at_ms IS NOT NULL",
                )
                .bind(tenant)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            })
            .await?;
        if done {
            Ok(())
        } else {
            Err(StoreError::NotClaimed)
        }
    }

    /// Drops a claim that is still in progress (no response stored): the
    /// request it guarded was refused before anything was sent (the host
    /// at capacity), so a retry must start afresh, not wait for an action
    /// that never entered the stream. A completed key is kept.
    #[tracing::instrument(skip(self))]
    pub async fn release(&self, tenant: &str, key: &str) -> Result<(), StoreError> {
        self.retry
            .run("idempotency_release", || async {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 \
                     AND completed_at_ms IS NULL",
                )
                .bind(tenant)
                .bind(key)
                .execute(&self.pool)
                .await?;
                Ok(())
            })
            .await
    }
}
