//! `veltrix bench`: measurements that print tables (and `--json`).
//!
//! - [`plugins`]: each game type's apply through wasmtime vs natively.

pub mod plugins;
