//! # veltrix-web
//!
//! The pages `veltrix serve` serves beside the API (`docs/screens.md`):
//! plain HTML, CSS and JavaScript under `assets/`, built into the binary
//! (no node toolchain, no CDN). Every page talks to the public HTTP API
//! with the same roles as any client; this crate holds no state and no
//! secret.
//!
//! Module map:
//! - [`router`]: the pages (`/`, `/console`, `/screen/{token}`, `/play`,
//!   `/partner`, `/operator`), the assets (`/assets/...`) and `POST /qr`;
//!   no fallback (the API's router has one, and axum refuses two);
//! - [`assets`]: the embedded files, their paths and content types;
//! - [`qr`]: `POST /qr`, a text (at most [`qr::MAX_TEXT_BYTES`]) rendered
//!   as an SVG QR code, so no encoder is needed in JavaScript and no
//!   token is put in a URL;
//! - [`headers`]: `Cache-Control`, the Content-Security-Policy and the
//!   other headers every answer of this crate carries.
//!
//! Assets (`assets/`): `app.css` (the one stylesheet), `api.js` (fetch,
//! CSRF header, errors, SSE), `ui.js` (DOM helpers), `schema-form.js`
//! (forms from JSON Schema), and one script per page (`console*.js`,
//! `screen.js`, `play*.js`, `partner.js`, `operator.js`, `charts.js`).

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub mod assets;
pub mod headers;
pub mod qr;

pub use assets::{ASSETS, Asset, PAGES};

/// The pages, assets and `POST /qr` (stateless, no fallback), to merge
/// into the API's router.
pub fn router() -> Router {
    let mut app = Router::new();
    for page in PAGES {
        let body = page.body;
        app = app.route(page.path, get(move || async move { html(body) }));
    }
    for asset in ASSETS {
        let (body, ty) = (asset.body, asset.content_type);
        app = app.route(&asset.path(), get(move || async move { file(ty, body) }));
    }
    app.merge(qr::router())
        .layer(axum::middleware::map_response(headers::add))
}

fn html(body: &'static str) -> Response {
    file("text/html; charset=utf-8", body.as_bytes())
}

fn file(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}
