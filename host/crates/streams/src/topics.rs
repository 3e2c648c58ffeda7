//! Stream families: one per consistency domain, each a topic per game type
//! (or reward type), with its own key, retention, compression, cleanup
//! policy, partitions, replication and client tuning. All of it is config
//! (`[streams.<family>]`) with the defaults below.

use serde::{Deserialize, Serialize};

/// How old data leaves a topic. Always stated explicitly: brokers differ in
/// what they do when it is left unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CleanupPolicy {
    /// Time-based retention (`retention_ms`).
    Delete,
    /// Keep the latest record per key.
    Compact,
}

impl CleanupPolicy {
    /// Kafka's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Compact => "compact",
        }
    }
}

/// Record batch compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// None.
    None,
    /// LZ4: cheapest, for the hot game streams.
    Lz4,
    /// Zstandard: best ratio, for long-retained quest streams.
    Zstd,
    /// Snappy.
    Snappy,
    /// Gzip.
    Gzip,
}

impl Compression {
    /// Kafka's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
            Self::Snappy => "snappy",
            Self::Gzip => "gzip",
        }
    }
}

/// The four families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `game.v1.<game-type>`: player actions, keyed by game id.
    Game,
    /// `quest.v1.<game-type>`: quest updates, keyed by quest id.
    Quest,
    /// `reward.v1.<reward-type>`: minted rewards, keyed by reward id.
    Reward,
    /// `events.v1.players`: per-player deltas, compacted, keyed by player id.
    Players,
}

/// One family's topic settings and client tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilySpec {
    /// Topic name; `{type}` is replaced by each game or reward type.
    pub topic: String,
    /// What the record key is (documentation and envelope checks).
    pub key: String,
    /// Partitions per topic.
    pub partitions: u32,
    /// Replicas per partition (1 on a single broker).
    pub replication_factor: i16,
    /// Retention in ms (`-1`: forever; ignored by pure compaction).
    pub retention_ms: i64,
    /// Batch compression (topic config and producer setting).
    pub compression: Compression,
    /// Delete or compact; never left to the broker's default.
    pub cleanup_policy: CleanupPolicy,
    /// Records are never rewritten: no compaction, one record per key,
    /// published only by the outbox relay (which never republishes).
    pub immutable: bool,
    /// Consumer group of the family's consumers.
    pub consumer_group: String,
    /// Producer linger in ms: 0 for latency, more for throughput.
    pub linger_ms: u32,
    /// Idempotent producer (`enable.idempotence`): no duplicates or
    /// reordering from producer retries.
    pub idempotent: bool,
    /// Most time a fetch waits for data, in ms (latency vs requests).
    pub fetch_wait_max_ms: u32,
}

impl FamilySpec {
    /// Topic name for one type (`{type}` replaced).
    pub fn topic_for(&self, ty: &str) -> String {
        self.topic.replace("{type}", ty)
    }

    /// The Kafka topic configs this family declares.
    pub fn topic_configs(&self) -> Vec<(&'static str, String)> {
        let mut c = vec![
            ("cleanup.policy", self.cleanup_policy.as_str().to_string()),
            ("compression.type", self.compression.as_str().to_string()),
        ];
        if self.cleanup_policy == CleanupPolicy::Delete {
            c.push(("retention.ms", self.retention_ms.to_string()));
        }
        c
    }

    /// Rejects combinations that break the family's guarantees.
    pub fn validate(&self, family: Family) -> Result<(), String> {
        if self.partitions == 0 {
            return Err(format!("{family:?}: partitions must be at least 1"));
        }
        if self.replication_factor < 1 {
            return Err(format!("{family:?}: replication_factor must be at least 1"));
        }
        if self.immutable && self.cleanup_policy == CleanupPolicy::Compact {
            return Err(format!(
                "{family:?}: an immutable family cannot be compacted (compaction rewrites by key)"
            ));
        }
        if family != Family::Players && !self.topic.contains("{type}") {
            return Err(format!("{family:?}: topic must contain {{type}}"));
        }
        Ok(())
    }
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// `[streams.game]` default: 7 days, lz4, keyed by game id.
pub fn default_game() -> FamilySpec {
    FamilySpec {
        topic: "game.v1.{type}".into(),
        key: "game_id".into(),
        partitions: 12,
        replication_factor: 1,
        retention_ms: 7 * DAY_MS,
        compression: Compression::Lz4,
        cleanup_policy: CleanupPolicy::Delete,
        immutable: false,
        consumer_group: "veltrix-game".into(),
        linger_ms: 1,
        idempotent: false,
        fetch_wait_max_ms: 5,
    }
}

/// `[streams.quest]` default: 30 days, zstd, keyed by quest id.
pub fn default_quest() -> FamilySpec {
    FamilySpec {
        topic: "quest.v1.{type}".into(),
        key: "quest_id".into(),
        retention_ms: 30 * DAY_MS,
        compression: Compression::Zstd,
        consumer_group: "veltrix-quest".into(),
        linger_ms: 2,
        ..default_game()
    }
}

/// `[streams.reward]` default: 90 days, snappy, immutable, idempotent.
pub fn default_reward() -> FamilySpec {
    FamilySpec {
        topic: "reward.v1.{type}".into(),
        key: "reward_id".into(),
        retention_ms: 90 * DAY_MS,
        compression: Compression::Snappy,
        immutable: true,
        consumer_group: "veltrix-reward".into(),
        idempotent: true,
        linger_ms: 1,
        ..default_game()
    }
}

/// `[streams.players]` default: compacted, keyed by player id.
pub fn default_players() -> FamilySpec {
    FamilySpec {
        topic: "events.v1.players".into(),
        key: "player_id".into(),
        retention_ms: -1,
        compression: Compression::Lz4,
        cleanup_policy: CleanupPolicy::Compact,
        consumer_group: "veltrix-feed".into(),
        linger_ms: 1,
        ..default_game()
    }
}

/// One concrete topic to provision.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    /// Full topic name.
    pub name: String,
    /// Family it belongs to.
    pub family: Family,
    /// Partitions.
    pub partitions: u32,
    /// Replication factor.
    pub replication_factor: i16,
    /// Cleanup policy (compacted topics refuse keyless records).
    pub cleanup_policy: CleanupPolicy,
    /// Retention (delete policy only).
    pub retention_ms: i64,
    /// Topic configs, Kafka spelling.
    pub configs: Vec<(&'static str, String)>,
}

impl TopicSpec {
    /// The topic of `family` for type `ty` (ignored by `players`).
    pub fn new(family: Family, spec: &FamilySpec, ty: &str) -> Self {
        Self {
            name: spec.topic_for(ty),
            family,
            partitions: spec.partitions,
            replication_factor: spec.replication_factor,
            cleanup_policy: spec.cleanup_policy,
            retention_ms: spec.retention_ms,
            configs: spec.topic_configs(),
        }
    }

    /// The same settings under another name.
    pub fn with_name(mut self, name: String) -> Self {
        self.name = name;
        self
    }
}
