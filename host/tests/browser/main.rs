//! The browser suite: `veltrix serve` (embedded log, SQLite ledger,
//! embedded board) driven through its pages in a real headless Chromium
//! (Debian's `chromium` + `chromium-driver`, over WebDriver), screenshots
//! of each page saved to `docs/screens/`.
//!
//! - [`webdriver`]: the small WebDriver client;
//! - [`harness`]: a `veltrix serve` per test, operator set-up, selectors;
//! - [`hunt`]: a hunt run from the console, played in two player apps and
//!   watched on the projector;
//! - [`pages`]: the operator and partner pages, and the judge queue;
//! - [`field`]: a trail played with the device's location, and an
//!   answer whose response is lost, retried under its key.

mod field;
mod harness;
mod hunt;
mod pages;
mod webdriver;
