//! Fault (c): Postgres stops under load. Runs a private Postgres instance
//! (initdb + pg_ctl as the `postgres` OS user, in a tempdir, on a free
//! port) so the shared server is untouched. Writers must fail within the
//! retry budget with `StoreError::Unavailable`, and after a restart every
//! mint that returned Ok must be in the ledger.

use crate::store_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use store_common::reward;
use veltrix_store::{DatabaseConfig, Store, StoreError};

const BIN: &str = "/usr/lib/postgresql/15/bin";

struct PrivatePg {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePg {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_postgres(&self, args: &[&str]) {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(args)
            .output()
            .expect("runuser");
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn init() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let owner = |p: &Path| {
            let st = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(p)
                .status()
                .unwrap();
            assert!(st.success());
        };
        owner(dir.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = Self { dir, port };
        let data = pg.data();
        pg.as_postgres(&[
            &format!("{BIN}/initdb"),
            "-D",
            data.to_str().unwrap(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-N",
        ]);
        pg.start();
        pg
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log");
        self.as_postgres(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            self.data().to_str().unwrap(),
            "-l",
            log.to_str().unwrap(),
            "-o",
            &opts,
            "-w",
            "start",
        ]);
    }

    fn stop(&self, mode: &str) {
        self.as_postgres(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            self.data().to_str().unwrap(),
            "-m",
            mode,
            "-w",
            "stop",
        ]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(format!("{BIN}/pg_ctl"))
            .args([
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

#[derive(Default)]
struct Tally {
    ok: Vec<usize>,
    /// (error, how long the failing call took).
    failed: Vec<(StoreError, Duration)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_c_postgres_stops_under_load() {
    let pg = PrivatePg::init();
    let budget_ms = 2_000;
    let cfg = DatabaseConfig {
        url: pg.url(),
        retry_budget_ms: budget_ms,
        acquire_timeout_ms: 300,
        ..DatabaseConfig::default()
    };
    let store = Store::connect(&cfg).await.unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers = 4;
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (store, tally, next) = (store.clone(), tally.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            // Mint until this writer sees its first failure.
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let t = Instant::now();
                match store.mint(&reward("g-outage", i)).await {
                    Ok(_) => tally.lock().unwrap().ok.push(i),
                    Err(e) => {
                        tally.lock().unwrap().failed.push((e, t.elapsed()));
                        return;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let ok_before_stop = tally.lock().unwrap().ok.len();
    let stopped = Instant::now();
    pg.stop("immediate");
    for t in tasks {
        t.await.unwrap();
    }
    let all_failed_after = stopped.elapsed();
    pg.start();
    let restarted = Instant::now();
    // The pool reconnects by itself; a mint after the restart succeeds.
    store.mint(&reward("g-outage", 1_000_000)).await.unwrap();
    let recovered_in = restarted.elapsed();

    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let ledger: std::collections::HashSet<String> = store
        .rewards("acme", "g-outage")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.reward_id)
        .collect();
    let missing = tally
        .ok
        .iter()
        .filter(|i| !ledger.contains(&reward("g-outage", **i).id()))
        .count();
    for (e, took) in &tally.failed {
        println!("fault c: writer failed after {} ms: {e}", took.as_millis());
    }
    println!(
        "fault c: writers {writers}, ok before stop {ok_before_stop}, ok total {}, failed {}, all writers failed {} ms after stop (budget {budget_ms} ms), ledger rows after restart {} (incl. 1 post-restart mint), ok mints missing from ledger {missing}, first mint after restart took {} ms",
        tally.ok.len(),
        tally.failed.len(),
        all_failed_after.as_millis(),
        ledger.len(),
        recovered_in.as_millis()
    );
    // The stop landed mid-load: writers had succeeded before it, and
    // every one of them then failed on the outage.
    assert!(ok_before_stop > 0, "no mint before the stop");
    assert_eq!(tally.failed.len(), writers);
    for (e, took) in &tally.failed {
        assert!(
            matches!(e, StoreError::Unavailable { waited_ms, .. } if *waited_ms >= budget_ms - 500),
            "{e:?}"
        );
        assert!(
            e.to_string().starts_with("database unreachable for "),
            "{e}"
        );
        assert!(*took < Duration::from_millis(budget_ms + 1_500), "{took:?}");
    }
    assert_eq!(missing, 0, "a mint that returned Ok was lost");
    // Ledger may hold more than ok (commits whose outcome was unknown).
    assert!(ledger.len() > tally.ok.len());
    store.close().await;
    pg.stop("fast");
}
