//! [`AppState`], the [`router`] (routes, body limit, timeout, metrics,
//! tracing) and [`serve`] (open the backends from config, serve until
//! Ctrl-C, drain in-flight requests).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use super::metrics::Metrics;
use super::{ApiError, LeaderboardBackend, auth, openapi, operators, tenants};
use crate::config::HostConfig;
use crate::leaderboard::{BoardSettings, EmbeddedBoard, Leaderboard, LeaderboardError, RedisBoard};
use crate::store::{Store, StoreError};
use crate::streams::{self, StreamError, Streams};

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Ledger, outbox and tenancy tables.
    pub store: Store,
    /// The stream backend.
    pub streams: Arc<dyn Streams>,
    /// The leaderboard backend.
    pub leaderboard: Arc<dyn Leaderboard>,
    /// The whole host config.
    pub config: Arc<HostConfig>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// Hash of `api.bootstrap_operator_key`, when set.
    pub(crate) bootstrap_hash: Option<String>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("streams", &self.streams.backend())
            .field("leaderboard", &self.leaderboard.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over already-open backends.
    pub fn new(
        store: Store,
        streams: Arc<dyn Streams>,
        leaderboard: Arc<dyn Leaderboard>,
        config: HostConfig,
    ) -> Self {
        Self {
            bootstrap_hash: auth::bootstrap_hash(&config.api.bootstrap_operator_key),
            store,
            streams,
            leaderboard,
            config: Arc::new(config),
            metrics: Arc::default(),
        }
    }

    /// Opens the store, the stream backend (ensuring its topics) and the
    /// leaderboard backend named by the config.
    pub async fn open(config: HostConfig) -> Result<Self, ServeError> {
        let store = Store::open(&config).await?;
        let s = streams::open(&config.streams, &config.kafka).await?;
        s.ensure(&config.streams.topics()).await?;
        let board: Arc<dyn Leaderboard> = match config.api.leaderboard {
            LeaderboardBackend::Embedded => {
                Arc::new(EmbeddedBoard::new(BoardSettings::from(&config.redis)))
            }
            LeaderboardBackend::Redis => Arc::new(RedisBoard::connect(&config.redis).await?),
        };
        Ok(Self::new(store, s, board, config))
    }
}

/// Why `serve` could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store would not open.
    #[error("opening the store: {0}")]
    Store(#[from] StoreError),
    /// The stream backend would not open.
    #[error("opening the stream backend: {0}")]
    Streams(#[from] StreamError),
    /// The leaderboard backend would not open.
    #[error("opening the leaderboard backend: {0}")]
    Leaderboard(#[from] LeaderboardError),
    /// Binding or serving failed.
    #[error("serving on {addr}: {source}")]
    Io {
        /// The listen address.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
}

/// One route: method, path pattern (axum 0.8 `{param}` syntax), handler.
/// [`openapi`] documents exactly these (a test holds them together).
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path pattern.
    pub path: &'static str,
    /// Handler.
    pub handler: MethodRouter<AppState>,
}

/// Every route the API serves.
pub fn routes() -> Vec<Route> {
    let r = |method: Method, path, handler| Route {
        method,
        path,
        handler,
    };
    vec![
        r(Method::GET, "/healthz", get(operators::healthz)),
        r(Method::GET, "/readyz", get(operators::readyz)),
        r(Method::GET, "/metrics", get(operators::metrics)),
        r(Method::GET, "/openapi.json", get(openapi::serve_document)),
        r(Method::POST, "/v1/tenants", post(operators::create_tenant)),
        r(
            Method::POST,
            "/v1/partners",
            post(operators::create_partner),
        ),
        r(Method::POST, "/v1/keys", post(operators::create_key)),
        r(Method::GET, "/v1/game-types", get(tenants::list_catalogue)),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/game-types",
            get(tenants::list_tenant_game_types),
        ),
        r(
            Method::PUT,
            "/v1/tenants/{tenant}/game-types/{type}",
            put(tenants::set_game_type),
        ),
    ]
}

/// The API router over `state`.
pub fn router(state: AppState) -> Router {
    let limit = state.config.api.max_body_bytes;
    let mut app = Router::new();
    for route in routes() {
        app = app.route(route.path, route.handler);
    }
    app.fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Json bodies read through this limit; over it, the extractor's
        // rejection becomes our 413 JSON error before anything is parsed.
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Times out slow requests (503) and records every request's metrics,
/// labelled by route pattern.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = match tokio::time::timeout(state.config.api.request_timeout(), next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(%route, %method, "request timed out");
            ApiError::Unavailable("the request timed out".into()).into_response()
        }
    };
    state
        .metrics
        .record(&method, &route, resp.status().as_u16(), start.elapsed());
    resp
}

/// Serves `state` on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Opens the backends from `config`, binds `api.listen` and serves until
/// Ctrl-C.
pub async fn serve(config: HostConfig) -> Result<(), ServeError> {
    let addr = config.api.listen.clone();
    let io = |source| ServeError::Io {
        addr: addr.clone(),
        source,
    };
    let state = AppState::open(config).await?;
    let store = state.store.clone();
    let listener = TcpListener::bind(&addr).await.map_err(io)?;
    let local: SocketAddr = listener.local_addr().map_err(io)?;
    tracing::info!(addr = %local, "API listening");
    serve_on(listener, state, async {
        // If the signal handler cannot be installed, keep serving: the
        // process can still be stopped by other means.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: draining in-flight requests");
    })
    .await
    .map_err(io)?;
    store.close().await;
    Ok(())
}
