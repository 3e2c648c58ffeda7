//! [`Host`]: every backend of one host process, opened from one
//! [`HostConfig`] and started and stopped in order.
//!
//! Opening: validate the config, open the store, the stream backend
//! (ensuring its topics) and the leaderboard, load the built-in game types
//! from `veltrix-artifacts` and the stored partner uploads, build the
//! processor. Starting: fold the ledger into an in-memory board, start the
//! processor and (with `outbox.relay_in_serve`) a relay. Shutdown reverses
//! it: processor (snapshotting), relay, store.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use veltrix_api::AppState;
use veltrix_clock::Clock;
use veltrix_leaderboard::{Leaderboard, LeaderboardError};
use veltrix_pipeline::outbox::Relay;
use veltrix_pipeline::{Processor, ProcessorError, Registry};
use veltrix_store::{Store, StoreError};
use veltrix_streams::{Family, StreamError, Streams};

use crate::{ConfigError, HostConfig, open_board_with, open_store, open_streams_with};

/// Replaces the stream client and board the processor gets (the pipeline
/// bench times them); everything else uses the plain ones.
pub type Wrap = Box<
    dyn FnOnce(
            &HostConfig,
            Arc<dyn Streams>,
            Arc<dyn Leaderboard>,
        ) -> (Arc<dyn Streams>, Arc<dyn Leaderboard>)
        + Send,
>;

/// How [`Host::open_with`] differs from [`Host::open`].
pub struct Options {
    /// Register the partner uploads stored in the database (`serve` does;
    /// the demo and benches play the built-ins only). Default true.
    pub load_uploads: bool,
    /// The relay's name prefix (its lease holder id adds pid and a uuid).
    /// Default `serve`.
    pub name: &'static str,
    /// See [`Wrap`]. Default none.
    pub wrap: Option<Wrap>,
    /// The clock every layer tells time by. Default the system's; tests
    /// pass a manual one to move time instead of sleeping.
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            load_uploads: true,
            name: "serve",
            wrap: None,
            clock: Clock::system(),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("load_uploads", &self.load_uploads)
            .field("name", &self.name)
            .field("wrap", &self.wrap.is_some())
            .field("clock", &self.clock)
            .finish()
    }
}

/// Why a host could not open or start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The config breaks a rule (see [`HostConfig::validate`]).
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    /// The store would not open.
    #[error("opening the store: {0}")]
    Store(#[from] StoreError),
    /// The stream backend would not open.
    #[error("opening the stream backend: {0}")]
    Streams(#[from] StreamError),
    /// The leaderboard backend would not open.
    #[error("opening the leaderboard backend: {0}")]
    Leaderboard(#[from] LeaderboardError),
    /// The built-in game types would not load.
    #[error("loading the built-in game types: {0}")]
    Plugins(String),
    /// The leaderboards could not be rebuilt from the ledger.
    #[error("rebuilding the leaderboards: {0}")]
    Boards(String),
    /// The processor would not start.
    #[error("starting the processor: {0}")]
    Processor(#[from] ProcessorError),
    /// Binding or serving failed.
    #[error("serving on {addr}: {source}")]
    Io {
        /// The listen address.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
}

type RelayTask = (watch::Sender<bool>, JoinHandle<()>);

/// One host: its config and open backends.
pub struct Host {
    /// The config it was opened with.
    pub config: HostConfig,
    /// Ledger, outbox and tenancy tables.
    pub store: Store,
    /// The stream backend (not wrapped: see [`Wrap`]).
    pub streams: Arc<dyn Streams>,
    /// The leaderboard (not wrapped).
    pub board: Arc<dyn Leaderboard>,
    /// The game processor; started by [`Host::start`]. Every clone must be
    /// dropped before [`Host::shutdown`] for it to snapshot its games.
    pub processor: Arc<Processor>,
    name: &'static str,
    relay: Mutex<Option<RelayTask>>,
    /// Makes uploads other hosts took current here (holds the processor
    /// weakly; stopped before it).
    uploads: Mutex<Option<(watch::Sender<bool>, JoinHandle<()>)>>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("store", &self.store)
            .field("streams", &self.streams.backend())
            .field("board", &self.board.backend())
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Opens every backend `config` names, as `veltrix serve` does.
    pub async fn open(config: HostConfig) -> Result<Self, HostError> {
        Self::open_with(config, Options::default()).await
    }

    /// [`Host::open`] with [`Options`].
    #[tracing::instrument(skip_all, fields(name = options.name))]
    pub async fn open_with(config: HostConfig, options: Options) -> Result<Self, HostError> {
        config.validate()?;
        let clock = options.clock;
        let store = open_store(&config).await?.with_clock(clock.clone());
        let streams =
            open_streams_with(&config.streams, &config.kafka, &config.database.url, &clock).await?;
        streams.ensure(&config.streams.topics()).await?;
        let board = open_board_with(&config, &clock).await?;
        let builtins = veltrix_artifacts::BUILTINS.iter().map(|b| (b.name, b.wasm));
        let registry = Registry::with_builtins(config.plugins.clone(), builtins)
            .map_err(|e| HostError::Plugins(format!("{e:#}")))?;
        let registry = Arc::new(registry);
        let uploaded = if options.load_uploads {
            load_uploads(&store, &registry).await?
        } else {
            Vec::new()
        };
        let (p_streams, p_board) = match options.wrap {
            Some(wrap) => wrap(&config, Arc::clone(&streams), Arc::clone(&board)),
            None => (Arc::clone(&streams), Arc::clone(&board)),
        };
        let processor = Processor::new(
            &config.processor,
            &config.streams,
            p_streams,
            store.clone(),
            p_board,
            registry,
            clock,
        );
        // Before start: ensures their topics and adds them to the loop's
        // subscription.
        for game_type in uploaded {
            processor.add_game_type(&game_type).await?;
        }
        Ok(Self {
            config,
            store,
            streams,
            board,
            processor: Arc::new(processor),
            name: options.name,
            relay: Mutex::default(),
            uploads: Mutex::default(),
        })
    }

    /// Starts the processor's worker loop (games are played from here on)
    /// and, with `outbox.relay_in_serve`, an outbox relay, so minted
    /// rewards reach the reward stream without a separate process.
    pub async fn start(&self) -> Result<(), HostError> {
        // An in-memory board starts empty: fold the ledger into it before
        // the first action applies (a rebuild replaces a game's board).
        if self.board.backend() == "embedded" {
            veltrix_pipeline::processor::rebuild_boards(&self.store, self.board.as_ref(), None)
                .await
                .map_err(|e| HostError::Boards(e.to_string()))?;
        }
        self.processor.start().await?;
        if self.config.processor.plugin_sync_ms > 0 {
            let (stop, rx) = watch::channel(false);
            let task = tokio::spawn(Processor::sync_uploads_every(
                Arc::downgrade(&self.processor),
                rx,
            ));
            *self.uploads.lock().expect("uploads lock") = Some((stop, task));
        }
        if self.config.outbox.relay_in_serve {
            let relay = Relay::new(
                self.store.clone(),
                Arc::clone(&self.streams),
                self.config.outbox.clone(),
                format!(
                    "{}-{}-{}",
                    self.name,
                    std::process::id(),
                    uuid::Uuid::now_v7().simple()
                ),
            )
            .with_telemetry(Arc::clone(self.processor.telemetry()));
            let (stop, rx) = watch::channel(false);
            let task = tokio::spawn(async move { relay.run(rx).await });
            *self.relay.lock().expect("relay lock") = Some((stop, task));
        }
        tracing::info!(
            streams = self.streams.backend(),
            board = self.board.backend(),
            "host started"
        );
        Ok(())
    }

    /// The HTTP API's state over this host's backends (its own feed hub
    /// and request metrics).
    pub fn api_state(&self) -> AppState {
        AppState::new(
            self.store.clone(),
            Arc::clone(&self.streams),
            Arc::clone(&self.board),
            Arc::clone(&self.processor),
            self.config.api.clone(),
            self.config.streams.topic(Family::Players, ""),
        )
    }

    /// Stops the processor (snapshotting its games), then the relay, then
    /// closes the store. Call it after the server stopped: a processor
    /// still held elsewhere is only aborted (a crash, which loses nothing).
    pub async fn shutdown(self) {
        let store = self.store.clone();
        let uploads = self.uploads.lock().expect("uploads lock").take();
        if let Some((stop, task)) = uploads {
            let _ = stop.send(true);
            let _ = task.await;
        }
        match Arc::try_unwrap(self.processor) {
            Ok(p) => p.shutdown().await,
            Err(_) => tracing::warn!("processor still shared at shutdown; aborting it"),
        }
        // After the processor: its last batch's rewards get published now
        // rather than by the next host's relay.
        let relay = self.relay.lock().expect("relay lock").take();
        if let Some((stop, task)) = relay {
            let _ = stop.send(true);
            let _ = task.await;
        }
        store.close().await;
    }
}

/// Registers every stored partner upload, by type and version, so each
/// type's newest version is current and games pinned to older ones still
/// find theirs. Returns the types. A version that no longer loads (the
/// plugin limits changed, say) is logged and skipped: the host still
/// serves, and games pinned to it fault rather than run other rules.
async fn load_uploads(store: &Store, registry: &Arc<Registry>) -> Result<Vec<String>, HostError> {
    let components = store.all_plugin_components().await?;
    let registry = Arc::clone(registry);
    // Loading compiles and calls `describe`: the blocking pool.
    tokio::task::spawn_blocking(move || {
        let mut types: Vec<String> = Vec::new();
        for (v, bytes) in components {
            match registry.register(&bytes) {
                // The stored name is the one `describe` gave at upload.
                Ok(_) if !types.contains(&v.game_type) => types.push(v.game_type),
                Ok(_) => {}
                Err(e) => tracing::error!(game_type = %v.game_type, version = v.version, error = %e, "stored component would not load; skipped"),
            }
        }
        types
    })
    .await
    .map_err(|e| HostError::Plugins(format!("loading uploaded game types: {e}")))
}
