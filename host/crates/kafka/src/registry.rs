//! Which topics exist, with their partition counts and families.
//!
//! `send` is synchronous and must know a topic's partition count to pick the
//! partition, so counts are cached: from the metadata read at connect, from
//! `ensure`, and from a one-off metadata lookup on a miss. Partition counts
//! only grow in Kafka, and we never add partitions (that would move keys).
//! A topic's family (which producer tuning it gets) comes from `ensure` when
//! it passed through it, else from the families' topic patterns.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;

use crate::client::classify;
use veltrix_streams::{Family, StreamError, StreamsConfig};

#[derive(Clone, Copy)]
struct Entry {
    partitions: u32,
    family: Family,
}

/// The topic cache.
pub struct Registry {
    streams: StreamsConfig,
    topics: RwLock<HashMap<String, Entry>>,
}

impl Registry {
    /// An empty cache resolving families with `streams`' patterns.
    pub fn new(streams: StreamsConfig) -> Self {
        Self {
            streams,
            topics: RwLock::default(),
        }
    }

    /// Cached partition count of `topic`.
    pub fn partitions(&self, topic: &str) -> Option<u32> {
        self.topics
            .read()
            .expect("registry lock")
            .get(topic)
            .map(|e| e.partitions)
    }

    /// Family of `topic`: remembered from `ensure`, else by pattern, else
    /// `Game` (the default tuning).
    pub fn family(&self, topic: &str) -> Family {
        if let Some(e) = self.topics.read().expect("registry lock").get(topic) {
            return e.family;
        }
        self.family_by_pattern(topic).unwrap_or(Family::Game)
    }

    /// Family whose topic pattern (`{type}` placeholder) matches `topic`.
    pub fn family_by_pattern(&self, topic: &str) -> Option<Family> {
        [Family::Game, Family::Quest, Family::Reward, Family::Players]
            .into_iter()
            .find(|f| pattern_matches(&self.streams.family(*f).topic, topic))
    }

    /// Records `topic` (from `ensure`, with its known family).
    pub fn remember(&self, topic: &str, partitions: u32, family: Family) {
        self.topics
            .write()
            .expect("registry lock")
            .insert(topic.to_string(), Entry { partitions, family });
    }

    fn learn(&self, topic: &str, partitions: u32) {
        let family = self.family(topic);
        self.remember(topic, partitions, family);
    }

    /// Caches every healthy topic of a full metadata response.
    pub fn learn_all(&self, md: &Metadata) {
        for t in md.topics() {
            if t.error().is_none() && !t.partitions().is_empty() {
                self.learn(t.name(), t.partitions().len() as u32);
            }
        }
    }

    /// Asks the broker for `topic` (blocking) and caches the answer.
    pub fn lookup(
        &self,
        meta: &BaseConsumer,
        topic: &str,
        timeout: Duration,
    ) -> Result<u32, StreamError> {
        let md = meta
            .fetch_metadata(Some(topic), timeout)
            .map_err(|e| classify("fetch metadata", &e))?;
        let found = md.topics().iter().find(|t| t.name() == topic);
        match found {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                let n = t.partitions().len() as u32;
                self.learn(topic, n);
                Ok(n)
            }
            Some(t) => {
                if let Some(err) = t.error() {
                    let code = RDKafkaErrorCode::from(err);
                    if code != RDKafkaErrorCode::UnknownTopicOrPartition {
                        tracing::warn!(topic, code = ?code, "topic metadata carries an error");
                    }
                }
                Err(StreamError::UnknownTopic(topic.to_string()))
            }
            None => Err(StreamError::UnknownTopic(topic.to_string())),
        }
    }
}

/// `game.v1.{type}` matches `game.v1.<non-empty>`; a pattern without
/// `{type}` matches only itself.
fn pattern_matches(pattern: &str, topic: &str) -> bool {
    match pattern.split_once("{type}") {
        Some((pre, post)) => {
            topic.len() > pre.len() + post.len() && topic.starts_with(pre) && topic.ends_with(post)
        }
        None => pattern == topic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_by_pattern() {
        let r = Registry::new(StreamsConfig::default());
        assert_eq!(
            r.family_by_pattern("reward.v1.points"),
            Some(Family::Reward)
        );
        assert_eq!(r.family_by_pattern("quest.v1.bingo"), Some(Family::Quest));
        assert_eq!(
            r.family_by_pattern("events.v1.players"),
            Some(Family::Players)
        );
        assert_eq!(r.family_by_pattern("game.v1."), None);
        assert_eq!(r.family("elsewhere"), Family::Game);
        r.remember("elsewhere", 3, Family::Reward);
        assert_eq!(r.family("elsewhere"), Family::Reward);
        assert_eq!(r.partitions("elsewhere"), Some(3));
    }
}
