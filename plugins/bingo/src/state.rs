//! The game state the host stores between actions, and the lookups every
//! rule needs.
//!
//! Laid out to be cheap to decode on every apply (see [`veltrix_sdk::pack`]):
//! ids in [`Names`] tables, tasks, teams and pending submissions as
//! fixed-size records, and each team's cells as one [`Mark`] byte per cell in
//! a team-major block. Boards are not stored: [`State::board`] draws them
//! from the seed (see [`crate::board`]). A team exists from its first action
//! (a `join` or a `submit`); that is when its board is "drawn".

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::Lifecycle;

use crate::board;
use veltrix_sdk::pack::{Names, Reader, Record, Table, Writer};
use veltrix_sdk::submission::{Marks, take_pending};

pub use veltrix_sdk::submission::{Check, Mark, Pending};

/// The whole game.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Status, schedule and paid grants (shared game-master rules).
    pub life: Lifecycle,
    /// Board size, bonuses, seed.
    pub rules: Rules,
    /// Task ids; task `i` is `tasks[i]`.
    pub task_ids: Names,
    /// Accepted answers of every answer task, normalised.
    pub answers: Names,
    /// The task pool, in config order.
    pub tasks: Table<Task>,
    /// Ids of the teams (or solo players) that have played; index = team.
    pub team_ids: Names,
    /// Per team, parallel to `team_ids`.
    pub teams: Table<Team>,
    /// Ids of the players that have acted; index = player.
    pub player_ids: Names,
    /// Per player, the team they last acted for (parallel to `player_ids`).
    pub player_team: Table<u32>,
    /// One [`Mark`] per team and cell, team-major.
    pub marks: Marks,
    /// Evidence waiting for the judge: who sent it.
    pub pending: Table<Pending>,
}

/// The game-wide rules from the config.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Rules {
    /// The game seed: boards derive from it.
    pub seed: u64,
    /// Board side.
    pub size: u8,
    /// Bonus per completed line.
    pub line_bonus: i64,
    /// Bonus for a full board.
    pub blackout_bonus: i64,
    /// The first completed line ends the game.
    pub first_bingo_ends_round: bool,
}

impl Rules {
    /// Cells per board.
    pub fn cells(&self) -> usize {
        usize::from(self.size) * usize::from(self.size)
    }
}

/// One task of the pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Task {
    /// Points for completing it (the cap of a judge's award).
    pub points: i64,
    /// How submissions are checked.
    pub check: Check,
}

impl Record for Task {
    // points, check
    const SIZE: usize = 8 + Check::SIZE;

    fn write(&self, w: &mut Writer<'_>) {
        w.i64(self.points);
        self.check.write(w);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        Task {
            points: r.i64(),
            check: Check::read(r),
        }
    }
}

/// One team (or one player, in a game without teams).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Team {
    /// True when the id is a player playing without a team: rewards and
    /// quest updates then carry no team.
    pub solo: bool,
    /// Current score: cells, bonuses and grants, minus revocations.
    pub score: i64,
    /// Lines already paid (bit `l` for line `l`, see [`crate::board`]).
    pub lines: u32,
    /// Whether the blackout bonus was paid.
    pub blackout: bool,
}

impl Record for Team {
    const SIZE: usize = 1 + 8 + 4 + 1;
    fn write(&self, w: &mut Writer<'_>) {
        w.bool(self.solo);
        w.i64(self.score);
        w.u32(self.lines);
        w.bool(self.blackout);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        Team {
            solo: r.bool(),
            score: r.i64(),
            lines: r.u32(),
            blackout: r.bool(),
        }
    }
}

impl State {
    /// A fresh game over a compiled pool.
    pub fn new(
        life: Lifecycle,
        rules: Rules,
        task_ids: Names,
        answers: Names,
        tasks: Table<Task>,
    ) -> Self {
        Self {
            life,
            rules,
            task_ids,
            answers,
            tasks,
            team_ids: Names::default(),
            teams: Table::default(),
            player_ids: Names::default(),
            player_team: Table::default(),
            marks: Marks::new(rules.cells()),
            pending: Table::default(),
        }
    }

    /// Index of task `id`.
    pub fn task_index(&self, id: &str) -> Option<u32> {
        self.task_ids.find(id).map(|i| i as u32)
    }

    /// Task `i` (indexes come from `task_ids` or a board, so it exists).
    pub fn task(&self, i: u32) -> Task {
        self.tasks.get(i as usize)
    }

    /// Team `i` (indexes come from `team_ids`, so it exists).
    pub fn team(&self, i: u32) -> Team {
        self.teams.get(i as usize)
    }

    /// Stores team `i`.
    pub fn set_team(&mut self, i: u32, t: &Team) {
        self.teams.set(i as usize, t);
    }

    /// The board of team `i`: task indexes, row-major.
    pub fn board(&self, i: u32) -> Vec<u32> {
        board::draw(
            self.rules.seed,
            self.team_ids.get(i as usize),
            self.tasks.len(),
            self.rules.cells(),
        )
    }

    /// Index of team `id`, if it has played.
    pub fn team_index(&self, id: &str) -> Option<u32> {
        self.team_ids.find(id).map(|i| i as u32)
    }

    /// Index of team `id`, created (board drawn, every cell open) on first
    /// use; the flag says whether it was new.
    pub fn ensure_team(&mut self, id: &str, solo: bool) -> (u32, bool) {
        match self.team_index(id) {
            Some(i) => (i, false),
            None => {
                self.teams.push(&Team {
                    solo,
                    ..Team::default()
                });
                self.marks.add_team();
                (self.team_ids.intern(id).0 as u32, true)
            }
        }
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

    /// Team `team`'s standing on cell `cell`.
    pub fn mark(&self, team: u32, cell: u32) -> Mark {
        self.marks.get(team, cell)
    }

    /// Sets team `team`'s standing on cell `cell`.
    pub fn set_mark(&mut self, team: u32, cell: u32, mark: Mark) {
        self.marks.set(team, cell, mark);
    }

    /// Team `team`'s marks, cell by cell.
    pub fn team_marks(&self, team: u32) -> impl Iterator<Item = Mark> + '_ {
        self.marks.row(team)
    }

    /// Marks evidence of `team` for `cell` as pending, sent by `by`.
    pub fn add_pending(&mut self, team: u32, cell: u32, by: u32) {
        self.set_mark(team, cell, Mark::Pending);
        self.pending.push(&Pending {
            team,
            item: cell,
            by,
        });
    }

    /// Settles pending evidence with `mark`; returns its submitter.
    pub fn settle_pending(&mut self, team: u32, cell: u32, mark: Mark) -> Option<u32> {
        let by = take_pending(&mut self.pending, team, cell)?;
        self.set_mark(team, cell, mark);
        Some(by)
    }
}
