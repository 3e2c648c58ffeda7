//! Game types: the catalogue (`GET /v1/game-types`: the built-ins and the
//! partners' uploads) and which ones each tenant has enabled (`GET`/`PUT /v1/tenants/{tenant}/game-types...`).
//!
//! A tenant key sees only its own tenant; another tenant's routes answer
//! 404 exactly like a tenant that does not exist.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, tenant_not_found};
use super::{ApiError, ApiJson, ApiPath, AppState};

/// One game type of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GameTypeInfo {
    /// Machine name.
    pub name: String,
    /// Semantic version.
    pub version: String,
    /// Action kinds it accepts.
    pub action_kinds: Vec<String>,
    /// What it is (its config schema's `description`), when it says.
    pub description: Option<String>,
    /// The JSON Schema its game configs must match (checked before `init`).
    #[schema(value_type = Object)]
    pub config_schema: serde_json::Value,
    /// A config it accepts: a form's starting point.
    #[schema(value_type = Object)]
    pub example_config: serde_json::Value,
    /// Where it comes from: `builtin`, or `partner` (an upload).
    #[schema(value_type = String, example = "builtin")]
    pub source: &'static str,
    /// The WIT contract version its component exports (`0.3`; `0.2`
    /// components declare no payload schemas or reward types).
    #[schema(value_type = String, example = "0.3")]
    pub contract: &'static str,
    /// Every action kind: who may send it and the JSON Schema of its
    /// payload (checked before the game type sees it), so a client can
    /// build its forms.
    pub actions: Vec<ActionInfo>,
    /// The reward types it mints (absent for a `0.2` component).
    pub reward_types: Option<Vec<String>>,
}

/// One action kind of a game type's contract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionInfo {
    /// The kind, as sent in `kind`.
    pub kind: String,
    /// What it does.
    pub description: String,
    /// Who may send it: `player`, `game-master`, `system`.
    pub roles: Vec<String>,
    /// JSON Schema of the payload (`{}` accepts anything).
    #[schema(value_type = Object)]
    pub payload_schema: serde_json::Value,
    /// It reads the device location (send `location`).
    pub takes_location: bool,
    /// Its payload carries evidence (a photo id or a text) for a judge.
    pub takes_evidence: bool,
}

/// The catalogue's view of a component's contract.
fn actions(p: &veltrix_runtime::Plugin) -> Vec<ActionInfo> {
    use veltrix_contract::ActorRole;
    p.contract
        .actions
        .iter()
        .map(|a| ActionInfo {
            kind: a.kind.clone(),
            description: a.description.clone(),
            roles: a
                .roles
                .iter()
                .map(|r| {
                    match r {
                        ActorRole::Player => "player",
                        ActorRole::GameMaster => "game-master",
                        ActorRole::System => "system",
                    }
                    .to_string()
                })
                .collect(),
            payload_schema: serde_json::from_str(&a.payload_schema)
                .unwrap_or_else(|_| serde_json::json!({})),
            takes_location: a.takes_location,
            takes_evidence: a.takes_evidence,
        })
        .collect()
}

/// Every game type this host can play: the built-ins (in catalogue
/// order), then the partner uploads, by name, each at the version
/// registered in the processor. The registry, not the database, is the
/// source: it holds exactly what games can be created with.
pub fn game_types(state: &AppState) -> Vec<GameTypeInfo> {
    let registry = state.processor.registry();
    let builtins = registry.builtins().iter().map(|n| (n.clone(), "builtin"));
    let partners = registry
        .game_types()
        .into_iter()
        .filter(|n| !registry.is_builtin(n))
        .map(|n| (n, "partner"));
    builtins
        .chain(partners)
        .filter_map(|(name, source)| {
            let p = registry.current(&name)?;
            Some(info_of(name, source, &p))
        })
        .collect()
}

/// The catalogue entry of one component (`source`: `builtin` or
/// `partner`).
pub fn info_of(name: String, source: &'static str, p: &veltrix_runtime::Plugin) -> GameTypeInfo {
    let json = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
    let config_schema = json(&p.info.config_schema);
    GameTypeInfo {
        name,
        version: p.info.version.clone(),
        action_kinds: p.info.action_kinds.clone(),
        description: config_schema["description"].as_str().map(str::to_string),
        example_config: json(&p.info.example_config),
        config_schema,
        source,
        contract: p.wit_version().as_str(),
        actions: actions(p),
        reward_types: p.reward_types().map(<[String]>::to_vec),
    }
}

/// Whether `name` is a game type this host can play.
fn playable(state: &AppState, name: &str) -> bool {
    state.processor.registry().current(name).is_some()
}

/// `GET /v1/game-types`: any valid key.
#[tracing::instrument(skip_all)]
pub async fn list_catalogue(State(state): State<AppState>, _caller: Caller) -> Json<Catalogue> {
    Json(Catalogue {
        game_types: game_types(&state),
    })
}

/// `GET /v1/game-types`' answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Catalogue {
    /// The built-ins, then the partners' uploads.
    pub game_types: Vec<GameTypeInfo>,
}

/// `GET /v1/tenants/{tenant}/game-types`' answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantGameTypes {
    /// The tenant.
    pub tenant_id: String,
    /// Every catalogue type (and any stored one no longer in it).
    pub game_types: Vec<TenantGameTypeView>,
}

/// `PUT /v1/tenants/{tenant}/game-types/{type}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetGameType {
    /// Whether the tenant may start games of this type.
    pub enabled: bool,
}

/// A tenant's setting for one game type.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantGameTypeView {
    /// Game-type name.
    pub game_type: String,
    /// Enabled?
    pub enabled: bool,
    /// Last change, ms since the epoch (absent when never set).
    pub updated_at_ms: Option<i64>,
}

/// Checks access to `tenant`, then that it exists (operators only reach
/// that lookup with a tenant that may not exist).
pub(crate) async fn tenant_access(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
) -> Result<(), ApiError> {
    caller.require_tenant(tenant)?;
    // An invalid id cannot name a tenant: same 404, no database round trip.
    if super::operators::validate_id("tenant", tenant).is_err()
        || !state.store.tenant_exists(tenant).await?
    {
        return Err(tenant_not_found());
    }
    Ok(())
}

/// `PUT /v1/tenants/{tenant}/game-types/{type}`: operator or that tenant.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game_type = %game_type))]
pub async fn set_game_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game_type)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetGameType>,
) -> Result<Json<TenantGameTypeView>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    if !playable(&state, &game_type) {
        return Err(ApiError::NotFound("game type not found".into()));
    }
    let row = state
        .store
        .set_game_type(&tenant, &game_type, body.enabled)
        .await?;
    tracing::info!(enabled = row.enabled, "game type set");
    Ok(Json(TenantGameTypeView {
        game_type: row.game_type,
        enabled: row.enabled,
        updated_at_ms: Some(row.updated_at_ms),
    }))
}

/// `GET /v1/tenants/{tenant}/game-types`: every catalogue game type with
/// the tenant's setting (disabled when never set), plus any stored type no
/// longer in the catalogue.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn list_tenant_game_types(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Json<TenantGameTypes>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let rows = state.store.list_game_types(&tenant).await?;
    let mut out: Vec<TenantGameTypeView> = game_types(&state)
        .iter()
        .map(|g| {
            let row = rows.iter().find(|r| r.game_type == g.name);
            TenantGameTypeView {
                game_type: g.name.clone(),
                enabled: row.is_some_and(|r| r.enabled),
                updated_at_ms: row.map(|r| r.updated_at_ms),
            }
        })
        .collect();
    for r in rows {
        if !out.iter().any(|v| v.game_type == r.game_type) {
            out.push(TenantGameTypeView {
                game_type: r.game_type,
                enabled: r.enabled,
                updated_at_ms: Some(r.updated_at_ms),
            });
        }
    }
    Ok(Json(TenantGameTypes {
        tenant_id: tenant,
        game_types: out,
    }))
}
