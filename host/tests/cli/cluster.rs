//! Three `veltrix serve` processes on one cluster: the broker at
//! `VELTRIX_KAFKA_BROKERS` (Tansu in CI), one Postgres database and Redis.
//! Load on six games goes through all three; one host is killed with
//! SIGKILL mid-load (its requests move to the others, as a load balancer
//! would send them) and restarted. Then: no action lost, no reward minted
//! twice, every acknowledged action's outcome answered alike by every
//! host, every game's board and every player's view equal to the ledger
//! on every host, the outbox drained, and each game ticked once per
//! interval across the cluster, not once per host.
//!
//! Tansu keeps a SIGKILLed member in the group (its partitions are not
//! reassigned after the session timeout, docs/streams.md), so the games
//! the victim owned wait for its restart there; on Kafka the survivors take
//! them over after `kafka.session_timeout_ms`. The test restarts the
//! victim at once, so it holds on both.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use sqlx::Row;

use crate::served::{
    Host, act, attempt, board_equals_ledger, call, free_port, key, ledger, settle, setup,
};
use crate::store_common::TestDb;

const CHALLENGES: usize = 20;
/// Challenges played around the kill; the rest once all three are back.
const BEFORE: usize = 15;
const PLAYERS: usize = 12;
/// One per game partition, about (the key hash decides).
const GAMES: usize = 6;
const HOSTS: usize = 3;
/// The host killed and restarted.
const VICTIM: usize = 1;
const TICK_MS: u64 = 500;

/// A host's HTTP answer.
type Answer = (StatusCode, Value);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The hosts' shared config: per-run topics and groups on the CI broker,
/// the test's database, Redis boards, one worker loop per host (so the
/// group has three members), the host clock on.
fn config(run: &str, db_url: &str) -> String {
    let brokers =
        std::env::var("VELTRIX_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let redis =
        std::env::var("VELTRIX_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let family = |name: &str, topic: &str, partitions: u32| {
        format!(
            "[streams.{name}]\ntopic = \"{run}.{topic}\"\nconsumer_group = \"{run}-{name}\"\npartitions = {partitions}\n"
        )
    };
    format!(
        "[streams]\nbackend = \"kafka\"\ngame_types = [\"riddle\"]\n\
         {}{}{}compression = \"zstd\"\n{}\
         [kafka]\nbrokers = \"{brokers}\"\nsession_timeout_ms = 6000\n\
         [redis]\nurl = \"{redis}\"\n\
         [database]\nurl = \"{db_url}\"\n\
         [api]\nleaderboard = \"redis\"\naction_timeout_ms = 20000\nrequest_timeout_ms = 60000\n\
         [processor]\nworkers = 1\npoll_wait_ms = 20\ntick_interval_ms = {TICK_MS}\n\
         [outbox]\npoll_interval_ms = 20\n",
        family("game", "game.v1.{type}", 6),
        family("quest", "quest.v1.{type}", 2),
        family("reward", "reward.v1.{type}", 2),
        family("players", "events.v1.players", 2),
    )
}

async fn start(dir: &Path, port: u16, client: &Client) -> Host {
    let cfg = dir.join("veltrix.toml").display().to_string();
    crate::served::start(
        dir,
        port,
        client,
        &[("VELTRIX_CONFIG", &cfg), ("RUST_LOG", "info")],
    )
    .await
    .unwrap()
}

/// The load generator's view of the cluster: player `p` attempts
/// challenge `i` on host `(p + i) % HOSTS`, or on the next live one when
/// that host is down (as a load balancer would send it).
struct Load {
    client: Client,
    bases: Vec<String>,
    down: Arc<AtomicBool>,
    tokens: Vec<String>,
}

impl Load {
    /// Which host answered, and how (`None`: none did).
    async fn send(&self, p: usize, i: usize) -> (usize, Option<Answer>) {
        let mut h = (p + i) % HOSTS;
        for _ in 0..HOSTS {
            if !(h == VICTIM && self.down.load(Ordering::SeqCst))
                && let Some(r) = act(
                    &self.client,
                    &self.bases[h],
                    &self.tokens[p],
                    &key(p, i),
                    &attempt(i),
                )
                .await
            {
                return (h, Some(r));
            }
            h = (h + 1) % HOSTS;
        }
        (h, None)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hosts_one_killed_mid_load_lose_and_duplicate_nothing() {
    let run = format!("cl{}{}", now_ms(), std::process::id());
    let db = TestDb::postgres().await;
    let dirs: Vec<tempfile::TempDir> = (0..HOSTS).map(|_| tempfile::tempdir().unwrap()).collect();
    for d in &dirs {
        std::fs::write(d.path().join("veltrix.toml"), config(&run, &db.cfg.url)).unwrap();
    }
    let client = Client::new();
    let ports: Vec<u16> = (0..HOSTS).map(|_| free_port()).collect();
    // The first creates the topics; the others join its group.
    let mut hosts = vec![start(dirs[0].path(), ports[0], &client).await];
    for h in 1..HOSTS {
        hosts.push(start(dirs[h].path(), ports[h], &client).await);
    }
    let bases: Vec<String> = hosts.iter().map(|h| h.base.clone()).collect();
    let tenant = run.clone();
    let hunt = setup(&client, &bases[0], &tenant, CHALLENGES, PLAYERS, GAMES).await;
    let tokens = hunt.tokens;

    // Load through all three; the victim dies once a third is answered.
    let down = Arc::new(AtomicBool::new(false));
    let load = Arc::new(Load {
        client: client.clone(),
        bases: bases.clone(),
        down: down.clone(),
        tokens: tokens.clone(),
    });
    let answered = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<(usize, usize)> = (0..BEFORE)
        .flat_map(|i| (0..PLAYERS).map(move |p| (p, i)))
        .collect();
    let kill_at = jobs.len() / 3;
    let mut first: HashMap<String, (usize, Option<(StatusCode, Value)>)> = HashMap::new();
    let mut stream = futures::stream::iter(jobs.iter().copied().map(|(p, i)| {
        let (load, answered) = (load.clone(), answered.clone());
        async move {
            let r = load.send(p, i).await;
            if r.1.is_some() {
                answered.fetch_add(1, Ordering::SeqCst);
            }
            (key(p, i), r)
        }
    }))
    .buffer_unordered(12);
    let mut restart = None;
    while let Some((k, r)) = stream.next().await {
        first.insert(k, r);
        if restart.is_none() && answered.load(Ordering::SeqCst) >= kill_at {
            down.store(true, Ordering::SeqCst);
            hosts[VICTIM].kill_9();
            // Back on its port while the load goes on.
            let (dir, port, client, down) = (
                dirs[VICTIM].path().to_path_buf(),
                ports[VICTIM],
                client.clone(),
                down.clone(),
            );
            restart = Some(tokio::spawn(async move {
                let host = start(&dir, port, &client).await;
                down.store(false, Ordering::SeqCst);
                host
            }));
        }
    }
    drop(stream);
    hosts[VICTIM] = restart.expect("the victim was killed").await.unwrap();
    let applied = first
        .values()
        .filter(|(_, r)| matches!(r, Some((StatusCode::OK, _))))
        .count();
    let by_host: Vec<usize> = (0..HOSTS)
        .map(|h| {
            first
                .values()
                .filter(|(x, r)| *x == h && r.is_some())
                .count()
        })
        .collect();
    eprintln!(
        "around the kill: {applied} of {} answered applied at once; answered per host {by_host:?}",
        jobs.len()
    );
    for (k, (_, r)) in &first {
        if let Some((s, v)) = r {
            assert!(
                *s == StatusCode::OK || *s == StatusCode::ACCEPTED,
                "{k}: {s} {v}"
            );
        }
    }

    // The rest of the hunt goes through all three, and each answers at
    // once.
    let rest: Vec<(usize, usize)> = (BEFORE..CHALLENGES)
        .flat_map(|i| (0..PLAYERS).map(move |p| (p, i)))
        .collect();
    let later: Vec<(String, usize, Option<Answer>)> =
        futures::stream::iter(rest.iter().copied().map(|(p, i)| {
            let load = load.clone();
            async move {
                let (h, r) = load.send(p, i).await;
                (key(p, i), h, r)
            }
        }))
        .buffer_unordered(12)
        .collect()
        .await;
    for (k, h, r) in &later {
        let (s, v) = r
            .as_ref()
            .unwrap_or_else(|| panic!("{k}: host {h} unreachable"));
        assert_eq!(
            *s,
            StatusCode::OK,
            "{k} via host {h}: any host answers any action: {v}"
        );
        assert_eq!(v["result"], "applied", "{k}: {v}");
        first.insert(k.clone(), (*h, r.clone()));
    }

    // Every key settles to one final answer (retried on another host
    // than the first), equal to any final answer given before.
    let mut finals: HashMap<String, Value> = HashMap::new();
    for (n, &(p, i)) in jobs.iter().chain(&rest).enumerate() {
        let k = key(p, i);
        let v = settle(&client, &bases[n % HOSTS], &tokens[p], &k, &attempt(i)).await;
        assert_eq!(v["result"], "applied", "{k}: {v}");
        if let Some((_, Some((StatusCode::OK, before)))) = first.get(&k) {
            assert_eq!(&v, before, "{k}: its first answer");
        }
        finals.insert(k, v);
    }

    // Each action once in the ledger, each reward once.
    let rows = ledger(&db.cfg.url, &tenant).await;
    let mut by_action: HashMap<&str, usize> = HashMap::new();
    let mut rewards: HashSet<(&str, &str, &str)> = HashSet::new();
    for r in &rows {
        *by_action.entry(r.action.as_str()).or_default() += 1;
        assert!(
            rewards.insert((&r.game, &r.player, &r.reward_key)),
            "minted twice: {} {} {}",
            r.game,
            r.player,
            r.reward_key
        );
    }
    for (k, v) in &finals {
        let n = by_action
            .get(v["action_id"].as_str().unwrap())
            .copied()
            .unwrap_or(0);
        assert!(n >= 1, "every right answer scores: {k} {v}");
        assert_eq!(n as u64, v["rewards"].as_u64().unwrap(), "{k}: {v}");
    }
    assert_eq!(
        by_action.values().sum::<usize>(),
        rows.len(),
        "no reward without an answered action"
    );
    eprintln!(
        "{} keys settled, {} ledger rows, each once",
        finals.len(),
        rows.len()
    );

    // Every host answers every action's outcome, and the same one.
    for (p, i) in jobs.iter().chain(&rest).copied() {
        let v = &finals[&key(p, i)];
        let path = format!("/v1/play/actions/{}", v["action_id"].as_str().unwrap());
        for base in &bases {
            let (s, got) = call(&client, base, Method::GET, &path, &tokens[p], None).await;
            assert_eq!((s, &got), (StatusCode::OK, v), "{path} on {base}");
        }
    }
    for base in &bases {
        // Players p0..p5 are one per game.
        for (token, game) in tokens.iter().zip(&hunt.games).take(GAMES) {
            board_equals_ledger(&client, base, token, game, &rows).await;
        }
    }

    // Views: every host shows each player the state its game's owner
    // applied (a host that lost the game in a rebalance follows it).
    for (p, token) in tokens.iter().enumerate() {
        let player = format!("p{p}");
        let want: i64 = rows
            .iter()
            .filter(|r| r.player == player)
            .map(|r| r.amount)
            .sum();
        for base in &bases {
            let (s, v) = call(&client, base, Method::GET, "/v1/play/view", token, None).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(
                v["score"].as_i64(),
                Some(want),
                "{player}'s view on {base}: {v}"
            );
        }
    }

    // Every minted reward reaches the reward stream (relays share the
    // outbox through its lease).
    let store = db.store().await;
    let t = Instant::now();
    while store.outbox_stats().await.unwrap().pending > 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "outbox not drained");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The host clock: one tick per interval across the three hosts.
    let window_ms = 6_000;
    let from = now_ms();
    tokio::time::sleep(Duration::from_millis(window_ms as u64 + 2_000)).await;
    let rows = sqlx::query(
        "SELECT game_id, COUNT(*) AS n FROM action_outcomes WHERE tenant_id = $1 \
         AND player_id = 'host' AND received_at_ms >= $2 AND received_at_ms < $3 \
         GROUP BY game_id",
    )
    .bind(&tenant)
    .bind(from)
    .bind(from + window_ms)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let ticks: HashMap<String, i64> = rows
        .iter()
        .map(|r| (r.try_get("game_id").unwrap(), r.try_get("n").unwrap()))
        .collect();
    let per_interval = window_ms / TICK_MS as i64;
    eprintln!("ticks in {window_ms} ms at one per {TICK_MS} ms: {ticks:?}");
    for game in &hunt.games[..GAMES] {
        let n = ticks.get(game).copied().unwrap_or(0);
        assert!(n >= 1, "{game} is ticked");
        assert!(
            n <= per_interval * 3 / 2 + 1,
            "{game}: {n} ticks in {window_ms} ms: more than one host ticks it (3 hosts x {per_interval})"
        );
    }
    drop(store);
    for h in &mut hosts {
        h.kill_9();
    }
    let store = db.store().await;
    db.finish(store).await;
}
