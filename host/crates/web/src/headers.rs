//! Headers on every answer of this crate.
//!
//! The CSP allows only our own files: no inline script or style (all of
//! it lives in `assets/`), images from us, `data:` and `blob:` (QR codes
//! are fetched as SVG and shown through blob URLs). `no-referrer` keeps a
//! projector token (`/screen/{token}`) out of any `Referer`.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy of every page and asset.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
     script-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Adds the cache, CSP and hardening headers (`map_response` layer).
pub async fn add(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    // Pages and assets change with the binary: always revalidate.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}
