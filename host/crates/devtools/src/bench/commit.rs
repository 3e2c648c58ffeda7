//! `veltrix bench streams`, batch commit rows: what the processor's
//! batches cost the store. A batch is `processor.poll_batch` actions, each
//! paying one reward and answered by one outcome, plus one quest progress
//! row; written three ways on the configured database, each in its own
//! scratch database:
//!
//! - `separate txns`: before the group commit, the processor minted in
//!   chunks of 100 rewards (one transaction each), then stored the
//!   outcomes and the progress in one transaction each;
//! - `commit_batch`: the group commit, one transaction per batch
//!   ([`Store::commit_batch`]; on SQLite through its batch writer, a
//!   rusqlite connection with prepared statements);
//! - `commit_batch, sqlx` (SQLite only): the same with
//!   `database.sqlite_batch_writer = false`, through sqlx's driver;
//! - `rusqlite` (SQLite only): the same rows and statements through a raw
//!   rusqlite connection, prepared and cached, one row per statement, one
//!   transaction per batch: what sqlx's SQLite driver is measured against.
//!
//! Each row reports actions/s and the per-batch commit latency; `ours/raw`
//! is the rate over rusqlite's.

use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;

use super::outbox::Scratch;
use super::row::Row;
use crate::demo::observer::histogram;
use veltrix_store::{
    BatchRows, DatabaseConfig, OutcomeRecord, QuestProgress, QuestScope, Reward, RewardRow, Store,
};
use veltrix_streams::{Envelope, StreamsConfig};

/// One batch's rows.
struct Batch {
    rewards: Vec<Reward>,
    outcomes: Vec<OutcomeRecord>,
    quest: QuestProgress,
}

fn batches(run: &str, n: usize, size: usize) -> Vec<Batch> {
    let size = size.max(1);
    (0..n)
        .collect::<Vec<_>>()
        .chunks(size)
        .enumerate()
        .map(|(b, idx)| Batch {
            rewards: idx
                .iter()
                .map(|&i| Reward {
                    tenant: "bench".into(),
                    game_id: format!("g{}-{run}", i % 50),
                    player_id: format!("p{}", i % 500),
                    team_id: Some(format!("t{}", i % 20)),
                    reward_type: "points".into(),
                    reward_key: format!("k{i}"),
                    amount: 10,
                    payload: serde_json::json!({ "action_id": format!("a{i}"), "quest": "q1" }),
                })
                .collect(),
            outcomes: idx.iter().map(|&i| outcome(run, i)).collect(),
            quest: QuestProgress {
                tenant: "bench".into(),
                game_id: format!("g0-{run}"),
                quest_id: "q1".into(),
                scope: QuestScope::Team,
                subject: format!("t{}", b % 20),
                status: "solved".into(),
                offset: b as i64,
                updated_at_ms: 1,
            },
        })
        .collect()
}

fn outcome(run: &str, i: usize) -> OutcomeRecord {
    OutcomeRecord {
        tenant: "bench".into(),
        action_id: format!("a{i}-{run}"),
        game_id: format!("g{}-{run}", i % 50),
        player_id: format!("p{}", i % 500),
        offset: i as i64,
        result: serde_json::json!({
            "status": "applied", "minted": 1, "events": 1,
            "paid": [{ "player": format!("p{}", i % 500), "reward_type": "points",
                       "reward_key": format!("k{i}"), "points": 10, "minted": true }],
        })
        .to_string(),
        received_at_ms: 1,
        applied_at_ms: 2,
        kind: Some("submit".into()),
        payload: None,
    }
}

/// Per-batch latencies (us) and the whole run's time.
struct Timed {
    hist: Histogram<u64>,
    took: Duration,
}

fn timed() -> (Histogram<u64>, Instant) {
    (histogram(), Instant::now())
}

fn record(h: &mut Histogram<u64>, since: Instant) {
    h.saturating_record((since.elapsed().as_micros() as u64).max(1));
}

async fn separate(store: &Store, batches: &[Batch]) -> anyhow::Result<Timed> {
    let (mut hist, start) = timed();
    for b in batches {
        let t = Instant::now();
        for chunk in b.rewards.chunks(100) {
            store.mint_batch(chunk).await?;
        }
        store.save_outcomes(&b.outcomes).await?;
        store.save_quest_progress([&b.quest]).await?;
        record(&mut hist, t);
    }
    Ok(Timed {
        hist,
        took: start.elapsed(),
    })
}

async fn grouped(store: &Store, batches: &[Batch]) -> anyhow::Result<Timed> {
    let (mut hist, start) = timed();
    for b in batches {
        let t = Instant::now();
        store
            .commit_batch(&b.rewards, &[], |_| {
                let rows = BatchRows {
                    outcomes: b.outcomes.clone(),
                    statuses: Vec::new(),
                    quests: vec![b.quest.clone()],
                };
                (rows, ())
            })
            .await?;
        record(&mut hist, t);
    }
    Ok(Timed {
        hist,
        took: start.elapsed(),
    })
}

/// The same rows through rusqlite on the scratch file (the store's
/// schema, migrated by `Store::connect` and closed before).
fn raw_sqlite(path: &std::path::Path, topic: &str, batches: &[Batch]) -> anyhow::Result<Timed> {
    let mut c = rusqlite::Connection::open(path).context("opening the scratch file")?;
    // As the store's connections: WAL, and SQLite's default (FULL)
    // synchronous, so both commit with the same durability.
    c.pragma_update(None, "journal_mode", "WAL")?;
    let (mut hist, start) = timed();
    for b in batches {
        let t = Instant::now();
        let tx = c.transaction()?;
        {
            let mut mint = tx.prepare_cached(
                "INSERT INTO rewards (reward_id, tenant_id, game_id, player_id, team_id, \
                 reward_type, reward_key, amount, payload, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (reward_id) DO NOTHING RETURNING reward_id",
            )?;
            let mut event = tx.prepare_cached(
                "INSERT INTO outbox (tenant_id, topic, msg_key, event_id, envelope, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING",
            )?;
            for r in &b.rewards {
                let id = r.id();
                let payload = r.payload.to_string();
                let inserted = mint
                    .query_map(
                        rusqlite::params![
                            id,
                            r.tenant,
                            r.game_id,
                            r.player_id,
                            r.team_id,
                            r.reward_type,
                            r.reward_key,
                            r.amount,
                            payload,
                            1i64
                        ],
                        |row| row.get::<_, String>(0),
                    )?
                    .count();
                if inserted == 1 {
                    let row = RewardRow {
                        reward_id: id.clone(),
                        reward: r.clone(),
                        created_at_ms: 1,
                    };
                    let e = Envelope {
                        event_id: id.clone(),
                        tenant: r.tenant.clone(),
                        key: id.clone(),
                        kind: "reward.minted".into(),
                        ts_ms: 1,
                        payload: serde_json::to_vec(&row)?,
                    };
                    event.execute(rusqlite::params![r.tenant, topic, id, id, e.encode(), 1i64])?;
                }
            }
            let mut out = tx.prepare_cached(
                "INSERT INTO action_outcomes (tenant_id, action_id, game_id, player_id, \
                 stream_offset, result, received_at_ms, applied_at_ms, kind, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (tenant_id, action_id) DO NOTHING",
            )?;
            for o in &b.outcomes {
                out.execute(rusqlite::params![
                    o.tenant,
                    o.action_id,
                    o.game_id,
                    o.player_id,
                    o.offset,
                    o.result,
                    o.received_at_ms,
                    o.applied_at_ms,
                    o.kind,
                    o.payload
                ])?;
            }
            let q = &b.quest;
            tx.prepare_cached(
                "INSERT INTO quest_progress (tenant_id, game_id, quest_id, scope, subject, \
                 status, stream_offset, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (tenant_id, game_id, quest_id, scope, subject) DO UPDATE SET \
                 status = excluded.status, stream_offset = excluded.stream_offset, \
                 updated_at_ms = excluded.updated_at_ms \
                 WHERE quest_progress.stream_offset <= excluded.stream_offset",
            )?
            .execute(rusqlite::params![
                q.tenant,
                q.game_id,
                q.quest_id,
                q.scope.as_str(),
                q.subject,
                q.status,
                q.offset,
                q.updated_at_ms
            ])?;
        }
        tx.commit()?;
        record(&mut hist, t);
    }
    Ok(Timed {
        hist,
        took: start.elapsed(),
    })
}

fn row(db: &str, client: &str, n: usize, t: &Timed) -> Row {
    let secs = t.took.as_secs_f64().max(1e-9);
    Row {
        backend: db.into(),
        family: "batch commit".into(),
        client: client.into(),
        messages: n,
        seconds: secs,
        msgs_per_sec: n as f64 / secs,
        p50_ms: t.hist.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: t.hist.value_at_quantile(0.99) as f64 / 1000.0,
        vs_raw: None,
    }
}

/// The batch commit rows for `n` actions in batches of `batch`.
pub async fn rows(
    streams: &StreamsConfig,
    db: &DatabaseConfig,
    n: usize,
    batch: usize,
    run: &str,
) -> anyhow::Result<Vec<Row>> {
    let batches = batches(run, n, batch);
    let mut out = Vec::new();
    let mut clients = vec![("separate txns", true), ("commit_batch", true)];
    if db.url.starts_with("sqlite:") {
        clients.push(("commit_batch, sqlx", false));
    }
    for (i, (client, writer)) in clients.into_iter().enumerate() {
        let mut scratch = Scratch::create(db, &format!("{run}-commit{i}")).await?;
        scratch.cfg.sqlite_batch_writer = writer;
        let store = Store::connect(&scratch.cfg)
            .await?
            .with_topics(streams)
            .with_max_batch(batch.max(100));
        let t = if i == 0 {
            separate(&store, &batches).await?
        } else {
            grouped(&store, &batches).await?
        };
        store.close().await;
        out.push(row(scratch.db_name(), client, n, &t));
        scratch.drop_db().await?;
    }
    let scratch = Scratch::create(db, &format!("{run}-commit-raw")).await?;
    if let Some(path) = scratch.sqlite_file() {
        // Migrate with the store, then write with rusqlite alone.
        Store::connect(&scratch.cfg).await?.close().await;
        let topic = streams.topic(veltrix_streams::Family::Reward, "points");
        let t = tokio::task::spawn_blocking(move || {
            let t = raw_sqlite(&path, &topic, &batches);
            drop(scratch);
            t
        })
        .await
        .context("rusqlite bench task")??;
        let raw = row("sqlite", "rusqlite", n, &t);
        for r in &mut out {
            r.vs_raw = Some(r.msgs_per_sec / raw.msgs_per_sec);
        }
        out.push(raw);
    } else {
        scratch.drop_db().await?;
    }
    Ok(out)
}
