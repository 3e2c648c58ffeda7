//! The README's partner walkthrough, run literally: `veltrix new game-type`
//! in an empty directory, the scaffold's own tests, its wasm build, `veltrix
//! plugin check --scenario`, then `veltrix serve`, an upload with a partner
//! key and a game played over HTTP with it. The commands are the README's
//! (the test fails if the README stops saying them).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const BOOT: &str = "bootstrap-secret-for-scaffold-tests-01";
const NAME: &str = "office-dash";

/// The walkthrough's commands, in order, as the README shows them.
const WALKTHROUGH: &[&str] = &[
    "veltrix new game-type office-dash",
    "cd office-dash",
    "cargo test",
    "cargo build --release --target wasm32-wasip2",
    "veltrix plugin check target/wasm32-wasip2/release/office_dash.wasm --scenario scenario.json",
];

/// Runs `program args` in `dir`; fails with its output unless it succeeds.
fn run(dir: &Path, program: &str, args: &[&str], target: &Path) -> anyhow::Result<String> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null());
    // The outer cargo's build settings are not the partner's.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .with_context(|| format!("running {program} {args:?}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("`{program} {}` failed:\n{text}", args.join(" "));
    }
    Ok(text)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn call(
    c: &Client,
    base: &str,
    m: Method,
    path: &str,
    key: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = c
        .request(m, format!("{base}{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// [`call`], asserting the status; the answer's body.
async fn expect(
    c: &Client,
    base: &str,
    status: StatusCode,
    m: Method,
    path: &str,
    key: &str,
    body: Value,
) -> Value {
    let (s, v) = call(c, base, m, path, key, body).await;
    assert_eq!(s, status, "{path}: {v}");
    v
}

async fn act(c: &Client, base: &str, token: &str, key: &str, body: Value) -> (StatusCode, Value) {
    let r = c
        .post(format!("{base}/v1/play/actions"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Where the scaffold builds: kept between runs (under the outer target
/// directory when there is one), so CI pays the cold build once.
fn scaffold_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("veltrix-target"))
        .join("scaffold-walkthrough")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scaffolded_game_type_builds_passes_check_and_plays_over_http() -> anyhow::Result<()> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))?;
    for line in WALKTHROUGH {
        assert!(
            readme.contains(line),
            "the README's walkthrough no longer says `{line}`"
        );
    }
    let veltrix = env!("CARGO_BIN_EXE_veltrix");
    let tmp = tempfile::tempdir()?;
    let target = scaffold_target();
    std::fs::create_dir_all(&target)?;

    // veltrix new game-type office-dash
    run(tmp.path(), veltrix, &["new", "game-type", NAME], &target)?;
    let dir = tmp.path().join(NAME);
    // The README's paths say `target/`: point it at the kept build.
    std::os::unix::fs::symlink(&target, dir.join("target"))?;
    let tests = run(&dir, "cargo", &["test"], &target)?;
    assert!(tests.contains("test result: ok. 3 passed"), "{tests}");
    run(
        &dir,
        "cargo",
        &["build", "--release", "--target", "wasm32-wasip2"],
        &target,
    )?;
    let wasm = dir.join("target/wasm32-wasip2/release/office_dash.wasm");
    let check = run(
        &dir,
        veltrix,
        &[
            "plugin",
            "check",
            "target/wasm32-wasip2/release/office_dash.wasm",
            "--scenario",
            "scenario.json",
        ],
        &target,
    )?;
    assert!(check.contains("PASS (office-dash 0.1.0)"), "{check}");
    assert!(
        check.contains("[ok] scenario") && check.contains("[ok] coverage"),
        "{check}"
    );
    // The scenario travels in the component too (`embed_scenario!`): the
    // check plays it without the file, as an upload does.
    let embedded = run(
        &dir,
        veltrix,
        &[
            "plugin",
            "check",
            "target/wasm32-wasip2/release/office_dash.wasm",
        ],
        &target,
    )?;
    assert!(embedded.contains("[ok] scenario"), "{embedded}");

    // veltrix serve, an upload, a game.
    let port = free_port();
    let log = std::fs::File::create(tmp.path().join("serve.log"))?;
    let mut serve = Command::new(veltrix)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(tmp.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VELTRIX_API__BOOTSTRAP_OPERATOR_KEY", BOOT)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let outcome = play(&format!("http://127.0.0.1:{port}"), &std::fs::read(&wasm)?).await;
    serve.kill().ok();
    serve.wait().ok();
    outcome
        .with_context(|| std::fs::read_to_string(tmp.path().join("serve.log")).unwrap_or_default())
}

async fn play(base: &str, wasm: &[u8]) -> anyhow::Result<()> {
    let c = Client::new();
    let t = Instant::now();
    while c.get(format!("{base}/healthz")).send().await.is_err() {
        anyhow::ensure!(t.elapsed() < Duration::from_secs(60), "serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect(
        &c,
        base,
        StatusCode::CREATED,
        Method::POST,
        "/v1/partners",
        BOOT,
        json!({ "partner_id": "dash-co", "name": "Dash Co" }),
    )
    .await;
    let v = expect(
        &c,
        base,
        StatusCode::CREATED,
        Method::POST,
        "/v1/keys",
        BOOT,
        json!({ "role": "partner", "partner_id": "dash-co" }),
    )
    .await;
    let partner = v["key"].as_str().unwrap().to_string();
    let r = c
        .post(format!("{base}/v1/partners/dash-co/game-types"))
        .bearer_auth(&partner)
        .header("content-type", "application/wasm")
        .body(wasm.to_vec())
        .send()
        .await?;
    let status = r.status();
    let body: Value = r.json().await?;
    assert_eq!(status, StatusCode::CREATED, "upload: {body}");

    expect(
        &c,
        base,
        StatusCode::CREATED,
        Method::POST,
        "/v1/tenants",
        BOOT,
        json!({ "tenant_id": "acme", "name": "Acme" }),
    )
    .await;
    let v = expect(
        &c,
        base,
        StatusCode::CREATED,
        Method::POST,
        "/v1/keys",
        BOOT,
        json!({ "role": "tenant", "tenant_id": "acme" }),
    )
    .await;
    let tenant = v["key"].as_str().unwrap().to_string();
    // The catalogue carries the contract: a form needs nothing else.
    let (_, cat) = call(
        &c,
        base,
        Method::GET,
        "/v1/game-types",
        &tenant,
        Value::Null,
    )
    .await;
    let dash = cat["game_types"]
        .as_array()
        .and_then(|l| l.iter().find(|g| g["name"] == NAME))
        .cloned()
        .expect("the upload is in the catalogue");
    assert_eq!(dash["contract"], "0.3", "{dash}");
    assert_eq!(
        dash["reward_types"],
        json!(["adjustment", "points"]),
        "{dash}"
    );
    let reach = dash["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "reach")
        .unwrap();
    assert_eq!(
        reach["payload_schema"]["required"],
        json!(["checkpoint"]),
        "{reach}"
    );

    expect(
        &c,
        base,
        StatusCode::OK,
        Method::PUT,
        &format!("/v1/tenants/acme/game-types/{NAME}"),
        &tenant,
        json!({ "enabled": true }),
    )
    .await;
    let config = dash["example_config"].clone();
    expect(
        &c,
        base,
        StatusCode::CREATED,
        Method::POST,
        "/v1/tenants/acme/games",
        &tenant,
        json!({ "game_id": "dash", "game_type": NAME, "config": config }),
    )
    .await;
    let mut tokens = Vec::new();
    for (p, team) in [("ann", "red"), ("bob", "blue")] {
        let v = expect(
            &c,
            base,
            StatusCode::CREATED,
            Method::POST,
            "/v1/tenants/acme/games/dash/players",
            &tenant,
            json!({ "player_id": p, "team_id": team }),
        )
        .await;
        tokens.push(v["token"].as_str().unwrap().to_string());
    }
    let reach = |cp: Value| json!({ "kind": "reach", "payload": { "checkpoint": cp } });
    let (s, v) = act(&c, base, &tokens[0], "a1", reach(json!("lobby"))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["paid"][0]["points"], 10, "{v}");
    let (s, v) = act(&c, base, &tokens[1], "b1", reach(json!("lobby"))).await;
    assert_eq!(
        (s, v["paid"][0]["points"].clone()),
        (StatusCode::OK, json!(1)),
        "{v}"
    );
    // A payload off the declared schema never reaches the plugin.
    let (s, v) = act(&c, base, &tokens[1], "b2", reach(json!(7))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("/checkpoint"), "{v}");
    let (_, board) = call(
        &c,
        base,
        Method::GET,
        "/v1/play/leaderboard?board=teams",
        &tokens[0],
        Value::Null,
    )
    .await;
    let text = board.to_string();
    assert!(text.contains("red") && text.contains("blue"), "{board}");
    Ok(())
}
