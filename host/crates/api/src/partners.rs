//! Partner game types: upload a component (`POST
//! /v1/partners/{partner}/game-types`, raw `application/wasm` bytes), list
//! the partner's types and each type's versions.
//!
//! An upload is validated exactly like `veltrix plugin check` (the
//! [`veltrix_runtime::check`] module, with `api.upload_check_actions` and
//! `api.upload_replay_actions` as its action counts), stored
//! content-addressed as the next version of its game type
//! ([`veltrix_store::plugins`]), registered as that type's current version
//! and, for a new type, consumed by the processor from then on. Games pin
//! the version they were created with.
//!
//! Uploads are bounded (see docs/plugin-runtime.md, "Upload limits"): the
//! `[plugins.component]` static limits are checked here, by parsing the
//! bytes, before anything compiles them (422 `limit_exceeded`); the check
//! itself runs in a `veltrix plugin check-worker` child process within
//! `api.upload_check_timeout_ms` and `api.upload_check_memory_bytes`, one
//! at a time. The slot is owned by the task supervising the check, not by
//! the request: a request that times out or disconnects leaves the slot
//! taken until the child has been killed and reaped.
//!
//! A partner key acts for its own partner only: another partner's routes
//! answer 404, like a partner that does not exist. Operators may act for
//! any partner.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::auth::{Caller, partner_not_found};
use super::extract::ApiPath;
use super::operators::validate_id;
use super::players::body_rejection;
use super::{ApiError, AppState};
use veltrix_runtime::PluginHost;
use veltrix_runtime::check;
use veltrix_runtime::check::isolate::{self, IsolateError};
use veltrix_runtime::inspect::{self, InspectError};
use veltrix_store::{NewPluginVersion, PluginVersion, Upload};

/// The component upload route: the one body over `max_body_bytes`.
pub const UPLOAD_PATH: &str = "/v1/partners/{partner}/game-types";

/// The media type of an upload.
pub const WASM: &str = "application/wasm";

/// One check at a time: it compiles the component and runs thousands of
/// actions, and the host's cores also serve the games being played. A
/// permit is held until the check's work has stopped (see the module docs).
static CHECKS: Semaphore = Semaphore::const_new(1);

/// Beyond the time budget, how long the request waits for the check's own
/// verdict (a child killed at the budget is reaped within milliseconds).
const VERDICT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A stored version, as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    /// Game-type name.
    pub game_type: String,
    /// 1..n per game type.
    pub version: i64,
    /// Hex SHA-256 of the component.
    pub hash: String,
    /// The component's own semver (`describe().version`).
    pub plugin_version: String,
    /// Component size in bytes.
    pub size: i64,
    /// When stored, ms since the epoch.
    pub created_at_ms: i64,
    /// Games (all tenants, a count only) pinned to this version; filled
    /// by the versions route, 0 elsewhere.
    #[serde(default)]
    pub games: i64,
}

impl From<PluginVersion> for VersionView {
    fn from(v: PluginVersion) -> Self {
        Self {
            game_type: v.game_type,
            version: v.version,
            hash: v.hash,
            plugin_version: v.plugin_version,
            size: v.size,
            created_at_ms: v.created_at_ms,
            games: 0,
        }
    }
}

/// Checks access to `partner`, then that it exists.
async fn partner_access(state: &AppState, caller: &Caller, partner: &str) -> Result<(), ApiError> {
    caller.require_partner(partner)?;
    // An invalid id cannot name a partner: same 404, no database round trip.
    if validate_id("partner", partner).is_err() || !state.store.partner_exists(partner).await? {
        return Err(partner_not_found());
    }
    Ok(())
}

fn taken(game_type: &str) -> ApiError {
    ApiError::Conflict(format!(
        "game type `{game_type}` is built in or belongs to another partner"
    ))
}

/// `POST /v1/partners/{partner}/game-types`: 201 with the new version; 200
/// with the stored one when these bytes were uploaded before; 415 unless
/// `application/wasm`; 413 over `api.max_component_bytes`; 422
/// `limit_exceeded` over a `[plugins.component]` limit or the check's time
/// or memory budget; 422 `invalid` when the check fails (its failed steps
/// are the message); 409 when the name is built in or another partner's.
#[tracing::instrument(skip_all, fields(partner = %partner))]
pub async fn upload_game_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(partner): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<VersionView>), ApiError> {
    partner_access(&state, &caller, &partner).await?;
    let wasm = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(WASM));
    if !wasm {
        return Err(ApiError::UnsupportedMediaType(WASM));
    }
    let bytes = body.map_err(|r| body_rejection(&r, state.config.max_component_bytes))?;
    let hash = PluginHost::content_hash(&bytes);
    // The same bytes again: answered from the store, without checking
    // them again (the check is the expensive part, and it passed).
    if let Some(v) = state.store.plugin_version_by_hash(&hash).await? {
        if v.partner_id != partner {
            return Err(taken(&v.game_type));
        }
        return Ok((StatusCode::OK, Json(v.into())));
    }
    // The slot stays held through registering, which compiles again.
    let ((name, plugin_version), _slot) = check_upload(&state, bytes.clone()).await?;
    if validate_id("game_type", &name).is_err() {
        // The name becomes topic names and key prefixes.
        return Err(ApiError::Invalid(format!(
            "the component's game-type name `{name}` must be 1-64 characters of [A-Za-z0-9_.-]"
        )));
    }
    if state.processor.registry().is_builtin(&name) {
        return Err(taken(&name));
    }
    let upload = state
        .store
        .add_plugin_version(NewPluginVersion {
            partner_id: &partner,
            game_type: &name,
            hash: &hash,
            bytes: &bytes,
            plugin_version: &plugin_version,
        })
        .await?;
    let v = match upload {
        Upload::OwnedByOther => return Err(taken(&name)),
        Upload::Existing(v) => return Ok((StatusCode::OK, Json(v.into()))),
        Upload::New(v) => v,
    };
    make_playable(&state, &bytes, &name).await?;
    tracing::info!(game_type = %name, version = v.version, %hash, "game type version uploaded");
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Runs `veltrix plugin check` on `bytes`: the static limits here, then
/// the check in a child process (or in-process, see
/// `api.upload_check_binary`). Its name and version, and the check slot,
/// when every step passed; else 422 naming the limit or the failed steps.
async fn check_upload(
    state: &AppState,
    bytes: Bytes,
) -> Result<((String, String), SemaphorePermit<'static>), ApiError> {
    let registry = std::sync::Arc::clone(state.processor.registry());
    let limits = registry.host().limits().clone();
    // Milliseconds even for megabytes, and no slot: a component over a
    // static limit is refused before anything compiles it.
    let started = std::time::Instant::now();
    match inspect::inspect(&bytes, &limits.component) {
        Ok(inv) => tracing::debug!(?inv, "upload inspected"),
        Err(InspectError::Limit(l)) => {
            tracing::info!(limit = ?l.limit, value = l.value, max = l.max,
                elapsed_us = started.elapsed().as_micros() as u64, "upload refused before compiling");
            return Err(ApiError::LimitExceeded(format!(
                "the component is refused before compiling: {l}"
            )));
        }
        Err(e @ InspectError::Malformed(_)) => {
            return Err(ApiError::Invalid(format!(
                "the component failed `veltrix plugin check`: load: {e}"
            )));
        }
    }
    let permit = CHECKS.acquire().await.map_err(|_| ApiError::Internal)?;
    let api = &*state.config;
    let opts = api.upload_check(state.processor.reward_types());
    let budget = api.upload_check_budget();
    let binary = isolate::check_binary(&api.upload_check_binary);
    // The task owns the slot and hands it back with the verdict. If this
    // request is dropped meanwhile (its timeout, a disconnect), only the
    // JoinHandle goes: the task still waits for the child to be killed and
    // reaped (or the in-process check to end) before freeing the slot.
    let task = tokio::spawn(async move {
        let report = match binary {
            Some(bin) => isolate::run_in_child(&bin, &bytes, &limits, &opts, budget).await,
            // On the registry's own plugin host: registering the upload
            // later reuses this compilation from its cache.
            None => {
                tokio::task::spawn_blocking(move || check::check(registry.host(), &bytes, &opts))
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "the upload check panicked");
                        IsolateError::Worker
                    })
            }
        };
        (report, permit)
    });
    let (report, permit) = match tokio::time::timeout(budget.time + VERDICT_GRACE, task).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the upload check task failed");
            return Err(ApiError::Internal);
        }
        // Only in-process: the child path answers at its budget.
        Err(_) => {
            let e = IsolateError::Time {
                ms: budget.time.as_millis() as u64,
            };
            return Err(ApiError::LimitExceeded(e.to_string()));
        }
    };
    let report = match report {
        Ok(r) => r,
        Err(IsolateError::Worker) => return Err(ApiError::Internal),
        Err(e) => return Err(ApiError::LimitExceeded(e.to_string())),
    };
    if let Some(l) = &report.limit {
        tracing::info!(limit = ?l.limit, value = l.value, max = l.max, "upload refused by the check");
        return Err(ApiError::LimitExceeded(format!(
            "the component failed `veltrix plugin check`: {l}"
        )));
    }
    if report.passed
        && let Some(described) = report.described
    {
        return Ok((described, permit));
    }
    let failed: Vec<String> = report
        .steps
        .iter()
        .filter(|s| !s.passed)
        .map(|s| format!("{}: {}", s.name, s.detail))
        .collect();
    tracing::info!(?failed, "upload refused by the check");
    Err(ApiError::Invalid(format!(
        "the component failed `veltrix plugin check`: {}",
        failed.join("; ")
    )))
}

/// Registers a stored upload as its type's current version and has the
/// processor consume the type's topic. A failure here leaves the version
/// stored: the next start registers it (see `veltrix_server::Host::open`).
async fn make_playable(state: &AppState, bytes: &Bytes, name: &str) -> Result<(), ApiError> {
    let registry = std::sync::Arc::clone(state.processor.registry());
    let b = bytes.clone();
    let registered = tokio::task::spawn_blocking(move || registry.register(&b)).await;
    match registered {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a checked upload would not register");
            return Err(ApiError::Internal);
        }
        Err(e) => {
            tracing::error!(error = %e, "registering an upload panicked");
            return Err(ApiError::Internal);
        }
    }
    state.processor.add_game_type(name).await?;
    Ok(())
}

/// `GET /v1/partners/{partner}/game-types`: the partner's types, each with
/// its latest version.
#[tracing::instrument(skip_all, fields(partner = %partner))]
pub async fn list_game_types(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(partner): ApiPath<String>,
) -> Result<Json<PartnerGameTypes>, ApiError> {
    partner_access(&state, &caller, &partner).await?;
    let types: Vec<VersionView> = state
        .store
        .partner_game_types(&partner)
        .await?
        .into_iter()
        .map(VersionView::from)
        .collect();
    Ok(Json(PartnerGameTypes {
        partner_id: partner,
        game_types: types,
    }))
}

/// `GET /v1/partners/{partner}/game-types`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerGameTypes {
    /// The partner.
    pub partner_id: String,
    /// Each of its types at its latest version.
    pub game_types: Vec<VersionView>,
}

/// `GET /v1/partners/{partner}/game-types/{type}/versions`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginVersions {
    /// The partner.
    pub partner_id: String,
    /// The game type.
    pub game_type: String,
    /// Every version, ascending.
    pub versions: Vec<VersionView>,
}

/// `GET /v1/partners/{partner}/game-types/{type}/versions`: every version,
/// ascending; 404 unless the type is the partner's.
#[tracing::instrument(skip_all, fields(partner = %partner, game_type = %game_type))]
pub async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((partner, game_type)): ApiPath<(String, String)>,
) -> Result<Json<PluginVersions>, ApiError> {
    partner_access(&state, &caller, &partner).await?;
    let versions = state.store.plugin_versions(&game_type).await?;
    if versions.first().is_none_or(|v| v.partner_id != partner) {
        return Err(ApiError::NotFound("game type not found".into()));
    }
    let running = state.store.games_per_plugin(&game_type).await?;
    let versions: Vec<VersionView> = versions
        .into_iter()
        .map(|v| {
            let games = running.get(&v.hash).copied().unwrap_or(0);
            VersionView {
                games,
                ..VersionView::from(v)
            }
        })
        .collect();
    Ok(Json(PluginVersions {
        partner_id: partner,
        game_type,
        versions,
    }))
}
