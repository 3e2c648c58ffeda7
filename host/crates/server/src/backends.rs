//! Opening each backend from its config sections. Every caller that needs a
//! backend on its own (the CLI's `outbox`, `topics` and `leaderboard`
//! commands, the benches) opens it here, so the choice of backend is made
//! in one crate.

use std::sync::Arc;

use veltrix_api::LeaderboardBackend;
use veltrix_clock::Clock;
use veltrix_kafka::{KafkaConfig, KafkaStreams};
use veltrix_leaderboard::{
    BoardSettings, EmbeddedBoard, Leaderboard, LeaderboardError, RedisBoard,
};
use veltrix_store::{Store, StoreError};
use veltrix_streams::embedded::EmbeddedLog;
use veltrix_streams::{BackendKind, StreamError, Streams, StreamsConfig};

use crate::HostConfig;

/// Opens the configured stream backend; an embedded log is kept where
/// [`StreamsConfig::embedded_location`] says for the ledger at
/// `database_url`.
pub async fn open_streams(
    streams: &StreamsConfig,
    kafka: &KafkaConfig,
    database_url: &str,
) -> Result<Arc<dyn Streams>, StreamError> {
    open_streams_with(streams, kafka, database_url, &Clock::system()).await
}

/// [`open_streams`], an embedded log deciding retention by `clock`.
#[tracing::instrument(skip_all, fields(backend = ?streams.backend))]
pub async fn open_streams_with(
    streams: &StreamsConfig,
    kafka: &KafkaConfig,
    database_url: &str,
    clock: &Clock,
) -> Result<Arc<dyn Streams>, StreamError> {
    streams.validate().map_err(StreamError::Config)?;
    Ok(match streams.backend {
        BackendKind::Embedded => {
            let log = match streams.embedded_location(database_url) {
                Some(dir) => EmbeddedLog::open(streams.clone(), &dir)?,
                None => EmbeddedLog::new(streams.clone()),
            };
            Arc::new(log.with_clock(clock.clone()))
        }
        BackendKind::Kafka => Arc::new(KafkaStreams::connect(streams, kafka).await?),
    })
}

/// Connects to `[database]` (running its migrations), with reward topics
/// from `[streams]` and transactions bounded by `outbox.batch_size`.
pub async fn open_store(config: &HostConfig) -> Result<Store, StoreError> {
    Ok(Store::connect(&config.database)
        .await?
        .with_topics(&config.streams)
        .with_max_batch(config.outbox.batch_size))
}

/// The leaderboard `api.leaderboard` names, with the `[redis]` settings.
pub async fn open_board(config: &HostConfig) -> Result<Arc<dyn Leaderboard>, LeaderboardError> {
    open_board_with(config, &Clock::system()).await
}

/// [`open_board`], an in-process board expiring games by `clock` (Redis
/// expires keys by its own).
pub async fn open_board_with(
    config: &HostConfig,
    clock: &Clock,
) -> Result<Arc<dyn Leaderboard>, LeaderboardError> {
    Ok(match config.api.leaderboard {
        LeaderboardBackend::Embedded => Arc::new(
            EmbeddedBoard::new(BoardSettings::from(&config.redis)).with_clock(clock.clone()),
        ),
        LeaderboardBackend::Redis => Arc::new(RedisBoard::connect(&config.redis).await?),
    })
}
