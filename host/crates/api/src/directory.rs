//! What the operator page lists: `GET /v1/tenants`, `GET /v1/partners`
//! and `GET /v1/keys` (operator only), newest first, at most
//! `api.max_listed` each. Keys are listed by their public id (what `DELETE
//! /v1/keys/{key_id}` takes), role, owner and dates; never a secret or a
//! hash.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Operator;
use super::{ApiError, AppState};
use veltrix_store::{KeyListing, Named};

/// A tenant or partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listed {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was created, ms since the epoch.
    pub created_at_ms: i64,
}

/// `GET /v1/tenants`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    /// Newest first.
    pub tenants: Vec<Listed>,
}

/// `GET /v1/partners`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerList {
    /// Newest first.
    pub partners: Vec<Listed>,
}

/// One API key.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Public id (16 hex): what `DELETE /v1/keys/{key_id}` takes.
    pub key_id: String,
    /// `operator`, `partner` or `tenant`.
    pub role: String,
    /// The tenant of a tenant key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The partner of a partner key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// When it was issued, ms since the epoch.
    pub created_at_ms: i64,
    /// When it was revoked; absent while it works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<i64>,
}

/// `GET /v1/keys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    /// Newest first, revoked ones included.
    pub keys: Vec<KeyView>,
}

fn listed(v: Vec<Named>) -> Vec<Listed> {
    v.into_iter()
        .map(|n| Listed {
            id: n.id,
            name: n.name,
            created_at_ms: n.created_at_ms,
        })
        .collect()
}

/// `GET /v1/tenants`.
#[tracing::instrument(skip_all)]
pub async fn tenants(
    State(state): State<AppState>,
    _operator: Operator,
) -> Result<Json<TenantList>, ApiError> {
    let v = state.store.list_tenants(state.config.max_listed).await?;
    Ok(Json(TenantList { tenants: listed(v) }))
}

/// `GET /v1/partners`.
#[tracing::instrument(skip_all)]
pub async fn partners(
    State(state): State<AppState>,
    _operator: Operator,
) -> Result<Json<PartnerList>, ApiError> {
    let v = state.store.list_partners(state.config.max_listed).await?;
    Ok(Json(PartnerList {
        partners: listed(v),
    }))
}

/// `GET /v1/keys`.
#[tracing::instrument(skip_all)]
pub async fn keys(
    State(state): State<AppState>,
    _operator: Operator,
) -> Result<Json<KeyList>, ApiError> {
    let v = state.store.list_api_keys(state.config.max_listed).await?;
    Ok(Json(KeyList {
        keys: v
            .into_iter()
            .map(|k: KeyListing| KeyView {
                key_id: super::operators::key_id(&k.key_hash),
                role: k.role,
                tenant_id: k.tenant_id,
                partner_id: k.partner_id,
                created_at_ms: k.created_at_ms,
                revoked_at_ms: k.revoked_at_ms,
            })
            .collect(),
    }))
}
