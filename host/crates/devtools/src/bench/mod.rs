//! `veltrix bench`: measurements that print tables (and `--json`).
//!
//! - [`plugins`]: each game type's apply through wasmtime vs natively;
//! - [`streams`]: produce -> consume through our stream traits vs raw
//!   rdkafka;
//! - [`outbox`]: ledger + outbox write rate and the relay's drain rate;
//! - [`commit`]: a processor batch's writes, transaction per concern vs
//!   the group commit vs raw rusqlite;
//! - [`row`]: a line of the streams and outbox table;
//! - [`pipeline`]: the in-process pipeline under an open-loop load:
//!   accepted -> applied / quest / reward latencies;
//! - [`svg`]: the latency chart `bench plugins --svg` writes.

pub mod commit;
pub mod outbox;
pub mod pipeline;
pub mod plugins;
pub mod row;
pub mod streams;
pub mod svg;
