//! Leaderboards: one behavioural suite run against the embedded board and
//! against Redis, then what only one backend can show (Redis key TTLs,
//! "Redis flushed mid-game", expiry on a short clock).
//!
//! Redis is `VELTRIX_REDIS_URL` (default `redis://127.0.0.1:6379`); the
//! Redis tests fail, with a message saying so, when it is unreachable.
//! Every test uses its own tenant id, so tests never see each other's keys
//! and never flush the shared instance.

use std::time::Duration;

use veltrix_clock::Clock;
use veltrix_leaderboard::RedisConfig;
use veltrix_leaderboard::{
    Applied, Board, BoardSettings, EmbeddedBoard, Leaderboard, LeaderboardError, MAX_AT_MS,
    MAX_SCORE, RedisBoard, ScoreEntry, Standing, Tally,
};

/// A tenant id no other test (or run) uses.
fn scope() -> String {
    format!("lbt{}", uuid::Uuid::now_v7().simple())
}

fn entry(
    tenant: &str,
    game: &str,
    player: &str,
    team: Option<&str>,
    delta: i64,
    reward: &str,
    at_ms: i64,
) -> ScoreEntry {
    ScoreEntry {
        tenant: tenant.into(),
        game_id: game.into(),
        player_id: player.into(),
        team_id: team.map(Into::into),
        delta,
        reward_id: reward.into(),
        at_ms,
    }
}

/// `(id, score, reached_at)` in rank order; asserts ranks are 1, 2, ...
fn lines(standings: &[Standing]) -> Vec<(&str, i64, i64)> {
    for (s, rank) in standings.iter().zip(1..) {
        assert_eq!(s.rank, rank, "{standings:?}");
    }
    standings
        .iter()
        .map(|s| (s.id.as_str(), s.score, s.reached_at_ms))
        .collect()
}

fn redis_config() -> RedisConfig {
    let url =
        std::env::var("VELTRIX_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    RedisConfig {
        url,
        // Test keys outlive the run only briefly on the shared instance.
        board_ttl_ms: 10 * 60 * 1000,
        ..RedisConfig::default()
    }
}

async fn redis_board_with(config: RedisConfig) -> RedisBoard {
    match RedisBoard::connect(&config).await {
        Ok(b) => b,
        Err(e) => panic!(
            "Redis is unreachable at {} ({e}): start it (`redis-server --save '' \
             --appendonly no`) or point VELTRIX_REDIS_URL at one",
            config.url
        ),
    }
}

async fn redis_board() -> RedisBoard {
    redis_board_with(redis_config()).await
}

// ---------------------------------------------------------------- the suite

/// Higher score first; equal scores: who reached it first; the time is the
/// latest reward's, whatever the delivery order.
async fn ordering_and_ties(lb: &dyn Leaderboard, t: &str) {
    let g = "g1";
    let applied = lb
        .apply(&[
            entry(t, g, "a", None, 10, "r1", 100),
            // Delivered out of order: e's later reward first.
            entry(t, g, "e", None, 6, "r2", 120),
            entry(t, g, "c", None, 20, "r3", 200),
            entry(t, g, "b", None, 10, "r4", 50),
            entry(t, g, "d", None, 5, "r5", 10),
            entry(t, g, "e", None, 4, "r6", 10),
            // Same score, same millisecond: id, descending (documented).
            entry(t, g, "x", None, 1, "r7", 300),
            entry(t, g, "y", None, 1, "r8", 300),
        ])
        .await
        .unwrap();
    assert_eq!(
        applied,
        Applied {
            applied: 8,
            duplicates: 0
        }
    );
    let top = lb.top(t, g, Board::Players, 10).await.unwrap();
    assert_eq!(
        lines(&top),
        vec![
            ("c", 20, 200),
            ("b", 10, 50),
            ("a", 10, 100),
            ("e", 10, 120),
            ("d", 5, 10),
            ("y", 1, 300),
            ("x", 1, 300),
        ]
    );
    assert_eq!(
        lines(&lb.top(t, g, Board::Players, 2).await.unwrap()),
        vec![("c", 20, 200), ("b", 10, 50)]
    );
    assert!(lb.top(t, g, Board::Players, 0).await.unwrap().is_empty());
    let a = lb.rank(t, g, Board::Players, "a").await.unwrap().unwrap();
    assert_eq!((a.rank, a.score, a.reached_at_ms), (3, 10, 100));
    // b overtakes c later: one reward, then b reached 21 at 400.
    lb.apply(&[entry(t, g, "b", None, 11, "r9", 400)])
        .await
        .unwrap();
    let top = lb.top(t, g, Board::Players, 2).await.unwrap();
    assert_eq!(lines(&top), vec![("b", 21, 400), ("c", 20, 200)]);
    assert!(
        lb.top(t, "other", Board::Players, 5)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Revocations and costs are negative rewards: they lower the score, move
/// its time, and may leave it at or below zero.
async fn negative_deltas(lb: &dyn Leaderboard, t: &str) {
    let g = "g1";
    lb.apply(&[
        entry(t, g, "a", None, 10, "r1", 100),
        entry(t, g, "b", None, 8, "r2", 50),
        entry(t, g, "d", None, 5, "r3", 100),
        entry(t, g, "c", None, -3, "hint", 60),
    ])
    .await
    .unwrap();
    lb.apply(&[entry(t, g, "a", None, -5, "revoke-r1", 150)])
        .await
        .unwrap();
    let top = lb.top(t, g, Board::Players, 10).await.unwrap();
    // a fell to 5 at 150; d had 5 since 100: d ranks higher.
    assert_eq!(
        lines(&top),
        vec![("b", 8, 50), ("d", 5, 100), ("a", 5, 150), ("c", -3, 60)]
    );
    lb.apply(&[entry(t, g, "b", None, -8, "revoke-r2", 200)])
        .await
        .unwrap();
    let b = lb.rank(t, g, Board::Players, "b").await.unwrap().unwrap();
    assert_eq!((b.rank, b.score, b.reached_at_ms), (3, 0, 200));
    // Exact at the edge of the documented range, and saturating past it.
    lb.apply(&[
        entry(t, g, "big", None, MAX_SCORE, "m1", MAX_AT_MS),
        entry(t, g, "low", None, -MAX_SCORE, "m2", 0),
    ])
    .await
    .unwrap();
    lb.apply(&[entry(t, g, "big", None, 7, "m3", 1)])
        .await
        .unwrap();
    let top = lb.top(t, g, Board::Players, 10).await.unwrap();
    assert_eq!(top[0].score, MAX_SCORE);
    assert_eq!(top[0].reached_at_ms, MAX_AT_MS);
    assert_eq!(top.last().unwrap().score, -MAX_SCORE);
    assert_eq!(top.last().unwrap().reached_at_ms, 0);
}

/// A reward with a team id also scores for the team; teams tie-break the
/// same way.
async fn team_boards(lb: &dyn Leaderboard, t: &str) {
    let g = "g1";
    lb.apply(&[
        entry(t, g, "p1", Some("red"), 10, "r1", 10),
        entry(t, g, "p2", Some("red"), 5, "r2", 20),
        entry(t, g, "p3", Some("blue"), 15, "r3", 15),
        entry(t, g, "p4", None, 100, "r4", 5),
    ])
    .await
    .unwrap();
    let teams = lb.top(t, g, Board::Teams, 10).await.unwrap();
    assert_eq!(lines(&teams), vec![("blue", 15, 15), ("red", 15, 20)]);
    let players = lb.top(t, g, Board::Players, 10).await.unwrap();
    assert_eq!(players[0].id, "p4");
    assert_eq!(players.len(), 4);
    lb.apply(&[entry(t, g, "p2", Some("red"), -1, "r5", 30)])
        .await
        .unwrap();
    let red = lb.rank(t, g, Board::Teams, "red").await.unwrap().unwrap();
    assert_eq!((red.rank, red.score, red.reached_at_ms), (2, 14, 30));
    assert!(lb.rank(t, g, Board::Teams, "p4").await.unwrap().is_none());
    assert!(
        lb.rank(t, g, Board::Players, "red")
            .await
            .unwrap()
            .is_none()
    );
}

/// `around` gives the neighbours, clipped at both ends.
async fn neighbours(lb: &dyn Leaderboard, t: &str) {
    let g = "g1";
    let entries: Vec<_> = (1..=10)
        .map(|i| {
            entry(
                t,
                g,
                &format!("p{i}"),
                None,
                110 - 10 * i,
                &format!("r{i}"),
                i,
            )
        })
        .collect();
    lb.apply(&entries).await.unwrap();
    let ids = |v: Vec<Standing>| v.iter().map(|s| (s.id.clone(), s.rank)).collect::<Vec<_>>();
    let around = lb.around(t, g, Board::Players, "p5", 2).await.unwrap();
    assert_eq!(
        ids(around),
        (3..=7).map(|i| (format!("p{i}"), i)).collect::<Vec<_>>()
    );
    let first = lb.around(t, g, Board::Players, "p1", 2).await.unwrap();
    assert_eq!(
        ids(first),
        (1..=3).map(|i| (format!("p{i}"), i)).collect::<Vec<_>>()
    );
    let last = lb.around(t, g, Board::Players, "p10", 2).await.unwrap();
    assert_eq!(
        ids(last),
        (8..=10).map(|i| (format!("p{i}"), i)).collect::<Vec<_>>()
    );
    let alone = lb.around(t, g, Board::Players, "p4", 0).await.unwrap();
    assert_eq!(ids(alone), vec![("p4".to_string(), 4)]);
    assert!(
        lb.around(t, g, Board::Players, "nobody", 3)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        lb.rank(t, g, Board::Players, "nobody")
            .await
            .unwrap()
            .is_none()
    );
}

/// At-least-once delivery: a reward id counts once, within a batch, across
/// batches, and whatever the redelivered copy says.
async fn duplicates_count_once(lb: &dyn Leaderboard, t: &str) {
    let g = "g1";
    let batch = [
        entry(t, g, "a", Some("red"), 10, "r1", 10),
        entry(t, g, "a", Some("red"), 10, "r1", 10),
        entry(t, g, "b", Some("red"), 3, "r2", 20),
    ];
    assert_eq!(
        lb.apply(&batch).await.unwrap(),
        Applied {
            applied: 2,
            duplicates: 1
        }
    );
    assert_eq!(
        lb.apply(&batch).await.unwrap(),
        Applied {
            applied: 0,
            duplicates: 3
        }
    );
    lb.apply(&[entry(t, g, "a", None, 500, "r1", 99)])
        .await
        .unwrap();
    let players = lb.top(t, g, Board::Players, 10).await.unwrap();
    assert_eq!(lines(&players), vec![("a", 10, 10), ("b", 3, 20)]);
    let teams = lb.top(t, g, Board::Teams, 10).await.unwrap();
    assert_eq!(lines(&teams), vec![("red", 13, 20)]);
    // A zero reward is recorded (so it stays a duplicate) and changes nothing.
    lb.apply(&[entry(t, g, "z", None, 0, "r0", 5)])
        .await
        .unwrap();
    assert!(lb.rank(t, g, Board::Players, "z").await.unwrap().is_none());
    let again = lb
        .apply(&[entry(t, g, "z", None, 0, "r0", 5)])
        .await
        .unwrap();
    assert_eq!(again.duplicates, 1);
}

/// The same game id under two tenants: two independent boards.
async fn tenant_isolation(lb: &dyn Leaderboard, t: &str) {
    let (t1, t2) = (format!("{t}a"), format!("{t}b"));
    let g = "shared-game";
    lb.apply(&[entry(&t1, g, "p", Some("x"), 10, "r1", 1)])
        .await
        .unwrap();
    // Same reward id in the other tenant is a different reward.
    let second = lb
        .apply(&[entry(&t2, g, "p", Some("x"), 7, "r1", 2)])
        .await
        .unwrap();
    assert_eq!(second.applied, 1);
    let p1 = lb.top(&t1, g, Board::Players, 5).await.unwrap();
    let p2 = lb.top(&t2, g, Board::Players, 5).await.unwrap();
    assert_eq!(lines(&p1), vec![("p", 10, 1)]);
    assert_eq!(lines(&p2), vec![("p", 7, 2)]);
    lb.clear(&t1, g).await.unwrap();
    assert!(lb.top(&t1, g, Board::Teams, 5).await.unwrap().is_empty());
    assert_eq!(
        lines(&lb.top(&t2, g, Board::Teams, 5).await.unwrap()),
        vec![("x", 7, 2)]
    );
}

fn is_invalid<T: std::fmt::Debug>(r: Result<T, LeaderboardError>) -> bool {
    matches!(r, Err(LeaderboardError::Invalid(_)))
}

/// Ids that could reach another tenant's keys, and out-of-range numbers,
/// are refused; one bad entry refuses the whole batch.
async fn invalid_ids_refused(lb: &dyn Leaderboard, t: &str) {
    let good = entry(t, "g1", "p", None, 1, "r1", 1);
    let long = "x".repeat(65);
    let mut bad = Vec::new();
    for tenant in ["", "a:b", "a*", "a{b}", long.as_str()] {
        bad.push(ScoreEntry {
            tenant: tenant.into(),
            ..good.clone()
        });
    }
    for game in ["", "g:lb", "g?", "g 1"] {
        bad.push(ScoreEntry {
            game_id: game.into(),
            ..good.clone()
        });
    }
    bad.push(ScoreEntry {
        player_id: String::new(),
        ..good.clone()
    });
    bad.push(ScoreEntry {
        team_id: Some("a\nb".into()),
        ..good.clone()
    });
    bad.push(ScoreEntry {
        reward_id: String::new(),
        ..good.clone()
    });
    bad.push(ScoreEntry {
        delta: MAX_SCORE + 1,
        ..good.clone()
    });
    bad.push(ScoreEntry {
        at_ms: -1,
        ..good.clone()
    });
    bad.push(ScoreEntry {
        at_ms: MAX_AT_MS + 1,
        ..good.clone()
    });
    for b in bad {
        assert!(
            is_invalid(lb.apply(&[good.clone(), b.clone()]).await),
            "{b:?}"
        );
    }
    assert!(lb.top(t, "g1", Board::Players, 5).await.unwrap().is_empty());
    assert!(is_invalid(lb.top("a:b", "g1", Board::Players, 5).await));
    assert!(is_invalid(lb.top(t, "", Board::Players, 5).await));
    assert!(is_invalid(lb.rank(t, "g:1", Board::Teams, "p").await));
    assert!(is_invalid(lb.around(t, "g1", Board::Teams, "", 1).await));
    assert!(is_invalid(lb.clear("*", "g1").await));
    assert!(is_invalid(lb.rebuild(t, "g/1", &[]).await));
    // A rebuild never takes another game's (or tenant's) rewards.
    let foreign = entry(&format!("{t}x"), "g1", "p", None, 1, "r1", 1);
    assert!(is_invalid(
        lb.rebuild(t, "g1", &[good.clone(), foreign]).await
    ));
    assert!(is_invalid(
        lb.rebuild(t, "g2", std::slice::from_ref(&good)).await
    ));
    assert!(lb.top(t, "g1", Board::Players, 5).await.unwrap().is_empty());
}

/// A deterministic ledger: 10 players in 3 teams (and some solo), rewards,
/// costs and revocations, with shuffled times and many equal scores.
fn ledger(t: &str, g: &str) -> Vec<ScoreEntry> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    (0..80)
        .map(|i| {
            let p = next(10);
            let team = (p < 8).then(|| format!("team{}", p % 3));
            let delta = [10, 5, 20, -5, 15, -10, 5, 0][next(8) as usize];
            let at = 1_700_000_000_000 + next(50) as i64 * 1000;
            entry(
                t,
                g,
                &format!("p{p}"),
                team.as_deref(),
                delta,
                &format!("rw{i}"),
                at,
            )
        })
        .collect()
}

/// Clearing and rebuilding from the ledger gives the same boards as an
/// uninterrupted run, and the same as the reference fold; replaying the
/// stream afterwards changes nothing.
async fn rebuild_matches_uninterrupted(lb: &dyn Leaderboard, t: &str) {
    let full = ledger(t, "full");
    for chunk in full.chunks(7) {
        lb.apply(chunk).await.unwrap();
    }
    // Redelivery of a stretch of the stream.
    lb.apply(&full[20..40]).await.unwrap();
    let cut = ledger(t, "cut");
    lb.apply(&cut[..40]).await.unwrap();
    lb.clear(t, "cut").await.unwrap();
    assert!(
        lb.top(t, "cut", Board::Players, 100)
            .await
            .unwrap()
            .is_empty()
    );
    lb.rebuild(t, "cut", &cut).await.unwrap();
    let replay = lb.apply(&cut[30..]).await.unwrap();
    assert_eq!(replay.applied, 0);
    let reference = Tally::of(&full);
    for board in [Board::Players, Board::Teams] {
        let a = lb.top(t, "full", board, 1000).await.unwrap();
        let b = lb.top(t, "cut", board, 1000).await.unwrap();
        assert_eq!(lines(&a), lines(&b), "{board:?}");
        assert_eq!(a, reference.standings(board), "{board:?}");
        assert!(a.len() > 2);
        // The cached view path agrees with the board itself.
        assert_eq!(lb.top(t, "cut", board, 3).await.unwrap(), b[..3]);
    }
    // Rebuilding from an empty ledger empties the game.
    lb.rebuild(t, "cut", &[]).await.unwrap();
    assert!(lb.top(t, "cut", Board::Teams, 10).await.unwrap().is_empty());
    assert_eq!(lb.apply(&cut[..1]).await.unwrap().applied, 1);
}

macro_rules! suite {
    ($($check:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $check() {
                    let lb = veltrix_leaderboard::EmbeddedBoard::default();
                    assert_eq!(veltrix_leaderboard::Leaderboard::backend(&lb), "embedded");
                    super::$check(&lb, &super::scope()).await;
                }
            )*
        }
        mod on_redis {
            $(
                #[tokio::test]
                async fn $check() {
                    let lb = super::redis_board().await;
                    super::$check(&lb, &super::scope()).await;
                }
            )*
        }
    };
}

suite!(
    ordering_and_ties,
    negative_deltas,
    team_boards,
    neighbours,
    duplicates_count_once,
    tenant_isolation,
    invalid_ids_refused,
    rebuild_matches_uninterrupted,
);

// ------------------------------------------------------- one backend only

/// Every key a tenant's games create in Redis: `SCAN MATCH vx:{t}:*`.
async fn tenant_keys(lb: &RedisBoard, t: &str) -> Vec<String> {
    let mut conn = lb.connection();
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("vx:{t}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    keys.sort();
    keys
}

#[tokio::test]
async fn redis_sets_a_ttl_on_every_key() {
    let lb = redis_board().await;
    let t = scope();
    lb.apply(&ledger(&t, "g1")).await.unwrap();
    lb.rebuild(&t, "g2", &ledger(&t, "g2")).await.unwrap();
    lb.top(&t, "g1", Board::Teams, 3).await.unwrap();
    let keys = tenant_keys(&lb, &t).await;
    let mut expected = Vec::new();
    for g in ["g1", "g2"] {
        for k in [
            "applied",
            "players",
            "players:at",
            "players:top",
            "teams",
            "teams:at",
            "teams:top",
        ] {
            expected.push(format!("vx:{t}:{g}:lb:{k}"));
        }
    }
    expected.sort();
    // No scratch keys left behind by the rebuild.
    assert_eq!(keys, expected);
    let board_ttl = redis_config().board_ttl_ms as i64;
    let view_ttl = redis_config().view_ttl_ms as i64;
    let mut conn = lb.connection();
    for k in keys {
        let pttl: i64 = redis::cmd("PTTL")
            .arg(&k)
            .query_async(&mut conn)
            .await
            .unwrap();
        let limit = if k.ends_with(":top") {
            view_ttl
        } else {
            board_ttl
        };
        assert!(pttl > 0 && pttl <= limit, "{k}: PTTL {pttl}");
        if !k.ends_with(":top") {
            assert!(pttl > view_ttl, "{k}: PTTL {pttl} is the view's");
        }
    }
}

/// Redis loses the game's keys mid-game (restart without persistence,
/// eviction, an operator's mistake): rebuilding from the ledger restores
/// exactly what an uninterrupted run shows. Deletes only its own keys.
#[tokio::test]
async fn redis_flushed_mid_game_is_rebuilt_from_the_ledger() {
    let lb = redis_board().await;
    let t = scope();
    let full = ledger(&t, "steady");
    lb.apply(&full).await.unwrap();

    let game = ledger(&t, "flushed");
    let (first, rest) = game.split_at(game.len() / 2);
    lb.apply(first).await.unwrap();
    let keys = tenant_keys(&lb, &t).await;
    let mine: Vec<_> = keys.iter().filter(|k| k.contains(":flushed:")).collect();
    assert!(!mine.is_empty());
    let () = redis::cmd("DEL")
        .arg(&mine)
        .query_async(&mut lb.connection())
        .await
        .unwrap();
    assert!(
        lb.top(&t, "flushed", Board::Players, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The stream keeps flowing while the board is empty...
    lb.apply(&rest[..5]).await.unwrap();
    // ...then the rebuild from the ledger's full list, then the replay.
    lb.rebuild(&t, "flushed", &game).await.unwrap();
    assert_eq!(lb.apply(rest).await.unwrap().applied, 0);
    for board in [Board::Players, Board::Teams] {
        let steady = lb.top(&t, "steady", board, 1000).await.unwrap();
        let flushed = lb.top(&t, "flushed", board, 1000).await.unwrap();
        assert_eq!(lines(&steady), lines(&flushed), "{board:?}");
        for s in &steady {
            let r = lb.rank(&t, "flushed", board, &s.id).await.unwrap().unwrap();
            assert_eq!(r.rank, s.rank);
        }
    }
}

async fn exists(lb: &RedisBoard, key: &str) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query_async(&mut lb.connection())
        .await
        .unwrap()
}

/// When the cached view has expired, `top` reads the board and puts the
/// view back.
#[tokio::test]
async fn redis_top_survives_view_expiry() {
    let lb = redis_board_with(RedisConfig {
        view_ttl_ms: 50,
        view_size: 4,
        ..redis_config()
    })
    .await;
    let t = scope();
    lb.apply(&ledger(&t, "g1")).await.unwrap();
    let view = format!("vx:{t}:g1:lb:players:top");
    assert!(exists(&lb, &view).await);
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert!(!exists(&lb, &view).await);
    let all = lb.top(&t, "g1", Board::Players, 100).await.unwrap();
    let three = lb.top(&t, "g1", Board::Players, 3).await.unwrap();
    assert!(exists(&lb, &view).await);
    assert_eq!(three, all[..3]);
    assert_eq!(lb.top(&t, "g1", Board::Players, 4).await.unwrap(), all[..4]);
}

/// Embedded boards expire `board_ttl` after their last write, on the
/// board's clock (moved here, not slept through).
#[tokio::test]
async fn embedded_boards_expire() {
    let (clock, hands) = Clock::manual_from_now();
    let lb = EmbeddedBoard::new(BoardSettings {
        board_ttl: Duration::from_millis(60),
        ..BoardSettings::default()
    })
    .with_clock(clock);
    let t = scope();
    lb.apply(&[entry(&t, "g1", "p", None, 1, "r1", 1)])
        .await
        .unwrap();
    hands.advance(Duration::from_millis(30));
    // A write refreshes the TTL.
    lb.apply(&[entry(&t, "g1", "p", None, 1, "r2", 2)])
        .await
        .unwrap();
    hands.advance(Duration::from_millis(40));
    assert_eq!(lb.top(&t, "g1", Board::Players, 5).await.unwrap().len(), 1);
    hands.advance(Duration::from_millis(80));
    assert!(
        lb.top(&t, "g1", Board::Players, 5)
            .await
            .unwrap()
            .is_empty()
    );
    // Its reward ids went with it: the game starts over.
    let again = lb
        .apply(&[entry(&t, "g1", "p", None, 1, "r1", 1)])
        .await
        .unwrap();
    assert_eq!(again.applied, 1);
}
