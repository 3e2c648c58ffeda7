//! [`Shared`]: what the worker loops, the ticker and the [`Processor`]
//! handle share (config, backends, outcomes, counters, telemetry), and the
//! submit path they all use.
//!
//! [`Processor`]: super::Processor

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use veltrix_clock::Clock;
use veltrix_contract::Action;
use veltrix_leaderboard::Leaderboard;
use veltrix_store::Store;
use veltrix_streams::{Envelope, Family, Streams, StreamsConfig};

use super::effects::GAME_ACTION;
use super::outcome::{Counters, Outcomes};
use super::registry::Registry;
use super::submitted::{Follow, Submitted};
use super::{ProcessorConfig, ProcessorError};

/// What the worker loop shares with the handle.
pub(crate) struct Shared {
    pub cfg: ProcessorConfig,
    pub streams_cfg: StreamsConfig,
    pub streams: Arc<dyn Streams>,
    pub store: Store,
    pub board: Arc<dyn Leaderboard>,
    pub registry: Arc<Registry>,
    /// Stamps ticks, outcomes, snapshots and new games.
    pub clock: Clock,
    pub outcomes: Arc<Outcomes>,
    pub counters: Counters,
    /// Plugin, stream and lag metrics (rendered by `/metrics`).
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// What rewards must satisfy (`streams.reward_types`,
    /// `processor.max_reward_points`).
    pub rules: super::effects::RewardRules,
    /// Game type and pinned component hash per (tenant, game): immutable
    /// once created, so `submit` reads the database once per game.
    pub(crate) game_types: Mutex<HashMap<(String, String), (String, String)>>,
    /// The games' state copies the worker loops publish, and the workers
    /// that run `view` on them (see [`super::view`]).
    pub(crate) live: super::view::Live,
    /// The game-stream partitions this host's loops own (see
    /// [`super::ownership`]).
    pub(crate) owned: Arc<super::ownership::Ownership>,
}

impl Shared {
    /// [`Processor::submit`](super::Processor::submit)'s work, shared with the ticker.
    pub(crate) async fn submit(
        &self,
        tenant: &str,
        game_id: &str,
        mut action: Action,
        action_id: Option<String>,
    ) -> Result<Submitted, ProcessorError> {
        action.tenant = tenant.to_string();
        action.game = game_id.to_string();
        // The contract is enforced where the action is applied (the
        // worker answers a refused one `rejected`, without the plugin), so
        // every path to the stream gets the same verdict.
        let (game_type, _) = self.game_type(tenant, game_id).await?;
        let payload =
            serde_json::to_vec(&action).map_err(|e| ProcessorError::Invalid(e.to_string()))?;
        let mut envelope = Envelope::new(tenant, game_id, GAME_ACTION, payload);
        if let Some(id) = action_id {
            envelope.event_id = id;
        }
        let topic = self.streams_cfg.topic(Family::Game, &game_type);
        // Bounded ingest: refuse (nothing sent) rather than queue what the
        // host cannot apply in time.
        let rx = self
            .outcomes
            .admit(tenant, &envelope.event_id, self.cfg.max_in_flight)
            .map_err(|in_flight| ProcessorError::Overloaded {
                in_flight,
                retry_after_ms: self.cfg.overload_retry_after_ms,
            })?;
        let sent = match self.streams.send(&topic, &envelope) {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(d) => {
                let follow = Follow {
                    tenant: tenant.to_string(),
                    topic,
                    store: self.store.clone(),
                    outcomes: Arc::clone(&self.outcomes),
                    owned: Arc::clone(&self.owned),
                    poll: std::time::Duration::from_millis(self.cfg.outcome_poll_ms),
                };
                Ok(Submitted::new(
                    envelope.event_id,
                    d.partition,
                    d.offset,
                    rx,
                    follow,
                ))
            }
            Err(e) => {
                self.outcomes.forget(tenant, &envelope.event_id);
                Err(e.into())
            }
        }
    }

    /// The worker loop polled `records`; `last_seen` is its highest offset
    /// read per partition. Feeds the game stream's accepted -> polled
    /// latency and the processor group's consumer lag.
    pub(crate) fn observe_poll(
        &self,
        records: &[veltrix_streams::Record],
        last_seen: &HashMap<(Arc<str>, u32), i64>,
    ) {
        self.telemetry.polled(
            Family::Game,
            &self.streams_cfg.game.consumer_group,
            records,
            last_seen,
        );
    }

    /// Refuses an action the game's pinned component declared it does not
    /// take (an undeclared kind, a role it does not list, a payload off its
    /// schema): the API's early answer (a 422/403 before any key is used).
    /// Returns the game type.
    pub(crate) async fn check_action(
        &self,
        tenant: &str,
        game_id: &str,
        action: &Action,
    ) -> Result<String, ProcessorError> {
        let (game_type, hash) = self.game_type(tenant, game_id).await?;
        // A component not loaded yet is checked where it is: by the worker
        // (undeclared kinds) and by the plugin itself.
        if let Some(plugin) = super::uploads::pinned(self, &hash).await? {
            plugin
                .check_action(action)
                .map_err(ProcessorError::Refused)?;
        }
        Ok(game_type)
    }

    async fn game_type(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<(String, String), ProcessorError> {
        let key = (tenant.to_string(), game_id.to_string());
        if let Some(t) = self.game_types.lock().expect("types lock").get(&key) {
            return Ok(t.clone());
        }
        let row = self
            .store
            .game(tenant, game_id)
            .await?
            .ok_or_else(|| ProcessorError::UnknownGame(game_id.to_string()))?;
        self.game_types
            .lock()
            .expect("types lock")
            .insert(key, (row.game_type.clone(), row.plugin_hash.clone()));
        Ok((row.game_type, row.plugin_hash))
    }
}
