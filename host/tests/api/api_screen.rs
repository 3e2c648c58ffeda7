//! The live pages' streams over real HTTP (docs/screens.md): a game's
//! activity (backlog, then each outcome as the processor answers it, only
//! that game's) and the projector (token, board, stream, freeze, reveal,
//! branding, rotation), on SQLite and Postgres.

use crate::api_common;
use crate::store_common;

use crate::sse::Sse;
use api_common::{Server, player, tenant_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;

fn riddle() -> Value {
    json!({ "challenges": [
        { "id": "c1", "answers": ["forty two"], "points": 100 },
        { "id": "c2", "answers": ["blue"], "points": 50 },
    ] })
}

fn attempt(challenge: &str, answer: &str) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": challenge, "answer": answer } })
}

/// The board's latest status of `quest` for `team`.
fn quest(b: &Value, quest: &str, team: &str) -> Option<String> {
    b["quests"]
        .as_array()?
        .iter()
        .find(|q| q["quest_id"] == quest)?["teams"][team]
        .as_str()
        .map(str::to_string)
}

async fn server(db: &TestDb) -> Server {
    Server::start(db, |c| {
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.api.screen_refresh_ms = 100;
        c.processor.poll_wait_ms = 10;
    })
    .await
}

async fn game(s: &Server, key: &str, id: &str) {
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games",
            key,
            Some(json!({ "game_id": id, "game_type": "riddle", "config": riddle() })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

/// An action's id, once answered.
async fn act(s: &Server, token: &str, idem: &str, body: Value) -> String {
    let r = s.act(token, idem, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.json()["action_id"].as_str().unwrap().to_string()
}

async fn activity(db: TestDb) {
    let s = server(&db).await;
    let key = tenant_with(&s, "acme", &["riddle"]).await;
    let other = tenant_with(&s, "other", &["riddle"]).await;
    game(&s, &key, "g1").await;
    game(&s, &key, "g2").await;
    let p1 = player(&s, &key, "acme", "g1", "p1", "red").await;
    let q1 = player(&s, &key, "acme", "g2", "q1", "red").await;

    // Before the stream opens: the backlog.
    let first = act(&s, &p1, "k1", attempt("c1", "wrong")).await;
    let path = "/v1/tenants/acme/games/g1/activity";
    let r = s.req(Method::GET, path, &other, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    let mut feed = Sse::open(&s, path, Some(&key)).await;
    let v = feed.expect("outcome").await;
    assert_eq!(v["action_id"], first.as_str(), "{v}");
    assert_eq!(
        (&v["player_id"], &v["kind"]),
        (&json!("p1"), &json!("attempt")),
        "{v}"
    );
    // A wrong answer applies (it counts towards the rate limit), pays nothing.
    assert_eq!(
        (&v["result"], &v["paid"]),
        (&json!("applied"), &json!([])),
        "{v}"
    );
    assert!(v.get("payload").is_none(), "attempt takes no evidence: {v}");
    assert!(v["applied_at_ms"].as_i64().unwrap() > 0, "{v}");

    // Then live, this game only: g2's action is not shown.
    act(&s, &q1, "k1", attempt("c1", "forty two")).await;
    let second = act(&s, &p1, "k2", attempt("c1", "forty two")).await;
    let v = feed.expect("outcome").await;
    assert_eq!(v["action_id"], second.as_str(), "{v}");
    assert_eq!(
        (&v["result"], &v["kind"]),
        (&json!("applied"), &json!("attempt")),
        "{v}"
    );
    assert!(v["paid"].as_array().is_some_and(|p| !p.is_empty()), "{v}");
    // The game master's too.
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games/g1/gm",
            &key,
            Some(json!({ "kind": "pause" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let v = feed.expect("outcome").await;
    assert_eq!(
        (&v["player_id"], &v["kind"]),
        (&json!("game-master"), &json!("pause")),
        "{v}"
    );

    // A new stream's backlog holds them all, oldest first, kinds stored.
    let mut again = Sse::open(&s, path, Some(&key)).await;
    let mut kinds = Vec::new();
    for _ in 0..3 {
        kinds.push(again.expect("outcome").await["kind"].clone());
    }
    assert_eq!(
        kinds,
        vec![json!("attempt"), json!("attempt"), json!("pause")]
    );
    drop((feed, again));
    s.stop(db).await;
}

/// The board's score of `id` among `board` (`players` or `teams`).
fn score(b: &Value, board: &str, id: &str) -> Option<i64> {
    b[board]
        .as_array()?
        .iter()
        .find(|e| e["id"] == id)
        .and_then(|e| e["score"].as_i64())
}

async fn projector(db: TestDb) {
    let s = server(&db).await;
    let key = tenant_with(&s, "acme", &["riddle"]).await;
    let other = tenant_with(&s, "other", &["riddle"]).await;
    game(&s, &key, "g1").await;
    let p1 = player(&s, &key, "acme", "g1", "p1", "red").await;
    let proj = "/v1/tenants/acme/games/g1/projector";
    let r = s.req(Method::POST, proj, &other, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.req(Method::POST, proj, &key, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let token = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(r.json()["path"], format!("/screen/{token}"));
    let screen = format!("/v1/screen/{token}");

    // The board, with the tenant's name until it is branded.
    let (st, b) = s.call(Method::GET, &screen, None, None).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        (&b["tenant"]["name"], &b["game_id"]),
        (&json!("acme"), &json!("g1")),
        "{b}"
    );
    assert_eq!(
        (&b["frozen"], &b["revealed"]),
        (&json!(false), &json!(false))
    );
    let brand = json!({ "name": "Acme Hunt", "logo_url": "https://acme.example/logo.png", "primary": "#112233", "accent": "#AABBCC" });
    let r = s
        .req(
            Method::PUT,
            "/v1/tenants/acme/branding",
            &key,
            Some(brand.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let bad = json!({ "name": "x", "primary": "red" });
    let r = s
        .req(Method::PUT, "/v1/tenants/acme/branding", &key, Some(bad))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    let (_, b) = s.call(Method::GET, &screen, None, None).await;
    assert_eq!(b["tenant"], brand, "{b}");

    // The stream: the board at once, then again when standings change.
    let mut feed = Sse::open(&s, &format!("{screen}/stream"), None).await;
    let b = feed.expect("board").await;
    assert_eq!(score(&b, "players", "p1"), None, "{b}");
    act(&s, &p1, "k1", attempt("c1", "forty two")).await;
    let b = feed.expect("board").await;
    let scored = score(&b, "players", "p1").expect("p1 on the board");
    assert!(scored > 0, "{b}");
    assert_eq!(score(&b, "teams", "red"), Some(scored), "{b}");
    // Per-quest progress: the quest the team solved, in the game type's word.
    assert_eq!(quest(&b, "c1", "red").as_deref(), Some("solved"), "{b}");

    // Freeze: the screen keeps these standings while the game goes on.
    let flags =
        |frozen: bool, revealed: bool| Some(json!({ "frozen": frozen, "revealed": revealed }));
    let r = s.req(Method::PUT, proj, &key, flags(true, false)).await;
    assert_eq!(
        r.json(),
        json!({ "frozen": true, "revealed": false }),
        "{}",
        r.raw
    );
    let b = feed.expect("board").await;
    assert_eq!(
        (&b["frozen"], score(&b, "players", "p1")),
        (&json!(true), Some(scored))
    );
    act(&s, &p1, "k2", attempt("c2", "blue")).await;
    let (_, b) = s.call(Method::GET, &screen, None, None).await;
    assert_eq!(score(&b, "players", "p1"), Some(scored), "frozen: {b}");
    assert_eq!(quest(&b, "c2", "red"), None, "frozen progress: {b}");
    // Reveal: unfrozen, the podium, the current standings.
    let r = s.req(Method::PUT, proj, &key, flags(true, true)).await;
    assert_eq!(
        r.json(),
        json!({ "frozen": false, "revealed": true }),
        "{}",
        r.raw
    );
    let b = feed.expect("board").await;
    assert_eq!(
        (&b["frozen"], &b["revealed"]),
        (&json!(false), &json!(true)),
        "{b}"
    );
    assert!(score(&b, "players", "p1").unwrap() > scored, "{b}");
    assert_eq!(quest(&b, "c2", "red").as_deref(), Some("solved"), "{b}");

    // Rotation: the old token is 404 and its stream ends.
    let r = s.req(Method::POST, proj, &key, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let fresh = r.json()["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, token);
    let (st, _) = s.call(Method::GET, &screen, None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(feed.next().await.is_none(), "the old stream must end");
    let (st, b) = s
        .call(Method::GET, &format!("/v1/screen/{fresh}"), None, None)
        .await;
    assert_eq!((st, &b["revealed"]), (StatusCode::OK, &json!(true)), "{b}");
    let r = s
        .send(Method::GET, &format!("{screen}/stream"), None, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    s.stop(db).await;
}

crate::each_db!(activity_feed => activity);
crate::each_db!(projector_screen => projector);
