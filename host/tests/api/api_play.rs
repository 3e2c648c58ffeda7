//! The play API over real HTTP: games, player tokens, actions with
//! idempotency keys, the leaderboard and the SSE feed, on SQLite, the
//! embedded stream log, the embedded board and a running processor.

use crate::store_common;

use crate::api_common;

use std::time::Duration;

use api_common::{BODY_LIMIT, Server, code, player, tenant_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;

fn riddle_config() -> Value {
    json!({
        "first_solve_bonus": 10,
        "challenges": [
            { "id": "c1", "answers": ["forty two"], "points": 100 },
            { "id": "c2", "answers": ["blue"], "points": 50 },
        ],
    })
}

fn attempt(challenge: &str, answer: &str) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": challenge, "answer": answer } })
}

/// Operator creates `tenant` and a tenant key; the tenant enables riddle.
async fn tenant(s: &Server, tenant: &str) -> String {
    tenant_with(s, tenant, &["riddle"]).await
}

/// Reads the SSE body until a `delta` event mentioning `action_id`.
async fn wait_delta(resp: &mut reqwest::Response, action_id: &str) -> String {
    let mut seen = String::new();
    let read = async {
        while let Some(chunk) = resp.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: delta") && seen.contains(action_id) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .unwrap_or_else(|_| panic!("no delta in the feed; got {seen:?}"));
    seen
}

/// The sum of the values of `name`'s lines that contain every `needle`.
fn metric(text: &str, name: &str, needles: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && needles.iter().all(|n| l.contains(n)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// After actions: `/metrics` carries the pipeline's families with counts.
/// The relay publishes in the background, so wait for its series.
async fn pipeline_metrics(s: &Server, sqlite: bool) {
    let published = ["family=\"reward\"", "stage=\"published\""];
    let mut text = String::new();
    for _ in 0..100 {
        let (st, t) = s.text("/metrics").await;
        assert_eq!(st, StatusCode::OK);
        text = t;
        if metric(&text, "veltrix_stream_latency_seconds_count", &published) > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let riddle = ["game_type=\"riddle\""];
    for (name, needles) in [
        ("veltrix_plugin_apply_seconds_count", &riddle[..]),
        ("veltrix_plugin_fuel_count", &riddle[..]),
        ("veltrix_plugin_fuel_sum", &riddle[..]),
        (
            "veltrix_stream_latency_seconds_count",
            &["family=\"game\"", "stage=\"polled\""][..],
        ),
        (
            "veltrix_stream_latency_seconds_count",
            &["family=\"game\"", "stage=\"acked\""][..],
        ),
        (
            "veltrix_stream_latency_seconds_count",
            &["family=\"players\"", "stage=\"acked\""][..],
        ),
        ("veltrix_stream_latency_seconds_count", &published[..]),
        // The player actions' stages, from the claim to the wake.
        (
            "veltrix_action_stage_seconds_count",
            &["stage=\"claim\""][..],
        ),
        (
            "veltrix_action_stage_seconds_count",
            &["stage=\"wake\""][..],
        ),
    ] {
        assert!(
            metric(&text, name, needles) > 0.0,
            "{name} {needles:?}:\n{text}"
        );
    }
    // SQLite's batch writer ran the batches and the claims, grouped
    // into transactions; Postgres has none.
    let txs = metric(&text, "veltrix_sqlite_writer_transactions_total", &[]);
    let jobs = metric(&text, "veltrix_sqlite_writer_jobs_total", &[]);
    if sqlite {
        assert!(txs > 0.0 && jobs >= txs, "{txs} {jobs}:\n{text}");
    } else {
        assert!(!text.contains("veltrix_sqlite_writer"), "{text}");
    }
    // The play requests authenticated through the batched token lookups.
    let queries = metric(&text, "veltrix_player_token_queries_total", &[]);
    let lookups = metric(&text, "veltrix_player_token_lookups_total", &[]);
    assert!(
        queries > 0.0 && lookups >= queries,
        "{queries} {lookups}:\n{text}"
    );
    // Lag is a gauge (0 once everything is read), reported for the
    // processor's group on the game topic.
    assert!(
        text.contains("# TYPE veltrix_consumer_lag gauge\n"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("veltrix_consumer_lag{")
                && l.contains("topic=\"game.v1.riddle\"")),
        "{text}"
    );
    // No ids in labels.
    for id in ["acme", "\"g1\"", "\"p1\""] {
        assert!(!text.contains(id), "{id} in a label:\n{text}");
    }
}

async fn play(db: TestDb) {
    let s = Server::start(&db, |c| {
        // Actions wait for their outcome; generous on a loaded CI machine.
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.processor.poll_wait_ms = 10;
    })
    .await;
    let a = tenant(&s, "acme").await;
    let b = tenant(&s, "globex").await;

    // Games: type must be enabled; the plugin's config errors are 422.
    let games = "/v1/tenants/acme/games";
    let r = s
        .req(
            Method::POST,
            games,
            &a,
            Some(json!({ "game_id": "g0", "game_type": "bingo", "config": {} })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            games,
            &a,
            Some(json!({ "game_id": "g0", "game_type": "riddle", "config": { "challenges": [{ "id": "x" }] } })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("config")
    );
    for g in ["g1", "g2"] {
        let r = s
            .req(
                Method::POST,
                games,
                &a,
                Some(json!({ "game_id": g, "game_type": "riddle", "config": riddle_config(), "seed": 7 })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
        assert_eq!(r.json()["game_type"], "riddle");
    }
    let r = s
        .req(
            Method::POST,
            games,
            &a,
            Some(json!({ "game_id": "g1", "game_type": "riddle", "config": riddle_config() })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.raw);

    // Tenant isolation: B sees nothing of A's, exactly like a missing game.
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g1", &b, None)
        .await;
    assert_eq!(
        (r.status, code(&r.json())),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games/g1/players",
            &b,
            Some(json!({ "player_id": "spy" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g1", &a, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/nope", &a, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Bad tenant-route bodies: 4xx, nothing created.
    let r = s
        .req(
            Method::POST,
            games,
            &a,
            Some(json!({ "game_id": "g3", "game_type": "riddle", "config": riddle_config(), "extra": 1 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            games,
            &a,
            Some(json!({ "game_id": "g3", "game_type": "riddle", "config": [] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g3", &a, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games/g1/players",
            &a,
            Some(json!({ "player_id": "bad id" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);

    let p1 = player(&s, &a, "acme", "g1", "p1", "red").await;
    let p2 = player(&s, &a, "acme", "g1", "p2", "blue").await;
    let p3 = player(&s, &a, "acme", "g2", "p3", "red").await;

    // A player token is not an API key, nor an API key a player token.
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g2", &p1, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s.act(&a, "k", attempt("c1", "x")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The feed, opened before acting.
    let mut feed = s
        .client
        .get(format!("{}/v1/play/feed", s.base))
        .bearer_auth(&p1)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);

    // A wrong answer, then the right one.
    let r = s.act(&p1, "k1", attempt("c1", "nope")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    let first = s.act(&p1, "k2", attempt("c1", "Forty  Two")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.raw);
    assert!(!first.replayed);
    let v = first.json();
    assert_eq!(v["result"], "applied", "{v}");
    assert!(v["minted"].as_u64().unwrap() >= 1, "{v}");
    let action_id = v["action_id"].as_str().unwrap().to_string();
    let seen = wait_delta(&mut feed, &action_id).await;
    assert!(seen.contains("\"player_id\":\"p1\""), "{seen}");
    assert!(!seen.contains("\"state\""), "deltas, not states: {seen}");

    let board = s.board(&p2, "?board=players&n=10").await;
    let score = board["top"][0]["score"].as_i64().unwrap();
    assert_eq!(board["top"][0]["id"], "p1", "{board}");
    assert_eq!(score, 110, "100 points + 10 first-solve bonus: {board}");
    assert!(board["me"].is_null(), "p2 has not scored: {board}");
    let applied = s.state.processor.stats().applied;

    // The retry: byte-identical, flagged, applied once.
    let again = s.act(&p1, "k2", attempt("c1", "Forty  Two")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.replayed);
    assert_eq!(again.raw, first.raw);
    // Same key, another body: 422, nothing applied.
    let r = s.act(&p1, "k2", attempt("c2", "blue")).await;
    assert_eq!(
        (r.status, code(&r.json())),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    // Another player's identical key is their own.
    let r = s.act(&p2, "k2", attempt("c2", "blue")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert!(!r.replayed);
    assert_eq!(s.state.processor.stats().applied, applied + 1);

    // Bad requests change nothing, and do not burn their key.
    let r = s
        .send(
            Method::POST,
            "/v1/play/actions",
            Some(&p1),
            &[],
            Some(attempt("c2", "blue")),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);
    let r = s.act(&p1, "k3", json!("RAW:{\"kind\": ")).await;
    assert_eq!(
        (r.status, code(&r.json())),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let r = s
        .act(&p1, "k3", json!({ "kind": "attempt", "player": "p2" }))
        .await;
    assert_eq!(
        (r.status, code(&r.json())),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let r = s
        .send(
            Method::POST,
            "/v1/play/actions",
            Some(&p1),
            &[("idempotency-key", "k3"), ("content-type", "text/plain")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.raw);
    let big = "x".repeat(BODY_LIMIT + 1);
    let r = s.act(&p1, "k3", attempt("c2", &big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.raw);
    assert_eq!(s.state.processor.stats().applied, applied + 1);
    let r = s.act(&p1, "k3", attempt("c2", "blue")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert!(!r.replayed, "k3 was never claimed");

    let board = s.board(&p1, "?board=players").await;
    assert_eq!(board["top"][0]["id"], "p1");
    assert_eq!(
        board["top"][0]["score"],
        110 + 50,
        "c2 has no decay; the 2nd solver gets no bonus: {board}"
    );
    assert_eq!(board["me"]["rank"], 1);
    let teams = s.board(&p2, "?board=teams&n=5").await;
    assert_eq!(teams["me"]["id"], "blue", "{teams}");

    // The token of game g1 plays g1 only: g2's board is untouched by p1,
    // and p3's actions land in g2.
    let r = s.act(&p3, "k1", attempt("c1", "forty two")).await;
    assert_eq!(r.json()["game_id"], "g2", "{}", r.raw);
    let g2 = s.board(&p3, "").await;
    assert_eq!(g2["top"].as_array().unwrap().len(), 1, "{g2}");
    assert_eq!(g2["top"][0]["id"], "p3");

    pipeline_metrics(&s, !db.is_postgres()).await;

    // Game master: pause, then players are refused.
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games/g1/gm",
            &a,
            Some(json!({ "kind": "pause" })),
        )
        .await;
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games/g1/gm",
            &b,
            Some(json!({ "kind": "resume" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.act(&p2, "k9", attempt("c1", "forty two")).await;
    assert_eq!(r.json()["result"], "rejected", "{}", r.raw);
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g1", &a, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // An open feed must not hold the graceful shutdown.
    tokio::time::timeout(Duration::from_secs(30), s.stop(db))
        .await
        .expect("shutdown with an open feed");
    drop(feed);
}

/// A tenant revokes a player's tokens (every device): the next request with
/// any of them is 401, another tenant gets 404 as for a missing game, and a
/// second revocation is 404 (nothing left to revoke).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_tokens_are_revoked() {
    let db = TestDb::sqlite();
    let s = Server::start(&db, |c| {
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.processor.poll_wait_ms = 10;
    })
    .await;
    let a = tenant(&s, "acme").await;
    let b = tenant(&s, "globex").await;
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games",
            &a,
            Some(json!({ "game_id": "g1", "game_type": "riddle", "config": riddle_config() })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let phone = player(&s, &a, "acme", "g1", "p1", "t1").await;
    let laptop = player(&s, &a, "acme", "g1", "p1", "t1").await;
    let other = player(&s, &a, "acme", "g1", "p2", "t1").await;
    let r = s.act(&phone, "k1", attempt("c1", "nope")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);

    let path = "/v1/tenants/acme/games/g1/players/p1/tokens";
    let r = s.req(Method::DELETE, path, &b, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    let r = s.act(&laptop, "k2", attempt("c1", "nope")).await;
    assert_eq!(r.status, StatusCode::OK, "another tenant revoked nothing");

    let r = s.req(Method::DELETE, path, &a, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.json(), json!({ "player_id": "p1", "revoked": 2 }));
    for (token, key) in [(&phone, "k3"), (&laptop, "k4")] {
        let r = s.act(token, key, attempt("c1", "forty two")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.raw);
    }
    let r = s.act(&other, "k5", attempt("c1", "nope")).await;
    assert_eq!(r.status, StatusCode::OK, "other players keep theirs");
    let r = s.req(Method::DELETE, path, &a, None).await;
    assert_eq!(
        (r.status, code(&r.json())),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

crate::each_db!(play => play);

/// A game read is current: the status the last answer reported, the last
/// applied action and the standings, right after each answer (before, the
/// status came from the last snapshot: a game started, played and ended
/// still read `waiting`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_reads_are_current_after_every_answer() {
    let db = TestDb::sqlite();
    // Snapshots far apart: nothing but the pipeline's own writes can make
    // the reads current.
    let s = Server::start(&db, |c| c.processor.snapshot_every = 1_000_000).await;
    let key = tenant(&s, "acme").await;
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games",
            &key,
            Some(json!({ "game_id": "g1", "game_type": "riddle", "config": riddle_config() })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let read = || async {
        let r = s
            .req(Method::GET, "/v1/tenants/acme/games/g1", &key, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        r.json()
    };
    let g = read().await;
    assert_eq!(g["last_action"], Value::Null, "{g}");
    assert_eq!(g["scores"]["players"], json!([]), "{g}");

    let token = player(&s, &key, "acme", "g1", "p1", "red").await;
    let r = s.act(&token, "k1", attempt("c1", "forty two")).await;
    let a = r.json();
    assert_eq!(a["result"], "applied", "{}", r.raw);
    // The answer says what was paid.
    let paid = a["paid"].as_array().cloned().unwrap_or_default();
    let points: i64 = paid.iter().filter_map(|p| p["points"].as_i64()).sum();
    assert_eq!(points, 110, "{a}");
    assert!(
        paid.iter()
            .all(|p| p["player"] == "p1" && p["team"] == "red" && p["minted"] == true),
        "{a}"
    );
    assert!(
        paid.iter()
            .all(|p| p["reward_key"].is_string() && p["reward_type"].is_string()),
        "{a}"
    );
    let g = read().await;
    assert_eq!(g["status"], a["status"], "status after a play: {g}");
    assert_eq!(g["last_action"]["action_id"], a["action_id"], "{g}");
    assert_eq!(g["last_action"]["player_id"], "p1", "{g}");
    assert_eq!(g["scores"]["players"][0]["id"], "p1", "{g}");
    assert_eq!(g["scores"]["players"][0]["score"], 110, "{g}");
    assert_eq!(g["scores"]["teams"][0]["id"], "red", "{g}");

    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games/g1/gm",
            &key,
            Some(json!({ "kind": "end" })),
        )
        .await;
    let end = r.json();
    assert_eq!(end["result"], "applied", "{}", r.raw);
    assert_eq!(end["status"], "finished", "{end}");
    let g = read().await;
    assert_eq!(g["status"], "finished", "{g}");
    assert_eq!(g["last_action"]["action_id"], end["action_id"], "{g}");
    assert_eq!(g["last_action"]["player_id"], "game-master", "{g}");
    s.stop(db).await;
}

/// A game config is checked against its type's declared schema before
/// `init`: the 422 names the place in the tenant's own document, and
/// nothing is created. The catalogue carries what a form needs: the
/// type's description, config schema and an example config, which
/// creates a game as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configs_meet_their_schema_and_the_catalogue_says_how() {
    let db = TestDb::sqlite();
    // Example configs are larger than the harness's tiny body limit.
    let s = Server::start(&db, |c| c.api.max_body_bytes = 64 << 10).await;
    let key = tenant(&s, "acme").await;
    let mut config = riddle_config();
    config["rate_limit"] = json!({ "max_wrong": 5000 });
    config["first_solve_bonus"] = json!(-1);
    let create = |id: &str, config: Value| {
        let body = json!({ "game_id": id, "game_type": "riddle", "config": config });
        let s = &s;
        let key = key.clone();
        async move {
            s.req(Method::POST, "/v1/tenants/acme/games", &key, Some(body))
                .await
        }
    };
    let r = create("bad", config).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    let msg = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    for want in [
        "/rate_limit/max_wrong",
        "5000",
        "/first_solve_bonus",
        "riddle config schema",
    ] {
        assert!(msg.contains(want), "{want} missing from {msg}");
    }
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/bad", &key, None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "nothing created: {}",
        r.raw
    );

    let (st, cat) = s
        .call(Method::GET, "/v1/game-types", Some(&key), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let riddle = cat["game_types"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "riddle"))
        .cloned()
        .unwrap_or_default();
    assert!(
        riddle["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{riddle}"
    );
    assert_eq!(riddle["config_schema"]["type"], "object", "{riddle}");
    assert!(riddle["example_config"].is_object(), "{riddle}");
    let r = create("from-example", riddle["example_config"].clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    s.stop(db).await;
}

/// An answer gives the player's and team's totals right after its action:
/// from the ledger the first time a game is loaded (here again after an
/// eviction), then kept in step action by action; a retried key answers
/// the totals of its first delivery. On both databases (Postgres sums
/// into NUMERIC).
async fn answers_carry_totals(db: TestDb) {
    let s = Server::start(&db, |c| {
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.processor.poll_wait_ms = 10;
        // One cached game: playing the other evicts it.
        c.processor.max_games_cached = 1;
    })
    .await;
    let key = tenant(&s, "acme").await;
    for g in ["g1", "g2"] {
        let r = s
            .req(
                Method::POST,
                "/v1/tenants/acme/games",
                &key,
                Some(json!({ "game_id": g, "game_type": "riddle", "config": riddle_config() })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    }
    let p1 = player(&s, &key, "acme", "g1", "p1", "red").await;
    let p2 = player(&s, &key, "acme", "g1", "p2", "blue").await;
    let q1 = player(&s, &key, "acme", "g2", "p1", "red").await;
    let totals = |v: &Value| (v["totals"]["players"].clone(), v["totals"]["teams"].clone());

    let first = s.act(&p1, "a1", attempt("c1", "forty two")).await.json();
    assert_eq!(first["result"], "applied", "{first}");
    assert_eq!(
        totals(&first),
        (json!({ "p1": 110 }), json!({ "red": 110 })),
        "{first}"
    );
    // A wrong answer pays nothing and still says where the player stands.
    let miss = s.act(&p2, "b1", attempt("c2", "green")).await.json();
    assert_eq!(miss["paid"], json!([]), "{miss}");
    assert_eq!(
        totals(&miss),
        (json!({ "p2": 0 }), json!({ "blue": 0 })),
        "{miss}"
    );
    let second = s.act(&p2, "b2", attempt("c1", "forty two")).await.json();
    assert_eq!(
        totals(&second),
        (json!({ "p2": 100 }), json!({ "blue": 100 })),
        "{second}"
    );
    // Another game evicts g1; its totals come back from the ledger.
    let other = s.act(&q1, "c1", attempt("c2", "blue")).await.json();
    assert_eq!(
        totals(&other),
        (json!({ "p1": 60 }), json!({ "red": 60 })),
        "another game's totals are its own: {other}"
    );
    let third = s.act(&p1, "a2", attempt("c2", "blue")).await.json();
    assert_eq!(
        totals(&third),
        (json!({ "p1": 170 }), json!({ "red": 170 })),
        "{third}"
    );
    // The retried key answers its first delivery, totals included.
    let again = s.act(&p1, "a1", attempt("c1", "forty two")).await.json();
    assert_eq!(totals(&again), totals(&first), "{again}");
    // The totals are the board's.
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g1", &key, None)
        .await;
    let g = r.json();
    assert_eq!(g["scores"]["teams"][0]["id"], "red", "{g}");
    assert_eq!(g["scores"]["teams"][0]["score"], 170, "{g}");
    assert_eq!(g["scores"]["teams"][1]["score"], 100, "{g}");
    s.stop(db).await;
}

crate::each_db!(totals => answers_carry_totals);
