//! The host's config: one TOML file (every field optional, with documented
//! defaults), then environment overrides.
//!
//! Any field can be overridden by `VELTRIX_<SECTION>__<FIELD>`, for example
//! `VELTRIX_PLUGINS__MAX_FUEL=5000000`. Values parse as TOML scalars
//! (integer, float, boolean), falling back to a string.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::plugin::PluginLimits;

/// The whole host config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// Plugin sandbox limits (`[plugins]`).
    pub plugins: PluginLimits,
}

impl HostConfig {
    /// Loads `path` (or only defaults when `None`), then applies the
    /// process environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading config {}", p.display()))?,
            None => String::new(),
        };
        Self::from_parts(&text, std::env::vars())
    }

    /// Parses TOML `text` and applies `VELTRIX_*` overrides from `env`.
    pub fn from_parts(text: &str, env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let mut doc: toml::Table = toml::from_str(text).context("config is not valid TOML")?;
        for (key, value) in env {
            let Some(path) = key.strip_prefix("VELTRIX_") else { continue };
            let parts: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            if parts.len() < 2 {
                continue; // Not a field override (VELTRIX_LOG and friends).
            }
            set_path(&mut doc, &parts, parse_scalar(&value)).with_context(|| format!("applying {key}"))?;
        }
        toml::Value::Table(doc)
            .try_into()
            .context("config has unknown or mistyped fields")
    }
}

fn parse_scalar(s: &str) -> toml::Value {
    if let Ok(i) = s.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(f) = s.parse::<f64>() {
        toml::Value::Float(f)
    } else if let Ok(b) = s.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(s.to_string())
    }
}

fn set_path(doc: &mut toml::Table, parts: &[String], value: toml::Value) -> anyhow::Result<()> {
    let (last, sections) = parts.split_last().expect("at least two parts");
    let mut table = doc;
    for s in sections {
        table = table
            .entry(s.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .with_context(|| format!("`{s}` is not a section"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_file_then_env() {
        let c = HostConfig::from_parts("", []).unwrap();
        assert_eq!(c.plugins, PluginLimits::default());
        let c = HostConfig::from_parts(
            "[plugins]\nmax_fuel = 7\ndeadline_ms = 5\n",
            [("VELTRIX_PLUGINS__DEADLINE_MS".to_string(), "9".to_string())],
        )
        .unwrap();
        assert_eq!((c.plugins.max_fuel, c.plugins.deadline_ms), (7, 9));
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(HostConfig::from_parts("[plugins]\nmax_fuels = 7\n", []).is_err());
        let env = [("VELTRIX_PLUGINS__NOPE".to_string(), "1".to_string())];
        assert!(HostConfig::from_parts("", env).is_err());
    }
}
