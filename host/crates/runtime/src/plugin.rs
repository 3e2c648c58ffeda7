//! [`Plugin`]: one loaded, validated, compiled game-type component (what
//! [`super::host::PluginHost`] loads and [`super::worker::Worker`]s run).

use std::sync::Arc;

use veltrix_contract::GameTypeInfo;
use wasmtime::Engine;

use super::bindings::GameTypePre;
use super::limits::PluginLimits;
use super::sandbox::Sandbox;

/// A loaded, validated, compiled game-type component.
pub struct Plugin {
    /// Hex sha256 of the component bytes: its content address.
    pub hash: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// What `describe` returned at load.
    pub info: GameTypeInfo,
    pub(crate) pre: GameTypePre<Sandbox>,
    pub(crate) engine: Engine,
    pub(crate) limits: Arc<PluginLimits>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("hash", &self.hash)
            .field("name", &self.info.name)
            .field("version", &self.info.version)
            .finish()
    }
}
