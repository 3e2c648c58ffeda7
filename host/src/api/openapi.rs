//! `GET /openapi.json`: an OpenAPI 3.1 document of every route, built by
//! hand with `serde_json`. [`DOCS`] must list exactly the routes of
//! [`super::server::routes`]; a test fails when they drift.

use std::sync::OnceLock;

use axum::Json;
use serde_json::{Value, json};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No key.
    Public,
    /// Any valid key.
    AnyKey,
    /// An operator key.
    Operator,
    /// An operator key, or a tenant key of the tenant in the path.
    OperatorOrTenant,
    /// A player token (`vx_player_...`): its tenant, game and player.
    Player,
}

impl Auth {
    fn describe(self) -> &'static str {
        match self {
            Self::Public => "none",
            Self::AnyKey => "any key",
            Self::Operator => "operator",
            Self::OperatorOrTenant => "operator, or tenant (own tenant only; others answer 404)",
            Self::Player => "player token (vx_player_...) of the game",
        }
    }
}

/// One documented route.
#[derive(Debug)]
pub struct RouteDoc {
    /// Lower-case method, as OpenAPI spells it.
    pub method: &'static str,
    /// Path pattern, as the router spells it.
    pub path: &'static str,
    /// Who may call it.
    pub auth: Auth,
    /// One line.
    pub summary: &'static str,
    /// Request body schema.
    pub request: Option<fn() -> Value>,
    /// Success status and its body schema.
    pub response: (u16, fn() -> Value),
}

fn id_schema() -> Value {
    json!({ "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" })
}

fn name_schema() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": super::operators::MAX_NAME })
}

fn object(props: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

fn status_schema() -> Value {
    object(json!({ "status": { "type": "string" } }), &["status"])
}

fn ready_schema() -> Value {
    object(
        json!({ "status": { "type": "string" }, "checks": { "type": "object", "additionalProperties": { "enum": ["ok", "failed"] } } }),
        &["status", "checks"],
    )
}

fn text_schema() -> Value {
    json!({ "type": "string", "description": "Prometheus text format 0.0.4" })
}

fn any_object() -> Value {
    json!({ "type": "object" })
}

fn new_tenant() -> Value {
    object(
        json!({ "tenant_id": id_schema(), "name": name_schema() }),
        &["tenant_id", "name"],
    )
}

fn new_partner() -> Value {
    object(
        json!({ "partner_id": id_schema(), "name": name_schema() }),
        &["partner_id", "name"],
    )
}

fn created() -> Value {
    object(
        json!({ "id": id_schema(), "name": name_schema(), "created_at_ms": { "type": "integer" } }),
        &["id", "name", "created_at_ms"],
    )
}

fn role() -> Value {
    json!({ "enum": ["operator", "partner", "tenant"] })
}

fn new_key() -> Value {
    object(
        json!({ "role": role(), "tenant_id": id_schema(), "partner_id": id_schema() }),
        &["role"],
    )
}

fn issued_key() -> Value {
    object(
        json!({
            "key": { "type": "string", "description": "vx_<role>_<64 hex>; shown only once" },
            "role": role(),
            "tenant_id": { "type": ["string", "null"] },
            "partner_id": { "type": ["string", "null"] },
        }),
        &["key", "role", "tenant_id", "partner_id"],
    )
}

fn catalogue() -> Value {
    let item = object(
        json!({
            "name": { "type": "string" },
            "version": { "type": "string" },
            "action_kinds": { "type": "array", "items": { "type": "string" } },
            "source": { "type": "string" },
        }),
        &["name", "version", "action_kinds", "source"],
    );
    object(
        json!({ "game_types": { "type": "array", "items": item } }),
        &["game_types"],
    )
}

fn set_game_type() -> Value {
    object(json!({ "enabled": { "type": "boolean" } }), &["enabled"])
}

fn tenant_game_type() -> Value {
    object(
        json!({
            "game_type": { "type": "string" },
            "enabled": { "type": "boolean" },
            "updated_at_ms": { "type": ["integer", "null"] },
        }),
        &["game_type", "enabled", "updated_at_ms"],
    )
}

fn tenant_game_types() -> Value {
    object(
        json!({ "tenant_id": id_schema(), "game_types": { "type": "array", "items": tenant_game_type() } }),
        &["tenant_id", "game_types"],
    )
}

fn new_game() -> Value {
    object(
        json!({
            "game_id": id_schema(),
            "game_type": { "type": "string" },
            "config": { "type": "object", "description": "the game type's config (its JSON Schema)" },
            "seed": { "type": "integer", "minimum": 0, "description": "random when absent" },
        }),
        &["game_id", "game_type", "config"],
    )
}

fn game() -> Value {
    object(
        json!({
            "tenant_id": id_schema(),
            "game_id": id_schema(),
            "game_type": { "type": "string" },
            "plugin_hash": { "type": "string" },
            "status": { "enum": ["waiting", "running", "paused", "finished"] },
            "seed": { "type": "integer" },
            "config": { "type": "object" },
            "created_at_ms": { "type": "integer" },
        }),
        &[
            "tenant_id",
            "game_id",
            "game_type",
            "plugin_hash",
            "status",
            "seed",
            "config",
            "created_at_ms",
        ],
    )
}

fn new_player() -> Value {
    object(
        json!({ "player_id": id_schema(), "team_id": id_schema() }),
        &["player_id"],
    )
}

fn player_token() -> Value {
    object(
        json!({
            "token": { "type": "string", "description": "vx_player_<64 hex>; shown only once" },
            "tenant_id": id_schema(),
            "game_id": id_schema(),
            "player_id": id_schema(),
            "team_id": { "type": ["string", "null"] },
        }),
        &["token", "tenant_id", "game_id", "player_id", "team_id"],
    )
}

fn gm_action() -> Value {
    object(
        json!({ "kind": { "type": "string" }, "payload": { "description": "kind-specific JSON; {} when absent" } }),
        &["kind"],
    )
}

fn play_action() -> Value {
    object(
        json!({
            "kind": { "type": "string" },
            "payload": { "description": "kind-specific JSON; {} when absent" },
            "location": object(
                json!({ "lat": { "type": "number" }, "lon": { "type": "number" }, "accuracy_m": { "type": "number" } }),
                &["lat", "lon", "accuracy_m"],
            ),
        }),
        &["kind"],
    )
}

fn action_result() -> Value {
    json!({
        "type": "object",
        "description": "result: applied | rejected | faulted | unknown_game | pending (not applied in api.action_timeout_ms; it will be), with its fields",
        "properties": {
            "result": { "enum": ["applied", "rejected", "faulted", "unknown_game", "pending"] },
            "action_id": { "type": "string" },
            "game_id": { "type": "string" },
        },
        "required": ["result", "action_id", "game_id"],
    })
}

fn standing() -> Value {
    object(
        json!({ "id": { "type": "string" }, "score": { "type": "integer" }, "rank": { "type": "integer" }, "reached_at_ms": { "type": "integer" } }),
        &["id", "score", "rank", "reached_at_ms"],
    )
}

fn leaderboard() -> Value {
    object(
        json!({
            "game_id": id_schema(),
            "board": { "enum": ["players", "teams"] },
            "top": { "type": "array", "items": standing() },
            "me": { "oneOf": [standing(), { "type": "null" }] },
            "around": { "type": "array", "items": standing() },
        }),
        &["game_id", "board", "top", "me", "around"],
    )
}

fn event_stream() -> Value {
    json!({ "type": "string", "description": "text/event-stream: `delta` events {game_id, player_id, points, status, action_id, at_ms}; `lagged` when some were skipped" })
}

/// Every route, in router order.
pub static DOCS: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/healthz",
        auth: Auth::Public,
        summary: "The process is up",
        request: None,
        response: (200, status_schema),
    },
    RouteDoc {
        method: "get",
        path: "/readyz",
        auth: Auth::Public,
        summary: "Store, stream and leaderboard backends answer (503 names the failed ones)",
        request: None,
        response: (200, ready_schema),
    },
    RouteDoc {
        method: "get",
        path: "/metrics",
        auth: Auth::Public,
        summary: "Prometheus metrics: outbox backlog, requests and latency per route",
        request: None,
        response: (200, text_schema),
    },
    RouteDoc {
        method: "get",
        path: "/openapi.json",
        auth: Auth::Public,
        summary: "This document",
        request: None,
        response: (200, any_object),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants",
        auth: Auth::Operator,
        summary: "Create a tenant (409 if the id is taken)",
        request: Some(new_tenant),
        response: (201, created),
    },
    RouteDoc {
        method: "post",
        path: "/v1/partners",
        auth: Auth::Operator,
        summary: "Create a partner (409 if the id is taken)",
        request: Some(new_partner),
        response: (201, created),
    },
    RouteDoc {
        method: "post",
        path: "/v1/keys",
        auth: Auth::Operator,
        summary: "Issue an API key; the secret is returned only here",
        request: Some(new_key),
        response: (201, issued_key),
    },
    RouteDoc {
        method: "get",
        path: "/v1/game-types",
        auth: Auth::AnyKey,
        summary: "The game-type catalogue",
        request: None,
        response: (200, catalogue),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/game-types",
        auth: Auth::OperatorOrTenant,
        summary: "Every catalogue game type with the tenant's setting",
        request: None,
        response: (200, tenant_game_types),
    },
    RouteDoc {
        method: "put",
        path: "/v1/tenants/{tenant}/game-types/{type}",
        auth: Auth::OperatorOrTenant,
        summary: "Enable or disable a game type for the tenant",
        request: Some(set_game_type),
        response: (200, tenant_game_type),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games",
        auth: Auth::OperatorOrTenant,
        summary: "Create a game of an enabled type (422: type not enabled, or config refused by the game type)",
        request: Some(new_game),
        response: (201, game),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/games/{game}",
        auth: Auth::OperatorOrTenant,
        summary: "A game",
        request: None,
        response: (200, game),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games/{game}/players",
        auth: Auth::OperatorOrTenant,
        summary: "Issue a player token for the game; the secret is returned only here",
        request: Some(new_player),
        response: (201, player_token),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games/{game}/gm",
        auth: Auth::OperatorOrTenant,
        summary: "A game-master action (start, pause, resume, end, grant, revoke, judge...), answered with its outcome",
        request: Some(gm_action),
        response: (200, action_result),
    },
    RouteDoc {
        method: "post",
        path: "/v1/play/actions",
        auth: Auth::Player,
        summary: "Submit an action (Idempotency-Key header required; a retry replays the first answer with Idempotency-Replayed: true; 409 in progress; 422 other body)",
        request: Some(play_action),
        response: (200, action_result),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/leaderboard",
        auth: Auth::Player,
        summary: "Top n (?board=players|teams&n=10), the caller's standing and neighbours",
        request: None,
        response: (200, leaderboard),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/feed",
        auth: Auth::Player,
        summary: "Server-Sent Events: the caller's deltas",
        request: None,
        response: (200, event_stream),
    },
];

fn error_schema() -> Value {
    object(
        json!({ "error": object(
            json!({ "code": { "type": "string" }, "message": { "type": "string" } }),
            &["code", "message"],
        ) }),
        &["error"],
    )
}

fn operation(doc: &RouteDoc) -> Value {
    let mut responses = serde_json::Map::new();
    let (status, schema) = doc.response;
    let media = if doc.path == "/metrics" {
        "text/plain"
    } else if doc.path == "/v1/play/feed" {
        "text/event-stream"
    } else {
        "application/json"
    };
    responses.insert(
        status.to_string(),
        json!({ "description": "success", "content": { media: { "schema": schema() } } }),
    );
    responses.insert(
        "default".into(),
        json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
    );
    let mut op = json!({
        "summary": doc.summary,
        "x-veltrix-auth": doc.auth.describe(),
        "responses": responses,
    });
    if doc.auth != Auth::Public {
        op["security"] = json!([{ "bearer": [] }]);
    }
    let mut params: Vec<Value> = doc
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if doc.path == "/v1/play/actions" {
        params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": super::players::MAX_IDEMPOTENCY_KEY } }));
    }
    if doc.path == "/v1/play/leaderboard" {
        params.push(json!({ "name": "board", "in": "query", "required": false, "schema": { "enum": ["players", "teams"], "default": "players" } }));
        params.push(json!({ "name": "n", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": crate::leaderboard::MAX_PAGE, "default": 10 } }));
    }
    if !params.is_empty() {
        op["parameters"] = params.into();
    }
    if let Some(req) = doc.request {
        op["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": req() } } });
    }
    op
}

/// The whole document.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut paths = serde_json::Map::new();
        for d in DOCS {
            let entry = paths.entry(d.path).or_insert_with(|| json!({}));
            entry[d.method] = operation(d);
        }
        json!({
            "openapi": "3.1.0",
            "info": { "title": "Veltrix host API", "version": env!("CARGO_PKG_VERSION") },
            "paths": paths,
            "components": {
                "schemas": { "Error": error_schema() },
                "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "vx_<role>_<hex> API key, or vx_player_<hex> player token on /v1/play" } },
            },
        })
    })
}

/// `GET /openapi.json`.
pub async fn serve_document() -> Json<Value> {
    Json(document().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let mut routed: Vec<(String, String)> = super::super::server::routes()
            .iter()
            .map(|r| (r.method.as_str().to_lowercase(), r.path.to_string()))
            .collect();
        let mut documented: Vec<(String, String)> = DOCS
            .iter()
            .map(|d| (d.method.to_string(), d.path.to_string()))
            .collect();
        routed.sort();
        documented.sort();
        assert_eq!(routed, documented);
        let doc = document();
        for (m, p) in &routed {
            assert!(doc["paths"][p][m].is_object(), "{m} {p} missing");
        }
    }
}
