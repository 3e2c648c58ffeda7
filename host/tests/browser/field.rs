//! A player in the field: a trail played from the player app with the
//! browser's own geolocation (Chromium's override, granted like a player
//! would), a check-in from too far refused and one at the checkpoint
//! applied; then an answer whose *answer* is lost on the way back (the
//! host applied it, the app saw a network error): the app keeps it queued
//! under its key, sends it again, shows the outcome, and the ledger holds
//! the points once; and a host at capacity whose `Retry-After` the app
//! waits out before it sends the action again.
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use crate::harness::{serve, tenant, tid};
use crate::webdriver::{Driver, WAIT};

/// The checkpoint of the trail's first step (its example config).
const STEP: &str = "praca-comercio";
const AT: (f64, f64) = (38.70754, -9.13646);

/// Submits the app's `kind` form and waits for a fresh outcome card whose
/// result contains `expect`; answers the outcome card's text.
async fn submit(d: &Driver, kind: &str, expect: &str) -> anyhow::Result<String> {
    d.exec(
        "document.querySelector('[data-testid=\"outcome-result\"]')?.setAttribute('data-seen','1')",
        json!([]),
    )
    .await?;
    d.click(&tid(&format!("act-{kind}-submit"))).await?;
    let t = Instant::now();
    loop {
        let fresh = d
            .exec("const e=document.querySelector('[data-testid=\"outcome-result\"]'); return e && !e.hasAttribute('data-seen') ? e.innerText : null", json!([]))
            .await?;
        if let Some(s) = fresh.as_str() {
            anyhow::ensure!(
                s.to_lowercase().contains(expect),
                "{kind}: `{s}`, not `{expect}`: {}",
                d.text(&tid("play-outcome")).await?
            );
            return d.text(&tid("play-outcome")).await;
        }
        anyhow::ensure!(
            t.elapsed() < WAIT,
            "no outcome for {kind}: {}",
            d.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The team's points on the game's board (0 before any).
async fn team_points(c: &Client, base: &str, key: &str, team: &str) -> anyhow::Result<i64> {
    let g: Value = c
        .get(format!("{base}/v1/tenants/acme/games/walk"))
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    Ok(g["scores"]["teams"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["id"] == team))
        .and_then(|t| t["score"].as_i64())
        .unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkins_use_the_device_location_and_lost_answers_score_once() -> anyhow::Result<()> {
    let s = serve().await?;
    let base = &s.base;
    let key = tenant(base, "acme").await?;
    let c = Client::new();
    let r = c
        .put(format!("{base}/v1/tenants/acme/game-types/trail"))
        .bearer_auth(&key)
        .json(&json!({ "enabled": true }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "enable: {}", r.text().await?);
    let mut config: Value =
        serde_json::from_str(include_str!("../../../plugins/trail/example-config.json"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    config["starts_at_ms"] = json!(now - 60_000);
    let r = c
        .post(format!("{base}/v1/tenants/acme/games"))
        .bearer_auth(&key)
        .json(&json!({ "game_id": "walk", "game_type": "trail", "config": config }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "game: {}", r.text().await?);
    let v: Value = c
        .post(format!("{base}/v1/tenants/acme/games/walk/players"))
        .bearer_auth(&key)
        .json(&json!({ "player_id": "fay", "team_id": "teal" }))
        .send()
        .await?
        .json()
        .await?;
    let token = v["token"].as_str().context("token")?;

    let d = Driver::start(390, 844).await?;
    d.goto(&format!("{base}/play#token={token}")).await?;
    d.wait(&tid("act-arrive-submit")).await?;
    d.grant_geolocation(base).await?;
    submit(&d, "begin", "applied").await?;

    // Two kilometres off: the trail refuses the check-in.
    d.geolocation(38.72, -9.15, 5.0).await?;
    d.fill(&tid("act-arrive-field-step"), STEP).await?;
    let o = submit(&d, "arrive", "rejected").await?;
    assert!(
        o.contains("from the checkpoint"),
        "the trail says how far: {o}"
    );
    let loc = d.text(&tid("act-arrive-loc")).await?;
    assert!(
        loc.contains("±5"),
        "the app read the device location: {loc}"
    );
    // At the checkpoint.
    d.geolocation(AT.0, AT.1, 5.0).await?;
    d.fill(&tid("act-arrive-field-step"), STEP).await?;
    submit(&d, "arrive", "applied").await?;
    d.exec(
        "document.querySelector('[data-testid=\"play-outcome\"]').scrollIntoView({block: 'start'}); window.scrollBy(0, -64)",
        json!([]),
    )
    .await?;
    d.screenshot(&crate::harness::screens().join("player-checkin.png"))
        .await?;

    // The answer reaches the host, its answer never reaches the app: the
    // page's fetch throws after the response arrived, as a dropped
    // connection would.
    d.exec(
        r"window.__vxLose = true;
          const real = window.fetch;
          window.fetch = async (url, opts) => {
            const r = await real(url, opts);
            if (window.__vxLose && String(url).includes('/v1/play/actions') && opts && opts.method === 'POST') {
              throw new TypeError('Failed to fetch (answer lost)');
            }
            return r;
          };",
        json!([]),
    )
    .await?;
    d.exec(
        "document.querySelector('[data-testid=\"outcome-result\"]')?.setAttribute('data-seen','1')",
        json!([]),
    )
    .await?;
    d.fill(&tid("act-answer-field-step"), STEP).await?;
    d.fill(&tid("act-answer-field-answer"), "1873").await?;
    d.click(&tid("act-answer-submit")).await?;
    // Applied on the host (the board has the points) while the app still
    // holds the action, unanswered.
    let t = Instant::now();
    while team_points(&c, base, &key, "teal").await? != 20 {
        anyhow::ensure!(t.elapsed() < WAIT, "the answer never reached the host");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let queued = d.text(&tid("play-queue-count")).await?;
    assert_eq!(queued.trim(), "1", "the app still holds the answer");
    // Let at least one more send under the same key be lost too.
    let attempts = || async {
        let v = d
            .exec(
                "return JSON.parse(Object.entries(localStorage).find(([k]) => k.startsWith('vx.play.queue.'))?.[1] || '[]').map(e => e.attempts)",
                json!([]),
            )
            .await?;
        anyhow::Ok(v[0].as_u64().unwrap_or(0))
    };
    let t = Instant::now();
    while attempts().await? < 2 {
        anyhow::ensure!(t.elapsed() < WAIT, "the app never sent the answer again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The network heals: the next resend is answered with the outcome of
    // the first delivery.
    d.exec("window.__vxLose = false", json!([])).await?;
    let t = Instant::now();
    let shown = loop {
        let fresh = d
            .exec("const e=document.querySelector('[data-testid=\"outcome-result\"]'); return e && !e.hasAttribute('data-seen') ? e.innerText : null", json!([]))
            .await?;
        if let Some(s) = fresh.as_str() {
            break s.to_lowercase();
        }
        anyhow::ensure!(t.elapsed() < WAIT, "no outcome after the network healed");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(shown.contains("applied"), "{shown}");
    let card = d.text(&tid("play-outcome")).await?;
    assert!(card.contains("20"), "the outcome shows the points: {card}");
    // Once: the board, and the ledger's rows of this step for fay.
    assert_eq!(team_points(&c, base, &key, "teal").await?, 20);
    let csv = c
        .get(format!("{base}/v1/tenants/acme/games/walk/results.csv"))
        .bearer_auth(&key)
        .send()
        .await?
        .text()
        .await?;
    let rows: Vec<&str> = csv.lines().filter(|l| l.contains(STEP)).collect();
    assert_eq!(rows.len(), 1, "one reward for the step: {csv}");
    queued_empty(&d).await?;

    // A host at capacity (503 `overloaded`, `Retry-After: 2`): the app
    // sends nothing more before the wait is over, then the same action.
    // The 503 is made in the page (the host's side is `api_overload`);
    // the app's waiting is what this checks.
    d.exec(
        r"window.__vxSends = [];
          window.__vxBusy = 1;
          const inner = window.fetch;
          window.fetch = async (url, opts) => {
            if (String(url).includes('/v1/play/actions') && opts && opts.method === 'POST') {
              window.__vxSends.push(Date.now());
              if (window.__vxBusy-- > 0) {
                return new Response(JSON.stringify({ error: { code: 'overloaded', message: 'the host is at capacity' } }),
                  { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '2' } });
              }
            }
            return inner(url, opts);
          };",
        json!([]),
    )
    .await?;
    d.geolocation(38.70997, -9.13342, 5.0).await?;
    d.fill(&tid("act-arrive-field-step"), "se-cathedral")
        .await?;
    submit(&d, "arrive", "applied").await?;
    let sends = d.exec("return window.__vxSends", json!([])).await?;
    let at: Vec<i64> = sends
        .as_array()
        .context("send times")?
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(at.len(), 2, "refused once, then sent again: {sends}");
    assert!(at[1] - at[0] >= 2_000, "waited out Retry-After: {sends}");
    Ok(())
}

/// Waits until no action is left in the app's queue.
async fn queued_empty(d: &Driver) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let n = d
            .exec(
                "return document.querySelectorAll('[data-testid^=\"queued-\"]').length",
                json!([]),
            )
            .await?;
        if n == json!(0) {
            return Ok(());
        }
        anyhow::ensure!(t.elapsed() < WAIT, "the queue never emptied");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
