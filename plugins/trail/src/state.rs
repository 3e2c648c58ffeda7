//! The trail's state: the compiled trail (steps and settings), each team's
//! progress and the roster that maps players to teams.
//!
//! Everything the rules need per action is kept compact (numbers, `u16`
//! indexes into string tables) so that decoding and encoding the state stays
//! a few microseconds.

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Reader, Record, Span, Table, Writer};
use veltrix_sdk::{Action, Rejection, RejectionCode};

/// Longest team or player id accepted, in bytes (keeps the state bounded).
pub const MAX_ID_LEN: usize = 64;

/// Game-wide settings, resolved from the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Bonus for completing the last step of a run with its task.
    pub finish_bonus: u32,
    /// Time added to a team's elapsed time per hint.
    pub hint_penalty_ms: i64,
    /// Time added to a team's elapsed time per skipped step.
    pub skip_penalty_ms: i64,
    /// Skips allowed per run of the trail (`None`: unlimited).
    pub max_skips: Option<u16>,
    /// Time each team has from its `begin` (`None`: no limit).
    pub time_limit_ms: Option<i64>,
    /// How many times a team may run the trail (1 for a classic trail).
    pub laps: u32,
    /// Most teams that may begin.
    pub max_teams: u16,
    /// Most players that may take part.
    pub max_players: u16,
}

/// A circular geofence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geofence {
    /// Centre latitude (WGS84 degrees).
    pub lat: f64,
    /// Centre longitude (WGS84 degrees).
    pub lon: f64,
    /// Radius in metres.
    pub radius_m: f32,
    /// Worst device accuracy accepted, in metres.
    pub max_accuracy_m: f32,
}

/// One step of the trail, compiled from its config.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Step {
    /// Where the team checks in by location, if it may.
    pub geo: Option<Geofence>,
    /// Index in [`State::text`] of the QR code that also checks in, if any.
    pub qr: Option<u16>,
    /// Accepted answers, normalised; empty when arriving completes the step.
    pub answers: Span,
    /// Hint texts, revealed in order.
    pub hints: Span,
    /// Points for completing the step.
    pub points: u32,
}

impl Step {
    /// Whether the step has a task to answer after arriving.
    pub fn has_task(&self) -> bool {
        !self.answers.is_empty()
    }
}

/// One team's progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Team {
    /// When the team began (its clock's zero).
    pub started_ms: i64,
    /// When the team last completed or skipped a step (`started_ms` before).
    pub last_ms: i64,
    /// Penalties from hints and skips.
    pub penalty_ms: i64,
    /// Points scored (steps, bonuses and game-master adjustments).
    pub points: i64,
    /// Current run (0-based); equals [`Rules::laps`] once finished.
    pub lap: u32,
    /// Current step index.
    pub step: u16,
    /// Whether the team has arrived at the current step (its task is open).
    pub arrived: bool,
    /// Hints taken on the current step.
    pub hints: u8,
    /// Steps skipped in the current run.
    pub skips: u16,
}

impl Team {
    /// A team beginning at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self {
            started_ms: now_ms,
            last_ms: now_ms,
            penalty_ms: 0,
            points: 0,
            lap: 0,
            step: 0,
            arrived: false,
            hints: 0,
            skips: 0,
        }
    }

    /// Elapsed time for ranking: last step time - start time + penalties.
    pub fn elapsed_ms(&self) -> i64 {
        self.last_ms - self.started_ms + self.penalty_ms
    }
}

/// No QR code (in [`Step`]'s record).
const NO_QR: u16 = u16::MAX;

impl Record for Step {
    const SIZE: usize = 1 + 8 + 8 + 4 + 4 + 2 + 2 * Span::SIZE + 4;

    fn write(&self, w: &mut Writer<'_>) {
        let g = self.geo.unwrap_or(Geofence {
            lat: 0.0,
            lon: 0.0,
            radius_m: 0.0,
            max_accuracy_m: 0.0,
        });
        w.u8(u8::from(self.geo.is_some()));
        w.f64(g.lat);
        w.f64(g.lon);
        w.f32(g.radius_m);
        w.f32(g.max_accuracy_m);
        w.u16(self.qr.unwrap_or(NO_QR));
        self.answers.write(w);
        self.hints.write(w);
        w.u32(self.points);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        let has_geo = r.u8() != 0;
        let g = Geofence {
            lat: r.f64(),
            lon: r.f64(),
            radius_m: r.f32(),
            max_accuracy_m: r.f32(),
        };
        let qr = r.u16();
        let (answers, hints) = (Span::read(r), Span::read(r));
        Step {
            geo: has_geo.then_some(g),
            qr: (qr != NO_QR).then_some(qr),
            answers,
            hints,
            points: r.u32(),
        }
    }
}

impl Record for Team {
    const SIZE: usize = 4 * 8 + 4 + 2 + 1 + 1 + 2;

    fn write(&self, w: &mut Writer<'_>) {
        w.i64(self.started_ms);
        w.i64(self.last_ms);
        w.i64(self.penalty_ms);
        w.i64(self.points);
        w.u32(self.lap);
        w.u16(self.step);
        w.u8(u8::from(self.arrived));
        w.u8(self.hints);
        w.u16(self.skips);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        Team {
            started_ms: r.i64(),
            last_ms: r.i64(),
            penalty_ms: r.i64(),
            points: r.i64(),
            lap: r.u32(),
            step: r.u16(),
            arrived: r.u8() != 0,
            hints: r.u8(),
            skips: r.u16(),
        }
    }
}

/// The whole game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    // The largest field comes first: postcard's output buffer then grows
    // once to about its final size instead of doubling from 8 bytes.
    /// Team progress.
    pub teams: Table<Team>,
    /// Shared game-master rules and schedule.
    pub life: Lifecycle,
    /// Settings.
    pub rules: Rules,
    /// Step ids, index = step number.
    pub step_ids: Names,
    /// QR codes, answers and hints.
    pub text: Names,
    /// The steps, in order.
    pub steps: Table<Step>,
    /// When the first team began: the zero of the ranking clock.
    pub epoch_ms: Option<i64>,
    /// Team ids, index = index in `teams`.
    pub team_ids: Names,
    /// Player ids, index = index in `player_team`.
    pub player_ids: Names,
    /// Each player's team index.
    pub player_team: Table<u16>,
}

impl State {
    /// Ranking clock value of `team` now: the epoch plus its elapsed time.
    /// Score deltas carry it as `at_ms`, so the host's "first to reach the
    /// score" tie rule ranks equal points by elapsed time (penalties
    /// included), even when teams begin at different times.
    pub fn rank_at_ms(&self, t: &Team) -> i64 {
        self.epoch_ms.unwrap_or(t.started_ms) + t.elapsed_ms()
    }

    /// Checks that `a.player` may act for team `team` (`None`: a team that
    /// does not exist yet). A player plays for one team only.
    pub fn check_player(&self, a: &Action, team: Option<usize>) -> Result<(), Rejection> {
        check_id("player", &a.player)?;
        match self.player_ids.find(&a.player) {
            Some(p) if Some(usize::from(self.player_team.get(p))) != team => Err(Rejection::new(
                RejectionCode::Forbidden,
                format!(
                    "player `{}` plays for team `{}`",
                    a.player,
                    self.team_ids.get(usize::from(self.player_team.get(p)))
                ),
            )),
            Some(_) => Ok(()),
            None if self.player_ids.len() >= usize::from(self.rules.max_players) => {
                Err(Rejection::new(
                    RejectionCode::NotAllowedNow,
                    format!("the game is full ({} players)", self.rules.max_players),
                ))
            }
            None => Ok(()),
        }
    }

    /// Records `a.player` as a member of `team` (after [`State::check_player`]).
    pub fn enrol(&mut self, a: &Action, team: usize) {
        if self.player_ids.intern(&a.player).1 {
            self.player_team.push(&(team as u16));
        }
    }

    /// Adds points from a game-master adjustment to the team's tally (the
    /// ledger already has them; this keeps the phone view in step).
    pub fn tally(&mut self, team: Option<&str>, points: i64) {
        if let Some(i) = team.and_then(|t| self.team_ids.find(t)) {
            self.teams.update(i, |t| t.points += points);
        }
    }
}

/// Rejects ids too long to keep in the state, and team ids with a `/`
/// (reward keys join ids with `/`, so they must stay unambiguous).
pub fn check_id(what: &str, id: &str) -> Result<(), Rejection> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Rejection::new(
            RejectionCode::InvalidPayload,
            format!("{what} id must be 1 to {MAX_ID_LEN} bytes"),
        ));
    }
    if what == "team" && id.contains('/') {
        return Err(Rejection::new(
            RejectionCode::InvalidPayload,
            format!("team id `{id}` must not contain `/`"),
        ));
    }
    Ok(())
}
