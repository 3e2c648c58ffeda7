//! The in-process pipeline the demo and `bench pipeline` drive: streams,
//! store, leaderboard, processor and a relay, with no servers.
//!
//! Embedded: the in-process log, a SQLite file in a temporary directory
//! (never `veltrix.db` in the working directory: a demo must not leave
//! state behind or collide with a real host) and the embedded board.
//! Kafka: the configured broker, database and Redis.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::HostConfig;
use crate::leaderboard::{BoardSettings, EmbeddedBoard, Leaderboard, RedisBoard};
use crate::outbox::Relay;
use crate::processor::{Processor, Registry};
use crate::store::Store;
use crate::streams::{self, BackendKind, Streams};

/// The processor's stream client and board (see [`Rig::start_with`]).
pub type Wrapped = (Arc<dyn Streams>, Arc<dyn Leaderboard>);

/// Which backends the pipeline runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoBackend {
    /// In-process log, SQLite in a temp dir, embedded board.
    Embedded,
    /// The configured Kafka, database (Postgres) and Redis.
    Kafka,
}

/// A running pipeline. [`Rig::stop`] shuts it down in order.
pub struct Rig {
    /// The host config the pipeline runs with.
    pub cfg: HostConfig,
    /// The stream backend.
    pub streams: Arc<dyn Streams>,
    /// The ledger / outbox / idempotency store.
    pub store: Store,
    /// The leaderboard.
    pub board: Arc<dyn Leaderboard>,
    /// The processor (started). Shared with the submit tasks; every clone
    /// must be dropped before [`Rig::stop`].
    pub processor: Arc<Processor>,
    relay_stop: watch::Sender<bool>,
    relay: JoinHandle<()>,
    // Holds the SQLite file of the embedded mode; deleted on drop.
    _tmp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Rig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rig")
            .field("streams", &self.streams.backend())
            .field("board", &self.board.backend())
            .finish_non_exhaustive()
    }
}

impl Rig {
    /// Opens the backends, ensures the topics, starts the processor and a
    /// relay (which runs until [`Rig::stop`]).
    pub async fn start(cfg: &HostConfig, backend: DemoBackend) -> anyhow::Result<Self> {
        Self::start_with(cfg, backend, |_, s, b| (s, b)).await
    }

    /// [`Rig::start`], the processor getting the stream client and board
    /// `wrap` returns (the pipeline bench times them); everything else
    /// uses the plain ones.
    pub async fn start_with(
        cfg: &HostConfig,
        backend: DemoBackend,
        wrap: impl FnOnce(&HostConfig, Arc<dyn Streams>, Arc<dyn Leaderboard>) -> Wrapped,
    ) -> anyhow::Result<Self> {
        let mut cfg = cfg.clone();
        // The simulation and the bench drive game time with their own
        // actions (and count every outcome): no host ticks.
        cfg.processor.tick_interval_ms = 0;
        let mut tmp = None;
        let board: Arc<dyn Leaderboard> = match backend {
            DemoBackend::Embedded => {
                cfg.streams.backend = BackendKind::Embedded;
                let dir = tempfile::tempdir().context("creating a temp dir for the demo store")?;
                cfg.database.url = format!("sqlite://{}", dir.path().join("demo.db").display());
                tmp = Some(dir);
                Arc::new(EmbeddedBoard::new(BoardSettings::from(&cfg.redis)))
            }
            DemoBackend::Kafka => {
                cfg.streams.backend = BackendKind::Kafka;
                Arc::new(
                    RedisBoard::connect(&cfg.redis)
                        .await
                        .context("connecting to Redis")?,
                )
            }
        };
        let streams = streams::open(&cfg.streams, &cfg.kafka, &cfg.database.url)
            .await
            .context("opening the stream backend")?;
        streams
            .ensure(&cfg.streams.topics())
            .await
            .context("ensuring topics")?;
        let store = Store::open(&cfg).await.context("opening the store")?;
        let registry =
            Registry::with_builtins(cfg.plugins.clone()).context("loading built-in games")?;
        let (p_streams, p_board) = wrap(&cfg, Arc::clone(&streams), Arc::clone(&board));
        let processor = Processor::new(&cfg, p_streams, store.clone(), p_board, Arc::new(registry));
        processor.start().await.context("starting the processor")?;
        let relay = Relay::new(
            store.clone(),
            Arc::clone(&streams),
            cfg.outbox.clone(),
            format!("demo-relay-{}", std::process::id()),
        );
        let (relay_stop, rx) = watch::channel(false);
        let relay = tokio::spawn(async move { relay.run(rx).await });
        tracing::info!(backend = ?backend, db = %cfg.database.url, "pipeline started");
        Ok(Self {
            cfg,
            streams,
            store,
            board,
            processor: Arc::new(processor),
            relay_stop,
            relay,
            _tmp: tmp,
        })
    }

    /// Waits until the outbox is empty (every reward published), at most
    /// `within`.
    pub async fn drain_outbox(&self, within: std::time::Duration) -> anyhow::Result<()> {
        let t = std::time::Instant::now();
        while self.store.outbox_stats().await?.pending > 0 {
            anyhow::ensure!(t.elapsed() < within, "outbox not drained within {within:?}");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Stops the processor (snapshotting), then the relay, then closes the
    /// store.
    pub async fn stop(self) -> anyhow::Result<()> {
        let processor = Arc::try_unwrap(self.processor)
            .map_err(|_| anyhow::anyhow!("processor still shared at shutdown"))?;
        processor.shutdown().await;
        let _ = self.relay_stop.send(true);
        self.relay.await.context("relay task")?;
        self.store.close().await;
        Ok(())
    }
}
