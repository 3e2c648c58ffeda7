//! `[streams]`: which backend, which families and types (the broker's
//! settings are `[kafka]`, in `veltrix-kafka`).

use serde::{Deserialize, Serialize};

use super::topics::{self, Family, FamilySpec, TopicSpec};

/// Which stream backend the host runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// In-process log: the default, needs no server.
    Embedded,
    /// Kafka (or a Kafka-compatible broker) through rdkafka.
    Kafka,
}

/// `[streams]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamsConfig {
    /// Backend. Default `embedded`.
    pub backend: BackendKind,
    /// Game types that get `game.*` and `quest.*` topics. Default: the six
    /// built-ins.
    pub game_types: Vec<String>,
    /// Reward types that get `reward.*` topics. Default `points`, `bonus`,
    /// `penalty`, `adjustment` (what the built-in game types and the SDK's
    /// game-master grants mint) and `badge`. A reward
    /// of an undeclared type fails its action (it would have no topic).
    pub reward_types: Vec<String>,
    /// Largest event payload accepted, in bytes. Default 64 KiB.
    pub max_payload_bytes: usize,
    /// How often the embedded log applies retention, in ms. Default 1,000.
    pub embedded_retention_interval_ms: u64,
    /// Directory of the embedded log's files. Default `""`: beside the
    /// SQLite ledger (`<database file>.log/`, so `sqlite://veltrix.db`
    /// keeps its log in `veltrix.db.log/`), or `veltrix-log/` in the
    /// working directory when the ledger is on Postgres. `":memory:"`
    /// keeps the log in memory (nothing survives a restart).
    pub embedded_dir: String,
    /// `fdatasync` every embedded-log append and offsets file. Default
    /// `false`: records reach the OS before they are visible or acked, so
    /// a killed process loses nothing; only a power loss can drop the
    /// last records the OS had not written back (the offsets a consumer
    /// saved are then clamped to the partition's end).
    pub embedded_fsync: bool,
    /// `game.v1.<type>`.
    pub game: FamilySpec,
    /// `quest.v1.<type>`.
    pub quest: FamilySpec,
    /// `reward.v1.<type>`.
    pub reward: FamilySpec,
    /// `events.v1.players`.
    pub players: FamilySpec,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            backend: BackendKind::Embedded,
            game_types: [
                "scavenger",
                "riddle",
                "trail",
                "territory",
                "bingo",
                "sprint",
            ]
            .map(String::from)
            .to_vec(),
            reward_types: ["points", "bonus", "penalty", "adjustment", "badge"]
                .map(String::from)
                .to_vec(),
            max_payload_bytes: 64 * 1024,
            embedded_retention_interval_ms: 1_000,
            embedded_dir: String::new(),
            embedded_fsync: false,
            game: topics::default_game(),
            quest: topics::default_quest(),
            reward: topics::default_reward(),
            players: topics::default_players(),
        }
    }
}

impl StreamsConfig {
    /// Settings of one family.
    pub fn family(&self, f: Family) -> &FamilySpec {
        match f {
            Family::Game => &self.game,
            Family::Quest => &self.quest,
            Family::Reward => &self.reward,
            Family::Players => &self.players,
        }
    }

    /// Topic name of `family` for type `ty`.
    pub fn topic(&self, f: Family, ty: &str) -> String {
        self.family(f).topic_for(ty)
    }

    /// Every topic the config declares.
    pub fn topics(&self) -> Vec<TopicSpec> {
        let mut out = Vec::new();
        for ty in &self.game_types {
            out.push(TopicSpec::new(Family::Game, &self.game, ty));
            out.push(TopicSpec::new(Family::Quest, &self.quest, ty));
        }
        for ty in &self.reward_types {
            out.push(TopicSpec::new(Family::Reward, &self.reward, ty));
        }
        out.push(TopicSpec::new(Family::Players, &self.players, ""));
        out
    }

    /// Where the embedded log lives for a ledger at `database_url`:
    /// `None` in memory (see `embedded_dir`).
    pub fn embedded_location(&self, database_url: &str) -> Option<std::path::PathBuf> {
        match self.embedded_dir.as_str() {
            ":memory:" => None,
            "" => match database_url
                .strip_prefix("sqlite://")
                .or_else(|| database_url.strip_prefix("sqlite:"))
            {
                Some(path) => {
                    let path = path.split('?').next().unwrap_or(path);
                    if path.is_empty() || path.contains(":memory:") {
                        None
                    } else {
                        Some(format!("{path}.log").into())
                    }
                }
                None => Some("veltrix-log".into()),
            },
            dir => Some(dir.into()),
        }
    }

    /// Checks every family (see [`FamilySpec::validate`]).
    pub fn validate(&self) -> Result<(), String> {
        for f in [Family::Game, Family::Quest, Family::Reward, Family::Players] {
            self.family(f).validate(f)?;
        }
        Ok(())
    }
}
