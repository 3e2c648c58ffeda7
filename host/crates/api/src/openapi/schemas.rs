//! The JSON Schemas of the request and response bodies in
//! [`super::DOCS`], one function each (`fn() -> Value`, so [`super::DOCS`]
//! stays a static table).

use serde_json::{Value, json};

pub(super) fn id_schema() -> Value {
    json!({ "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$", "not": { "enum": [".", ".."] } })
}

pub(super) fn name_schema() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": crate::operators::MAX_NAME })
}

pub(super) fn object(props: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

pub(super) fn status_schema() -> Value {
    object(json!({ "status": { "type": "string" } }), &["status"])
}

pub(super) fn ready_schema() -> Value {
    object(
        json!({ "status": { "type": "string" }, "checks": { "type": "object", "additionalProperties": { "enum": ["ok", "failed"] } } }),
        &["status", "checks"],
    )
}

pub(super) fn text_schema() -> Value {
    json!({ "type": "string", "description": "OpenMetrics text format 1.0.0" })
}

pub(super) fn any_object() -> Value {
    json!({ "type": "object" })
}

pub(super) fn new_tenant() -> Value {
    object(
        json!({ "tenant_id": id_schema(), "name": name_schema() }),
        &["tenant_id", "name"],
    )
}

pub(super) fn new_partner() -> Value {
    object(
        json!({ "partner_id": id_schema(), "name": name_schema() }),
        &["partner_id", "name"],
    )
}

pub(super) fn created() -> Value {
    object(
        json!({ "id": id_schema(), "name": name_schema(), "created_at_ms": { "type": "integer" } }),
        &["id", "name", "created_at_ms"],
    )
}

pub(super) fn role() -> Value {
    json!({ "enum": ["operator", "partner", "tenant"] })
}

pub(super) fn new_key() -> Value {
    object(
        json!({ "role": role(), "tenant_id": id_schema(), "partner_id": id_schema() }),
        &["role"],
    )
}

pub(super) fn issued_key() -> Value {
    object(
        json!({
            "key": { "type": "string", "description": "vx_<role>_<64 hex>; shown only once" },
            "key_id": { "type": "string", "description": "public id: the first 16 hex of the key's SHA-256" },
            "role": role(),
            "tenant_id": { "type": ["string", "null"] },
            "partner_id": { "type": ["string", "null"] },
        }),
        &["key", "key_id", "role", "tenant_id", "partner_id"],
    )
}

pub(super) fn revoked_key() -> Value {
    object(
        json!({ "key_id": { "type": "string" }, "revoked": { "type": "boolean" } }),
        &["key_id", "revoked"],
    )
}

pub(super) fn revoked_player_tokens() -> Value {
    object(
        json!({ "player_id": { "type": "string" }, "revoked": { "type": "integer", "minimum": 1 } }),
        &["player_id", "revoked"],
    )
}

pub(super) fn catalogue() -> Value {
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

pub(super) fn set_game_type() -> Value {
    object(json!({ "enabled": { "type": "boolean" } }), &["enabled"])
}

pub(super) fn tenant_game_type() -> Value {
    object(
        json!({
            "game_type": { "type": "string" },
            "enabled": { "type": "boolean" },
            "updated_at_ms": { "type": ["integer", "null"] },
        }),
        &["game_type", "enabled", "updated_at_ms"],
    )
}

pub(super) fn tenant_game_types() -> Value {
    object(
        json!({ "tenant_id": id_schema(), "game_types": { "type": "array", "items": tenant_game_type() } }),
        &["tenant_id", "game_types"],
    )
}

pub(super) fn new_game() -> Value {
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

pub(super) fn game() -> Value {
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

pub(super) fn new_player() -> Value {
    object(
        json!({ "player_id": id_schema(), "team_id": id_schema() }),
        &["player_id"],
    )
}

pub(super) fn player_token() -> Value {
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

pub(super) fn gm_action() -> Value {
    object(
        json!({ "kind": { "type": "string" }, "payload": { "description": "kind-specific JSON; {} when absent" } }),
        &["kind"],
    )
}

pub(super) fn play_action() -> Value {
    object(
        json!({
            "kind": { "type": "string" },
            "payload": { "description": "kind-specific JSON; {} when absent" },
            "location": object(
                json!({
                    "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                    "lon": { "type": "number", "minimum": -180, "maximum": 180 },
                    "accuracy_m": { "type": "number", "minimum": 0, "maximum": f32::MAX },
                }),
                &["lat", "lon", "accuracy_m"],
            ),
        }),
        &["kind"],
    )
}

pub(super) fn action_result() -> Value {
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

pub(super) fn standing() -> Value {
    object(
        json!({ "id": { "type": "string" }, "score": { "type": "integer" }, "rank": { "type": "integer" }, "reached_at_ms": { "type": "integer" } }),
        &["id", "score", "rank", "reached_at_ms"],
    )
}

pub(super) fn leaderboard() -> Value {
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

pub(super) fn event_stream() -> Value {
    json!({ "type": "string", "description": "text/event-stream: `delta` events {game_id, player_id, points, status, action_id, at_ms}; `lagged` when some were skipped" })
}

pub(super) fn component() -> Value {
    json!({ "type": "string", "format": "binary", "description": "the component's bytes (content-type application/wasm), at most api.max_component_bytes" })
}

pub(super) fn plugin_version() -> Value {
    object(
        json!({
            "game_type": { "type": "string" },
            "version": { "type": "integer", "minimum": 1, "description": "1..n per game type, in upload order" },
            "hash": { "type": "string", "description": "hex SHA-256 of the component" },
            "plugin_version": { "type": "string", "description": "the component's describe() version" },
            "size": { "type": "integer" },
            "created_at_ms": { "type": "integer" },
        }),
        &[
            "game_type",
            "version",
            "hash",
            "plugin_version",
            "size",
            "created_at_ms",
        ],
    )
}

pub(super) fn partner_game_types() -> Value {
    object(
        json!({ "partner_id": id_schema(), "game_types": { "type": "array", "items": plugin_version(), "description": "each type at its latest version" } }),
        &["partner_id", "game_types"],
    )
}

pub(super) fn plugin_versions() -> Value {
    object(
        json!({ "partner_id": id_schema(), "game_type": { "type": "string" }, "versions": { "type": "array", "items": plugin_version() } }),
        &["partner_id", "game_type", "versions"],
    )
}
