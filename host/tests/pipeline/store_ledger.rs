//! Ledger and idempotency keys on Postgres and SQLite: replayed mints are
//! no-ops returning the first row, ledger and outbox commit together, and
//! reward ids are deterministic and tenant-scoped; quest progress keeps
//! the latest status per quest and team.

use crate::store_common;

use store_common::{TestDb, count, reward};
use veltrix_clock::Clock;
use veltrix_store::players::PlayerTokenRow;
use veltrix_store::{Claim, QuestProgress, QuestScope, Store, StoreError, reward_id};

#[test]
fn reward_id_is_deterministic_and_tenant_scoped() {
    let a = reward_id("acme", "g1", "p1", "k1");
    assert_eq!(a, reward_id("acme", "g1", "p1", "k1"));
    assert_eq!(a.len(), 64);
    assert_ne!(a, reward_id("other", "g1", "p1", "k1"));
    // Length prefixes: moving a boundary changes the id.
    assert_ne!(
        reward_id("acme", "g1", "p1", "k1"),
        reward_id("acme", "g1", "p", "1k1")
    );
}

async fn mint_twice(store: &Store) {
    let r = reward("g-twice", 1);
    let first = store.mint(&r).await.unwrap();
    assert!(first.first);
    let mut again = r.clone();
    again.amount = 999; // a replay never rewrites the first result
    let second = store.mint(&again).await.unwrap();
    assert!(!second.first);
    assert_eq!(second.row, first.row);
    assert_eq!(count(store, "rewards").await, 1);
    assert_eq!(count(store, "outbox").await, 1);
    let rows = store.rewards("acme", "g-twice").await.unwrap();
    assert_eq!(rows, vec![first.row.clone()]);
    // Same game, player and key under another tenant: another reward.
    let mut other = r.clone();
    other.tenant = "globex".into();
    let o = store.mint(&other).await.unwrap();
    assert!(o.first);
    assert_ne!(o.row.reward_id, first.row.reward_id);
    assert_eq!(count(store, "rewards").await, 2);
    println!(
        "mint twice (+1 other tenant) [{:?}]: ledger rows {}, outbox rows {}",
        store.backend(),
        count(store, "rewards").await,
        count(store, "outbox").await
    );
}

async fn batch_is_atomic(store: &Store) {
    let mut bad = reward("g-batch", 3);
    bad.player_id.clear();
    let batch = vec![reward("g-batch", 1), reward("g-batch", 2), bad];
    let err = store.mint_batch(&batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.rewards("acme", "g-batch").await.unwrap().len(), 0);
    let before = count(store, "outbox").await;
    let ok = store.mint_batch(&batch[..2]).await.unwrap();
    assert!(ok.iter().all(|m| m.first));
    assert_eq!(store.rewards("acme", "g-batch").await.unwrap().len(), 2);
    assert_eq!(count(store, "outbox").await, before + 2);
    // A duplicate inside one batch is minted once.
    let dup = vec![reward("g-batch", 9), reward("g-batch", 9)];
    let out = store.mint_batch(&dup).await.unwrap();
    assert_eq!((out[0].first, out[1].first), (true, false));
    // Earlier rewards, a new one and its duplicate in one batch: each
    // result is in input order, the earlier rows come back unchanged and
    // only the new one gets an outbox event.
    let before = count(store, "outbox").await;
    let mixed = vec![
        reward("g-batch", 1),
        reward("g-batch", 10),
        reward("g-batch", 2),
        reward("g-batch", 10),
    ];
    let out = store.mint_batch(&mixed).await.unwrap();
    let firsts: Vec<bool> = out.iter().map(|m| m.first).collect();
    assert_eq!(firsts, [false, true, false, false]);
    assert_eq!(out[0].row, ok[0].row);
    assert_eq!(out[2].row, ok[1].row);
    assert_eq!(out[1].row, out[3].row);
    assert_eq!(out[1].row.reward, mixed[1]);
    assert_eq!(count(store, "outbox").await, before + 1);
    let too_many: Vec<_> = (0..101).map(|i| reward("g-big", i)).collect();
    assert!(matches!(
        store.mint_batch(&too_many).await,
        Err(StoreError::Invalid(_))
    ));
}

async fn idempotency(store: &Store) {
    assert_eq!(
        store.claim("acme", "req-1", "h1").await.unwrap(),
        Claim::Fresh
    );
    assert_eq!(
        store.claim("acme", "req-1", "h1").await.unwrap(),
        Claim::InProgress
    );
    assert_eq!(
        store.claim("acme", "req-1", "h2").await.unwrap(),
        Claim::Mismatch
    );
    // Keys are per tenant.
    assert_eq!(
        store.claim("globex", "req-1", "h2").await.unwrap(),
        Claim::Fresh
    );
    store
        .complete("acme", "req-1", b"{\"ok\":1}")
        .await
        .unwrap();
    store.complete("acme", "req-1", b"ignored").await.unwrap();
    assert_eq!(
        store.claim("acme", "req-1", "h1").await.unwrap(),
        Claim::Replay(b"{\"ok\":1}".to_vec())
    );
    assert_eq!(
        store.complete("acme", "nope", b"x").await,
        Err(StoreError::NotClaimed)
    );
}

async fn abandoned_claim(db: &TestDb) {
    let mut cfg = db.cfg.clone();
    // Long enough that the takeover below is still in progress when the
    // next claim arrives, even on a slow database.
    cfg.idempotency_claim_ttl_ms = 1_000;
    // Claim expiry is decided by the store's clock: moved, not slept through.
    let (clock, hands) = Clock::manual_from_now();
    let store = Store::connect(&cfg).await.unwrap().with_clock(clock);
    assert_eq!(
        store.claim("acme", "slow", "h").await.unwrap(),
        Claim::Fresh
    );
    hands.advance(std::time::Duration::from_millis(1_100));
    assert_eq!(
        store.claim("acme", "slow", "h").await.unwrap(),
        Claim::TakenOver
    );
    assert_eq!(
        store.claim("acme", "slow", "h").await.unwrap(),
        Claim::InProgress
    );
    store.close().await;
}

/// Concurrent claims go to the database together (one group per write):
/// each new key is `Fresh` exactly once, the same key claimed by several
/// requests at once is `Fresh` for one and in progress for the others, a
/// known key is decided as before; the same with groups turned off.
async fn concurrent_claims(db: &TestDb) {
    for max in [256, 1] {
        let mut cfg = db.cfg.clone();
        cfg.claim_batch_max = max;
        cfg.claim_window_us = 2_000;
        let store = Store::connect(&cfg).await.unwrap();
        let tag = format!("c{max}");
        store
            .claim("acme", &format!("{tag}-old"), "h")
            .await
            .unwrap();
        let claims = (0..40).map(|i| {
            let store = store.clone();
            // Keys 0..20 once each, key "twin" ten times, the old key ten.
            let key = match i {
                0..20 => format!("{tag}-{i}"),
                20..30 => format!("{tag}-twin"),
                _ => format!("{tag}-old"),
            };
            tokio::spawn(async move { (key.clone(), store.claim("acme", &key, "h").await) })
        });
        let mut fresh = std::collections::HashMap::<String, usize>::new();
        for c in claims {
            let (key, claim) = c.await.unwrap();
            match claim.unwrap() {
                Claim::Fresh => *fresh.entry(key).or_default() += 1,
                Claim::InProgress => {}
                other => panic!("{key}: {other:?}"),
            }
        }
        for i in 0..20 {
            assert_eq!(fresh.get(&format!("{tag}-{i}")), Some(&1), "{tag}-{i}");
        }
        assert_eq!(fresh.get(&format!("{tag}-twin")), Some(&1), "twin");
        assert_eq!(fresh.get(&format!("{tag}-old")), None, "old");
        assert_eq!(
            store
                .claim("acme", &format!("{tag}-twin"), "other")
                .await
                .unwrap(),
            Claim::Mismatch
        );
        store.close().await;
    }
}

/// Quest progress keeps the latest status per (quest, team): the last of
/// a batch wins, an earlier offset never overwrites a later one, tenants
/// and games stay apart.
async fn quest_progress(store: &Store) {
    let q = |tenant: &str, quest: &str, team: Option<&str>, status: &str, offset: i64| {
        let (scope, subject) = QuestProgress::subject(team, Some("p1"));
        QuestProgress {
            tenant: tenant.into(),
            game_id: "g-quests".into(),
            quest_id: quest.into(),
            scope,
            subject,
            status: status.into(),
            offset,
            updated_at_ms: 1_000 + offset,
        }
    };
    store
        .save_quest_progress(&[
            q("acme", "c1", Some("red"), "incorrect", 1),
            q("acme", "c1", Some("red"), "solved", 2),
            q("acme", "c1", Some("blue"), "incorrect", 3),
            q("acme", "c2", None, "submitted", 3),
            q("globex", "c1", Some("red"), "incorrect", 4),
        ])
        .await
        .unwrap();
    // A redelivered older update, and a newer one.
    store
        .save_quest_progress(&[
            q("acme", "c1", Some("red"), "incorrect", 1),
            q("acme", "c1", Some("blue"), "solved", 5),
        ])
        .await
        .unwrap();
    let got: Vec<(String, QuestScope, String, String)> = store
        .quest_progress("acme", "g-quests")
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.quest_id, p.scope, p.subject, p.status))
        .collect();
    let want = |quest: &str, scope, who: &str, status: &str| {
        (
            quest.to_string(),
            scope,
            who.to_string(),
            status.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            want("c1", QuestScope::Team, "blue", "solved"),
            want("c1", QuestScope::Team, "red", "solved"),
            want("c2", QuestScope::Player, "p1", "submitted"),
        ]
    );
    assert!(
        store
            .quest_progress("acme", "other")
            .await
            .unwrap()
            .is_empty()
    );
    let globex = store.quest_progress("globex", "g-quests").await.unwrap();
    assert_eq!(globex.len(), 1);
    assert_eq!(globex[0].status, "incorrect");
}

async fn all(db: TestDb) {
    let store = db.store().await;
    quest_progress(&store).await;
    mint_twice(&store).await;
    batch_is_atomic(&store).await;
    idempotency(&store).await;
    abandoned_claim(&db).await;
    concurrent_claims(&db).await;
    db.finish(store).await;
}

crate::each_db!(ledger_and_idempotency => all);

/// Concurrent player-token lookups share queries, each still gets its own
/// row (or none), and a revoked token is refused by the very next lookup.
async fn token_lookups(db: TestDb) {
    let store = db.store().await; // migrates
    db.execute("INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ('acme', 'Acme', 0)")
        .await;
    db.execute(
        "INSERT INTO games (tenant_id, game_id, game_type, plugin_hash, config, seed, status, created_at_ms) \
         VALUES ('acme', 'g1', 'probe', 'h', '{}', 1, 'running', 0)",
    )
    .await;
    let rows: Vec<PlayerTokenRow> = (0..40)
        .map(|i| PlayerTokenRow {
            token_hash: format!("hash-{i}"),
            tenant_id: "acme".into(),
            game_id: "g1".into(),
            player_id: format!("p{i}"),
            team_id: (i % 2 == 0).then(|| "red".to_string()),
        })
        .collect();
    assert!(store.insert_player_tokens(&rows).await.unwrap());
    let (queries_before, _) = store.token_lookup_counts();
    // 40 known hashes, each asked twice, and 20 unknown ones, all at once.
    let asks: Vec<String> = (0..40)
        .chain(0..40)
        .map(|i| format!("hash-{i}"))
        .chain((0..20).map(|i| format!("nobody-{i}")))
        .collect();
    let found = futures::future::join_all(asks.iter().map(|h| store.find_player_token(h))).await;
    for (hash, got) in asks.iter().zip(found) {
        let got = got.unwrap();
        match hash.strip_prefix("hash-") {
            Some(i) => {
                let want = &rows[i.parse::<usize>().unwrap()];
                assert_eq!(got.as_ref(), Some(want), "lookup of {hash}");
            }
            None => assert_eq!(got, None, "lookup of {hash}"),
        }
    }
    let (queries, lookups) = store.token_lookup_counts();
    let queries = queries - queries_before;
    assert!(lookups >= 100, "{lookups} lookups counted for 100 asked");
    assert!(
        queries < 100,
        "100 concurrent lookups took {queries} queries: not batched"
    );
    // Revoke: the next lookup of either of the player's tokens misses.
    assert_eq!(
        store
            .revoke_player_tokens("acme", "g1", "p3")
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.find_player_token("hash-3").await.unwrap(), None);
    assert!(store.find_player_token("hash-4").await.unwrap().is_some());
    println!(
        "token lookups [{:?}]: 100 concurrent lookups in {queries} queries",
        store.backend()
    );
    db.finish(store).await;
}

crate::each_db!(player_token_lookups => token_lookups);

/// On SQLite the request path's lookups have their own pool: a player's
/// token is found while a write transaction holds the writer's only
/// connection. With the read pool off (0) the same lookup waits for that
/// connection and times out, which is what the pool is for.
#[tokio::test]
async fn sqlite_reads_skip_the_writer() {
    use sqlx::Connection as _;
    let db = TestDb::sqlite();
    let mut cfg = db.cfg.clone();
    cfg.acquire_timeout_ms = 300;
    let store = Store::connect(&cfg).await.unwrap();
    // A token row alone (its tenant and game are not what this is about).
    let mut c = sqlx::AnyConnection::connect(&cfg.url).await.unwrap();
    for sql in [
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO player_tokens (token_hash, tenant_id, game_id, player_id, team_id, created_at_ms) \
         VALUES ('t1', 'acme', 'g1', 'p1', NULL, 0)",
    ] {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    c.close().await.unwrap();
    for reads in [4, 0] {
        cfg.sqlite_read_connections = reads;
        let store = Store::connect(&cfg).await.unwrap();
        let writing = store.pool().begin().await.unwrap();
        let found = store.find_player_token("t1").await;
        drop(writing);
        match reads {
            0 => assert!(
                found.is_err(),
                "no read pool, yet the lookup passed the writer"
            ),
            _ => assert_eq!(found.unwrap().map(|r| r.player_id), Some("p1".to_string())),
        }
        store.close().await;
    }
    store.close().await;
}
