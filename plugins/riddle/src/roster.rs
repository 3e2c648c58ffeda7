//! Interned names: an append-only text [`Arena`] and the [`Roster`] of teams
//! and players.
//!
//! Why an arena: the host decodes the whole state on every `apply`, and with
//! postcard every `String` is one allocation. Keeping all names of one kind
//! in one `String` (and `Span`s into it) makes decoding a handful of
//! allocations however many players there are.

use serde::{Deserialize, Serialize};
use veltrix_sdk::{Action, Rejection, RejectionCode};

/// Longest accepted player or team id, in bytes.
pub const MAX_NAME: usize = 64;
/// Most teams (or solo players) one game keeps.
pub const MAX_TEAMS: usize = 1_000;
/// Most players one game keeps.
pub const MAX_PLAYERS: usize = 10_000;

/// A slice of an [`Arena`]'s text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    start: u32,
    len: u32,
}

/// Append-only text store; strings are addressed by [`Span`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Arena(String);

impl Arena {
    /// Appends `s` and returns where it lives.
    pub fn push(&mut self, s: &str) -> Span {
        let start = self.0.len() as u32;
        self.0.push_str(s);
        Span {
            start,
            len: s.len() as u32,
        }
    }

    /// The text of `span` (empty if the span does not belong here).
    pub fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.0.get(start..start + span.len as usize).unwrap_or("")
    }
}

/// One team (or solo player) and the game type's data about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team<T> {
    name: Span,
    /// A player without a team scores alone; their rewards carry no team.
    solo: bool,
    /// The game type's per-team data.
    pub data: T,
}

/// A known player and the team they play for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Member {
    name: Span,
    team: u32,
}

/// Teams in order of first appearance (their index is stable) and players
/// sorted by id (binary search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roster<T> {
    names: Arena,
    teams: Vec<Team<T>>,
    players: Vec<Member>,
}

impl<T> Default for Roster<T> {
    fn default() -> Self {
        Self {
            names: Arena::default(),
            teams: Vec::new(),
            players: Vec::new(),
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

impl<T: Default> Roster<T> {
    /// Registers the acting player (and their team) and returns the team's
    /// index. A player stays on the team they first played for, so that
    /// nobody can hop teams to score the same quest twice.
    pub fn join(&mut self, a: &Action) -> Result<usize, Rejection> {
        check_name("player", &a.player)?;
        let scorer = a.scorer();
        match self.find_player(&a.player) {
            Ok(pos) => {
                let team = self.players[pos].team as usize;
                if self.name(team) != scorer || self.teams[team].solo != a.team.is_none() {
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
                    Member {
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
            if self.teams[t].solo != solo {
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
        self.teams.push(Team {
            name,
            solo,
            data: T::default(),
        });
        Ok(self.teams.len() - 1)
    }
}

impl<T> Roster<T> {
    fn find_player(&self, player: &str) -> Result<usize, usize> {
        self.players
            .binary_search_by(|m| self.names.get(m.name).cmp(player))
    }

    /// The team index of a team (or solo player) called `name`.
    pub fn team_index(&self, name: &str) -> Option<usize> {
        self.teams
            .iter()
            .position(|t| self.names.get(t.name) == name)
    }

    /// The team `player` plays for: their team if they have played, else a
    /// solo entry of that name (a game master may have credited them).
    pub fn team_of(&self, player: &str) -> Option<usize> {
        match self.find_player(player) {
            Ok(pos) => Some(self.players[pos].team as usize),
            Err(_) => self.team_index(player).filter(|&t| self.teams[t].solo),
        }
    }

    /// Whether `player` has played in this game.
    pub fn is_player(&self, player: &str) -> bool {
        self.find_player(player).is_ok()
    }

    /// Team id (or solo player id) of team `t`.
    pub fn name(&self, t: usize) -> &str {
        self.names.get(self.teams[t].name)
    }

    /// Whether team `t` is a solo player.
    pub fn is_solo(&self, t: usize) -> bool {
        self.teams[t].solo
    }

    /// The game data of team `t`.
    pub fn data(&self, t: usize) -> &T {
        &self.teams[t].data
    }

    /// The game data of team `t`, mutably.
    pub fn data_mut(&mut self, t: usize) -> &mut T {
        &mut self.teams[t].data
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

    #[test]
    fn players_stay_on_their_team() {
        let mut r = Roster::<u8>::default();
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
    }
}
