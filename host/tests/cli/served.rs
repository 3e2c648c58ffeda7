//! Driving real `veltrix serve` processes over HTTP: start one (and wait
//! for `/healthz`), send a player's action under an idempotency key,
//! retry a key until its answer is final, and set up a riddle hunt.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// The operator key every test server bootstraps.
pub const BOOT: &str = "bootstrap-secret-for-restart-tests-0123";

/// One `veltrix serve` process.
pub struct Host {
    pub child: Child,
    pub base: String,
}

impl Host {
    /// SIGKILL, and reaps it.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `veltrix serve` in `dir` with only `env` (plus `PATH` and the
/// bootstrap key), logging to `dir/serve.log`, and waits for /healthz.
pub async fn start(
    dir: &Path,
    port: u16,
    client: &Client,
    env: &[(&str, &str)],
) -> anyhow::Result<Host> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("serve.log"))?;
    let child = Command::new(env!("CARGO_BIN_EXE_veltrix"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VELTRIX_API__BOOTSTRAP_OPERATOR_KEY", BOOT)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("spawning veltrix serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(90) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(Host { child, base });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("serve did not answer /healthz in 90 s: {}", tail(dir))
}

/// The last 40 lines of `dir/serve.log`.
pub fn tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

pub async fn call(
    client: &Client,
    base: &str,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `call`, which must answer `want`; its JSON.
pub async fn expect(
    client: &Client,
    base: &str,
    method: Method,
    path: &str,
    key: &str,
    body: Value,
    want: StatusCode,
) -> Value {
    let (s, v) = call(client, base, method.clone(), path, key, Some(body)).await;
    assert_eq!(s, want, "{method} {path}: {v}");
    v
}

/// A riddle attempt at challenge `i`, answered right.
pub fn attempt(i: usize) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": format!("c{i}"), "answer": format!("answer {i}") } })
}

/// Sends one action; `None` when the connection broke (a kill).
pub async fn act(
    client: &Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Option<(StatusCode, Value)> {
    let r = client
        .post(format!("{base}/v1/play/actions"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .ok()?;
    let status = r.status();
    Some((status, r.json().await.ok()?))
}

/// Retries `key` until its answer is final (200).
pub async fn settle(client: &Client, base: &str, token: &str, key: &str, body: &Value) -> Value {
    let t = Instant::now();
    loop {
        if let Some((status, v)) = act(client, base, token, key, body).await {
            if status == StatusCode::OK {
                return v;
            }
            assert_eq!(status, StatusCode::ACCEPTED, "{key}: {v}");
            assert_eq!(v["result"], "pending", "{v}");
        }
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "{key} still pending after 90 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Running riddle hunts of one tenant: challenges `c0..` answered
/// `answer {i}` for `10 + i` points, one team per player.
pub struct Hunt {
    /// Join tokens, player `p{i}` at `i`.
    pub tokens: Vec<String>,
    /// Player `p{i}`'s game at `i`.
    pub games: Vec<String>,
}

/// The name of game `g` of `games`: `hunt` alone, else `hunt{g}`.
pub fn game_name(g: usize, games: usize) -> String {
    if games == 1 {
        "hunt".into()
    } else {
        format!("hunt{g}")
    }
}

/// Creates `tenant`, enables riddle, starts `games` hunts and joins
/// `players` players, player `p{i}` to game `i % games`.
pub async fn setup(
    client: &Client,
    base: &str,
    tenant: &str,
    challenges: usize,
    players: usize,
    games: usize,
) -> Hunt {
    use StatusCode as S;
    let t = json!({ "tenant_id": tenant, "name": "Acme" });
    expect(
        client,
        base,
        Method::POST,
        "/v1/tenants",
        BOOT,
        t,
        S::CREATED,
    )
    .await;
    let k = json!({ "role": "tenant", "tenant_id": tenant });
    let v = expect(client, base, Method::POST, "/v1/keys", BOOT, k, S::CREATED).await;
    let key = v["key"].as_str().unwrap().to_string();
    let path = format!("/v1/tenants/{tenant}/game-types/riddle");
    let on = json!({ "enabled": true });
    expect(client, base, Method::PUT, &path, &key, on, S::OK).await;
    let list: Vec<Value> = (0..challenges)
        .map(|i| json!({ "id": format!("c{i}"), "answers": [format!("answer {i}")], "points": 10 + i }))
        .collect();
    let config = json!({ "first_solve_bonus": 5, "challenges": list });
    for g in 0..games {
        let game = game_name(g, games);
        let path = format!("/v1/tenants/{tenant}/games");
        let body = json!({ "game_id": game, "game_type": "riddle", "config": config, "seed": 11 });
        expect(client, base, Method::POST, &path, &key, body, S::CREATED).await;
        let path = format!("/v1/tenants/{tenant}/games/{game}/gm");
        expect(
            client,
            base,
            Method::POST,
            &path,
            &key,
            json!({ "kind": "start" }),
            S::OK,
        )
        .await;
    }
    let mut hunt = Hunt {
        tokens: Vec::new(),
        games: Vec::new(),
    };
    for p in 0..players {
        let game = game_name(p % games, games);
        let path = format!("/v1/tenants/{tenant}/games/{game}/players");
        let body = json!({ "player_id": format!("p{p}"), "team_id": format!("t{p}") });
        let v = expect(client, base, Method::POST, &path, &key, body, S::CREATED).await;
        hunt.tokens.push(v["token"].as_str().unwrap().to_string());
        hunt.games.push(game);
    }
    hunt
}

/// (player, challenge) -> idempotency key.
pub fn key(p: usize, i: usize) -> String {
    format!("p{p}-c{i}")
}

/// One ledger row.
pub struct LedgerRow {
    pub game: String,
    pub player: String,
    pub reward_key: String,
    pub amount: i64,
    /// The action that minted it.
    pub action: String,
}

/// The ledger of `tenant`, every game.
pub async fn ledger(url: &str, tenant: &str) -> Vec<LedgerRow> {
    use sqlx::Row;
    let store = veltrix_store::Store::connect(&veltrix_store::DatabaseConfig {
        url: url.to_string(),
        ..veltrix_store::DatabaseConfig::default()
    })
    .await
    .unwrap();
    let rows = sqlx::query(
        "SELECT game_id, player_id, reward_key, amount, payload FROM rewards WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(store.pool())
    .await
    .unwrap();
    store.close().await;
    rows.iter()
        .map(|r| {
            let payload: String = r.get("payload");
            let v: Value = serde_json::from_str(&payload).unwrap();
            LedgerRow {
                game: r.get("game_id"),
                player: r.get("player_id"),
                reward_key: r.get("reward_key"),
                amount: r.get("amount"),
                action: v["action_id"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

/// The board of `game` a host answers (to a player of it) equals the
/// sums of its rows in the ledger.
pub async fn board_equals_ledger(
    client: &Client,
    base: &str,
    token: &str,
    game: &str,
    rows: &[LedgerRow],
) {
    let mut want: std::collections::BTreeMap<String, i64> = Default::default();
    for r in rows.iter().filter(|r| r.game == game) {
        *want.entry(r.player.clone()).or_default() += r.amount;
    }
    let (s, v) = call(
        client,
        base,
        Method::GET,
        "/v1/play/leaderboard?n=100",
        token,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got: std::collections::BTreeMap<String, i64> = v["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["score"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want, "board of {game} on {base} vs ledger");
}
