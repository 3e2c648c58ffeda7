//! The projector screen (docs/screens.md): a game's projector token
//! (create/rotate, freeze and reveal) and the board the screen shows,
//! read once or streamed: standings, per-quest progress, the tenant's
//! branding ([`super::branding`]).
//!
//! The token (`vx_screen_<64 hex>`) is the screen's only credential: it
//! goes into a URL shown in a room, so it reads nothing but this one
//! board, and rotating it cuts off the old one at once (its stream ends
//! at the next refresh). Only its SHA-256 is stored.
//!
//! The standings are the leaderboard's (the boards of `GET
//! /v1/tenants/{t}/games/{g}`, top `api.game_scores_shown`). Freezing
//! captures them (and the quest progress, which would give them away) in
//! the projector row; a frozen screen shows that capture until it is
//! unfrozen or revealed (reveal unfreezes).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use tokio::sync::{broadcast, mpsc};
use utoipa::ToSchema;

use super::activity::{PING, channel_stream};
use super::auth::{Caller, hash_key};
use super::branding::Branding;
use super::games::game_access;
use super::progress::{self, QuestRow};
use super::{ApiError, ApiJson, ApiPath, AppState};
use veltrix_store::ProjectorRow;

/// Prefix of projector tokens.
pub const TOKEN_PREFIX: &str = "vx_screen_";

/// `POST .../projector`'s answer: the only time the token is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectorToken {
    /// The token, `vx_screen_<hex>`.
    pub token: String,
    /// The screen's page, `/screen/<token>`.
    pub path: String,
}

/// `PUT .../projector` body, and its answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectorFlags {
    /// Hide changes: the screen keeps the standings of the moment it froze.
    pub frozen: bool,
    /// Show the podium (and unfreeze).
    pub revealed: bool,
}

/// One standing on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardEntry {
    /// Team or player id.
    pub id: String,
    /// Points.
    pub score: i64,
    /// 1-based rank.
    pub rank: u64,
}

/// Both boards' standings (what a freeze captures).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Standings {
    teams: Vec<BoardEntry>,
    players: Vec<BoardEntry>,
    /// Absent in captures stored before quest progress existed.
    #[serde(default)]
    quests: Vec<QuestRow>,
}

/// `GET /v1/screen/{token}`: what the projector shows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScreenBoard {
    /// The tenant's branding (name: the tenant's, unless branded).
    pub tenant: Branding,
    /// The game.
    pub game_id: String,
    /// Its game type.
    pub game_type: String,
    /// `waiting`, `running`, `paused`, `finished`, or `parked`.
    pub status: String,
    /// Changes hidden.
    pub frozen: bool,
    /// Podium shown.
    pub revealed: bool,
    /// When the game ends (its config's `ends_at_ms`), for the countdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at_ms: Option<i64>,
    /// Team standings.
    pub teams: Vec<BoardEntry>,
    /// Player standings.
    pub players: Vec<BoardEntry>,
    /// Per-quest progress: each quest's latest status per team (and
    /// player), by quest id.
    pub quests: Vec<QuestRow>,
}

/// `POST /v1/tenants/{tenant}/games/{game}/projector`: a new token (the
/// old one stops working at once).
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
) -> Result<(StatusCode, Json<ProjectorToken>), ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        hex::encode(rand::rng().random::<[u8; 32]>())
    );
    state
        .store
        .rotate_projector(&tenant, &game, &hash_key(&token))
        .await?;
    tracing::info!("projector token issued");
    let path = format!("/screen/{token}");
    Ok((StatusCode::CREATED, Json(ProjectorToken { token, path })))
}

/// The top standings of both boards now.
async fn standings(state: &AppState, tenant: &str, game: &str) -> Result<Standings, ApiError> {
    let (players, teams) = crate::games::top_boards(state, tenant, game).await?;
    let entries = |v: Vec<veltrix_leaderboard::Standing>| {
        v.into_iter()
            .map(|s| BoardEntry {
                id: s.id,
                score: s.score,
                rank: s.rank,
            })
            .collect()
    };
    Ok(Standings {
        teams: entries(teams),
        players: entries(players),
        quests: progress::of_game(state, tenant, game).await?,
    })
}

/// `PUT /v1/tenants/{tenant}/games/{game}/projector`: freeze captures the
/// standings (once: freezing a frozen screen keeps the first capture);
/// reveal unfreezes.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn set_flags(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ProjectorFlags>,
) -> Result<Json<ProjectorFlags>, ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    let frozen = body.frozen && !body.revealed;
    let was = state.store.projector(&tenant, &game).await?;
    let board = match (frozen, was) {
        (false, _) => None,
        (true, Some(p)) if p.frozen && p.frozen_board.is_some() => p.frozen_board,
        (true, _) => Some(
            serde_json::to_string(&standings(&state, &tenant, &game).await?)
                .map_err(|_| ApiError::Internal)?,
        ),
    };
    state
        .store
        .set_projector(&tenant, &game, frozen, body.revealed, board.as_deref())
        .await?;
    tracing::info!(frozen, revealed = body.revealed, "projector flags set");
    Ok(Json(ProjectorFlags {
        frozen,
        revealed: body.revealed,
    }))
}

fn screen_not_found() -> ApiError {
    ApiError::NotFound("no such screen".into())
}

/// The projector of a token; `None` for an unknown or rotated one.
async fn projector(state: &AppState, token: &str) -> Result<Option<ProjectorRow>, ApiError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    Ok(state.store.projector_by_token(&hash_key(token)).await?)
}

/// The board of projector `p` now.
async fn board(state: &AppState, p: &ProjectorRow) -> Result<ScreenBoard, ApiError> {
    let (tenant, game) = (&p.tenant_id, &p.game_id);
    let row = state
        .store
        .game(tenant, game)
        .await?
        .ok_or_else(screen_not_found)?;
    let brand = state.store.branding(tenant).await?.unwrap_or_default();
    let frozen: Option<Standings> = p
        .frozen_board
        .as_deref()
        .filter(|_| p.frozen)
        .and_then(|b| serde_json::from_str(b).ok());
    let s = match frozen {
        Some(s) => s,
        None => standings(state, tenant, game).await?,
    };
    let ends_at_ms = serde_json::from_str::<serde_json::Value>(&row.config)
        .ok()
        .and_then(|c| c.get("ends_at_ms").and_then(serde_json::Value::as_i64));
    Ok(ScreenBoard {
        tenant: Branding {
            name: brand.name,
            logo_url: brand.logo_url,
            primary: brand.primary,
            accent: brand.accent,
        },
        game_id: row.game_id,
        game_type: row.game_type,
        status: row.status,
        frozen: p.frozen,
        revealed: p.revealed,
        ends_at_ms,
        teams: s.teams,
        players: s.players,
        quests: s.quests,
    })
}

/// `GET /v1/screen/{token}`: no key; the token is the credential.
#[tracing::instrument(skip_all)]
pub async fn get_board(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<ScreenBoard>, ApiError> {
    let p = projector(&state, &token)
        .await?
        .ok_or_else(screen_not_found)?;
    Ok(Json(board(&state, &p).await?))
}

fn board_event(b: &ScreenBoard) -> Event {
    Event::default()
        .event("board")
        .data(serde_json::to_string(b).unwrap_or_default())
}

/// `GET /v1/screen/{token}/stream`: a `board` event at once and whenever
/// the board changes. Re-read on every outcome of the game this host
/// resolves, and every `api.screen_refresh_ms` otherwise (freeze, reveal,
/// other hosts); ends when the token stops matching (rotated).
#[tracing::instrument(skip_all)]
pub async fn stream(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let p = projector(&state, &token)
        .await?
        .ok_or_else(screen_not_found)?;
    let mut outcomes = state.processor.subscribe_outcomes();
    let first = board(&state, &p).await?;
    let mut stop = state.feed.stopped();
    let (tx, rx) = mpsc::channel(4);
    let (tenant, game) = (p.tenant_id.clone(), p.game_id.clone());
    tokio::spawn(async move {
        let mut last = first;
        if tx.send(board_event(&last)).await.is_err() {
            return;
        }
        let mut tick = tokio::time::interval(state.config.screen_refresh());
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                r = outcomes.recv() => match r {
                    Ok(o) if o.tenant == tenant && o.game_id == game => {}
                    Ok(_) => continue,
                    // Missed some: re-read, the board is the truth.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = stop.wait_for(|s| *s) => return,
                () = tx.closed() => return,
            }
            let now = match projector(&state, &token).await {
                Ok(Some(p)) => board(&state, &p).await,
                Ok(None) => {
                    tracing::info!(%tenant, %game, "projector token rotated; stream ends");
                    return;
                }
                Err(e) => Err(e),
            };
            match now {
                Ok(b) if b != last => {
                    if tx.send(board_event(&b)).await.is_err() {
                        return;
                    }
                    last = b;
                }
                Ok(_) => {}
                // A dependency hiccup: keep the screen, try again later.
                Err(e) => tracing::debug!(error = %e, "projector board not refreshed"),
            }
        }
    });
    Ok(Sse::new(channel_stream(rx)).keep_alive(KeepAlive::new().interval(PING).text("ping")))
}
