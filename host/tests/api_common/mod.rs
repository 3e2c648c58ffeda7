//! The HTTP test harness shared by the API suites: a real server on
//! 127.0.0.1:0 (store from a [`TestDb`], embedded streams and board, a
//! running processor) and a client that returns status, body and the
//! `Idempotency-Replayed` header.
#![allow(dead_code)]

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use veltrix_api::{ApiConfig, AppState, serve_on};
use veltrix_clock::Clock;
use veltrix_server::config::HostConfig;
use veltrix_server::{Host, Options};

use crate::store_common::TestDb;

/// The bootstrap operator key every test server accepts.
pub const BOOT: &str = "bootstrap-secret-for-tests-0123456789";
/// The body limit of test servers (small, so oversize bodies are cheap).
pub const BODY_LIMIT: usize = 1024;

pub struct Server {
    pub base: String,
    pub client: Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub state: AppState,
    pub host: Host,
}

/// A response: status, the `Idempotency-Replayed` header, the raw body.
pub struct Resp {
    pub status: StatusCode,
    pub replayed: bool,
    pub raw: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.raw).unwrap_or(Value::Null)
    }
}

/// The `error.code` of an error body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

impl Server {
    /// Starts a server on `db`; `tweak` adjusts the config first.
    pub async fn start(db: &TestDb, tweak: impl FnOnce(&mut HostConfig)) -> Self {
        Self::start_with_clock(db, Clock::system(), tweak).await
    }

    /// [`Server::start`] telling time by `clock` (a manual one moves time
    /// for the tests about time, instead of sleeping).
    pub async fn start_with_clock(
        db: &TestDb,
        clock: Clock,
        tweak: impl FnOnce(&mut HostConfig),
    ) -> Self {
        let mut config = HostConfig {
            database: db.cfg.clone(),
            api: ApiConfig {
                bootstrap_operator_key: BOOT.into(),
                max_body_bytes: BODY_LIMIT,
                ..ApiConfig::default()
            },
            ..HostConfig::default()
        };
        // Tests count applied actions; the ones about time turn it on.
        config.processor.tick_interval_ms = 0;
        config.streams.embedded_dir = db.log_dir();
        tweak(&mut config);
        let options = Options {
            clock,
            ..Options::default()
        };
        let host = Host::open_with(config, options).await.unwrap();
        host.start().await.unwrap();
        let state = host.api_state();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = oneshot::channel::<()>();
        let feed = state.feed.clone();
        let task = tokio::spawn(serve_on(listener, state.clone(), async move {
            rx.await.ok();
            // Open SSE feeds would otherwise hold the graceful shutdown.
            feed.stop();
        }));
        Self {
            base,
            client: Client::new(),
            stop: Some(stop),
            task,
            state,
            host,
        }
    }

    /// `body`: a JSON value, or raw text when a string starting with `RAW:`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        for (h, v) in headers {
            req = req.header(*h, *v);
        }
        match body {
            Some(Value::String(s)) if s.starts_with("RAW:") => {
                req = req
                    .header("content-type", "application/json")
                    .body(s["RAW:".len()..].to_string());
            }
            Some(v) => req = req.json(&v),
            None => {}
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let replayed = resp
            .headers()
            .get("idempotency-replayed")
            .is_some_and(|v| v == "true");
        Resp {
            status,
            replayed,
            raw: resp.text().await.unwrap(),
        }
    }

    /// Status and JSON body (`Null` if none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let r = self.send(method, path, key, &[], body).await;
        (r.status, r.json())
    }

    /// A GET whose body is text (metrics, OpenAPI).
    pub async fn text(&self, path: &str) -> (StatusCode, String) {
        let r = self.send(Method::GET, path, None, &[], None).await;
        (r.status, r.raw)
    }

    /// Stops the server, the processor and the feeds; drops the database.
    pub async fn stop(self, db: TestDb) {
        let store = self.state.store.clone();
        let db = self.halt(db).await;
        db.finish(store).await;
    }

    /// Stops the server, the processor and the feeds, and closes the
    /// store, keeping the database: a restart can start on it again.
    pub async fn halt(mut self, db: TestDb) -> TestDb {
        self.stop.take().unwrap().send(()).ok();
        self.task.await.unwrap().unwrap();
        self.state.feed.stop();
        // The host's processor must be its last handle to snapshot.
        drop(self.state);
        self.host.shutdown().await;
        db
    }
}

/// Requests the play suites share.
impl Server {
    /// A request with a key, returning the whole response.
    pub async fn req(&self, method: Method, path: &str, key: &str, body: Option<Value>) -> Resp {
        self.send(method, path, Some(key), &[], body).await
    }

    /// A player action with an idempotency key.
    pub async fn act(&self, token: &str, idem: &str, body: Value) -> Resp {
        self.send(
            Method::POST,
            "/v1/play/actions",
            Some(token),
            &[("idempotency-key", idem)],
            Some(body),
        )
        .await
    }

    pub async fn board(&self, token: &str, query: &str) -> Value {
        let r = self
            .req(
                Method::GET,
                &format!("/v1/play/leaderboard{query}"),
                token,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        r.json()
    }
}

/// Operator creates `tenant` and a tenant key; the tenant enables `types`.
pub async fn tenant_with(s: &Server, tenant: &str, types: &[&str]) -> String {
    let r = s
        .req(
            Method::POST,
            "/v1/tenants",
            BOOT,
            Some(json!({ "tenant_id": tenant, "name": tenant })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            "/v1/keys",
            BOOT,
            Some(json!({ "role": "tenant", "tenant_id": tenant })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let key = r.json()["key"].as_str().unwrap().to_string();
    for ty in types {
        let r = s
            .req(
                Method::PUT,
                &format!("/v1/tenants/{tenant}/game-types/{ty}"),
                &key,
                Some(json!({ "enabled": true })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    }
    key
}

/// Operator creates partner `p` and a partner key; returns the key.
pub async fn partner_with(s: &Server, p: &str) -> String {
    let r = s
        .req(
            Method::POST,
            "/v1/partners",
            BOOT,
            Some(json!({ "partner_id": p, "name": p })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let r = s
        .req(
            Method::POST,
            "/v1/keys",
            BOOT,
            Some(json!({ "role": "partner", "partner_id": p })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    r.json()["key"].as_str().unwrap().to_string()
}

/// Uploads the probe component as partner `partner` (key `pkey`) through
/// `s`; it must be accepted (201). The probe traps, loops and sleeps on
/// purpose, so callers turn the upload's conformance run off.
pub async fn upload_probe(s: &Server, partner: &str, pkey: &str) {
    let up = s
        .client
        .post(format!("{}/v1/partners/{partner}/game-types", s.base))
        .bearer_auth(pkey)
        .header("content-type", "application/wasm")
        .body(veltrix_artifacts::PROBE.to_vec())
        .send()
        .await
        .unwrap();
    let status = up.status();
    let text = up.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
}

/// An upload refused for a limit: 422 `limit_exceeded` whose message
/// contains `needle`; returns the message.
pub fn assert_limit_exceeded(r: &Resp, needle: &str) -> String {
    let v = r.json();
    assert_eq!(
        (r.status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded"),
        "{}",
        r.raw
    );
    let msg = v["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains(needle), "{msg}");
    msg
}

pub async fn player(
    s: &Server,
    key: &str,
    tenant: &str,
    game: &str,
    p: &str,
    team: &str,
) -> String {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games/{game}/players"),
            key,
            Some(json!({ "player_id": p, "team_id": team })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let token = r.json()["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("vx_player_"));
    token
}
