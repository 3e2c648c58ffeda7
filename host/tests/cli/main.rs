//! The `veltrix` binary as operators and partners run it: `demo`, `serve`
//! killed and restarted, and the partner walkthrough (`new game-type`).
//!
//! One test binary for these suites (one link of wasmtime, rdkafka and
//! sqlx instead of one per file); each module is one former suite.

mod demo;
mod restart;
mod scaffold;
