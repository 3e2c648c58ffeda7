//! What the browser tests share: a `veltrix serve` of their own (its
//! directory, its log shown when a test fails), operator set-up over HTTP,
//! test-id selectors and where screenshots go.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

pub const BOOT: &str = "bootstrap-secret-for-browser-tests-0123";

/// Selects the element whose test id (or, in static HTML, id) is `id`.
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"], [id=\"{id}\"]")
}

pub struct Serve {
    child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn serve() -> anyhow::Result<Serve> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(dir.path().join("serve.log"))?;
    let child = Command::new(env!("CARGO_BIN_EXE_veltrix"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VELTRIX_API__BOOTSTRAP_OPERATOR_KEY", BOOT)
        .env("VELTRIX_API__ACTION_TIMEOUT_MS", "10000")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let s = Serve {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
    };
    let c = Client::new();
    let t = Instant::now();
    while c.get(format!("{}/healthz", s.base)).send().await.is_err() {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(180),
            "serve did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(s)
}

/// Operator set-up over HTTP (the operator page is not what this suite
/// is about): a tenant and its key.
pub async fn tenant(base: &str, id: &str) -> anyhow::Result<String> {
    let c = Client::new();
    let r = c
        .post(format!("{base}/v1/tenants"))
        .bearer_auth(BOOT)
        .json(&json!({ "tenant_id": id, "name": format!("{id} Corp") }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "tenant: {}", r.text().await?);
    let v: Value = c
        .post(format!("{base}/v1/keys"))
        .bearer_auth(BOOT)
        .json(&json!({ "role": "tenant", "tenant_id": id }))
        .send()
        .await?
        .json()
        .await?;
    Ok(v["key"].as_str().context("key")?.to_string())
}

pub fn screens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screens")
}
