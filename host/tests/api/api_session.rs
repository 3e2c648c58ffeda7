//! Browser sessions over real HTTP (docs/screens.md, "Sessions"): an API
//! key exchanged for a `vx_session` cookie, the cookie accepted wherever a
//! key is, the CSRF header on writes, and the ways a session ends (logout,
//! the key's revocation), on SQLite and Postgres.

use crate::api_common;
use crate::store_common;

use api_common::{BOOT, Server, code, tenant_with};
use reqwest::header::SET_COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use store_common::TestDb;

/// `POST /v1/session`: status, the `Set-Cookie` header (if any), body.
async fn login(s: &Server, key: &str) -> (StatusCode, Option<String>, Value) {
    let resp = s
        .client
        .post(format!("{}/v1/session", s.base))
        .json(&json!({ "key": key }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let cookie = resp
        .headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_string());
    (status, cookie, resp.json().await.unwrap_or(Value::Null))
}

/// The session secret of a `Set-Cookie` value.
fn secret(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap();
    first.strip_prefix("vx_session=").unwrap().to_string()
}

/// A request authenticated by the cookie alone, with `extra` headers.
async fn with_cookie(
    s: &Server,
    method: Method,
    path: &str,
    secret: &str,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let cookie = format!("theme=dark; vx_session={secret}");
    let mut headers = vec![("cookie", cookie.as_str())];
    headers.extend_from_slice(extra);
    let r = s.send(method, path, None, &headers, body).await;
    (r.status, r.json())
}

const CSRF: (&str, &str) = ("x-veltrix-csrf", "1");

async fn sessions(db: TestDb) {
    let s = Server::start(&db, |_| {}).await;
    let key = tenant_with(&s, "acme", &["riddle"]).await;
    tenant_with(&s, "other", &["riddle"]).await;

    // A bad key: 401, and no cookie.
    let (st, cookie, body) = login(&s, &format!("vx_tenant_{}", "0".repeat(64))).await;
    assert_eq!(
        (st, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    assert!(cookie.is_none(), "{cookie:?}");

    // A good key: who it is, and the cookie with its attributes.
    let (st, cookie, body) = login(&s, &key).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "tenant");
    assert_eq!(body["tenant_id"], "acme");
    assert!(body["expires_at_ms"].as_i64().unwrap() > 0);
    let cookie = cookie.expect("a Set-Cookie header");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let sid = secret(&cookie);
    assert_eq!(sid.len(), 64, "{cookie}");

    // Only the secret's SHA-256 is stored.
    let stored: Vec<String> = sqlx::query("SELECT session_hash FROM sessions")
        .fetch_all(s.state.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("session_hash"))
        .collect();
    assert_eq!(stored, vec![hex::encode(Sha256::digest(sid.as_bytes()))]);

    // The cookie works on a tenant route, and says who it is.
    let (st, v) = with_cookie(
        &s,
        Method::GET,
        "/v1/tenants/acme/game-types",
        &sid,
        &[],
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = with_cookie(&s, Method::GET, "/v1/session", &sid, &[], None).await;
    assert_eq!(
        (st, &v["tenant_id"]),
        (StatusCode::OK, &json!("acme")),
        "{v}"
    );

    // Another tenant's route: 404, as with the key.
    let (st, v) = with_cookie(&s, Method::GET, "/v1/tenants/other/games", &sid, &[], None).await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{v}");

    // A write without the CSRF header: 403, nothing created; with it: 201.
    let game = json!({ "game_id": "g1", "game_type": "riddle", "config": { "challenges": [{ "id": "c1", "answers": ["a"], "points": 1 }] } });
    let (st, v) = with_cookie(
        &s,
        Method::POST,
        "/v1/tenants/acme/games",
        &sid,
        &[],
        Some(game.clone()),
    )
    .await;
    assert_eq!((st, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let (st, v) = with_cookie(&s, Method::GET, "/v1/tenants/acme/games", &sid, &[], None).await;
    assert_eq!(
        (st, v["games"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "{v}"
    );
    let (st, v) = with_cookie(
        &s,
        Method::POST,
        "/v1/tenants/acme/games",
        &sid,
        &[CSRF],
        Some(game),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // A bearer request needs no CSRF header.
    let r = s
        .req(Method::GET, "/v1/tenants/acme/games", &key, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);

    // An unknown cookie is 401, like no credential.
    let (st, _) = with_cookie(&s, Method::GET, "/v1/tenants/acme/games", "beef", &[], None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Logout: needs the CSRF header too, then ends the session.
    let (st, _) = with_cookie(&s, Method::DELETE, "/v1/session", &sid, &[], None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let c = format!("vx_session={sid}");
    let r = s
        .send(
            Method::DELETE,
            "/v1/session",
            None,
            &[("cookie", c.as_str()), CSRF],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    for path in ["/v1/tenants/acme/games", "/v1/session"] {
        let (st, _) = with_cookie(&s, Method::GET, path, &sid, &[], None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{path}");
    }

    // Revoking the key ends its sessions.
    let r = s
        .req(
            Method::POST,
            "/v1/keys",
            BOOT,
            Some(json!({ "role": "tenant", "tenant_id": "acme" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let (key2, key_id) = (
        r.json()["key"].as_str().unwrap().to_string(),
        r.json()["key_id"].as_str().unwrap().to_string(),
    );
    let (_, cookie, _) = login(&s, &key2).await;
    let sid2 = secret(&cookie.unwrap());
    let (st, _) = with_cookie(&s, Method::GET, "/v1/tenants/acme/games", &sid2, &[], None).await;
    assert_eq!(st, StatusCode::OK);
    let r = s
        .req(Method::DELETE, &format!("/v1/keys/{key_id}"), BOOT, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let (st, _) = with_cookie(&s, Method::GET, "/v1/tenants/acme/games", &sid2, &[], None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = with_cookie(&s, Method::GET, "/v1/session", &sid2, &[], None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // And the revoked key cannot open a new one.
    let (st, cookie, _) = login(&s, &key2).await;
    assert_eq!((st, cookie), (StatusCode::UNAUTHORIZED, None));

    // An operator session (the bootstrap key) reaches any tenant.
    let (st, cookie, body) = login(&s, BOOT).await;
    assert_eq!(
        (st, &body["role"]),
        (StatusCode::OK, &json!("operator")),
        "{body}"
    );
    let sid3 = secret(&cookie.unwrap());
    let (st, _) = with_cookie(&s, Method::GET, "/v1/tenants/other/games", &sid3, &[], None).await;
    assert_eq!(st, StatusCode::OK);

    s.stop(db).await;
}

crate::each_db!(session => sessions);
