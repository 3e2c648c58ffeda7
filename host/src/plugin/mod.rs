//! The plugin runtime: game-type components under wasmtime.
//!
//! - [`limits`]: per-call limits (config);
//! - [`error`]: load errors and call faults;
//! - [`bindings`]: the WIT bindings and conversions;
//! - [`sandbox`]: store data, virtual WASI, memory limiter, import allow-list;
//! - [`inspect`]: size limits on a component and its description
//!   (before compiling, and after `describe`);
//! - [`host`]: engine, linker, compiled-component cache, load;
//! - [`worker`]: calls under fuel, deadline, memory and size limits.

pub mod bindings;
pub mod error;
pub mod host;
pub mod inspect;
pub mod limits;
pub mod sandbox;
pub mod worker;

pub use error::{Fault, LoadError};
pub use host::{Plugin, PluginHost};
pub use inspect::{ComponentLimits, LimitExceeded};
pub use limits::PluginLimits;
pub use worker::{Applied, BatchApplied, Worker};
