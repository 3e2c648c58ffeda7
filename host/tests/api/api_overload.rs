//! Bounded ingest over real HTTP (docs/processor.md, "Overload"): with
//! `processor.max_in_flight = 1` and one slow action applying, the next
//! action is refused with 503 `overloaded` and a `Retry-After`, before its
//! idempotency key is claimed; sent again once the host has room, the same
//! request is a first attempt (applied, not replayed, not `pending`).
//! Nothing is lost or applied twice.

use crate::api_common;
use crate::store_common;

use std::time::{Duration, Instant};

use api_common::{Server, partner_with, player, tenant_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use store_common::TestDb;

async fn overload(db: TestDb) {
    let s = Server::start(&db, |c| {
        c.processor.max_in_flight = 1;
        c.processor.overload_retry_after_ms = 1_500;
        c.processor.tick_interval_ms = 0;
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        // The probe sleeps on purpose: structural checks only.
        c.api.upload_check_actions = 0;
        c.api.upload_replay_actions = 0;
    })
    .await;
    let pkey = partner_with(&s, "lab").await;
    let up = s
        .client
        .post(format!("{}/v1/partners/lab/game-types", s.base))
        .bearer_auth(&pkey)
        .header("content-type", "application/wasm")
        .body(veltrix_artifacts::PROBE.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        up.status(),
        StatusCode::CREATED,
        "{}",
        up.text().await.unwrap()
    );
    let key = tenant_with(&s, "acme", &["probe"]).await;
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games",
            &key,
            Some(json!({ "game_id": "lab", "game_type": "probe", "config": {} })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let ann = player(&s, &key, "acme", "lab", "ann", "red").await;

    // One slow action applying: the host is at its bound.
    let slow = {
        let (base, client, ann) = (s.base.clone(), s.client.clone(), ann.clone());
        tokio::spawn(async move {
            client
                .post(format!("{base}/v1/play/actions"))
                .bearer_auth(&ann)
                .header("idempotency-key", "slow")
                .json(&json!({ "kind": "sleep", "payload": { "ms": 1200 } }))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let t = Instant::now();
    while s.state.processor.admission().is_ok() {
        assert!(t.elapsed() < Duration::from_secs(30), "never in flight");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let send_ok = || {
        s.client
            .post(format!("{}/v1/play/actions", s.base))
            .bearer_auth(&ann)
            .header("idempotency-key", "next")
            .json(&json!({ "kind": "ok" }))
            .send()
    };
    let r = send_ok().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2"),
        "1,500 ms rounded up to whole seconds"
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "overloaded", "{v}");

    // Room again once the slow one applied: the same request is a first
    // attempt (the refusal claimed nothing).
    assert_eq!(slow.await.unwrap(), StatusCode::OK);
    let r = send_ok().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("idempotency-replayed").is_none());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["result"], "applied", "{v}");
    // And its retry is a replay of that answer, applied once.
    let r = send_ok().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let stats = s.state.processor.stats();
    assert_eq!(stats.applied, 2, "{stats:?}");
    s.stop(db).await;
}

crate::each_db!(overload_refuses_before_the_claim => overload);
