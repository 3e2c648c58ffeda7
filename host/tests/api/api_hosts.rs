//! Two hosts on one database (each with its own embedded log): a partner
//! upload taken by host A is playable on host B without a restart. B
//! loads the game's pinned component from the store when an action needs
//! it, and its upload sync makes the type current and consumes its topic
//! (`processor.plugin_sync_ms`). And a console on A shows the activity of
//! a game B applies (read from the store, `api.activity_refresh_ms`).

use crate::api_common;
use crate::store_common;

use std::time::{Duration, Instant};

use crate::sse::Sse;
use api_common::{Server, partner_with, player, tenant_with, upload_probe};
use reqwest::{Method, StatusCode};
use serde_json::json;
use store_common::TestDb;

async fn two_hosts(db: TestDb) {
    let tweak = |c: &mut veltrix_server::config::HostConfig| {
        c.processor.plugin_sync_ms = 200;
        c.api.activity_refresh_ms = 100;
        // The probe traps and loops on purpose: structural checks only.
        c.api.upload_check_actions = 0;
        c.api.upload_replay_actions = 0;
    };
    let a = Server::start(&db, tweak).await;
    let b_log = tempfile::tempdir().unwrap();
    let b = Server::start(&db, |c| {
        tweak(c);
        c.streams.embedded_dir = b_log.path().display().to_string();
    })
    .await;
    // B started before the upload: it does not have the type.
    assert!(b.state.processor.registry().current("probe").is_none());

    let pkey = partner_with(&a, "lab").await;
    upload_probe(&a, "lab", &pkey).await;

    // B's catalogue lists it within the sync interval, no restart.
    let t = Instant::now();
    loop {
        let (st, v) = b
            .call(Method::GET, "/v1/game-types", Some(&pkey), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let names: Vec<&str> = v["game_types"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        if names.contains(&"probe") {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "B never synced: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A tenant enables it and creates a game on B; a player plays on B.
    let key = tenant_with(&b, "acme", &["probe"]).await;
    let r = b
        .req(
            Method::POST,
            "/v1/tenants/acme/games",
            &key,
            Some(json!({ "game_id": "lab", "game_type": "probe", "config": {} })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let ann = player(&b, &key, "acme", "lab", "ann", "red").await;
    // The console is open on A, which does not apply this game.
    let mut feed = Sse::open(&a, "/v1/tenants/acme/games/lab/activity", Some(&key)).await;
    let r = b.act(&ann, "k1", json!({ "kind": "ok" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
    let v = feed.expect("outcome").await;
    assert_eq!(
        (&v["action_id"], &v["player_id"], &v["kind"]),
        (&r.json()["action_id"], &json!("ann"), &json!("ok")),
        "A's console shows B's action: {v}"
    );
    drop(feed);
    // An undeclared kind is refused on B by the pinned component's
    // contract, before anything is sent.
    let r = b.act(&ann, "k2", json!({ "kind": "no-such-kind" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.raw);
    assert_eq!(b.state.processor.stats().applied, 1);
    // A never applied it: each host plays its own stream.
    assert_eq!(a.state.processor.stats().applied, 0);
    let db = b.halt(db).await;
    a.stop(db).await;
}

crate::each_db!(an_upload_on_one_host_plays_on_another => two_hosts);
