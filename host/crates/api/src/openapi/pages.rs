//! The routes the web pages added (docs/screens.md), documented like
//! [`super::DOCS`] and held to the router by the same test.

use serde_json::{Value, json};

use super::schemas::body;
use super::{Auth, RouteDoc};
use crate::branding::Branding;
use crate::console::{GameList, ImportedPlayers, PlayerList};
use crate::directory::{KeyList, PartnerList, TenantList};
use crate::evidence::EvidenceId;
use crate::screen::{ProjectorFlags, ProjectorToken, ScreenBoard};
use crate::session::{Login, SessionView};

/// The activity stream.
fn activity_stream() -> Value {
    json!({ "type": "string", "description": "text/event-stream: first the game's last 50 stored outcomes (oldest first), then one per action as this host answers it; event `outcome`, data {action_id, player_id, kind, payload? (kinds that take evidence), result, code?, message?, status?, paid?, totals?, applied_at_ms}; `: lagged N` comments when the reader fell behind; `: ping` every 15 s" })
}

/// The projector stream.
fn board_stream() -> Value {
    json!({ "type": "string", "description": "text/event-stream: event `board`, data the GET /v1/screen/{token} document, at once and whenever it changes; ends when the token is rotated" })
}

/// The results file.
fn results_csv() -> Value {
    json!({ "type": "string", "description": "text/csv, header player_id,team_id,reward_type,reward_key,points,created_at_ms; one line per ledger row, oldest first; RFC 4180 quoting" })
}

/// The import file.
pub(super) fn import_csv() -> Value {
    json!({ "type": "string", "description": "text/csv: header player_id,team_id (team optional), one player per line, at most api.max_import_rows" })
}

/// Evidence bytes.
pub(super) fn evidence_bytes() -> Value {
    json!({ "type": "string", "format": "binary", "description": "image/png, image/jpeg, image/webp or text/plain, at most api.max_evidence_bytes" })
}

/// No body.
fn empty() -> Value {
    json!({ "description": "no body" })
}

/// The response media type of a page route whose body is not JSON.
pub(super) fn media(path: &str) -> Option<&'static str> {
    match path {
        "/v1/tenants/{tenant}/games/{game}/activity" | "/v1/screen/{token}/stream" => {
            Some("text/event-stream")
        }
        "/v1/tenants/{tenant}/games/{game}/results.csv" => Some("text/csv"),
        "/v1/tenants/{tenant}/evidence/{evidence_id}" => Some("application/octet-stream"),
        _ => None,
    }
}

/// The request media type of a page route whose body is not JSON.
pub(super) fn request_media(path: &str) -> Option<&'static str> {
    match path {
        crate::console::IMPORT_PATH => Some("text/csv"),
        crate::evidence::UPLOAD_PATH => Some("image/png, image/jpeg, image/webp or text/plain"),
        _ => None,
    }
}

/// The pages' routes, in router order.
pub static DOCS: &[RouteDoc] = &[
    RouteDoc {
        method: "post",
        path: "/v1/session",
        auth: Auth::Public,
        summary: "Exchange a live API key for a session cookie (vx_session; HttpOnly, SameSite=Strict, Max-Age api.session_ttl_ms/1000); 401 for a bad key, no cookie",
        request: Some(body::<Login>),
        response: (200, body::<SessionView>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/session",
        auth: Auth::Session,
        summary: "Who the session cookie is; 401 without a live session (expired, logged out, key revoked)",
        request: None,
        response: (200, body::<SessionView>),
    },
    RouteDoc {
        method: "delete",
        path: "/v1/session",
        auth: Auth::Session,
        summary: "Log out: deletes the session and clears the cookie (204); needs X-Veltrix-Csrf: 1 when a cookie is sent",
        request: None,
        response: (204, empty),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/games",
        auth: Auth::OperatorOrTenant,
        summary: "The tenant's games, newest first",
        request: None,
        response: (200, body::<GameList>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/games/{game}/players",
        auth: Auth::OperatorOrTenant,
        summary: "The players holding a live token in the game, with their team, by id",
        request: None,
        response: (200, body::<PlayerList>),
    },
    RouteDoc {
        method: "post",
        path: crate::console::IMPORT_PATH,
        auth: Auth::OperatorOrTenant,
        summary: "Import players from CSV (text/csv, header player_id,team_id): all lines valid or nothing is created (422 names the line); each player gets a token, returned only here; 413 over the body limit, 415 not text/csv",
        request: Some(import_csv),
        response: (201, body::<ImportedPlayers>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/games/{game}/activity",
        auth: Auth::OperatorOrTenant,
        summary: "Server-Sent Events: the game's last 50 outcomes, then each action's outcome as this host answers it",
        request: None,
        response: (200, activity_stream),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/games/{game}/results.csv",
        auth: Auth::OperatorOrTenant,
        summary: "The game's ledger as CSV, oldest first",
        request: None,
        response: (200, results_csv),
    },
    RouteDoc {
        method: "post",
        path: crate::evidence::UPLOAD_PATH,
        auth: Auth::Player,
        summary: "Upload evidence (a photo or a text) for an action's payload: 201 with its content id (the same for the same bytes); 413 over api.max_evidence_bytes; 415 another media type",
        request: Some(evidence_bytes),
        response: (201, body::<EvidenceId>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants/{tenant}/evidence/{evidence_id}",
        auth: Auth::OperatorOrTenant,
        summary: "Stored evidence, with its media type (404 for another tenant's id)",
        request: None,
        response: (200, evidence_bytes),
    },
    RouteDoc {
        method: "post",
        path: "/v1/tenants/{tenant}/games/{game}/projector",
        auth: Auth::OperatorOrTenant,
        summary: "Create or rotate the game's projector token (the old one stops working at once); returned only here",
        request: None,
        response: (201, body::<ProjectorToken>),
    },
    RouteDoc {
        method: "put",
        path: "/v1/tenants/{tenant}/games/{game}/projector",
        auth: Auth::OperatorOrTenant,
        summary: "Freeze (keep the standings of this moment) or reveal (podium; unfreezes) the projector",
        request: Some(body::<ProjectorFlags>),
        response: (200, body::<ProjectorFlags>),
    },
    RouteDoc {
        method: "put",
        path: "/v1/tenants/{tenant}/branding",
        auth: Auth::OperatorOrTenant,
        summary: "The tenant's name, logo and colours (#rrggbb) on its screens",
        request: Some(body::<Branding>),
        response: (200, body::<Branding>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/screen/{token}",
        auth: Auth::Screen,
        summary: "The projector's board: branding, status, freeze/reveal flags, standings; 404 for an unknown or rotated token",
        request: None,
        response: (200, body::<ScreenBoard>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/screen/{token}/stream",
        auth: Auth::Screen,
        summary: "Server-Sent Events: the board at once and whenever it changes; ends when the token is rotated",
        request: None,
        response: (200, board_stream),
    },
    RouteDoc {
        method: "get",
        path: "/v1/tenants",
        auth: Auth::Operator,
        summary: "Tenants, newest first (at most api.max_listed)",
        request: None,
        response: (200, body::<TenantList>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/partners",
        auth: Auth::Operator,
        summary: "Partners, newest first (at most api.max_listed)",
        request: None,
        response: (200, body::<PartnerList>),
    },
    RouteDoc {
        method: "get",
        path: "/v1/keys",
        auth: Auth::Operator,
        summary: "API keys by public id, role, owner and dates (never a secret or hash), newest first, revoked ones included (at most api.max_listed)",
        request: None,
        response: (200, body::<KeyList>),
    },
];
