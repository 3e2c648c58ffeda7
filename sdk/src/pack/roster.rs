//! [`Roster`]: who plays, for which team, and the game type's data per team.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::table::{Reader, Record, Table, Writer};
use crate::types::{Action, Rejection, RejectionCode};

/// The teams and players of a game, with the game type's per-team data `T`,
/// in three byte strings (ids, teams, players).
///
/// A team is the acting [`Action::scorer`]: the action's team, or the player
/// alone (a *solo* team, whose rewards carry no team) when it has none.
/// Teams keep the index of their first appearance; per-team data is a
/// [`Record`], changed with [`Roster::update`].
///
/// Its one rule, [`Roster::join`]: a player stays on the team (or the solo
/// entry) they first played for, so that nobody can hop teams to score the
/// same quest twice. Ids are 1 to [`Roster::MAX_NAME`] bytes, and a game
/// holds at most [`Roster::MAX_TEAMS`] teams and [`Roster::MAX_PLAYERS`]
/// players, so that the state stays bounded. A game type with other rules
/// keeps its own roster, built from [`Names`](super::Names) and [`Table`].
///
/// ```
/// use veltrix_sdk::Action;
/// use veltrix_sdk::pack::Roster;
///
/// let mut r = Roster::<i64>::default();
/// let red = r.join(&Action::new("ann", "x", 1).with_team("red")).unwrap();
/// r.update(red, |score| *score += 5);
/// assert!(r.join(&Action::new("ann", "x", 2).with_team("blue")).is_err());
/// assert_eq!((r.team_of("ann"), r.name(red), r.data(red)), (Some(red), "red", 5));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "T: Record")]
pub struct Roster<T> {
    /// Team and player ids, each a length byte and the id's bytes; a record
    /// refers to an id by its offset here.
    names: Bytes,
    /// Teams in order of first appearance.
    teams: Table<Team<T>>,
    /// Players, sorted by id (binary search).
    players: Table<Member>,
}

/// One team (or solo player) and the game type's data about it.
#[derive(Debug, Clone, PartialEq)]
struct Team<T> {
    /// Offset of its id in `names`.
    name: u32,
    solo: bool,
    data: T,
}

impl<T: Record> Record for Team<T> {
    const SIZE: usize = 4 + 1 + T::SIZE;
    fn read(r: &mut Reader<'_>) -> Self {
        Team {
            name: r.u32(),
            solo: r.bool(),
            data: T::read(r),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.name);
        w.bool(self.solo);
        self.data.write(w);
    }
}

/// A known player and the team they play for.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Member {
    /// Offset of their id in `names`.
    name: u32,
    team: u32,
}

impl Record for Member {
    const SIZE: usize = 8;
    fn read(r: &mut Reader<'_>) -> Self {
        Member {
            name: r.u32(),
            team: r.u32(),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.name);
        w.u32(self.team);
    }
}

impl<T> Default for Roster<T> {
    fn default() -> Self {
        Self {
            names: Bytes::default(),
            teams: Table::new(),
            players: Table::new(),
        }
    }
}

impl<T: Record + fmt::Debug> fmt::Debug for Roster<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let teams = (0..self.team_count()).map(|t| (self.name(t), self.teams.get(t)));
        f.debug_struct("Roster")
            .field("teams", &teams.collect::<Vec<_>>())
            .field("players", &self.player_count())
            .finish()
    }
}

fn check_name(what: &str, name: &str, max: usize) -> Result<(), Rejection> {
    if name.is_empty() || name.len() > max {
        return Err(Rejection::new(
            RejectionCode::InvalidPayload,
            format!("{what} id must be 1 to {max} bytes"),
        ));
    }
    Ok(())
}

fn full(what: &str) -> Rejection {
    Rejection::new(
        RejectionCode::NotAllowedNow,
        format!("the game is full: no more {what} can join"),
    )
}

impl<T> Roster<T> {
    /// Longest accepted player or team id, in bytes.
    pub const MAX_NAME: usize = 64;
    /// Most teams (solo players included) one game keeps.
    pub const MAX_TEAMS: usize = 1_000;
    /// Most players one game keeps.
    pub const MAX_PLAYERS: usize = 10_000;
}

impl<T: Record + Default> Roster<T> {
    /// Registers the acting player (and their team) and returns the team's
    /// index. Refused (`not-allowed-now`) if the player first played for
    /// another team, or for a team when now alone (or the reverse), or if the
    /// game is full; refused (`invalid-payload`) for an empty or too long id.
    pub fn join(&mut self, a: &Action) -> Result<usize, Rejection> {
        check_name("player", &a.player, Self::MAX_NAME)?;
        let scorer = a.scorer();
        match self.find_player(&a.player) {
            Ok(pos) => {
                let team = self.players.get(pos).team as usize;
                if self.name(team) != scorer || self.is_solo(team) != a.team.is_none() {
                    return Err(Rejection::new(
                        RejectionCode::NotAllowedNow,
                        format!(
                            "player `{}` already plays for `{}`",
                            a.player,
                            self.name(team)
                        ),
                    ));
                }
                Ok(team)
            }
            Err(pos) => {
                if self.players.len() >= Self::MAX_PLAYERS {
                    return Err(full("players"));
                }
                let team = self.ensure_team(scorer, a.team.is_none())?;
                let name = self.push_name(&a.player);
                self.players.insert(
                    pos,
                    &Member {
                        name,
                        team: team as u32,
                    },
                );
                Ok(team)
            }
        }
    }

    /// The index of team `name` (a solo player's entry if `solo`), created
    /// with `T::default()` if new. A name already used by a team of the
    /// other kind is refused.
    pub fn ensure_team(&mut self, name: &str, solo: bool) -> Result<usize, Rejection> {
        check_name("team", name, Self::MAX_NAME)?;
        if let Some(t) = self.team_index(name) {
            if self.is_solo(t) != solo {
                return Err(Rejection::new(
                    RejectionCode::NotAllowedNow,
                    format!("`{name}` is already used by another player or team"),
                ));
            }
            return Ok(t);
        }
        if self.teams.len() >= Self::MAX_TEAMS {
            return Err(full("teams"));
        }
        let name = self.push_name(name);
        self.teams.push(&Team {
            name,
            solo,
            data: T::default(),
        });
        Ok(self.teams.len() - 1)
    }

    /// Appends an id (at most 255 bytes: ids are checked first) to `names`
    /// and returns its offset.
    fn push_name(&mut self, id: &str) -> u32 {
        let at = self.names.0.len() as u32;
        self.names.0.push(id.len() as u8);
        self.names.0.extend_from_slice(id.as_bytes());
        at
    }
}

impl<T: Record> Roster<T> {
    /// The bytes of the id at offset `at` of `names` (empty if corrupt).
    fn id_bytes(&self, at: u32) -> &[u8] {
        let at = at as usize;
        match self.names.0.get(at) {
            Some(&len) => self.names.0.get(at + 1..at + 1 + usize::from(len)),
            None => None,
        }
        .unwrap_or(&[])
    }

    /// Binary search of `player` in the sorted players: their position, or
    /// where they would go.
    fn find_player(&self, player: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.players.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self
                .id_bytes(self.players.get(mid).name)
                .cmp(player.as_bytes())
            {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The index of the team (or solo player) called `name`.
    pub fn team_index(&self, name: &str) -> Option<usize> {
        (0..self.teams.len()).find(|&t| self.id_bytes(self.teams.get(t).name) == name.as_bytes())
    }

    /// The team `player` plays for: their team if they have played, else a
    /// solo entry of that name (a game master may have credited them).
    pub fn team_of(&self, player: &str) -> Option<usize> {
        match self.find_player(player) {
            Ok(pos) => Some(self.players.get(pos).team as usize),
            Err(_) => self.team_index(player).filter(|&t| self.is_solo(t)),
        }
    }

    /// A stable handle of `player`'s id, if they have played: a `u32` to
    /// store in a record instead of a copy of the id (see
    /// [`Roster::player_name`]).
    pub fn player_handle(&self, player: &str) -> Option<u32> {
        let pos = self.find_player(player).ok()?;
        Some(self.players.get(pos).name)
    }

    /// The id behind a handle from [`Roster::player_handle`] (empty if it is
    /// not one).
    pub fn player_name(&self, handle: u32) -> &str {
        std::str::from_utf8(self.id_bytes(handle)).unwrap_or("")
    }

    /// Whether `player` has played in this game.
    pub fn is_player(&self, player: &str) -> bool {
        self.find_player(player).is_ok()
    }

    /// The id of team `t` (a solo team's is its player's id).
    pub fn name(&self, t: usize) -> &str {
        self.player_name(self.teams.get(t).name)
    }

    /// Whether team `t` is a player playing alone.
    pub fn is_solo(&self, t: usize) -> bool {
        self.teams.get(t).solo
    }

    /// The game data of team `t` (a copy: records live as bytes).
    pub fn data(&self, t: usize) -> T {
        self.teams.get(t).data
    }

    /// Changes the game data of team `t` through `f`; returns what `f`
    /// returns.
    pub fn update<X>(&mut self, t: usize, f: impl FnOnce(&mut T) -> X) -> X {
        self.teams.update(t, |team| f(&mut team.data))
    }

    /// Number of teams (solo players included).
    pub fn team_count(&self) -> usize {
        self.teams.len()
    }

    /// Number of players.
    pub fn player_count(&self) -> usize {
        self.players.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Clone, Copy, PartialEq)]
    struct Score(i64);

    impl Record for Score {
        const SIZE: usize = 8;
        fn read(r: &mut Reader<'_>) -> Self {
            Score(r.i64())
        }
        fn write(&self, w: &mut Writer<'_>) {
            w.i64(self.0);
        }
    }

    #[test]
    fn players_stay_on_their_team() {
        let mut r = Roster::<Score>::default();
        let a = Action::new("ann", "x", 1).with_team("red");
        assert_eq!(r.join(&a).unwrap(), 0);
        let bob = Action::new("bob", "x", 1).with_team("blue");
        assert_eq!(r.join(&bob).unwrap(), 1);
        let al = Action::new("al", "x", 1).with_team("red");
        assert_eq!(r.join(&al).unwrap(), 0);
        assert_eq!(r.join(&a).unwrap(), 0);
        let hop = r.join(&Action::new("ann", "x", 2).with_team("blue"));
        assert_eq!(hop.unwrap_err().code, RejectionCode::NotAllowedNow);
        let alone = r.join(&Action::new("ann", "x", 2));
        assert_eq!(alone.unwrap_err().code, RejectionCode::NotAllowedNow);
        assert_eq!(r.team_of("al"), Some(0));
        assert_eq!(r.team_of("bob"), Some(1));
        assert_eq!(r.team_of("zed"), None);
        assert_eq!(r.player_count(), 3);
        // A solo player cannot take a team's name.
        assert!(r.join(&Action::new("red", "x", 3)).is_err());
        assert_eq!(r.join(&Action::new("sol", "x", 3)).unwrap(), 2);
        assert!(r.is_solo(2) && !r.is_solo(0));
        assert_eq!(r.team_of("sol"), Some(2));
        assert_eq!(r.update(1, |s| s.0 += 5), ());
        assert_eq!((r.data(1), r.data(0)), (Score(5), Score(0)));
        assert_eq!((r.name(1), r.team_count()), ("blue", 3));
        let al = r.player_handle("al").unwrap();
        assert_eq!(r.player_name(al), "al");
        assert_eq!(r.player_handle("zed"), None);
        assert_eq!(r.player_name(u32::MAX), "");
        assert!(r.is_player("sol") && !r.is_player("red"));
    }

    #[test]
    fn credited_solo_entries_and_bad_ids() {
        let mut r = Roster::<Score>::default();
        // A game master credits a player who has not played yet.
        let t = r.ensure_team("zoe", true).unwrap();
        assert_eq!(r.team_of("zoe"), Some(t));
        assert_eq!(r.join(&Action::new("zoe", "x", 1)).unwrap(), t);
        assert!(r.ensure_team("zoe", false).is_err());
        let long = "x".repeat(Roster::<Score>::MAX_NAME + 1);
        let e = r.join(&Action::new(&long, "x", 1)).unwrap_err();
        assert_eq!(e.code, RejectionCode::InvalidPayload);
        assert!(r.ensure_team("", false).is_err());
    }

    #[test]
    fn full_games_refuse_newcomers() {
        let mut r = Roster::<Score>::default();
        for i in 0..Roster::<Score>::MAX_TEAMS {
            r.ensure_team(&format!("t{i}"), false).unwrap();
        }
        let e = r.join(&Action::new("new", "x", 1)).unwrap_err();
        assert_eq!(e.code, RejectionCode::NotAllowedNow);
        assert_eq!(r.player_count(), 0);
        assert_eq!(
            r.join(&Action::new("p", "x", 1).with_team("t7")).unwrap(),
            7
        );
    }

    #[test]
    fn round_trips_through_postcard() {
        let mut r = Roster::<Score>::default();
        r.join(&Action::new("ann", "x", 1).with_team("red"))
            .unwrap();
        r.join(&Action::new("sol", "x", 1)).unwrap();
        r.update(1, |s| s.0 = -3);
        let bytes = postcard::to_allocvec(&r).unwrap();
        let back: Roster<Score> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, r);
        assert_eq!((back.team_of("sol"), back.data(1)), (Some(1), Score(-3)));
        for cut in 0..bytes.len() {
            assert!(postcard::from_bytes::<Roster<Score>>(&bytes[..cut]).is_err());
        }
        assert!(format!("{back:?}").contains("\"red\""));
    }
}
