//! The plugin host: one wasmtime `Engine` (pooling allocator, fuel, epoch
//! interruption), one `Linker` with the virtualised WASI, and the cache of
//! compiled components keyed by their sha256.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::{debug, info, instrument};
use veltrix_contract::{GameContract, GameTypeInfo};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::bindings::GameTypePre;
use super::error::{LoadError, QUOTED_NAME_BYTES, plugin_text};
use super::limits::PluginLimits;
use super::plugin::Plugin;
use super::sandbox::{Sandbox, check_import};
use super::worker::Worker;

/// Increments the engine's epoch every tick until dropped; the per-call
/// deadline is a number of ticks.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine, tick: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("veltrix-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .expect("spawn epoch ticker thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Compiles, validates, caches and hands out plugins.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<Sandbox>,
    limits: Arc<PluginLimits>,
    cache: Mutex<HashMap<String, Arc<Plugin>>>,
    _ticker: EpochTicker,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("limits", &self.limits)
            .finish()
    }
}

impl PluginHost {
    /// Builds the engine and linker for `limits`.
    pub fn new(limits: PluginLimits) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits.pool_instances)
            .total_core_instances(limits.pool_instances * 8)
            .total_memories(limits.pool_instances * 4)
            .total_tables(limits.pool_instances * 8)
            .max_memories_per_component(8)
            .max_tables_per_component(16)
            .max_core_instances_per_component(32)
            .max_memory_size(limits.max_memory_bytes)
            // Fiber stacks serve async calls only, which the host does not
            // make; wasmtime's default of 1,000 maps 2 GiB of them writable,
            // more than a check worker's memory cap (`check::isolate`).
            .total_stacks(limits.pool_instances);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if limits.perf_map {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("wasmtime engine: {e}"))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking virtual WASI: {e}"))?;
        super::wasi::link(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking the sandbox's WASI overrides: {e}"))?;
        let ticker = EpochTicker::start(
            engine.clone(),
            Duration::from_millis(limits.epoch_tick_ms.max(1)),
        );
        Ok(Self {
            engine,
            linker,
            limits: Arc::new(limits),
            cache: Mutex::new(HashMap::new()),
            _ticker: ticker,
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &PluginLimits {
        &self.limits
    }

    /// The content address (hex sha256) of component bytes.
    pub fn content_hash(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Validates and compiles a component, or returns the cached one with the
    /// same content hash. Refuses oversize files, core modules, components
    /// that import anything outside the allow-list or that do not implement
    /// the game-type world, and components whose `describe` fails.
    #[instrument(skip_all, fields(size = bytes.len()))]
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        if bytes.len() > self.limits.max_component_bytes {
            return Err(LoadError::TooLarge {
                size: bytes.len(),
                limit: self.limits.max_component_bytes,
            });
        }
        let hash = Self::content_hash(bytes);
        if let Some(p) = self.cache.lock().expect("plugin cache lock").get(&hash) {
            debug!(%hash, "plugin cache hit");
            return Ok(Arc::clone(p));
        }
        check_binary(bytes)?;
        // Before compiling: what compiling would cost is bounded first.
        super::inspect::inspect(bytes, &self.limits.component).map_err(|e| match e {
            super::inspect::InspectError::Malformed(m) => {
                LoadError::Invalid(plugin_text(&m, self.limits.stderr_capture_bytes))
            }
            super::inspect::InspectError::Limit(l) => LoadError::Limit(l),
        })?;
        let started = std::time::Instant::now();
        // Parse errors and type mismatches quote names from the component.
        let quote =
            |e: wasmtime::Error| plugin_text(&format!("{e:#}"), self.limits.stderr_capture_bytes);
        let component =
            Component::new(&self.engine, bytes).map_err(|e| LoadError::Invalid(quote(e)))?;
        for (name, _) in component.component_type().imports(&self.engine) {
            check_import(name)
                .map_err(|_| LoadError::ForbiddenImport(plugin_text(name, QUOTED_NAME_BYTES)))?;
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::WorldMismatch(quote(e)))?;
        let pre = GameTypePre::new(pre).map_err(|e| LoadError::WorldMismatch(quote(e)))?;
        let mut plugin = Plugin {
            hash: hash.clone(),
            size: bytes.len(),
            info: placeholder_info(),
            contract: GameContract::default(),
            pre,
            engine: self.engine.clone(),
            limits: Arc::clone(&self.limits),
            config_schema: None,
            payload_schemas: Default::default(),
        };
        let (described, contract) = Worker::describe_unloaded(&plugin)?;
        // Before anything parses the schema or lists the kinds.
        super::inspect::check_description(&described, &self.limits.component)?;
        validate_info(&described)?;
        plugin.contract = match contract {
            Some(c) => {
                plugin.payload_schemas =
                    super::contract::validate(&described, &c, &self.limits.component)?;
                c
            }
            None => GameContract::untyped(&described.action_kinds),
        };
        plugin.config_schema = super::plugin::compile_schema(&described.config_schema);
        if plugin.config_schema.is_none() {
            tracing::warn!(%hash, name = %described.name, "config schema does not compile; configs go to init unchecked");
        }
        plugin.info = described;
        let plugin = Arc::new(plugin);
        info!(%hash, name = %plugin.info.name, version = %plugin.info.version,
              compile_ms = started.elapsed().as_millis() as u64, "plugin loaded");
        let mut cache = self.cache.lock().expect("plugin cache lock");
        if cache.len() >= self.limits.cache_capacity {
            // Evict one entry; games pinned to it keep their own Arc.
            if let Some(k) = cache.keys().next().cloned() {
                cache.remove(&k);
            }
        }
        cache.insert(hash, Arc::clone(&plugin));
        Ok(plugin)
    }
}

fn placeholder_info() -> GameTypeInfo {
    GameTypeInfo {
        name: String::new(),
        version: String::new(),
        config_schema: String::new(),
        example_config: String::new(),
        action_kinds: Vec::new(),
        latency_budget_us: 0,
        fuel_budget: 0,
    }
}

/// The magic number and version of a component binary (a core module has
/// version 1, layer 0).
const COMPONENT_PREAMBLE: [u8; 8] = *b"\0asm\x0d\0\x01\0";

/// Refuses anything but the binary encoding of a component before wasmtime
/// parses it, with an error that says what it got instead. (wasmtime's own
/// `wat` feature, which would accept text, is off in the workspace.)
pub fn check_binary(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.starts_with(&COMPONENT_PREAMBLE) {
        return Ok(());
    }
    let what = if bytes.starts_with(b"\0asm\x01\0\0\0") {
        "a core WebAssembly module; wrap it as a component (wasm-tools component new)"
    } else if bytes.starts_with(b"\0asm") {
        "unsupported WebAssembly binary version or layer"
    } else if matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'(' | b';')
    ) {
        "text (WAT); only the binary encoding is accepted"
    } else {
        "no WebAssembly magic number"
    };
    Err(LoadError::NotBinary(what.into()))
}

/// Structural checks of a description (the conformance check goes further).
pub fn validate_info(i: &GameTypeInfo) -> Result<(), LoadError> {
    // The name and version are quoted in the error: make them safe to log.
    let bad = |m: String| {
        Err(LoadError::BadDescription(plugin_text(
            &m,
            QUOTED_NAME_BYTES,
        )))
    };
    let name_ok = i.name.len() <= 64
        && i.name.starts_with(|c: char| c.is_ascii_lowercase())
        && i.name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return bad(format!(
            "name `{}` must match [a-z][a-z0-9-]{{0,63}}",
            i.name
        ));
    }
    let parts: Vec<_> = i.version.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return bad(format!("version `{}` is not MAJOR.MINOR.PATCH", i.version));
    }
    if i.action_kinds.is_empty() {
        return bad("declares no action kinds".into());
    }
    if i.fuel_budget == 0 || i.latency_budget_us == 0 {
        return bad("fuel and latency budgets must be positive".into());
    }
    if serde_json::from_str::<serde_json::Value>(&i.config_schema).is_err() {
        return bad("config schema is not JSON".into());
    }
    Ok(())
}
