//! The HTTP API end to end: a real server per test (store, streams, board,
//! processor) over real HTTP, and the real services CI starts for `e2e`.
//!
//! One test binary for these suites (one link of wasmtime, rdkafka and
//! sqlx instead of one per file); each module is one former suite.

#[path = "../api_common/mod.rs"]
mod api_common;
#[path = "../api_common/raw.rs"]
mod raw;
#[path = "../api_common/sse.rs"]
mod sse;
#[path = "../store_common/mod.rs"]
mod store_common;
#[path = "../synth/mod.rs"]
mod synth;

mod api;
mod api_console;
mod api_errors;
mod api_hosts;
mod api_overload;
mod api_partners;
mod api_play;
mod api_screen;
mod api_session;
mod api_view;
mod boundaries;
mod e2e;
