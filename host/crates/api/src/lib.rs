//! # veltrix-api
//!
//! The HTTP API (axum): operators, partners and tenants over JSON.
//!
//! - [`config`]: `[api]` (listen address, body limit, timeouts, bootstrap
//!   operator key, leaderboard backend);
//! - [`auth`]: hashed bearer API keys and the [`Caller`] extractor (bearer,
//!   or the session cookie);
//! - [`session`]: `POST/GET/DELETE /v1/session`, the cookie and CSRF rules;
//! - [`error`]: [`ApiError`], the one JSON error shape;
//! - [`extract`]: request parsing shared by every route ([`ApiJson`],
//!   [`extract::ApiPath`], the content-type and `Idempotency-Key` rules);
//! - [`operators`]: tenants, partners, keys; `/healthz`, `/readyz`,
//!   `/metrics`;
//! - [`directory`]: the operator's listings of tenants, partners, keys;
//! - [`partners`]: partner game-type uploads (checked, versioned) and
//!   their listings;
//! - [`tenants`]: the game-type catalogue and per-tenant enablement;
//! - [`games`]: a tenant's games, player tokens and game-master actions;
//! - [`players`]: the [`players::Player`] extractor, actions (with
//!   idempotency keys) and the leaderboard;
//! - [`feed`]: `GET /v1/play/feed`, player deltas over SSE;
//! - [`console`]: what the tenant console lists and imports: games,
//!   players, a players CSV import, results CSV;
//! - [`activity`]: a game's outcomes over SSE (backlog, then live);
//! - [`screen`]: projector tokens, freeze/reveal, and the projector's
//!   board (read or streamed);
//! - [`branding`]: the tenant's name, logo and colours on the projector;
//! - [`progress`]: per-quest progress (latest status per team), for the
//!   projector;
//! - [`evidence`]: player evidence uploads, content-addressed per tenant;
//! - [`metrics`]: request counters and latency histograms;
//! - [`openapi`]: `GET /openapi.json`;
//! - [`server`]: [`AppState`], [`router`], [`serve_on`].
//!
//! See `docs/api.md`.

pub mod activity;
pub mod auth;
pub mod branding;
pub mod config;
pub mod console;
pub mod directory;
pub mod error;
pub mod evidence;
pub mod extract;
pub mod feed;
pub mod games;
pub mod metrics;
pub mod openapi;
pub mod operators;
pub mod partners;
pub mod players;
pub mod progress;
pub mod screen;
pub mod server;
pub mod session;
pub mod tenants;

pub use auth::{Caller, Role};
pub use config::{ApiConfig, LeaderboardBackend};
pub use error::ApiError;
pub use extract::{ApiJson, ApiPath};
pub use server::{AppState, Shared, router, serve_on};
