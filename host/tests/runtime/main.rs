//! The plugin runtime: sandbox, limits, `plugin check`, upload limits, and the
//! built-ins as components vs natively.
//!
//! One test binary for these suites (one link of wasmtime, rdkafka and
//! sqlx instead of one per file); each module is one former suite.

#[path = "../synth/mod.rs"]
mod synth;

mod builtins;
mod check;
mod limits;
mod mutants;
mod sandbox;
mod upload_limits;
