//! [`ApiError`]: every error the API answers, as
//! `{ "error": { "code": "...", "message": "..." } }`.
//!
//! Messages are ours. Store, stream and leaderboard errors are logged with
//! their details and answered with a fixed text, so no driver or broker
//! message reaches a client. Malformed requests are converted by the
//! extractors of [`super::extract`]; [`json_errors`] catches any error
//! response that still is not JSON, so all get the same shape.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::JSON;

use veltrix_leaderboard::LeaderboardError;
use veltrix_store::StoreError;
use veltrix_streams::StreamError;

/// An API failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be parsed (malformed JSON, a path segment
    /// that is not UTF-8, a missing or repeated `Idempotency-Key`).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no key, or not a live key.
    #[error("missing or invalid API key")]
    Unauthorized,
    /// 403: a valid key whose role may not use this route.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing, or it belongs to another tenant (the two are
    /// answered alike so existence does not leak).
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: it exists already.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over `api.max_body_bytes`.
    #[error("request body is over the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// 415: the body is not of the media type the route takes (named here:
    /// `application/json`, or `application/wasm` for uploads).
    #[error("expected a body with content-type {0}")]
    UnsupportedMediaType(&'static str),
    /// 422: well-formed, but invalid (bad id, unknown field, wrong type,
    /// a value out of range).
    #[error("{0}")]
    Invalid(String),
    /// 422: an uploaded component is over a `[plugins.component]` limit or
    /// its check over its time or memory budget; the message names the
    /// limit, the value and the config field.
    #[error("{0}")]
    LimitExceeded(String),
    /// 500: a bug or corrupt data (details in the log).
    #[error("internal error")]
    Internal,
    /// 503: a dependency is unavailable, or the request timed out.
    #[error("{0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: the host is at capacity; nothing was
    /// accepted, the same request may be sent again after the wait.
    #[error("{message}")]
    Overloaded {
        /// For the client.
        message: String,
        /// Seconds to wait (the `Retry-After` header).
        retry_after_s: u64,
    },
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) | Self::LimitExceeded(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) | Self::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Invalid(_) => "invalid",
            Self::LimitExceeded(_) => "limit_exceeded",
            Self::Internal => "internal",
            Self::Unavailable(_) => "unavailable",
            Self::Overloaded { .. } => "overloaded",
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code(), "message": self.to_string() } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), Json(self.body())).into_response();
        if let Self::Overloaded { retry_after_s, .. } = &self {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, (*retry_after_s).into());
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // The store already logged the driver's text; log ours too, so the
        // request span ties the two together.
        tracing::warn!(error = %e, "store error");
        match e {
            StoreError::Unavailable { .. } => {
                Self::Unavailable("the database is unavailable".into())
            }
            StoreError::Busy { .. } => Self::Overloaded {
                message: "the database is busy; retry after the Retry-After seconds".into(),
                retry_after_s: 1,
            },
            StoreError::Invalid(m) => Self::Invalid(m),
            StoreError::Contended { .. } => {
                Self::Unavailable("too many concurrent writes; retry".into())
            }
            _ => Self::Internal,
        }
    }
}

impl From<StreamError> for ApiError {
    fn from(e: StreamError) -> Self {
        tracing::warn!(error = %e, "stream error");
        Self::Unavailable("the stream backend is unavailable".into())
    }
}

impl From<LeaderboardError> for ApiError {
    fn from(e: LeaderboardError) -> Self {
        tracing::warn!(error = %e, "leaderboard error");
        match e {
            LeaderboardError::Invalid(m) => Self::Invalid(m),
            LeaderboardError::Unavailable => {
                Self::Unavailable("the leaderboard backend is unavailable".into())
            }
            LeaderboardError::Corrupt => Self::Internal,
        }
    }
}

/// Router-wide safety net: an error response that is not JSON (a default
/// of axum, or a rejection no extractor converted, such as a route still
/// on `axum::extract::Path`) is answered with our JSON body instead, so
/// every error has one shape. The status is kept where it is one of ours;
/// any other 4xx becomes 400. Headers such as `Allow` are kept.
pub async fn json_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(JSON));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    tracing::debug!(%status, "non-JSON error answered as JSON");
    let e = ApiError::for_status(status, state.config.max_body_bytes);
    let (mut parts, _) = resp.into_parts();
    let fresh = e.into_response();
    parts.status = fresh.status();
    parts.headers.remove(CONTENT_LENGTH);
    for (name, value) in fresh.headers() {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, fresh.into_body())
}

impl ApiError {
    /// Our error for a bare status (`limit` for the 413 message).
    pub fn for_status(status: StatusCode, limit: usize) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::Forbidden("forbidden".into()),
            StatusCode::NOT_FOUND => Self::NotFound("not found".into()),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::CONFLICT => Self::Conflict("conflict".into()),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(limit),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(JSON),
            StatusCode::UNPROCESSABLE_ENTITY => Self::Invalid("invalid request".into()),
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable("unavailable".into()),
            s if s.is_client_error() => Self::BadRequest("the request could not be read".into()),
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_never_show_driver_text() {
        let e = ApiError::from(StoreError::Database {
            code: Some("23505".into()),
        });
        assert_eq!(e, ApiError::Internal);
        assert_eq!(e.body()["error"]["message"], "internal error");
        let e = ApiError::from(StoreError::Unavailable {
            waited_ms: 12_000,
            outcome: veltrix_store::WriteOutcome::NotCommitted,
        });
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
