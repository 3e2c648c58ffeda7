//! # veltrix-host
//!
//! The Veltrix host runs game types shipped as WebAssembly components.
//!
//! Modules:
//! - [`plugin`]: the wasmtime runtime: engine, cache, sandbox, limits;
//! - [`check`]: `veltrix plugin check`, validation and conformance;
//! - [`builtin`]: the six built-in game types, as components and natively;
//! - [`bench`]: `veltrix bench`, wasm-vs-native measurements;
//! - [`streams`]: event streams: envelope, families, embedded and Kafka backends;
//! - [`store`]: reward ledger, idempotency keys, outbox tables (Postgres / SQLite);
//! - [`outbox`]: the batching outbox writer and the leased relay;
//! - [`leaderboard`]: leaderboards, a Redis (or in-process) projection of the ledger;
//! - [`api`]: the HTTP API (axum): tenants, partners, keys, probes;
//! - [`processor`]: the game processor: actions -> pinned plugin -> effects;
//! - [`telemetry`]: Prometheus metrics of the pipeline (plugin calls, stream
//!   latency, consumer lag), rendered by `GET /metrics`;
//! - [`config`]: the host's TOML config with environment overrides;
//! - [`cli`]: the `veltrix` command line.

pub mod api;
pub mod bench;
pub mod builtin;
pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod leaderboard;
pub mod outbox;
pub mod plugin;
pub mod processor;
pub mod store;
pub mod streams;
pub mod telemetry;
