//! Malformed requests over real HTTP: every client error is the API's
//! JSON error body (`{"error": {"code", "message"}}`, `application/json`)
//! with the status `docs/api.md` names, and a refused request changes
//! nothing (no idempotency key claimed, no action reaching a game, no row
//! created).

use crate::store_common;

use crate::api_common;
use crate::raw;

use api_common::{BODY_LIMIT, BOOT, Server, player, tenant_with};
use raw::{Got, JSON, is_error, raw, unresolved};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;

fn riddle_config() -> Value {
    json!({ "challenges": [{ "id": "c1", "answers": ["forty two"], "points": 100 }] })
}

fn attempt(answer: &str) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": "c1", "answer": answer } })
}

/// A tenant `acme` with riddle game `g1` and player `p1`: (tenant key,
/// player token).
async fn setup(s: &Server) -> (String, String) {
    let key = tenant_with(s, "acme", &["riddle"]).await;
    let r = s
        .req(
            Method::POST,
            "/v1/tenants/acme/games",
            &key,
            Some(json!({ "game_id": "g1", "game_type": "riddle", "config": riddle_config(), "seed": 1 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let token = player(s, &key, "acme", "g1", "p1", "red").await;
    (key, token)
}

/// Riddle actions the processor applied so far (live `apply` calls: what
/// reached the game).
async fn applied(s: &Server) -> f64 {
    let (_, text) = s.text("/metrics").await;
    text.lines()
        .filter(|l| {
            l.starts_with("veltrix_plugin_apply_seconds_count")
                && l.contains("game_type=\"riddle\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Posts an action with `headers` and a raw body.
async fn act_raw(s: &Server, token: &str, headers: &[(&str, &str)], body: &str) -> Got {
    raw(
        s,
        Method::POST,
        "/v1/play/actions",
        Some(token),
        headers,
        Some(body),
    )
    .await
}

/// A valid action under `idem` is new (applied, not a replay): whatever
/// was refused under that key before claimed nothing.
async fn key_is_fresh(s: &Server, token: &str, idem: &str, answer: &str) {
    let before = applied(s).await;
    let g = act_raw(
        s,
        token,
        &[JSON, ("idempotency-key", idem)],
        &attempt(answer).to_string(),
    )
    .await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.raw);
    assert!(!g.replayed, "{idem} was claimed by a refused request");
    assert_ne!(g.json()["result"], "faulted", "{}", g.raw);
    assert_ne!(g.json()["result"], "pending", "{}", g.raw);
    assert_eq!(applied(s).await, before + 1.0);
}

fn start(db: &TestDb) -> impl std::future::Future<Output = Server> + '_ {
    Server::start(db, |c| {
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.processor.poll_wait_ms = 10;
    })
}

/// A started server with [`setup`] done and nothing applied yet.
async fn rig(db: &TestDb) -> (Server, String) {
    let s = start(db).await;
    let (_, token) = setup(&s).await;
    assert_eq!(applied(&s).await, 0.0);
    (s, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_locations_are_422_and_claim_nothing_sqlite() {
    bad_locations(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_locations_are_422_and_claim_nothing_postgres() {
    bad_locations(TestDb::postgres().await).await;
}

/// Locations out of the WIT ranges (or not numbers): 422 before the key
/// is claimed, nothing reaches the game, and the same key then carries a
/// valid action as a new one.
async fn bad_locations(db: TestDb) {
    let (s, token) = rig(&db).await;
    let loc = |l: &str| {
        format!(
            r#"{{"kind":"attempt","payload":{{"challenge":"c1","answer":"x"}},"location":{l}}}"#
        )
    };
    for l in [
        r#"{"lat":1,"lon":2,"accuracy_m":1e39}"#,
        r#"{"lat":1,"lon":2,"accuracy_m":-1}"#,
        r#"{"lat":1,"lon":2,"accuracy_m":1e400}"#,
        r#"{"lat":90.5,"lon":2,"accuracy_m":5}"#,
        r#"{"lat":-91,"lon":2,"accuracy_m":5}"#,
        r#"{"lat":1,"lon":180.01,"accuracy_m":5}"#,
        r#"{"lat":1,"lon":-1e308,"accuracy_m":5}"#,
        r#"{"lat":1e999,"lon":2,"accuracy_m":5}"#,
        r#"{"lat":"NaN","lon":2,"accuracy_m":5}"#,
        r#"{"lat":1,"lon":2,"accuracy_m":"Infinity"}"#,
        r#"{"lat":1,"lon":2}"#,
        r#"{"lat":1,"lon":2,"accuracy_m":5,"alt":3}"#,
    ] {
        let g = act_raw(&s, &token, &[JSON, ("idempotency-key", "k-loc")], &loc(l)).await;
        is_error(&g, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
    }
    assert_eq!(applied(&s).await, 0.0);
    // The edges of the ranges are valid.
    let g = act_raw(
        &s,
        &token,
        &[JSON, ("idempotency-key", "k-edge")],
        &loc(r#"{"lat":-90,"lon":180,"accuracy_m":0}"#),
    )
    .await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.raw);
    assert_eq!(g.json()["result"], "applied", "{}", g.raw);
    key_is_fresh(&s, &token, "k-loc", "y").await;

    s.stop(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_idempotency_keys_are_400_and_claim_nothing_sqlite() {
    two_idempotency_keys(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_idempotency_keys_are_400_and_claim_nothing_postgres() {
    two_idempotency_keys(TestDb::postgres().await).await;
}

async fn two_idempotency_keys(db: TestDb) {
    let (s, token) = rig(&db).await;
    // Two Idempotency-Key headers, equal or not: 400.
    for pair in [["k-two", "k-two"], ["k-two", "k-other"]] {
        let g = act_raw(
            &s,
            &token,
            &[
                JSON,
                ("idempotency-key", pair[0]),
                ("idempotency-key", pair[1]),
            ],
            &attempt("x").to_string(),
        )
        .await;
        is_error(&g, StatusCode::BAD_REQUEST, "bad_request", "two keys");
    }
    key_is_fresh(&s, &token, "k-two", "x").await;
    key_is_fresh(&s, &token, "k-other", "x").await;
    // Missing or empty: 400 too.
    for headers in [&[JSON][..], &[JSON, ("idempotency-key", "")][..]] {
        let g = act_raw(&s, &token, headers, &attempt("x").to_string()).await;
        is_error(&g, StatusCode::BAD_REQUEST, "bad_request", "no key");
    }

    assert_eq!(applied(&s).await, 2.0);
    s.stop(db).await;
}

/// The play route takes exactly the content types every JSON route
/// takes; refused bodies (415, 413, 400, 422) claim no key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_content_type_is_the_shared_rule() {
    let db = TestDb::sqlite();
    let (s, token) = rig(&db).await;
    // Content types: the one rule of every JSON route.
    for ct in [
        "application/jsonx",
        "application/json-seq",
        "application/problem+json",
        "text/plain",
        "text/json",
        "application/json, text/plain",
    ] {
        let g = act_raw(
            &s,
            &token,
            &[("content-type", ct), ("idempotency-key", "k-ct")],
            &attempt("x").to_string(),
        )
        .await;
        is_error(
            &g,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            ct,
        );
    }
    let g = act_raw(
        &s,
        &token,
        &[("idempotency-key", "k-ct")],
        &attempt("x").to_string(),
    )
    .await;
    is_error(
        &g,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "none",
    );
    key_is_fresh(&s, &token, "k-ct", "z").await;
    for (i, ct) in ["APPLICATION/JSON", "Application/Json; charset=UTF-8"]
        .iter()
        .enumerate()
    {
        let g = act_raw(
            &s,
            &token,
            &[
                ("content-type", ct),
                ("idempotency-key", &format!("k-ok{i}")),
            ],
            &attempt("x").to_string(),
        )
        .await;
        assert_eq!(g.status, StatusCode::OK, "{ct}: {}", g.raw);
    }

    // Bodies: over the limit 413, not JSON 400, wrong shape 422.
    let big = format!(
        r#"{{"kind":"attempt","payload":{{"pad":"{}"}}}}"#,
        "x".repeat(BODY_LIMIT)
    );
    for (body, status, code) in [
        (
            big.as_str(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        ("{", StatusCode::BAD_REQUEST, "bad_request"),
        ("", StatusCode::BAD_REQUEST, "bad_request"),
        (
            r#"{"kind":"attempt"} {}"#,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (r#"{"kind":1}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (
            r#"{"kind":"attempt","x":1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        ("[]", StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
    ] {
        let g = act_raw(&s, &token, &[JSON, ("idempotency-key", "k-body")], body).await;
        is_error(&g, status, code, body);
    }
    key_is_fresh(&s, &token, "k-body", "w").await;
    s.stop(db).await;
}

/// Ids `.` and `..` are refused wherever a body names one (422), and
/// nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dot_ids_are_refused() {
    let db = TestDb::sqlite();
    let s = start(&db).await;
    let (key, _) = setup(&s).await;
    for id in [".", ".."] {
        let cases = [
            ("/v1/tenants", BOOT, json!({ "tenant_id": id, "name": "n" })),
            (
                "/v1/partners",
                BOOT,
                json!({ "partner_id": id, "name": "n" }),
            ),
            (
                "/v1/keys",
                BOOT,
                json!({ "role": "tenant", "tenant_id": id }),
            ),
            (
                "/v1/keys",
                BOOT,
                json!({ "role": "partner", "partner_id": id }),
            ),
            (
                "/v1/tenants/acme/games",
                &key,
                json!({ "game_id": id, "game_type": "riddle", "config": riddle_config() }),
            ),
            (
                "/v1/tenants/acme/games/g1/players",
                &key,
                json!({ "player_id": id }),
            ),
            (
                "/v1/tenants/acme/games/g1/players",
                &key,
                json!({ "player_id": "p9", "team_id": id }),
            ),
        ];
        for (path, k, body) in cases {
            let g = raw(
                &s,
                Method::POST,
                path,
                Some(k),
                &[JSON],
                Some(&body.to_string()),
            )
            .await;
            is_error(
                &g,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                &format!("{path} {body}"),
            );
        }
        let store = &s.state.store;
        assert!(!store.tenant_exists(id).await.unwrap());
        assert!(!store.partner_exists(id).await.unwrap());
        assert!(store.game("acme", id).await.unwrap().is_none());
        // In a path, percent-encoded: sent as is (a URL library would
        // resolve `%2E%2E` as `..` and drop the segment).
        let enc = id.replace('.', "%2E");
        let g = unresolved(
            &s,
            "DELETE",
            &format!("/v1/tenants/acme/games/g1/players/{enc}/tokens"),
            &key,
        )
        .await;
        is_error(
            &g,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "player path",
        );
    }
    // The player p9 was not issued a token either.
    let g = raw(
        &s,
        Method::DELETE,
        "/v1/tenants/acme/games/g1/players/p9/tokens",
        Some(&key),
        &[],
        None,
    )
    .await;
    is_error(&g, StatusCode::NOT_FOUND, "not_found", "p9");
    s.stop(db).await;
}

/// Headers, body, expected status and code, and what the case is.
type Case<'a> = (
    &'a [(&'a str, &'a str)],
    &'a str,
    StatusCode,
    &'a str,
    &'a str,
);

/// Every malformed request to every route family: JSON error, documented
/// status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_malformed_request_gets_the_json_error() {
    let db = TestDb::sqlite();
    let s = start(&db).await;
    let (key, token) = setup(&s).await;
    let boot = Some(BOOT);
    let tk = Some(key.as_str());

    // Each JSON route, with the key that may use it.
    let json_routes: [(Method, &str, Option<&str>); 8] = [
        (Method::POST, "/v1/tenants", boot),
        (Method::POST, "/v1/partners", boot),
        (Method::POST, "/v1/keys", boot),
        (Method::PUT, "/v1/tenants/acme/game-types/riddle", tk),
        (Method::POST, "/v1/tenants/acme/games", tk),
        (Method::POST, "/v1/tenants/acme/games/g1/players", tk),
        (Method::POST, "/v1/tenants/acme/games/g1/gm", tk),
        (Method::POST, "/v1/play/actions", Some(&token)),
    ];
    let big = format!(r#"{{"x":"{}"}}"#, "x".repeat(BODY_LIMIT));
    let idem = ("idempotency-key", "k-audit");
    for (m, path, k) in &json_routes {
        let what = |w: &str| format!("{m} {path}: {w}");
        let cases: [Case<'_>; 10] = [
            (
                &[JSON, idem],
                "{",
                StatusCode::BAD_REQUEST,
                "bad_request",
                "syntax",
            ),
            (
                &[JSON, idem],
                "",
                StatusCode::BAD_REQUEST,
                "bad_request",
                "empty",
            ),
            (
                &[JSON, idem],
                "{,}",
                StatusCode::BAD_REQUEST,
                "bad_request",
                "no key",
            ),
            (
                &[JSON, idem],
                r#"{"nope": 1}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "unknown field",
            ),
            (
                &[JSON, idem],
                "[1]",
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "wrong type",
            ),
            (
                &[JSON, idem],
                "{}",
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "missing field",
            ),
            (
                &[idem],
                "{}",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "no content type",
            ),
            (
                &[("content-type", "application/jsonx"), idem],
                "{}",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "prefix",
            ),
            (
                &[("content-type", "text/plain"), idem],
                "{}",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "text",
            ),
            (
                &[JSON, idem],
                &big,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "oversize",
            ),
        ];
        for (headers, body, status, code, w) in cases {
            let g = raw(&s, m.clone(), path, *k, headers, Some(body)).await;
            is_error(&g, status, code, &what(w));
        }
        // No credentials: 401 before the body is looked at.
        let g = raw(&s, m.clone(), path, None, &[JSON], Some("{")).await;
        is_error(
            &g,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &what("no key"),
        );
        // Case-insensitive media type with parameters is JSON (the
        // body is then judged: here, a missing field).
        let ct = ("content-type", "Application/JSON; charset=utf-8");
        let g = raw(&s, m.clone(), path, *k, &[ct, idem], Some("{}")).await;
        is_error(
            &g,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            &what("charset"),
        );
    }
    assert_eq!(
        applied(&s).await,
        0.0,
        "a malformed request reached the game"
    );

    // Unknown routes 404, other methods 405.
    for (m, path) in [
        (Method::GET, "/nope"),
        (Method::GET, "/v1"),
        (Method::GET, "/v1/tenants/"),
        (Method::GET, "/v1/tenants/acme/games/g1/nope"),
        (Method::POST, "/v1/play/actions/"),
        (Method::GET, "/%FF"),
    ] {
        let g = raw(&s, m.clone(), path, boot, &[], None).await;
        is_error(
            &g,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("{m} {path}"),
        );
    }
    let custom = Method::from_bytes(b"BREW").unwrap();
    for (m, path, allow) in [
        (Method::PATCH, "/v1/tenants", "POST,GET,HEAD"),
        (Method::DELETE, "/v1/partners", "POST,GET,HEAD"),
        (Method::DELETE, "/healthz", "GET,HEAD"),
        (Method::POST, "/v1/game-types", "GET,HEAD"),
        (Method::GET, "/v1/play/actions", "POST"),
        (Method::PUT, "/v1/tenants/acme/games/g1", "GET,HEAD"),
        (custom, "/v1/keys", "POST,GET,HEAD"),
    ] {
        let g = raw(&s, m.clone(), path, boot, &[], None).await;
        let what = format!("{m} {path}");
        is_error(
            &g,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &what,
        );
        assert_eq!(g.allow.replace(' ', ""), allow, "{what}");
    }

    // Query: the leaderboard's only parameters.
    for q in [
        "?board=nope",
        "?n=0",
        "?n=1001",
        "?n=x",
        "?zzz=1",
        "?board=%FF",
    ] {
        let g = raw(
            &s,
            Method::GET,
            &format!("/v1/play/leaderboard{q}"),
            Some(&token),
            &[],
            None,
        )
        .await;
        is_error(&g, StatusCode::BAD_REQUEST, "bad_request", q);
    }

    // Credentials: 401, whatever is wrong with them.
    for auth in ["", "Bearer", "Bearer ", "Basic abc", "Bearer vx_player_00"] {
        let g = raw(
            &s,
            Method::GET,
            "/v1/play/leaderboard",
            None,
            &[("authorization", auth)],
            None,
        )
        .await;
        is_error(&g, StatusCode::UNAUTHORIZED, "unauthorized", auth);
    }
    s.stop(db).await;
}

/// A path segment that is not UTF-8 once percent-decoded: 400 JSON on
/// every route family with path parameters (401 first without a key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_path_segments_are_json_400() {
    let db = TestDb::sqlite();
    let s = start(&db).await;
    let (key, token) = setup(&s).await;
    let boot = Some(BOOT);
    let tk = Some(key.as_str());
    let paths: [(Method, &str, Option<&str>); 11] = [
        (Method::DELETE, "/v1/keys/%FF", boot),
        (Method::GET, "/v1/partners/%FF/game-types", boot),
        (
            Method::GET,
            "/v1/partners/p/game-types/%C3%28/versions",
            boot,
        ),
        (Method::POST, "/v1/partners/%FF/game-types", boot),
        (Method::GET, "/v1/tenants/%FF/game-types", tk),
        (Method::PUT, "/v1/tenants/acme/game-types/%FF", tk),
        (Method::POST, "/v1/tenants/%FF/games", tk),
        (Method::GET, "/v1/tenants/acme/games/%FF", tk),
        (Method::GET, "/v1/play/actions/%FF", Some(&token)),
        (Method::POST, "/v1/tenants/acme/games/%FF/gm", tk),
        (
            Method::DELETE,
            "/v1/tenants/acme/games/g1/players/%FF/tokens",
            tk,
        ),
    ];
    for (m, path, k) in &paths {
        let g = raw(&s, m.clone(), path, *k, &[JSON], Some("{}")).await;
        is_error(
            &g,
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("{m} {path}"),
        );
        let g = raw(&s, m.clone(), path, None, &[JSON], Some("{}")).await;
        is_error(
            &g,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &format!("{m} {path} no key"),
        );
    }

    s.stop(db).await;
}
