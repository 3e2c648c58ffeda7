//! A private Kafka-compatible broker (Tansu, SQLite storage) for tests that
//! kill and restart it, so the shared CI broker is never disturbed.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A Tansu process on its own port and its own SQLite file.
pub struct PrivateBroker {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

fn tansu_bin() -> PathBuf {
    std::env::var_os("VELTRIX_TANSU_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo/bin/tansu")
        })
}

impl PrivateBroker {
    /// Starts a broker on a free port.
    pub fn start() -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut b = Self {
            dir: tempfile::tempdir()?,
            port,
            child: None,
        };
        b.restart()?;
        Ok(b)
    }

    /// `127.0.0.1:PORT`.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// (Re)starts the process on the same port and storage.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("broker.log"))?;
        let child = Command::new(tansu_bin())
            .current_dir(self.dir.path())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (run .ci/broker start to install it)",
                    tansu_bin().display()
                )
            })?;
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if start.elapsed() > Duration::from_secs(30) {
                bail!(
                    "private broker did not listen within 30 s: {}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?; // Child::kill sends SIGKILL on Unix.
            c.wait()?;
        }
        Ok(())
    }

    /// The last lines of the broker's log, for failure messages; the whole
    /// log is copied to the system temp dir (the broker's own dir goes away).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default();
        let copy = std::env::temp_dir().join(format!("veltrix-private-broker-{}.log", self.port));
        let _ = std::fs::write(&copy, &text);
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "(whole log: {})\n{}",
            copy.display(),
            lines[lines.len().saturating_sub(20)..].join("\n")
        )
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}
