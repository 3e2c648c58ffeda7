//! Interned names: an append-only text [`Arena`] and the [`Roster`] of teams
//! and players.
//!
//! Why an arena: the host decodes the whole state on every `apply`, and with
//! postcard every `String` is one allocation. Keeping all names in one
//! `String` (and [`Span`]s into it) and the team and player records in
//! [`Table`]s makes decoding a handful of copies however many players play.

use serde::{Deserialize, Serialize};
use veltrix_sdk::{Action, Rejection, RejectionCode};

use crate::pack::{Bytes, Reader, Record, Table, Writer};

/// Longest accepted player or team id, in bytes.
pub const MAX_NAME: usize = 64;
/// Most teams (or solo players) one game keeps.
pub const MAX_TEAMS: usize = 1_000;
/// Most players one game keeps.
pub const MAX_PLAYERS: usize = 10_000;

/// A slice of an [`Arena`]'s text (at most 64 KiB long).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    start: u32,
    len: u16,
}

impl Span {
    /// Encoded size in a [`Record`].
    pub const SIZE: usize = 6;

    /// Reads a span field.
    pub fn read(r: &mut Reader<'_>) -> Self {
        Span {
            start: r.u32(),
            len: r.u16(),
        }
    }

    /// Writes a span field.
    pub fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.start);
        w.u16(self.len);
    }
}

/// Append-only text store; strings are addressed by [`Span`].
///
/// Stored as bytes rather than a `String` so that decoding skips UTF-8
/// validation of the whole text; each `get` validates just its slice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Arena(Bytes);

impl Arena {
    /// Appends `s` (at most 64 KiB; longer text is cut at a char boundary)
    /// and returns where it lives.
    pub fn push(&mut self, s: &str) -> Span {
        let mut end = s.len().min(usize::from(u16::MAX));
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let start = self.0.0.len() as u32;
        self.0.0.extend_from_slice(&s.as_bytes()[..end]);
        Span {
            start,
            len: end as u16,
        }
    }

    /// The raw bytes of `span`: comparing them skips UTF-8 validation,
    /// and byte order is `str` order.
    pub fn bytes(&self, span: Span) -> &[u8] {
        let start = span.start as usize;
        self.0
            .0
            .get(start..start + usize::from(span.len))
            .unwrap_or(&[])
    }

    /// The text of `span` (empty if the span does not belong here).
    pub fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.0
            .0
            .get(start..start + usize::from(span.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// One team (or solo player) and the game type's data about it.
#[derive(Debug, Clone, PartialEq)]
struct Team<T> {
    name: Span,
    /// A player without a team scores alone; their rewards carry no team.
    solo: bool,
    data: T,
}

impl<T: Record> Record for Team<T> {
    const SIZE: usize = Span::SIZE + 1 + T::SIZE;
    fn read(r: &mut Reader<'_>) -> Self {
        Team {
            name: Span::read(r),
            solo: r.u8() != 0,
            data: T::read(r),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        self.name.write(w);
        w.u8(u8::from(self.solo));
        self.data.write(w);
    }
}

/// A known player and the team they play for.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Member {
    name: Span,
    team: u32,
}

impl Record for Member {
    const SIZE: usize = Span::SIZE + 4;
    fn read(r: &mut Reader<'_>) -> Self {
        Member {
            name: Span::read(r),
            team: r.u32(),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        self.name.write(w);
        w.u32(self.team);
    }
}

/// Teams in order of first appearance (their index is stable) with the game
/// type's per-team data `T`, and players sorted by id (binary search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "T: Record")]
pub struct Roster<T> {
    names: Arena,
    teams: Table<Team<T>>,
    players: Table<Member>,
}

impl<T> Default for Roster<T> {
    fn default() -> Self {
        Self {
            names: Arena::default(),
            teams: Table::default(),
            players: Table::default(),
        }
    }
}

fn check_name(what: &str, name: &str) -> Result<(), Rejection> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(Rejection::new(
            RejectionCode::InvalidPayload,
            format!("{what} id must be 1 to {MAX_NAME} bytes"),
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

impl<T: Record + Default> Roster<T> {
    /// Registers the acting player (and their team) and returns the team's
    /// index. A player stays on the team they first played for, so that
    /// nobody can hop teams to score the same quest twice.
    pub fn join(&mut self, a: &Action) -> Result<usize, Rejection> {
        check_name("player", &a.player)?;
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
                if self.players.len() >= MAX_PLAYERS {
                    return Err(full("players"));
                }
                let team = self.ensure_team(scorer, a.team.is_none())?;
                let name = self.names.push(&a.player);
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

    /// The index of team `name`, created if new. A name already used by a
    /// team of the other kind (solo or not) is refused.
    pub fn ensure_team(&mut self, name: &str, solo: bool) -> Result<usize, Rejection> {
        check_name("team", name)?;
        if let Some(t) = self.team_index(name) {
            if self.is_solo(t) != solo {
                return Err(Rejection::new(
                    RejectionCode::NotAllowedNow,
                    format!("`{name}` is already used by another player or team"),
                ));
            }
            return Ok(t);
        }
        if self.teams.len() >= MAX_TEAMS {
            return Err(full("teams"));
        }
        let name = self.names.push(name);
        self.teams.push(&Team {
            name,
            solo,
            data: T::default(),
        });
        Ok(self.teams.len() - 1)
    }
}

impl<T: Record> Roster<T> {
    fn find_player(&self, player: &str) -> Result<usize, usize> {
        // Binary search over the sorted player records.
        let (mut lo, mut hi) = (0, self.players.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let name = self.players.peek(mid, Span::read);
            match self.names.bytes(name).cmp(player.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The team index of a team (or solo player) called `name`.
    pub fn team_index(&self, name: &str) -> Option<usize> {
        (0..self.teams.len())
            .find(|&t| self.names.bytes(self.teams.peek(t, Span::read)) == name.as_bytes())
    }

    /// The team `player` plays for: their team if they have played, else a
    /// solo entry of that name (a game master may have credited them).
    pub fn team_of(&self, player: &str) -> Option<usize> {
        match self.find_player(player) {
            Ok(pos) => Some(self.players.get(pos).team as usize),
            Err(_) => self.team_index(player).filter(|&t| self.is_solo(t)),
        }
    }

    /// Where the id of `player` (if they have played) lives in the names
    /// arena: a stable handle to store instead of a copy of the name.
    pub fn player_span(&self, player: &str) -> Option<Span> {
        let pos = self.find_player(player).ok()?;
        Some(self.players.peek(pos, Span::read))
    }

    /// The text of a span returned by [`Roster::player_span`].
    pub fn text(&self, span: Span) -> &str {
        self.names.get(span)
    }

    /// Whether `player` has played in this game.
    pub fn is_player(&self, player: &str) -> bool {
        self.find_player(player).is_ok()
    }

    /// Team id (or solo player id) of team `t`.
    pub fn name(&self, t: usize) -> &str {
        self.names.get(self.teams.peek(t, Span::read))
    }

    /// Whether team `t` is a solo player.
    pub fn is_solo(&self, t: usize) -> bool {
        self.teams.get(t).solo
    }

    /// The game data of team `t` (a copy: records live as bytes).
    pub fn data(&self, t: usize) -> T {
        self.teams.get(t).data
    }

    /// Changes the game data of team `t` through `f`.
    pub fn update<R>(&mut self, t: usize, f: impl FnOnce(&mut T) -> R) -> R {
        let mut team = self.teams.get(t);
        let out = f(&mut team.data);
        self.teams.set(t, &team);
        out
    }

    /// Number of teams (and solo players).
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

    #[derive(Debug, Default, PartialEq)]
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
        assert_eq!(
            r.join(&Action::new("bob", "x", 1).with_team("blue"))
                .unwrap(),
            1
        );
        assert_eq!(
            r.join(&Action::new("al", "x", 1).with_team("red")).unwrap(),
            0
        );
        assert_eq!(r.join(&a).unwrap(), 0);
        let hop = r.join(&Action::new("ann", "x", 2).with_team("blue"));
        assert_eq!(hop.unwrap_err().code, RejectionCode::NotAllowedNow);
        assert_eq!(r.team_of("al"), Some(0));
        assert_eq!(r.team_of("bob"), Some(1));
        assert_eq!(r.team_of("zed"), None);
        assert_eq!(r.player_count(), 3);
        // A solo player cannot take a team's name.
        assert!(r.join(&Action::new("red", "x", 3)).is_err());
        assert_eq!(r.join(&Action::new("sol", "x", 3)).unwrap(), 2);
        assert!(r.is_solo(2));
        assert_eq!(r.team_of("sol"), Some(2));
        r.update(1, |s| s.0 += 5);
        assert_eq!(r.data(1), Score(5));
        assert_eq!(r.data(0), Score(0));
        assert_eq!(r.name(1), "blue");
        let al = r.player_span("al").unwrap();
        assert_eq!(r.text(al), "al");
        assert_eq!(r.player_span("zed"), None);
    }
}
