//! Size limits on a component, checked where they are cheap:
//!
//! - [`inspect`] parses the binary with `wasmparser` (no validation, no
//!   compilation: milliseconds for megabytes) and counts what compiling
//!   would cost: functions and code bytes over every core module nested at
//!   any depth, and the core modules and components themselves. Compile
//!   time and memory grow with these (600,000 empty functions took wasmtime
//!   over 90 s and 3.5 GB), so they are refused *before* compiling;
//! - [`check_description`] bounds what `describe()` returned, before
//!   anything parses the config schema or lists the action kinds (a 20 MB
//!   schema cost the server 1.3 GB to compile as a JSON schema; 100,002
//!   action kinds made the catalogue answer 1 MB).
//!
//! [`crate::PluginHost::load`] runs both, so they hold for uploads,
//! `veltrix plugin check`, stored uploads registered at start and the
//! built-ins.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use veltrix_contract::GameTypeInfo;
use wasmparser::{Encoding, Parser, Payload};

/// `[plugins.component]`: limits on one component and its description.
/// Every field may be overridden with `VELTRIX_PLUGINS__COMPONENT__<FIELD>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentLimits {
    /// Most functions defined by all the component's core modules together
    /// (imports excluded). Default 20,000: the built-ins define 488-605
    /// each; compiling costs roughly 0.15-0.2 ms and 6 KB per function
    /// (the 600,000 took 92-124 s and 3.5 GB).
    pub max_functions: u64,
    /// Most bytes of function bodies (code sections) over all core modules.
    /// Default 8 MiB; the built-ins have 235-298 KiB each.
    pub max_code_bytes: u64,
    /// Most core modules, nested at any depth. Default 32 (a Rust
    /// `wasm32-wasip2` component such as a built-in has 3).
    pub max_modules: u64,
    /// Most components, the outer one included. Default 16 (a built-in
    /// has 2).
    pub max_components: u64,
    /// Most bytes of the config schema `describe()` returns. Default
    /// 64 KiB; the built-ins' schemas are 1.5-4.3 KiB.
    pub max_config_schema_bytes: u64,
    /// Most bytes of the example config `describe()` returns. Default
    /// 16 KiB; the built-ins' are under 1.7 KiB.
    pub max_example_config_bytes: u64,
    /// Most action kinds `describe()` may declare. Default 256; the
    /// built-ins declare 8-12.
    pub max_action_kinds: u64,
    /// Most bytes of everything `describe()` returns together (name,
    /// version, schema, example config, action kinds). Default 128 KiB.
    pub max_describe_bytes: u64,
}

impl Default for ComponentLimits {
    fn default() -> Self {
        Self {
            max_functions: 20_000,
            max_code_bytes: 8 << 20,
            max_modules: 32,
            max_components: 16,
            max_config_schema_bytes: 64 << 10,
            max_example_config_bytes: 16 << 10,
            max_action_kinds: 256,
            max_describe_bytes: 128 << 10,
        }
    }
}

/// Which limit: what it counts and the config field that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// `max_functions`.
    Functions,
    /// `max_code_bytes`.
    CodeBytes,
    /// `max_modules`.
    Modules,
    /// `max_components`.
    Components,
    /// `max_config_schema_bytes`.
    ConfigSchemaBytes,
    /// `max_example_config_bytes`.
    ExampleConfigBytes,
    /// `max_action_kinds`.
    ActionKinds,
    /// `max_describe_bytes`.
    DescribeBytes,
}

impl Limit {
    /// The config field, as written in the TOML.
    pub fn field(self) -> &'static str {
        match self {
            Self::Functions => "plugins.component.max_functions",
            Self::CodeBytes => "plugins.component.max_code_bytes",
            Self::Modules => "plugins.component.max_modules",
            Self::Components => "plugins.component.max_components",
            Self::ConfigSchemaBytes => "plugins.component.max_config_schema_bytes",
            Self::ExampleConfigBytes => "plugins.component.max_example_config_bytes",
            Self::ActionKinds => "plugins.component.max_action_kinds",
            Self::DescribeBytes => "plugins.component.max_describe_bytes",
        }
    }

    /// What is counted, for the message.
    pub fn counted(self) -> &'static str {
        match self {
            Self::Functions => "functions defined",
            Self::CodeBytes => "bytes of code",
            Self::Modules => "core modules",
            Self::Components => "components",
            Self::ConfigSchemaBytes => "bytes of config schema",
            Self::ExampleConfigBytes => "bytes of example config",
            Self::ActionKinds => "action kinds",
            Self::DescribeBytes => "bytes of describe() output",
        }
    }
}

/// A component over one of its limits.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error(
    "{value} {} is over the limit of {max} (`{}`)",
    limit.counted(),
    limit.field()
)]
pub struct LimitExceeded {
    /// Which limit.
    pub limit: Limit,
    /// What the component has (at least: counting stops at the first
    /// section over the limit).
    pub value: u64,
    /// The configured limit.
    pub max: u64,
}

/// Why a component was refused by [`inspect`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InspectError {
    /// Not parseable as WebAssembly.
    #[error("not a valid WebAssembly binary: {0}")]
    Malformed(String),
    /// Over a limit.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
}

/// What [`inspect`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// Functions defined, over every core module.
    pub functions: u64,
    /// Bytes of code sections, over every core module.
    pub code_bytes: u64,
    /// Core modules, at any depth.
    pub modules: u64,
    /// Components, the outer one included.
    pub components: u64,
}

fn within(limit: Limit, value: u64, max: u64) -> Result<(), LimitExceeded> {
    if value > max {
        return Err(LimitExceeded { limit, value, max });
    }
    Ok(())
}

/// Counts the cost drivers of compiling `bytes`, refusing at the first
/// section that takes a count over its limit (so a huge component is
/// refused as soon as its first big section header is read).
pub fn inspect(bytes: &[u8], limits: &ComponentLimits) -> Result<Inventory, InspectError> {
    let mut inv = Inventory::default();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| InspectError::Malformed(e.to_string()))?;
        match payload {
            Payload::Version { encoding, .. } => match encoding {
                Encoding::Module => {
                    inv.modules += 1;
                    within(Limit::Modules, inv.modules, limits.max_modules)?;
                }
                Encoding::Component => {
                    inv.components += 1;
                    within(Limit::Components, inv.components, limits.max_components)?;
                }
            },
            Payload::FunctionSection(reader) => {
                inv.functions += u64::from(reader.count());
                within(Limit::Functions, inv.functions, limits.max_functions)?;
            }
            Payload::CodeSectionStart { count, size, .. } => {
                // A code section without a function section is invalid, but
                // count its bodies too: compiling is what we bound.
                inv.functions = inv.functions.max(u64::from(count));
                within(Limit::Functions, inv.functions, limits.max_functions)?;
                inv.code_bytes += u64::from(size);
                within(Limit::CodeBytes, inv.code_bytes, limits.max_code_bytes)?;
            }
            _ => {}
        }
    }
    Ok(inv)
}

/// Bounds what `describe()` returned; run before the description is used.
pub fn check_description(i: &GameTypeInfo, limits: &ComponentLimits) -> Result<(), LimitExceeded> {
    let len = |s: &str| s.len() as u64;
    within(
        Limit::ConfigSchemaBytes,
        len(&i.config_schema),
        limits.max_config_schema_bytes,
    )?;
    within(
        Limit::ExampleConfigBytes,
        len(&i.example_config),
        limits.max_example_config_bytes,
    )?;
    within(
        Limit::ActionKinds,
        i.action_kinds.len() as u64,
        limits.max_action_kinds,
    )?;
    let total = len(&i.name)
        + len(&i.version)
        + len(&i.config_schema)
        + len(&i.example_config)
        + i.action_kinds.iter().map(|k| len(k)).sum::<u64>();
    within(Limit::DescribeBytes, total, limits.max_describe_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_the_value_and_the_field() {
        let e = LimitExceeded {
            limit: Limit::Functions,
            value: 600_000,
            max: 20_000,
        };
        assert_eq!(
            e.to_string(),
            "600000 functions defined is over the limit of 20000 (`plugins.component.max_functions`)"
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let r = inspect(b"\0asm garbage", &ComponentLimits::default());
        assert!(matches!(r, Err(InspectError::Malformed(_))), "{r:?}");
    }

    #[test]
    fn description_limits() {
        let mut info = GameTypeInfo {
            name: "x".into(),
            version: "1.0.0".into(),
            config_schema: "{}".into(),
            example_config: "{}".into(),
            action_kinds: vec!["a".into()],
            latency_budget_us: 1,
            fuel_budget: 1,
        };
        let limits = ComponentLimits::default();
        assert_eq!(check_description(&info, &limits), Ok(()));
        info.action_kinds = (0..257).map(|i| i.to_string()).collect();
        let e = check_description(&info, &limits).unwrap_err();
        assert_eq!((e.limit, e.value, e.max), (Limit::ActionKinds, 257, 256));
        info.action_kinds = vec!["a".into()];
        info.config_schema = " ".repeat(100 << 10);
        let e = check_description(&info, &limits).unwrap_err();
        assert_eq!(e.limit, Limit::ConfigSchemaBytes);
    }
}
