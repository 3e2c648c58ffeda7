//! What a plugin can see: its store data, a virtualised WASI, a memory
//! limiter, and the import allow-list checked at load.
//!
//! A `wasm32-wasip2` guest imports WASI even when it never calls it (std's
//! runtime references clocks, random, environment and files). So the host
//! links WASI, but virtualised: the wall and monotonic clocks are frozen at
//! the Unix epoch, both random sources are a fixed-seed generator (std's
//! `HashMap` seeds come from there, never from real entropy), there are no
//! preopened directories, no environment, no arguments, no stdin, stdout is
//! discarded and stderr goes to a small buffer that fault reports quote.
//! Sockets are not even linkable: a component that imports them is refused.

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use super::error::LoadError;
use super::limits::PluginLimits;

/// Seed of the sandbox's random generators. Fixed: plugins must take their
/// randomness from `init`'s seed, and a fixed stream keeps any accidental use
/// of std's randomness reproducible.
const SANDBOX_SEED: u64 = 0x5EED_0F7E_1A00_u64;

/// WASI interfaces (without version) a plugin may import. Everything here
/// is virtualised as described in the module docs.
const ALLOWED_IMPORTS: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

/// Checks an import name such as `wasi:io/streams@0.2.3` against the
/// allow-list.
pub fn check_import(name: &str) -> Result<(), LoadError> {
    let bare = name.split('@').next().unwrap_or(name);
    if ALLOWED_IMPORTS.contains(&bare) {
        Ok(())
    } else {
        Err(LoadError::ForbiddenImport(name.to_string()))
    }
}

/// A clock stopped at the Unix epoch: plugins read time from actions.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Memory limiter that remembers whether the plugin hit the limit, so a
/// failed call can be reported as a memory fault rather than a bare trap.
pub struct Limiter {
    max_memory: usize,
    max_table_elements: usize,
    /// Largest linear memory seen, in bytes.
    pub memory_bytes: usize,
    /// Set when a grow past the limit was refused.
    pub exceeded: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.exceeded = true;
            return Ok(false);
        }
        self.memory_bytes = self.memory_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.max_table_elements)
    }
}

/// The store data of one plugin instance.
pub struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    stderr: MemoryOutputPipe,
    /// The memory limiter.
    pub limiter: Limiter,
}

impl Sandbox {
    /// A fresh sandbox under `limits` (memory, tables, stderr capture).
    pub fn new(limits: &PluginLimits) -> Self {
        let stderr = MemoryOutputPipe::new(limits.stderr_capture_bytes);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(StdRng::seed_from_u64(SANDBOX_SEED))
            .insecure_random(StdRng::seed_from_u64(SANDBOX_SEED ^ 1))
            .insecure_random_seed(u128::from(SANDBOX_SEED))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            stderr,
            limiter: Limiter {
                max_memory: limits.max_memory_bytes,
                max_table_elements: limits.max_table_elements,
                memory_bytes: 0,
                exceeded: false,
            },
        }
    }

    /// What the plugin wrote to stderr (a panic message, usually), lossy
    /// UTF-8, at most `stderr_capture_bytes`.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .to_string()
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_takes_versions_and_refuses_the_rest() {
        assert!(check_import("wasi:io/streams@0.2.3").is_ok());
        assert!(check_import("wasi:random/random@0.2.0").is_ok());
        assert_eq!(
            check_import("wasi:sockets/tcp@0.2.0"),
            Err(LoadError::ForbiddenImport("wasi:sockets/tcp@0.2.0".into()))
        );
        assert!(check_import("wasi:http/outgoing-handler@0.2.0").is_err());
        assert!(check_import("evil:exfil/net").is_err());
    }
}
