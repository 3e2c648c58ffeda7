//! A single-node `veltrix serve` (embedded log, SQLite ledger, embedded
//! board) killed with SIGKILL mid-burst and restarted in the same
//! directory, over real HTTP: every acknowledged action is in the ledger
//! once, every key answered `pending` (or cut off by the kill) resolves to
//! its final outcome on retry, boards equal the ledger, the game plays on
//! and nothing solved before the kill applies again. Then a clean SIGINT
//! restart keeps it all too.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::served::{
    Host, act, attempt, board_equals_ledger, call, free_port, key, ledger, settle, setup,
};

const CHALLENGES: usize = 40;
/// Challenges played before the kill; the rest after the restart.
const BEFORE: usize = 30;
const PLAYERS: usize = 6;

/// `veltrix serve` in `dir`: its default SQLite file and embedded log.
async fn start(dir: &Path, port: u16, client: &Client) -> anyhow::Result<Host> {
    crate::served::start(
        dir,
        port,
        client,
        &[
            // Short, so that many answers are `pending` and must resolve later.
            ("VELTRIX_API__ACTION_TIMEOUT_MS", "30"),
            ("VELTRIX_PROCESSOR__TICK_INTERVAL_MS", "0"),
            // A claim cut off by the kill before its submit resubmits soon.
            ("VELTRIX_DATABASE__IDEMPOTENCY_CLAIM_TTL_MS", "5000"),
            ("RUST_LOG", "info"),
        ],
    )
    .await
}

fn db(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("veltrix.db").display())
}

/// The board `base` answers equals the ledger in `dir`'s SQLite file.
async fn board_ok(client: &Client, base: &str, token: &str, dir: &Path) {
    let rows = ledger(&db(dir), "acme").await;
    board_equals_ledger(client, base, token, "hunt", &rows).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_burst_loses_nothing_and_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new();
    let port = free_port();
    let mut host = start(dir.path(), port, &client).await.unwrap();
    let tokens = setup(&client, &host.base, "acme", CHALLENGES, PLAYERS, 1)
        .await
        .tokens;

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
    let rows = ledger(&db(dir.path()), "acme").await;
    let mut by_action: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        *by_action.entry(r.action.clone()).or_default() += 1;
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
    board_ok(&client, &host2.base, &tokens[0], dir.path()).await;

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
    board_ok(&client, &host2.base, &tokens[0], dir.path()).await;

    // A clean stop (SIGINT) and a third start: still all there.
    let pid = host2.child.id();
    let mut host2 = host2;
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    host2.child.wait().unwrap();
    let host3 = start(dir.path(), port, &client).await.unwrap();
    let rows_before = ledger(&db(dir.path()), "acme").await.len();
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
    let rows_after = ledger(&db(dir.path()), "acme").await.len();
    assert!(rows_after > rows_before, "{rows_before} -> {rows_after}");
    board_ok(&client, &host3.base, &tokens[0], dir.path()).await;
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
