//! What a plugin can see: its store data, a virtualised WASI, a memory
//! limiter, and the import allow-list checked at load.
//!
//! A `wasm32-wasip2` guest imports WASI even when it never calls it (std's
//! runtime references clocks, random, environment and files). So the host
//! links WASI, but virtualised: the wall and monotonic clocks are frozen at
//! the Unix epoch, sleeping and polling never wait ([`super::wasi`]), the
//! random sources are reseeded from each call's inputs
//! ([`super::entropy`]), there are no preopened directories, no
//! environment, no arguments, no stdin, stdout is discarded and stderr goes
//! to a small buffer, cleared before each call, that fault reports quote
//! (escaped). Resource handles are capped (`max_handles`). Sockets are not
//! even linkable: a component that imports them is refused.

use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::entropy::{CallSeed, Entropy};
use super::error::{LoadError, plugin_text};
use super::limits::PluginLimits;
use super::stderr::StderrCapture;

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

/// A wall clock stopped at the Unix epoch: plugins read time from actions.
/// (The monotonic clock is linked separately, see [`super::wasi`].)
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
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
    pub(super) table: ResourceTable,
    pub(super) entropy: Entropy,
    stderr: StderrCapture,
    text_limit: usize,
    /// The memory limiter.
    pub limiter: Limiter,
}

impl Sandbox {
    /// A fresh sandbox under `limits` (memory, tables, handles, stderr
    /// capture), its entropy seeded for instantiation.
    pub fn new(limits: &PluginLimits) -> Self {
        let stderr = StderrCapture::new(limits.stderr_capture_bytes);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.max_handles);
        Self {
            wasi,
            table,
            entropy: Entropy::new(
                CallSeed::new("instantiate").finish(),
                limits.max_memory_bytes as u64,
            ),
            stderr,
            text_limit: limits.stderr_capture_bytes,
            limiter: Limiter {
                max_memory: limits.max_memory_bytes,
                max_table_elements: limits.max_table_elements,
                memory_bytes: 0,
                exceeded: false,
            },
        }
    }

    /// Readies the sandbox for a call whose inputs hash to `seed` (`None`:
    /// not computed yet, a read traps): random streams restart from it,
    /// stderr starts empty.
    pub fn begin_call(&mut self, seed: Option<u64>) {
        self.entropy.reseed(seed);
        self.stderr.clear();
    }

    /// Whether the guest ever read entropy (see [`super::entropy`]).
    pub fn entropy_read(&self) -> bool {
        self.entropy.read()
    }

    /// Whether the call trapped reading entropy before its seed was known.
    pub fn wanted_pending_seed(&self) -> bool {
        self.entropy.wanted_pending_seed()
    }

    /// What the plugin wrote to stderr during the call (a panic message,
    /// usually), at most `stderr_capture_bytes`, control characters
    /// escaped.
    pub fn stderr(&self) -> String {
        plugin_text(self.stderr.text().trim(), self.text_limit)
    }

    /// `text` from the plugin (a trap message, a backtrace), made safe to
    /// log: escaped and bounded like stderr.
    pub fn quote(&self, text: &str) -> String {
        plugin_text(text, self.text_limit)
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
