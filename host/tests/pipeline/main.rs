//! The pipeline beneath the API: processor, ledger and outbox store, relay,
//! streams (embedded and Kafka) and leaderboards (embedded and Redis), each
//! with its faults.
//!
//! One test binary for these suites (one link of wasmtime, rdkafka and
//! sqlx instead of one per file); each module is one former suite.

#[path = "../common/broker.rs"]
mod broker;
#[path = "../store_common/mod.rs"]
mod store_common;

mod fault_broker;
mod leaderboard;
mod processor;
mod store_batch;
mod store_ledger;
mod store_outage;
mod store_relay;
mod streams_embedded;
mod streams_kafka;
