//! The upload check's time and memory budgets over real HTTP: a component
//! whose check runs over budget is refused with 422 `limit_exceeded`, its
//! worker process killed and reaped, and the one check slot free again
//! afterwards, but not before: a request that goes away mid-check (here
//! the client disconnects) leaves the slot taken until the worker is gone.
//!
//! One test, alone in this binary, so that "no child process left" is
//! about its own uploads.

#[path = "store_common/mod.rs"]
mod store_common;

mod api_common;
mod synth;

use std::time::{Duration, Instant};

use api_common::{BOOT, Resp, Server, code};
use reqwest::{Method, StatusCode};
use serde_json::json;
use store_common::TestDb;
use veltrix_host::builtin::PROBE;
use veltrix_host::config::HostConfig;

/// Budget of these servers' checks: the probe's structural check takes a
/// few hundred ms, the heavy component's compile about a minute.
const BUDGET_MS: u64 = 3_000;

fn budgets(c: &mut HostConfig, timeout_ms: u64, memory_bytes: u64) {
    c.api.upload_check_binary = env!("CARGO_BIN_EXE_veltrix").into();
    c.api.upload_check_actions = 0;
    c.api.upload_replay_actions = 0;
    c.api.max_component_bytes = 16 << 20;
    c.api.upload_check_timeout_ms = timeout_ms;
    c.api.upload_check_memory_bytes = memory_bytes;
    // Past the static limit, so only the budgets can stop it.
    c.plugins.component.max_functions = 10_000_000;
}

async fn upload(
    s: &Server,
    client: &reqwest::Client,
    key: &str,
    bytes: &[u8],
) -> reqwest::Result<Resp> {
    let resp = client
        .post(format!("{}/v1/partners/p1/game-types", s.base))
        .bearer_auth(key)
        .header("content-type", "application/wasm")
        .body(bytes.to_vec())
        .send()
        .await?;
    Ok(Resp {
        status: resp.status(),
        replayed: false,
        raw: resp.text().await?,
    })
}

async fn partner(s: &Server) -> String {
    let (st, _) = s
        .call(
            Method::POST,
            "/v1/partners",
            Some(BOOT),
            Some(json!({ "partner_id": "p1", "name": "p1" })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/keys",
            Some(BOOT),
            Some(json!({ "role": "partner", "partner_id": "p1" })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["key"].as_str().unwrap().to_string()
}

fn assert_no_worker_left() {
    let left = synth::children();
    assert!(left.is_empty(), "child processes left: {left:?}");
}

#[tokio::test]
async fn checks_end_within_their_budgets_and_hold_the_slot_until_then() {
    let heavy = synth::component_with_functions(1, 400_000);
    let db = TestDb::sqlite();
    let s = Server::start(&db, |c| budgets(c, BUDGET_MS, 1 << 30)).await;
    let key = partner(&s).await;

    // Over its time budget: killed at 3 s, answered at once, no process left.
    let started = Instant::now();
    let r = upload(&s, &s.client, &key, &heavy).await.unwrap();
    let took = started.elapsed();
    eprintln!("time budget verdict in {took:?}");
    let v = r.json();
    assert_eq!(
        (r.status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded"),
        "{}",
        r.raw
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("time budget of 3000 ms") && msg.contains("api.upload_check_timeout_ms"),
        "{msg}"
    );
    assert!(
        took >= Duration::from_millis(BUDGET_MS) && took < Duration::from_millis(BUDGET_MS + 3_000),
        "{took:?}"
    );
    assert_no_worker_left();

    // A client that gives up after 0.5 s: its check goes on, holding the
    // slot, until the worker is killed at the budget. The next upload
    // waits for it, then passes.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    assert!(upload(&s, &impatient, &key, &heavy).await.is_err());
    let r = upload(&s, &s.client, &key, PROBE).await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert!(
        took >= Duration::from_millis(BUDGET_MS),
        "the slot was freed early: {took:?}"
    );
    assert_no_worker_left();
    s.stop(db).await;

    // Over its memory budget (256 MiB of data; the compile wants GBs).
    let db = TestDb::sqlite();
    let s = Server::start(&db, |c| budgets(c, 60_000, 256 << 20)).await;
    let key = partner(&s).await;
    let started = Instant::now();
    let r = upload(&s, &s.client, &key, &heavy).await.unwrap();
    let v = r.json();
    assert_eq!(
        (r.status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded"),
        "{}",
        r.raw
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("memory budget of 268435456 bytes"), "{msg}");
    eprintln!("memory budget verdict in {:?}", started.elapsed());
    assert_no_worker_left();
    // And the slot is free again.
    let r = upload(&s, &s.client, &key, PROBE).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    s.stop(db).await;
}
