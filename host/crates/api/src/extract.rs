//! Request parsing shared by every route, so each malformed request gets
//! the same [`ApiError`] wherever it is sent:
//!
//! - [`is_json`]: the one content-type rule of JSON bodies;
//! - [`parse_json`] / [`ApiJson`]: a JSON body (415, 400, 422, 413);
//! - [`ApiPath`]: path parameters (400 when not UTF-8 once decoded);
//! - [`ApiQuery`]: a query string of known parameters (400 otherwise);
//! - [`idempotency_key`]: exactly one `Idempotency-Key` header (400).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};

/// Longest `Idempotency-Key` (and action id a client can look up).
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// The media type of every JSON body.
pub const JSON: &str = "application/json";

/// The header naming a client's retry scope on `POST /v1/play/actions`.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Whether the request has exactly one `Content-Type` whose media type is
/// `application/json` (any case), with or without parameters
/// (`; charset=utf-8`). Suffixes (`+json`) and prefixes
/// (`application/jsonx`) are not JSON here: one exact rule for all routes.
pub fn is_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let (media, params) = value.split_once(';').unwrap_or((value, ""));
    // Each parameter must at least look like `name=value`.
    let params_ok = params.is_empty()
        || params
            .split(';')
            .all(|p| p.split_once('=').is_some_and(|(n, _)| !n.trim().is_empty()));
    media.trim().eq_ignore_ascii_case(JSON) && params_ok
}

/// Parses a JSON body read as bytes (kept whole where it is hashed, as for
/// idempotency): 415 unless [`is_json`], 400 when it is not JSON, 422 when
/// it is JSON of the wrong shape.
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType(JSON));
    }
    // Two steps, so the status says which was wrong: the syntax (400) or
    // the shape (422). In one step serde_json calls some shape errors
    // syntax (`{"role": 1}` where an enum is expected).
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        // `1e400` is valid JSON that no f64 holds: a bad value, like any
        // other out-of-range number, not a syntax error.
        if msg.starts_with("number out of range") {
            ApiError::Invalid(msg)
        } else {
            ApiError::BadRequest(format!("malformed JSON: {msg}"))
        }
    })?;
    T::deserialize(value).map_err(|e| ApiError::Invalid(e.to_string()))
}

/// Maps a body read failure (over `limit`, mostly) to our error.
pub fn body_rejection(rej: &BytesRejection, limit: usize) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(limit)
    } else {
        ApiError::BadRequest("the request body could not be read".into())
    }
}

/// A JSON body parsed by [`parse_json`] (use it instead of [`axum::Json`]
/// in handlers). The content type is checked before the body is read.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(JSON));
        }
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|r| body_rejection(&r, state.config.max_body_bytes))?;
        parse_json(&headers, &body).map(Self)
    }
}

/// Path parameters whose rejections are [`ApiError`]s (use it instead of
/// [`axum::extract::Path`]).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T> FromRequestParts<AppState> for ApiPath<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(path_rejection)
    }
}

/// A query string deserialized into `T` (axum's [`Query`]), whose
/// rejections are [`ApiError`]s: an unknown parameter (with
/// `#[serde(deny_unknown_fields)]`), a value that does not parse or a
/// name that is not one of `T`'s variants is a 400 naming the problem.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T> FromRequestParts<AppState> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))
    }
}

/// Maps a path rejection. A segment that is not UTF-8 once
/// percent-decoded (`%FF`) or does not parse is the client's (400); a
/// handler whose parameters do not fit its route is ours.
pub fn path_rejection(rej: PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    if let PathRejection::FailedToDeserializePathParams(e) = &rej {
        match e.kind() {
            ErrorKind::InvalidUtf8InPathParam { .. } => {
                return ApiError::BadRequest(
                    "a path segment is not valid UTF-8 once percent-decoded".into(),
                );
            }
            ErrorKind::WrongNumberOfParameters { .. } | ErrorKind::UnsupportedType { .. } => {}
            // axum's own text: names the parameter and what was expected.
            _ => return ApiError::BadRequest(e.body_text()),
        }
    }
    tracing::error!(error = %rej.body_text(), "path parameters do not fit the handler");
    ApiError::Internal
}

/// The request's one `Idempotency-Key`: 1-128 visible ASCII characters.
/// Missing, empty, over-long or repeated is 400: with two keys, which one
/// the client meant to retry under is a guess.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "send exactly one Idempotency-Key header".into(),
        ));
    }
    first
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "an Idempotency-Key header of 1-{MAX_IDEMPOTENCY_KEY} visible characters is required"
            ))
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(name: &'static str, values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn one_content_type_rule() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "APPLICATION/JSON;charset=UTF-8",
            " application/json ",
        ] {
            assert!(is_json(&with("content-type", &[ok])), "{ok}");
        }
        for bad in [
            "application/jsonx",
            "application/json-patch+json",
            "application/problem+json",
            "text/json",
            "text/plain",
            "application/json; garbage",
            "application/json, text/plain",
            "",
        ] {
            assert!(!is_json(&with("content-type", &[bad])), "{bad}");
        }
        assert!(!is_json(&HeaderMap::new()));
        assert!(!is_json(&with(
            "content-type",
            &["application/json", "application/json"]
        )));
    }

    #[test]
    fn json_errors_by_kind() {
        let h = with("content-type", &[JSON]);
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct B {
            #[allow(dead_code)]
            x: f64,
        }
        let code = |body: &str| parse_json::<B>(&h, body.as_bytes()).unwrap_err().code();
        assert_eq!(code("{"), "bad_request");
        assert_eq!(code(""), "bad_request");
        assert_eq!(code("{\"x\": 1} 2"), "bad_request");
        assert_eq!(code("{\"y\": 1}"), "invalid");
        assert_eq!(code("{\"x\": \"1\"}"), "invalid");
        assert_eq!(code("{\"x\": 1e400}"), "invalid");
        #[derive(Debug, serde::Deserialize)]
        enum E {
            A,
        }
        let e = parse_json::<E>(&h, b"1").unwrap_err();
        assert_eq!(e.code(), "invalid", "{e}");
        assert!(matches!(parse_json::<E>(&h, b"\"A\""), Ok(E::A)));
        let none = HeaderMap::new();
        assert_eq!(
            parse_json::<B>(&none, b"{\"x\": 1}").unwrap_err().code(),
            "unsupported_media_type"
        );
    }

    #[test]
    fn exactly_one_idempotency_key() {
        assert_eq!(
            idempotency_key(&with(IDEMPOTENCY_KEY, &["k1"])).unwrap(),
            "k1"
        );
        for h in [
            HeaderMap::new(),
            with(IDEMPOTENCY_KEY, &[""]),
            with(IDEMPOTENCY_KEY, &["a", "b"]),
            with(IDEMPOTENCY_KEY, &["a", "a"]),
        ] {
            assert_eq!(idempotency_key(&h).unwrap_err().code(), "bad_request");
        }
    }
}
