//! Group commit on Postgres and SQLite: a batch's ledger rows, outbox
//! events, outcomes, statuses and quest progress land in one transaction;
//! the rows are made from what the mint found and from sums that include
//! the batch; a redelivered batch writes nothing twice; and a batch the
//! database refuses leaves nothing behind.

use crate::store_common;

use store_common::{TestDb, count, reward};
use veltrix_store::{
    BatchRows, BatchView, OutcomeRecord, QuestProgress, Reward, StatusUpdate, Store, StoreError,
};

const GAME: &str = "g-group";

fn outcome(action: &str, offset: i64, result: String) -> OutcomeRecord {
    OutcomeRecord {
        tenant: "acme".into(),
        action_id: action.into(),
        game_id: GAME.into(),
        player_id: "p1".into(),
        offset,
        result,
        received_at_ms: 1,
        applied_at_ms: 2,
        kind: Some("answer".into()),
        payload: None,
    }
}

fn progress(status: &str, offset: i64) -> QuestProgress {
    QuestProgress {
        tenant: "acme".into(),
        game_id: GAME.into(),
        quest_id: "c1".into(),
        scope: veltrix_store::QuestScope::Team,
        subject: "red".into(),
        status: status.into(),
        offset,
        updated_at_ms: offset,
    }
}

/// Rows that report what the view saw: per reward whether it was a first
/// mint, and the game's total.
fn rows_of(view: BatchView<'_>, status: &str) -> (BatchRows, (Vec<bool>, i64)) {
    let firsts: Vec<bool> = view.minted.iter().map(|m| m.first).collect();
    let total: i64 = view.sums[0].iter().map(|s| s.points).sum();
    let rows = BatchRows {
        outcomes: vec![
            outcome("a1", 10, format!("{firsts:?} {total}")),
            outcome("a2", 11, "second".into()),
        ],
        statuses: vec![StatusUpdate {
            tenant: "acme".into(),
            game_id: GAME.into(),
            status: status.into(),
        }],
        quests: vec![progress("incorrect", 10), progress("solved", 11)],
    };
    (rows, (firsts, total))
}

async fn create_game(store: &Store) {
    sqlx::query(
        "INSERT INTO games (tenant_id, game_id, game_type, plugin_hash, config, seed, status, \
         created_at_ms) VALUES ('acme', $1, 'riddle', 'h', '{}', 1, 'running', 0)",
    )
    .bind(GAME)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn stored_status(store: &Store) -> String {
    store.game("acme", GAME).await.unwrap().unwrap().status
}

async fn one_transaction(store: &Store) {
    create_game(store).await;
    let rewards: Vec<Reward> = (1..=3).map(|i| reward(GAME, i)).collect();
    let sum: i64 = rewards.iter().map(|r| r.amount).sum();
    let games = [("acme".to_string(), GAME.to_string())];
    let (minted, (firsts, total)) = store
        .commit_batch(&rewards, &games, |v| rows_of(v, "finished"))
        .await
        .unwrap();
    assert_eq!(minted.len(), 3);
    assert_eq!(firsts, [true, true, true]);
    // The sums are read after the mint, inside the transaction.
    assert_eq!(total, sum);
    assert_eq!(store.rewards("acme", GAME).await.unwrap().len(), 3);
    assert_eq!(count(store, "outbox").await, 3);
    let a1 = store.stored_outcome("acme", "a1").await.unwrap().unwrap();
    assert_eq!(a1.result, format!("[true, true, true] {sum}"));
    assert!(store.stored_outcome("acme", "a2").await.unwrap().is_some());
    assert_eq!(stored_status(store).await, "finished");
    let quests = store.quest_progress("acme", GAME).await.unwrap();
    assert_eq!(quests.len(), 1);
    assert_eq!(quests[0].status, "solved");

    // Redelivered: the mint finds its rows, the first outcome stays, the
    // outbox gets nothing new.
    let (_, (firsts, total)) = store
        .commit_batch(&rewards, &games, |v| rows_of(v, "finished"))
        .await
        .unwrap();
    assert_eq!(firsts, [false, false, false]);
    assert_eq!(total, sum);
    let again = store.stored_outcome("acme", "a1").await.unwrap().unwrap();
    assert_eq!(again.result, a1.result);
    assert_eq!(count(store, "rewards").await, 3);
    assert_eq!(count(store, "outbox").await, 3);
    assert_eq!(count(store, "action_outcomes").await, 2);
    println!(
        "group commit [{:?}]: 3 rewards, 2 outcomes, 1 status, 1 quest row in one transaction; redelivery wrote nothing",
        store.backend()
    );
}

/// A reward the ledger refuses fails the batch before anything is
/// written; on Postgres, a row the database itself refuses (a NUL in an
/// outcome, which its text type cannot hold) rolls back the mint.
async fn all_or_nothing(store: &Store) {
    let games: [(String, String); 0] = [];
    let mut bad = reward(GAME, 20);
    bad.player_id.clear();
    let batch = [reward(GAME, 21), bad];
    let err = store
        .commit_batch(&batch, &games, |_| (BatchRows::default(), ()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(count(store, "rewards").await, 3);
    if store.backend() == veltrix_store::Backend::Postgres {
        let err = store
            .commit_batch(&batch[..1], &games, |_| {
                let rows = BatchRows {
                    outcomes: vec![outcome("a-nul", 30, "nul \0 here".into())],
                    ..BatchRows::default()
                };
                (rows, ())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Database { .. }), "{err}");
        assert_eq!(count(store, "rewards").await, 3);
        assert_eq!(count(store, "outbox").await, 3);
        assert!(
            store
                .stored_outcome("acme", "a-nul")
                .await
                .unwrap()
                .is_none()
        );
    }
    // Quest progress the database would refuse is left out, not fatal.
    let (_, ()) = store
        .commit_batch(&[], &games, |_| {
            let rows = BatchRows {
                quests: vec![QuestProgress {
                    quest_id: "c\0".into(),
                    ..progress("solved", 40)
                }],
                ..BatchRows::default()
            };
            (rows, ())
        })
        .await
        .unwrap();
    assert_eq!(store.quest_progress("acme", GAME).await.unwrap().len(), 1);
}

async fn all(db: TestDb) {
    let store = db.store().await;
    one_transaction(&store).await;
    all_or_nothing(&store).await;
    db.finish(store).await;
}

crate::each_db!(group_commit => all);

/// SQLite with `database.sqlite_batch_writer = false`: the same suite
/// through sqlx (the default goes through the rusqlite writer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_sqlite_through_sqlx() {
    let mut db = TestDb::sqlite();
    db.cfg.sqlite_batch_writer = false;
    all(db).await;
}

/// On SQLite's batch writer the rows are made between the writer's mint
/// and its commit: a caller that dies there (its `rows` panics) leaves
/// nothing behind, and the writer goes on with the next batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_dying_mid_batch_rolls_the_writer_back() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    create_game(&store).await;
    let games = [("acme".to_string(), GAME.to_string())];
    let rewards: Vec<Reward> = (1..=5).map(|i| reward(GAME, i)).collect();
    let dying = store.clone();
    let (rs, gs) = (rewards.clone(), games.clone());
    let died = tokio::spawn(async move {
        dying
            .commit_batch(&rs, &gs, |v| -> (BatchRows, ()) {
                assert_eq!(v.minted.len(), 5, "the writer minted before the rows");
                panic!("the caller dies inside the transaction")
            })
            .await
    })
    .await;
    assert!(died.unwrap_err().is_panic());
    assert_eq!(count(&store, "rewards").await, 0);
    assert_eq!(count(&store, "outbox").await, 0);
    // The writer was not left holding the transaction: the same batch
    // mints now, as first mints.
    let (minted, (firsts, _)) = store
        .commit_batch(&rewards, &games, |v| rows_of(v, "running"))
        .await
        .unwrap();
    assert_eq!(minted.len(), 5);
    assert_eq!(firsts, [true; 5]);
    assert_eq!(count(&store, "rewards").await, 5);
    assert_eq!(count(&store, "outbox").await, 5);
    db.finish(store).await;
}
