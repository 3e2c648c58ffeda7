//! Shared helpers for the store tests: a fresh database per test (a new
//! Postgres database on the shared server, or a SQLite file in a tempdir),
//! rewards, and stream counting.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::Connection;
use veltrix_store::{DatabaseConfig, Reward, Store};
use veltrix_streams::embedded::EmbeddedLog;
use veltrix_streams::{Streams, StreamsConfig};

/// The shared server's maintenance database.
pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test.
pub struct TestDb {
    pub cfg: DatabaseConfig,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh Postgres database with a random name.
    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let name = format!("veltrix_t_{}", uuid::Uuid::now_v7().simple());
        let mut c = sqlx::AnyConnection::connect(PG_ADMIN).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        Self {
            cfg: DatabaseConfig {
                url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                ..DatabaseConfig::default()
            },
            pg_name: Some(name),
            _dir: Some(tempfile::tempdir().unwrap()),
        }
    }

    /// A fresh SQLite file in a tempdir.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("veltrix.db");
        Self {
            cfg: DatabaseConfig {
                url: format!("sqlite://{}?mode=rwc", path.display()),
                ..DatabaseConfig::default()
            },
            pg_name: None,
            _dir: Some(dir),
        }
    }

    /// A directory for this database's embedded log (kept as long as the
    /// database: a restarted server finds its log again).
    pub fn log_dir(&self) -> String {
        let dir = self._dir.as_ref().expect("every test database has a dir");
        dir.path().join("log").display().to_string()
    }

    /// Runs one statement on this database, as an operator (or a DBA's
    /// new rule) would, outside the store.
    pub async fn execute(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&self.cfg.url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }

    /// Whether this is a Postgres database.
    pub fn is_postgres(&self) -> bool {
        self.pg_name.is_some()
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.cfg).await.unwrap()
    }

    /// Drops the Postgres database (the tempdir goes with `self`).
    pub async fn finish(self, store: Store) {
        store.close().await;
        if let Some(name) = &self.pg_name {
            let mut c = sqlx::AnyConnection::connect(PG_ADMIN).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

/// What a per-backend suite returns: `()` or a `Result` (an `Err` fails
/// the test with its chain).
pub trait Verdict {
    /// Panics on failure.
    fn check(self);
}

impl Verdict for () {
    fn check(self) {}
}

impl<E: std::fmt::Debug> Verdict for Result<(), E> {
    fn check(self) {
        if let Err(e) = self {
            panic!("{e:?}");
        }
    }
}

/// The backend matrix, written once: `each_db!(name => suite)` makes a
/// module `name` with a `sqlite` and a `postgres` test, each running the
/// async fn `suite(db: TestDb)` (on a 2-thread runtime) on a fresh database.
#[macro_export]
macro_rules! each_db {
    ($(#[$meta:meta])* $name:ident => $suite:ident) => {
        $(#[$meta])*
        mod $name {
            use $crate::store_common::{TestDb, Verdict as _};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$suite(TestDb::sqlite()).await.check();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$suite(TestDb::postgres().await).await.check();
            }
        }
    };
}

/// Reward number `i` of `game` for tenant `acme`.
pub fn reward(game: &str, i: usize) -> Reward {
    Reward {
        tenant: "acme".into(),
        game_id: game.into(),
        player_id: format!("p{}", i % 7),
        team_id: i.is_multiple_of(2).then(|| "red".to_string()),
        reward_type: if i.is_multiple_of(3) {
            "badge"
        } else {
            "points"
        }
        .into(),
        reward_key: format!("k{i}"),
        amount: 10 + i as i64,
        payload: serde_json::json!({ "i": i }),
    }
}

/// The embedded log with every configured topic created.
pub async fn streams() -> EmbeddedLog {
    let cfg = StreamsConfig::default();
    let log = EmbeddedLog::new(cfg.clone());
    log.ensure(&cfg.topics()).await.unwrap();
    log
}

/// Event id -> how many records carry it, over every reward topic.
pub async fn reward_records(log: &dyn Streams) -> HashMap<String, usize> {
    let cfg = StreamsConfig::default();
    let mut out = HashMap::new();
    for t in cfg
        .topics()
        .iter()
        .filter(|t| t.name.starts_with("reward."))
    {
        for p in 0..log.partitions(&t.name).await.unwrap() {
            for r in log.read(&t.name, p, 0, usize::MAX).await.unwrap() {
                *out.entry(r.envelope.event_id).or_insert(0) += 1;
            }
        }
    }
    out
}

/// Counts rows of `table`.
pub async fn count(store: &Store, table: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

pub type DynStreams = Arc<dyn Streams>;
