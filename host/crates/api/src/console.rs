//! What the tenant console reads and bulk-writes (docs/screens.md): a
//! tenant's games, the players of a game, a CSV import of players (with
//! their tokens), and a game's results as CSV from the ledger. Operator, or
//! that tenant (cookie or bearer; another tenant's answer 404).

use std::collections::HashSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Caller, hash_key};
use super::extract::body_rejection;
use super::games::{GAME_MASTER, game_access};
use super::operators::validate_id;
use super::players::generate_token;
use super::tenants::tenant_access;
use super::{ApiError, ApiPath, AppState};
use veltrix_store::PlayerTokenRow;

/// The import route's body media type.
pub const CSV: &str = "text/csv";
/// The import route (its body limit is `api.import_body_limit()`).
pub const IMPORT_PATH: &str = "/v1/tenants/{tenant}/games/{game}/players/import";

/// One game of a tenant's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct GameSummary {
    /// Its id.
    pub game_id: String,
    /// Its game type.
    pub game_type: String,
    /// `waiting`, `running`, `paused`, `finished`, or `parked`.
    pub status: String,
    /// When created, ms since the epoch.
    pub created_at_ms: i64,
}

/// `GET /v1/tenants/{tenant}/games`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GameList {
    /// Newest first.
    pub games: Vec<GameSummary>,
}

/// A player of a game.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerEntry {
    /// Player id.
    pub player_id: String,
    /// Team id, if any.
    pub team_id: Option<String>,
}

/// `GET /v1/tenants/{tenant}/games/{game}/players`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerList {
    /// Who holds a live token, by id.
    pub players: Vec<PlayerEntry>,
}

/// An imported player and their token (shown only here).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedPlayer {
    /// Player id.
    pub player_id: String,
    /// Team id, if any.
    pub team_id: Option<String>,
    /// The player token, `vx_player_<hex>`.
    pub token: String,
}

/// `POST .../players/import`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedPlayers {
    /// In the file's order.
    pub players: Vec<ImportedPlayer>,
}

/// `GET /v1/tenants/{tenant}/games`: newest first.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn list_games(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Json<GameList>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let games = state.store.list_games(&tenant).await?;
    Ok(Json(GameList {
        games: games
            .into_iter()
            .map(|g| GameSummary {
                game_id: g.game_id,
                game_type: g.game_type,
                status: g.status,
                created_at_ms: g.created_at_ms,
            })
            .collect(),
    }))
}

/// `GET /v1/tenants/{tenant}/games/{game}/players`.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn list_players(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
) -> Result<Json<PlayerList>, ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    let rows = state.store.game_players(&tenant, &game).await?;
    Ok(Json(PlayerList {
        players: rows
            .into_iter()
            .map(|(player_id, team_id)| PlayerEntry { player_id, team_id })
            .collect(),
    }))
}

/// Whether the request's one content type is `text/csv` (any case,
/// parameters such as `charset=utf-8` allowed).
fn is_csv(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(v), None) = (values.next(), values.next()) else {
        return false;
    };
    v.to_str()
        .ok()
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .is_some_and(|m| m.eq_ignore_ascii_case(CSV))
}

/// One CSV field of an id: trimmed, and unquoted when quoted (an id
/// cannot hold a quote or a comma, so no escapes to undo).
fn field(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parses the import file: header `player_id` or `player_id,team_id`,
/// then one player a line. Every problem names its line (1-based, the
/// header is line 1); blank lines are skipped.
pub fn parse_import(
    text: &str,
    max_rows: usize,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let header: Vec<&str> = lines
        .next()
        .map(|(_, l)| {
            l.trim_start_matches('\u{feff}')
                .split(',')
                .map(field)
                .collect()
        })
        .unwrap_or_default();
    let with_team = match header.as_slice() {
        ["player_id"] => false,
        ["player_id", "team_id"] => true,
        _ => {
            return Err(ApiError::Invalid(
                "line 1: the header must be `player_id,team_id` (team optional)".into(),
            ));
        }
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (n, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split(',').map(field).collect();
        let bad = |why: String| ApiError::Invalid(format!("line {n}: {why}"));
        let (player, team) = match (cols.as_slice(), with_team) {
            ([p], _) => (*p, None),
            ([p, t], true) => (*p, (!t.is_empty()).then_some(*t)),
            _ => return Err(bad("expected the header's columns".into())),
        };
        validate_id("player_id", player).map_err(|e| bad(e.to_string()))?;
        if player == GAME_MASTER {
            return Err(bad(format!("player_id `{GAME_MASTER}` is reserved")));
        }
        if let Some(t) = team {
            validate_id("team_id", t).map_err(|e| bad(e.to_string()))?;
        }
        if !seen.insert(player) {
            return Err(bad(format!("player `{player}` is listed twice")));
        }
        if out.len() == max_rows {
            return Err(ApiError::Invalid(format!(
                "line {n}: more than {max_rows} players (api.max_import_rows)"
            )));
        }
        out.push((player.to_string(), team.map(str::to_string)));
    }
    Ok(out)
}

/// `POST /v1/tenants/{tenant}/games/{game}/players/import`: a CSV of
/// players; every line valid or nothing is created (422 names the line).
/// Each player gets a new token (existing ones stay valid).
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn import_players(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportedPlayers>), ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    if !is_csv(&headers) {
        return Err(ApiError::UnsupportedMediaType(CSV));
    }
    let body = body.map_err(|r| body_rejection(&r, state.config.import_body_limit()))?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::Invalid("the file is not UTF-8".into()))?;
    let parsed = parse_import(text, state.config.max_import_rows)?;
    if parsed.is_empty() {
        return Err(ApiError::Invalid("the file lists no players".into()));
    }
    let players: Vec<ImportedPlayer> = parsed
        .into_iter()
        .map(|(player_id, team_id)| ImportedPlayer {
            player_id,
            team_id,
            token: generate_token(),
        })
        .collect();
    let rows: Vec<PlayerTokenRow> = players
        .iter()
        .map(|p| PlayerTokenRow {
            token_hash: hash_key(&p.token),
            tenant_id: tenant.clone(),
            game_id: game.clone(),
            player_id: p.player_id.clone(),
            team_id: p.team_id.clone(),
        })
        .collect();
    if !state.store.insert_player_tokens(&rows).await? {
        tracing::error!("player token hash collision in an import");
        return Err(ApiError::Internal);
    }
    tracing::info!(players = players.len(), "players imported");
    Ok((StatusCode::CREATED, Json(ImportedPlayers { players })))
}

/// One CSV field, quoted (quotes doubled) when it holds a comma, a quote
/// or a line break (RFC 4180); otherwise as is.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `GET /v1/tenants/{tenant}/games/{game}/results.csv`: one line per
/// ledger row, oldest first.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn results_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    let rows = state.store.rewards(&tenant, &game).await?;
    let mut out = String::from("player_id,team_id,reward_type,reward_key,points,created_at_ms\r\n");
    for r in &rows {
        let w = &r.reward;
        let line = [
            csv_field(&w.player_id),
            csv_field(w.team_id.as_deref().unwrap_or("")),
            csv_field(&w.reward_type),
            csv_field(&w.reward_key),
            w.amount.to_string(),
            r.created_at_ms.to_string(),
        ]
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{game}-results.csv\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn imports_name_the_bad_line() {
        let ok = parse_import("player_id,team_id\r\np1,red\n\"p2\",\np3\n\n", 10).unwrap();
        assert_eq!(
            ok,
            vec![
                ("p1".into(), Some("red".into())),
                ("p2".into(), None),
                ("p3".into(), None),
            ]
        );
        let msg = |t: &str| parse_import(t, 2).unwrap_err().to_string();
        assert!(msg("team_id,player_id\n").starts_with("line 1:"));
        assert!(
            msg("player_id\np1\np/2\n").starts_with("line 3:"),
            "{}",
            msg("player_id\np1\np/2\n")
        );
        assert!(msg("player_id\np1\np1\n").contains("twice"));
        assert!(msg("player_id\np1\np2\np3\n").contains("api.max_import_rows"));
        assert!(msg("player_id,team_id\np1,a,b\n").starts_with("line 2:"));
        assert!(msg("player_id\ngame-master\n").contains("reserved"));
    }
}
