//! [`AppState`], the [`router`] (routes, body limit, timeout, metrics,
//! tracing) and [`serve`] (open the backends from config, serve until
//! Ctrl-C, drain in-flight requests).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;

use super::feed::FeedHub;
use super::metrics::Metrics;
use super::{
    ApiError, LeaderboardBackend, auth, feed, games, openapi, operators, partners, players, tenants,
};
use crate::config::HostConfig;
use crate::leaderboard::{BoardSettings, EmbeddedBoard, Leaderboard, LeaderboardError, RedisBoard};
use crate::outbox::Relay;
use crate::processor::{Processor, ProcessorError, Registry};
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
    /// The game processor (started by [`AppState::start`]).
    pub processor: Arc<Processor>,
    /// The player-delta fan-out behind `GET /v1/play/feed`.
    pub feed: Arc<FeedHub>,
    /// Hash of `api.bootstrap_operator_key`, when set.
    pub(crate) bootstrap_hash: Option<String>,
    /// The outbox relay started by [`AppState::start`] (with
    /// `outbox.relay_in_serve`): its stop signal and task.
    relay: Arc<Mutex<Option<RelayTask>>>,
}

type RelayTask = (watch::Sender<bool>, JoinHandle<()>);

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
    /// State over already-open backends and a (not yet started)
    /// processor over the same backends.
    pub fn new(
        store: Store,
        streams: Arc<dyn Streams>,
        leaderboard: Arc<dyn Leaderboard>,
        processor: Arc<Processor>,
        config: HostConfig,
    ) -> Self {
        let feed = Arc::new(FeedHub::new(
            Arc::clone(&streams),
            config.streams.topic(streams::Family::Players, ""),
        ));
        Self {
            bootstrap_hash: auth::bootstrap_hash(&config.api.bootstrap_operator_key),
            store,
            streams,
            leaderboard,
            processor,
            feed,
            config: Arc::new(config),
            metrics: Arc::default(),
            relay: Arc::default(),
        }
    }

    /// Starts the processor's worker loop (games are played from here on)
    /// and, with `outbox.relay_in_serve`, an outbox relay, so minted
    /// rewards reach the reward stream without a separate process.
    pub async fn start(&self) -> Result<(), ServeError> {
        // An in-memory board starts empty: fold the ledger into it before
        // the first action applies (a rebuild replaces a game's board).
        if self.leaderboard.backend() == "embedded" {
            crate::processor::rebuild_boards(&self.store, self.leaderboard.as_ref(), None)
                .await
                .map_err(|e| ServeError::Boards(e.to_string()))?;
        }
        self.processor.start().await?;
        if self.config.outbox.relay_in_serve {
            let relay = Relay::new(
                self.store.clone(),
                Arc::clone(&self.streams),
                self.config.outbox.clone(),
                format!(
                    "serve-{}-{}",
                    std::process::id(),
                    uuid::Uuid::now_v7().simple()
                ),
            )
            .with_telemetry(Arc::clone(self.processor.telemetry()));
            let (stop, rx) = watch::channel(false);
            let task = tokio::spawn(async move { relay.run(rx).await });
            *self.relay.lock().expect("relay lock") = Some((stop, task));
        }
        Ok(())
    }

    /// Ends the feeds, stops the processor (snapshotting its games) and
    /// closes the store. Call it after the server stopped: a handle still
    /// held elsewhere means the processor is only aborted (a crash, which
    /// loses nothing: see [`Processor`]).
    pub async fn shutdown(self) {
        self.feed.stop();
        let store = self.store.clone();
        match Arc::try_unwrap(self.processor) {
            Ok(p) => p.shutdown().await,
            Err(_) => tracing::warn!("processor still shared at shutdown; aborting it"),
        }
        // After the processor: its last batch's rewards get published now
        // rather than by the next host's relay.
        let relay = self.relay.lock().expect("relay lock").take();
        if let Some((stop, task)) = relay {
            let _ = stop.send(true);
            let _ = task.await;
        }
        store.close().await;
    }

    /// Opens the store, the stream backend (ensuring its topics) and the
    /// leaderboard backend named by the config.
    pub async fn open(config: HostConfig) -> Result<Self, ServeError> {
        let store = Store::open(&config).await?;
        let s = streams::open(&config.streams, &config.kafka, &config.database.url).await?;
        s.ensure(&config.streams.topics()).await?;
        let board: Arc<dyn Leaderboard> = match config.api.leaderboard {
            LeaderboardBackend::Embedded => {
                Arc::new(EmbeddedBoard::new(BoardSettings::from(&config.redis)))
            }
            LeaderboardBackend::Redis => Arc::new(RedisBoard::connect(&config.redis).await?),
        };
        let registry = Registry::with_builtins(config.plugins.clone())
            .map_err(|e| ServeError::Plugins(format!("{e:#}")))?;
        let registry = Arc::new(registry);
        let uploaded = load_uploads(&store, &registry).await?;
        let processor = Processor::new(
            &config,
            Arc::clone(&s),
            store.clone(),
            Arc::clone(&board),
            registry,
        );
        // Before start: ensures their topics and adds them to the loop's
        // subscription.
        for game_type in uploaded {
            processor.add_game_type(&game_type).await?;
        }
        Ok(Self::new(store, s, board, Arc::new(processor), config))
    }
}

/// Registers every stored partner upload, by type and version, so each
/// type's newest version is current and games pinned to older ones still
/// find theirs. Returns the types. A version that no longer loads (the
/// plugin limits changed, say) is logged and skipped: the host still
/// serves, and games pinned to it fault rather than run other rules.
async fn load_uploads(store: &Store, registry: &Arc<Registry>) -> Result<Vec<String>, ServeError> {
    let components = store.all_plugin_components().await?;
    let registry = Arc::clone(registry);
    // Loading compiles and calls `describe`: the blocking pool.
    tokio::task::spawn_blocking(move || {
        let mut types: Vec<String> = Vec::new();
        for (v, bytes) in components {
            match registry.register(&bytes) {
                // The stored name is the one `describe` gave at upload.
                Ok(_) if !types.contains(&v.game_type) => types.push(v.game_type),
                Ok(_) => {}
                Err(e) => tracing::error!(game_type = %v.game_type, version = v.version, error = %e, "stored component would not load; skipped"),
            }
        }
        types
    })
    .await
    .map_err(|e| ServeError::Plugins(format!("loading uploaded game types: {e}")))
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
    /// The built-in game types would not load.
    #[error("loading the built-in game types: {0}")]
    Plugins(String),
    /// The leaderboards could not be rebuilt from the ledger.
    #[error("rebuilding the leaderboards: {0}")]
    Boards(String),
    /// The processor would not start.
    #[error("starting the processor: {0}")]
    Processor(#[from] ProcessorError),
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
        r(
            Method::DELETE,
            "/v1/keys/{key_id}",
            delete(operators::revoke_key),
        ),
        r(Method::GET, "/v1/game-types", get(tenants::list_catalogue)),
        r(Method::POST, UPLOAD_PATH, post(partners::upload_game_type)),
        r(
            Method::GET,
            "/v1/partners/{partner}/game-types",
            get(partners::list_game_types),
        ),
        r(
            Method::GET,
            "/v1/partners/{partner}/game-types/{type}/versions",
            get(partners::list_versions),
        ),
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
        r(
            Method::POST,
            "/v1/tenants/{tenant}/games",
            post(games::create_game),
        ),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/games/{game}",
            get(games::get_game),
        ),
        r(
            Method::POST,
            "/v1/tenants/{tenant}/games/{game}/players",
            post(games::add_player),
        ),
        r(
            Method::DELETE,
            "/v1/tenants/{tenant}/games/{game}/players/{player}/tokens",
            delete(games::revoke_player_tokens),
        ),
        r(
            Method::POST,
            "/v1/tenants/{tenant}/games/{game}/gm",
            post(games::game_master_action),
        ),
        r(Method::POST, "/v1/play/actions", post(players::act)),
        r(
            Method::GET,
            "/v1/play/actions/{action_id}",
            get(players::get_action),
        ),
        r(
            Method::GET,
            "/v1/play/leaderboard",
            get(players::leaderboard),
        ),
        r(Method::GET, "/v1/play/feed", get(feed::feed)),
    ]
}

/// The component upload route: the one body over `max_body_bytes`.
pub const UPLOAD_PATH: &str = "/v1/partners/{partner}/game-types";

/// The API router over `state`.
pub fn router(state: AppState) -> Router {
    let limit = state.config.api.max_body_bytes;
    let mut app = Router::new();
    for route in routes() {
        let mut handler = route.handler;
        if route.path == UPLOAD_PATH && route.method == Method::POST {
            // Inside the router-wide limit below, so it wins for this route.
            handler = handler.layer(DefaultBodyLimit::max(state.config.api.max_component_bytes));
        }
        app = app.route(route.path, handler);
    }
    app.fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Json bodies read through this limit; over it, the extractor's
        // rejection becomes our 413 JSON error before anything is parsed.
        .layer(DefaultBodyLimit::max(limit))
        // Inside `observe`, so metrics count the status the client got.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::error::json_errors,
        ))
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

/// Opens the backends from `config`, starts the processor, binds
/// `api.listen` and serves until Ctrl-C; then ends the feeds (open SSE
/// streams would otherwise hold the graceful shutdown forever), drains
/// in-flight requests and stops the processor.
pub async fn serve(config: HostConfig) -> Result<(), ServeError> {
    let addr = config.api.listen.clone();
    let io = |source| ServeError::Io {
        addr: addr.clone(),
        source,
    };
    let state = AppState::open(config).await?;
    let listener = TcpListener::bind(&addr).await.map_err(io)?;
    let local: SocketAddr = listener.local_addr().map_err(io)?;
    state.start().await?;
    tracing::info!(addr = %local, "API listening");
    let feed = Arc::clone(&state.feed);
    let served = serve_on(listener, state.clone(), async move {
        // If the signal handler cannot be installed, keep serving: the
        // process can still be stopped by other means.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: draining in-flight requests");
        feed.stop();
    })
    .await;
    state.shutdown().await;
    served.map_err(io)?;
    Ok(())
}
