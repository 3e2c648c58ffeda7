//! The game state the host stores between actions, and the small lookups
//! every rule needs.
//!
//! The state is decoded and re-encoded on every apply, so it is kept compact:
//! missions are compiled once (no titles, answers pre-normalised), and a team
//! stores only the missions it has touched, as `(mission index, slot)` pairs.
//! A mission with no slot is simply available (or hidden / expired, which the
//! clock decides). Teams are a `Vec` sorted by id: deterministic bytes and a
//! binary search, cheaper to decode than a map.

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::Lifecycle;

/// The whole game.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Status, schedule and paid grants (shared game-master rules).
    pub life: Lifecycle,
    /// The mission table, in config order.
    pub missions: Vec<Mission>,
    /// Every team (or solo player) that has played, sorted by id.
    pub teams: Vec<Team>,
    /// Game time up to which schedule changes were announced by `tick`.
    pub announced_ms: Option<i64>,
}

/// One compiled mission.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mission {
    /// Mission id (quest id).
    pub id: String,
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
    /// Accepted answers, normalised.
    Answer(Vec<String>),
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

impl Check {
    /// Short name used in quest details.
    pub fn name(&self) -> &'static str {
        match self {
            Check::Answer(_) => "answer",
            Check::Gps { .. } => "gps",
            Check::Evidence => "evidence",
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

/// One team's progress (or one player's, in a game without teams).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    /// Team id (the player id for a solo player).
    pub id: String,
    /// True when `id` is a player playing without a team: rewards then carry
    /// no team.
    pub solo: bool,
    /// Current score: accepted missions plus grants, minus revocations.
    pub score: i64,
    /// Players seen acting for this team (lets `view` find a player's team).
    pub members: Vec<String>,
    /// Touched missions, sorted by mission index.
    pub slots: Vec<Slot>,
}

/// A team's standing on one mission it has touched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slot {
    /// Index into [`State::missions`].
    pub mission: u16,
    /// Where it stands.
    pub status: SlotStatus,
}

/// Per-team mission status (an untouched mission has no slot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotStatus {
    /// Evidence waiting for the judge, sent by `by` at `at_ms`.
    Pending {
        /// Submitting player: credited when approved.
        by: String,
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

    /// Name used in views.
    pub fn name(&self) -> &'static str {
        match self {
            SlotStatus::Pending { .. } => "pending",
            SlotStatus::Accepted { .. } => "accepted",
            SlotStatus::Approved { .. } => "approved",
            SlotStatus::Rejected => "rejected",
        }
    }
}

impl State {
    /// Index of the mission with id `id`.
    pub fn mission_index(&self, id: &str) -> Option<usize> {
        self.missions.iter().position(|m| m.id == id)
    }

    /// The team with id `id`, if it has played.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams
            .binary_search_by(|t| t.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.teams[i])
    }

    /// The team with id `id`, created (empty) on first use.
    pub fn team_mut(&mut self, id: &str, solo: bool) -> &mut Team {
        let i = match self.teams.binary_search_by(|t| t.id.as_str().cmp(id)) {
            Ok(i) => i,
            Err(i) => {
                self.teams.insert(
                    i,
                    Team {
                        id: id.to_string(),
                        solo,
                        score: 0,
                        members: Vec::new(),
                        slots: Vec::new(),
                    },
                );
                i
            }
        };
        &mut self.teams[i]
    }

    /// The team a player has acted for (first match), if any.
    pub fn team_of(&self, player: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|t| t.members.iter().any(|m| m == player))
    }
}

impl Team {
    /// This team's status on mission `mission`, if it has touched it.
    pub fn slot(&self, mission: u16) -> Option<&SlotStatus> {
        self.slots
            .binary_search_by_key(&mission, |s| s.mission)
            .ok()
            .map(|i| &self.slots[i].status)
    }

    /// Sets this team's status on mission `mission`.
    pub fn set_slot(&mut self, mission: u16, status: SlotStatus) {
        match self.slots.binary_search_by_key(&mission, |s| s.mission) {
            Ok(i) => self.slots[i].status = status,
            Err(i) => self.slots.insert(i, Slot { mission, status }),
        }
    }

    /// Records that `player` acts for this team.
    pub fn add_member(&mut self, player: &str) {
        if !self.members.iter().any(|m| m == player) {
            self.members.push(player.to_string());
        }
    }
}
