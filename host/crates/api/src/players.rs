//! Player routes: the [`Player`] extractor (player tokens), actions with
//! idempotency keys, the player's view of their game, and the leaderboard.
//!
//! A player token is `vx_player_<64 hex>`, issued by
//! `POST /v1/tenants/{tenant}/games/{game}/players` and stored hashed. It
//! names one tenant, game and player: the action's tenant, game, player
//! and team come from it, never from the body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use veltrix_contract::{Action, ActorRole, Location};

use super::auth::hash_key;
use super::extract::{ApiQuery, idempotency_key};
use super::{ApiError, AppState};
use veltrix_leaderboard::{Board, MAX_PAGE, Standing};
use veltrix_pipeline::processor::{ActionResult, PlayerView, ProcessorError};
use veltrix_store::Claim;

/// Prefix of player tokens.
pub const TOKEN_PREFIX: &str = "vx_player_";
pub use super::extract::MAX_IDEMPOTENCY_KEY;

/// A new player token secret.
pub fn generate_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The authenticated player of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Player {
    /// Tenant.
    pub tenant: String,
    /// Game.
    pub game: String,
    /// Player id.
    pub player: String,
    /// Team, if any.
    pub team: Option<String>,
}

impl FromRequestParts<AppState> for Player {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            // Only player tokens: an API key here is a client bug, and
            // skipping the lookup keeps the two credential kinds apart.
            .filter(|s| s.starts_with(TOKEN_PREFIX))
            .ok_or(ApiError::Unauthorized)?;
        let row = state
            .store
            .find_player_token(&hash_key(secret))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Self {
            tenant: row.tenant_id,
            game: row.game_id,
            player: row.player_id,
            team: row.team_id,
        })
    }
}

/// `POST /v1/play/actions` body: the player-chosen fields of a WIT
/// `action` (the rest comes from the token and the host).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActBody {
    /// Action kind (one of the game type's `action_kinds`).
    pub kind: String,
    /// Kind-specific payload (any JSON; `{}` when absent).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// Device location.
    #[serde(default)]
    pub location: Option<LocationBody>,
}

/// A device location, checked against the WIT `location` ranges while
/// the body is parsed: out of range is 422 before the idempotency key is
/// claimed, never a value the game type faults on.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawLocation")]
pub struct LocationBody {
    /// Latitude, decimal degrees, -90..=90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, decimal degrees, -180..=180.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// Accuracy radius, metres: finite, not negative.
    #[schema(minimum = 0)]
    pub accuracy_m: f32,
}

/// A location as sent, before its ranges are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocation {
    lat: f64,
    lon: f64,
    // Read wide: as f32, 1e39 would quietly become infinity.
    accuracy_m: f64,
}

impl TryFrom<RawLocation> for LocationBody {
    type Error = String;

    fn try_from(l: RawLocation) -> Result<Self, String> {
        if !(-90.0..=90.0).contains(&l.lat) {
            return Err("location.lat must be -90..=90".into());
        }
        if !(-180.0..=180.0).contains(&l.lon) {
            return Err("location.lon must be -180..=180".into());
        }
        if !(0.0..=f64::from(f32::MAX)).contains(&l.accuracy_m) {
            return Err("location.accuracy_m must be a finite number of metres, at least 0".into());
        }
        Ok(Self {
            lat: l.lat,
            lon: l.lon,
            // In range just above: no overflow to infinity.
            #[allow(clippy::cast_possible_truncation)]
            accuracy_m: l.accuracy_m as f32,
        })
    }
}

/// The shared parsing rules (see [`super::extract`]), under the names the
/// routes here and the upload route use.
pub use super::extract::{body_rejection, parse_json as parse_body};

/// Processor failures as API errors (never the store's or stream's text).
impl From<ProcessorError> for ApiError {
    fn from(e: ProcessorError) -> Self {
        match e {
            ProcessorError::UnknownGame(_) => Self::NotFound("game not found".into()),
            ProcessorError::UnknownGameType(t) => Self::Invalid(format!("unknown game type `{t}`")),
            ProcessorError::GameExists(g) => Self::Conflict(format!("game `{g}` already exists")),
            ProcessorError::InvalidConfig(m) => Self::Invalid(format!("invalid game config: {m}")),
            ProcessorError::Invalid(m) => Self::Invalid(m),
            ProcessorError::Refused(r) => match r.code {
                veltrix_contract::RejectionCode::Forbidden => Self::Forbidden(r.message),
                _ => Self::Invalid(r.message),
            },
            ProcessorError::Plugin(f) => {
                tracing::warn!(error = %f, "plugin fault");
                Self::Invalid("the game type failed on this config".into())
            }
            ProcessorError::Store(e) => e.into(),
            ProcessorError::Stream(e) => e.into(),
            ProcessorError::Overloaded {
                in_flight,
                retry_after_ms,
            } => {
                tracing::warn!(
                    in_flight,
                    retry_after_ms,
                    "action refused: host at capacity"
                );
                Self::Overloaded {
                    message: "the host is at capacity; retry after the Retry-After seconds".into(),
                    retry_after_s: retry_after_ms.div_ceil(1000).max(1),
                }
            }
            ProcessorError::State(s) => {
                tracing::error!(state = s, "processor not running");
                Self::Unavailable("the game processor is not running".into())
            }
        }
    }
}

/// What an action route answers.
#[derive(Debug)]
pub enum Answer {
    /// The outcome (200): final, stored with the batch that applied it
    /// (the idempotency key's answer on a retry).
    Done(Value),
    /// Not applied yet (202, `"result": "pending"`): the action is durable
    /// and will be applied once; a retry of its key, or `GET
    /// /v1/play/actions/{action_id}`, gives the outcome once it is there.
    Pending(Value),
}

/// An action's answer: its outcome (the [`ActionResult`] fields, tagged by
/// `result`) and where and when it was applied.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionAnswer {
    /// The action id (the game-stream event id).
    pub action_id: String,
    /// Its game.
    pub game_id: String,
    /// What happened.
    #[serde(flatten)]
    pub result: ActionResult,
    /// When the host accepted it, ms since the epoch.
    pub received_at_ms: i64,
    /// When its effects committed, ms since the epoch.
    pub applied_at_ms: i64,
}

/// The 202 answer: the action is durable and applies once; its outcome
/// comes on a retry of the key or from `GET /v1/play/actions/{action_id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PendingAnswer {
    /// The action id.
    pub action_id: String,
    /// Its game.
    pub game_id: String,
    /// `pending`.
    pub result: &'static str,
}

/// The JSON answer of an outcome.
fn outcome_json(
    result: ActionResult,
    action_id: &str,
    game_id: &str,
    received_at_ms: i64,
    applied_at_ms: i64,
) -> Result<Value, ApiError> {
    let answer = ActionAnswer {
        action_id: action_id.to_string(),
        game_id: game_id.to_string(),
        result,
        received_at_ms,
        applied_at_ms,
    };
    serde_json::to_value(answer).map_err(|_| ApiError::Internal)
}

fn pending_json(action_id: &str, game_id: &str) -> Value {
    let answer = PendingAnswer {
        action_id: action_id.to_string(),
        game_id: game_id.to_string(),
        result: "pending",
    };
    serde_json::to_value(answer).unwrap_or_default()
}

fn encoded(v: &Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|_| ApiError::Internal)
}

/// The encoded answer of `action_id`'s stored outcome, if it is one of
/// `player`'s actions in their game.
async fn stored_answer(
    state: &AppState,
    player: &Player,
    action_id: &str,
) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(o) = state
        .store
        .stored_outcome(&player.tenant, action_id)
        .await?
    else {
        return Ok(None);
    };
    if o.game_id != player.game || o.player_id != player.player {
        return Ok(None);
    }
    let result: ActionResult = serde_json::from_str(&o.result).map_err(|_| ApiError::Internal)?;
    let out = outcome_json(
        result,
        &o.action_id,
        &o.game_id,
        o.received_at_ms,
        o.applied_at_ms,
    )?;
    encoded(&out).map(Some)
}

/// Submits `action` to `tenant`/`game` (under `action_id` when given) and
/// waits up to `api.action_timeout_ms` for its outcome.
pub async fn submit_and_wait(
    state: &AppState,
    tenant: &str,
    game: &str,
    action: Action,
    action_id: Option<String>,
    handler: std::time::Instant,
    claimed: bool,
) -> Result<Answer, ApiError> {
    let start = std::time::Instant::now();
    let submitted = match action_id {
        Some(id) => state.processor.submit_as(tenant, game, action, id).await?,
        None => state.processor.submit(tenant, game, action).await?,
    };
    let acked = std::time::Instant::now();
    let action_id = submitted.action_id.clone();
    let Some(outcome) = submitted.outcome(state.config.action_timeout()).await else {
        tracing::warn!(%action_id, "action outcome not in time; answered pending");
        return Ok(Answer::Pending(pending_json(&action_id, game)));
    };
    let times = super::metrics::RequestTimes {
        handler,
        // The claim ends where the submit starts.
        claimed: claimed.then_some(start),
        acked,
    };
    state
        .metrics
        .record_stages(times, &outcome.stages, std::time::Instant::now());
    Ok(Answer::Done(outcome_json(
        outcome.result,
        &outcome.action_id,
        &outcome.game_id,
        outcome.received_at_ms,
        outcome.applied_at_ms,
    )?))
}

/// The action id of a player's action under an idempotency key: the same
/// key always names the same action, so a retry (after a crash, a
/// timeout, on another host) looks up the first attempt's outcome instead
/// of submitting it again.
pub fn action_id_for(tenant: &str, game: &str, player: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"veltrix/action-id/v1\0");
    for part in [tenant, game, player, key] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

fn json_response(status: StatusCode, bytes: Vec<u8>, replayed: bool) -> Response {
    let mut resp = (status, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        h.insert("idempotency-replayed", HeaderValue::from_static("true"));
    }
    resp
}

/// `POST /v1/play/actions`: `Idempotency-Key` required. A retry with the
/// same key and body is answered with the stored first response
/// (`Idempotency-Replayed: true`) and never applied again.
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game, player = %player.player))]
pub async fn act(
    State(state): State<AppState>,
    player: Player,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let handler = std::time::Instant::now();
    let key = idempotency_key(&headers)?;
    let body = body.map_err(|r| body_rejection(&r, state.config.max_body_bytes))?;
    // Validated before the claim: a malformed body never burns a key.
    let parsed: ActBody = parse_body(&headers, &body)?;
    let action = Action {
        tenant: player.tenant.clone(),
        game: player.game.clone(),
        player: player.player.clone(),
        team: player.team.clone(),
        idempotency_key: key.clone(),
        role: ActorRole::Player,
        kind: parsed.kind,
        payload: parsed.payload.unwrap_or_else(|| json!({})).to_string(),
        timestamp_ms: state.processor.clock().now_ms(),
        location: parsed.location.map(|l| Location {
            lat: l.lat,
            lon: l.lon,
            accuracy_m: l.accuracy_m,
        }),
    };
    // Checked before the claim too: an action the game type does not take
    // as sent never burns a key.
    state
        .processor
        .check_action(&player.tenant, &player.game, &action)
        .await?;
    // At capacity: refused before the claim, so a retry after the wait
    // starts afresh (a claim left in progress would answer `pending`).
    state.processor.admission()?;
    // Keys are per player: two players choosing the same key must never
    // see each other's answers.
    let scoped = format!("play:{}:{}:{key}", player.game, player.player);
    let hash = hex::encode(Sha256::digest(&body));
    let action_id = action_id_for(&player.tenant, &player.game, &player.player, &key);
    let claim = state.store.claim(&player.tenant, &scoped, &hash).await?;
    match claim {
        Claim::Replay(bytes) => {
            tracing::debug!("idempotent replay");
            return Ok(json_response(StatusCode::OK, bytes, true));
        }
        Claim::Mismatch => {
            return Err(ApiError::Invalid(
                "this Idempotency-Key was used with a different request body".into(),
            ));
        }
        // The first attempt was answered `pending`, is still waiting, or
        // died (a crash, a kill): its action may be in the stream. Its
        // stored outcome is the answer; none yet means pending, unless the
        // claim was abandoned (then the action is submitted again, under
        // the same id).
        Claim::InProgress | Claim::TakenOver => {
            if let Some(bytes) = stored_answer(&state, &player, &action_id).await? {
                state
                    .store
                    .complete(&player.tenant, &scoped, &bytes)
                    .await?;
                return Ok(json_response(StatusCode::OK, bytes, true));
            }
            if claim == Claim::InProgress {
                let bytes = encoded(&pending_json(&action_id, &player.game))?;
                return Ok(json_response(StatusCode::ACCEPTED, bytes, true));
            }
        }
        Claim::Fresh => {}
    }
    // On an error or a timeout before the outcome the claim stays in
    // progress: a retry answers the stored outcome (or pending) under the
    // same action id; after `database.idempotency_claim_ttl_ms` with no
    // outcome it submits again, under that id.
    let answer = match submit_and_wait(
        &state,
        &player.tenant,
        &player.game,
        action,
        Some(action_id),
        handler,
        true,
    )
    .await
    {
        Ok(a) => a,
        // Refused at capacity after the claim (a race with other
        // requests): nothing was sent, so the claim goes too.
        Err(e @ ApiError::Overloaded { .. }) => {
            state.store.release(&player.tenant, &scoped).await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    match answer {
        // Not completed here: the outcome was stored in the transaction
        // that applied the action (group commit), and it is the answer. A
        // retry finds the claim in progress, answers that stored outcome
        // (byte-identical: same encoder, same values) and completes the
        // key then; first attempts cost no write of their own after the
        // claim.
        Answer::Done(out) => {
            let bytes = encoded(&out)?;
            Ok(json_response(StatusCode::OK, bytes, false))
        }
        Answer::Pending(out) => {
            let bytes = encoded(&out)?;
            Ok(json_response(StatusCode::ACCEPTED, bytes, false))
        }
    }
}

/// `GET /v1/play/actions/{action_id}`: the outcome of one of the caller's
/// actions, from the store (whichever host applied it, before or after a
/// restart): 200 with the outcome, 202 `pending` while this host still
/// waits for it, 404 when there is none (unknown, another player's, or
/// not applied yet elsewhere).
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game))]
pub async fn get_action(
    State(state): State<AppState>,
    player: Player,
    super::extract::ApiPath(action_id): super::extract::ApiPath<String>,
) -> Result<Response, ApiError> {
    if action_id.is_empty()
        || action_id.len() > MAX_IDEMPOTENCY_KEY
        || !action_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ApiError::NotFound("no such action".into()));
    }
    if let Some(bytes) = stored_answer(&state, &player, &action_id).await? {
        return Ok(json_response(StatusCode::OK, bytes, false));
    }
    if state.processor.is_pending(&player.tenant, &action_id) {
        let bytes = encoded(&pending_json(&action_id, &player.game))?;
        return Ok(json_response(StatusCode::ACCEPTED, bytes, false));
    }
    Err(ApiError::NotFound(
        "no such action (or not applied yet)".into(),
    ))
}

/// One standing on a board.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StandingView {
    /// Player or team id.
    pub id: String,
    /// Points.
    pub score: i64,
    /// 1-based rank.
    pub rank: u64,
    /// Game time the score was reached (ties: earlier first).
    pub reached_at_ms: i64,
}

pub(crate) fn standing(s: &Standing) -> StandingView {
    StandingView {
        id: s.id.clone(),
        score: s.score,
        rank: s.rank,
        reached_at_ms: s.reached_at_ms,
    }
}

/// `GET /v1/play/leaderboard`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeaderboardView {
    /// The caller's game.
    pub game_id: String,
    /// `players` or `teams`.
    pub board: &'static str,
    /// The top `n`.
    pub top: Vec<StandingView>,
    /// The caller's standing (`null` when not on the board).
    pub me: Option<StandingView>,
    /// Up to 2 neighbours each side of the caller.
    pub around: Vec<StandingView>,
}

/// The leaderboard route's query: `board=players|teams`, `n=1..1000`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// Which board (default `players`).
    #[serde(default)]
    board: Option<BoardName>,
    /// How many standings from the top (default 10).
    #[serde(default)]
    n: Option<usize>,
}

#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum BoardName {
    Players,
    Teams,
}

/// `GET /v1/play/leaderboard?board=players|teams&n=10`: the top `n` (at
/// most 1,000), the caller's standing (`null` when not on the board, or
/// without a team on the teams board) and up to 2 neighbours each side.
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game))]
pub async fn leaderboard(
    State(state): State<AppState>,
    player: Player,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> Result<axum::Json<LeaderboardView>, ApiError> {
    let board = match query.board {
        None | Some(BoardName::Players) => Board::Players,
        Some(BoardName::Teams) => Board::Teams,
    };
    let n = query.n.unwrap_or(10);
    if !(1..=MAX_PAGE).contains(&n) {
        return Err(ApiError::BadRequest(format!(
            "query: n must be 1-{MAX_PAGE}"
        )));
    }
    let lb = &state.leaderboard;
    let top = lb.top(&player.tenant, &player.game, board, n).await?;
    let me_id = match board {
        Board::Players => Some(player.player.as_str()),
        Board::Teams => player.team.as_deref(),
    };
    let (me, around) = match me_id {
        Some(id) => (
            lb.rank(&player.tenant, &player.game, board, id).await?,
            lb.around(&player.tenant, &player.game, board, id, 2)
                .await?,
        ),
        None => (None, Vec::new()),
    };
    Ok(axum::Json(LeaderboardView {
        game_id: player.game,
        board: board.as_str(),
        top: top.iter().map(standing).collect(),
        me: me.as_ref().map(standing),
        around: around.iter().map(standing).collect(),
    }))
}

/// `GET /v1/play/view`'s answer: what the game type shows the caller.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlayView {
    /// The caller's game.
    pub game_id: String,
    /// The caller.
    pub player_id: String,
    /// `waiting`, `running`, `paused`, `finished`, or `parked` (the host
    /// stopped applying the game's actions; an operator looks at it).
    pub status: String,
    /// The caller's (or their team's) score, as the game type counts it.
    pub score: i64,
    /// The game type's summary for the caller (open quests, next step,
    /// cooldowns...): a JSON document whose shape is the game type's.
    #[schema(value_type = Object)]
    pub summary: Value,
}

impl PlayView {
    /// The answer of a processor view; `None` when the game type's summary
    /// is not JSON (`plugin check` refuses such components: a bug).
    pub fn from_view(v: PlayerView) -> Option<Self> {
        let summary = match serde_json::from_str(&v.summary) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(game = %v.game_id, error = %e, "the game type's view summary is not JSON");
                return None;
            }
        };
        Some(Self {
            game_id: v.game_id,
            player_id: v.player_id,
            status: v.status.to_string(),
            score: v.score,
            summary,
        })
    }
}

/// `GET /v1/play/game-type`: the catalogue entry of the caller's game, at
/// the version the game is pinned to (what its actions are checked
/// against): the player app builds its forms from `actions`.
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game))]
pub async fn game_type(
    State(state): State<AppState>,
    player: Player,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<axum::Json<crate::tenants::GameTypeInfo>, ApiError> {
    let row = state
        .store
        .game(&player.tenant, &player.game)
        .await?
        .ok_or_else(|| ApiError::NotFound("game not found".into()))?;
    let registry = state.processor.registry();
    let plugin = state
        .processor
        .pinned_plugin(&row.plugin_hash)
        .await?
        .ok_or_else(|| {
            tracing::error!(hash = %row.plugin_hash, "a game's pinned plugin is not stored");
            ApiError::Internal
        })?;
    let source = if registry.is_builtin(&row.game_type) {
        "builtin"
    } else {
        "partner"
    };
    Ok(axum::Json(crate::tenants::info_of(
        row.game_type,
        source,
        &plugin,
    )))
}

/// A view's failure as an API error: 404 for a game the caller's tenant
/// does not have; a plugin fault is the host's 500 (logged), never its
/// text.
pub fn view_error(e: ProcessorError) -> ApiError {
    match e {
        ProcessorError::Plugin(f) => {
            tracing::warn!(error = %f, "plugin fault in view");
            ApiError::Internal
        }
        e => e.into(),
    }
}

/// No query parameters: the game and player come from the token, and a
/// `?tenant=` or `?game=` is refused (400) rather than ignored.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// `GET /v1/play/view`: the caller's view of their game, built by the
/// game type's `view` from the game's current state (what the processor
/// last applied, not the last snapshot).
#[tracing::instrument(skip_all, fields(tenant = %player.tenant, game = %player.game, player = %player.player))]
pub async fn view(
    State(state): State<AppState>,
    player: Player,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<axum::Json<PlayView>, ApiError> {
    let v = state
        .processor
        .view(&player.tenant, &player.game, &player.player)
        .await
        .map_err(view_error)?;
    PlayView::from_view(v)
        .map(axum::Json)
        .ok_or(ApiError::Internal)
}
