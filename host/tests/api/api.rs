//! The HTTP API over real HTTP: a server on 127.0.0.1:0 with the store
//! (SQLite, and Postgres on the shared server), the embedded stream log and
//! the embedded leaderboard.

use crate::store_common;

use crate::api_common;

use api_common::{BODY_LIMIT, BOOT, Server, code};
use reqwest::{Method, StatusCode};
use serde_json::json;
use store_common::TestDb;

async fn tenancy(db: TestDb) {
    let s = Server::start(&db, |_| {}).await;
    let op = Some(BOOT);
    for t in ["acme", "globex"] {
        let (st, v) = s
            .call(
                Method::POST,
                "/v1/tenants",
                op,
                Some(json!({ "tenant_id": t, "name": t })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/tenants",
            op,
            Some(json!({ "tenant_id": "acme", "name": "again" })),
        )
        .await;
    assert_eq!((st, code(&v)), (StatusCode::CONFLICT, "conflict"));
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/tenants",
            op,
            Some(json!({ "tenant_id": "no:colons", "name": "x" })),
        )
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );

    let mut keys = Vec::new();
    for t in ["acme", "globex"] {
        let (st, v) = s
            .call(
                Method::POST,
                "/v1/keys",
                op,
                Some(json!({ "role": "tenant", "tenant_id": t })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let k = v["key"].as_str().unwrap().to_string();
        assert!(k.starts_with("vx_tenant_"));
        keys.push(k);
    }
    let (a, b) = (Some(keys[0].as_str()), Some(keys[1].as_str()));
    let (st, _) = s
        .call(
            Method::POST,
            "/v1/keys",
            op,
            Some(json!({ "role": "tenant", "tenant_id": "nope" })),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s
        .call(
            Method::POST,
            "/v1/keys",
            op,
            Some(json!({ "role": "tenant" })),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/partners",
            op,
            Some(json!({ "partner_id": "p1", "name": "P" })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/keys",
            op,
            Some(json!({ "role": "partner", "partner_id": "p1" })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let partner = v["key"].as_str().unwrap().to_string();

    // Revocation: a second partner key works until revoked, then is 401;
    // revoking again (or a malformed id) is 404; the other key still works.
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/keys",
            op,
            Some(json!({ "role": "partner", "partner_id": "p1" })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (doomed, doomed_id) = (
        v["key"].as_str().unwrap().to_string(),
        v["key_id"].as_str().unwrap().to_string(),
    );
    let listing = "/v1/partners/p1/game-types";
    let (st, _) = s.call(Method::GET, listing, Some(&doomed), None).await;
    assert_eq!(st, StatusCode::OK);
    let revoke = format!("/v1/keys/{doomed_id}");
    let (st, _) = s.call(Method::DELETE, &revoke, Some(&partner), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only operators revoke");
    let (st, v) = s.call(Method::DELETE, &revoke, op, None).await;
    assert_eq!((st, &v["revoked"]), (StatusCode::OK, &json!(true)), "{v}");
    let (st, _) = s.call(Method::GET, listing, Some(&doomed), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a revoked key is refused");
    let (st, _) = s.call(Method::DELETE, &revoke, op, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.call(Method::DELETE, "/v1/keys/%25", op, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.call(Method::GET, listing, Some(&partner), None).await;
    assert_eq!(st, StatusCode::OK);

    // The operator's listings: keys by public id (never a secret or a
    // hash), the revoked one marked; operators only.
    let (st, v) = s.call(Method::GET, "/v1/keys", op, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let keys = v["keys"].as_array().unwrap();
    let doomed_row = keys
        .iter()
        .find(|k| k["key_id"] == doomed_id.as_str())
        .expect("listed");
    assert_eq!(doomed_row["partner_id"], "p1");
    assert!(
        doomed_row["revoked_at_ms"].as_i64().is_some(),
        "{doomed_row}"
    );
    assert!(
        !v.to_string().contains(&doomed[doomed.len() - 16..]),
        "no secret: {v}"
    );
    assert!(
        keys.iter()
            .all(|k| k["key_id"].as_str().unwrap().len() == 16),
        "{v}"
    );
    let (st, v) = s.call(Method::GET, "/v1/tenants", op, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"acme") && ids.contains(&"globex"), "{v}");
    let (st, v) = s.call(Method::GET, "/v1/partners", op, None).await;
    assert_eq!(
        (st, &v["partners"][0]["id"]),
        (StatusCode::OK, &json!("p1")),
        "{v}"
    );
    for path in ["/v1/tenants", "/v1/partners", "/v1/keys"] {
        let (st, _) = s.call(Method::GET, path, a, None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path} for a tenant");
        let (st, _) = s.call(Method::GET, path, Some(&partner), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path} for a partner");
    }

    // The catalogue: the six built-ins, for any key.
    let (st, v) = s.call(Method::GET, "/v1/game-types", a, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["game_types"].as_array().unwrap().len(), 6);

    // Tenant A enables riddle and sees it.
    let (st, v) = s
        .call(
            Method::PUT,
            "/v1/tenants/acme/game-types/riddle",
            a,
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["enabled"], true);
    let (st, v) = s
        .call(Method::GET, "/v1/tenants/acme/game-types", a, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let riddle = v["game_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["game_type"] == "riddle")
        .unwrap();
    assert_eq!(riddle["enabled"], true);
    let (st, _) = s
        .call(
            Method::PUT,
            "/v1/tenants/acme/game-types/nosuch",
            a,
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Tenant B: A's routes answer exactly like a tenant that does not exist.
    let (st, other) = s
        .call(Method::GET, "/v1/tenants/acme/game-types", b, None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st2, missing) = s
        .call(Method::GET, "/v1/tenants/nope/game-types", b, None)
        .await;
    assert_eq!((st2, &missing), (StatusCode::NOT_FOUND, &other));
    let (st, _) = s
        .call(
            Method::PUT,
            "/v1/tenants/acme/game-types/bingo",
            b,
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The operator sees both; a missing tenant is 404 for it too.
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/globex/game-types", op, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/nope/game-types", op, None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // B's attempt changed nothing for A.
    let (_, v) = s
        .call(Method::GET, "/v1/tenants/acme/game-types", a, None)
        .await;
    let bingo = v["game_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["game_type"] == "bingo")
        .unwrap()
        .clone();
    assert_eq!(bingo["enabled"], false);

    // 401 and 403.
    let (st, v) = s.call(Method::GET, "/v1/game-types", None, None).await;
    assert_eq!((st, code(&v)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let (st, _) = s
        .call(Method::GET, "/v1/game-types", Some("vx_tenant_00"), None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/tenants",
            a,
            Some(json!({ "tenant_id": "evil", "name": "x" })),
        )
        .await;
    assert_eq!((st, code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    // The role is checked before the body is read.
    let (st, _) = s
        .call(Method::POST, "/v1/keys", a, Some(json!("RAW:{oops")))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .call(
            Method::GET,
            "/v1/tenants/acme/game-types",
            Some(&partner),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    s.stop(db).await;
}

#[tokio::test]
async fn bad_bodies_are_json_errors_and_change_nothing() {
    let db = TestDb::sqlite();
    let s = Server::start(&db, |_| {}).await;
    let op = Some(BOOT);
    let cases = [
        (
            json!("RAW:{\"tenant_id\": \"t1\", "),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({ "tenant_id": "t1", "name": "x", "admin": true }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({ "tenant_id": "t1" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({ "tenant_id": "t1", "name": "x".repeat(BODY_LIMIT) }),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (body, status, c) in cases {
        let (st, v) = s.call(Method::POST, "/v1/tenants", op, Some(body)).await;
        assert_eq!((st, code(&v)), (status, c), "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // No content type.
    let resp = s
        .client
        .post(format!("{}/v1/tenants", s.base))
        .bearer_auth(BOOT)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing was created: t1 is still free.
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/t1/game-types", op, None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s
        .call(
            Method::POST,
            "/v1/tenants",
            op,
            Some(json!({ "tenant_id": "t1", "name": "x" })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    // Unknown routes and methods answer in the same shape.
    let (st, v) = s.call(Method::GET, "/v1/nope", op, None).await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (st, v) = s.call(Method::DELETE, "/v1/tenants", op, None).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    s.stop(db).await;
}

#[tokio::test]
async fn probes_metrics_and_openapi() {
    let db = TestDb::sqlite();
    let s = Server::start(&db, |_| {}).await;
    let (st, v) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((st, &v["status"]), (StatusCode::OK, &json!("ok")));
    let (st, v) = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["checks"],
        json!({ "store": "ok", "streams": "ok", "leaderboard": "ok" })
    );

    let (st, text) = s.text("/metrics").await;
    assert_eq!(st, StatusCode::OK);
    assert!(text.contains("veltrix_outbox_pending 0\n"), "{text}");
    assert!(text.contains("veltrix_outbox_oldest_age_seconds"));
    assert!(
        text.contains(
            "veltrix_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    // A latency series for the route (the format puts `le` first).
    assert!(
        text.lines().any(
            |l| l.starts_with("veltrix_http_request_duration_seconds_bucket{")
                && l.contains("method=\"GET\",route=\"/healthz\"")
        ),
        "{text}"
    );

    let (st, doc) = s.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for r in veltrix_api::server::routes() {
        let m = r.method.as_str().to_lowercase();
        assert!(
            doc["paths"][r.path][&m].is_object(),
            "{m} {} missing",
            r.path
        );
    }
    s.stop(db).await;
}

crate::each_db!(tenancy => tenancy);
