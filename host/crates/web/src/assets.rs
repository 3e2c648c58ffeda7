//! The embedded files: the pages (by route) and the assets (under
//! `/assets/`), each with its content type.

/// An HTML page and the route that serves it.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// The route (`/screen/{token}` serves one page for every token).
    pub path: &'static str,
    /// The HTML.
    pub body: &'static str,
}

/// A file under `/assets/`.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// File name (`api.js`).
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

impl Asset {
    /// Where it is served: `/assets/<name>`.
    pub fn path(&self) -> String {
        format!("/assets/{}", self.name)
    }
}

macro_rules! page {
    ($path:literal, $file:literal) => {
        Page {
            path: $path,
            body: include_str!(concat!("../assets/", $file)),
        }
    };
}

macro_rules! asset {
    ($file:literal, $ty:expr) => {
        Asset {
            name: $file,
            content_type: $ty,
            body: include_bytes!(concat!("../assets/", $file)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every page.
pub const PAGES: &[Page] = &[
    page!("/", "index.html"),
    page!("/console", "console.html"),
    page!("/screen/{token}", "screen.html"),
    page!("/play", "play.html"),
    page!("/partner", "partner.html"),
    page!("/operator", "operator.html"),
];

/// Every asset.
pub const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("session.js", JS),
    asset!("schema-form.js", JS),
    asset!("console.js", JS),
    asset!("console-game.js", JS),
    asset!("console-players.js", JS),
    asset!("screen.js", JS),
    asset!("play.js", JS),
    asset!("play-queue.js", JS),
    asset!("play-forms.js", JS),
    asset!("partner.js", JS),
    asset!("operator.js", JS),
    asset!("charts.js", JS),
];
