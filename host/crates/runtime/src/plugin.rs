//! [`Plugin`]: one loaded, validated, compiled game-type component (what
//! [`super::host::PluginHost`] loads and [`super::worker::Worker`]s run).

use std::sync::Arc;

use veltrix_contract::{Action, GameContract, GameTypeInfo, Rejection};
use wasmtime::Engine;

use super::bindings::{GameTypePre, WitVersion};
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
    /// What `contract` returned at load; for a 0.2 component, the untyped
    /// contract of its declared kinds ([`GameContract::untyped`]).
    pub contract: GameContract,
    pub(crate) pre: GameTypePre<Sandbox>,
    pub(crate) engine: Engine,
    pub(crate) limits: Arc<PluginLimits>,
    /// The declared config schema, compiled at load (`None` when it does
    /// not compile: `plugin check` refuses such a component at upload).
    pub(crate) config_schema: Option<Arc<jsonschema::Validator>>,
    /// Each kind's payload schema, compiled at load (a typed component
    /// whose schema does not compile does not load).
    pub(crate) payload_schemas: crate::contract::Validators,
}

/// Most config problems one answer lists.
const MAX_CONFIG_ISSUES: usize = 5;

impl Plugin {
    /// The contract version the component exports.
    pub fn wit_version(&self) -> WitVersion {
        self.pre.version()
    }

    /// Whether the component declared its contract (0.3 and later): its
    /// payloads are validated and its reward types are fixed.
    pub fn typed(&self) -> bool {
        self.wit_version() != WitVersion::V2
    }

    /// The reward types the component may mint (`None`: a 0.2 component,
    /// which never declared them).
    pub fn reward_types(&self) -> Option<&[String]> {
        self.typed()
            .then_some(self.contract.reward_types.as_slice())
    }

    /// What the host checks before `apply` sees an action (see
    /// [`crate::contract::admit`]); the refusal names the field.
    pub fn check_action(&self, action: &Action) -> Result<(), Rejection> {
        crate::contract::admit(
            &self.info.name,
            &self.contract,
            &self.payload_schemas,
            action,
        )
    }

    /// Checks a tenant's config against the game type's declared schema
    /// before `init` sees it. Each problem names its place in the tenant's
    /// own document as a JSON pointer (`/rate_limit/max_wrong: 5000 is
    /// greater than the maximum of 1000`); at most five are listed.
    pub fn check_config(&self, config: &serde_json::Value) -> Result<(), Vec<String>> {
        let Some(schema) = &self.config_schema else {
            return Ok(());
        };
        let issues = issues(schema, config, MAX_CONFIG_ISSUES);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }
}

/// At most `max` schema violations of `doc`, each as `/pointer: message`.
pub(crate) fn issues(
    schema: &jsonschema::Validator,
    doc: &serde_json::Value,
    max: usize,
) -> Vec<String> {
    schema
        .iter_errors(doc)
        .take(max)
        .map(|e| {
            let at = e.instance_path.to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            format!("{at}: {e}")
        })
        .collect()
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
