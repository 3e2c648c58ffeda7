//! A tenant's games: create and read them, issue player tokens, and send
//! game-master actions. Operator, or a tenant key of that tenant (another
//! tenant's games answer 404, like games that do not exist).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use veltrix_contract::{Action, ActorRole};

use super::auth::{Caller, hash_key};
use super::operators::validate_id;
use super::players::{Answer, StandingView, generate_token, standing, submit_and_wait};
use super::tenants::tenant_access;
use super::{ApiError, ApiJson, ApiPath, AppState};
use veltrix_leaderboard::Board;
use veltrix_pipeline::processor::ActionResult;
use veltrix_store::{GameRow, PlayerTokenRow};

/// The actor id of game-master actions (plugins see it as the player).
pub const GAME_MASTER: &str = "game-master";

/// `POST /v1/tenants/{tenant}/games` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGame {
    /// Game id, unique in the tenant.
    pub game_id: String,
    /// An enabled game type.
    pub game_type: String,
    /// The game type's config (a JSON object; its schema is the type's).
    #[schema(value_type = Object)]
    pub config: serde_json::Map<String, Value>,
    /// The plugin's entropy; random when absent.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// `POST /v1/tenants/{tenant}/games/{game}/players` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlayer {
    /// Player id.
    pub player_id: String,
    /// Team id, for games played in teams.
    #[serde(default)]
    pub team_id: Option<String>,
}

/// `DELETE /v1/tenants/{tenant}/games/{game}/players/{player}/tokens`:
/// revokes all of the player's tokens in the game; 404 when they hold none.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game, player = %player))]
pub async fn revoke_player_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game, player)): ApiPath<(String, String, String)>,
) -> Result<Json<RevokedPlayerTokens>, ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    validate_id("player_id", &player)?;
    let n = state
        .store
        .revoke_player_tokens(&tenant, &game, &player)
        .await?;
    if n == 0 {
        return Err(ApiError::NotFound(format!(
            "player `{player}` holds no tokens in this game"
        )));
    }
    tracing::info!(revoked = n, "player tokens revoked");
    Ok(Json(RevokedPlayerTokens {
        player_id: player,
        revoked: n,
    }))
}

/// A player's revoked tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedPlayerTokens {
    /// The player.
    pub player_id: String,
    /// How many tokens were revoked (at least 1).
    #[schema(minimum = 1)]
    pub revoked: u64,
}

/// `POST /v1/tenants/{tenant}/games/{game}/gm` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GmAction {
    /// A game-master kind of the game type (`start`, `pause`, `resume`,
    /// `end`, `grant`, `revoke`, `judge`...).
    pub kind: String,
    /// Kind-specific payload (`{}` when absent).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
}

/// A game, as answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct GameView {
    /// Its tenant.
    pub tenant_id: String,
    /// Its id.
    pub game_id: String,
    /// Its game type.
    pub game_type: String,
    /// The component it is pinned to (hex SHA-256).
    pub plugin_hash: String,
    /// `waiting`, `running`, `paused`, `finished`, or `parked`.
    pub status: String,
    /// The plugin's entropy.
    pub seed: u64,
    /// Its config, as created.
    #[schema(value_type = Object)]
    pub config: Value,
    /// When created, ms since the epoch.
    pub created_at_ms: i64,
    /// The last applied action (`null` before the first): read from the
    /// stored outcomes, so it is current on every host.
    pub last_action: Option<LastAction>,
    /// The current standings (the top `api.game_scores_shown` of each board).
    pub scores: Scores,
}

/// A game's last applied action.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastAction {
    /// Its id.
    pub action_id: String,
    /// Who acted (`game-master`, `host` for the clock's ticks, or a player).
    pub player_id: String,
    /// What happened.
    pub result: ActionResult,
    /// When its effects committed, ms since the epoch.
    pub applied_at_ms: i64,
}

/// A game's standings.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Scores {
    /// Top players.
    pub players: Vec<StandingView>,
    /// Top teams.
    pub teams: Vec<StandingView>,
}

/// [`view`] with what the pipeline has applied: the last action's outcome
/// and the boards. The status is the stored one, which the processor
/// writes with the outcomes of the batch that changed it.
async fn live_view(state: &AppState, row: &GameRow) -> Result<GameView, ApiError> {
    let mut v = view(row);
    let last = state.store.last_outcome(&row.tenant, &row.game_id).await?;
    v.last_action = match last {
        Some(o) => Some(LastAction {
            action_id: o.action_id,
            player_id: o.player_id,
            result: serde_json::from_str(&o.result).map_err(|_| ApiError::Internal)?,
            applied_at_ms: o.applied_at_ms,
        }),
        None => None,
    };
    let (players, teams) = top_boards(state, &row.tenant, &row.game_id).await?;
    v.scores = Scores {
        players: players.iter().map(standing).collect(),
        teams: teams.iter().map(standing).collect(),
    };
    Ok(v)
}

/// The top `api.game_scores_shown` of a game's (players, teams) boards:
/// what a game read and the projector show.
pub(crate) async fn top_boards(
    state: &AppState,
    tenant: &str,
    game: &str,
) -> Result<
    (
        Vec<veltrix_leaderboard::Standing>,
        Vec<veltrix_leaderboard::Standing>,
    ),
    ApiError,
> {
    let (lb, n) = (&state.leaderboard, state.config.game_scores_shown);
    let (players, teams) = tokio::join!(
        lb.top(tenant, game, Board::Players, n),
        lb.top(tenant, game, Board::Teams, n),
    );
    Ok((players?, teams?))
}

fn view(row: &GameRow) -> GameView {
    GameView {
        tenant_id: row.tenant.clone(),
        game_id: row.game_id.clone(),
        game_type: row.game_type.clone(),
        plugin_hash: row.plugin_hash.clone(),
        status: row.status.clone(),
        seed: row.seed,
        config: serde_json::from_str::<Value>(&row.config).unwrap_or(Value::Null),
        created_at_ms: row.created_at_ms,
        last_action: None,
        scores: Scores::default(),
    }
}

/// A new player token: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerToken {
    /// The secret, `vx_player_<hex>`.
    pub token: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Its game.
    pub game_id: String,
    /// Its player.
    pub player_id: String,
    /// Its team, if any.
    pub team_id: Option<String>,
}

fn game_not_found() -> ApiError {
    ApiError::NotFound("game not found".into())
}

/// The game, after the tenant access check; 404 when absent.
pub(crate) async fn game_access(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    game: &str,
) -> Result<GameRow, ApiError> {
    tenant_access(state, caller, tenant).await?;
    if validate_id("game_id", game).is_err() {
        return Err(game_not_found());
    }
    state
        .store
        .game(tenant, game)
        .await?
        .ok_or_else(game_not_found)
}

/// `POST /v1/tenants/{tenant}/games`: 422 when the type is not enabled for
/// the tenant or the plugin refuses the config (its message is passed on).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn create_game(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<NewGame>,
) -> Result<(StatusCode, Json<GameView>), ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    validate_id("game_id", &body.game_id)?;
    let enabled = state
        .store
        .list_game_types(&tenant)
        .await?
        .iter()
        .any(|t| t.game_type == body.game_type && t.enabled);
    if !enabled {
        return Err(ApiError::Invalid(format!(
            "game type `{}` is not enabled for this tenant",
            body.game_type
        )));
    }
    let config = Value::Object(body.config).to_string();
    let seed = body.seed.unwrap_or_else(|| rand::rng().random());
    let row = state
        .processor
        .create_game(&tenant, &body.game_id, &body.game_type, &config, seed)
        .await?;
    tracing::info!(game = %row.game_id, game_type = %row.game_type, "game created");
    Ok((StatusCode::CREATED, Json(view(&row))))
}

/// `GET /v1/tenants/{tenant}/games/{game}`.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn get_game(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
) -> Result<Json<GameView>, ApiError> {
    let row = game_access(&state, &caller, &tenant, &game).await?;
    Ok(Json(live_view(&state, &row).await?))
}

/// `POST /v1/tenants/{tenant}/games/{game}/players`: issues a player token
/// (shown only here; stored hashed).
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn add_player(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<NewPlayer>,
) -> Result<(StatusCode, Json<PlayerToken>), ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    validate_id("player_id", &body.player_id)?;
    if body.player_id == GAME_MASTER {
        return Err(ApiError::Invalid(format!(
            "player_id `{GAME_MASTER}` is reserved"
        )));
    }
    if let Some(t) = &body.team_id {
        validate_id("team_id", t)?;
    }
    let token = generate_token();
    let row = PlayerTokenRow {
        token_hash: hash_key(&token),
        tenant_id: tenant.clone(),
        game_id: game.clone(),
        player_id: body.player_id.clone(),
        team_id: body.team_id.clone(),
    };
    if !state.store.insert_player_token(&row).await? {
        tracing::error!("player token hash collision");
        return Err(ApiError::Internal);
    }
    tracing::info!(player = %body.player_id, "player token issued");
    Ok((
        StatusCode::CREATED,
        Json(PlayerToken {
            token,
            tenant_id: tenant,
            game_id: game,
            player_id: body.player_id,
            team_id: body.team_id,
        }),
    ))
}

/// `POST /v1/tenants/{tenant}/games/{game}/gm`: a game-master action,
/// applied like a player's (the plugin checks the kind and the role).
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn game_master_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<GmAction>,
) -> Result<Json<Value>, ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    tracing::info!(kind = %body.kind, role = caller.role.as_str(), "game-master action");
    let action = Action {
        tenant: tenant.clone(),
        game: game.clone(),
        player: GAME_MASTER.into(),
        team: None,
        // Not client-retryable (no Idempotency-Key here): a fresh key.
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        role: ActorRole::GameMaster,
        kind: body.kind,
        payload: body.payload.unwrap_or_else(|| json!({})).to_string(),
        timestamp_ms: state.processor.clock().now_ms(),
        location: None,
    };
    let handler = std::time::Instant::now();
    state
        .processor
        .check_action(&tenant, &game, &action)
        .await?;
    // A game-master action has no idempotency key: a pending answer is
    // final for the caller (the action is durable and applies once).
    match submit_and_wait(&state, &tenant, &game, action, None, handler, false).await? {
        Answer::Done(v) | Answer::Pending(v) => Ok(Json(v)),
    }
}
