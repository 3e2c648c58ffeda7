//! Partner game-type uploads over real HTTP: checked, stored by content
//! hash, versioned, owned by one partner, and playable by tenants like the
//! built-ins (SQLite and Postgres, the embedded stream log and board, a
//! running processor).
//!
//! The component is the probe test guest (`plugins/testing/probe`): its
//! `trap` kind shows that a faulting partner plugin costs one action, not
//! the game or the host. The probe fails the full conformance run (it traps
//! and loops on purpose), so most servers here run the upload check with no
//! random or replay actions: load, describe, init and view still gate.
//! `the_full_check_refuses_the_probe` runs the default check.
//!
//! Every server here checks uploads in `veltrix plugin check-worker`
//! children (the built `veltrix`), like production; components over a
//! `[plugins.component]` limit are refused before any compile. The time and
//! memory budgets are in `upload_budgets.rs`.

use crate::store_common;

use crate::api_common;
use crate::synth;

use api_common::{BOOT, Resp, Server, assert_limit_exceeded, code, partner_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;
use veltrix_artifacts::{BUILTINS, PROBE};
use veltrix_server::config::HostConfig;

impl Server {
    /// `POST /v1/partners/{partner}/game-types` with raw bytes.
    async fn upload(&self, partner: &str, key: &str, content_type: &str, bytes: &[u8]) -> Resp {
        let resp = self
            .client
            .post(format!("{}/v1/partners/{partner}/game-types", self.base))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        Resp {
            status: resp.status(),
            replayed: false,
            raw: resp.text().await.unwrap(),
        }
    }

    /// A call that must answer `want`; its JSON body.
    async fn expect(
        &self,
        want: StatusCode,
        method: Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> Value {
        let (st, v) = self.call(method, path, Some(key), body).await;
        assert_eq!(st, want, "{path}: {v}");
        v
    }
}

/// The `veltrix` binary runs the checks (this test binary cannot).
fn isolated(c: &mut HostConfig) {
    c.api.upload_check_binary = env!("CARGO_BIN_EXE_veltrix").into();
}

/// Upload check without conformance actions (see the module docs).
fn structural_check(c: &mut HostConfig) {
    isolated(c);
    c.api.upload_check_actions = 0;
    c.api.upload_replay_actions = 0;
    c.api.max_component_bytes = PROBE.len() * 2;
}

use veltrix_artifacts::BLOAT;

/// `bytes` with a custom section appended: another component (another
/// hash) that behaves the same, i.e. a new version of the same type.
fn with_custom_section(bytes: &[u8], tag: &str) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let mut payload = Vec::new();
    leb(tag.len(), &mut payload);
    payload.extend_from_slice(tag.as_bytes());
    payload.extend_from_slice(b"veltrix test");
    let mut out = bytes.to_vec();
    out.push(0);
    leb(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    out
}

/// Creates partners p1, p2 and tenant acme; returns their keys.
async fn setup(s: &Server) -> (String, String, String) {
    let mut keys = Vec::new();
    for p in ["p1", "p2"] {
        keys.push(partner_with(s, p).await);
    }
    let body = json!({ "tenant_id": "acme", "name": "Acme" });
    s.expect(
        StatusCode::CREATED,
        Method::POST,
        "/v1/tenants",
        BOOT,
        Some(body),
    )
    .await;
    let body = json!({ "role": "tenant", "tenant_id": "acme" });
    let v = s
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/v1/keys",
            BOOT,
            Some(body),
        )
        .await;
    keys.push(v["key"].as_str().unwrap().to_string());
    (keys[0].clone(), keys[1].clone(), keys[2].clone())
}

/// Tenant acme creates a probe game with one player; the player's token.
async fn probe_game(s: &Server, tenant: &str, game: &str) -> (Value, String) {
    let body = json!({ "game_id": game, "game_type": "probe", "config": {} });
    let row = s
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/v1/tenants/acme/games",
            tenant,
            Some(body),
        )
        .await;
    let v = s
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/v1/tenants/acme/games/{game}/players"),
            tenant,
            Some(json!({ "player_id": "ann" })),
        )
        .await;
    (row, v["token"].as_str().unwrap().to_string())
}

/// One action; the outcome's `result`.
async fn act(s: &Server, token: &str, idem: &str, kind: &str) -> Value {
    let r = s
        .send(
            Method::POST,
            "/v1/play/actions",
            Some(token),
            &[("idempotency-key", idem)],
            Some(json!({ "kind": kind })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.json()
}

async fn upload_and_play(db: TestDb) {
    let s = Server::start(&db, structural_check).await;
    let (p1, p2, acme) = setup(&s).await;

    // A new type: version 1 (and far over the JSON body limit: the upload
    // route has its own).
    let r = s.upload("p1", &p1, "application/wasm", PROBE).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let v1 = r.json();
    assert_eq!(v1["game_type"], "probe");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["plugin_version"], "0.1.0");
    assert_eq!(v1["size"], PROBE.len());
    assert_eq!(v1["hash"].as_str().unwrap().len(), 64);
    // The same bytes again: the same version, 200.
    let r = s.upload("p1", &p1, "application/wasm", PROBE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.json(), v1);

    // Refusals change nothing.
    let r = s
        .upload("p1", &p1, "application/wasm", b"\0asm garbage")
        .await;
    let v = r.json();
    assert_eq!(
        (r.status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("load"),
        "{v}"
    );
    let r = s.upload("p1", &p1, "application/json", PROBE).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.raw);
    let r = s
        .upload("p1", &p1, "application/wasm", &vec![0; PROBE.len() * 2 + 1])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.raw);
    let r = s
        .upload("p1", &p1, "application/wasm", BUILTINS[0].wasm)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.raw);

    // Another partner: 404 on p1's routes, 409 for p1's type name.
    let path = "/v1/partners/p1/game-types";
    let (st, _) = s.call(Method::GET, path, Some(&p2), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let r = s.upload("p1", &p2, "application/wasm", PROBE).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    let r = s.upload("p2", &p2, "application/wasm", PROBE).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.raw);
    let other = with_custom_section(PROBE, "p2");
    let r = s.upload("p2", &p2, "application/wasm", &other).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.raw);
    let v = s
        .expect(
            StatusCode::OK,
            Method::GET,
            "/v1/partners/p2/game-types",
            &p2,
            None,
        )
        .await;
    assert_eq!(v["game_types"], json!([]));
    // A tenant key is no partner key.
    let (st, _) = s.call(Method::GET, path, Some(&acme), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // p1 (and the operator) see one type with one version.
    let v = s.expect(StatusCode::OK, Method::GET, path, &p1, None).await;
    assert_eq!(v["game_types"], json!([v1]));
    let versions = "/v1/partners/p1/game-types/probe/versions";
    let v = s
        .expect(StatusCode::OK, Method::GET, versions, BOOT, None)
        .await;
    assert_eq!(v["versions"], json!([v1]));
    let (st, _) = s
        .call(
            Method::GET,
            "/v1/partners/p2/game-types/probe/versions",
            Some(&p2),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // In the catalogue; a tenant enables it and plays it like a built-in.
    let v = s
        .expect(StatusCode::OK, Method::GET, "/v1/game-types", &acme, None)
        .await;
    let probe: Vec<&Value> = v["game_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "probe")
        .collect();
    assert_eq!(probe.len(), 1, "{v}");
    assert_eq!(probe[0]["source"], "partner");
    s.expect(
        StatusCode::OK,
        Method::PUT,
        "/v1/tenants/acme/game-types/probe",
        &acme,
        Some(json!({ "enabled": true })),
    )
    .await;
    let (game, token) = probe_game(&s, &acme, "g1").await;
    assert_eq!(game["plugin_hash"], v1["hash"]);
    assert_eq!(act(&s, &token, "a1", "ok").await["result"], "applied");
    assert_eq!(act(&s, &token, "a2", "noop").await["result"], "applied");
    let trapped = act(&s, &token, "a3", "trap").await;
    assert_eq!(trapped["result"], "faulted", "{trapped}");
    let after = act(&s, &token, "a4", "ok").await;
    assert_eq!(after["result"], "applied", "{after}");
    assert_eq!(after["minted"], 1, "{after}");

    // Version 2: new games get it, g1 stays pinned to version 1.
    let v2_bytes = with_custom_section(PROBE, "v2");
    let r = s.upload("p1", &p1, "application/wasm", &v2_bytes).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let v2 = r.json();
    assert_eq!(v2["version"], 2);
    let (game2, token2) = probe_game(&s, &acme, "g2").await;
    assert_eq!(game2["plugin_hash"], v2["hash"]);
    assert_eq!(act(&s, &token2, "b1", "ok").await["result"], "applied");
    let v = s
        .expect(
            StatusCode::OK,
            Method::GET,
            "/v1/tenants/acme/games/g1",
            &acme,
            None,
        )
        .await;
    assert_eq!(v["plugin_hash"], v1["hash"]);
    assert_eq!(act(&s, &token, "a5", "ok").await["result"], "applied");
    let v = s
        .expect(StatusCode::OK, Method::GET, versions, &p1, None)
        .await;
    // Each version says how many games run it (g1 on v1, g2 on v2).
    let running = |mut v: Value, n: i64| {
        v["games"] = json!(n);
        v
    };
    assert_eq!(
        v["versions"],
        json!([running(v1.clone(), 1), running(v2.clone(), 1)])
    );
    let v = s.expect(StatusCode::OK, Method::GET, path, &p1, None).await;
    assert_eq!(v["game_types"], json!([v2]));

    // A restart registers the stored versions again.
    let db = s.halt(db).await;
    let s = Server::start(&db, structural_check).await;
    let v = s
        .expect(StatusCode::OK, Method::GET, "/v1/game-types", &acme, None)
        .await;
    let probe = v["game_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "probe")
        .cloned();
    assert!(probe.is_some(), "{v}");
    let (game3, token3) = probe_game(&s, &acme, "g3").await;
    assert_eq!(game3["plugin_hash"], v2["hash"]);
    assert_eq!(act(&s, &token3, "c1", "ok").await["result"], "applied");
    assert_eq!(act(&s, &token3, "c2", "trap").await["result"], "faulted");
    s.stop(db).await;
}

#[tokio::test]
async fn the_full_check_refuses_the_probe() {
    let db = TestDb::sqlite();
    let s = Server::start(&db, isolated).await;
    let (p1, _, _) = setup(&s).await;
    let r = s.upload("p1", &p1, "application/wasm", PROBE).await;
    let v = r.json();
    assert_eq!(
        (r.status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("robustness"), "{msg}");
    let v = s
        .expect(
            StatusCode::OK,
            Method::GET,
            "/v1/partners/p1/game-types",
            &p1,
            None,
        )
        .await;
    assert_eq!(v["game_types"], json!([]));
    s.stop(db).await;
}

#[tokio::test]
async fn uploads_over_a_component_limit_are_refused() {
    let db = TestDb::sqlite();
    let s = Server::start(&db, |c| {
        structural_check(c);
        c.api.max_component_bytes = 16 << 20;
        // The bloat guest's describe takes tens of ms: on a loaded machine
        // the call deadline must not refuse it before the limit does.
        c.plugins.deadline_ms = 5_000;
    })
    .await;
    let (p1, _, _) = setup(&s).await;

    // The 600,000 empty functions (2.4 MB): refused by parsing,
    // before any compile (which took 92-124 s and 3.5 GB).
    let big = synth::component_with_functions(1, 600_000);
    let started = std::time::Instant::now();
    let r = s.upload("p1", &p1, "application/wasm", &big).await;
    let took = started.elapsed();
    let msg = assert_limit_exceeded(&r, "`plugins.component.max_functions`");
    // "before compiling" is the proof it never compiled (timings are the
    // bench's business; this only prints one).
    assert!(
        msg.contains("before compiling") && msg.contains("600000"),
        "{msg}"
    );
    eprintln!("600k functions refused in {took:?}");

    // A 2 MiB config schema: refused right after describe, in the check.
    let r = s.upload("p1", &p1, "application/wasm", BLOAT).await;
    assert_limit_exceeded(&r, "`plugins.component.max_config_schema_bytes`");

    // Nothing stored, nothing in the catalogue.
    let v = s
        .expect(
            StatusCode::OK,
            Method::GET,
            "/v1/partners/p1/game-types",
            &p1,
            None,
        )
        .await;
    assert_eq!(v["game_types"], json!([]));
    let v = s
        .expect(StatusCode::OK, Method::GET, "/v1/game-types", BOOT, None)
        .await;
    let names: Vec<&str> = v["game_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(!names.contains(&"bloat"), "{names:?}");
    s.stop(db).await;

    // With room for the schema, its 100,002 action kinds are refused.
    let db = TestDb::sqlite();
    let s = Server::start(&db, |c| {
        structural_check(c);
        c.api.max_component_bytes = 16 << 20;
        c.plugins.deadline_ms = 5_000;
        c.plugins.component.max_config_schema_bytes = 4 << 20;
        c.plugins.component.max_describe_bytes = 8 << 20;
    })
    .await;
    let (p1, _, _) = setup(&s).await;
    let r = s.upload("p1", &p1, "application/wasm", BLOAT).await;
    assert_limit_exceeded(&r, "`plugins.component.max_action_kinds`");
    assert!(r.raw.contains("100002"), "{}", r.raw);
    s.stop(db).await;
}

crate::each_db!(upload_and_play => upload_and_play);
