//! The processor end to end on the embedded backend, SQLite and the
//! embedded board: built-in games through submit -> worker -> effects, the
//! ledger and the board agree, rewards reach the reward stream exactly
//! once through the relay, a crash mid-game changes nothing in the final
//! ledger, and a plugin fault fails one action, not the game.

use crate::store_common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use store_common::TestDb;
use tokio::sync::watch;
use veltrix_artifacts::PROBE;
use veltrix_clock::Clock;
use veltrix_devtools::builtin::find;
use veltrix_leaderboard::{
    Applied, Board, BoardSettings, EmbeddedBoard, Leaderboard, LeaderboardError, ScoreEntry,
    Standing,
};
use veltrix_pipeline::outbox::{OutboxConfig, Relay};
use veltrix_pipeline::processor::{ActionResult, Outcome, Processor, Registry, Submitted};
use veltrix_sdk::Action;
use veltrix_server::config::HostConfig;
use veltrix_store::Store;
use veltrix_streams::embedded::EmbeddedLog;
use veltrix_streams::{Family, Record, Streams};

const TENANT: &str = "acme";
const WAIT: Duration = Duration::from_secs(60);

struct Rig {
    cfg: HostConfig,
    log: EmbeddedLog,
    store: Store,
    board: Arc<EmbeddedBoard>,
    _db: TestDb,
}

impl Rig {
    async fn new(snapshot_every: u64) -> Result<Self> {
        Self::with_db(TestDb::sqlite(), snapshot_every).await
    }

    async fn with_db(db: TestDb, snapshot_every: u64) -> Result<Self> {
        let mut cfg = HostConfig::default();
        cfg.streams.game_types.push("probe".into());
        cfg.streams.reward_types = ["points", "badge", "bonus", "penalty", "hint"]
            .map(String::from)
            .to_vec();
        cfg.processor.snapshot_every = snapshot_every;
        cfg.processor.poll_wait_ms = 10;
        // Crash runs are compared with uninterrupted ones: no wall-clock
        // ticks in between.
        cfg.processor.tick_interval_ms = 0;
        let log = EmbeddedLog::new(cfg.streams.clone());
        log.ensure(&cfg.streams.topics()).await?;
        let store = db.store().await.with_topics(&cfg.streams);
        Ok(Self {
            cfg,
            log,
            store,
            board: Arc::new(EmbeddedBoard::new(BoardSettings::default())),
            _db: db,
        })
    }

    async fn processor(&self) -> Result<Processor> {
        self.processor_with(self.board.clone()).await
    }

    async fn processor_with(&self, board: Arc<dyn Leaderboard>) -> Result<Processor> {
        let p = self.unstarted(board)?;
        p.start().await?;
        Ok(p)
    }

    /// A processor whose loop has not started: what is submitted queues.
    fn unstarted(&self, board: Arc<dyn Leaderboard>) -> Result<Processor> {
        let builtins = veltrix_artifacts::BUILTINS.iter().map(|b| (b.name, b.wasm));
        let registry = Registry::with_builtins(self.cfg.plugins.clone(), builtins)?;
        registry.register(PROBE)?;
        let p = Processor::new(
            &self.cfg.processor,
            &self.cfg.streams,
            Arc::new(self.log.clone()),
            self.store.clone(),
            board,
            Arc::new(registry),
            Clock::system(),
        );
        Ok(p)
    }

    /// Runs a relay until the outbox is empty.
    async fn relay(&self) -> Result<()> {
        let relay = Arc::new(Relay::new(
            self.store.clone(),
            Arc::new(self.log.clone()),
            OutboxConfig::default(),
            "relay-test",
        ));
        let (stop, rx) = watch::channel(false);
        let r = relay.clone();
        let task = tokio::spawn(async move { r.run(rx).await });
        let t = Instant::now();
        while self.store.outbox_stats().await?.pending > 0 {
            ensure!(t.elapsed() < WAIT, "outbox not drained");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true)?;
        task.await?;
        Ok(())
    }

    async fn records(&self, topic: &str) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for p in 0..self.log.partitions(topic).await? {
            out.extend(self.log.read(topic, p, 0, usize::MAX).await?);
        }
        Ok(out)
    }
}

fn sample(game_type: &str, n: usize) -> (String, Vec<Action>) {
    let b = find(game_type).expect("built-in");
    ((b.sample_config)(), (b.sample_actions)(n, 7))
}

async fn submit_all(
    p: &Processor,
    game: &str,
    actions: impl IntoIterator<Item = Action>,
) -> Result<Vec<Submitted>> {
    let mut out = Vec::new();
    for a in actions {
        out.push(p.submit(TENANT, game, a).await?);
    }
    Ok(out)
}

async fn outcomes(subs: Vec<Submitted>) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    for s in subs {
        let id = s.action_id.clone();
        out.push(
            s.outcome(WAIT)
                .await
                .with_context(|| format!("no outcome for {id}"))?,
        );
    }
    Ok(out)
}

/// Ledger totals per player.
async fn ledger_totals(store: &Store, game: &str) -> Result<BTreeMap<String, i64>> {
    let mut t = BTreeMap::new();
    for r in store.rewards(TENANT, game).await? {
        *t.entry(r.reward.player_id).or_insert(0) += r.reward.amount;
    }
    Ok(t)
}

async fn board_totals(board: &EmbeddedBoard, game: &str) -> Result<BTreeMap<String, i64>> {
    Ok(board
        .top(TENANT, game, Board::Players, 1_000)
        .await?
        .into_iter()
        .map(|s| (s.id, s.score))
        .collect())
}

fn no_invalid_effects(outs: &[Outcome]) -> Result<()> {
    for o in outs {
        if let ActionResult::Faulted { code, message } = &o.result {
            anyhow::bail!("action {} faulted: {code}: {message}", o.offset);
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_games_flow_to_ledger_board_and_streams() -> Result<()> {
    let rig = Rig::new(25).await?;
    let p = rig.processor().await?;
    for ty in ["scavenger", "riddle", "bingo"] {
        let game = format!("g-{ty}");
        let (config, actions) = sample(ty, 150);
        p.create_game(TENANT, &game, ty, &config, 42).await?;
        let outs = outcomes(submit_all(&p, &game, actions).await?).await?;
        no_invalid_effects(&outs)?;
        let applied = outs
            .iter()
            .filter(|o| matches!(o.result, ActionResult::Applied { .. }))
            .count();
        ensure!(applied > 0, "{ty}: nothing applied");
        let rewards: usize = outs
            .iter()
            .map(|o| match o.result {
                ActionResult::Applied { rewards, .. } => rewards,
                _ => 0,
            })
            .sum();
        let ledger = rig.store.rewards(TENANT, &game).await?;
        ensure!(!ledger.is_empty(), "{ty}: no rewards minted");
        ensure!(
            ledger.len() <= rewards,
            "{ty}: more ledger rows than rewards"
        );
        ensure!(
            ledger_totals(&rig.store, &game).await? == board_totals(&rig.board, &game).await?,
            "{ty}: ledger and leaderboard disagree"
        );
        // Quest updates are on the quest topic, keyed by quest id.
        let quests: usize = outs
            .iter()
            .map(|o| match o.result {
                ActionResult::Applied { quest_updates, .. } => quest_updates,
                _ => 0,
            })
            .sum();
        // The events go out in the batch's tail, after the answers
        // resolved: wait for them (then there must be no more).
        let topic = rig.cfg.streams.topic(Family::Quest, ty);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let on_topic = loop {
            let on_topic: Vec<serde_json::Value> = rig
                .records(&topic)
                .await?
                .iter()
                .map(|r| serde_json::from_slice(&r.envelope.payload))
                .collect::<Result<_, _>>()?;
            let n = on_topic
                .iter()
                .filter(|v| v["game_id"] == game.as_str())
                .count();
            if n >= quests || std::time::Instant::now() > deadline {
                break n;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        ensure!(
            on_topic == quests,
            "{ty}: {on_topic} quest records, {quests} updates"
        );
        let _ = p.latency();
    }
    // Player deltas: keyed by player id on the compacted players topic.
    let players = rig
        .records(&rig.cfg.streams.topic(Family::Players, ""))
        .await?;
    ensure!(!players.is_empty(), "no player deltas");
    for r in &players {
        let v: serde_json::Value = serde_json::from_slice(&r.envelope.payload)?;
        ensure!(
            r.envelope.key
                == format!(
                    "{}/{}/{}",
                    r.envelope.tenant,
                    v["game_id"].as_str().unwrap_or_default(),
                    v["player_id"].as_str().unwrap_or_default()
                ),
            "player delta key"
        );
    }
    ensure!(p.latency().count > 0, "no latency samples");

    // Rewards reach the reward streams exactly once.
    rig.relay().await?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for ty in &rig.cfg.streams.reward_types {
        for r in rig
            .records(&rig.cfg.streams.topic(Family::Reward, ty))
            .await?
        {
            *seen.entry(r.envelope.event_id).or_default() += 1;
        }
    }
    ensure!(
        seen.values().all(|n| *n == 1),
        "a reward was published twice"
    );
    let mut ledger_ids = HashSet::new();
    for ty in ["scavenger", "riddle", "bingo"] {
        for r in rig.store.rewards(TENANT, &format!("g-{ty}")).await? {
            ledger_ids.insert(r.reward_id);
        }
    }
    ensure!(
        ledger_ids == seen.keys().cloned().collect::<HashSet<_>>(),
        "reward stream and ledger differ"
    );
    p.shutdown().await;
    Ok(())
}

/// (player, reward key, amount) of a game's ledger: comparable across games.
async fn ledger_facts(store: &Store, game: &str) -> Result<Vec<(String, String, i64)>> {
    let mut v: Vec<_> = store
        .rewards(TENANT, game)
        .await?
        .into_iter()
        .map(|r| (r.reward.player_id, r.reward.reward_key, r.reward.amount))
        .collect();
    v.sort();
    Ok(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_game_changes_nothing_in_the_final_ledger() -> Result<()> {
    crash_mid_game(Rig::new(7).await?).await?;
    Ok(())
}

/// Snapshots only at creation: the restarted processor rebuilds the game
/// by replaying everything the first one applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_without_snapshots_replays_the_whole_game() -> Result<()> {
    let (replayed, answered) = crash_mid_game(Rig::new(1_000_000).await?).await?;
    // No snapshot but the initial one: the restarted processor rebuilds
    // the state from the stream's start up to its committed offset (past
    // the first 100, committed before the crash), and applies everything
    // after it again: every action once.
    ensure!(
        replayed >= 100 && replayed + answered == 240,
        "{replayed} actions replayed and {answered} applied again, of 240"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_game_changes_nothing_in_the_final_ledger_postgres() -> Result<()> {
    crash_mid_game(Rig::with_db(TestDb::postgres().await, 5).await?).await?;
    Ok(())
}

/// Returns how many actions the restarted processor replayed, and how
/// many it answered.
async fn crash_mid_game(rig: Rig) -> Result<(u64, u64)> {
    let ty = "scavenger";
    let (config, actions) = sample(ty, 240);

    // Uninterrupted.
    let p = rig.processor().await?;
    p.create_game(TENANT, "calm", ty, &config, 9).await?;
    outcomes(submit_all(&p, "calm", actions.clone()).await?).await?;
    p.shutdown().await;

    // Crashed: half applied, a few more in flight, then dropped.
    let p1 = rig.processor().await?;
    p1.create_game(TENANT, "crash", ty, &config, 9).await?;
    outcomes(submit_all(&p1, "crash", actions[..100].to_vec()).await?).await?;
    // Their offsets commit after their batches' tails: wait for that, so
    // the crash below cuts off only what comes after them.
    let t0 = Instant::now();
    while p1.stats().committed < p1.stats().batches {
        ensure!(
            t0.elapsed() < WAIT,
            "offsets of the first 100 never committed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _in_flight = submit_all(&p1, "crash", actions[100..130].to_vec()).await?;
    drop(p1);

    let p2 = rig.processor().await?;
    let rest = outcomes(submit_all(&p2, "crash", actions[130..].to_vec()).await?).await?;
    ensure!(rest.len() == actions.len() - 130);

    let calm = ledger_facts(&rig.store, "calm").await?;
    let crash = ledger_facts(&rig.store, "crash").await?;
    ensure!(!calm.is_empty(), "the sample minted nothing");
    ensure!(
        calm == crash,
        "ledgers differ: {} vs {} rewards",
        calm.len(),
        crash.len()
    );
    ensure!(
        ledger_totals(&rig.store, "crash").await? == board_totals(&rig.board, "crash").await?,
        "board double counted after the crash"
    );
    // Each reward has exactly one outbox event, so one stream record.
    rig.relay().await?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in &rig.cfg.streams.reward_types {
        for r in rig
            .records(&rig.cfg.streams.topic(Family::Reward, t))
            .await?
        {
            *seen.entry(r.envelope.event_id).or_default() += 1;
        }
    }
    let crash_ids: Vec<String> = rig
        .store
        .rewards(TENANT, "crash")
        .await?
        .into_iter()
        .map(|r| r.reward_id)
        .collect();
    for id in &crash_ids {
        ensure!(
            seen.get(id) == Some(&1),
            "reward {id} published {:?} times",
            seen.get(id)
        );
    }
    let stats = p2.stats();
    let (replayed, answered) = (
        stats.replayed,
        stats.applied + stats.rejected + stats.faulted,
    );
    ensure!(
        p2.stats().games_loaded >= 1,
        "the restarted processor loaded nothing"
    );
    p2.shutdown().await;
    Ok((replayed, answered))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_fault_fails_one_action_not_the_game() -> Result<()> {
    let rig = Rig::new(100).await?;
    let p = rig.processor().await?;
    p.create_game(TENANT, "probe-1", "probe", "{}", 1).await?;
    let act = |kind: &str, key: &str| Action::new("p1", kind, 1_000).with_key(key);
    let subs = submit_all(
        &p,
        "probe-1",
        [
            act("ok", "a"),
            act("trap", "b"),
            act("ok", "c"),
            act("bogus", "d"),
        ],
    )
    .await?;
    let outs = outcomes(subs).await?;
    ensure!(
        matches!(outs[0].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        outs[0]
    );
    ensure!(
        matches!(&outs[1].result, ActionResult::Faulted { code, .. } if code == "trapped"),
        "{:?}",
        outs[1]
    );
    ensure!(
        matches!(outs[2].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        outs[2]
    );
    ensure!(
        matches!(outs[3].result, ActionResult::Rejected { .. }),
        "{:?}",
        outs[3]
    );
    let found = p.outcome(TENANT, "probe-1", &outs[1].action_id);
    ensure!(found.as_ref() == Some(&outs[1]), "outcome lookup");
    ensure!(
        p.outcome("other", "probe-1", &outs[1].action_id).is_none(),
        "tenant isolation"
    );
    ensure!(rig.store.rewards(TENANT, "probe-1").await?.len() == 2);
    ensure!(board_totals(&rig.board, "probe-1").await?.get("p1") == Some(&2));
    p.shutdown().await;
    let snap = rig
        .store
        .snapshot(TENANT, "probe-1")
        .await?
        .context("snapshot")?;
    ensure!(
        snap.actions_applied == 4,
        "snapshot covers {}",
        snap.actions_applied
    );
    Ok(())
}

/// A call that outruns the sandbox's wall-clock backstop (a fuel budget
/// far beyond it) on two fresh instances is answered neither way: its game
/// is parked, visibly and across a restart, and other games play on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_stalls_the_backstop_parks_its_game_only() -> Result<()> {
    let mut rig = Rig::new(100).await?;
    // The probe declares 10^12 fuel: an endless spin meets the backstop.
    rig.cfg.plugins.max_fuel = 1_000_000_000_000;
    rig.cfg.plugins.deadline_ms = 200;
    let p = rig.processor().await?;
    p.create_game(TENANT, "stalls", "probe", "{}", 1).await?;
    p.create_game(TENANT, "calm", "probe", "{}", 1).await?;
    let act = |kind: &str, key: &str| Action::new("p1", kind, 1_000).with_key(key);
    let outs = outcomes(
        submit_all(
            &p,
            "stalls",
            [act("ok", "a"), act("spin", "b"), act("ok", "c")],
        )
        .await?,
    )
    .await?;
    let parked = |o: &Outcome| matches!(&o.result, ActionResult::Faulted { code, .. } if code == "game-parked");
    ensure!(
        matches!(outs[0].result, ActionResult::Applied { .. }),
        "{:?}",
        outs[0]
    );
    ensure!(parked(&outs[1]), "{:?}", outs[1]);
    ensure!(parked(&outs[2]), "later actions too: {:?}", outs[2]);
    let calm = outcomes(submit_all(&p, "calm", [act("ok", "d")]).await?).await?;
    ensure!(
        matches!(calm[0].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        calm[0]
    );
    let row = rig.store.game(TENANT, "stalls").await?.context("game")?;
    ensure!(row.status == "parked", "status {}", row.status);
    let stored = rig
        .store
        .stored_outcome(TENANT, &outs[1].action_id)
        .await?
        .context("stored outcome")?;
    ensure!(stored.result.contains("game-parked"), "{}", stored.result);
    // Later actions' outcomes are their players' (retries and GET find them).
    let later = rig
        .store
        .stored_outcome(TENANT, &outs[2].action_id)
        .await?
        .context("stored outcome")?;
    ensure!(later.player_id == "p1", "{later:?}");
    p.shutdown().await;

    // Restarted: still parked (not replayed), the other game still plays.
    let p2 = rig.processor().await?;
    let again = outcomes(submit_all(&p2, "stalls", [act("ok", "e")]).await?).await?;
    ensure!(parked(&again[0]), "{:?}", again[0]);
    let calm = outcomes(submit_all(&p2, "calm", [act("ok", "f")]).await?).await?;
    ensure!(
        matches!(calm[0].result, ActionResult::Applied { .. }),
        "{:?}",
        calm[0]
    );
    ensure!(rig.store.rewards(TENANT, "stalls").await?.len() == 1);
    p2.shutdown().await;
    Ok(())
}

/// Effects the database refuses (here a rule a DBA added: no reward key
/// holding "poison") can never commit: the game that made them is parked,
/// visibly, and the games that shared its batch commit and play on
/// (before, the whole batch was retried forever, stalling every game of
/// the partition).
async fn refused_effects(db: TestDb) -> Result<()> {
    let rules: &[&str] = if db.is_postgres() {
        &[
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN \
             IF NEW.reward_key LIKE '%poison%' THEN \
             RAISE EXCEPTION 'poisoned reward' USING ERRCODE = '23514'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON rewards \
             FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ]
    } else {
        &["CREATE TRIGGER refuse_poison BEFORE INSERT ON rewards \
           WHEN NEW.reward_key LIKE '%poison%' \
           BEGIN SELECT RAISE(ABORT, 'poisoned reward'); END"]
    };
    let rig = Rig::with_db(db, 100).await?;
    for sql in rules {
        rig._db.execute(sql).await;
    }
    let p = rig.processor().await?;
    p.create_game(TENANT, "poisoned", "probe", "{}", 1).await?;
    p.create_game(TENANT, "calm", "probe", "{}", 1).await?;
    let act = |key: &str| Action::new("p1", "ok", 1_000).with_key(key);
    let before = outcomes(submit_all(&p, "poisoned", [act("a")]).await?).await?;
    ensure!(
        matches!(before[0].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        before[0]
    );
    // Submitted together: the refused reward and the calm game's share
    // batches.
    let mut subs = submit_all(&p, "poisoned", [act("poison"), act("c")]).await?;
    subs.extend(submit_all(&p, "calm", [act("d")]).await?);
    let outs = outcomes(subs).await?;
    let parked = |o: &Outcome| matches!(&o.result, ActionResult::Faulted { code, message } if code == "game-parked" && message.contains("refused"));
    ensure!(parked(&outs[0]), "{:?}", outs[0]);
    ensure!(parked(&outs[1]), "later actions too: {:?}", outs[1]);
    ensure!(
        matches!(outs[2].result, ActionResult::Applied { minted: 1, .. }),
        "the calm game plays on: {:?}",
        outs[2]
    );
    // The refusal really happened in the database: the status says so and
    // the stored outcome carries it.
    let row = rig.store.game(TENANT, "poisoned").await?.context("game")?;
    ensure!(row.status == "parked", "status {}", row.status);
    let stored = rig
        .store
        .stored_outcome(TENANT, &outs[0].action_id)
        .await?
        .context("stored outcome")?;
    ensure!(stored.result.contains("refused"), "{}", stored.result);
    ensure!(rig.store.rewards(TENANT, "poisoned").await?.len() == 1);
    ensure!(rig.store.rewards(TENANT, "calm").await?.len() == 1);
    p.shutdown().await;

    // Restarted: still parked, the calm game still plays.
    let p2 = rig.processor().await?;
    let again = outcomes(submit_all(&p2, "poisoned", [act("e")]).await?).await?;
    ensure!(
        matches!(&again[0].result, ActionResult::Faulted { code, .. } if code == "game-parked"),
        "{:?}",
        again[0]
    );
    let calm = outcomes(submit_all(&p2, "calm", [act("f")]).await?).await?;
    ensure!(
        matches!(calm[0].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        calm[0]
    );
    p2.shutdown().await;
    Ok(())
}

/// A typed component minting a reward type its contract does not declare
/// faults that action (even a type the host runs); declared types mint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_reward_type_faults_its_action() -> Result<()> {
    let rig = Rig::new(100).await?;
    let p = rig.processor().await?;
    p.create_game(TENANT, "minty", "probe", "{}", 1).await?;
    let mint = |key: &str, ty: &str| {
        Action::new("p1", "mint", 1_000)
            .with_key(key)
            .with_payload(serde_json::json!({ "reward_type": ty }))
    };
    // `bonus` is a stream the host runs, but the probe declares `points` only.
    ensure!(rig.cfg.streams.reward_types.iter().any(|t| t == "bonus"));
    let outs =
        outcomes(submit_all(&p, "minty", [mint("a", "bonus"), mint("b", "points")]).await?).await?;
    ensure!(
        matches!(&outs[0].result, ActionResult::Faulted { code, message } if code == "invalid-effects" && message.contains("declared reward types")),
        "{:?}",
        outs[0]
    );
    ensure!(
        matches!(outs[1].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        outs[1]
    );
    p.shutdown().await;
    Ok(())
}

/// A quest update too large for one stream event faults its own action
/// (the streams would refuse it on every retry); the game plays on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_too_large_for_the_streams_faults_its_action() -> Result<()> {
    let rig = Rig::new(100).await?;
    let limit = rig.cfg.streams.max_payload_bytes;
    let p = rig.processor().await?;
    p.create_game(TENANT, "loud", "probe", "{}", 1).await?;
    let big = Action::new("p1", "output", 1_000)
        .with_key("big")
        .with_payload(serde_json::json!({ "bytes": limit + 1 }));
    let ok = Action::new("p1", "ok", 1_000).with_key("after");
    let outs = outcomes(submit_all(&p, "loud", [big, ok]).await?).await?;
    ensure!(
        matches!(&outs[0].result, ActionResult::Faulted { code, message } if code == "invalid-effects" && message.contains("quest update")),
        "{:?}",
        outs[0]
    );
    ensure!(
        matches!(outs[1].result, ActionResult::Applied { minted: 1, .. }),
        "{:?}",
        outs[1]
    );
    let row = rig.store.game(TENANT, "loud").await?.context("game")?;
    ensure!(row.status != "parked", "status {}", row.status);
    p.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn games_are_pinned_and_snapshots_only_move_forward() -> Result<()> {
    games_pinned(Rig::new(100).await?).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn games_are_pinned_and_snapshots_only_move_forward_postgres() -> Result<()> {
    games_pinned(Rig::with_db(TestDb::postgres().await, 100).await?).await
}

async fn games_pinned(rig: Rig) -> Result<()> {
    let p = rig.processor().await?;
    let (config, _) = sample("riddle", 1);
    let row = p
        .create_game(TENANT, "pin", "riddle", &config, u64::MAX)
        .await?;
    let stored = rig.store.game(TENANT, "pin").await?.context("game row")?;
    ensure!(stored == row, "stored game differs");
    ensure!(stored.seed == u64::MAX, "seed round trip");
    ensure!(stored.plugin_hash == p.registry().current("riddle").unwrap().hash);
    ensure!(matches!(
        p.create_game(TENANT, "pin", "riddle", &config, 1).await,
        Err(veltrix_pipeline::processor::ProcessorError::GameExists(_))
    ));
    ensure!(matches!(
        p.create_game(TENANT, "bad", "riddle", "{\"nope\":1}", 1)
            .await,
        Err(veltrix_pipeline::processor::ProcessorError::InvalidConfig(
            _
        ))
    ));
    ensure!(matches!(
        p.create_game(TENANT, "x", "chess", "{}", 1).await,
        Err(veltrix_pipeline::processor::ProcessorError::UnknownGameType(_))
    ));
    ensure!(matches!(
        p.submit(TENANT, "missing", Action::new("p", "attempt", 1))
            .await,
        Err(veltrix_pipeline::processor::ProcessorError::UnknownGame(_))
    ));

    let mut snap = rig
        .store
        .snapshot(TENANT, "pin")
        .await?
        .context("snapshot")?;
    snap.next_offset += 10;
    snap.state = b"newer".to_vec();
    ensure!(rig.store.save_snapshot(&snap, "running").await?);
    let mut older = snap.clone();
    older.next_offset -= 5;
    older.state = b"older".to_vec();
    ensure!(
        !rig.store.save_snapshot(&older, "waiting").await?,
        "went backwards"
    );
    let now = rig
        .store
        .snapshot(TENANT, "pin")
        .await?
        .context("snapshot")?;
    ensure!(now.state == b"newer" && now.next_offset == snap.next_offset);
    ensure!(rig.store.game(TENANT, "pin").await?.unwrap().status == "running");
    p.shutdown().await;
    Ok(())
}

/// The shared board, failing every `apply` once `ok` entries are used up: the
/// processor has minted a batch's rewards but cannot finish it.
struct FailingBoard {
    inner: Arc<EmbeddedBoard>,
    ok: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Leaderboard for FailingBoard {
    fn backend(&self) -> &'static str {
        "failing"
    }
    async fn apply(&self, e: &[ScoreEntry]) -> Result<Applied, LeaderboardError> {
        use std::sync::atomic::Ordering;
        if self
            .ok
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(e.len())
            })
            .is_err()
        {
            return Err(LeaderboardError::Unavailable);
        }
        self.inner.apply(e).await
    }
    async fn top(
        &self,
        t: &str,
        g: &str,
        b: Board,
        n: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        self.inner.top(t, g, b, n).await
    }
    async fn rank(
        &self,
        t: &str,
        g: &str,
        b: Board,
        id: &str,
    ) -> Result<Option<Standing>, LeaderboardError> {
        self.inner.rank(t, g, b, id).await
    }
    async fn around(
        &self,
        t: &str,
        g: &str,
        b: Board,
        id: &str,
        k: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        self.inner.around(t, g, b, id, k).await
    }
    async fn rebuild(&self, t: &str, g: &str, e: &[ScoreEntry]) -> Result<(), LeaderboardError> {
        self.inner.rebuild(t, g, e).await
    }
    async fn clear(&self, t: &str, g: &str) -> Result<(), LeaderboardError> {
        self.inner.clear(t, g).await
    }
}

/// A crash between the mint and the offset commit: the restarted processor
/// re-applies minted actions, mints nothing twice, and the board catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_minting_before_the_offset_commit_mints_nothing_twice() -> Result<()> {
    let ty = "scavenger";
    let (config, actions) = sample(ty, 240);
    let rig = Rig::new(1_000_000).await?;
    let p = rig.processor().await?;
    p.create_game(TENANT, "calm", ty, &config, 9).await?;
    outcomes(submit_all(&p, "calm", actions.clone()).await?).await?;
    p.shutdown().await;

    let failing = Arc::new(FailingBoard {
        inner: rig.board.clone(),
        ok: std::sync::atomic::AtomicUsize::new(10),
    });
    let p1 = rig.processor_with(failing).await?;
    p1.create_game(TENANT, "stuck", ty, &config, 9).await?;
    let subs = submit_all(&p1, "stuck", actions.clone()).await?;
    let ids: Vec<String> = subs.iter().map(|s| s.action_id.clone()).collect();
    // Wait until the stuck batch has minted (ledger rows, no outcome).
    let t = Instant::now();
    loop {
        let minted = rig.store.rewards(TENANT, "stuck").await?.len();
        let done = ids
            .iter()
            .filter(|id| p1.outcome(TENANT, "stuck", id).is_some())
            .count();
        if minted > 0 && done < ids.len() && t.elapsed() > Duration::from_millis(500) {
            break;
        }
        ensure!(
            t.elapsed() < WAIT,
            "never got stuck ({minted} minted, {done} done)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows_before = rig.store.rewards(TENANT, "stuck").await?;
    let before = rows_before.len();
    let minted_by: std::collections::HashSet<String> = rows_before
        .iter()
        .filter_map(|r| r.reward.payload["action_id"].as_str().map(String::from))
        .collect();
    drop(p1);

    let p2 = rig.processor().await?;
    let last = p2
        .submit(TENANT, "stuck", Action::new("late", "noop-kind", 1))
        .await?;
    last.outcome(WAIT)
        .await
        .context("no outcome after restart")?;
    // Actions whose rewards p1 minted are applied again by p2: their
    // rewards hit the ledger's unique ids, and their outcomes still say the
    // action minted them (its ledger rows name it), as the first run would.
    let replayed: Vec<Outcome> = ids
        .iter()
        .filter(|id| minted_by.contains(*id))
        .filter_map(|id| p2.outcome(TENANT, "stuck", id))
        .collect();
    for o in &replayed {
        ensure!(
            matches!(o.result, ActionResult::Applied { rewards, minted, .. } if minted == rewards),
            "a redelivered action answers what it minted: {o:?}"
        );
    }
    let replays = replayed.len();
    ensure!(
        replays > 0,
        "no action was re-applied over already minted rewards"
    );
    ensure!(before > 0);
    ensure!(
        ledger_facts(&rig.store, "calm").await? == ledger_facts(&rig.store, "stuck").await?,
        "ledgers differ"
    );
    ensure!(
        ledger_totals(&rig.store, "stuck").await? == board_totals(&rig.board, "stuck").await?,
        "board and ledger disagree after the restart"
    );
    p2.shutdown().await;
    Ok(())
}

crate::each_db!(refused_effects_park_their_game_only => refused_effects);

mod apply_batch;
