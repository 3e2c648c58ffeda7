//! The game state the host stores between actions, and the lookups every
//! rule needs.
//!
//! The host decodes and re-encodes the whole state on every apply, so it is
//! laid out for that: every id lives in a [`Names`] table (one allocation per
//! table) and the rest refers to ids by index. Missions are compiled once (no
//! titles; answers normalised). A team's standing on a mission exists only
//! once the team has touched it, as a [`Slot`] in one vector sorted by
//! `(team, mission)`; a mission with no slot is available, hidden or expired
//! as the clock says.

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::Lifecycle;

use crate::compact::Names;

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
    pub missions: Vec<Mission>,
    /// Ids of the teams (or solo players) that have played; index = team.
    pub team_ids: Names,
    /// Per team, parallel to `team_ids`.
    pub teams: Vec<Team>,
    /// Ids of the players that have acted; index = player.
    pub player_ids: Names,
    /// Per player, the team they last acted for (parallel to `player_ids`).
    pub player_team: Vec<u32>,
    /// Touched missions, sorted by `(team, mission)`.
    pub slots: Vec<Slot>,
    /// Game time up to which schedule changes were announced by `tick`.
    pub announced_ms: Option<i64>,
}

/// One compiled mission.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// How a mission's submissions are checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Check {
    /// Accepted answers: entries `first..first + count` of [`State::answers`].
    Answer {
        /// First answer.
        first: u32,
        /// Number of answers.
        count: u32,
    },
    /// A geofence and the worst device accuracy accepted.
    Gps {
        /// Latitude, degrees.
        lat: f64,
        /// Longitude, degrees.
        lon: f64,
        /// Radius, metres.
        radius_m: f64,
        /// Worst accuracy accepted, metres.
        max_accuracy_m: f32,
    },
    /// Photo or video evidence, judged by the game master.
    Evidence,
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
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Team {
    /// True when the id is a player playing without a team: rewards and
    /// quest updates then carry no team.
    pub solo: bool,
    /// Current score: accepted missions plus grants, minus revocations.
    pub score: i64,
}

/// A team's standing on one mission it has touched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slot {
    /// Team index.
    pub team: u32,
    /// Mission index.
    pub mission: u32,
    /// Where it stands.
    pub status: SlotStatus,
}

/// Per-team mission status (an untouched mission has no slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotStatus {
    /// Evidence waiting for the judge.
    Pending {
        /// Submitting player (index): credited when approved.
        by: u32,
        /// Submission time.
        at_ms: i64,
    },
    /// Auto-accepted (answer or check-in) for `points`.
    Accepted {
        /// Points paid.
        points: i64,
    },
    /// Approved by the judge for `points` (at most the mission value).
    Approved {
        /// Points paid.
        points: i64,
    },
    /// Rejected by the judge: available again (until it expires).
    Rejected,
}

impl SlotStatus {
    /// Whether the team's one accepted submission is in.
    pub fn is_done(&self) -> bool {
        matches!(self, SlotStatus::Accepted { .. } | SlotStatus::Approved { .. })
    }
}

impl State {
    /// A fresh game over compiled missions.
    pub fn new(life: Lifecycle, mission_ids: Names, answers: Names, missions: Vec<Mission>) -> Self {
        Self {
            life,
            mission_ids,
            answers,
            missions,
            team_ids: Names::default(),
            teams: Vec::new(),
            player_ids: Names::default(),
            player_team: Vec::new(),
            slots: Vec::new(),
            announced_ms: None,
        }
    }

    /// Id of mission `i`.
    pub fn mission_id(&self, i: u32) -> &str {
        self.mission_ids.get(i)
    }

    /// Index of team `id`, if it has played.
    pub fn team_index(&self, id: &str) -> Option<u32> {
        self.team_ids.find(id)
    }

    /// Index of team `id`, created (score 0) on first use.
    pub fn ensure_team(&mut self, id: &str, solo: bool) -> u32 {
        self.team_ids.find(id).unwrap_or_else(|| {
            self.teams.push(Team { solo, score: 0 });
            self.team_ids.push(id)
        })
    }

    /// Records that `player` acts for team `team`; returns the player index.
    pub fn ensure_player(&mut self, player: &str, team: u32) -> u32 {
        match self.player_ids.find(player) {
            Some(i) => {
                self.player_team[i as usize] = team;
                i
            }
            None => {
                self.player_team.push(team);
                self.player_ids.push(player)
            }
        }
    }

    /// The team `player` last acted for.
    pub fn team_of(&self, player: &str) -> Option<u32> {
        let p = self.player_ids.find(player)?;
        self.player_team.get(p as usize).copied()
    }

    fn slot_pos(&self, team: u32, mission: u32) -> Result<usize, usize> {
        self.slots
            .binary_search_by_key(&(team, mission), |s| (s.team, s.mission))
    }

    /// Team `team`'s status on mission `mission`, if it has touched it.
    pub fn slot(&self, team: u32, mission: u32) -> Option<SlotStatus> {
        self.slot_pos(team, mission)
            .ok()
            .map(|i| self.slots[i].status)
    }

    /// Sets team `team`'s status on mission `mission`.
    pub fn set_slot(&mut self, team: u32, mission: u32, status: SlotStatus) {
        match self.slot_pos(team, mission) {
            Ok(i) => self.slots[i].status = status,
            Err(i) => self.slots.insert(
                i,
                Slot {
                    team,
                    mission,
                    status,
                },
            ),
        }
    }

    /// Every slot of team `team`, in mission order.
    pub fn team_slots(&self, team: u32) -> &[Slot] {
        let start = self.slots.partition_point(|s| s.team < team);
        let end = self.slots.partition_point(|s| s.team <= team);
        &self.slots[start..end]
    }
}
