//! The player view over real HTTP: `GET /v1/play/view` (the game type's
//! `view` on the processor's current state) and what the feed sends as it
//! changes (the whole `view`, then `patch`es, `status` events), on SQLite, the
//! embedded stream log and a running processor.

use crate::api_common;
use crate::store_common;

use crate::sse::Sse;
use api_common::{Server, code, player, tenant_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store_common::TestDb;
use veltrix_pipeline::processor::ProcessorError;

/// A riddle game; `waiting` makes it wait for the game master's `start`.
fn riddle(waiting: bool) -> Value {
    let mut c = json!({
        "first_solve_bonus": 10,
        // Five wrong answers before a cooldown: a second wrong answer
        // changes nothing a player sees.
        "rate_limit": { "max_wrong": 5, "window_ms": 60_000, "cooldown_ms": 60_000 },
        "challenges": [
            { "id": "c1", "answers": ["forty two"], "points": 100 },
            { "id": "c2", "answers": ["blue"], "points": 50 },
        ],
    });
    if waiting {
        // Year 2100: waits for the game master's `start`.
        c["starts_at_ms"] = json!(4_102_444_800_000_i64);
    }
    c
}

fn attempt(challenge: &str, answer: &str) -> Value {
    json!({ "kind": "attempt", "payload": { "challenge": challenge, "answer": answer } })
}

async fn server(db: &TestDb) -> Server {
    Server::start(db, |c| {
        c.api.action_timeout_ms = 30_000;
        c.api.request_timeout_ms = 60_000;
        c.processor.poll_wait_ms = 10;
    })
    .await
}

async fn game(s: &Server, key: &str, tenant: &str, id: &str, waiting: bool) {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games"),
            key,
            Some(json!({ "game_id": id, "game_type": "riddle", "config": riddle(waiting), "seed": 7 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

/// An applied action's id.
async fn act(s: &Server, token: &str, key: &str, body: Value) -> String {
    let r = s.act(token, key, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let v = r.json();
    assert_eq!(v["result"], "applied", "{v}");
    v["action_id"].as_str().unwrap().to_string()
}

async fn gm(s: &Server, key: &str, tenant: &str, game: &str, kind: &str) {
    let r = s
        .req(
            Method::POST,
            &format!("/v1/tenants/{tenant}/games/{game}/gm"),
            key,
            Some(json!({ "kind": kind })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.json()["result"], "applied", "{}", r.raw);
}

/// `GET /v1/play/view`, 200.
async fn view(s: &Server, token: &str) -> Value {
    let r = s.req(Method::GET, "/v1/play/view", token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.json()
}

/// What of a view the feed carries: `{status, score, summary}`.
fn shown(v: &Value) -> Value {
    json!({ "status": v["status"], "score": v["score"], "summary": v["summary"] })
}

/// Applies a feed `patch`: RFC 7386, except that an object where the
/// current value is an array patches its elements by index.
fn apply(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if let Value::Array(items) = target {
        for (i, v) in p {
            apply(&mut items[i.parse::<usize>().unwrap()], v);
        }
        return;
    }
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().unwrap();
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            apply(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// `v` without `null` object members (a merge patch cannot tell absent
/// from `null`; clients read both as `null`).
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        v => v.clone(),
    }
}

/// One SSE event: name and data.
#[derive(Debug, Clone)]
struct Ev {
    event: String,
    data: String,
}

impl Ev {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{self:?}: {e}"))
    }

    fn is_delta_of(&self, action_id: &str) -> bool {
        self.event == "delta" && self.json()["action_id"] == action_id
    }
}

/// An open `GET /v1/play/feed`.
struct Feed(Sse);

impl Feed {
    async fn open(s: &Server, token: &str) -> Self {
        Self(Sse::open(s, "/v1/play/feed", Some(token)).await)
    }

    /// The next event (keep-alive comments skipped).
    async fn next(&mut self) -> Ev {
        let (event, data) = self.0.next_raw().await.expect("the feed ended");
        Ev { event, data }
    }

    /// Events up to and including the first that `stop` accepts.
    async fn until(&mut self, stop: impl Fn(&Ev) -> bool) -> Vec<Ev> {
        let mut seen = Vec::new();
        loop {
            let e = self.next().await;
            let last = stop(&e);
            seen.push(e);
            if last {
                return seen;
            }
        }
    }
}

/// The `patch` events among `evs` (no `view`: a patch could say it all).
fn patches(evs: &[Ev]) -> Vec<Value> {
    assert!(
        !evs.iter().any(|e| e.event == "view"),
        "a whole view after the first: {evs:?}"
    );
    evs.iter()
        .filter(|e| e.event == "patch")
        .map(Ev::json)
        .collect()
}

/// A player's view changes with their action (score and summary), is read
/// from the processor's current state (the game's snapshot is still the
/// initial one), and equals what their feed delivered: its first `view`
/// plus the `patch`es after it. Patches come only when the view changed,
/// and hold only what changed.
#[tokio::test]
async fn view_changes_with_actions_and_matches_the_feed() {
    let db = TestDb::sqlite();
    let s = server(&db).await;
    let a = tenant_with(&s, "acme", &["riddle"]).await;
    game(&s, &a, "acme", "g1", false).await;
    let p1 = player(&s, &a, "acme", "g1", "p1", "red").await;
    let p2 = player(&s, &a, "acme", "g1", "p2", "blue").await;

    let v0 = view(&s, &p1).await;
    assert_eq!(v0["game_id"], "g1", "{v0}");
    assert_eq!(v0["player_id"], "p1", "{v0}");
    assert_eq!(v0["status"], "running", "{v0}");
    assert_eq!(v0["score"], 0, "{v0}");
    assert!(v0["summary"].is_object(), "the summary is JSON: {v0}");
    // No query: the game comes from the token.
    let r = s.req(Method::GET, "/v1/play/view?game=g2", &p1, None).await;
    assert_eq!(
        (r.status, code(&r.json())),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{}",
        r.raw
    );

    // Each feed starts with the whole view.
    let mut f1 = Feed::open(&s, &p1).await;
    let first = f1.next().await;
    assert_eq!(first.event, "view", "{first:?}");
    let mut fed1 = first.json();
    assert_eq!(fed1, shown(&v0));
    let mut f2 = Feed::open(&s, &p2).await;
    let first = f2.next().await;
    assert_eq!(first.event, "view", "{first:?}");
    let mut fed2 = first.json();
    let v2 = view(&s, &p2).await;
    assert_eq!(fed2, shown(&v2));

    // p2's first answer (wrong) registers their team: their view changes.
    let wrong1 = act(&s, &p2, "k1", attempt("c2", "red")).await;
    let evs = f2.until(|e| e.event == "patch").await;
    assert!(evs.iter().any(|e| e.is_delta_of(&wrong1)), "{evs:?}");
    apply(&mut fed2, &patches(&evs)[0]);
    let v2 = view(&s, &p2).await;
    assert_eq!(v2["summary"]["team"], "blue", "{v2}");
    assert_eq!(strip(&fed2), strip(&shown(&v2)));

    // p1 solves c1: score and summary change.
    let solved = act(&s, &p1, "k1", attempt("c1", "Forty Two")).await;
    let v1 = view(&s, &p1).await;
    assert_eq!(v1["score"], 110, "100 points + 10 first-solve bonus: {v1}");
    assert_eq!(v1["summary"]["solved"], json!(["c1"]), "{v1}");
    assert_ne!(v1["summary"], v0["summary"]);
    // The current state, not the snapshot: that one is still the initial
    // one (`processor.snapshot_every` is 200).
    let snap = s.state.store.snapshot("acme", "g1").await.unwrap().unwrap();
    assert_eq!(snap.actions_applied, 0);
    // What p1's feed delivered is that view (p2's registration changed
    // nothing p1 sees: this is the first view since the whole one).
    let evs = f1.until(|e| e.event == "patch").await;
    assert!(evs.iter().any(|e| e.is_delta_of(&solved)), "{evs:?}");
    assert!(
        !evs.iter().any(|e| e.event == "status"),
        "the status did not change: {evs:?}"
    );
    assert_eq!(patches(&evs).len(), 1, "{evs:?}");
    let patch = patches(&evs).pop().unwrap();
    assert!(patch.get("status").is_none(), "only what changed: {patch}");
    assert_eq!(patch["score"], 110, "{patch}");
    apply(&mut fed1, &patch);
    assert_eq!(strip(&fed1), strip(&shown(&v1)));

    // p2 sees c1's solve (its value and solve count in p2's open list).
    let evs = f2.until(|e| e.event == "patch").await;
    assert!(
        !evs.iter().any(|e| e.event == "delta"),
        "p1's points are p1's: {evs:?}"
    );
    apply(&mut fed2, &patches(&evs)[0]);
    let before = view(&s, &p2).await;
    assert_ne!(before, v2);
    assert_eq!(strip(&fed2), strip(&shown(&before)));

    // A second wrong answer changes nothing p2 sees: a delta, no view.
    let wrong2 = act(&s, &p2, "k2", attempt("c2", "green")).await;
    assert_eq!(view(&s, &p2).await, before);
    let evs = f2.until(|e| e.is_delta_of(&wrong2)).await;
    assert!(patches(&evs).is_empty(), "no change, no view: {evs:?}");
    // Its batch's messages are all queued before its delta goes out, so
    // the next view is the one of p1's next solve, and the only one.
    let solved2 = act(&s, &p1, "k2", attempt("c2", "blue")).await;
    let evs = f2.until(|e| e.event == "patch").await;
    assert_eq!(patches(&evs).len(), 1, "{evs:?}");
    apply(&mut fed2, &patches(&evs)[0]);
    let after = view(&s, &p2).await;
    assert_ne!(after, before);
    assert_eq!(strip(&fed2), strip(&shown(&after)));
    let evs = f1.until(|e| e.event == "patch").await;
    assert!(evs.iter().any(|e| e.is_delta_of(&solved2)), "{evs:?}");
    apply(&mut fed1, &patches(&evs)[0]);
    let v1 = view(&s, &p1).await;
    assert_eq!(v1["score"], 170, "110 + 50 + 10: {v1}");
    assert_eq!(strip(&fed1), strip(&shown(&v1)));

    // The same code path without HTTP: an unchanged view sends nothing.
    let mut feed = veltrix_api::feed::PlayerFeed::new(veltrix_api::players::Player {
        tenant: "acme".into(),
        game: "g1".into(),
        player: "p1".into(),
        team: Some("red".into()),
    });
    let whole = feed.refresh(&s.state.processor).await.unwrap();
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0].event, "view");
    assert!(feed.refresh(&s.state.processor).await.unwrap().is_empty());

    drop((f1, f2));
    s.stop(db).await;
}

/// The game master's start, pause, resume and end reach every feed of the
/// game as `status` events (and the view says so); another game's feed
/// gets none.
#[tokio::test]
async fn status_events_reach_everyone_in_the_game() {
    let db = TestDb::sqlite();
    let s = server(&db).await;
    let a = tenant_with(&s, "acme", &["riddle"]).await;
    game(&s, &a, "acme", "g2", true).await;
    game(&s, &a, "acme", "g3", false).await;
    let p1 = player(&s, &a, "acme", "g2", "p1", "red").await;
    let p2 = player(&s, &a, "acme", "g2", "p2", "blue").await;
    let p3 = player(&s, &a, "acme", "g3", "p3", "red").await;
    assert_eq!(view(&s, &p1).await["status"], "waiting");

    let mut feeds = Vec::new();
    let mut fed = Vec::new();
    for p in [&p1, &p2] {
        let mut f = Feed::open(&s, p).await;
        let first = f.next().await;
        assert_eq!(first.event, "view");
        assert_eq!(first.json()["status"], "waiting");
        fed.push(first.json());
        feeds.push(f);
    }
    let mut f3 = Feed::open(&s, &p3).await;
    assert_eq!(f3.next().await.event, "view");

    for (kind, status) in [
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("end", "finished"),
    ] {
        gm(&s, &a, "acme", "g2", kind).await;
        assert_eq!(view(&s, &p1).await["status"], status, "after {kind}");
        for (f, fed) in feeds.iter_mut().zip(&mut fed) {
            let evs = f.until(|e| e.event == "status").await;
            let st = evs.last().unwrap().json();
            assert_eq!(st, json!({ "status": status }), "after {kind}: {evs:?}");
            // Its view patch follows, with the new status.
            let evs = f.until(|e| e.event == "patch").await;
            let patch = patches(&evs).pop().unwrap();
            assert_eq!(patch["status"], status, "{patch}");
            apply(fed, &patch);
        }
    }
    for (p, fed) in [&p1, &p2].into_iter().zip(&fed) {
        assert_eq!(strip(fed), strip(&shown(&view(&s, p).await)));
    }
    // g3's feed heard nothing of g2: its own player's action comes first.
    let own = act(&s, &p3, "k1", attempt("c1", "no")).await;
    let evs = f3.until(|e| e.is_delta_of(&own)).await;
    assert!(
        !evs.iter().any(|e| e.event == "status"),
        "another game's status: {evs:?}"
    );

    drop((feeds, f3));
    s.stop(db).await;
}

/// Two tenants with a game of the same id: each player sees their own
/// tenant's game only, and a game the tenant does not have is 404 (its
/// text is ours, never the store's).
#[tokio::test]
async fn a_player_sees_only_their_tenants_game() {
    let db = TestDb::sqlite();
    let s = server(&db).await;
    let a = tenant_with(&s, "acme", &["riddle"]).await;
    let b = tenant_with(&s, "globex", &["riddle"]).await;
    game(&s, &a, "acme", "g1", false).await;
    game(&s, &a, "acme", "acme-only", false).await;
    game(&s, &b, "globex", "g1", false).await;
    let pa = player(&s, &a, "acme", "g1", "p1", "red").await;
    let pb = player(&s, &b, "globex", "g1", "p1", "red").await;

    act(&s, &pa, "k1", attempt("c1", "forty two")).await;
    let va = view(&s, &pa).await;
    assert_eq!(va["score"], 110, "{va}");
    assert_eq!(va["summary"]["solved"], json!(["c1"]), "{va}");
    // globex's p1 plays globex's g1: nothing of acme's.
    act(&s, &pb, "k1", attempt("c2", "wrong")).await;
    let vb = view(&s, &pb).await;
    assert_eq!(
        (vb["game_id"].as_str(), vb["score"].as_i64()),
        (Some("g1"), Some(0)),
        "{vb}"
    );
    assert_eq!(vb["summary"]["solved"], json!([]), "{vb}");
    let c1 = vb["summary"]["open"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "c1")
        .unwrap_or_else(|| panic!("{vb}"));
    assert_eq!(c1["solves"], 0, "acme's solve is acme's: {vb}");
    // The token names the game: no way to ask for another.
    let r = s
        .req(Method::GET, "/v1/play/view?tenant=acme&game=g1", &pb, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);

    // The processor answers by (tenant, game): acme's game is not globex's.
    let p = &s.state.processor;
    assert!(p.view("acme", "acme-only", "p1").await.is_ok());
    let e = p.view("globex", "acme-only", "p1").await.unwrap_err();
    assert!(matches!(e, ProcessorError::UnknownGame(_)), "{e}");
    let e = veltrix_api::players::view_error(e);
    assert_eq!(e.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        e.body(),
        json!({ "error": { "code": "not_found", "message": "game not found" } })
    );

    s.stop(db).await;
}
