//! [`ApiError`]: every error the API answers, as
//! `{ "error": { "code": "...", "message": "..." } }`.
//!
//! Messages are ours. Store, stream and leaderboard errors are logged with
//! their details and answered with a fixed text, so no driver or broker
//! message reaches a client. Rejections of the JSON body (syntax, unknown
//! field, oversize) are converted by [`ApiJson`], so they get the same
//! shape as everything else.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::leaderboard::LeaderboardError;
use crate::store::StoreError;
use crate::streams::StreamError;

/// An API failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be parsed (malformed JSON, bad header).
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
    /// 422: well-formed, but invalid (bad id, unknown field, wrong type).
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
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code(), "message": self.to_string() } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
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

/// The media type of every JSON body.
pub const JSON: &str = "application/json";

/// Converts axum's body rejections. `limit` is `api.max_body_bytes`, for
/// the message.
pub fn from_json_rejection(rej: JsonRejection, limit: usize) -> ApiError {
    match rej.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(limit),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(JSON),
        // serde's message names the field and what was expected, never a
        // value from our side: safe and useful to pass on.
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid(rej.body_text()),
        StatusCode::BAD_REQUEST => ApiError::BadRequest(rej.body_text()),
        other => {
            tracing::warn!(status = %other, error = %rej.body_text(), "body rejected");
            ApiError::BadRequest("the request body could not be read".into())
        }
    }
}

/// A JSON body whose rejections are [`ApiError`]s (use it instead of
/// [`axum::Json`] in handlers).
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T> FromRequest<super::AppState> for ApiJson<T>
where
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &super::AppState) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rej) => Err(from_json_rejection(rej, state.config.api.max_body_bytes)),
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
            outcome: crate::store::WriteOutcome::NotCommitted,
        });
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
