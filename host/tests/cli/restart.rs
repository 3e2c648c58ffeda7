//! A single-node `veltrix serve` (embedded log, SQLite ledger, embedded
//! board) killed with SIGKILL mid-burst and restarted in the same
//! directory, over real HTTP: every acknowledged action is in the ledger
//! once, every key answered `pending` (or cut off by the kill) resolves to
//! its final outcome on retry, boards equal the ledger, the game plays on
//! and nothing solved before the kill applies again. Then a clean SIGINT
//! restart keeps it all too.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use veltrix_store::{DatabaseConfig, Store};

const BOOT: &str = "bootstrap-secret-for-restart-tests-0123";
const CHALLENGES: usize = 40;
/// Challenges played before the kill; the rest after the restart.
const BEFORE: usize = 30;
const PLAYERS: usize = 6;

struct Host {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `veltrix serve` in `dir` (its default SQLite file and log) and
/// waits for /healthz.
async fn start(dir: &Path, port: u16, client: &Client) -> anyhow::Result<Host> {
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
        // Short, so that many answers are `pending` and must resolve later.
        .env("VELTRIX_API__ACTION_TIMEOUT_MS", "30")
        .env("VELTRIX_PROCESSOR__TICK_INTERVAL_MS", "0")
        // A claim cut off by the kill before its submit resubmits soon.
        .env("VELTRIX_DATABASE__IDEMPOTENCY_CLAIM_TTL_MS", "5000")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("spawning veltrix serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(Host { child, base });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("serve did not answer /healthz in 60 s: {}", tail(dir))
}

fn tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

async fn call(
    client: &Client,
    base: &str,
    method: reqwest::Method,
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

fn attempt(i: usize) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": format!("c{i}"), "answer": format!("answer {i}") } })
}

/// Sends one action; `None` when the connection broke (the kill).
async fn act(
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
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .ok()?;
    let status = r.status();
    Some((status, r.json().await.ok()?))
}

/// Retries `key` until its answer is final (200).
async fn settle(client: &Client, base: &str, token: &str, key: &str, body: &Value) -> Value {
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
            t.elapsed() < Duration::from_secs(60),
            "{key} still pending after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Setup {
    tokens: Vec<String>,
}

async fn setup(client: &Client, base: &str) -> Setup {
    use reqwest::Method;
    let (s, v) = call(
        client,
        base,
        Method::POST,
        "/v1/tenants",
        BOOT,
        Some(json!({ "tenant_id": "acme", "name": "Acme" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        client,
        base,
        Method::POST,
        "/v1/keys",
        BOOT,
        Some(json!({ "role": "tenant", "tenant_id": "acme" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = v["key"].as_str().unwrap().to_string();
    let (s, v) = call(
        client,
        base,
        Method::PUT,
        "/v1/tenants/acme/game-types/riddle",
        &key,
        Some(json!({ "enabled": true })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let challenges: Vec<Value> = (0..CHALLENGES)
        .map(|i| json!({ "id": format!("c{i}"), "answers": [format!("answer {i}")], "points": 10 + i }))
        .collect();
    let config = json!({ "first_solve_bonus": 5, "challenges": challenges });
    let (s, v) = call(
        client,
        base,
        Method::POST,
        "/v1/tenants/acme/games",
        &key,
        Some(json!({ "game_id": "hunt", "game_type": "riddle", "config": config, "seed": 11 })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        client,
        base,
        Method::POST,
        "/v1/tenants/acme/games/hunt/gm",
        &key,
        Some(json!({ "kind": "start" })),
    )
    .await;
    assert!(s.is_success(), "{v}");
    let mut tokens = Vec::new();
    for p in 0..PLAYERS {
        let (s, v) = call(
            client,
            base,
            Method::POST,
            "/v1/tenants/acme/games/hunt/players",
            &key,
            Some(json!({ "player_id": format!("p{p}"), "team_id": format!("t{p}") })),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        tokens.push(v["token"].as_str().unwrap().to_string());
    }
    Setup { tokens }
}

/// (player, challenge) -> key.
fn key(p: usize, i: usize) -> String {
    format!("p{p}-c{i}")
}

/// The ledger, read from the SQLite file the server writes.
async fn ledger(dir: &Path) -> Vec<(String, String, i64, String)> {
    use sqlx::Row;
    let store = Store::connect(&DatabaseConfig {
        url: format!("sqlite://{}", dir.join("veltrix.db").display()),
        ..DatabaseConfig::default()
    })
    .await
    .unwrap();
    let rows = sqlx::query("SELECT player_id, reward_key, amount, payload FROM rewards WHERE tenant_id = 'acme' AND game_id = 'hunt'")
        .fetch_all(store.pool())
        .await
        .unwrap();
    store.close().await;
    rows.iter()
        .map(|r| {
            let payload: String = r.get("payload");
            let v: Value = serde_json::from_str(&payload).unwrap();
            (
                r.get("player_id"),
                r.get("reward_key"),
                r.get("amount"),
                v["action_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn board_equals_ledger(client: &Client, base: &str, token: &str, dir: &Path) {
    let rows = ledger(dir).await;
    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for (p, _, amount, _) in &rows {
        *want.entry(p.clone()).or_default() += amount;
    }
    let (s, v) = call(
        client,
        base,
        reqwest::Method::GET,
        "/v1/play/leaderboard?n=100",
        token,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got: BTreeMap<String, i64> = v["top"]
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
    assert_eq!(got, want, "board vs ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_burst_loses_nothing_and_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new();
    let port = free_port();
    let mut host = start(dir.path(), port, &client).await.unwrap();
    let Setup { tokens } = setup(&client, &host.base).await;

    // The burst: every player attempts the first BEFORE challenges, 12
    // requests in flight; the host is killed once a third are answered.
    let jobs: Vec<(usize, usize)> = (0..BEFORE)
        .flat_map(|i| (0..PLAYERS).map(move |p| (p, i)))
        .collect();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let kill_at = jobs.len() / 3;
    let mut results: HashMap<String, Option<(StatusCode, Value)>> = HashMap::new();
    let mut stream = futures::stream::iter(jobs.iter().copied().map(|(p, i)| {
        let (client, base, token) = (client.clone(), host.base.clone(), tokens[p].clone());
        let answered = answered.clone();
        async move {
            let r = act(&client, &base, &token, &key(p, i), &attempt(i)).await;
            if r.is_some() {
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            (key(p, i), r)
        }
    }))
    .buffer_unordered(12);
    use futures::StreamExt;
    let mut killed = false;
    while let Some((k, r)) = stream.next().await {
        results.insert(k, r);
        if !killed && answered.load(std::sync::atomic::Ordering::SeqCst) >= kill_at {
            host.child.kill().unwrap(); // SIGKILL
            host.child.wait().unwrap();
            killed = true;
        }
    }
    drop(stream);
    assert!(killed);
    let done: Vec<&String> = results
        .iter()
        .filter(|(_, r)| matches!(r, Some((StatusCode::OK, _))))
        .map(|(k, _)| k)
        .collect();
    let pending: Vec<&String> = results
        .iter()
        .filter(|(_, r)| matches!(r, Some((StatusCode::ACCEPTED, _))))
        .map(|(k, _)| k)
        .collect();
    let cut = results.values().filter(|r| r.is_none()).count();
    eprintln!(
        "before the kill: {} answered applied, {} pending, {} cut off",
        done.len(),
        pending.len(),
        cut
    );
    assert!(
        !done.is_empty() || !pending.is_empty(),
        "the kill came too early"
    );
    for (k, r) in &results {
        if let Some((s, v)) = r {
            assert!(
                *s == StatusCode::OK || *s == StatusCode::ACCEPTED,
                "{k}: {s} {v}"
            );
        }
    }

    // Restart in the same directory; every key settles to one final
    // answer, and answers given before the kill are given again.
    let host2 = start(dir.path(), port, &client).await.unwrap();
    let mut finals: HashMap<String, Value> = HashMap::new();
    for &(p, i) in &jobs {
        let k = key(p, i);
        let v = settle(&client, &host2.base, &tokens[p], &k, &attempt(i)).await;
        assert_eq!(v["result"], "applied", "{k}: {v}");
        if let Some(Some((StatusCode::OK, before))) = results.get(&k) {
            assert_eq!(&v, before, "{k}: the answer given before the kill");
        }
        finals.insert(k, v);
    }
    // Each action once in the ledger: every reward row names the action
    // that minted it, and each final answer's reward count matches.
    let rows = ledger(dir.path()).await;
    let mut by_action: HashMap<String, usize> = HashMap::new();
    for (_, _, _, a) in &rows {
        *by_action.entry(a.clone()).or_default() += 1;
    }
    for (k, v) in &finals {
        let id = v["action_id"].as_str().unwrap();
        let n = by_action.get(id).copied().unwrap_or(0);
        assert_eq!(n as u64, v["rewards"].as_u64().unwrap(), "{k}: {v}");
        assert!(n >= 1, "every correct answer scores: {k} {v}");
    }
    assert_eq!(
        by_action.values().sum::<usize>(),
        rows.len(),
        "no reward from an action nobody was answered for"
    );
    eprintln!(
        "after the restart: {} keys settled, {} ledger rows, each minted once",
        finals.len(),
        rows.len()
    );
    board_equals_ledger(&client, &host2.base, &tokens[0], dir.path()).await;

    // Play on: solved challenges do not apply again (new keys), the rest
    // score.
    let v = settle(&client, &host2.base, &tokens[0], "again-c0", &attempt(0)).await;
    assert_eq!(v["result"], "rejected", "solved before the kill: {v}");
    for (p, token) in tokens.iter().enumerate() {
        let v = settle(
            &client,
            &host2.base,
            token,
            &key(p, BEFORE),
            &attempt(BEFORE),
        )
        .await;
        assert_eq!(v["result"], "applied", "{v}");
        assert!(v["minted"].as_u64().unwrap() >= 1, "{v}");
    }
    board_equals_ledger(&client, &host2.base, &tokens[0], dir.path()).await;

    // A clean stop (SIGINT) and a third start: still all there.
    let pid = host2.child.id();
    let mut host2 = host2;
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    host2.child.wait().unwrap();
    let host3 = start(dir.path(), port, &client).await.unwrap();
    let rows_before = ledger(dir.path()).await.len();
    for (p, token) in tokens.iter().enumerate() {
        let v = settle(
            &client,
            &host3.base,
            token,
            &key(p, BEFORE + 1),
            &attempt(BEFORE + 1),
        )
        .await;
        assert_eq!(v["result"], "applied", "{v}");
        // A retry of a pre-kill key is still its first answer.
        let again = settle(&client, &host3.base, token, &key(p, 0), &attempt(0)).await;
        assert_eq!(again, finals[&key(p, 0)]);
    }
    let rows_after = ledger(dir.path()).await.len();
    assert!(rows_after > rows_before, "{rows_before} -> {rows_after}");
    board_equals_ledger(&client, &host3.base, &tokens[0], dir.path()).await;
    let action_id = finals[&key(0, 0)]["action_id"]
        .as_str()
        .unwrap()
        .to_string();
    // GET by id: the caller's own action answers its stored outcome,
    // another player's is not found.
    let path = format!("/v1/play/actions/{action_id}");
    let mut answers = Vec::new();
    for token in &tokens[..2] {
        answers.push(
            call(
                &client,
                &host3.base,
                reqwest::Method::GET,
                &path,
                token,
                None,
            )
            .await,
        );
    }
    assert_eq!(
        (answers[0].0, &answers[0].1),
        (StatusCode::OK, &finals[&key(0, 0)])
    );
    assert_eq!(
        answers[1].0,
        StatusCode::NOT_FOUND,
        "another player's action"
    );
    let mut host3 = host3;
    host3.child.kill().unwrap();
    host3.child.wait().unwrap();
}
