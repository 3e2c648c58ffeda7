//! `veltrix bench streams`, outbox rows: how fast rewards are written
//! (ledger row + outbox row per reward, `outbox.batch_size` per
//! transaction) and how fast the relay drains the backlog to the reward
//! stream (claim, publish, await acks, mark done), on the configured
//! database (use Postgres: `VELTRIX_DATABASE_URL=postgres://...`).
//!
//! Runs in a scratch database (created on the same Postgres server and
//! dropped afterwards, or a temp SQLite file), never in the real one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use sqlx::Connection as _;
use tokio::sync::watch;

use super::row::Row;
use veltrix_pipeline::outbox::{OutboxConfig, Relay};
use veltrix_store::{DatabaseConfig, Reward, Store};
use veltrix_streams::{Family, Streams, StreamsConfig};

/// A database that exists for one bench run.
pub(super) struct Scratch {
    pub(super) cfg: DatabaseConfig,
    /// (admin url, database name) when on Postgres.
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Scratch {
    pub(super) async fn create(real: &DatabaseConfig, run: &str) -> anyhow::Result<Self> {
        if real.url.starts_with("postgres") {
            sqlx::any::install_default_drivers();
            let base = real.url.split('?').next().unwrap_or(&real.url);
            let server = &base[..base.rfind('/').context("database url has no path")?];
            let admin = format!("{server}/postgres");
            let name = format!("veltrix_bench_{}", run.replace('-', "_"));
            let mut c = sqlx::AnyConnection::connect(&admin)
                .await
                .context("connecting to Postgres for the outbox bench")?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await?;
            c.close().await?;
            let cfg = DatabaseConfig {
                url: format!("{server}/{name}"),
                ..real.clone()
            };
            Ok(Self {
                cfg,
                pg: Some((admin, name)),
                _dir: None,
            })
        } else {
            let dir = tempfile::tempdir()?;
            let cfg = DatabaseConfig {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                ),
                ..real.clone()
            };
            Ok(Self {
                cfg,
                pg: None,
                _dir: Some(dir),
            })
        }
    }

    /// `postgres` or `sqlite`.
    pub(super) fn db_name(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// The SQLite file, when on SQLite.
    pub(super) fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("bench.db"))
    }

    pub(super) async fn drop_db(self) -> anyhow::Result<()> {
        if let Some((admin, name)) = self.pg {
            let mut c = sqlx::AnyConnection::connect(&admin).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .await?;
        }
        Ok(())
    }
}

/// Records ever written to `topic` (sum of end offsets).
async fn end_total(s: &dyn Streams, topic: &str) -> anyhow::Result<i64> {
    let mut total = 0;
    for p in 0..s.partitions(topic).await? {
        total += s.end_offset(topic, p).await?;
    }
    Ok(total)
}

fn reward(run: &str, i: usize) -> Reward {
    Reward {
        tenant: "bench".into(),
        game_id: format!("g-{run}"),
        player_id: format!("p{}", i % 500),
        team_id: None,
        reward_type: "points".into(),
        reward_key: format!("k{i}"),
        amount: 10,
        payload: serde_json::json!({ "i": i }),
    }
}

fn rate_row(backend: &str, family: &str, client: &str, n: usize, took: Duration) -> Row {
    let secs = took.as_secs_f64().max(1e-9);
    Row {
        backend: backend.into(),
        family: family.into(),
        client: client.into(),
        messages: n,
        seconds: secs,
        msgs_per_sec: n as f64 / secs,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        vs_raw: None,
    }
}

/// Two rows: the mint rate into ledger + outbox, and the relay's drain
/// rate of that backlog onto `s`.
pub async fn rows(
    s: Arc<dyn Streams>,
    streams: &StreamsConfig,
    db: &DatabaseConfig,
    outbox: &OutboxConfig,
    n: usize,
    run: &str,
) -> anyhow::Result<Vec<Row>> {
    let scratch = Scratch::create(db, &format!("{run}-{}", s.backend())).await?;
    let store = Store::connect(&scratch.cfg)
        .await?
        .with_topics(streams)
        .with_max_batch(outbox.batch_size);
    let topic = streams.topic(Family::Reward, "points");
    s.ensure(&[veltrix_streams::TopicSpec::new(
        Family::Reward,
        &streams.reward,
        "points",
    )])
    .await?;
    let db_name = scratch.db_name();

    let rewards: Vec<Reward> = (0..n).map(|i| reward(run, i)).collect();
    let start = Instant::now();
    for chunk in rewards.chunks(outbox.batch_size.max(1)) {
        store.mint_batch(chunk).await?;
    }
    let mint = rate_row(
        db_name,
        "ledger+outbox write",
        "mint_batch",
        n,
        start.elapsed(),
    );

    let before = end_total(&*s, &topic).await?;
    let relay = Arc::new(Relay::new(
        store.clone(),
        s.clone(),
        outbox.clone(),
        "bench-relay",
    ));
    let (stop, rx) = watch::channel(false);
    let r = relay.clone();
    let start = Instant::now();
    let task = tokio::spawn(async move { r.run(rx).await });
    while store.outbox_stats().await?.pending > 0 {
        ensure!(
            start.elapsed() < Duration::from_secs(300),
            "outbox drain stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drain = rate_row(
        db_name,
        "outbox drain",
        &format!("relay->{}", s.backend()),
        n,
        start.elapsed(),
    );
    stop.send(true).ok();
    task.await.context("relay task")?;
    let published = end_total(&*s, &topic).await? - before;
    ensure!(published == n as i64, "relay published {published} of {n}");
    store.close().await;
    scratch.drop_db().await?;
    Ok(vec![mint, drain])
}
