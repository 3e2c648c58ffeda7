//! The in-process board, for the default mode (no server).
//!
//! Same semantics as [`super::RedisBoard`]: the same fold ([`Tally`]), the
//! same order ([`RankKey`]), idempotency per reward id, and a game's boards
//! expire `board_ttl` after their last write. There is no cached view: the
//! order is already kept in memory, so `top` is a walk of a `BTreeSet`.
//! `rank` and `around` count their way to the id, O(rank), which is fine at
//! the size of a live game.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use veltrix_clock::Clock;

use super::keys::GameKeys;
use super::order::{RankKey, Tally, Total, check_scope, validate_entry};
use super::{
    Applied, Board, BoardSettings, Leaderboard, LeaderboardError, MAX_PAGE, ScoreEntry, Standing,
};

/// The in-process board. Share it behind an `Arc`.
pub struct EmbeddedBoard {
    settings: BoardSettings,
    /// Decides expiry.
    clock: Clock,
    games: Mutex<HashMap<String, Game>>,
}

struct Game {
    tally: Tally,
    players: BTreeSet<RankKey>,
    teams: BTreeSet<RankKey>,
    /// Clock time (ms) the game's boards expire at.
    expires: i64,
}

impl Game {
    fn new(tally: Tally, expires: i64) -> Self {
        let index = |b| {
            tally
                .totals(b)
                .iter()
                .map(|(id, t)| RankKey::new(id, *t))
                .collect()
        };
        Self {
            players: index(Board::Players),
            teams: index(Board::Teams),
            tally,
            expires,
        }
    }

    fn order(&self, b: Board) -> &BTreeSet<RankKey> {
        match b {
            Board::Players => &self.players,
            Board::Teams => &self.teams,
        }
    }

    fn add(&mut self, e: &ScoreEntry) -> bool {
        let before = self.snapshot(e);
        if !self.tally.add(e) {
            return false;
        }
        let after = self.snapshot(e);
        for (board, id, old, new) in [
            (Board::Players, Some(&e.player_id), before.0, after.0),
            (Board::Teams, e.team_id.as_ref(), before.1, after.1),
        ] {
            let (Some(id), true) = (id, old != new) else {
                continue;
            };
            let order = match board {
                Board::Players => &mut self.players,
                Board::Teams => &mut self.teams,
            };
            if let Some(old) = old {
                order.remove(&RankKey::new(id, old));
            }
            if let Some(new) = new {
                order.insert(RankKey::new(id, new));
            }
        }
        true
    }

    /// The current totals of the entry's player and team.
    fn snapshot(&self, e: &ScoreEntry) -> (Option<Total>, Option<Total>) {
        let player = self.tally.totals(Board::Players).get(&e.player_id).copied();
        let team = e
            .team_id
            .as_ref()
            .and_then(|t| self.tally.totals(Board::Teams).get(t).copied());
        (player, team)
    }

    /// `id`'s 0-based position.
    fn position(&self, b: Board, id: &str) -> Option<usize> {
        let total = *self.tally.totals(b).get(id)?;
        Some(self.order(b).range(..RankKey::new(id, total)).count())
    }

    fn page(&self, b: Board, start: usize, len: usize) -> Vec<Standing> {
        self.order(b)
            .iter()
            .skip(start)
            .take(len)
            .zip(start as u64 + 1..)
            .map(|(k, rank)| k.standing(rank))
            .collect()
    }
}

impl EmbeddedBoard {
    /// An empty board with `settings`' TTLs.
    pub fn new(settings: BoardSettings) -> Self {
        Self {
            settings,
            clock: Clock::system(),
            games: Mutex::new(HashMap::new()),
        }
    }

    /// The same board, expiring games by `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// When a game written now expires.
    fn expiry(&self, now: i64) -> i64 {
        let ttl = i64::try_from(self.settings.board_ttl.as_millis()).unwrap_or(i64::MAX);
        now.saturating_add(ttl)
    }

    /// Runs `f` on the live game (expired games are dropped first).
    fn read<T>(
        &self,
        tenant: &str,
        game: &str,
        f: impl FnOnce(&Game) -> T,
    ) -> Result<Option<T>, LeaderboardError> {
        let key = GameKeys::new(tenant, game)?.prefix().to_string();
        let mut games = self.games.lock().expect("leaderboard lock poisoned");
        let now = self.clock.now_ms();
        if games.get(&key).is_some_and(|g| g.expires <= now) {
            games.remove(&key);
        }
        Ok(games.get(&key).map(f))
    }
}

impl Default for EmbeddedBoard {
    fn default() -> Self {
        Self::new(BoardSettings::default())
    }
}

#[async_trait::async_trait]
impl Leaderboard for EmbeddedBoard {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn apply(&self, entries: &[ScoreEntry]) -> Result<Applied, LeaderboardError> {
        entries.iter().try_for_each(validate_entry)?;
        let now = self.clock.now_ms();
        let expires = self.expiry(now);
        let mut games = self.games.lock().expect("leaderboard lock poisoned");
        // Finished games go away without a sweeper task.
        games.retain(|_, g| g.expires > now);
        let mut out = Applied::default();
        for e in entries {
            let key = GameKeys::new(&e.tenant, &e.game_id)?.prefix().to_string();
            let game = games
                .entry(key)
                .or_insert_with(|| Game::new(Tally::default(), expires));
            game.expires = expires;
            if game.add(e) {
                out.applied += 1;
            } else {
                out.duplicates += 1;
            }
        }
        Ok(out)
    }

    async fn top(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        n: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        let n = n.min(MAX_PAGE);
        Ok(self
            .read(tenant, game, |g| g.page(board, 0, n))?
            .unwrap_or_default())
    }

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

    async fn around(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
        k: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        super::keys::validate_member_id("board member", id)?;
        let k = k.min(MAX_PAGE / 2);
        let found = self.read(tenant, game, |g| {
            let pos = g.position(board, id)?;
            let start = pos.saturating_sub(k);
            Some(g.page(board, start, pos - start + k + 1))
        })?;
        Ok(found.flatten().unwrap_or_default())
    }

    async fn rebuild(
        &self,
        tenant: &str,
        game: &str,
        entries: &[ScoreEntry],
    ) -> Result<(), LeaderboardError> {
        let key = GameKeys::new(tenant, game)?.prefix().to_string();
        check_scope(tenant, game, entries)?;
        let fresh = Game::new(Tally::of(entries), self.expiry(self.clock.now_ms()));
        let mut games = self.games.lock().expect("leaderboard lock poisoned");
        if fresh.tally.applied().next().is_none() {
            games.remove(&key);
        } else {
            games.insert(key, fresh);
        }
        Ok(())
    }

    async fn clear(&self, tenant: &str, game: &str) -> Result<(), LeaderboardError> {
        let key = GameKeys::new(tenant, game)?.prefix().to_string();
        self.games
            .lock()
            .expect("leaderboard lock poisoned")
            .remove(&key);
        Ok(())
    }
}
