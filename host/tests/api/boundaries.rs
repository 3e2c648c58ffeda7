//! Failures stay inside one game, over real HTTP: what a board or the
//! ledger cannot take (points beyond `processor.max_reward_points`, 2^53,
//! i64::MAX, a control character in a player or team id) faults its own
//! action before anything is written, while another tenant plays in the
//! same batches and keeps every point on its board; player deltas are
//! keyed by tenant, game and player, so a same-named player elsewhere
//! never replaces one.

use crate::store_common;

use crate::api_common;

use std::collections::BTreeMap;

use api_common::{Server, player, tenant_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;
use veltrix_streams::Family;

fn riddle_config() -> Value {
    let challenges: Vec<Value> = (0..20)
        .map(|i| json!({ "id": format!("c{i}"), "answers": [format!("a{i}")], "points": 10 + i }))
        .collect();
    json!({ "first_solve_bonus": 0, "challenges": challenges })
}

async fn game(s: &Server, key: &str, tenant: &str) {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games"),
            key,
            Some(json!({ "game_id": "g1", "game_type": "riddle", "config": riddle_config() })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

async fn gm(s: &Server, key: &str, tenant: &str, body: Value) -> Value {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games/g1/gm"),
            key,
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.json()
}

fn grant(id: &str, player: &str, team: Option<&str>, points: i64) -> Value {
    json!({ "kind": "grant", "payload": { "id": id, "player": player, "team": team, "points": points, "reason": "test" } })
}

async fn ledger(s: &Server, tenant: &str) -> BTreeMap<String, i64> {
    let rows = s.state.store.rewards(tenant, "g1").await.unwrap();
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r.reward.player_id).or_default() += r.reward.amount;
    }
    out
}

async fn board(s: &Server, token: &str) -> BTreeMap<String, i64> {
    s.board(token, "?n=100").await["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().into(),
                v["score"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_a_board_cannot_take_faults_its_action_and_nothing_else() {
    let db = TestDb::sqlite();
    let s = Server::start(&db, |_| {}).await;
    let a = tenant_with(&s, "acme", &["riddle"]).await;
    let b = tenant_with(&s, "globex", &["riddle"]).await;
    game(&s, &a, "acme").await;
    game(&s, &b, "globex").await;
    let pa = player(&s, &a, "acme", "g1", "p1", "red").await;
    let pb = player(&s, &b, "globex", "g1", "p1", "red").await;

    // Hostile grants in acme interleaved with globex's solves, all in
    // flight at once so they share the processor's batches.
    let hostile = [
        grant("max", "p1", None, i64::MAX),
        grant("2^53", "p1", None, 1 << 53),
        grant("over", "p1", None, 1_000_000_001),
        grant("ctl", "p\u{1b}[31mX", None, 5),
        grant("team", "p1", Some("t\u{7}"), 5),
    ];
    type Task<'a> =
        std::pin::Pin<Box<dyn std::future::Future<Output = (&'static str, Value)> + Send + 'a>>;
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for (i, h) in hostile.iter().enumerate() {
        let (s2, a2) = (&s, a.clone());
        tasks.push(Box::pin(async move {
            ("hostile", gm(s2, &a2, "acme", h.clone()).await)
        }));
        let (s3, pb3) = (&s, pb.clone());
        tasks.push(Box::pin(async move {
            let body = json!({ "kind": "attempt", "payload": { "challenge": format!("c{i}"), "answer": format!("a{i}") } });
            let r = s3.act(&pb3, &format!("k{i}"), body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
            ("solve", r.json())
        }));
    }
    let answers = futures::future::join_all(tasks).await;
    for (what, v) in &answers {
        match *what {
            "hostile" => {
                assert_eq!(v["result"], "faulted", "{v}");
                assert_eq!(v["code"], "invalid-effects", "{v}");
            }
            _ => {
                assert_eq!(v["result"], "applied", "{v}");
                assert_eq!(v["minted"], 1, "{v}");
            }
        }
    }
    // Nothing of the hostile grants reached acme's ledger; globex's board
    // has every point its ledger has.
    assert!(ledger(&s, "acme").await.is_empty());
    let want: i64 = (0..hostile.len() as i64).map(|i| 10 + i).sum();
    assert_eq!(
        ledger(&s, "globex").await,
        BTreeMap::from([("p1".to_string(), want)])
    );
    assert_eq!(board(&s, &pb).await, ledger(&s, "globex").await);

    // acme's game goes on: a sane grant pays.
    let v = gm(&s, &a, "acme", grant("ok", "p1", None, 7)).await;
    assert_eq!(
        (v["result"].as_str(), v["minted"].as_u64()),
        (Some("applied"), Some(1)),
        "{v}"
    );
    assert_eq!(
        board(&s, &pa).await,
        BTreeMap::from([("p1".to_string(), 7)])
    );

    // Player deltas: one key per tenant, game and player, so the two
    // tenants' `p1` never share a compaction key.
    let topic = s.host.config.streams.topic(Family::Players, "");
    let mut keys = std::collections::BTreeSet::new();
    for p in 0..s.state.streams.partitions(&topic).await.unwrap() {
        for r in s
            .state
            .streams
            .read(&topic, p, 0, usize::MAX)
            .await
            .unwrap()
        {
            assert!(
                r.envelope
                    .key
                    .starts_with(&format!("{}/g1/", r.envelope.tenant)),
                "{}",
                r.envelope.key
            );
            keys.insert(r.envelope.key);
        }
    }
    assert!(
        keys.contains("acme/g1/p1") && keys.contains("globex/g1/p1"),
        "{keys:?}"
    );
    s.stop(db).await;
}
