//! The host's config: one TOML file (every field optional, with documented
//! defaults), then environment overrides.
//!
//! Any field can be overridden by `VELTRIX_<SECTION>__<FIELD>` (nested
//! sections joined by `__`), for example `VELTRIX_PLUGINS__MAX_FUEL=5000000`
//! or `VELTRIX_STREAMS__GAME__PARTITIONS=24`. Values parse as TOML scalars
//! (integer, float, boolean), falling back to a string. The three endpoints
//! also have short names: `VELTRIX_KAFKA_BROKERS`, `VELTRIX_DATABASE_URL`,
//! `VELTRIX_REDIS_URL`.
//!
//! A file only needs the fields it changes: it is merged over the defaults
//! field by field, so `[streams.game]\npartitions = 24` keeps the family's
//! other settings.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use veltrix_api::ApiConfig;
use veltrix_kafka::KafkaConfig;
use veltrix_leaderboard::RedisConfig;
use veltrix_pipeline::ProcessorConfig;
use veltrix_pipeline::outbox::OutboxConfig;
use veltrix_runtime::PluginLimits;
use veltrix_store::DatabaseConfig;
use veltrix_streams::StreamsConfig;

/// Short environment names for the endpoints, beside the generic form.
const ALIASES: [(&str, &str); 3] = [
    ("VELTRIX_KAFKA_BROKERS", "kafka.brokers"),
    ("VELTRIX_DATABASE_URL", "database.url"),
    ("VELTRIX_REDIS_URL", "redis.url"),
];

/// The whole host config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// Plugin sandbox limits (`[plugins]`).
    pub plugins: PluginLimits,
    /// Stream backend, families and types (`[streams]`).
    pub streams: StreamsConfig,
    /// Kafka connection (`[kafka]`), used when `streams.backend = "kafka"`.
    pub kafka: KafkaConfig,
    /// The ledger / outbox database (`[database]`).
    pub database: DatabaseConfig,
    /// Outbox writer and relay (`[outbox]`).
    pub outbox: OutboxConfig,
    /// Leaderboard cache (`[redis]`).
    pub redis: RedisConfig,
    /// The HTTP API (`[api]`), served by `veltrix serve`.
    pub api: ApiConfig,
    /// The game processor (`[processor]`).
    pub processor: ProcessorConfig,
}

impl HostConfig {
    /// The upload check's options on this host (`veltrix plugin check`
    /// starts from them, so the CLI and an upload give the same verdict).
    pub fn upload_check_options(&self) -> veltrix_runtime::check::CheckOptions {
        self.api.upload_check(&self.streams.reward_types)
    }

    /// Loads `path` (or only defaults when `None`), then applies the
    /// process environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("reading config {}", p.display()))?,
            None => String::new(),
        };
        Self::from_parts(&text, std::env::vars())
    }

    /// Parses TOML `text` and applies `VELTRIX_*` overrides from `env`.
    pub fn from_parts(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let file: toml::Table = toml::from_str(text).context("config is not valid TOML")?;
        let mut doc = toml::Table::try_from(Self::default()).context("serialising defaults")?;
        merge(&mut doc, file);
        for (key, value) in env {
            let parts: Vec<String> = match ALIASES.iter().find(|(k, _)| *k == key) {
                Some((_, path)) => path.split('.').map(String::from).collect(),
                None => match key.strip_prefix("VELTRIX_") {
                    Some(path) => path.split("__").map(str::to_lowercase).collect(),
                    None => continue,
                },
            };
            if parts.len() < 2 {
                continue; // Not a field override (VELTRIX_LOG and friends).
            }
            set_path(&mut doc, &parts, &value).with_context(|| format!("applying {key}"))?;
        }
        toml::Value::Table(doc)
            .try_into()
            .context("config has unknown or mistyped fields")
    }
}

/// Overlays `over` onto `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
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

fn set_path(doc: &mut toml::Table, parts: &[String], raw: &str) -> anyhow::Result<()> {
    let (last, sections) = parts.split_last().expect("at least two parts");
    let mut table = doc;
    for s in sections {
        table = table
            .entry(s.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .with_context(|| format!("`{s}` is not a section"))?;
    }
    // A field whose default is a string stays a string ("123" as a client id).
    let value = match table.get(last) {
        Some(toml::Value::String(_)) => toml::Value::String(raw.to_string()),
        _ => parse_scalar(raw),
    };
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
    fn partial_sections_keep_defaults_and_aliases_apply() {
        let c = HostConfig::from_parts(
            "[streams.game]\npartitions = 24\n",
            [
                (
                    "VELTRIX_KAFKA_BROKERS".to_string(),
                    "10.0.0.1:9092".to_string(),
                ),
                (
                    "VELTRIX_DATABASE_URL".to_string(),
                    "postgres://db/x".to_string(),
                ),
                ("VELTRIX_REDIS_URL".to_string(), "redis://r:1".to_string()),
                (
                    "VELTRIX_STREAMS__REWARD__PARTITIONS".to_string(),
                    "3".to_string(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(c.streams.game.partitions, 24);
        assert_eq!(c.streams.game.retention_ms, 7 * 24 * 3600 * 1000);
        assert_eq!(c.streams.reward.partitions, 3);
        assert_eq!(c.kafka.brokers, "10.0.0.1:9092");
        assert_eq!(c.database.url, "postgres://db/x");
        assert_eq!(c.redis.url, "redis://r:1");
    }

    #[test]
    fn leaderboard_fields_default_and_override() {
        let c = HostConfig::from_parts(
            "[redis]\nview_size = 50\n",
            [(
                "VELTRIX_REDIS__BOARD_TTL_MS".to_string(),
                "60000".to_string(),
            )],
        )
        .unwrap();
        assert_eq!((c.redis.board_ttl_ms, c.redis.view_size), (60_000, 50));
        assert_eq!(c.redis.view_ttl_ms, 30_000);
        assert_eq!(c.redis.url, "redis://127.0.0.1:6379");
    }

    #[test]
    fn api_fields_default_and_override() {
        let c = HostConfig::from_parts("", []).unwrap();
        assert_eq!(c.api.listen, "127.0.0.1:8080");
        assert_eq!(c.api.max_body_bytes, 64 * 1024);
        assert!(c.api.bootstrap_operator_key.is_empty());
        // A numeric-looking secret stays a string (the default is one).
        let c = HostConfig::from_parts(
            "[api]\nlisten = \"0.0.0.0:9000\"\n",
            [(
                "VELTRIX_API__BOOTSTRAP_OPERATOR_KEY".to_string(),
                "12345678901234567890".to_string(),
            )],
        )
        .unwrap();
        assert_eq!(c.api.listen, "0.0.0.0:9000");
        assert_eq!(c.api.bootstrap_operator_key, "12345678901234567890");
        assert!(!format!("{c:?}").contains("12345678901234567890"));
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(HostConfig::from_parts("[plugins]\nmax_fuels = 7\n", []).is_err());
        let env = [("VELTRIX_PLUGINS__NOPE".to_string(), "1".to_string())];
        assert!(HostConfig::from_parts("", env).is_err());
    }
}
