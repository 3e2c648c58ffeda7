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
    /// The declared config schema, compiled at load (`None` when it does
    /// not compile: `plugin check` refuses such a component at upload).
    pub(crate) config_schema: Option<Arc<jsonschema::Validator>>,
}

/// Most config problems one answer lists.
const MAX_CONFIG_ISSUES: usize = 5;

impl Plugin {
    /// Checks a tenant's config against the game type's declared schema
    /// before `init` sees it. Each problem names its place in the tenant's
    /// own document as a JSON pointer (`/rate_limit/max_wrong: 5000 is
    /// greater than the maximum of 1000`); at most five are listed.
    pub fn check_config(&self, config: &serde_json::Value) -> Result<(), Vec<String>> {
        let Some(schema) = &self.config_schema else {
            return Ok(());
        };
        let issues: Vec<String> = schema
            .iter_errors(config)
            .take(MAX_CONFIG_ISSUES)
            .map(|e| {
                let at = e.instance_path.to_string();
                let at = if at.is_empty() { "/".to_string() } else { at };
                format!("{at}: {e}")
            })
            .collect();
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }
}

/// Compiles a declared config schema (`None` when it is not JSON or does
/// not compile).
pub(crate) fn compile_schema(schema: &str) -> Option<Arc<jsonschema::Validator>> {
    let value: serde_json::Value = serde_json::from_str(schema).ok()?;
    jsonschema::validator_for(&value).ok().map(Arc::new)
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
