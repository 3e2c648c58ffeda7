//! The plugin registry: loaded components by content hash, and the current
//! version of each game type.
//!
//! A game pins the hash it was created with (`games.plugin_hash`), so a
//! newer upload of its type changes only games created afterwards. Pinned
//! versions stay registered for as long as the process runs; a pinned hash
//! that is not registered (an upload lost before a restart) makes the
//! game's actions fault instead of running them under other rules.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use veltrix_runtime::{LoadError, Plugin, PluginHost, PluginLimits};

/// Loaded plugins by hash and by game type.
pub struct Registry {
    host: PluginHost,
    by_hash: RwLock<HashMap<String, Arc<Plugin>>>,
    current: RwLock<HashMap<String, Arc<Plugin>>>,
    /// The built-in game types, in catalogue order.
    builtins: Vec<String>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let types: Vec<String> = self
            .current
            .read()
            .expect("registry lock")
            .keys()
            .cloned()
            .collect();
        f.debug_struct("Registry").field("types", &types).finish()
    }
}

impl Registry {
    /// An empty registry running plugins under `limits`.
    pub fn new(limits: PluginLimits) -> anyhow::Result<Self> {
        Ok(Self {
            host: PluginHost::new(limits)?,
            by_hash: RwLock::default(),
            current: RwLock::default(),
            builtins: Vec::new(),
        })
    }

    /// A registry holding the built-in game types `builtins` (name,
    /// component), which the composition root takes from
    /// `veltrix-artifacts`: this crate never embeds a guest.
    pub fn with_builtins<'a>(
        limits: PluginLimits,
        builtins: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> anyhow::Result<Self> {
        let mut r = Self::new(limits)?;
        for (name, wasm) in builtins {
            r.register(wasm)
                .map_err(|e| anyhow::anyhow!("built-in {name}: {e}"))?;
            r.builtins.push(name.to_string());
        }
        Ok(r)
    }

    /// The built-in game types, in catalogue order.
    pub fn builtins(&self) -> &[String] {
        &self.builtins
    }

    /// Whether `name` is a built-in game type (partners cannot upload one).
    pub fn is_builtin(&self, name: &str) -> bool {
        self.builtins.iter().any(|b| b == name)
    }

    /// Loads a component and makes it the current version of its game
    /// type (the name its `describe` gives).
    pub fn register(&self, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        let p = self.host.load(bytes)?;
        self.by_hash
            .write()
            .expect("registry lock")
            .insert(p.hash.clone(), Arc::clone(&p));
        self.current
            .write()
            .expect("registry lock")
            .insert(p.info.name.clone(), Arc::clone(&p));
        tracing::info!(game_type = %p.info.name, version = %p.info.version, hash = %p.hash, "plugin registered");
        Ok(p)
    }

    /// Loads a component for the games pinned to it without making it its
    /// type's current version (an older version another host registered).
    pub fn pin(&self, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        let p = self.host.load(bytes)?;
        self.by_hash
            .write()
            .expect("registry lock")
            .insert(p.hash.clone(), Arc::clone(&p));
        tracing::info!(game_type = %p.info.name, version = %p.info.version, hash = %p.hash, "plugin pinned");
        Ok(p)
    }

    /// Makes the loaded component `hash` its type's current version;
    /// `false` when it is not loaded.
    pub fn promote(&self, hash: &str) -> bool {
        let Some(p) = self.pinned(hash) else {
            return false;
        };
        self.current
            .write()
            .expect("registry lock")
            .insert(p.info.name.clone(), p);
        true
    }

    /// The plugin host: compiles and caches components. The upload check
    /// runs on it, so registering a checked upload reuses its compilation.
    pub fn host(&self) -> &PluginHost {
        &self.host
    }

    /// The current version of `game_type`.
    pub fn current(&self, game_type: &str) -> Option<Arc<Plugin>> {
        self.current
            .read()
            .expect("registry lock")
            .get(game_type)
            .cloned()
    }

    /// The plugin with content hash `hash`.
    pub fn pinned(&self, hash: &str) -> Option<Arc<Plugin>> {
        self.by_hash
            .read()
            .expect("registry lock")
            .get(hash)
            .cloned()
    }

    /// Registered game types.
    pub fn game_types(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .current
            .read()
            .expect("registry lock")
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }
}
