//! The game state the host stores between actions, and the lookups every
//! rule needs.
//!
//! The host decodes and re-encodes the whole state on every apply, so it is
//! laid out for that (see [`veltrix_sdk::pack`]): ids live in [`Names`] tables
//! and the rest refers to them by index; missions, teams and pending
//! submissions are fixed-size records in [`Table`]s; each team's standing on
//! each mission is one [`Mark`] byte in a team-major block. A mission marked
//! [`Mark::Open`] is available, hidden or expired as the clock says.

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::Lifecycle;

use veltrix_sdk::pack::{Names, Reader, Record, Table, Writer};
use veltrix_sdk::submission::{Marks, take_pending};

pub use veltrix_sdk::submission::{Check, Mark, Pending};

/// The whole game.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Status, schedule and paid grants (shared game-master rules).
    pub life: Lifecycle,
    /// Mission ids; mission `i` is `missions[i]`.
    pub mission_ids: Names,
    /// Accepted answers of every answer mission, normalised.
    pub answers: Names,
    /// The compiled missions, in config order.
    pub missions: Table<Mission>,
    /// Ids of the teams (or solo players) that have played; index = team.
    pub team_ids: Names,
    /// Per team, parallel to `team_ids`.
    pub teams: Table<Team>,
    /// Ids of the players that have acted; index = player.
    pub player_ids: Names,
    /// Per player, the team they last acted for (parallel to `player_ids`).
    pub player_team: Table<u32>,
    /// One [`Mark`] per team and mission, team-major.
    pub marks: Marks,
    /// Evidence waiting for the judge: who sent it.
    pub pending: Table<Pending>,
    /// Game time up to which schedule changes were announced by `tick`.
    pub announced_ms: Option<i64>,
}

/// One compiled mission.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mission {
    /// Value of an accepted submission.
    pub points: i64,
    /// Hidden before this time.
    pub from_ms: Option<i64>,
    /// Expired from this time on.
    pub until_ms: Option<i64>,
    /// How submissions are checked.
    pub check: Check,
}

impl Record for Mission {
    // flags, points, from, until, check
    const SIZE: usize = 1 + 8 * 3 + Check::SIZE;

    fn write(&self, w: &mut Writer<'_>) {
        let flags = u8::from(self.from_ms.is_some()) | (u8::from(self.until_ms.is_some()) << 1);
        w.u8(flags);
        w.i64(self.points);
        w.i64(self.from_ms.unwrap_or(0));
        w.i64(self.until_ms.unwrap_or(0));
        self.check.write(w);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        let flags = r.u8();
        let (points, from, until) = (r.i64(), r.i64(), r.i64());
        Mission {
            points,
            from_ms: (flags & 1 != 0).then_some(from),
            until_ms: (flags & 2 != 0).then_some(until),
            check: Check::read(r),
        }
    }
}

/// Where a mission stands relative to the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Before `from_ms`.
    Hidden,
    /// Open for submissions.
    Open,
    /// At or after `until_ms`.
    Expired,
}

impl Mission {
    /// The mission's window at game time `now_ms`.
    pub fn window(&self, now_ms: i64) -> Window {
        if self.from_ms.is_some_and(|f| now_ms < f) {
            Window::Hidden
        } else if self.until_ms.is_some_and(|u| now_ms >= u) {
            Window::Expired
        } else {
            Window::Open
        }
    }
}

/// One team (or one player, in a game without teams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Team {
    /// True when the id is a player playing without a team: rewards and
    /// quest updates then carry no team.
    pub solo: bool,
    /// Current score: accepted missions plus grants, minus revocations.
    pub score: i64,
}

impl Record for Team {
    const SIZE: usize = 1 + 8;
    fn write(&self, w: &mut Writer<'_>) {
        w.bool(self.solo);
        w.i64(self.score);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        Team {
            solo: r.bool(),
            score: r.i64(),
        }
    }
}

impl State {
    /// A fresh game over compiled missions.
    pub fn new(
        life: Lifecycle,
        mission_ids: Names,
        answers: Names,
        missions: Table<Mission>,
    ) -> Self {
        let marks = Marks::new(missions.len());
        Self {
            life,
            mission_ids,
            answers,
            missions,
            team_ids: Names::default(),
            teams: Table::default(),
            player_ids: Names::default(),
            player_team: Table::default(),
            marks,
            pending: Table::default(),
            announced_ms: None,
        }
    }

    /// Index of mission `id`.
    pub fn mission_index(&self, id: &str) -> Option<u32> {
        self.mission_ids.find(id).map(|i| i as u32)
    }

    /// Mission `i` (the index comes from `mission_ids`, so it exists).
    pub fn mission(&self, i: u32) -> Mission {
        self.missions.get(i as usize)
    }

    /// Team `i` (the index comes from `team_ids`, so it exists).
    pub fn team(&self, i: u32) -> Team {
        self.teams.get(i as usize)
    }

    /// Adds `points` to team `i`'s score.
    pub fn add_score(&mut self, i: u32, points: i64) {
        self.teams.update(i as usize, |t| t.score += points);
    }

    /// Index of team `id`, if it has played.
    pub fn team_index(&self, id: &str) -> Option<u32> {
        self.team_ids.find(id).map(|i| i as u32)
    }

    /// Index of team `id`, created (score 0, every mission open) on first
    /// use.
    pub fn ensure_team(&mut self, id: &str, solo: bool) -> u32 {
        self.team_index(id).unwrap_or_else(|| {
            self.teams.push(&Team { solo, score: 0 });
            self.marks.add_team();
            self.team_ids.intern(id).0 as u32
        })
    }

    /// Records that `player` acts for team `team`; returns the player index.
    pub fn ensure_player(&mut self, player: &str, team: u32) -> u32 {
        match self.player_ids.find(player) {
            Some(i) => {
                self.player_team.set(i, &team);
                i as u32
            }
            None => {
                self.player_team.push(&team);
                self.player_ids.intern(player).0 as u32
            }
        }
    }

    /// The team `player` last acted for.
    pub fn team_of(&self, player: &str) -> Option<u32> {
        let p = self.player_ids.find(player)?;
        Some(self.player_team.get(p))
    }

    /// Team `team`'s standing on mission `mission`.
    pub fn mark(&self, team: u32, mission: u32) -> Mark {
        self.marks.get(team, mission)
    }

    /// Sets team `team`'s standing on mission `mission`.
    pub fn set_mark(&mut self, team: u32, mission: u32, mark: Mark) {
        self.marks.set(team, mission, mark);
    }

    /// Team `team`'s marks, in mission order.
    pub fn team_marks(&self, team: u32) -> impl Iterator<Item = (u32, Mark)> + '_ {
        self.marks.row(team).enumerate().map(|(i, m)| (i as u32, m))
    }

    /// Marks evidence of `team` for `mission` as pending, sent by `by`.
    pub fn add_pending(&mut self, team: u32, mission: u32, by: u32) {
        self.set_mark(team, mission, Mark::Pending);
        self.pending.push(&Pending {
            team,
            item: mission,
            by,
        });
    }

    /// Settles pending evidence with `mark`; returns its submitter.
    pub fn settle_pending(&mut self, team: u32, mission: u32, mark: Mark) -> Option<u32> {
        let by = take_pending(&mut self.pending, team, mission)?;
        self.set_mark(team, mission, mark);
        Some(by)
    }
}
