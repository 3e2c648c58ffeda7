//! [`AppState`], the [`router`] (routes, body limit, timeout, metrics,
//! tracing) and [`serve_on`] (serve a router until a shutdown signal, then
//! drain in-flight requests). Opening the backends is the composition
//! root's job (`veltrix-server`).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use super::feed::FeedHub;
use super::metrics::Metrics;
use super::{
    ApiConfig, ApiError, activity, auth, branding, console, directory, evidence, feed, games,
    openapi, operators, partners, players, screen, session, tenants,
};
use veltrix_leaderboard::Leaderboard;
use veltrix_pipeline::processor::Processor;
use veltrix_store::Store;
use veltrix_streams::Streams;

/// What every handler can reach: one `Arc` over [`Shared`], whose fields it
/// derefs to. Built by the composition root
/// (`veltrix_server::Host::api_state`) over backends it opened.
///
/// Why one `Arc`: axum clones the state for every extractor and
/// middleware layer of every request. As a struct of ten handles, those
/// clones and drops (a dozen atomic increments and decrements each, and a
/// `String` copy) took about 11% of the server's CPU under
/// `scripts/bench-http.sh`; now each is one increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The handles behind an [`AppState`].
pub struct Shared {
    /// Ledger, outbox and tenancy tables.
    pub store: Store,
    /// The stream backend.
    pub streams: Arc<dyn Streams>,
    /// The leaderboard backend.
    pub leaderboard: Arc<dyn Leaderboard>,
    /// The `[api]` section.
    pub config: Arc<ApiConfig>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// The game processor (started by the composition root).
    pub processor: Arc<Processor>,
    /// The player-delta fan-out behind `GET /v1/play/feed`.
    pub feed: Arc<FeedHub>,
    /// The player-delta topic (the feed's; `/readyz` probes it).
    pub players_topic: Arc<str>,
    /// Hash of `api.bootstrap_operator_key`, when set.
    pub(crate) bootstrap_hash: Option<String>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
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
    /// State over already-open backends and a processor over the same
    /// backends; the feed reads the player-delta topic `players_topic`.
    pub fn new(
        store: Store,
        streams: Arc<dyn Streams>,
        leaderboard: Arc<dyn Leaderboard>,
        processor: Arc<Processor>,
        config: ApiConfig,
        players_topic: String,
    ) -> Self {
        let feed = Arc::new(FeedHub::new(Arc::clone(&streams), players_topic.clone()));
        Self(Arc::new(Shared {
            bootstrap_hash: auth::bootstrap_hash(&config.bootstrap_operator_key),
            store,
            streams,
            leaderboard,
            processor,
            feed,
            players_topic: players_topic.into(),
            config: Arc::new(config),
            metrics: Arc::default(),
        }))
    }
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
        r(Method::GET, "/v1/tenants", get(directory::tenants)),
        r(Method::GET, "/v1/partners", get(directory::partners)),
        r(Method::GET, "/v1/keys", get(directory::keys)),
        r(
            Method::DELETE,
            "/v1/keys/{key_id}",
            delete(operators::revoke_key),
        ),
        r(Method::GET, "/v1/game-types", get(tenants::list_catalogue)),
        r(
            Method::POST,
            partners::UPLOAD_PATH,
            post(partners::upload_game_type),
        ),
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
        r(Method::GET, "/v1/play/view", get(players::view)),
        r(Method::GET, "/v1/play/game-type", get(players::game_type)),
        r(Method::GET, "/v1/play/feed", get(feed::feed)),
        // The pages' routes (docs/screens.md).
        r(Method::POST, "/v1/session", post(session::login)),
        r(Method::GET, "/v1/session", get(session::whoami)),
        r(Method::DELETE, "/v1/session", delete(session::logout)),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/games",
            get(console::list_games),
        ),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/games/{game}/players",
            get(console::list_players),
        ),
        r(
            Method::POST,
            console::IMPORT_PATH,
            post(console::import_players),
        ),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/games/{game}/activity",
            get(activity::activity),
        ),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/games/{game}/results.csv",
            get(console::results_csv),
        ),
        r(Method::POST, evidence::UPLOAD_PATH, post(evidence::upload)),
        r(
            Method::GET,
            "/v1/tenants/{tenant}/evidence/{evidence_id}",
            get(evidence::get),
        ),
        r(
            Method::POST,
            "/v1/tenants/{tenant}/games/{game}/projector",
            post(screen::rotate),
        ),
        r(
            Method::PUT,
            "/v1/tenants/{tenant}/games/{game}/projector",
            put(screen::set_flags),
        ),
        r(
            Method::PUT,
            "/v1/tenants/{tenant}/branding",
            put(branding::set_branding),
        ),
        r(Method::GET, "/v1/screen/{token}", get(screen::get_board)),
        r(
            Method::GET,
            "/v1/screen/{token}/stream",
            get(screen::stream),
        ),
    ]
}

/// The API router over `state`.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let mut app = Router::new();
    for route in routes() {
        let mut handler = route.handler;
        // Inside the router-wide limit below, so these win for their route.
        let own_limit = match (route.method.clone(), route.path) {
            (Method::POST, partners::UPLOAD_PATH) => Some(state.config.max_component_bytes),
            (Method::POST, evidence::UPLOAD_PATH) => Some(state.config.max_evidence_bytes),
            (Method::POST, console::IMPORT_PATH) => Some(state.config.import_body_limit()),
            _ => None,
        };
        if let Some(max) = own_limit {
            handler = handler.layer(DefaultBodyLimit::max(max));
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
    let resp = match tokio::time::timeout(state.config.request_timeout(), next.run(req)).await {
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
