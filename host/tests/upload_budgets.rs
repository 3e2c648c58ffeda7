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

use api_common::{Resp, Server, assert_limit_exceeded, partner_with};
use reqwest::StatusCode;
use store_common::TestDb;
use veltrix_artifacts::PROBE;
use veltrix_server::config::HostConfig;

/// Budget of these servers' checks: the probe's structural check takes a
/// few hundred ms, the heavy component's compile about a minute.
const BUDGET_MS: u64 = 3_000;

fn budgets(c: &mut HostConfig, timeout_ms: u64, memory_bytes: u64) {
    c.api.upload_check_binary = env!("CARGO_BIN_EXE_veltrix").into();
    c.api.upload_check_actions = 0;
    c.api.upload_replay_actions = 0;
    c.api.max_component_bytes = 16 << 20;
    c.api.upload_check_timeout_ms = timeout_ms;
    // `HostConfig::validate`: a check must end before its request does.
    c.api.request_timeout_ms = c.api.request_timeout_ms.max(timeout_ms + 1_000);
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

fn assert_no_worker_left() {
    let left = synth::children();
    assert!(left.is_empty(), "child processes left: {left:?}");
}

#[tokio::test]
async fn checks_end_within_their_budgets_and_hold_the_slot_until_then() {
    let heavy = synth::component_with_functions(1, 400_000);
    let db = TestDb::sqlite();
    let s = Server::start(&db, |c| budgets(c, BUDGET_MS, 1 << 30)).await;
    let key = partner_with(&s, "p1").await;

    // Over its time budget: killed at 3 s, answered at once, no process left.
    let started = Instant::now();
    let r = upload(&s, &s.client, &key, &heavy).await.unwrap();
    let took = started.elapsed();
    eprintln!("time budget verdict in {took:?}");
    let msg = assert_limit_exceeded(&r, "time budget of 3000 ms");
    assert!(msg.contains("api.upload_check_timeout_ms"), "{msg}");
    // Not before the budget; and ended by it, not by the compile (which
    // takes minutes): the bound is far above a loaded machine's delay.
    assert!(
        took >= Duration::from_millis(BUDGET_MS)
            && took < Duration::from_millis(BUDGET_MS + 15_000),
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
    let key = partner_with(&s, "p1").await;
    let started = Instant::now();
    let r = upload(&s, &s.client, &key, &heavy).await.unwrap();
    assert_limit_exceeded(&r, "memory budget of 268435456 bytes");
    eprintln!("memory budget verdict in {:?}", started.elapsed());
    assert_no_worker_left();
    // And the slot is free again.
    let r = upload(&s, &s.client, &key, PROBE).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    s.stop(db).await;
}
