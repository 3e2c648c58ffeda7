//! # veltrix-server: the composition root
//!
//! The one place that wires the host's backends together. `veltrix serve`,
//! `veltrix demo`, the benches and the tests all open a host through
//! [`Host::open`] (or [`Host::open_with`]); no other crate picks a backend.
//!
//! - [`config`]: [`HostConfig`], the TOML file with environment overrides,
//!   one section per crate;
//! - [`validate`]: [`HostConfig::validate`], the cross-field rules checked
//!   before anything opens;
//! - [`backends`]: opening the store, the stream backend and the
//!   leaderboard from their sections;
//! - [`host`]: [`Host`]: open, start, the API state, shutdown;
//! - [`serve`]: `veltrix serve`: bind, serve until Ctrl-C, drain.
//!
//! Dependencies point one way: contract <- runtime <- pipeline <- api <-
//! server, with streams, kafka, store and leaderboard beside them (see
//! `docs/architecture.md`).

pub mod backends;
pub mod config;
pub mod host;
pub mod serve;
pub mod validate;

pub use backends::{open_board, open_board_with, open_store, open_streams, open_streams_with};
pub use config::HostConfig;
pub use host::{Host, HostError, Options, Wrap};
pub use serve::serve;
pub use validate::ConfigError;
