//! `[api]`: the HTTP API's listen address, limits and bootstrap key.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which leaderboard backend `veltrix serve` opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaderboardBackend {
    /// The in-process board: no server (the default, like the embedded
    /// stream log).
    #[default]
    Embedded,
    /// Redis at `[redis].url`.
    Redis,
}

/// `[api]`. Every field may be overridden with `VELTRIX_API__<FIELD>`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Address `veltrix serve` listens on. Default `127.0.0.1:8080`
    /// (loopback: exposing the API is a deliberate choice).
    pub listen: String,
    /// Largest request body, in bytes; larger bodies get 413 and change
    /// nothing. Default 65,536 (64 KiB): every request body is a small
    /// JSON object.
    pub max_body_bytes: usize,
    /// Longest a request may take, in ms, before it is answered 503.
    /// Default 15,000: above the store's 12 s retry budget, so a write
    /// waiting for the database fails with the store's own error first.
    pub request_timeout_ms: u64,
    /// Per-dependency timeout of `GET /readyz`, in ms. Default 2,000.
    pub ready_timeout_ms: u64,
    /// How long `POST /v1/play/actions` waits for the action's outcome
    /// (effects committed), in ms, before answering `pending`. Default
    /// 5,000: below `request_timeout_ms`, so the request itself never
    /// times out while the action is durable.
    pub action_timeout_ms: u64,
    /// How many standings of each board `GET` of a game carries in its
    /// `scores`. Default 10.
    pub game_scores_shown: usize,
    /// An operator key accepted without being in the database, to create
    /// the first tenants and keys on a fresh install. Unset (empty) by
    /// default; set it with `VELTRIX_API__BOOTSTRAP_OPERATOR_KEY` rather
    /// than in a file, and unset it once real operator keys exist. Any
    /// string of at least 16 characters is accepted as the secret.
    pub bootstrap_operator_key: String,
    /// Leaderboard backend: `embedded` (default) or `redis` (`[redis]`).
    pub leaderboard: LeaderboardBackend,
    /// Largest component a partner may upload
    /// (`POST /v1/partners/{partner}/game-types`), in bytes; larger ones
    /// get 413. Default 16 MiB: the built-in game types are well under
    /// 1 MiB, and the upload route alone has this limit (every other body
    /// stays under `max_body_bytes`).
    pub max_component_bytes: usize,
    /// Random actions in the upload check's robustness step, like
    /// `veltrix plugin check --actions`. Default 5,000 (the same as the
    /// CLI): an upload passes exactly when `veltrix plugin check` passes.
    pub upload_check_actions: usize,
    /// Actions in the upload check's replay step. Default 1,000 (the same
    /// as the CLI).
    pub upload_replay_actions: usize,
    /// Wall-clock budget of one upload check (and of each component
    /// `veltrix plugin check` checks), compile included, in ms. A check
    /// still running then is killed (SIGKILL) and the upload refused with
    /// 422 `limit_exceeded`. Default 10,000: below `request_timeout_ms`,
    /// so the partner gets the verdict rather than a 503; a built-in's full
    /// check takes 1.2-2.0 s.
    pub upload_check_timeout_ms: u64,
    /// Memory budget of one check's worker process, in bytes: its
    /// `RLIMIT_DATA` (heap plus the linear memory made accessible; address
    /// space merely reserved is free). Over it the check fails with 422
    /// `limit_exceeded`. Default 1 GiB; a built-in's check peaks at
    /// 70-115 MiB resident. Linux only: elsewhere only the time budget
    /// holds.
    pub upload_check_memory_bytes: u64,
    /// The `veltrix` executable that runs checks in a child process
    /// (`veltrix plugin check-worker`). Empty (default): this executable
    /// when it is named `veltrix`. `in-process`, or an empty value in any
    /// other program (a test harness), checks in-process: the static
    /// `[plugins.component]` limits and the sandbox still hold, and the
    /// answer still comes within the time budget, but a slow compile cannot
    /// be stopped, so the upload slot stays taken until it ends, and memory
    /// is not capped.
    pub upload_check_binary: String,
    /// Lifetime of a browser session (`POST /v1/session`), in ms: the
    /// cookie's `Max-Age` and the stored expiry. Default 43,200,000
    /// (12 h: a working day at the console; revoking the key ends its
    /// sessions sooner).
    pub session_ttl_ms: u64,
    /// Most rows one `POST .../players/import` takes. Default 1,000. The
    /// route's body limit follows from it (`import_body_limit`).
    pub max_import_rows: usize,
    /// How often an open projector stream re-reads its board, in ms, when
    /// no outcome of its game arrived (freeze, reveal, other hosts' work).
    /// Default 500.
    pub screen_refresh_ms: u64,
    /// How often an open activity stream reads the game's stored outcomes
    /// it has not sent yet, in ms: actions other hosts applied (this
    /// host's own come live); at least 50. Default 1,000.
    pub activity_refresh_ms: u64,
    /// Stored outcomes an activity stream (`GET .../games/{game}/activity`)
    /// sends before the live ones: the console's history on open. Default
    /// 50; 1 to `veltrix_leaderboard::MAX_PAGE` (checked at start).
    pub activity_backlog: usize,
    /// Largest evidence upload (`POST /v1/play/evidence`), in bytes; that
    /// route alone has this limit; larger: 413. Default 2 MiB (a phone
    /// photo, resized by the player app).
    pub max_evidence_bytes: usize,
    /// Most tenants, partners or keys one operator listing (`GET
    /// /v1/tenants`, `/v1/partners`, `/v1/keys`) returns, newest first.
    /// Default 500.
    pub max_listed: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 64 * 1024,
            request_timeout_ms: 15_000,
            ready_timeout_ms: 2_000,
            action_timeout_ms: 5_000,
            game_scores_shown: 10,
            bootstrap_operator_key: String::new(),
            leaderboard: LeaderboardBackend::Embedded,
            max_component_bytes: 16 * 1024 * 1024,
            upload_check_actions: veltrix_runtime::check::CheckOptions::default().random_actions,
            upload_replay_actions: veltrix_runtime::check::CheckOptions::default().replay_actions,
            upload_check_timeout_ms: 10_000,
            upload_check_memory_bytes: 1 << 30,
            upload_check_binary: String::new(),
            session_ttl_ms: 12 * 60 * 60 * 1000,
            max_import_rows: 1_000,
            screen_refresh_ms: 500,
            activity_refresh_ms: 1_000,
            activity_backlog: 50,
            max_evidence_bytes: 2 * 1024 * 1024,
            max_listed: 500,
        }
    }
}

// Hand-written so the bootstrap secret never reaches a log line.
impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("listen", &self.listen)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("ready_timeout_ms", &self.ready_timeout_ms)
            .field("action_timeout_ms", &self.action_timeout_ms)
            .field("game_scores_shown", &self.game_scores_shown)
            .field(
                "bootstrap_operator_key",
                &if self.bootstrap_operator_key.is_empty() {
                    "<unset>"
                } else {
                    "<set>"
                },
            )
            .field("leaderboard", &self.leaderboard)
            .field("max_component_bytes", &self.max_component_bytes)
            .field("upload_check_actions", &self.upload_check_actions)
            .field("upload_replay_actions", &self.upload_replay_actions)
            .field("upload_check_timeout_ms", &self.upload_check_timeout_ms)
            .field("upload_check_memory_bytes", &self.upload_check_memory_bytes)
            .field("upload_check_binary", &self.upload_check_binary)
            .field("session_ttl_ms", &self.session_ttl_ms)
            .field("max_import_rows", &self.max_import_rows)
            .field("screen_refresh_ms", &self.screen_refresh_ms)
            .field("activity_refresh_ms", &self.activity_refresh_ms)
            .field("activity_backlog", &self.activity_backlog)
            .field("max_evidence_bytes", &self.max_evidence_bytes)
            .field("max_listed", &self.max_listed)
            .finish()
    }
}

impl ApiConfig {
    /// `request_timeout_ms` as a duration (at least 1 ms).
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }

    /// `ready_timeout_ms` as a duration (at least 1 ms).
    pub fn ready_timeout(&self) -> Duration {
        Duration::from_millis(self.ready_timeout_ms.max(1))
    }

    /// `action_timeout_ms` as a duration (at least 1 ms).
    pub fn action_timeout(&self) -> Duration {
        Duration::from_millis(self.action_timeout_ms.max(1))
    }

    /// The conformance run of the upload check (and of `veltrix plugin
    /// check`, which starts from it): the action counts of
    /// `upload_check_actions` and `upload_replay_actions`, the default seed,
    /// and the reward types the host runs (`streams.reward_types`).
    pub fn upload_check(&self, reward_types: &[String]) -> veltrix_runtime::check::CheckOptions {
        veltrix_runtime::check::CheckOptions {
            random_actions: self.upload_check_actions,
            replay_actions: self.upload_replay_actions,
            reward_types: reward_types.to_vec(),
            ..veltrix_runtime::check::CheckOptions::default()
        }
    }

    /// The budget of one check: `upload_check_timeout_ms` (at least 1 ms)
    /// and `upload_check_memory_bytes`.
    pub fn upload_check_budget(&self) -> veltrix_runtime::check::isolate::Budget {
        veltrix_runtime::check::isolate::Budget {
            time: Duration::from_millis(self.upload_check_timeout_ms.max(1)),
            memory_bytes: self.upload_check_memory_bytes,
        }
    }

    /// `screen_refresh_ms` as a duration (at least 50 ms: a projector
    /// never polls the store faster).
    pub fn screen_refresh(&self) -> Duration {
        Duration::from_millis(self.screen_refresh_ms.max(50))
    }

    /// The import route's body limit: `max_import_rows` rows of two
    /// longest ids (64 + 1 + 64 bytes, quoted: 133, and a CRLF), plus the
    /// header.
    pub fn import_body_limit(&self) -> usize {
        self.max_import_rows.saturating_add(1).saturating_mul(135)
    }

    /// Shortest accepted bootstrap key: a short one would be guessable.
    pub const MIN_BOOTSTRAP_KEY: usize = 16;
}
