//! Id validation and the key layout.
//!
//! Every key of a game starts with `vx:{tenant}:{game}:lb:`. Tenant and
//! game ids are restricted to `[A-Za-z0-9_.-]`, 1 to 64 bytes: with no `:`
//! one tenant cannot name a key under another's prefix, and with no glob or
//! brace characters a `SCAN MATCH vx:{tenant}:*` selects exactly one
//! tenant's keys.
//!
//! | key | type | TTL |
//! |---|---|---|
//! | `vx:{t}:{g}:lb:players` | zset: `{inv_at}\|{player}` -> points | board |
//! | `vx:{t}:{g}:lb:players:at` | hash: player -> `{inv_at}` | board |
//! | `vx:{t}:{g}:lb:teams` | zset, as players | board |
//! | `vx:{t}:{g}:lb:teams:at` | hash, as players | board |
//! | `vx:{t}:{g}:lb:applied` | set of applied reward ids | board |
//! | `vx:{t}:{g}:lb:players:top` | list: member, points, ... (top N) | view |
//! | `vx:{t}:{g}:lb:teams:top` | list, as players | view |
//!
//! `inv_at` is described in [`super::order`].

use super::{Board, LeaderboardError, ScoreEntry};

/// Longest tenant or game id, in bytes.
pub const MAX_SCOPE_ID: usize = 64;
/// Longest player, team or reward id, in bytes.
pub const MAX_MEMBER_ID: usize = 128;

/// Checks a tenant or game id; `what` names it in the error.
pub fn validate_scope_id(what: &str, id: &str) -> Result<(), LeaderboardError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_SCOPE_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(LeaderboardError::Invalid(format!(
            "{what} id must be 1-{MAX_SCOPE_ID} characters of [A-Za-z0-9_.-]"
        )))
    }
}

/// Checks a player, team or reward id. These never appear in key names,
/// only inside values, so any text goes except empty, over-long, or with
/// control characters (which would make logs and `redis-cli` output lie).
pub fn validate_member_id(what: &str, id: &str) -> Result<(), LeaderboardError> {
    if id.is_empty() || id.len() > MAX_MEMBER_ID || id.chars().any(char::is_control) {
        return Err(LeaderboardError::Invalid(format!(
            "{what} id must be 1-{MAX_MEMBER_ID} bytes without control characters"
        )));
    }
    Ok(())
}

/// Checks everything about one entry but its numeric ranges (see
/// [`super::order::validate_entry`]).
pub fn validate_ids(e: &ScoreEntry) -> Result<(), LeaderboardError> {
    validate_scope_id("tenant", &e.tenant)?;
    validate_scope_id("game", &e.game_id)?;
    validate_member_id("player", &e.player_id)?;
    if let Some(team) = &e.team_id {
        validate_member_id("team", team)?;
    }
    validate_member_id("reward", &e.reward_id)
}

/// The keys of one game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameKeys {
    prefix: String,
}

impl GameKeys {
    /// Validates `tenant` and `game` and builds their prefix.
    pub fn new(tenant: &str, game: &str) -> Result<Self, LeaderboardError> {
        validate_scope_id("tenant", tenant)?;
        validate_scope_id("game", game)?;
        Ok(Self {
            prefix: format!("vx:{tenant}:{game}:lb"),
        })
    }

    /// `vx:{t}:{g}:lb`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The board's sorted set.
    pub fn board(&self, b: Board) -> String {
        format!("{}:{}", self.prefix, b.as_str())
    }

    /// The board's id -> inverted reached-at hash.
    pub fn reached(&self, b: Board) -> String {
        format!("{}:{}:at", self.prefix, b.as_str())
    }

    /// The board's cached top-N view.
    pub fn view(&self, b: Board) -> String {
        format!("{}:{}:top", self.prefix, b.as_str())
    }

    /// The set of applied reward ids.
    pub fn applied(&self) -> String {
        format!("{}:applied", self.prefix)
    }

    /// The five data keys in the order the Lua scripts take them: players,
    /// players reached-at, teams, teams reached-at, applied.
    pub fn data(&self) -> [String; 5] {
        [
            self.board(Board::Players),
            self.reached(Board::Players),
            self.board(Board::Teams),
            self.reached(Board::Teams),
            self.applied(),
        ]
    }

    /// The two views: players, teams.
    pub fn views(&self) -> [String; 2] {
        [self.view(Board::Players), self.view(Board::Teams)]
    }

    /// Scratch copies of [`Self::data`] for one rebuild (`token` unique
    /// per rebuild, so concurrent rebuilds never share scratch keys).
    pub fn scratch(&self, token: &str) -> [String; 5] {
        self.data().map(|k| {
            let suffix = &k[self.prefix.len()..];
            format!("{}:rebuild:{token}{suffix}", self.prefix)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(GameKeys::new("acme", "g-1.x_2").is_ok());
        for bad in ["", "a:b", "a*", "a{b}", "a b", &"x".repeat(65)] {
            assert!(GameKeys::new(bad, "g").is_err(), "{bad:?}");
            assert!(GameKeys::new("t", bad).is_err(), "{bad:?}");
        }
        assert!(validate_member_id("player", "Zoë | team 4").is_ok());
        assert!(validate_member_id("player", "a\nb").is_err());
        assert!(validate_member_id("player", "").is_err());
    }

    #[test]
    fn layout() {
        let k = GameKeys::new("acme", "g1").unwrap();
        assert_eq!(k.board(Board::Teams), "vx:acme:g1:lb:teams");
        assert_eq!(k.reached(Board::Players), "vx:acme:g1:lb:players:at");
        assert_eq!(k.view(Board::Players), "vx:acme:g1:lb:players:top");
        assert_eq!(k.scratch("u")[1], "vx:acme:g1:lb:rebuild:u:players:at");
    }
}
