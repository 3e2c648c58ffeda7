//! [`HostConfig::validate`]: the rules that tie one section's fields to
//! another's (or that no single field's type can say), checked before any
//! backend opens, so a bad config fails at start-up with every problem
//! named instead of at the first batch that trips over it.

use veltrix_streams::BackendKind;

use crate::HostConfig;

/// Largest `processor.max_reward_points`: board scores are doubles, exact
/// to 2^53.
const MAX_EXACT_POINTS: i64 = 1 << 53;

/// Every rule the config breaks, each naming its fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("; "))]
pub struct ConfigError {
    /// One line per broken rule.
    pub problems: Vec<String>,
}

impl HostConfig {
    /// Checks the cross-field rules; every broken one is reported.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p: Vec<String> = Vec::new();
        let mut rule = |ok: bool, msg: String| {
            if !ok {
                p.push(msg);
            }
        };
        let (pr, outbox, api) = (&self.processor, &self.outbox, &self.api);
        for (name, v) in [
            ("processor.workers", pr.workers),
            ("processor.poll_batch", pr.poll_batch),
            ("processor.replay_chunk", pr.replay_chunk),
            ("processor.tick_page", pr.tick_page),
            ("processor.tick_concurrency", pr.tick_concurrency),
            ("outbox.batch_size", outbox.batch_size),
            ("outbox.relay_batch_size", outbox.relay_batch_size),
            ("api.max_listed", api.max_listed),
        ] {
            rule(v >= 1, format!("{name} must be at least 1"));
        }
        rule(
            (1..=MAX_EXACT_POINTS).contains(&pr.max_reward_points),
            format!(
                "processor.max_reward_points ({}) must be between 1 and 2^53 (boards are exact to 2^53)",
                pr.max_reward_points
            ),
        );
        rule(
            outbox.renew_interval_ms < outbox.lease_ms,
            format!(
                "outbox.renew_interval_ms ({}) must be below outbox.lease_ms ({}), or the relay loses its lease between renewals",
                outbox.renew_interval_ms, outbox.lease_ms
            ),
        );
        rule(
            api.action_timeout_ms < api.request_timeout_ms,
            format!(
                "api.action_timeout_ms ({}) must be below api.request_timeout_ms ({}), so a late action answers 202 `pending`, not a timeout",
                api.action_timeout_ms, api.request_timeout_ms
            ),
        );
        rule(
            (1..=veltrix_leaderboard::MAX_PAGE).contains(&api.game_scores_shown),
            format!(
                "api.game_scores_shown ({}) must be 1-{}, the boards' page limit",
                api.game_scores_shown,
                veltrix_leaderboard::MAX_PAGE
            ),
        );
        rule(
            (1..=veltrix_leaderboard::MAX_PAGE).contains(&api.activity_backlog),
            format!(
                "api.activity_backlog ({}) must be 1-{}",
                api.activity_backlog,
                veltrix_leaderboard::MAX_PAGE
            ),
        );
        rule(
            api.upload_check_timeout_ms < api.request_timeout_ms,
            format!(
                "api.upload_check_timeout_ms ({}) must be below api.request_timeout_ms ({}), so a slow check answers 422, not a timeout",
                api.upload_check_timeout_ms, api.request_timeout_ms
            ),
        );
        rule(
            api.max_component_bytes <= self.plugins.max_component_bytes,
            format!(
                "api.max_component_bytes ({}) must not exceed plugins.max_component_bytes ({}): the runtime would refuse what the API accepts",
                api.max_component_bytes, self.plugins.max_component_bytes
            ),
        );
        rule(
            self.plugins.deadline_ms >= 1 && self.plugins.max_fuel >= 1,
            "plugins.deadline_ms and plugins.max_fuel must be at least 1".into(),
        );
        let types = &self.streams.reward_types;
        rule(
            !types.is_empty(),
            "streams.reward_types must name at least one reward type".into(),
        );
        for (i, ty) in types.iter().enumerate() {
            rule(
                !ty.is_empty()
                    && ty.len() <= 64
                    && ty
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                format!(
                    "streams.reward_types: `{ty}` must be 1-64 characters of [A-Za-z0-9_-] (it names a topic)"
                ),
            );
            rule(
                !types[..i].contains(ty),
                format!("streams.reward_types: `{ty}` is listed twice"),
            );
        }
        if let Err(e) = self.streams.validate() {
            rule(false, format!("streams: {e}"));
        }
        rule(
            self.streams.backend != BackendKind::Kafka || !self.kafka.brokers.trim().is_empty(),
            "kafka.brokers must be set when streams.backend = \"kafka\"".into(),
        );
        rule(
            self.redis.view_size >= 1,
            "redis.view_size must be at least 1".into(),
        );
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems: p })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        HostConfig::default().validate().unwrap();
    }

    #[test]
    fn every_broken_rule_is_named() {
        let mut c = HostConfig::default();
        c.processor.workers = 0;
        c.api.action_timeout_ms = c.api.request_timeout_ms;
        c.outbox.renew_interval_ms = c.outbox.lease_ms;
        c.streams.reward_types = vec!["points".into(), "points".into(), "a b".into()];
        c.processor.max_reward_points = 0;
        c.api.game_scores_shown = 0;
        c.api.activity_backlog = 0;
        let e = c.validate().unwrap_err();
        let all = e.to_string();
        for needle in [
            "processor.workers",
            "api.action_timeout_ms",
            "outbox.renew_interval_ms",
            "`points` is listed twice",
            "`a b` must be",
            "processor.max_reward_points",
            "api.game_scores_shown",
            "api.activity_backlog",
        ] {
            assert!(all.contains(needle), "{needle} missing from: {all}");
        }
        assert_eq!(e.problems.len(), 8, "{all}");
    }

    #[test]
    fn kafka_needs_brokers() {
        let mut c = HostConfig::default();
        c.streams.backend = BackendKind::Kafka;
        c.kafka.brokers = " ".into();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("kafka.brokers")
        );
    }
}
