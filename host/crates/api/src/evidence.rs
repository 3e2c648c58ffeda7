//! Evidence: a player uploads a photo or a text (`POST
//! /v1/play/evidence`), gets its content id, and sends the id in the
//! payload of an action whose kind takes evidence; the judge reads it
//! back (`GET /v1/tenants/{tenant}/evidence/{id}`).
//!
//! Stored per tenant under the hex SHA-256 of the bytes: the same bytes
//! give the same id (an upload retried after a lost answer stores
//! nothing twice), and another tenant's id names nothing (404). The
//! route's body limit is `api.max_evidence_bytes`, set on this route alone
//! in [`super::server::router`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::body_rejection;
use super::players::Player;
use super::tenants::tenant_access;
use super::{ApiError, ApiPath, AppState};

/// The upload route.
pub const UPLOAD_PATH: &str = "/v1/play/evidence";
/// The media types taken, as stored.
pub const TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "text/plain"];
const TYPES_TEXT: &str = "image/png, image/jpeg, image/webp or text/plain";

/// `POST /v1/play/evidence`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceId {
    /// Hex SHA-256 of the bytes: put it in the action's payload.
    pub evidence_id: String,
}

/// The stored media type of the request's one content type (parameters
/// dropped, lower case), if it is one we take.
fn media_type(headers: &HeaderMap) -> Option<&'static str> {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(v), None) = (values.next(), values.next()) else {
        return None;
    };
    let media = v.to_str().ok()?.split(';').next()?.trim();
    TYPES.into_iter().find(|t| t.eq_ignore_ascii_case(media))
}

/// `POST /v1/play/evidence`: 201 `{evidence_id}`; 415 for another media
/// type, 413 over `api.max_evidence_bytes`, 422 when empty.
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game, player = %player.player))]
pub async fn upload(
    State(state): State<AppState>,
    player: Player,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<EvidenceId>), ApiError> {
    let media = media_type(&headers).ok_or(ApiError::UnsupportedMediaType(TYPES_TEXT))?;
    let body = body.map_err(|r| body_rejection(&r, state.config.max_evidence_bytes))?;
    if body.is_empty() {
        return Err(ApiError::Invalid("the evidence is empty".into()));
    }
    let id = hex::encode(Sha256::digest(&body));
    state
        .store
        .put_evidence(&player.tenant, &id, media, &body)
        .await?;
    tracing::info!(evidence_id = %id, size = body.len(), media, "evidence stored");
    Ok((StatusCode::CREATED, Json(EvidenceId { evidence_id: id })))
}

/// `GET /v1/tenants/{tenant}/evidence/{evidence_id}`: the bytes, with
/// their media type; never sniffed as anything else by the browser.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let not_found = || ApiError::NotFound("no such evidence".into());
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let e = state
        .store
        .evidence(&tenant, &id.to_ascii_lowercase())
        .await?
        .ok_or_else(not_found)?;
    let mut resp = e.bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&e.content_type).map_err(|_| ApiError::Internal)?,
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let h = |v: &'static str| {
            let mut m = HeaderMap::new();
            m.insert(CONTENT_TYPE, HeaderValue::from_static(v));
            m
        };
        assert_eq!(media_type(&h("image/PNG")), Some("image/png"));
        assert_eq!(
            media_type(&h("text/plain; charset=utf-8")),
            Some("text/plain")
        );
        assert_eq!(media_type(&h("image/gif")), None);
        assert_eq!(media_type(&h("text/html")), None);
        assert_eq!(media_type(&HeaderMap::new()), None);
    }
}
