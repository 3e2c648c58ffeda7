//! The in-process pipeline the demo and `bench pipeline` drive: streams,
//! store, leaderboard, processor and a relay, with no servers.
//!
//! Embedded: the in-process log, a SQLite file in a temporary directory
//! (never `veltrix.db` in the working directory: a demo must not leave
//! state behind or collide with a real host) and the embedded board.
//! Kafka: the configured broker, database and Redis.

use std::sync::Arc;

use anyhow::Context;
use veltrix_leaderboard::Leaderboard;
use veltrix_pipeline::Processor;
use veltrix_server::config::HostConfig;
use veltrix_server::{Host, Options};
use veltrix_store::Store;
use veltrix_streams::{BackendKind, Streams};

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

/// A running pipeline: a [`Host`] opened by the composition root on the
/// demo's backends. [`Rig::stop`] shuts it down in order.
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
    host: Host,
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
        wrap: impl FnOnce(&HostConfig, Arc<dyn Streams>, Arc<dyn Leaderboard>) -> Wrapped
        + Send
        + 'static,
    ) -> anyhow::Result<Self> {
        let mut cfg = cfg.clone();
        // The simulation and the bench drive game time with their own
        // actions (and count every outcome): no host ticks.
        cfg.processor.tick_interval_ms = 0;
        // The relay runs beside the processor, publishing all along.
        cfg.outbox.relay_in_serve = true;
        let mut tmp = None;
        match backend {
            DemoBackend::Embedded => {
                cfg.streams.backend = BackendKind::Embedded;
                cfg.api.leaderboard = veltrix_api::LeaderboardBackend::Embedded;
                let dir = tempfile::tempdir().context("creating a temp dir for the demo store")?;
                cfg.database.url = format!("sqlite://{}", dir.path().join("demo.db").display());
                tmp = Some(dir);
            }
            DemoBackend::Kafka => {
                cfg.streams.backend = BackendKind::Kafka;
                cfg.api.leaderboard = veltrix_api::LeaderboardBackend::Redis;
            }
        }
        let options = Options {
            // The demo plays the built-ins only.
            load_uploads: false,
            name: "demo-relay",
            wrap: Some(Box::new(wrap)),
            ..Options::default()
        };
        let host = Host::open_with(cfg.clone(), options)
            .await
            .context("opening the pipeline")?;
        host.start().await.context("starting the processor")?;
        tracing::info!(backend = ?backend, db = %cfg.database.url, "pipeline started");
        Ok(Self {
            cfg,
            streams: Arc::clone(&host.streams),
            store: host.store.clone(),
            board: Arc::clone(&host.board),
            processor: Arc::clone(&host.processor),
            host,
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
        let Self {
            host, processor, ..
        } = self;
        // The host's processor must be its last handle to snapshot.
        drop(processor);
        anyhow::ensure!(
            Arc::strong_count(&host.processor) == 1,
            "processor still shared at shutdown"
        );
        host.shutdown().await;
        Ok(())
    }
}
