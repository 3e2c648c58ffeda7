//! `GET /openapi.json`: an OpenAPI 3.1 document of every route. The body
//! schemas are generated from the handlers' own request and response
//! types (utoipa, see [`schemas`]); [`DOCS`] adds what a type cannot say
//! (method, path, who may call, summary, status) and must list exactly the
//! routes of [`super::server::routes`]: a test fails when they drift.

use std::sync::OnceLock;

use axum::Json;
use serde_json::{Value, json};

pub mod pages;
pub mod schemas;

use crate::games::{GameView, GmAction, NewGame, NewPlayer, PlayerToken, RevokedPlayerTokens};
use crate::operators::{
    Created, Health, IssuedKey, NewKey, NewPartner, NewTenant, Ready, RevokedKey,
};
use crate::partners::{PartnerGameTypes, PluginVersions, VersionView};
use crate::players::{ActBody, ActionAnswer, LeaderboardView, PendingAnswer, PlayView};
use crate::tenants::{Catalogue, GameTypeInfo, SetGameType, TenantGameTypeView, TenantGameTypes};
use schemas::{any_object, body, component, components, event_stream, text_schema};

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
    /// An operator key, or a partner key of the partner in the path.
    OperatorOrPartner,
    /// A player token (`vx_player_...`): its tenant, game and player.
    Player,
    /// The `vx_session` cookie.
    Session,
    /// A projector token (`vx_screen_...`) in the path.
    Screen,
}

impl Auth {
    fn describe(self) -> &'static str {
        match self {
            Self::Public => "none",
            Self::AnyKey => "any key",
            Self::Operator => "operator",
            Self::OperatorOrTenant => "operator, or tenant (own tenant only; others answer 404)",
            Self::OperatorOrPartner => "operator, or partner (own partner only; others answer 404)",
            Self::Player => "player token (vx_player_...) of the game",
            Self::Session => "the vx_session cookie",
            Self::Screen => "the projector token (vx_screen_...) in the path",
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

/// Every route, in router order.
pub static DOCS: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/healthz",
        auth: Auth::Public,
        summary: "The process is up",
        request: None,
        response: (200, body::<Health>),
    },
    RouteDoc {
        method: "get",
        path: "/readyz",
        auth: Auth::Public,
        summary: "Store, stream and leaderboard backends answer (503 names the failed ones)",
        request: None,
        response: (200, body::<Ready>),
    },
    RouteDoc {
        method: "get",
        path: "/metrics",
        auth: Auth::Public,
        summary: "OpenMetrics text (Prometheus reads it): outbox backlog, requests and latency per route",
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
        request: Some(body::<NewTenant>),
        response: (201, body::<Created>),
    },
    RouteDoc {
        method: "post",
        path: "/v1/partners",
        auth: Auth::Operator,
        summary: "Create a partner (409 if the id is taken)",
        request: Some(body::<NewPartner>),
        response: (201, body::<Created>),
    },
    RouteDoc {
        method: "post",
        path: "/v1/keys",
        auth: Auth::Operator,
        summary: "Issue an API key; the secret is returned only here",
        request: Some(body::<NewKey>),
        response: (201, body::<IssuedKey>),
    },
    RouteDoc {
        method: "delete",
        path: "/v1/keys/{key_id}",
        auth: Auth::Operator,
        summary: "Revoke a key by its public id (from the issue response); effective on the next request; 404 when no live key has the id",
        request: None,
        response: (200, body::<RevokedKey>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/game-types",
        auth: Auth::AnyKey,
        summary: "The game-type catalogue: the built-ins and the partners' uploads",
        request: None,
        response: (200, body::<Catalogue>),
    },
    RouteDoc {
        method: "post",
        path: super::partners::UPLOAD_PATH,
        auth: Auth::OperatorOrPartner,
        summary: "Upload a game-type component (application/wasm), checked like `veltrix plugin check`: 201 new version; 200 when these bytes were uploaded before; 409 built-in or another partner's type; 413 over api.max_component_bytes; 415 not application/wasm; 422 limit_exceeded over a [plugins.component] limit or the check's time or memory budget (the message names the limit, the value and the config field); 422 invalid the check failed (its failed steps are the message)",
        request: Some(component),
        response: (201, body::<VersionView>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/partners/{partner}/game-types",
        auth: Auth::OperatorOrPartner,
        summary: "The partner's game types, each at its latest version",
        request: None,
        response: (200, body::<PartnerGameTypes>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/partners/{partner}/game-types/{type}/versions",
        auth: Auth::OperatorOrPartner,
        summary: "Every version of one of the partner's game types, ascending",
        request: None,
        response: (200, body::<PluginVersions>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/game-types",
        auth: Auth::OperatorOrTenant,
        summary: "Every catalogue game type with the tenant's setting",
        request: None,
        response: (200, body::<TenantGameTypes>),
    },
    RouteDoc {
        method: "put",
        path: "/v1/tenants/{tenant}/game-types/{type}",
        auth: Auth::OperatorOrTenant,
        summary: "Enable or disable a game type for the tenant",
        request: Some(body::<SetGameType>),
        response: (200, body::<TenantGameTypeView>),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games",
        auth: Auth::OperatorOrTenant,
        summary: "Create a game of an enabled type (422: type not enabled, or config refused by the game type)",
        request: Some(body::<NewGame>),
        response: (201, body::<GameView>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/games/{game}",
        auth: Auth::OperatorOrTenant,
        summary: "A game",
        request: None,
        response: (200, body::<GameView>),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games/{game}/players",
        auth: Auth::OperatorOrTenant,
        summary: "Issue a player token for the game; the secret is returned only here",
        request: Some(body::<NewPlayer>),
        response: (201, body::<PlayerToken>),
    },
    RouteDoc {
        method: "delete",
        path: "/v1/tenants/{tenant}/games/{game}/players/{player}/tokens",
        auth: Auth::OperatorOrTenant,
        summary: "Revoke all of a player's tokens in the game (every device); effective on the next request; 404 when the player holds none",
        request: None,
        response: (200, body::<RevokedPlayerTokens>),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games/{game}/gm",
        auth: Auth::OperatorOrTenant,
        summary: "A game-master action (start, pause, resume, end, grant, revoke, judge...), answered with its outcome",
        request: Some(body::<GmAction>),
        response: (200, body::<ActionAnswer>),
    },
    RouteDoc {
        method: "post",
        path: "/v1/play/actions",
        auth: Auth::Player,
        summary: "Submit an action (Idempotency-Key header required; a retry replays the first answer with Idempotency-Replayed: true; 202 pending when the outcome is not there within api.action_timeout_ms: the action applies once and a retry of the key or GET /v1/play/actions/{action_id} gives its outcome; 422 other body)",
        request: Some(body::<ActBody>),
        response: (200, body::<ActionAnswer>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/actions/{action_id}",
        auth: Auth::Player,
        summary: "The stored outcome of one of the caller's actions (200), pending (202) or 404",
        request: None,
        response: (200, body::<ActionAnswer>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/leaderboard",
        auth: Auth::Player,
        summary: "Top n (?board=players|teams&n=10), the caller's standing and neighbours",
        request: None,
        response: (200, body::<LeaderboardView>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/view",
        auth: Auth::Player,
        summary: "The caller's view of their game (status, score, the game type's summary), from the game's current state",
        request: None,
        response: (200, body::<PlayView>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/game-type",
        auth: Auth::Player,
        summary: "The catalogue entry of the caller's game at its pinned version (action kinds, roles, payload schemas): what the player app builds its forms from",
        request: None,
        response: (200, body::<GameTypeInfo>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/play/feed",
        auth: Auth::Player,
        summary: "Server-Sent Events: the caller's view (whole, then patches when it changes), the game's status changes, the caller's point deltas",
        request: None,
        response: (200, event_stream),
    },
];

/// Every `error.code` the API answers ([`super::ApiError::code`]).
const ERROR_CODES: [&str; 13] = [
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "invalid",
    "limit_exceeded",
    "internal",
    "unavailable",
    "overloaded",
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": { "error": {
            "type": "object",
            "properties": { "code": { "enum": ERROR_CODES }, "message": { "type": "string" } },
            "required": ["code", "message"],
        } },
        "required": ["error"],
    })
}

fn is_upload(doc: &RouteDoc) -> bool {
    doc.method == "post" && doc.path == super::partners::UPLOAD_PATH
}

/// Every documented route: [`DOCS`], then the pages' ([`pages::DOCS`]).
pub fn all_docs() -> impl Iterator<Item = &'static RouteDoc> {
    DOCS.iter().chain(pages::DOCS)
}

fn operation(doc: &RouteDoc) -> Value {
    let mut responses = serde_json::Map::new();
    let (status, schema) = doc.response;
    let media = if let Some(m) = pages::media(doc.path) {
        m
    } else if doc.path == "/metrics" {
        "application/openmetrics-text"
    } else if doc.path == "/v1/play/feed" {
        "text/event-stream"
    } else {
        "application/json"
    };
    responses.insert(
        status.to_string(),
        json!({ "description": "success", "content": { media: { "schema": schema() } } }),
    );
    // Actions answer 202 when their outcome is not there in time.
    if doc.path.starts_with("/v1/play/actions") || doc.path.ends_with("/gm") {
        responses.insert(
            "202".into(),
            json!({ "description": "pending: durable, applies once; retry the key or GET /v1/play/actions/{action_id}", "content": { media: { "schema": body::<PendingAnswer>() } } }),
        );
    }
    if is_upload(doc) {
        responses.insert(
            "200".into(),
            json!({ "description": "these bytes were uploaded before: the stored version", "content": { media: { "schema": schema() } } }),
        );
    }
    responses.insert(
        "default".into(),
        json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
    );
    let mut op = json!({
        "summary": doc.summary,
        "x-veltrix-auth": doc.auth.describe(),
        "responses": responses,
    });
    match doc.auth {
        Auth::Public | Auth::Screen => {}
        Auth::Session => op["security"] = json!([{ "session": [] }]),
        Auth::Player => op["security"] = json!([{ "bearer": [] }]),
        // Every route taking a key also takes the session cookie.
        _ => op["security"] = json!([{ "bearer": [] }, { "session": [] }]),
    }
    let mut params: Vec<Value> = doc
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if doc.path == "/v1/play/actions" {
        params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": true, "description": "exactly one; 400 when missing, empty, too long or repeated", "schema": { "type": "string", "minLength": 1, "maxLength": super::extract::MAX_IDEMPOTENCY_KEY } }));
    }
    if doc.path == "/v1/play/leaderboard" {
        params.push(json!({ "name": "board", "in": "query", "required": false, "schema": { "enum": ["players", "teams"], "default": "players" } }));
        params.push(json!({ "name": "n", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": veltrix_leaderboard::MAX_PAGE, "default": 10 } }));
    }
    if !params.is_empty() {
        op["parameters"] = params.into();
    }
    if let Some(req) = doc.request {
        let media = if is_upload(doc) {
            super::partners::WASM
        } else {
            pages::request_media(doc.path).unwrap_or("application/json")
        };
        op["requestBody"] = json!({ "required": true, "content": { media: { "schema": req() } } });
    }
    op
}

/// The whole document.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut paths = serde_json::Map::new();
        for d in all_docs() {
            let entry = paths.entry(d.path).or_insert_with(|| json!({}));
            entry[d.method] = operation(d);
        }
        let mut bodies = components();
        bodies.insert("Error".into(), error_schema());
        json!({
            "openapi": "3.1.0",
            "info": { "title": "Veltrix host API", "version": env!("CARGO_PKG_VERSION") },
            "paths": paths,
            "components": {
                "schemas": bodies,
                "securitySchemes": {
                    "bearer": { "type": "http", "scheme": "bearer", "description": "vx_<role>_<hex> API key, or vx_player_<hex> player token on /v1/play" },
                    "session": { "type": "apiKey", "in": "cookie", "name": "vx_session", "description": "from POST /v1/session; requests other than GET/HEAD also need the header X-Veltrix-Csrf: 1" },
                },
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
    use crate::ApiError;

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let mut routed: Vec<(String, String)> = super::super::server::routes()
            .iter()
            .map(|r| (r.method.as_str().to_lowercase(), r.path.to_string()))
            .collect();
        let mut documented: Vec<(String, String)> = all_docs()
            .map(|d| (d.method.to_string(), d.path.to_string()))
            .collect();
        routed.sort();
        documented.sort();
        assert_eq!(routed, documented);
        let doc = document();
        let codes: Vec<&str> = [
            ApiError::BadRequest(String::new()),
            ApiError::Unauthorized,
            ApiError::Forbidden(String::new()),
            ApiError::NotFound(String::new()),
            ApiError::MethodNotAllowed,
            ApiError::Conflict(String::new()),
            ApiError::PayloadTooLarge(0),
            ApiError::UnsupportedMediaType(""),
            ApiError::Invalid(String::new()),
            ApiError::LimitExceeded(String::new()),
            ApiError::Internal,
            ApiError::Unavailable(String::new()),
            ApiError::Overloaded {
                message: String::new(),
                retry_after_s: 1,
            },
        ]
        .iter()
        .map(ApiError::code)
        .collect();
        assert_eq!(codes, ERROR_CODES);
        // No wildcard: a new variant does not compile until listed above.
        let _ = |e: &ApiError| match e {
            ApiError::BadRequest(_)
            | ApiError::Unauthorized
            | ApiError::Forbidden(_)
            | ApiError::NotFound(_)
            | ApiError::MethodNotAllowed
            | ApiError::Conflict(_)
            | ApiError::PayloadTooLarge(_)
            | ApiError::UnsupportedMediaType(_)
            | ApiError::Invalid(_)
            | ApiError::LimitExceeded(_)
            | ApiError::Internal
            | ApiError::Unavailable(_)
            | ApiError::Overloaded { .. } => {}
        };
        for (m, p) in &routed {
            assert!(doc["paths"][p][m].is_object(), "{m} {p} missing");
        }
    }

    #[test]
    fn body_schemas_come_from_the_handlers_types() {
        let doc = document();
        if let Ok(path) = std::env::var("VELTRIX_DUMP_OPENAPI") {
            std::fs::write(path, serde_json::to_string_pretty(doc).expect("json")).expect("dump");
        }
        let schemas = &doc["components"]["schemas"];
        // Every $ref in the document names a component.
        let text = doc.to_string();
        for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &r[..r.find('"').expect("closing quote")];
            assert!(schemas[name].is_object(), "dangling $ref {name}");
        }
        // What the types say reaches the document: required fields, the
        // id pattern, unknown fields refused, an enum's variants.
        let t = &schemas["NewTenant"];
        assert_eq!(t["required"], json!(["tenant_id", "name"]));
        assert_eq!(
            t["properties"]["tenant_id"]["pattern"],
            "^[A-Za-z0-9_.-]{1,64}$"
        );
        assert_eq!(t["additionalProperties"], json!(false));
        assert_eq!(
            t["properties"]["name"]["maxLength"],
            json!(crate::operators::MAX_NAME)
        );
        let role = schemas["Role"].to_string();
        for r in ["operator", "partner", "tenant"] {
            assert!(role.contains(r), "{role}");
        }
        let result = schemas["ActionResult"].to_string();
        for r in ["applied", "rejected", "faulted", "unknown_game", "minted"] {
            assert!(result.contains(r), "{result}");
        }
        let play = &doc["paths"]["/v1/play/actions"]["post"];
        assert_eq!(
            play["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ActBody"
        );
        assert!(play["responses"]["202"].is_object());
    }
}
