//! The territory's state: the control points (their config and who holds
//! them), team scores and the roster.
//!
//! Records are fixed-size and kept as bytes ([`Table`]) and names live in
//! string tables ([`Names`]), so decoding and encoding the state costs a few
//! copies rather than a walk over every field.

use serde::{Deserialize, Serialize};
use veltrix_sdk::lifecycle::Lifecycle;
use veltrix_sdk::pack::{Names, Reader, Record, Span, Table, Writer};
use veltrix_sdk::{Action, Rejection, RejectionCode};

/// Longest team or player id accepted, in bytes (keeps the state bounded).
pub const MAX_ID_LEN: usize = 64;

/// One minute of game time: the unit of holding pay.
pub const MINUTE_MS: i64 = 60_000;

/// Game-wide settings, resolved from the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// After a capture, how long the point cannot be taken by another team.
    pub lock_ms: i64,
    /// Most teams that may play.
    pub max_teams: u16,
    /// Most players that may play.
    pub max_players: u16,
}

/// Who holds a control point, and how far their holding is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// Team index.
    pub team: u16,
    /// Player index of the capturer (credited with the holding pay).
    pub player: u16,
    /// When the point was captured (its lock runs from here).
    pub captured_ms: i64,
    /// Holding time up to here is paid; the next interval starts here.
    pub settled_ms: i64,
}

/// One control point: its config and its current holder.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    /// Zone centre latitude (WGS84 degrees).
    pub lat: f64,
    /// Zone centre longitude (WGS84 degrees).
    pub lon: f64,
    /// Zone radius in metres.
    pub radius_m: f32,
    /// Worst device accuracy accepted, in metres.
    pub max_accuracy_m: f32,
    /// Points for capturing it.
    pub capture_points: u32,
    /// Points per whole minute held.
    pub points_per_minute: u32,
    /// Accepted answers (normalised); empty: check-in alone captures.
    pub answers: Span,
    /// How many times the point has changed hands.
    pub captures: u32,
    /// Current holder; `None` while neutral.
    pub holder: Option<Holder>,
}

/// Marks a neutral point in [`Point`]'s record.
const NOBODY: u16 = u16::MAX;

impl Record for Point {
    const SIZE: usize = 8 + 8 + 4 + 4 + 4 + 4 + Span::SIZE + 4 + 2 + 2 + 8 + 8;

    fn write(&self, w: &mut Writer<'_>) {
        w.f64(self.lat);
        w.f64(self.lon);
        w.f32(self.radius_m);
        w.f32(self.max_accuracy_m);
        w.u32(self.capture_points);
        w.u32(self.points_per_minute);
        self.answers.write(w);
        w.u32(self.captures);
        let h = self.holder.unwrap_or(Holder {
            team: NOBODY,
            player: 0,
            captured_ms: 0,
            settled_ms: 0,
        });
        w.u16(h.team);
        w.u16(h.player);
        w.i64(h.captured_ms);
        w.i64(h.settled_ms);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        let mut p = Point {
            lat: r.f64(),
            lon: r.f64(),
            radius_m: r.f32(),
            max_accuracy_m: r.f32(),
            capture_points: r.u32(),
            points_per_minute: r.u32(),
            answers: Span::read(r),
            captures: r.u32(),
            holder: None,
        };
        let h = Holder {
            team: r.u16(),
            player: r.u16(),
            captured_ms: r.i64(),
            settled_ms: r.i64(),
        };
        p.holder = (h.team != NOBODY).then_some(h);
        p
    }
}

/// A team's score, kept for the phone view and for tie times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TeamScore {
    /// Points (captures, holding, game-master adjustments).
    pub points: i64,
    /// Game time of the team's latest score change.
    pub last_at_ms: i64,
}

impl Record for TeamScore {
    const SIZE: usize = 16;

    fn write(&self, w: &mut Writer<'_>) {
        w.i64(self.points);
        w.i64(self.last_at_ms);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        TeamScore {
            points: r.i64(),
            last_at_ms: r.i64(),
        }
    }
}

/// The whole game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    // The largest field comes first: postcard's output buffer then grows
    // once to about its final size instead of doubling from 8 bytes.
    /// Control points.
    pub points: Table<Point>,
    /// Shared game-master rules and the schedule (start, time limit).
    pub life: Lifecycle,
    /// Settings.
    pub rules: Rules,
    /// Control point ids, index = index in `points`.
    pub point_ids: Names,
    /// Accepted answers.
    pub text: Names,
    /// Team ids, index = index in `teams`.
    pub team_ids: Names,
    /// Team scores.
    pub teams: Table<TeamScore>,
    /// Player ids, index = index in `player_team`.
    pub player_ids: Names,
    /// Each player's team index.
    pub player_team: Table<u16>,
    /// While paused: when the pause began (holding time stops accruing).
    pub paused_at_ms: Option<i64>,
    /// Whether the final settlement has been paid.
    pub closed: bool,
}

impl State {
    /// Finds the acting team and player, checking that the player plays for
    /// that team and that a newcomer fits; registers nothing.
    pub fn identify(&self, a: &Action) -> Result<(Option<usize>, Option<usize>), Rejection> {
        let name = a.scorer();
        check_id("team", name)?;
        check_id("player", &a.player)?;
        let team = self.team_ids.find(name);
        let player = self.player_ids.find(&a.player);
        if let Some(p) = player {
            let theirs = usize::from(self.player_team.get(p));
            if Some(theirs) != team {
                return Err(Rejection::new(
                    RejectionCode::Forbidden,
                    format!(
                        "player `{}` plays for team `{}`",
                        a.player,
                        self.team_ids.get(theirs)
                    ),
                ));
            }
        }
        let full = |what: &str, max: u16| {
            Rejection::new(
                RejectionCode::NotAllowedNow,
                format!("the game is full ({max} {what})"),
            )
        };
        if team.is_none() && self.teams.len() >= usize::from(self.rules.max_teams) {
            return Err(full("teams", self.rules.max_teams));
        }
        if player.is_none() && self.player_ids.len() >= usize::from(self.rules.max_players) {
            return Err(full("players", self.rules.max_players));
        }
        Ok((team, player))
    }

    /// Registers the acting team and player if new; returns their indexes.
    pub fn register(&mut self, a: &Action) -> (usize, usize) {
        let (team, new) = self.team_ids.intern(a.scorer());
        if new {
            self.teams.push(&TeamScore::default());
        }
        let (player, new) = self.player_ids.intern(&a.player);
        if new {
            self.player_team.push(&(team as u16));
        }
        (team, player)
    }

    /// Adds `points` to a team's score at game time `at_ms`; returns the
    /// time to stamp the score delta with. It never goes back in time, so
    /// "who reached the score first" stays true when holding pay for an
    /// earlier minute is settled after a later capture.
    pub fn score(&mut self, team: usize, points: i64, at_ms: i64) -> i64 {
        self.teams.update(team, |t| {
            t.points += points;
            t.last_at_ms = t.last_at_ms.max(at_ms);
            t.last_at_ms
        })
    }

    /// The holding clock at game time `now_ms`: it stands still while the
    /// game is paused.
    pub fn holding_clock(&self, now_ms: i64) -> i64 {
        self.paused_at_ms.map_or(now_ms, |p| p.min(now_ms))
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
