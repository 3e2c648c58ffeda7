//! Per-call limits of the plugin sandbox. Every field is a config field
//! (`[plugins]` in the host's TOML) with the documented default.

use serde::{Deserialize, Serialize};

/// Limits the host enforces on every plugin call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginLimits {
    /// Ceiling on fuel (roughly, wasm instructions) for one `apply`; a plugin
    /// gets the lower of this and the budget it declares. Default 10,000,000.
    pub max_fuel: u64,
    /// Fuel for `describe`, `init` and `view`, which have no declared
    /// budget. Default 50,000,000 (init may build large boards).
    pub setup_fuel: u64,
    /// Wall-clock backstop per call, in milliseconds, enforced with epoch
    /// interruption. Fuel is the budget that decides outcomes; this only
    /// catches what fuel cannot see (a descheduled thread, a host call that
    /// should have been instant). It must stay far above the time the
    /// largest fuel budget (`setup_fuel`) takes, so in-budget work never
    /// reaches it even on a loaded machine: 50M fuel took 5 ms in a tight
    /// loop on a loaded 2-core machine, and call-heavy code is slower, up to
    /// ~100 ms; the default leaves a 20x margin over that. A call that
    /// hits it is retried once on a fresh instance, then fails with
    /// `Fault::Stalled` (`deadline-backstop`). Default 2,000.
    pub deadline_ms: u64,
    /// Epoch tick, in milliseconds: the deadline's granularity. Default 1.
    pub epoch_tick_ms: u64,
    /// Most linear memory one plugin instance may hold, in bytes.
    /// Default 64 MiB.
    pub max_memory_bytes: usize,
    /// A warm instance whose memory grew past this many bytes is dropped
    /// after the call, so one large call cannot starve later ones.
    /// Default 16 MiB.
    pub recycle_memory_bytes: usize,
    /// A warm instance is replaced after this many calls, bounding how long
    /// any guest-side garbage can live. Default 100,000.
    pub recycle_after_calls: u64,
    /// Most bytes handed to a plugin in one call (state + action strings).
    /// Default 1 MiB.
    pub max_input_bytes: usize,
    /// Most bytes a plugin may return from one call (new state + effects).
    /// Default 1 MiB.
    pub max_output_bytes: usize,
    /// Most elements one plugin table (function references) may grow to.
    /// Default 100,000: far beyond any real plugin, and it bounds host memory.
    pub max_table_elements: usize,
    /// Bytes of a plugin's stderr kept for fault messages (a panic message,
    /// usually). Default 4,096.
    pub stderr_capture_bytes: usize,
    /// Most bytes of a component file. Default 16 MiB.
    pub max_component_bytes: usize,
    /// Most compiled components kept in the cache. Default 64.
    pub cache_capacity: usize,
    /// Concurrent instances in the pooling allocator. Default 256.
    pub pool_instances: u32,
    /// Most resource handles (WASI pollables, streams, ...) one instance
    /// may hold at once, enforced on both wasmtime's handle table and the
    /// host's resource table; past it the call fails with
    /// `Fault::HandlesExhausted`. Default 10,000: a plugin needs a handful.
    pub max_handles: usize,
    /// Write `/tmp/perf-<pid>.map` so that `perf report` names the
    /// JIT-compiled plugin functions (for profiling). Default false.
    pub perf_map: bool,
    /// Limits on a component and on its `describe()` output
    /// (`[plugins.component]`), checked at every load: see
    /// [`super::inspect::ComponentLimits`] for the fields and defaults.
    pub component: super::inspect::ComponentLimits,
}

impl Default for PluginLimits {
    fn default() -> Self {
        Self {
            max_fuel: 10_000_000,
            setup_fuel: 50_000_000,
            deadline_ms: 2_000,
            epoch_tick_ms: 1,
            max_memory_bytes: 64 << 20,
            recycle_memory_bytes: 16 << 20,
            recycle_after_calls: 100_000,
            max_input_bytes: 1 << 20,
            max_output_bytes: 1 << 20,
            max_table_elements: 100_000,
            stderr_capture_bytes: 4096,
            max_component_bytes: 16 << 20,
            cache_capacity: 64,
            pool_instances: 256,
            max_handles: 10_000,
            perf_map: false,
            component: super::inspect::ComponentLimits::default(),
        }
    }
}

impl PluginLimits {
    /// Epoch ticks that make up the per-call deadline (at least one).
    pub fn deadline_ticks(&self) -> u64 {
        self.deadline_ms.div_ceil(self.epoch_tick_ms.max(1)).max(1)
    }
}
