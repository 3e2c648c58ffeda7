//! The other users' pages: the operator's and the partner's, and the
//! console's judge queue fed by a player's photo.

use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use crate::harness::{BOOT, screens, serve, tenant, tid};
use crate::webdriver::Driver;

/// The operator and partner pages: the operator signs in with the
/// bootstrap key, sees every dependency ready, creates a partner and its
/// key from the page; the partner signs in with that key and uploads a
/// component the check refuses: the report says why, and nothing is
/// listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_and_partners_use_their_pages() -> anyhow::Result<()> {
    let s = serve().await?;
    let base = &s.base;
    let d = Driver::start(1440, 1000).await?;
    let shots = screens();

    d.goto(&format!("{base}/operator")).await?;
    d.fill(&tid("login-key"), BOOT).await?;
    d.click(&tid("login-submit")).await?;
    d.wait_text(&tid("health-status"), "ready", |t| t.contains("ready"))
        .await?;
    d.fill(&tid("partner-new-id"), "dash-co").await?;
    d.fill(&tid("partner-name"), "Dash Co").await?;
    d.click(&tid("partner-create")).await?;
    d.wait(&tid("partner-dash-co")).await?;

    d.select(&tid("key-role"), "partner").await?;
    d.fill(&tid("key-owner"), "dash-co").await?;
    d.click(&tid("key-create")).await?;
    d.wait(&tid("key-issued")).await?;
    let key = d.value(&tid("key-secret")).await?;
    assert!(key.starts_with("vx_partner_"), "{key}");

    // The listings: a tenant made from the page; keys by public id, and
    // one revoked from its row (two clicks), refused from then on.
    d.fill(&tid("tenant-id"), "dunder").await?;
    d.fill(&tid("tenant-name"), "Dunder Hunts").await?;
    d.click(&tid("tenant-create")).await?;
    d.wait(&tid("tenant-dunder")).await?;
    d.select(&tid("key-role"), "operator").await?;
    d.click(&tid("key-create")).await?;
    let t = Instant::now();
    let spare_secret = loop {
        let v = d.value(&tid("key-secret")).await?;
        if v.starts_with("vx_operator_") {
            break v;
        }
        anyhow::ensure!(
            t.elapsed() < crate::webdriver::WAIT,
            "no operator key shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let spare = d.text(&tid("key-id")).await?;
    d.wait(&tid(&format!("key-{spare}"))).await?;
    d.click(&tid(&format!("revoke-{spare}"))).await?;
    d.click(&tid(&format!("revoke-{spare}"))).await?;
    let t = Instant::now();
    while d
        .attr(&tid(&format!("key-{spare}")), "data-state")
        .await?
        .as_deref()
        != Some("revoked")
    {
        anyhow::ensure!(
            t.elapsed() < crate::webdriver::WAIT,
            "key {spare} never shown revoked"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let r = Client::new()
        .get(format!("{base}/v1/tenants"))
        .bearer_auth(&spare_secret)
        .send()
        .await?;
    assert_eq!(r.status(), 401, "a revoked key is refused");
    // Live traffic for the charts: a riddle player answering (over HTTP,
    // the player app is not what this test is about); the game stream's
    // p99 chart shows a figure from the page's own scrapes.
    let traffic = tokio::spawn(play_riddle(base.clone()));
    d.wait_text(&tid("value-p99-game"), "a p99 in ms", |t| {
        t.trim().parse::<f64>().is_ok()
    })
    .await?;
    for family in ["quest", "reward", "players"] {
        d.wait(&tid(&format!("chart-p99-{family}"))).await?;
    }
    traffic.await??;
    // The p99 the charts draw is the quantile of the interval between two
    // scrapes (bucket growth), computed by the page's own module.
    let q = d
        .exec_async(
            "const done = arguments[arguments.length-1];
             import('/assets/charts.js').then((m) => {
               const h = (le, v, family) => ({ name: 'h_bucket', labels: { le, family }, value: v });
               const a = [h('0.01', 5, 'game'), h('0.1', 5, 'game'), h('+Inf', 5, 'game'), h('+Inf', 7, 'quest')];
               const b = [h('0.01', 95, 'game'), h('0.1', 104, 'game'), h('+Inf', 105, 'game'), h('+Inf', 9, 'quest')];
               const game = (l) => l.family === 'game';
               done([m.quantile(a, b, 'h', 0.99, game), m.quantile(a, b, 'h', 0.5, game), m.quantile(b, b, 'h', 0.99, game)]);
             }, (e) => done('ERR ' + e));",
            json!([]),
        )
        .await?;
    assert_eq!(q, json!([0.1, 0.01, null]), "interval quantiles");
    d.exec("window.scrollTo(0, 0)", json!([])).await?;
    d.screenshot(&shots.join("operator.png")).await?;

    // The partner's own session, in a fresh window (cookies are per
    // browser: sign the operator out first).
    d.click(&tid("logout")).await?;
    // Signed out when the page shows its sign-in form again (it reloads).
    d.wait(&tid("login-key")).await?;
    d.goto(&format!("{base}/partner")).await?;
    d.fill(&tid("login-key"), &key).await?;
    d.click(&tid("login-submit")).await?;
    let junk = s.dir.path().join("not-a-component.wasm");
    std::fs::write(&junk, b"\0asm\x0d\0\x01\0 this is not a component")?;
    // Signed in once the upload form shows. File inputs may hide behind a
    // styled label: show it to type into.
    d.wait(&tid("wasm-upload")).await?;
    d.exec(
        "const i = document.querySelector('[data-testid=\"wasm-file\"]'); i.hidden = false; i.style.display = 'block';",
        json!([]),
    )
    .await?;
    d.type_file(&tid("wasm-file"), &junk).await?;
    d.click(&tid("wasm-upload")).await?;
    let report = d
        .wait_text(&tid("upload-result"), "the refusal", |t| {
            !t.trim().is_empty()
        })
        .await?;
    assert!(
        report.to_lowercase().contains("component") || report.contains("422"),
        "{report}"
    );
    d.screenshot(&shots.join("partner.png")).await?;
    Ok(())
}

/// A riddle game with one player answering every 100 ms for 6 s (wrong
/// answers, later ones refused by the rate limit: each an outcome, 200).
async fn play_riddle(base: String) -> anyhow::Result<()> {
    let key = tenant(&base, "traffic").await?;
    let c = Client::new();
    let r = c
        .put(format!("{base}/v1/tenants/traffic/game-types/riddle"))
        .bearer_auth(&key)
        .json(&json!({ "enabled": true }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "enable: {}", r.text().await?);
    let config = json!({ "challenges": [{ "id": "c1", "answers": ["x"], "points": 1 }] });
    let r = c
        .post(format!("{base}/v1/tenants/traffic/games"))
        .bearer_auth(&key)
        .json(&json!({ "game_id": "g", "game_type": "riddle", "config": config }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "game: {}", r.text().await?);
    let v: Value = c
        .post(format!("{base}/v1/tenants/traffic/games/g/players"))
        .bearer_auth(&key)
        .json(&json!({ "player_id": "tess", "team_id": "t" }))
        .send()
        .await?
        .json()
        .await?;
    let token = v["token"].as_str().context("token")?.to_string();
    for i in 0..60 {
        let r = c
            .post(format!("{base}/v1/play/actions"))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("k{i}"))
            .json(&json!({ "kind": "attempt", "payload": { "challenge": "c1", "answer": format!("no{i}") } }))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "action {i}: {}", r.text().await?);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Judging evidence through the pages: a scavenger player submits a photo
/// for an evidence mission from the app (uploaded, then named by id in the
/// payload); the console's judge queue shows it with the photo; the game
/// master approves it and the team's points arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_is_judged_from_the_queue() -> anyhow::Result<()> {
    use base64::Engine as _;
    let s = serve().await?;
    let base = &s.base;
    let key = tenant(base, "acme").await?;
    // Set-up over HTTP: the suite above creates games through the form.
    let c = Client::new();
    let call = |m: reqwest::Method, path: &str, body: Value| {
        c.request(m, format!("{base}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    call(
        reqwest::Method::PUT,
        "/v1/tenants/acme/game-types/scavenger",
        json!({ "enabled": true }),
    )
    .await?;
    let cat: Value = call(reqwest::Method::GET, "/v1/game-types", Value::Null)
        .await?
        .json()
        .await?;
    let config = cat["game_types"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "scavenger"))
        .map(|t| t["example_config"].clone())
        .context("scavenger's example")?;
    let r = call(
        reqwest::Method::POST,
        "/v1/tenants/acme/games",
        json!({ "game_id": "quest", "game_type": "scavenger", "config": config }),
    )
    .await?;
    anyhow::ensure!(r.status() == 201, "game: {}", r.text().await?);
    let v: Value = call(
        reqwest::Method::POST,
        "/v1/tenants/acme/games/quest/players",
        json!({ "player_id": "cara", "team_id": "green" }),
    )
    .await?
    .json()
    .await?;
    let token = v["token"].as_str().context("token")?.to_string();

    let d = Driver::start(1440, 1000).await?;
    d.goto(&format!("{base}/console")).await?;
    d.fill(&tid("login-key"), &key).await?;
    d.click(&tid("login-submit")).await?;
    d.click(&tid("game-quest")).await?;
    d.wait(&tid("judge-queue")).await?;
    let console = d.window().await?;

    d.new_window().await?;
    d.resize(390, 844).await?;
    d.goto(&format!("{base}/play#token={token}")).await?;
    d.fill(&tid("act-submit-field-mission"), "team-selfie")
        .await?;
    let photo = s.dir.path().join("selfie.png");
    // A 1x1 PNG: enough for the upload, the store and the preview.
    std::fs::write(
        &photo,
        base64::engine::general_purpose::STANDARD.decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
        )?,
    )?;
    d.type_file(&tid("act-submit-photo"), &photo).await?;
    d.click(&tid("act-submit-submit")).await?;
    d.wait_text(&tid("outcome-result"), "applied", |t| t.contains("applied"))
        .await?;

    d.switch(&console).await?;
    let approve = "[data-testid^=\"judge-approve-\"]";
    d.wait(approve).await?;
    d.wait("[data-testid=\"judge-queue\"] img").await?;
    d.exec(
        "document.querySelector('[data-testid=\"judge-queue\"]').scrollIntoView({block: 'center'})",
        json!([]),
    )
    .await?;
    d.screenshot(&screens().join("console-judge.png")).await?;
    d.click(approve).await?;
    // Judged: it leaves the queue, and the points are the team's.
    let t = Instant::now();
    while d.find(approve).await.is_some() {
        anyhow::ensure!(
            t.elapsed() < crate::webdriver::WAIT,
            "the entry stayed in the queue"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let t = Instant::now();
    loop {
        let g: Value = call(
            reqwest::Method::GET,
            "/v1/tenants/acme/games/quest",
            Value::Null,
        )
        .await?
        .json()
        .await?;
        if g["scores"]["teams"][0]["id"] == "green" && g["scores"]["teams"][0]["score"] == 120 {
            break;
        }
        anyhow::ensure!(
            t.elapsed() < crate::webdriver::WAIT,
            "no points after approval: {g}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
