//! The browser suite: `veltrix serve` (embedded log, SQLite ledger,
//! embedded board) driven through its pages in a real headless Chromium
//! (Debian's `chromium` + `chromium-driver`, over WebDriver), screenshots
//! of each page saved to `docs/screens/`.
//!
//! - [`webdriver`]: the small WebDriver client;
//! - [`hunt`]: a hunt run from the console, played in two player apps and
//!   watched on the projector.

mod hunt;
mod webdriver;
