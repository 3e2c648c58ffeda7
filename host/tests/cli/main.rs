//! The `veltrix` binary as operators run it: `demo`, and `serve` killed and
//! restarted.
//!
//! One test binary for these suites (one link of wasmtime, rdkafka and
//! sqlx instead of one per file); each module is one former suite.

mod demo;
mod restart;
