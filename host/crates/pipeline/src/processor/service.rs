//! [`Processor`]: the handle the API layer and the CLI use: create games,
//! submit actions, read outcomes, run and stop the worker loop.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use veltrix_contract::Action;

use super::outcome::{Counters, LatencySummary, Outcome, Outcomes, ProcessorStats};
use super::registry::Registry;
use super::shared::Shared;
use super::submitted::Submitted;
use super::{ProcessorConfig, ProcessorError, ticker, worker};
use veltrix_clock::Clock;
use veltrix_leaderboard::Leaderboard;
use veltrix_store::{Created, GameRow, Snapshot, Store};
use veltrix_streams::partition::partition_for;
use veltrix_streams::{Family, Streams, StreamsConfig, TopicSpec};

/// The game processor. Dropping it without [`Processor::shutdown`] stops
/// the worker at its next await point, like a crash: nothing is lost (the
/// stream and the snapshots rebuild every game), only replayed.
pub struct Processor {
    pub(super) shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Mutex<Vec<JoinHandle<()>>>,
    /// The ticker (own stop signal: it outlives worker-loop restarts).
    ticker: Mutex<Option<(watch::Sender<bool>, JoinHandle<()>)>>,
    /// Game types added after the config (partner uploads): consumed too.
    added_types: Mutex<Vec<String>>,
    /// Serialises start and restarts (held across awaits, hence tokio's).
    lifecycle: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("cfg", &self.shared.cfg)
            .finish_non_exhaustive()
    }
}

impl Processor {
    /// The clock this processor (and the API in front of it) tells time by.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// A processor over the given backends, with the `[processor]` and
    /// `[streams]` sections, telling time by `clock`. Call
    /// [`Processor::start`] to consume.
    pub fn new(
        processor: &ProcessorConfig,
        streams_cfg: &StreamsConfig,
        streams: Arc<dyn Streams>,
        store: Store,
        board: Arc<dyn Leaderboard>,
        registry: Arc<Registry>,
        clock: Clock,
    ) -> Self {
        let (stop, _) = watch::channel(false);
        let telemetry = Arc::new(crate::telemetry::Telemetry::new());
        // Every send of the processor (actions, quest and player events)
        // is timed to its ack without the worker loop knowing.
        let streams = crate::telemetry::TimedStreams::wrap(streams, &telemetry, streams_cfg);
        Self {
            shared: Arc::new(Shared {
                cfg: processor.clone(),
                streams_cfg: streams_cfg.clone(),
                streams,
                store,
                board,
                registry,
                clock,
                outcomes: Arc::new(Outcomes::new(processor.outcomes_retained)),
                counters: Counters::default(),
                telemetry,
                rules: super::effects::RewardRules {
                    types: streams_cfg.reward_types.clone(),
                    max_points: processor.max_reward_points,
                    replay_stall_tries: processor.replay_stall_tries.max(1),
                    max_text_bytes: streams_cfg
                        .max_payload_bytes
                        .saturating_sub(super::effects::EVENT_OVERHEAD),
                },
                game_types: Mutex::default(),
                live: super::view::Live::default(),
                owned: Arc::default(),
            }),
            stop,
            task: Mutex::default(),
            ticker: Mutex::new(None),
            added_types: Mutex::default(),
            lifecycle: tokio::sync::Mutex::new(()),
        }
    }

    /// The plugin registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.shared.registry
    }

    /// Its metrics registry (the `/metrics` handler renders it; a relay
    /// running beside it records into it).
    pub fn telemetry(&self) -> &Arc<crate::telemetry::Telemetry> {
        &self.shared.telemetry
    }

    /// Joins the game family's consumer group on every `streams.game_types`
    /// topic (and those of [`Processor::add_game_type`]) with
    /// `processor.workers` members, each a worker loop on its own tokio
    /// task owning its share of the partitions; and the ticker.
    #[tracing::instrument(skip(self))]
    pub async fn start(&self) -> Result<(), ProcessorError> {
        let _lifecycle = self.lifecycle.lock().await;
        if !self.task.lock().expect("task lock").is_empty() {
            return Err(ProcessorError::State("already started"));
        }
        self.spawn_loop().await?;
        if self.shared.cfg.tick_interval_ms > 0 {
            let (stop, rx) = watch::channel(false);
            let t = tokio::spawn(ticker::run(Arc::clone(&self.shared), rx));
            *self.ticker.lock().expect("ticker lock") = Some((stop, t));
        }
        Ok(())
    }

    /// Makes `game_type` (a partner upload) playable: ensures its game and
    /// quest topics and, when the loop runs, restarts it subscribed to the
    /// game topic too. The loop stops after its current batch (effects,
    /// then offsets, commit before it exits) and snapshots its games, so
    /// the restart loses nothing: uncommitted records are redelivered.
    /// Idempotent; a no-op for the config's own types.
    #[tracing::instrument(skip(self))]
    pub async fn add_game_type(&self, game_type: &str) -> Result<(), ProcessorError> {
        let _lifecycle = self.lifecycle.lock().await;
        let s = &self.shared.streams_cfg;
        let known = s.game_types.iter().any(|t| t == game_type)
            || self
                .added_types
                .lock()
                .expect("types lock")
                .iter()
                .any(|t| t == game_type);
        if known {
            return Ok(());
        }
        self.shared
            .streams
            .ensure(&[
                TopicSpec::new(Family::Game, &s.game, game_type),
                TopicSpec::new(Family::Quest, &s.quest, game_type),
            ])
            .await?;
        self.added_types
            .lock()
            .expect("types lock")
            .push(game_type.to_string());
        let running = std::mem::take(&mut *self.task.lock().expect("task lock"));
        if !running.is_empty() {
            self.stop.send_replace(true);
            for task in running {
                let _ = task.await;
            }
            self.stop.send_replace(false);
            self.spawn_loop().await?;
            tracing::info!(game_type, "processor now consumes the new game type");
        }
        Ok(())
    }

    /// Subscribes to every game topic and spawns the loops (the caller
    /// holds `lifecycle` and saw no running task).
    async fn spawn_loop(&self) -> Result<(), ProcessorError> {
        let s = &self.shared.streams_cfg;
        let added = self.added_types.lock().expect("types lock").clone();
        let topics: Vec<String> = s
            .game_types
            .iter()
            .chain(&added)
            .map(|t| s.topic(Family::Game, t))
            .collect();
        let mut consumers = Vec::new();
        for _ in 0..self.shared.cfg.workers.max(1) {
            consumers.push(
                self.shared
                    .streams
                    .subscribe(&s.game.consumer_group, &topics)
                    .await?,
            );
        }
        let tasks = consumers
            .into_iter()
            .map(|c| {
                tokio::spawn(worker::run(
                    Arc::clone(&self.shared),
                    c,
                    self.stop.subscribe(),
                ))
            })
            .collect();
        *self.task.lock().expect("task lock") = tasks;
        Ok(())
    }

    /// Stops the loop after its current batch, snapshots every game with
    /// unsaved actions, and waits for it.
    pub async fn shutdown(self) {
        let ticker = self.ticker.lock().expect("ticker lock").take();
        if let Some((stop, t)) = ticker {
            let _ = stop.send(true);
            let _ = t.await;
        }
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.task.lock().expect("task lock"));
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Creates a game on the current version of `game_type`: runs the
    /// plugin's `init` (which validates the config), then stores the game
    /// row, pinned to that version, and its initial snapshot, positioned at
    /// the current end of the game's partition (nothing before it belongs
    /// to the game: ids are never reused).
    #[tracing::instrument(skip(self, config_json))]
    pub async fn create_game(
        &self,
        tenant: &str,
        game_id: &str,
        game_type: &str,
        config_json: &str,
        seed: u64,
    ) -> Result<GameRow, ProcessorError> {
        check_id("tenant", tenant)?;
        check_id("game_id", game_id)?;
        let plugin = self
            .shared
            .registry
            .current(game_type)
            .ok_or_else(|| ProcessorError::UnknownGameType(game_type.to_string()))?;
        // The declared schema first: its errors point into the tenant's own
        // document (init's would quote the host's re-encoding of it).
        let value: serde_json::Value = serde_json::from_str(config_json)
            .map_err(|e| ProcessorError::InvalidConfig(format!("not JSON: {e}")))?;
        plugin.check_config(&value).map_err(|issues| {
            ProcessorError::InvalidConfig(format!(
                "it does not match the {game_type} config schema: {}",
                issues.join("; ")
            ))
        })?;
        // A short-lived worker: init is rare, and the loop's workers belong
        // to the loop. On the blocking pool: sync WASI may block on tokio.
        let config = config_json.to_string();
        let plugin_hash = plugin.hash.clone();
        let state = tokio::task::spawn_blocking(move || plugin.worker().init(&config, seed))
            .await
            .map_err(|_| ProcessorError::State("init task failed"))??
            .map_err(|e| ProcessorError::InvalidConfig(e.message))?;

        let topic = self.shared.streams_cfg.topic(Family::Game, game_type);
        let partitions = self.shared.streams.partitions(&topic).await?;
        let partition = partition_for(game_id.as_bytes(), partitions);
        let next_offset = self.shared.streams.end_offset(&topic, partition).await?;
        let now = self.shared.clock.now_ms();
        let row = GameRow {
            tenant: tenant.into(),
            game_id: game_id.into(),
            game_type: game_type.into(),
            plugin_hash,
            config: config_json.into(),
            seed,
            status: "waiting".into(),
            created_at_ms: now,
        };
        let snap = Snapshot {
            tenant: tenant.into(),
            game_id: game_id.into(),
            state,
            topic,
            partition,
            next_offset,
            actions_applied: 0,
            updated_at_ms: now,
        };
        match self.shared.store.create_game(&row, &snap).await? {
            Created::New => {
                tracing::info!(tenant, game_id, game_type, hash = %row.plugin_hash, "game created");
                Ok(row)
            }
            Created::Exists => Err(ProcessorError::GameExists(game_id.to_string())),
        }
    }

    /// The ingest boundary: stores `action` in the game's stream and
    /// returns once it is durable there. The tenant and game come from the
    /// caller (the authenticated request), never from the action body. The
    /// action keeps its `timestamp_ms` (the API layer stamps it on
    /// acceptance; it is the plugin's clock); the envelope records when the
    /// host received it. The returned [`Submitted`] resolves with the
    /// action's outcome once its effects have committed.
    #[tracing::instrument(skip(self, action), fields(kind = %action.kind))]
    pub async fn submit(
        &self,
        tenant: &str,
        game_id: &str,
        action: Action,
    ) -> Result<Submitted, ProcessorError> {
        self.shared.submit(tenant, game_id, action, None).await
    }

    /// [`Processor::submit`] under a caller-chosen action id (the API
    /// derives it from the idempotency key, so a retry after a crash finds
    /// the first attempt's stored outcome under the same id).
    pub async fn submit_as(
        &self,
        tenant: &str,
        game_id: &str,
        action: Action,
        action_id: String,
    ) -> Result<Submitted, ProcessorError> {
        self.shared
            .submit(tenant, game_id, action, Some(action_id))
            .await
    }

    /// The reward types this host runs (`streams.reward_types`).
    pub fn reward_types(&self) -> &[String] {
        &self.shared.streams_cfg.reward_types
    }

    /// The checks [`Processor::submit`] makes before it sends an action
    /// (kind, role, payload schema of the game's component), alone: the API
    /// runs them before it claims an idempotency key, so a refused action
    /// never burns one.
    pub async fn check_action(
        &self,
        tenant: &str,
        game_id: &str,
        action: &Action,
    ) -> Result<(), ProcessorError> {
        self.shared
            .check_action(tenant, game_id, action)
            .await
            .map(|_| ())
    }

    /// Whether this host takes another action now: `Overloaded` when
    /// `processor.max_in_flight` accepted actions wait to apply. The API
    /// asks before it claims an idempotency key, so a refused request
    /// leaves nothing behind ([`Processor::submit`] checks again).
    pub fn admission(&self) -> Result<(), ProcessorError> {
        let in_flight = self.shared.outcomes.in_flight();
        if in_flight >= self.shared.cfg.max_in_flight.max(1) {
            return Err(ProcessorError::Overloaded {
                in_flight,
                retry_after_ms: self.shared.cfg.overload_retry_after_ms,
            });
        }
        Ok(())
    }

    /// Whether an action submitted through this process still waits for
    /// its outcome.
    pub fn is_pending(&self, tenant: &str, action_id: &str) -> bool {
        self.shared.outcomes.is_waiting(tenant, action_id)
    }

    /// The outcome of an action applied by this process, while retained
    /// (`processor.outcomes_retained`).
    pub fn outcome(&self, tenant: &str, game_id: &str, action_id: &str) -> Option<Outcome> {
        self.shared.outcomes.get(tenant, game_id, action_id)
    }

    /// Every outcome this process resolves from now on, all tenants and
    /// games (filter by `tenant` and `game_id`), published once its effects
    /// committed. A receiver that falls more than 1,024 behind is told how
    /// many it skipped (`RecvError::Lagged`).
    pub fn subscribe_outcomes(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<Outcome>> {
        self.shared.outcomes.subscribe()
    }

    /// Accepted -> applied latency of the actions submitted here.
    pub fn latency(&self) -> LatencySummary {
        self.shared.outcomes.latency()
    }

    /// Counters since this processor was created.
    pub fn stats(&self) -> ProcessorStats {
        self.shared.counters.snapshot()
    }
}

impl Drop for Processor {
    fn drop(&mut self) {
        // Without shutdown(): stop abruptly (what a crash leaves behind).
        for t in self.task.lock().expect("task lock").drain(..) {
            t.abort();
        }
        if let Some((_, t)) = self.ticker.lock().expect("ticker lock").take() {
            t.abort();
        }
    }
}

fn check_id(name: &str, v: &str) -> Result<(), ProcessorError> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ProcessorError::Invalid(format!(
            "{name} must be 1-128 characters of [A-Za-z0-9._:-]"
        )))
    }
}
