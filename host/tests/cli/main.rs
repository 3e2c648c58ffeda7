//! The `veltrix` binary as operators and partners run it: `demo`, `serve`
//! killed and restarted (alone, and one of three on a cluster), and the
//! partner walkthrough (`new game-type`).
//!
//! One test binary for these suites (one link of wasmtime, rdkafka and
//! sqlx instead of one per file); each module is one former suite.

#[path = "../store_common/mod.rs"]
mod store_common;

mod cluster;
mod demo;
mod restart;
mod scaffold;
mod served;
