//! `veltrix bench`: measurements that print tables (and `--json`).
//!
//! - [`plugins`]: each game type's apply through wasmtime vs natively;
//! - [`svg`]: the latency chart `bench plugins --svg` writes.

pub mod plugins;
pub mod svg;
