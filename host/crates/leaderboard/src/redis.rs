//! The Redis board: sorted sets updated by Lua scripts (`lua/*.lua`).
//!
//! Each write is one script per game, so the duplicate check (`SADD` on the
//! applied set), the score updates, the TTL refresh and the top-N view
//! refresh happen atomically: a crash or a concurrent reader never sees a
//! reward half-applied, and at-least-once delivery never double counts.
//! Key layout in [`super::keys`], order and limits in [`super::order`].
//!
//! Redis error text is logged (structured: `op`, `error`) and callers get
//! [`LeaderboardError::Unavailable`].

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use super::keys::GameKeys;
use super::order::{check_scope, inv_at, member, parse_member, validate_entry};
use super::{
    Applied, Board, BoardSettings, Leaderboard, LeaderboardError, MAX_PAGE, MAX_SCORE, ScoreEntry,
    Standing, Tally,
};
use crate::RedisConfig;

static APPLY: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/apply.lua")));
static TOP: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/top.lua")));
static AROUND: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/around.lua")));
static SWAP: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/swap.lua")));

/// Members (or reward ids) per command while a rebuild fills its scratch
/// keys: small enough that no single command blocks Redis for long.
const REBUILD_CHUNK: usize = 1_000;

/// The Redis board. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct RedisBoard {
    conn: ConnectionManager,
    settings: BoardSettings,
}

impl RedisBoard {
    /// Connects to `config.url` (one attempt, bounded by `timeout_ms`; the
    /// connection manager reconnects by itself afterwards).
    #[tracing::instrument(skip_all)]
    pub async fn connect(config: &RedisConfig) -> Result<Self, LeaderboardError> {
        // The URL may carry a password: it is never logged.
        let client = redis::Client::open(config.url.as_str()).map_err(failed("open"))?;
        let timeout = Duration::from_millis(config.timeout_ms.max(1));
        let cm = ConnectionManagerConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout)
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client, cm)
            .await
            .map_err(failed("connect"))?;
        Ok(Self {
            conn,
            settings: BoardSettings::from(config),
        })
    }

    /// The connection, for callers that need raw access (tests, tools).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    fn ttl_ms(&self) -> u64 {
        self.settings.board_ttl.as_millis() as u64
    }

    fn view_ttl_ms(&self) -> u64 {
        self.settings.view_ttl.as_millis() as u64
    }

    /// Applies one game's entries in one script call.
    async fn apply_game(
        &self,
        keys: &GameKeys,
        entries: &[&ScoreEntry],
    ) -> Result<usize, LeaderboardError> {
        let mut call = APPLY.prepare_invoke();
        for k in keys.data().into_iter().chain(keys.views()) {
            call.key(k);
        }
        call.arg(self.ttl_ms())
            .arg(self.view_ttl_ms())
            .arg(self.settings.view_size)
            .arg(MAX_SCORE);
        for e in entries {
            call.arg(&e.reward_id)
                .arg(&e.player_id)
                .arg(e.team_id.as_deref().unwrap_or(""))
                .arg(e.delta)
                .arg(inv_at(e.at_ms));
        }
        call.invoke_async(&mut self.conn.clone())
            .await
            .map_err(failed("apply"))
    }

    /// Fills the scratch keys of a rebuild.
    async fn fill(&self, scratch: &[String; 5], tally: &Tally) -> Result<(), RedisError> {
        let mut conn = self.conn.clone();
        for (board, z, h) in [
            (Board::Players, &scratch[0], &scratch[1]),
            (Board::Teams, &scratch[2], &scratch[3]),
        ] {
            let totals: Vec<_> = tally.totals(board).iter().collect();
            for chunk in totals.chunks(REBUILD_CHUNK) {
                let mut p = redis::pipe();
                let zadd = p.cmd("ZADD").arg(z);
                for (id, t) in chunk {
                    zadd.arg(t.score).arg(member(id, t.at_ms));
                }
                zadd.ignore();
                let hset = p.cmd("HSET").arg(h);
                for (id, t) in chunk {
                    hset.arg(id.as_str()).arg(inv_at(t.at_ms));
                }
                hset.ignore();
                // Scratch keys expire too: a crash mid-rebuild leaves nothing.
                p.pexpire(z, self.ttl_ms() as i64).ignore();
                p.pexpire(h, self.ttl_ms() as i64).ignore();
                p.query_async::<()>(&mut conn).await?;
            }
        }
        let applied: Vec<&str> = tally.applied().collect();
        for chunk in applied.chunks(REBUILD_CHUNK) {
            let mut p = redis::pipe();
            p.cmd("SADD").arg(&scratch[4]).arg(chunk).ignore();
            p.pexpire(&scratch[4], self.ttl_ms() as i64).ignore();
            p.query_async::<()>(&mut conn).await?;
        }
        Ok(())
    }
}

/// Logs a Redis failure with its text and returns the opaque error.
fn failed(op: &'static str) -> impl Fn(RedisError) -> LeaderboardError {
    move |e| {
        tracing::warn!(op, error = %e, "redis leaderboard call failed");
        LeaderboardError::Unavailable
    }
}

/// Turns `member, score, ...` into standings ranked from `first_rank`.
fn parse_page(flat: &[String], first_rank: u64) -> Result<Vec<Standing>, LeaderboardError> {
    if !flat.len().is_multiple_of(2) {
        return Err(corrupt("odd member/score list"));
    }
    flat.chunks(2)
        .zip(first_rank..)
        .map(|(pair, rank)| {
            let (id, reached_at_ms) = parse_member(&pair[0]).ok_or_else(|| corrupt("member"))?;
            let score: f64 = pair[1].parse().map_err(|_| corrupt("score"))?;
            // Only integers within the exact range were ever written.
            if score.fract() != 0.0 || score.abs() > MAX_SCORE as f64 {
                return Err(corrupt("score out of range"));
            }
            Ok(Standing {
                id: id.to_string(),
                score: score as i64,
                rank,
                reached_at_ms,
            })
        })
        .collect()
}

fn corrupt(what: &'static str) -> LeaderboardError {
    tracing::error!(what, "unexpected leaderboard data in redis");
    LeaderboardError::Corrupt
}

#[async_trait::async_trait]
impl Leaderboard for RedisBoard {
    fn backend(&self) -> &'static str {
        "redis"
    }

    #[tracing::instrument(skip_all, fields(entries = entries.len()))]
    async fn apply(&self, entries: &[ScoreEntry]) -> Result<Applied, LeaderboardError> {
        entries.iter().try_for_each(validate_entry)?;
        // One script per game: keys of a script must belong to one game
        // (and, on a cluster, one slot).
        let mut games: HashMap<(&str, &str), Vec<&ScoreEntry>> = HashMap::new();
        for e in entries {
            games
                .entry((e.tenant.as_str(), e.game_id.as_str()))
                .or_default()
                .push(e);
        }
        let mut out = Applied::default();
        for ((tenant, game), batch) in games {
            let counted = self
                .apply_game(&GameKeys::new(tenant, game)?, &batch)
                .await?;
            out.applied += counted;
            out.duplicates += batch.len() - counted;
        }
        Ok(out)
    }

    #[tracing::instrument(skip(self), fields(board = board.as_str()))]
    async fn top(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        n: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        let keys = GameKeys::new(tenant, game)?;
        let n = n.min(MAX_PAGE);
        if n == 0 {
            return Ok(Vec::new());
        }
        let flat: Vec<String> = TOP
            .key(keys.board(board))
            .key(keys.view(board))
            .arg(n)
            .arg(self.settings.view_size)
            .arg(self.view_ttl_ms())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(failed("top"))?;
        parse_page(&flat, 1)
    }

    #[tracing::instrument(skip(self), fields(board = board.as_str()))]
    async fn rank(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
    ) -> Result<Option<Standing>, LeaderboardError> {
        Ok(self
            .around(tenant, game, board, id, 0)
            .await?
            .into_iter()
            .next())
    }

    #[tracing::instrument(skip(self), fields(board = board.as_str()))]
    async fn around(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
        k: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        let keys = GameKeys::new(tenant, game)?;
        super::keys::validate_member_id("board member", id)?;
        let k = k.min(MAX_PAGE / 2);
        let flat: Vec<String> = AROUND
            .key(keys.board(board))
            .key(keys.reached(board))
            .arg(id)
            .arg(k)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(failed("around"))?;
        let Some((start, page)) = flat.split_first() else {
            return Ok(Vec::new());
        };
        let start: u64 = start.parse().map_err(|_| corrupt("rank"))?;
        parse_page(page, start + 1)
    }

    #[tracing::instrument(skip(self, entries), fields(entries = entries.len()))]
    async fn rebuild(
        &self,
        tenant: &str,
        game: &str,
        entries: &[ScoreEntry],
    ) -> Result<(), LeaderboardError> {
        let keys = GameKeys::new(tenant, game)?;
        check_scope(tenant, game, entries)?;
        let tally = Tally::of(entries);
        // Built beside the live keys, then swapped in by one script: a
        // rebuild of a big game never blocks Redis in one long command.
        let token = uuid::Uuid::now_v7().simple().to_string();
        let scratch = keys.scratch(&token);
        let swapped = async {
            self.fill(&scratch, &tally).await?;
            let mut call = SWAP.prepare_invoke();
            for k in scratch
                .iter()
                .cloned()
                .chain(keys.data())
                .chain(keys.views())
            {
                call.key(k);
            }
            call.arg(self.ttl_ms())
                .arg(self.view_ttl_ms())
                .arg(self.settings.view_size)
                .invoke_async::<()>(&mut self.conn.clone())
                .await
        }
        .await;
        if let Err(e) = swapped {
            // Best effort: the scratch keys expire anyway.
            let _: Result<(), _> = redis::cmd("DEL")
                .arg(&scratch)
                .query_async(&mut self.conn.clone())
                .await;
            return Err(failed("rebuild")(e));
        }
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn clear(&self, tenant: &str, game: &str) -> Result<(), LeaderboardError> {
        let keys = GameKeys::new(tenant, game)?;
        redis::cmd("DEL")
            .arg(&keys.data())
            .arg(&keys.views())
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(failed("clear"))
    }
}
