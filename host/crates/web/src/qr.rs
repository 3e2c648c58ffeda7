//! `POST /qr`: the body (a text, at most [`MAX_TEXT_BYTES`]) as an SVG QR
//! code. The console shows join links as QR codes through it: the token
//! travels in a POST body, never in a URL (logs, history, `Referer`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use qrcode::QrCode;
use qrcode::render::svg;

/// The largest text encoded (a join link is about 100 bytes).
pub const MAX_TEXT_BYTES: usize = 2048;

/// `POST /qr`, with its own body limit.
pub fn router() -> Router {
    Router::new().route(
        "/qr",
        post(encode).layer(DefaultBodyLimit::max(MAX_TEXT_BYTES)),
    )
}

/// The error shape of the API: `{"error": {"code", "message"}}`.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

async fn encode(body: Result<Bytes, BytesRejection>) -> Response {
    let text = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                &format!("the text is over the limit of {MAX_TEXT_BYTES} bytes"),
            );
        }
        Err(r) => return error(r.status(), "bad_request", &r.body_text()),
    };
    if text.is_empty() {
        return error(StatusCode::BAD_REQUEST, "bad_request", "the text is empty");
    }
    match render(&text) {
        Some(svg) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            )],
            svg,
        )
            .into_response(),
        None => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "the text does not fit in a QR code",
        ),
    }
}

/// The SVG of `text`'s QR code (medium error correction), `None` when it
/// does not fit in one.
pub fn render(text: &[u8]) -> Option<String> {
    let code = QrCode::new(text).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}
