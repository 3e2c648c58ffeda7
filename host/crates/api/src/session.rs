//! Browser sessions: `POST/GET/DELETE /v1/session` (docs/screens.md), so
//! the pages never keep a key in a URL or in local storage.
//!
//! An API key is exchanged once for a `vx_session` cookie (`HttpOnly`,
//! `SameSite=Strict`) holding 32 random bytes, hex; only their SHA-256 is
//! stored, with the key's hash and an expiry (`api.session_ttl_ms`). The
//! [`Caller`] extractor falls back to the cookie when there is no
//! `Authorization` header: the session must be unexpired and its key still
//! live, so revoking a key ends its sessions at once.
//!
//! CSRF: a cookie-authenticated request other than GET/HEAD must carry
//! `X-Veltrix-Csrf: 1`. A cross-site form cannot set a header, and a
//! cross-site script cannot send one without a CORS preflight we never
//! grant; `SameSite=Strict` is the second line.

use axum::Json;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, Role, caller_of_hash, hash_key};
use super::{ApiError, ApiJson, AppState};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "vx_session";
/// The header a cookie-authenticated write must carry (value `1`).
pub const CSRF_HEADER: &str = "x-veltrix-csrf";

/// `POST /v1/session` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Any live API key (`vx_operator_...`, `vx_partner_...`,
    /// `vx_tenant_...`).
    pub key: String,
}

/// Who a session is.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The key's role.
    pub role: Role,
    /// The tenant of a tenant key.
    pub tenant_id: Option<String>,
    /// The partner of a partner key.
    pub partner_id: Option<String>,
    /// When the session ends, ms since the epoch.
    pub expires_at_ms: i64,
}

impl SessionView {
    fn of(c: Caller, expires_at_ms: i64) -> Self {
        Self {
            role: c.role,
            tenant_id: c.tenant_id,
            partner_id: c.partner_id,
            expires_at_ms,
        }
    }
}

/// The `vx_session` cookie's value, if the request has one.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The caller of the request's live session, and its expiry; `None`
/// without a cookie, or for an expired session or a revoked key.
pub async fn from_cookie(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<(Caller, i64)>, ApiError> {
    let Some(secret) = cookie(headers) else {
        return Ok(None);
    };
    let Some(row) = state.store.find_session(&hash_key(secret)).await? else {
        return Ok(None);
    };
    Ok(caller_of_hash(state, &row.key_hash)
        .await?
        .map(|c| (c, row.expires_at_ms)))
}

/// 403 for a cookie-authenticated write without `X-Veltrix-Csrf: 1`.
pub fn check_csrf(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    if headers.get(CSRF_HEADER).is_some_and(|v| v == "1") {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        "a cookie-authenticated request other than GET needs the header X-Veltrix-Csrf: 1".into(),
    ))
}

fn set_cookie(value: &str, max_age_s: u64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_s}"
    ))
    .map_err(|_| ApiError::Internal)
}

/// `POST /v1/session`: exchanges a live API key for a session cookie; a
/// bad key is 401 and sets nothing.
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let key_hash = hash_key(body.key.trim());
    let caller = caller_of_hash(&state, &key_hash)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let secret = hex::encode(rand::rng().random::<[u8; 32]>());
    let ttl = state.config.session_ttl_ms;
    let expires_at_ms = state
        .processor
        .clock()
        .now_ms()
        .saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    state
        .store
        .create_session(&hash_key(&secret), &key_hash, expires_at_ms)
        .await?;
    tracing::info!(role = caller.role.as_str(), "session opened");
    let mut resp = Json(SessionView::of(caller, expires_at_ms)).into_response();
    resp.headers_mut()
        .insert(SET_COOKIE, set_cookie(&secret, ttl / 1000)?);
    Ok(resp)
}

/// `GET /v1/session`: who the cookie is; 401 without a live session.
pub async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SessionView>, ApiError> {
    let (caller, expires) = from_cookie(&headers, &state)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(SessionView::of(caller, expires)))
}

/// `DELETE /v1/session`: ends the session (if any) and clears the cookie;
/// 204. With a cookie it is a cookie-authenticated write: the CSRF header
/// is required, so another site cannot log the user out.
#[tracing::instrument(skip_all)]
pub async fn logout(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(secret) = cookie(&headers) {
        check_csrf(&method, &headers)?;
        state.store.delete_session(&hash_key(secret)).await?;
        tracing::info!("session closed");
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(SET_COOKIE, set_cookie("", 0)?);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        assert_eq!(
            cookie(&h(&[("cookie", "a=1; vx_session=abc; b=2")])),
            Some("abc")
        );
        assert_eq!(
            cookie(&h(&[("cookie", "a=1"), ("cookie", "vx_session=x")])),
            Some("x")
        );
        assert_eq!(
            cookie(&h(&[("cookie", "vx_sessionx=1; vx_session=")])),
            None
        );
        assert_eq!(cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn writes_need_the_csrf_header() {
        assert!(check_csrf(&Method::GET, &HeaderMap::new()).is_ok());
        assert!(check_csrf(&Method::HEAD, &HeaderMap::new()).is_ok());
        assert!(check_csrf(&Method::POST, &HeaderMap::new()).is_err());
        assert!(check_csrf(&Method::PUT, &h(&[(CSRF_HEADER, "0")])).is_err());
        assert!(check_csrf(&Method::DELETE, &h(&[(CSRF_HEADER, "1")])).is_ok());
    }
}
