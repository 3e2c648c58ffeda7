//! Bounded ingest over real HTTP (docs/processor.md, "Overload"): with
//! `processor.max_in_flight = 1`, a burst of concurrent actions has those
//! that arrive while another applies refused with 503 `overloaded` and a
//! `Retry-After`, before their idempotency keys are claimed; sent again
//! once the host has room, each is a first attempt (applied, not
//! replayed, not `pending`). Nothing is lost or applied twice.

use crate::api_common;
use crate::store_common;

use api_common::{Server, partner_with, player, tenant_with, upload_probe};
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
        // The probe traps and loops on purpose: structural checks only.
        c.api.upload_check_actions = 0;
        c.api.upload_replay_actions = 0;
    })
    .await;
    let pkey = partner_with(&s, "lab").await;
    upload_probe(&s, "lab", &pkey).await;
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

    // A burst of concurrent actions against a bound of one: whichever
    // arrive while another applies are refused, before any key is claimed.
    // (The sandbox's clocks never wait, so no action can be made slow on
    // purpose: a burst is what holds the host at its bound.)
    const BURST: usize = 16;
    let send = |key: String| {
        s.client
            .post(format!("{}/v1/play/actions", s.base))
            .bearer_auth(&ann)
            .header("idempotency-key", key)
            .json(&json!({ "kind": "ok" }))
            .send()
    };
    let answers = futures::future::join_all((0..BURST).map(|i| send(format!("k{i}")))).await;
    let mut refused = Vec::new();
    for (i, r) in answers.into_iter().enumerate() {
        let r = r.unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(
                r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
                Some("2"),
                "1,500 ms rounded up to whole seconds"
            );
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "overloaded", "{v}");
            refused.push(i);
        } else {
            assert_eq!(r.status(), StatusCode::OK);
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["result"], "applied", "{v}");
        }
    }
    assert!(
        !refused.is_empty(),
        "a burst of {BURST} never met the bound of 1"
    );

    // Once the host has room, each refused request sent again with its key
    // is a first attempt (the refusal claimed nothing), applied.
    for &i in &refused {
        let r = send(format!("k{i}")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "k{i}");
        assert!(r.headers().get("idempotency-replayed").is_none(), "k{i}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["result"], "applied", "{v}");
    }
    // And a retry of one is a replay of its answer, applied once.
    let r = send(format!("k{}", refused[0])).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let stats = s.state.processor.stats();
    assert_eq!(stats.applied, BURST as u64, "{stats:?}");
    s.stop(db).await;
}

crate::each_db!(overload_refuses_before_the_claim => overload);
