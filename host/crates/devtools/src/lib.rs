//! # veltrix-devtools
//!
//! What developers and operators run to see the host work, kept out of the
//! server's library: `veltrix demo` and `veltrix bench`.
//!
//! - [`builtin`]: the built-in game types linked natively (the
//!   wasm-vs-native benchmark) and their sample workloads;
//! - [`demo`]: a simulated live treasure hunt through the whole pipeline;
//! - [`bench`]: measurements that print tables and charts.
//!
//! Every pipeline here is opened through the composition root
//! ([`veltrix_server::Host`]).

pub mod bench;
pub mod builtin;
pub mod demo;
