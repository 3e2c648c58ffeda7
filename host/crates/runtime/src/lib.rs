//! # veltrix-runtime
//!
//! The plugin runtime: game-type components under wasmtime. No I/O of its
//! own (the upload check's worker process aside): the pipeline and the API
//! call it.
//!
//! - [`limits`]: per-call limits (config);
//! - [`error`]: load errors and call faults;
//! - [`bindings`]: the WIT bindings (0.3, and 0.2 for older components)
//!   and conversions;
//! - [`sandbox`]: store data, virtual WASI, memory limiter, import allow-list;
//! - [`inspect`]: size limits on a component and its description
//!   (before compiling, and after `describe`);
//! - [`wasi`]: the WASI interfaces the host overrides (no call ever waits);
//! - [`stderr`]: the plugin's stderr, captured in a bounded buffer;
//! - [`entropy`]: randomness seeded per call from the call's inputs;
//! - [`plugin`]: a loaded, compiled component, and the host-side checks of
//!   configs and actions against what it declared;
//! - [`contract`]: load-time validation of the typed contract, and the
//!   host's check of an action against it ([`contract::admit`]);
//! - [`host`]: engine, linker, compiled-component cache, load;
//! - [`worker`]: calls under fuel, deadline, memory and size limits;
//! - `call`: one call, the deadline retry, fault classification;
//! - [`check`]: `veltrix plugin check`: validation, replay and fuzzing of
//!   a component, and the isolated worker process uploads are checked in.

pub mod bindings;
mod call;
pub mod check;
pub mod contract;
pub mod entropy;
pub mod error;
pub mod host;
pub mod inspect;
pub mod limits;
pub mod plugin;
pub mod sandbox;
pub mod stderr;
pub mod wasi;
pub mod worker;

pub use bindings::WitVersion;
pub use error::{Fault, LoadError};
pub use host::PluginHost;
pub use inspect::{ComponentLimits, LimitExceeded};
pub use limits::PluginLimits;
pub use plugin::Plugin;
pub use worker::{Applied, BatchApplied, Worker};
