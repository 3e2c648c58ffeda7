//! What the tenant console lists and imports, over real HTTP
//! (docs/screens.md, "API added for the pages"): the games and players
//! lists, the players CSV import (all or nothing), results.csv from the
//! ledger, and evidence uploads, on SQLite and Postgres.

use crate::api_common;
use crate::store_common;

use std::time::Duration;

use api_common::{Server, code, player, tenant_with};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store_common::TestDb;
use veltrix_store::Reward;

fn riddle() -> Value {
    json!({ "challenges": [{ "id": "c1", "answers": ["forty two"], "points": 100 }] })
}

async fn create_game(s: &Server, key: &str, tenant: &str, id: &str) {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games"),
            key,
            Some(json!({ "game_id": id, "game_type": "riddle", "config": riddle() })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

/// A raw body with a content type and a bearer credential.
async fn raw(
    s: &Server,
    path: &str,
    auth: &str,
    ctype: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(auth)
        .header(CONTENT_TYPE, ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn players(s: &Server, key: &str) -> Value {
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games/g1/players", key, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.json()["players"].clone()
}

async fn console(db: TestDb) {
    let s = Server::start(&db, |c| {
        c.api.max_import_rows = 3;
        c.api.max_evidence_bytes = 4096;
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.processor.poll_wait_ms = 10;
    })
    .await;
    let key = tenant_with(&s, "acme", &["riddle"]).await;
    let other = tenant_with(&s, "other", &["riddle"]).await;

    // Games, newest first.
    create_game(&s, &key, "acme", "g1").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    create_game(&s, &key, "acme", "g2").await;
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games", &key, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let games = r.json()["games"].clone();
    assert_eq!(games.as_array().unwrap().len(), 2, "{games}");
    assert_eq!(games[0]["game_id"], "g2");
    assert_eq!(games[1]["game_id"], "g1");
    assert_eq!(games[1]["game_type"], "riddle");
    assert!(games[1]["status"].is_string() && games[1]["created_at_ms"].is_i64());
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games", &other, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);

    // Players who hold a token, sorted, with their team; a revoked one
    // is gone.
    player(&s, &key, "acme", "g1", "zed", "red").await;
    let p1 = player(&s, &key, "acme", "g1", "amy", "blue").await;
    player(&s, &key, "acme", "g1", "gone", "red").await;
    let r = s
        .req(
            Method::DELETE,
            "/v1/tenants/acme/games/g1/players/gone/tokens",
            &key,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        players(&s, &key).await,
        json!([{ "player_id": "amy", "team_id": "blue" }, { "player_id": "zed", "team_id": "red" }])
    );
    let r = s
        .req(
            Method::GET,
            "/v1/tenants/acme/games/nope/players",
            &key,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Import: a bad line anywhere creates nothing, and is named.
    let import = "/v1/tenants/acme/games/g1/players/import";
    let bad = "player_id,team_id\nbob,red\nc/d,red\n";
    let (st, v) = raw(&s, import, &key, "text/csv", bad.into()).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        "{v}"
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("line 3:"), "{msg}");
    assert_eq!(players(&s, &key).await.as_array().unwrap().len(), 2);
    // Over api.max_import_rows (3 here).
    let many = "player_id\na1\na2\na3\na4\n";
    let (st, v) = raw(&s, import, &key, "text/csv", many.into()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("api.max_import_rows"),
        "{v}"
    );
    // Not CSV: 415; another tenant: 404.
    let (st, _) = raw(
        &s,
        import,
        &key,
        "application/json",
        "player_id\nx\n".into(),
    )
    .await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (st, _) = raw(&s, import, &other, "text/csv", "player_id\nx\n".into()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // A good file: every player with a working token.
    let good = "player_id,team_id\r\nbob,red\r\n\"cat\",\r\n";
    let (st, v) = raw(&s, import, &key, "text/csv; charset=utf-8", good.into()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let imported = v["players"].as_array().unwrap();
    assert_eq!(imported.len(), 2, "{v}");
    assert_eq!(
        (&imported[0]["player_id"], &imported[0]["team_id"]),
        (&json!("bob"), &json!("red"))
    );
    assert_eq!(
        (&imported[1]["player_id"], &imported[1]["team_id"]),
        (&json!("cat"), &Value::Null)
    );
    let bob = imported[0]["token"].as_str().unwrap().to_string();
    let r = s.req(Method::GET, "/v1/play/view", &bob, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let ids: Vec<Value> = players(&s, &key)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["player_id"].clone())
        .collect();
    assert_eq!(
        ids,
        vec![json!("amy"), json!("bob"), json!("cat"), json!("zed")]
    );

    // results.csv: the ledger, one line per row, fields escaped.
    let r = s
        .act(
            &p1,
            "k1",
            json!({ "kind": "attempt", "payload": { "challenge": "c1", "answer": "forty two" } }),
        )
        .await;
    assert_eq!(
        (r.status, &r.json()["result"]),
        (StatusCode::OK, &json!("applied")),
        "{}",
        r.raw
    );
    s.state
        .store
        .mint(&Reward {
            tenant: "acme".into(),
            game_id: "g1".into(),
            player_id: "zed".into(),
            team_id: Some("red".into()),
            reward_type: "points".into(),
            reward_key: "bonus, \"late\"\nentry".into(),
            amount: -5,
            payload: json!({}),
        })
        .await
        .unwrap();
    let resp = s
        .client
        .get(format!("{}/v1/tenants/acme/games/g1/results.csv", s.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = resp.text().await.unwrap();
    let rows = s.state.store.rewards("acme", "g1").await.unwrap();
    assert!(rows.len() >= 2, "{rows:?}");
    assert!(
        csv.starts_with("player_id,team_id,reward_type,reward_key,points,created_at_ms\r\n"),
        "{csv}"
    );
    // Quoted fields keep their line break: count records, not lines.
    assert_eq!(csv.matches("\r\n").count(), rows.len() + 1, "{csv}");
    assert!(csv.contains("\r\namy,blue,"), "{csv}");
    assert!(
        csv.contains("\r\nzed,red,points,\"bonus, \"\"late\"\"\nentry\",-5,"),
        "{csv}"
    );
    let r = s
        .req(
            Method::GET,
            "/v1/tenants/acme/games/g1/results.csv",
            &other,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Evidence: content-addressed per tenant.
    let png = b"\x89PNG\r\n\x1a\nnot really a picture".to_vec();
    let id = hex::encode(Sha256::digest(&png));
    for _ in 0..2 {
        let (st, v) = raw(&s, "/v1/play/evidence", &bob, "image/png", png.clone()).await;
        assert_eq!(
            (st, &v["evidence_id"]),
            (StatusCode::CREATED, &json!(id)),
            "{v}"
        );
    }
    let resp = s
        .client
        .get(format!("{}/v1/tenants/acme/evidence/{id}", s.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png);
    // Another tenant's id names nothing, in its own tenant or in ours.
    let r = s
        .req(
            Method::GET,
            &format!("/v1/tenants/other/evidence/{id}"),
            &other,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    let r = s
        .req(
            Method::GET,
            &format!("/v1/tenants/acme/evidence/{id}"),
            &other,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    // Over api.max_evidence_bytes (4096 here): 413; a GIF: 415; a key
    // instead of a player token: 401.
    let (st, v) = raw(&s, "/v1/play/evidence", &bob, "image/jpeg", vec![7; 5000]).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        "{v}"
    );
    let (st, v) = raw(
        &s,
        "/v1/play/evidence",
        &bob,
        "image/gif",
        b"GIF89a".to_vec(),
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        "{v}"
    );
    let (st, _) = raw(&s, "/v1/play/evidence", &key, "text/plain", b"hi".to_vec()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Text evidence is under the limit, though over the JSON body limit.
    let (st, v) = raw(
        &s,
        "/v1/play/evidence",
        &bob,
        "text/plain",
        vec![b'a'; 3000],
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    s.stop(db).await;
}

crate::each_db!(console_routes => console);
