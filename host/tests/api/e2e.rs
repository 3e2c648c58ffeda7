//! End to end over HTTP against the real services CI starts: the Kafka
//! protocol broker at `VELTRIX_KAFKA_BROKERS` (default `127.0.0.1:9092`,
//! Tansu in CI), Postgres and Redis. Each test runs a real server (API,
//! processor, ticker, outbox relay) on its own topics (a per-run prefix),
//! its own database and its own tenants, so runs can share the services.
//! An unreachable service fails the test: CI starts them.

use crate::store_common;

use crate::api_common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use api_common::{BOOT, Server, player, tenant_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;
use veltrix_api::LeaderboardBackend;
use veltrix_clock::Clock;
use veltrix_server::config::HostConfig;
use veltrix_streams::topics::Compression;
use veltrix_streams::{BackendKind, Envelope, Family};

/// Unique per test run (topics, groups and tenants carry it).
fn run_id(test: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("e2e{test}{ms}{}", std::process::id())
}

/// Kafka streams on per-run topics, Redis boards, the ticker and relay on.
fn real_services(c: &mut HostConfig, run: &str, game_types: &[&str]) {
    c.streams.backend = BackendKind::Kafka;
    if let Ok(b) = std::env::var("VELTRIX_KAFKA_BROKERS") {
        c.kafka.brokers = b;
    }
    if let Ok(u) = std::env::var("VELTRIX_REDIS_URL") {
        c.redis.url = u;
    }
    c.streams.game_types = game_types.iter().map(|t| t.to_string()).collect();
    for (family, name) in [
        (&mut c.streams.game, "game"),
        (&mut c.streams.quest, "quest"),
        (&mut c.streams.reward, "reward"),
    ] {
        family.topic = format!("{run}.{name}.v1.{{type}}");
        family.consumer_group = format!("{run}-{name}");
        family.partitions = 2;
    }
    c.streams.players.topic = format!("{run}.events.v1.players");
    c.streams.players.consumer_group = format!("{run}-players");
    c.streams.players.partitions = 2;
    // Kafka reads snappy; Tansu cannot serve snappy batches back (see
    // docs/streams.md), and zstd is as valid on a real cluster.
    c.streams.reward.compression = Compression::Zstd;
    c.api.leaderboard = LeaderboardBackend::Redis;
    // Generous on a loaded 2-core CI machine; a consumer group's first
    // rebalance alone can take seconds.
    c.api.action_timeout_ms = 60_000;
    c.api.request_timeout_ms = 90_000;
    c.processor.poll_wait_ms = 20;
    c.processor.tick_interval_ms = 250;
    c.outbox.poll_interval_ms = 20;
}

async fn start(run: &str, game_types: &[&str], ticks: bool) -> (Server, TestDb) {
    let db = TestDb::postgres().await;
    let s = Server::start(&db, |c| {
        real_services(c, run, game_types);
        if !ticks {
            // The test counts applied actions.
            c.processor.tick_interval_ms = 0;
        }
    })
    .await;
    (s, db)
}

async fn create_game(s: &Server, key: &str, tenant: &str, game: &str, ty: &str, config: Value) {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games"),
            key,
            Some(json!({ "game_id": game, "game_type": ty, "config": config })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

async fn gm(s: &Server, key: &str, tenant: &str, game: &str, body: Value) -> Value {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games/{game}/gm"),
            key,
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.json()
}

fn riddle() -> Value {
    json!({
        "first_solve_bonus": 10,
        "challenges": [{ "id": "c1", "answers": ["forty two"], "points": 100 }],
    })
}

fn attempt(answer: &str) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": "c1", "answer": answer } })
}

/// Ledger rows of a game.
async fn ledger(s: &Server, tenant: &str, game: &str) -> i64 {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM rewards WHERE tenant_id = $1 AND game_id = $2")
            .bind(tenant)
            .bind(game)
            .fetch_one(s.state.store.pool())
            .await
            .unwrap();
    sqlx::Row::try_get(&row, "n").unwrap()
}

/// Waits (at most `within`) until the outbox is empty: every minted reward
/// is on the reward stream.
async fn drained(s: &Server, within: Duration) {
    let t = Instant::now();
    while s.state.store.outbox_stats().await.unwrap().pending > 0 {
        assert!(t.elapsed() < within, "outbox not drained within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every record on the run's reward topics: event id -> envelope.
async fn reward_stream(s: &Server) -> (HashMap<String, Envelope>, usize) {
    let cfg = &s.host.config.streams;
    let mut seen = HashMap::new();
    let mut records = 0;
    for ty in &cfg.reward_types {
        let topic = cfg.topic(Family::Reward, ty);
        let parts = s.state.streams.partitions(&topic).await.unwrap();
        for p in 0..parts {
            let mut at = 0;
            loop {
                let batch = s.state.streams.read(&topic, p, at, 500).await.unwrap();
                let Some(last) = batch.last() else { break };
                at = last.offset + 1;
                records += batch.len();
                for r in batch {
                    seen.insert(r.envelope.event_id.clone(), r.envelope);
                }
            }
        }
    }
    (seen, records)
}

/// A retried action, sequential and concurrent, scores once: one answer
/// to the player, one set of ledger rows, one board entry, one record per
/// reward on the reward stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_action_scores_once() {
    let run = run_id("retry");
    let (s, db) = start(&run, &["riddle"], false).await;
    let tenant = format!("acme-{run}");
    let key = tenant_with(&s, &tenant, &["riddle"]).await;
    create_game(&s, &key, &tenant, "g1", "riddle", riddle()).await;
    let p1 = player(&s, &key, &tenant, "g1", "p1", "red").await;

    let first = s.act(&p1, "solve-1", attempt("forty two")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.raw);
    assert_eq!(first.json()["result"], "applied", "{}", first.raw);
    assert!(!first.replayed);
    // The client retries: five at once, then one more later.
    let retries =
        futures::future::join_all((0..5).map(|_| s.act(&p1, "solve-1", attempt("forty two"))))
            .await;
    let late = s.act(&p1, "solve-1", attempt("forty two")).await;
    for r in retries.iter().chain([&late]) {
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        assert!(r.replayed, "a retry is answered from the first result");
        assert_eq!(r.raw, first.raw, "byte for byte");
    }
    let applied = s.state.processor.stats().applied;
    assert_eq!(applied, 1, "the action was applied once");

    assert_eq!(
        ledger(&s, &tenant, "g1").await,
        2,
        "points + first-solve bonus"
    );
    let board = s.board(&p1, "?board=players").await;
    assert_eq!(board["top"][0]["id"], "p1", "{board}");
    assert_eq!(board["top"][0]["score"], 110, "scored once: {board}");
    drained(&s, Duration::from_secs(30)).await;
    let (rewards, records) = reward_stream(&s).await;
    let mine: Vec<&Envelope> = rewards.values().filter(|e| e.tenant == tenant).collect();
    assert_eq!(mine.len(), 2, "one reward event per ledger row");
    assert_eq!(records, rewards.len(), "no reward published twice");
    // The operator's view of the same run, from the real services.
    let (st, metrics) = s.text("/metrics").await;
    assert_eq!(st, StatusCode::OK);
    for family in [
        "veltrix_plugin_apply_seconds_count{game_type=\"riddle\"}",
        "veltrix_consumer_lag{",
        "stage=\"published\"",
        "veltrix_outbox_pending 0",
    ] {
        assert!(
            metrics.contains(family),
            "{family} missing from /metrics:\n{metrics}"
        );
    }
    println!("retry: 7 submissions, 1 applied, 2 ledger rows, 2 reward records, board 110");
    s.stop(db).await;
}

/// A sprint round closes at the end of its window with no player acting
/// (the host's ticker), and its placement bonuses are on the Redis board
/// within the budget. The host tells time by a manual clock: the window
/// passes when the test moves it, not after a sleep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_timed_round_reaches_the_board() {
    /// Window end -> placement bonuses on the board. The ticker runs every
    /// 250 ms here; the rest is one pass through the pipeline.
    const BUDGET: Duration = Duration::from_secs(10);
    let run = run_id("round");
    let db = TestDb::postgres().await;
    let (clock, hands) = Clock::manual_from_now();
    let s = Server::start_with_clock(&db, clock, |c| real_services(c, &run, &["sprint"])).await;
    let tenant = format!("acme-{run}");
    let key = tenant_with(&s, &tenant, &["sprint"]).await;
    let config = json!({ "placement_bonus": [100, 60], "floor_percent": 100 });
    create_game(&s, &key, &tenant, "g1", "sprint", config).await;
    let red = player(&s, &key, &tenant, "g1", "p1", "red").await;
    let blue = player(&s, &key, &tenant, "g1", "p2", "blue").await;

    let o = gm(&s, &key, &tenant, "g1", json!({ "kind": "tick" })).await;
    assert_eq!(o["result"], "applied", "{o}");
    let window = Duration::from_millis(5_000);
    let body = json!({ "kind": "open_round", "payload": {
        "round": 1, "duration_ms": window.as_millis() as i64,
        "tasks": [{ "id": "t1", "points": 10 }],
    }});
    let o = gm(&s, &key, &tenant, "g1", body).await;
    assert_eq!(o["result"], "applied", "{o}");
    let step = Duration::from_millis(10);
    for (token, idem) in [(&red, "r1"), (&blue, "b1")] {
        hands.advance(step);
        let body = json!({ "kind": "complete", "payload": { "round": 1, "task": "t1" } });
        let r = s.act(token, idem, body).await;
        assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    }
    // However slow this machine, no time passed for the host: ticks so far
    // carried the round's own minute.
    let teams = s.board(&red, "?board=teams").await;
    assert_eq!(
        teams["top"][0]["score"], 10,
        "no bonus before the close: {teams}"
    );

    // Nobody acts now. The window passes; the ticker closes the round.
    hands.advance(window);
    let end = Instant::now();
    let board = loop {
        let teams = s.board(&red, "?board=teams").await;
        if teams["top"][0]["score"] == 110 && teams["top"][1]["score"] == 70 {
            break teams;
        }
        assert!(
            end.elapsed() < BUDGET,
            "round closed {:?} ago, bonuses still not on the board: {teams}",
            end.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let after = end.elapsed();
    assert_eq!(
        board["top"][0]["id"], "red",
        "first to reach 10 wins ties: {board}"
    );
    assert_eq!(ledger(&s, &tenant, "g1").await, 4, "2 tasks + 2 placements");
    println!("round: window end -> placement bonuses on the Redis board in {after:?}");
    s.stop(db).await;
}

/// Two tenants with the same game and player ids share nothing: routes
/// answer 404 across tenants, boards, ledger rows, Redis keys and stream
/// envelopes are each tenant's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated() {
    let run = run_id("iso");
    let (s, db) = start(&run, &["riddle"], true).await;
    let (ta, tb) = (format!("acme-{run}"), format!("globex-{run}"));
    let a = tenant_with(&s, &ta, &["riddle"]).await;
    let b = tenant_with(&s, &tb, &["riddle"]).await;
    create_game(&s, &a, &ta, "g1", "riddle", riddle()).await;
    create_game(&s, &b, &tb, "g1", "riddle", riddle()).await;
    let pa = player(&s, &a, &ta, "g1", "p1", "red").await;
    let pb = player(&s, &b, &tb, "g1", "p1", "red").await;

    let r = s.act(&pa, "k1", attempt("forty two")).await;
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    let r = s.act(&pb, "k1", attempt("wrong")).await;
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    assert!(!r.replayed, "the same key in another tenant is its own");

    // Another tenant's key: 404 exactly like a missing game.
    let path = format!("/v1/tenants/{ta}/games/g1");
    let r = s.req(Method::GET, &path, &b, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            &format!("{path}/gm"),
            &b,
            Some(json!({ "kind": "end" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    // A player token of B's game is no key to A's routes either.
    let r = s
        .req(
            Method::POST,
            &format!("{path}/players"),
            &pb,
            Some(json!({ "player_id": "x" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.raw);
    let r = s.req(Method::GET, &path, BOOT, None).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the operator sees every tenant: {}",
        r.raw
    );

    // Boards: B's p1 scored nothing; A's board is A's.
    let board_b = s.board(&pb, "?board=players").await;
    assert_eq!(
        board_b["top"].as_array().map(Vec::len),
        Some(0),
        "{board_b}"
    );
    let board_a = s.board(&pa, "?board=players").await;
    assert_eq!(board_a["top"][0]["score"], 110, "{board_a}");
    assert_eq!(ledger(&s, &tb, "g1").await, 0);
    assert_eq!(ledger(&s, &ta, "g1").await, 2);

    // Redis: A's keys live under A's prefix only; B has none with scores.
    let client = redis::Client::open(s.host.config.redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys_a: Vec<String> = redis::cmd("KEYS")
        .arg(format!("vx:{ta}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        keys_a.iter().any(|k| k.ends_with(":lb:players")),
        "{keys_a:?}"
    );
    let keys_b: Vec<String> = redis::cmd("KEYS")
        .arg(format!("vx:{tb}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        keys_b.iter().all(|k| !k.ends_with(":lb:players")),
        "B never scored: {keys_b:?}"
    );

    // Streams: every reward envelope names its tenant; all are A's.
    drained(&s, Duration::from_secs(30)).await;
    let (rewards, _) = reward_stream(&s).await;
    assert_eq!(rewards.len(), 2);
    assert!(rewards.values().all(|e| e.tenant == ta), "{rewards:?}");
    s.stop(db).await;
}

/// A partner's component that traps fails the one action that made it
/// trap: the game, the other games and the host go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trapping_plugin_fails_one_action() {
    let run = run_id("trap");
    let db = TestDb::postgres().await;
    let s = Server::start(&db, |c| {
        real_services(c, &run, &["riddle"]);
        c.processor.tick_interval_ms = 0;
        // The probe traps and loops on purpose, so the full conformance run
        // refuses it (`api_partners.rs`); structural checks only.
        c.api.upload_check_actions = 0;
        c.api.upload_replay_actions = 0;
    })
    .await;
    let partner = format!("lab-{run}");
    let r = s
        .req(
            Method::POST,
            "/v1/partners",
            BOOT,
            Some(json!({ "partner_id": partner, "name": "Lab" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            "/v1/keys",
            BOOT,
            Some(json!({ "role": "partner", "partner_id": partner })),
        )
        .await;
    let pkey = r.json()["key"].as_str().unwrap().to_string();
    api_common::upload_probe(&s, &partner, &pkey).await;

    let tenant = format!("acme-{run}");
    let key = tenant_with(&s, &tenant, &["probe", "riddle"]).await;
    create_game(&s, &key, &tenant, "lab", "probe", json!({})).await;
    create_game(&s, &key, &tenant, "quiz", "riddle", riddle()).await;
    let ann = player(&s, &key, &tenant, "lab", "ann", "red").await;
    let bob = player(&s, &key, &tenant, "quiz", "bob", "blue").await;

    let kind = |k: &str| json!({ "kind": k });
    let r = s.act(&ann, "a1", kind("ok")).await;
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    let r = s.act(&ann, "a2", kind("trap")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.json()["result"], "faulted", "{}", r.raw);
    let r = s.act(&ann, "a3", kind("ok")).await;
    assert_eq!(r.json()["result"], "applied", "the game goes on: {}", r.raw);
    let r = s.act(&bob, "b1", attempt("forty two")).await;
    assert_eq!(
        r.json()["result"],
        "applied",
        "other games go on: {}",
        r.raw
    );
    let (st, _) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let stats = s.state.processor.stats();
    assert_eq!((stats.applied, stats.faulted), (3, 1), "{stats:?}");
    s.stop(db).await;
}
