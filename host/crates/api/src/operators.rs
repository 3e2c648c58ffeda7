//! Operator routes (tenants, partners, keys) and the unauthenticated
//! probes: `/healthz`, `/readyz`, `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, Role, generate_key, hash_key};
use super::{ApiError, ApiJson, ApiPath, AppState};
use veltrix_leaderboard::Board;
use veltrix_leaderboard::keys::validate_scope_id;
use veltrix_store::ApiKeyRow;

/// Longest tenant or partner display name, in characters.
pub const MAX_NAME: usize = 200;

/// Checks an id with the leaderboard's rule (the id ends up in Redis key
/// prefixes, so one rule for both keeps every tenant id usable there),
/// minus `.` and `..`: ids become path segments and topic or file names,
/// where those two mean "here" and "up".
pub fn validate_id(what: &str, id: &str) -> Result<(), ApiError> {
    validate_scope_id(what, id).map_err(ApiError::from)?;
    if id == "." || id == ".." {
        return Err(ApiError::Invalid(format!(
            "{what} id must not be `.` or `..`"
        )));
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::Invalid(format!(
            "name must be 1-{MAX_NAME} characters without control characters"
        )));
    }
    Ok(())
}

/// `POST /v1/tenants` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1-64 of `[A-Za-z0-9_.-]`, not `.` or `..`.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub tenant_id: String,
    /// Display name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// `POST /v1/partners` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    /// 1-64 of `[A-Za-z0-9_.-]`, not `.` or `..`.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub partner_id: String,
    /// Display name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// A created tenant or partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When, ms since the epoch.
    pub created_at_ms: i64,
}

/// `POST /v1/tenants`: 201, or 409 when the id is taken.
#[tracing::instrument(skip_all, fields(tenant_id = %body.tenant_id))]
pub async fn create_tenant(
    State(state): State<AppState>,
    _operator: Operator,
    ApiJson(body): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    validate_id("tenant", &body.tenant_id)?;
    validate_name(&body.name)?;
    let Some(at) = state
        .store
        .create_tenant(&body.tenant_id, &body.name)
        .await?
    else {
        return Err(ApiError::Conflict("tenant already exists".into()));
    };
    tracing::info!("tenant created");
    Ok(created(body.tenant_id, body.name, at))
}

/// `POST /v1/partners`: 201, or 409 when the id is taken.
#[tracing::instrument(skip_all, fields(partner_id = %body.partner_id))]
pub async fn create_partner(
    State(state): State<AppState>,
    _operator: Operator,
    ApiJson(body): ApiJson<NewPartner>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    validate_id("partner", &body.partner_id)?;
    validate_name(&body.name)?;
    let Some(at) = state
        .store
        .create_partner(&body.partner_id, &body.name)
        .await?
    else {
        return Err(ApiError::Conflict("partner already exists".into()));
    };
    tracing::info!("partner created");
    Ok(created(body.partner_id, body.name, at))
}

fn created(id: String, name: String, created_at_ms: i64) -> (StatusCode, Json<Created>) {
    (
        StatusCode::CREATED,
        Json(Created {
            id,
            name,
            created_at_ms,
        }),
    )
}

/// `POST /v1/keys` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Role of the key.
    pub role: Role,
    /// Required for (and only for) a tenant key.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Required for (and only for) a partner key.
    #[serde(default)]
    pub partner_id: Option<String>,
}

/// A new key: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKey {
    /// The secret, `vx_<role>_<hex>`.
    pub key: String,
    /// The key's public id (the first 16 hex of its hash): what
    /// `DELETE /v1/keys/{key_id}` takes, safe to log and store.
    pub key_id: String,
    /// Role.
    pub role: Role,
    /// Tenant of a tenant key.
    pub tenant_id: Option<String>,
    /// Partner of a partner key.
    pub partner_id: Option<String>,
}

/// `POST /v1/keys`: 201 with the secret (shown once).
#[tracing::instrument(skip_all, fields(role = ?body.role))]
pub async fn create_key(
    State(state): State<AppState>,
    _operator: Operator,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    match (body.role, &body.tenant_id, &body.partner_id) {
        (Role::Operator, None, None) => {}
        (Role::Tenant, Some(t), None) => {
            validate_id("tenant", t)?;
            if !state.store.tenant_exists(t).await? {
                return Err(ApiError::NotFound("tenant not found".into()));
            }
        }
        (Role::Partner, None, Some(p)) => {
            validate_id("partner", p)?;
            if !state.store.partner_exists(p).await? {
                return Err(ApiError::NotFound("partner not found".into()));
            }
        }
        _ => {
            return Err(ApiError::Invalid(
                "a tenant key needs tenant_id only, a partner key partner_id only, \
                 an operator key neither"
                    .into(),
            ));
        }
    }
    let key = generate_key(body.role);
    let row = ApiKeyRow {
        key_hash: hash_key(&key),
        role: body.role.as_str().to_string(),
        tenant_id: body.tenant_id.clone(),
        partner_id: body.partner_id.clone(),
    };
    if !state.store.insert_api_key(&row).await? {
        tracing::error!("generated API key collided with a stored one");
        return Err(ApiError::Internal);
    }
    tracing::info!(tenant_id = ?row.tenant_id, partner_id = ?row.partner_id, "API key issued");
    Ok((
        StatusCode::CREATED,
        Json(IssuedKey {
            key,
            key_id: key_id(&row.key_hash),
            role: body.role,
            tenant_id: body.tenant_id,
            partner_id: body.partner_id,
        }),
    ))
}

/// Length of a key id, in hex characters (64 bits of the hash).
const KEY_ID_LEN: usize = 16;

/// A key's public id: the first [`KEY_ID_LEN`] hex characters of its hash.
pub(crate) fn key_id(hash: &str) -> String {
    hash[..KEY_ID_LEN.min(hash.len())].to_string()
}

/// `DELETE /v1/keys/{key_id}`: revokes a key; 404 when no live key has
/// that id. The bootstrap key is config, not a row: unset it instead.
#[tracing::instrument(skip(state, _operator))]
pub async fn revoke_key(
    State(state): State<AppState>,
    _operator: Operator,
    ApiPath(key_id): ApiPath<String>,
) -> Result<Json<RevokedKey>, ApiError> {
    let well_formed = key_id.len() == KEY_ID_LEN
        && key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(ApiError::NotFound("no live key with this id".into()));
    }
    if !state.store.revoke_api_key(&key_id).await? {
        return Err(ApiError::NotFound("no live key with this id".into()));
    }
    tracing::info!(%key_id, "API key revoked");
    Ok(Json(RevokedKey {
        key_id,
        revoked: true,
    }))
}

/// A revoked key.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedKey {
    /// Its public id.
    pub key_id: String,
    /// Always true.
    pub revoked: bool,
}

/// `GET /healthz`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz`'s answer: each backend `ok` or `failed` (a 503 carries
/// the same `checks` beside its error).
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: &'static str,
    /// Per backend (`store`, `streams`, `leaderboard`): `ok` or `failed`.
    pub checks: std::collections::BTreeMap<String, String>,
}

/// `GET /readyz`: 200 when the store, the stream backend and the
/// leaderboard backend all answer within `api.ready_timeout_ms`; else 503
/// naming the ones that did not.
#[tracing::instrument(skip_all)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let limit = state.config.ready_timeout();
    let store = async { state.store.ping().await.map_err(|_| ()) };
    // Any configured topic will do: `partitions` is a metadata call on
    // Kafka and a map lookup embedded; the host ensures the topics at start.
    let topic: &str = &state.players_topic;
    let streams = async { state.streams.partitions(topic).await.map_err(|_| ()) };
    // A read of a board that never exists: cheap, and a real round trip.
    let board = async {
        state
            .leaderboard
            .top("_ready", "_ready", Board::Players, 1)
            .await
            .map_err(|_| ())
    };
    let (s, t, b) = tokio::join!(
        tokio::time::timeout(limit, store),
        tokio::time::timeout(limit, streams),
        tokio::time::timeout(limit, board),
    );
    let checks = [
        ("store", matches!(s, Ok(Ok(_)))),
        ("streams", matches!(t, Ok(Ok(_)))),
        ("leaderboard", matches!(b, Ok(Ok(_)))),
    ];
    let failed: Vec<&str> = checks.iter().filter(|c| !c.1).map(|c| c.0).collect();
    let body: std::collections::BTreeMap<String, String> = checks
        .iter()
        .map(|(n, ok)| (n.to_string(), (if *ok { "ok" } else { "failed" }).into()))
        .collect();
    if failed.is_empty() {
        let ready = Ready {
            status: "ready",
            checks: body,
        };
        (StatusCode::OK, Json(ready)).into_response()
    } else {
        tracing::warn!(?failed, "not ready");
        let e = ApiError::Unavailable(format!("not ready: {} failed", failed.join(", ")));
        let mut json = e.body();
        json["checks"] = serde_json::to_value(&body).unwrap_or_default();
        (e.status(), Json(json)).into_response()
    }
}

/// `GET /metrics`: OpenMetrics text (Prometheus reads it): request metrics, the outbox backlog,
/// and the processor's telemetry (plugin calls, stream latency, consumer
/// lag). The lag needs end offsets from the stream backend, bounded by
/// `api.ready_timeout_ms` so a slow broker cannot hang the scrape.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let telemetry = state.processor.telemetry();
    let limit = state.config.ready_timeout();
    let (outbox, lag) = tokio::join!(
        state.store.outbox_stats(),
        telemetry.consumer_lag(state.streams.as_ref(), limit),
    );
    let outbox = match outbox {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the outbox backlog");
            None
        }
    };
    let mut registry = veltrix_pipeline::telemetry::Registry::default();
    state.metrics.register(&mut registry, outbox);
    if let Some(counts) = state.store.sqlite_writer_counts() {
        super::metrics::register_writer(&mut registry, counts);
    }
    super::metrics::register_token_lookups(&mut registry, state.store.token_lookup_counts());
    telemetry.register(&mut registry, lag.as_deref());
    let text = veltrix_pipeline::telemetry::encode(&registry);
    (
        [(
            header::CONTENT_TYPE,
            veltrix_pipeline::telemetry::CONTENT_TYPE,
        )],
        text,
    )
        .into_response()
}
