//! `veltrix bench`: measurements that print tables (and `--json`).
//!
//! - [`plugins`]: each game type's apply through wasmtime vs natively;
//! - [`streams`]: produce -> consume through our stream traits vs raw
//!   rdkafka;
//! - [`svg`]: the latency chart `bench plugins --svg` writes.

pub mod plugins;
pub mod streams;
pub mod svg;
