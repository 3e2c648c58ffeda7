//! A hunt run through the pages only: a tenant signs in to the console,
//! enables riddle, creates a game from the generated form (the example
//! config, its window moved to now), imports two players from a CSV,
//! starts it, opens the projector and two player apps, plays until the
//! lead changes (the projector calls the overtake and shows per-quest
//! progress, the console's activity shows the answers), pauses (an answer in the app is refused), grants
//! points with a reason, freezes and reveals the podium, ends, and exports
//! the results CSV, which must equal the ledger. Plus: an answer sent while
//! the app is offline is queued and, retried under its key, scores once;
//! another tenant's player link shows nothing of this tenant; a rotated
//! projector token stops working. Screenshots go to `docs/screens/`.
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use crate::harness::{Serve, screens, serve, tenant, tid};
use crate::webdriver::Driver;

/// Points by player and by team, summed from results CSV lines
/// (`player_id,team_id,reward_type,reward_key,points,created_at_ms`).
fn sums_of_csv(csv: &str) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let (mut players, mut teams) = (BTreeMap::new(), BTreeMap::new());
    for line in csv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        let points: i64 = f[4]
            .parse()
            .unwrap_or_else(|_| panic!("points in {line:?}"));
        *players.entry(f[0].to_string()).or_default() += points;
        if !f[1].is_empty() {
            *teams.entry(f[1].to_string()).or_default() += points;
        }
    }
    (players, teams)
}

/// The ledger's sums, read straight from the SQLite file.
async fn ledger_sums(dir: &Path) -> anyhow::Result<(BTreeMap<String, i64>, BTreeMap<String, i64>)> {
    use sqlx::Row as _;
    sqlx::any::install_default_drivers();
    let db = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "db" || x == "sqlite"))
        .context("no SQLite file in the serve directory")?;
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    let rows =
        sqlx::query("SELECT player_id, team_id, amount FROM rewards WHERE tenant_id = 'acme'")
            .fetch_all(&pool)
            .await?;
    let (mut players, mut teams) = (BTreeMap::new(), BTreeMap::new());
    for r in rows {
        let p: String = r.try_get("player_id")?;
        let t: Option<String> = r.try_get("team_id")?;
        let a: i64 = r.try_get("amount")?;
        *players.entry(p).or_default() += a;
        if let Some(t) = t {
            *teams.entry(t).or_default() += a;
        }
    }
    pool.close().await;
    Ok((players, teams))
}

/// Sends an answer from the player app open in the current window and
/// waits for its outcome card.
async fn answer(d: &Driver, challenge: &str, text: &str, expect: &str) -> anyhow::Result<String> {
    d.fill(&tid("act-attempt-field-challenge"), challenge)
        .await?;
    d.fill(&tid("act-attempt-field-answer"), text).await?;
    // A marker, so the outcome waited for is this one's.
    d.exec(
        "document.querySelector('[data-testid=\"outcome-result\"]')?.setAttribute('data-seen','1')",
        json!([]),
    )
    .await?;
    d.click(&tid("act-attempt-submit")).await?;
    let t = Instant::now();
    loop {
        let fresh = d
            .exec("const e=document.querySelector('[data-testid=\"outcome-result\"]'); return e && !e.hasAttribute('data-seen') ? e.innerText : null", json!([]))
            .await?;
        if let Some(s) = fresh.as_str()
            && s.to_lowercase().contains(expect)
        {
            return d.text(&tid("play-outcome")).await;
        }
        anyhow::ensure!(
            t.elapsed() < crate::webdriver::WAIT,
            "no `{expect}` outcome for {challenge}/{text}: {}",
            d.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hunt_runs_through_the_pages() -> anyhow::Result<()> {
    let s = serve().await?;
    let out = run(&s).await;
    if out.is_err() {
        let log = std::fs::read_to_string(s.dir.path().join("serve.log")).unwrap_or_default();
        let tail: String = log.lines().rev().take(30).collect::<Vec<_>>().join("\n");
        eprintln!("serve.log (last lines, newest first):\n{tail}");
    }
    out
}

async fn run(s: &Serve) -> anyhow::Result<()> {
    let base = &s.base;
    let acme = tenant(base, "acme").await?;
    let globex = tenant(base, "globex").await?;
    let d = Driver::start(1440, 1000).await?;
    let shots = screens();

    // Console: sign in with the key (a cookie session from here on).
    d.goto(&format!("{base}/")).await?;
    d.wait(&tid("link-console")).await?;
    d.screenshot(&shots.join("home.png")).await?;
    d.goto(&format!("{base}/console")).await?;
    d.fill(&tid("login-key"), &acme).await?;
    d.click(&tid("login-submit")).await?;
    d.wait(&tid("toggle-riddle")).await?;
    let url = d.exec("return location.href", json!([])).await?;
    assert!(
        !url.to_string().contains("vx_tenant"),
        "no key in the URL: {url}"
    );
    let stored = d
        .exec(
            "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)",
            json!([]),
        )
        .await?;
    assert!(
        !stored.to_string().contains("vx_tenant"),
        "no key in storage: {stored}"
    );

    // Enable riddle, open the generated form (prefilled with the example).
    d.click(&tid("toggle-riddle")).await?;
    d.wait("[data-testid=\"newgame-riddle\"]:not([disabled])")
        .await?;
    d.click(&tid("newgame-riddle")).await?;
    let first = d.value(&tid("newgame-field-challenges.0.id")).await?;
    assert_eq!(first, "lobby-sign", "the form holds the example config");
    // The schema's own messages before submit: a bonus under its minimum.
    let now = chrono_ms();
    d.fill(&tid("newgame-field-first_solve_bonus"), "-5")
        .await?;
    d.fill(&tid("newgame-id"), "hunt").await?;
    d.click(&tid("newgame-submit")).await?;
    d.wait_text(&tid("newgame-errors"), "a message naming the field", |t| {
        t.contains("first_solve_bonus") || t.to_lowercase().contains("bonus")
    })
    .await?;
    d.fill(&tid("newgame-field-first_solve_bonus"), "50")
        .await?;
    d.fill(
        &tid("newgame-field-starts_at_ms"),
        &(now - 60_000).to_string(),
    )
    .await?;
    d.fill(
        &tid("newgame-field-ends_at_ms"),
        &(now + 3_600_000).to_string(),
    )
    .await?;
    d.screenshot(&shots.join("console-new-game.png")).await?;
    d.click(&tid("newgame-submit")).await?;
    d.click(&tid("game-hunt")).await?;

    // Players from a CSV; their join links.
    d.fill(&tid("csv-text"), "player_id,team_id\nann1,red\nbob2,blue\n")
        .await?;
    d.click(&tid("csv-import")).await?;
    let ann = d.value(&tid("link-url-ann1")).await?;
    let bob = d.value(&tid("link-url-bob2")).await?;
    assert!(ann.contains("/play#token=vx_player_"), "{ann}");

    // The projector link.
    d.click(&tid("projector-create")).await?;
    let link = d
        .wait_text(&tid("projector-link"), "a link", |t| t.contains("/screen/"))
        .await?;
    let screen_path = link[link.find("/screen/").context("path")?..]
        .split_whitespace()
        .next()
        .context("path")?
        .to_string();
    d.wait(&tid("activity")).await?;
    let console = d.window().await?;

    // Projector and two player apps, each in its own window.
    let projector = d.new_window().await?;
    d.resize(1920, 1080).await?;
    d.goto(&format!("{base}{screen_path}")).await?;
    d.wait(&tid("screen-status")).await?;
    let app_ann = d.new_window().await?;
    d.resize(390, 844).await?;
    d.goto(&ann).await?;
    d.wait(&tid("act-attempt-submit")).await?;
    let url = d.exec("return location.href", json!([])).await?;
    assert!(
        !url.to_string().contains("token="),
        "the token leaves the address bar: {url}"
    );
    let app_bob = d.new_window().await?;
    d.resize(390, 844).await?;
    d.goto(&bob).await?;
    d.wait(&tid("act-attempt-submit")).await?;

    // Play: red leads, then blue overtakes.
    d.switch(&app_ann).await?;
    let o = answer(&d, "lobby-sign", "welcome home", "applied").await?;
    assert!(o.contains("150"), "first solve pays 100 + 50: {o}");
    d.switch(&projector).await?;
    d.wait_text(&tid("row-red"), "red first", |t| t.contains("150"))
        .await?;
    d.switch(&app_bob).await?;
    answer(&d, "lobby-sign", "welcome", "applied").await?;
    answer(&d, "caesar", "attack at dawn", "applied").await?;
    d.exec("window.scrollTo(0, 0)", json!([])).await?;
    d.screenshot(&shots.join("player-app.png")).await?;
    d.switch(&projector).await?;
    d.wait_text(&tid("screen-callout"), "the overtake", |t| {
        t.contains("blue overtakes red")
    })
    .await?;
    let rank = d.attr(&tid("row-blue"), "data-rank").await?;
    assert_eq!(rank.as_deref(), Some("1"), "blue leads");
    // Per-quest progress: both teams through the lobby, blue's caesar.
    d.wait_text(&tid("quest-lobby-sign"), "2 of 2", |t| t.contains("2/2"))
        .await?;
    let caesar = d.attr(&tid("quest-caesar-blue"), "data-status").await?;
    assert_eq!(caesar.as_deref(), Some("solved"));
    d.screenshot(&shots.join("projector.png")).await?;
    d.switch(&console).await?;
    d.wait_text(&tid("activity"), "the answers", |t| {
        t.contains("bob2") && t.contains("ann1")
    })
    .await?;

    // Offline: the answer is queued, sent when the network is back, and a
    // resend under its key scores once.
    d.switch(&app_ann).await?;
    d.offline(true).await?;
    d.fill(&tid("act-attempt-field-challenge"), "morse-lamp")
        .await?;
    d.fill(&tid("act-attempt-field-answer"), "sos").await?;
    d.click(&tid("act-attempt-submit")).await?;
    d.wait_text(&tid("play-queue-count"), "one queued", |t| t.trim() == "1")
        .await?;
    d.offline(false).await?;
    d.exec("window.dispatchEvent(new Event('online'))", json!([]))
        .await?;
    d.wait_text(&tid("outcome-result"), "applied", |t| {
        t.to_lowercase().contains("applied")
    })
    .await?;
    // Answered: nothing left queued (the count hides when empty).
    let t = Instant::now();
    while d
        .exec(
            "return document.querySelectorAll('[data-testid^=\"queued-\"]').length",
            json!([]),
        )
        .await?
        != json!(0)
    {
        anyhow::ensure!(
            t.elapsed() < crate::webdriver::WAIT,
            "the queue never emptied"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Pause: the app's answer is refused.
    d.switch(&console).await?;
    d.click(&tid("gm-pause")).await?;
    d.wait_text(&tid("game-status"), "paused", |t| t.contains("paused"))
        .await?;
    d.switch(&app_bob).await?;
    let o = answer(&d, "morse-lamp", "sos", "rejected").await?;
    assert!(o.to_lowercase().contains("pause"), "{o}");
    d.switch(&console).await?;
    d.click(&tid("gm-resume")).await?;
    d.wait_text(&tid("game-status"), "running", |t| t.contains("running"))
        .await?;

    // Grant points with a reason.
    d.select(&tid("gm-player"), "ann1").await?;
    d.fill(&tid("gm-points"), "25").await?;
    d.fill(&tid("gm-reason"), "best costume").await?;
    d.click(&tid("gm-grant")).await?;
    d.wait_text(&tid("gm-outcome"), "applied", |t| t.contains("applied"))
        .await?;
    d.screenshot(&shots.join("console-game.png")).await?;

    // Freeze, then reveal the podium on the projector.
    d.click(&tid("projector-freeze")).await?;
    d.switch(&projector).await?;
    d.wait(&tid("screen-frozen")).await?;
    d.switch(&console).await?;
    d.click(&tid("projector-reveal")).await?;
    d.switch(&projector).await?;
    d.wait(&tid("podium-1")).await?;
    d.screenshot(&shots.join("projector-podium.png")).await?;

    // End (two clicks), export: the CSV equals the ledger.
    d.switch(&console).await?;
    d.click(&tid("gm-end")).await?;
    d.click(&tid("gm-end")).await?;
    d.wait_text(&tid("game-status"), "finished", |t| t.contains("finished"))
        .await?;
    let href = d
        .attr(&tid("results-csv"), "href")
        .await?
        .context("results link")?;
    let csv = d
        .exec_async(
            "const done = arguments[arguments.length-1]; fetch(arguments[0]).then(r => r.text()).then(done, e => done('ERR ' + e))",
            json!([href]),
        )
        .await?;
    let csv = csv.as_str().context("csv text")?.to_string();
    let from_csv = sums_of_csv(&csv);
    assert_eq!(from_csv, ledger_sums(s.dir.path()).await?, "{csv}");
    assert_eq!(
        from_csv.0.get("ann1"),
        Some(&(150 + 400 + 50 + 25)),
        "{csv}"
    );

    // Another tenant's player link shows its own game, nothing of acme's.
    let c = Client::new();
    let call = |m: reqwest::Method, path: &str, body: Value| {
        c.request(m, format!("{base}{path}"))
            .bearer_auth(&globex)
            .json(&body)
            .send()
    };
    call(
        reqwest::Method::PUT,
        "/v1/tenants/globex/game-types/riddle",
        json!({ "enabled": true }),
    )
    .await?;
    let config = json!({ "challenges": [{ "id": "globex-only", "answers": ["x"], "points": 1 }] });
    let r = call(
        reqwest::Method::POST,
        "/v1/tenants/globex/games",
        json!({ "game_id": "other", "game_type": "riddle", "config": config }),
    )
    .await?;
    anyhow::ensure!(r.status() == 201, "globex game: {}", r.text().await?);
    let v: Value = call(
        reqwest::Method::POST,
        "/v1/tenants/globex/games/other/players",
        json!({ "player_id": "gina" }),
    )
    .await?
    .json()
    .await?;
    let token = v["token"].as_str().context("globex token")?;
    d.switch(&app_bob).await?;
    // A fresh tab: the same-document hash change is not a new link.
    d.new_window().await?;
    d.resize(390, 844).await?;
    d.goto(&format!("{base}/play#token={token}")).await?;
    d.wait_text(&tid("play-game"), "globex's game", |t| t.contains("other"))
        .await?;
    let text = d.page_text().await;
    for acme_only in ["acme", "lobby-sign", "ann1", "bob2", "caesar"] {
        assert!(
            !text.contains(acme_only),
            "{acme_only} shown to globex: {text}"
        );
    }

    // A rotated projector token stops working.
    d.switch(&console).await?;
    d.click(&tid("projector-create")).await?;
    d.switch(&projector).await?;
    d.goto(&format!("{base}{screen_path}")).await?;
    d.wait(&tid("screen-error")).await?;
    Ok(())
}

fn chrono_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
