//! Judged submissions: the mission lifecycle shared by mission-style game
//! types (a scavenger hunt's missions, a bingo board's cells).
//!
//! An *item* (a mission, a cell) has a [`Check`] saying how a team's
//! submission is verified:
//!
//! - [`Check::Answer`]: a typed answer, matched after
//!   [`normalize_answer`];
//! - [`Check::Gps`]: a check-in, the device fix within a radius of a point,
//!   with a bounded accuracy;
//! - [`Check::Evidence`]: a photo or video reference that waits for the
//!   game master's [`Verdict`].
//!
//! Each team's standing on each item is one [`Mark`] byte:
//!
//! ```text
//! open -> accepted                (answer, gps: on the spot)
//! open -> pending -> approved     (evidence, judge approves)
//!                 -> rejected     (judge rejects; rejected counts as open)
//! ```
//!
//! What this module does *not* decide: ids and payload field names, reward
//! keys, quest updates and their wording, schedules, bonuses. The game type
//! keeps those; the functions here take the item's description (for example
//! "mission `m1`") where a message names it.
//!
//! ```
//! use veltrix_sdk::pack::Names;
//! use veltrix_sdk::submission::{CheckConfig, Entry, Mark, Outcome, evaluate};
//!
//! let config: CheckConfig =
//!     serde_json::from_str(r#"{"type": "answer", "answers": ["Golden Gate"]}"#).unwrap();
//! let mut answers = Names::default();
//! let check = config.compile("/missions/0/check", 50.0, &mut answers).unwrap();
//!
//! let entry = Entry { answer: Some("  golden GATE"), ..Entry::default() };
//! let outcome = evaluate(&check, &answers, &entry, "mission `m1`").unwrap();
//! assert_eq!(outcome, Outcome::Answer);
//! assert_eq!(Mark::Open.submitted(outcome), Some(Mark::Accepted));
//! ```

use serde::{Deserialize, Serialize};

use crate::pack::{Bytes, Names, Reader, Record, Span, Table, Writer};
use crate::types::{ConfigError, Location, Rejection, RejectionCode};
use crate::util::{normalize_answer, within};

/// Most accepted answers per answer check.
pub const MAX_ANSWERS: usize = 32;
/// GPS accuracy (metres) a game type usually requires when its config sets
/// none.
pub const DEFAULT_MAX_ACCURACY_M: f32 = 50.0;
/// Longest typed answer accepted (normalising is linear in its length).
pub const MAX_ANSWER_LEN: usize = 500;
/// Longest evidence reference (URL or upload id) accepted.
pub const MAX_EVIDENCE_LEN: usize = 512;
/// Longest judge's note.
pub const MAX_NOTE_LEN: usize = 280;

// ---------------------------------------------------------------------------
// Config

/// How an item's submissions are checked, as a tenant configures it
/// (`{"type": "answer" | "gps" | "evidence", ...}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CheckConfig {
    /// A typed answer, accepted if it matches one of `answers` (case and
    /// whitespace ignored).
    Answer {
        /// Accepted answers.
        answers: Vec<String>,
    },
    /// A check-in: the device fix must lie within `radius_m` of the point.
    Gps {
        /// Latitude of the point, degrees.
        lat: f64,
        /// Longitude of the point, degrees.
        lon: f64,
        /// Radius of the zone, metres.
        radius_m: f64,
        /// Worst accuracy accepted here (defaults to the game's).
        #[serde(default)]
        max_accuracy_m: Option<f32>,
    },
    /// A photo or video that waits for a judge.
    Evidence {
        /// What the players are asked for (informs the app only).
        #[serde(default)]
        media: Media,
    },
}

/// Kind of evidence an item asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Media {
    /// A photo.
    #[default]
    Photo,
    /// A video.
    Video,
}

/// Whether `a` is usable as a worst GPS accuracy: finite and positive.
pub fn valid_accuracy(a: f32) -> bool {
    a.is_finite() && a > 0.0
}

fn config_err(pointer: &str, field: &str, msg: &str) -> ConfigError {
    ConfigError::new(format!("{pointer}/{field}: {msg}"))
}

impl CheckConfig {
    /// Validates the check and compiles it.
    ///
    /// `pointer` is the check's JSON pointer (`/missions/2/check`): errors
    /// name the field under it (`/missions/2/check/lat: ...`).
    /// `game_accuracy` is the worst accuracy used when a GPS check sets
    /// none. Accepted answers are normalised, deduplicated and appended to
    /// `answers`; the compiled check refers to them by position.
    pub fn compile(
        self,
        pointer: &str,
        game_accuracy: f32,
        answers: &mut Names,
    ) -> Result<Check, ConfigError> {
        match self {
            CheckConfig::Answer { answers: given } => {
                if given.is_empty() || given.len() > MAX_ANSWERS {
                    return Err(config_err(
                        pointer,
                        "answers",
                        &format!("needs 1 to {MAX_ANSWERS} answers"),
                    ));
                }
                // Normalised once here, so the state holds the canonical form.
                let mut norm: Vec<String> = Vec::with_capacity(given.len());
                for (j, a) in given.iter().enumerate() {
                    let n = normalize_answer(a);
                    if n.is_empty() {
                        return Err(config_err(
                            pointer,
                            &format!("answers/{j}"),
                            "must not be blank",
                        ));
                    }
                    if !norm.contains(&n) {
                        norm.push(n);
                    }
                }
                let first = answers.len() as u32;
                for n in &norm {
                    answers.push(n);
                }
                Ok(Check::Answer {
                    first,
                    count: norm.len() as u32,
                })
            }
            CheckConfig::Gps {
                lat,
                lon,
                radius_m,
                max_accuracy_m,
            } => {
                if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                    return Err(config_err(pointer, "lat", "must be between -90 and 90"));
                }
                if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                    return Err(config_err(pointer, "lon", "must be between -180 and 180"));
                }
                if !(radius_m.is_finite() && radius_m > 0.0) {
                    return Err(config_err(pointer, "radius_m", "must be a positive number"));
                }
                let acc = max_accuracy_m.unwrap_or(game_accuracy);
                if !valid_accuracy(acc) {
                    return Err(config_err(
                        pointer,
                        "max_accuracy_m",
                        "must be a positive number",
                    ));
                }
                Ok(Check::Gps {
                    lat,
                    lon,
                    radius_m,
                    max_accuracy_m: acc,
                })
            }
            CheckConfig::Evidence { media: _ } => Ok(Check::Evidence),
        }
    }
}

// ---------------------------------------------------------------------------
// Compiled check

/// A compiled check, as kept in the state (a fixed-size [`Record`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// Accepted answers: entries `first..first + count` of the game's
    /// answer table (see [`CheckConfig::compile`]).
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

impl Record for Check {
    // kind, lat, lon, radius, accuracy, first, count
    const SIZE: usize = 1 + 8 * 3 + 4 * 3;

    // Kind 0 is evidence: a record read from zeros (corrupt state) is an
    // evidence check, which pays nothing without a judge.
    fn write(&self, w: &mut Writer<'_>) {
        let (kind, lat, lon, radius, acc, first, count) = match *self {
            Check::Evidence => (0u8, 0.0, 0.0, 0.0, 0.0f32, 0, 0),
            Check::Answer { first, count } => (1, 0.0, 0.0, 0.0, 0.0, first, count),
            Check::Gps {
                lat,
                lon,
                radius_m,
                max_accuracy_m,
            } => (2, lat, lon, radius_m, max_accuracy_m, 0, 0),
        };
        w.u8(kind);
        w.f64(lat);
        w.f64(lon);
        w.f64(radius);
        w.f32(acc);
        w.u32(first);
        w.u32(count);
    }

    fn read(r: &mut Reader<'_>) -> Self {
        let kind = r.u8();
        let (lat, lon, radius_m) = (r.f64(), r.f64(), r.f64());
        let (max_accuracy_m, first, count) = (r.f32(), r.u32(), r.u32());
        match kind {
            1 => Check::Answer { first, count },
            2 => Check::Gps {
                lat,
                lon,
                radius_m,
                max_accuracy_m,
            },
            _ => Check::Evidence,
        }
    }
}

// ---------------------------------------------------------------------------
// Evaluation

/// What a player handed in, whatever the check asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Entry<'a> {
    /// The typed answer (answer checks).
    pub answer: Option<&'a str>,
    /// URL or upload id of the photo / video (evidence checks).
    pub evidence: Option<&'a str>,
    /// The device fix sent with the action (GPS checks).
    pub location: Option<&'a Location>,
}

/// A submission that passed its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The answer matched: accepted on the spot.
    Answer,
    /// The check-in is inside the zone: accepted on the spot.
    Gps,
    /// Well-formed evidence: it waits for the judge. The reference is meant
    /// for the quest stream; the state need not keep it.
    Evidence(&'a str),
}

impl Outcome<'_> {
    /// The check's name as quest updates show it: `answer`, `gps` or
    /// `evidence`.
    pub fn check_name(self) -> &'static str {
        match self {
            Outcome::Answer => "answer",
            Outcome::Gps => "gps",
            Outcome::Evidence(_) => "evidence",
        }
    }

    /// Whether the submission is accepted without a judge.
    pub fn is_accepted(self) -> bool {
        !matches!(self, Outcome::Evidence(_))
    }
}

/// Evaluates `entry` against `check`.
///
/// `answers` is the answer table the check was compiled into; `what`
/// names the item in messages (for example "mission `m1`"). Rejections:
/// `InvalidPayload` when the entry lacks what the check needs or is too long
/// ([`MAX_ANSWER_LEN`], [`MAX_EVIDENCE_LEN`]), `Incorrect` for a wrong answer
/// or a check-in outside the zone or with too poor an accuracy (the message
/// says which, so the player knows whether to wait for a better fix or to
/// walk).
pub fn evaluate<'a>(
    check: &Check,
    answers: &Names,
    entry: &Entry<'a>,
    what: &str,
) -> Result<Outcome<'a>, Rejection> {
    match *check {
        Check::Answer { first, count } => {
            let answer = entry.answer.ok_or_else(|| {
                Rejection::new(
                    RejectionCode::InvalidPayload,
                    format!("{what} needs an `answer`"),
                )
            })?;
            if answer.len() > MAX_ANSWER_LEN {
                return Err(Rejection::new(
                    RejectionCode::InvalidPayload,
                    format!("answer longer than {MAX_ANSWER_LEN} bytes"),
                ));
            }
            // The accepted answers were normalised by the same function at
            // compile time, so this is `answer_matches` without
            // re-normalising them.
            let typed = normalize_answer(answer);
            if !answers.span(Span { first, len: count }).any(|x| x == typed) {
                return Err(Rejection::new(
                    RejectionCode::Incorrect,
                    "that is not the answer",
                ));
            }
            Ok(Outcome::Answer)
        }
        Check::Gps {
            lat,
            lon,
            radius_m,
            max_accuracy_m,
        } => {
            let fix = entry.location.ok_or_else(|| {
                Rejection::new(
                    RejectionCode::InvalidPayload,
                    format!("{what} is a check-in: send the device location"),
                )
            })?;
            if !within(fix, lat, lon, radius_m, max_accuracy_m) {
                let accurate = fix.accuracy_m.is_finite()
                    && fix.accuracy_m >= 0.0
                    && fix.accuracy_m <= max_accuracy_m;
                let msg = if accurate {
                    "you are not inside the check-in zone".to_string()
                } else {
                    format!("location accuracy must be {max_accuracy_m} m or better")
                };
                return Err(Rejection::new(RejectionCode::Incorrect, msg));
            }
            Ok(Outcome::Gps)
        }
        Check::Evidence => {
            let ev = entry.evidence.unwrap_or("");
            if ev.trim().is_empty() || ev.len() > MAX_EVIDENCE_LEN {
                return Err(Rejection::new(
                    RejectionCode::InvalidPayload,
                    format!(
                        "{what} needs `evidence` (a photo or video reference of 1 to {MAX_EVIDENCE_LEN} bytes)"
                    ),
                ));
            }
            Ok(Outcome::Evidence(ev))
        }
    }
}

// ---------------------------------------------------------------------------
// Standing

/// A team's standing on one item: one byte of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mark {
    /// Untouched: open for a submission.
    Open = 0,
    /// Auto-accepted answer or check-in.
    Accepted = 1,
    /// Evidence approved by the judge.
    Approved = 2,
    /// Evidence waiting for the judge.
    Pending = 3,
    /// Evidence rejected by the judge: open again.
    Rejected = 4,
}

impl Mark {
    /// Decodes a byte; unknown bytes (corrupt state) read as [`Mark::Open`].
    pub fn from_byte(b: u8) -> Mark {
        match b {
            1 => Mark::Accepted,
            2 => Mark::Approved,
            3 => Mark::Pending,
            4 => Mark::Rejected,
            _ => Mark::Open,
        }
    }

    /// The byte stored for this mark.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// Whether the team's one accepted submission is in (accepted or
    /// approved).
    pub fn is_done(self) -> bool {
        matches!(self, Mark::Accepted | Mark::Approved)
    }

    /// Whether a submission may be made: open, or rejected by the judge.
    pub fn is_open(self) -> bool {
        matches!(self, Mark::Open | Mark::Rejected)
    }

    /// The mark after a submission with `outcome`: accepted, or pending for
    /// evidence. `None` if the item is not open ([`Mark::is_open`]).
    pub fn submitted(self, outcome: Outcome<'_>) -> Option<Mark> {
        if !self.is_open() {
            return None;
        }
        Some(if outcome.is_accepted() {
            Mark::Accepted
        } else {
            Mark::Pending
        })
    }

    /// The mark after the judge's `verdict`: approved or rejected. `None`
    /// unless the mark is [`Mark::Pending`].
    pub fn judged(self, verdict: Verdict) -> Option<Mark> {
        (self == Mark::Pending).then_some(verdict.mark())
    }
}

/// A submission waiting for the judge (a fixed-size [`Record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Team index.
    pub team: u32,
    /// Item index (mission, cell: whatever the team's marks are indexed
    /// by).
    pub item: u32,
    /// Submitting player (index): credited when approved.
    pub by: u32,
}

impl Record for Pending {
    const SIZE: usize = 12;
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.team);
        w.u32(self.item);
        w.u32(self.by);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        Pending {
            team: r.u32(),
            item: r.u32(),
            by: r.u32(),
        }
    }
}

/// Removes `team`'s pending submission for `item` from `queue`; returns
/// its submitter.
pub fn take_pending(queue: &mut Table<Pending>, team: u32, item: u32) -> Option<u32> {
    let (i, p) = queue
        .iter()
        .enumerate()
        .find(|(_, p)| p.team == team && p.item == item)?;
    queue.remove(i);
    Some(p.by)
}

// ---------------------------------------------------------------------------
// Judging

/// A judge's decision (`"approve"` or `"reject"` in a payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Accept the evidence.
    Approve,
    /// Refuse it: the team may submit again.
    Reject,
}

impl Verdict {
    /// The mark the verdict leaves: [`Mark::Approved`] or [`Mark::Rejected`].
    pub fn mark(self) -> Mark {
        match self {
            Verdict::Approve => Mark::Approved,
            Verdict::Reject => Mark::Rejected,
        }
    }

    /// The points the verdict pays, for an item worth `value`.
    ///
    /// An approval pays `requested`, or `value` when absent; a value outside
    /// `0..=value` is refused rather than clamped, so a judge's typo never
    /// silently becomes a different score. A rejection pays 0 and refuses
    /// `requested`. `unit` names the item kind in messages ("mission",
    /// "task").
    pub fn points(self, requested: Option<i64>, value: i64, unit: &str) -> Result<i64, Rejection> {
        match self {
            Verdict::Approve => {
                let points = requested.unwrap_or(value);
                if !(0..=value).contains(&points) {
                    return Err(Rejection::new(
                        RejectionCode::InvalidPayload,
                        format!("points must be between 0 and the {unit} value {value}"),
                    ));
                }
                Ok(points)
            }
            Verdict::Reject if requested.is_some() => Err(Rejection::new(
                RejectionCode::InvalidPayload,
                "`points` only applies to an approval",
            )),
            Verdict::Reject => Ok(0),
        }
    }
}

/// Refuses a judge's note longer than [`MAX_NOTE_LEN`] bytes.
pub fn check_note(note: &str) -> Result<(), Rejection> {
    if note.len() > MAX_NOTE_LEN {
        return Err(Rejection::new(
            RejectionCode::InvalidPayload,
            format!("note longer than {MAX_NOTE_LEN} bytes"),
        ));
    }
    Ok(())
}

/// Refuses to judge an item whose mark is not [`Mark::Pending`].
///
/// A done item is refused with `AlreadyDone` and the message `done`
/// returns; any other mark with `NotAllowedNow` ("`team` has no submission
/// of `id` waiting for the judge").
pub fn require_pending(
    mark: Mark,
    team: &str,
    id: &str,
    done: impl FnOnce() -> String,
) -> Result<(), Rejection> {
    match mark {
        Mark::Pending => Ok(()),
        m if m.is_done() => Err(Rejection::new(RejectionCode::AlreadyDone, done())),
        _ => Err(Rejection::new(
            RejectionCode::NotAllowedNow,
            format!("`{team}` has no submission of `{id}` waiting for the judge"),
        )),
    }
}

/// Every team's [`Mark`] on every item (mission, cell), one byte each, rows
/// per team: the state a mission-style game keeps per team and item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Marks {
    width: u32,
    cells: Bytes,
}

impl Marks {
    /// An empty grid whose rows hold `items` marks.
    pub fn new(items: usize) -> Self {
        Self {
            width: items as u32,
            cells: Bytes::default(),
        }
    }

    /// Appends a row of open marks for a new team.
    pub fn add_team(&mut self) {
        let len = self.cells.0.len() + self.width as usize;
        self.cells.0.resize(len, Mark::Open.to_byte());
    }

    fn at(&self, team: u32, item: u32) -> Option<usize> {
        (item < self.width).then(|| team as usize * self.width as usize + item as usize)
    }

    /// Team `team`'s mark on `item` (open when out of range).
    pub fn get(&self, team: u32, item: u32) -> Mark {
        let b = self
            .at(team, item)
            .and_then(|i| self.cells.0.get(i).copied());
        Mark::from_byte(b.unwrap_or(0))
    }

    /// Sets team `team`'s mark on `item` (ignored when out of range).
    pub fn set(&mut self, team: u32, item: u32, mark: Mark) {
        if let Some(b) = self.at(team, item).and_then(|i| self.cells.0.get_mut(i)) {
            *b = mark.to_byte();
        }
    }

    /// Team `team`'s marks, in item order (empty for an unknown team).
    pub fn row(&self, team: u32) -> impl Iterator<Item = Mark> + '_ {
        let n = self.width as usize;
        let start = team as usize * n;
        self.cells
            .0
            .get(start..start + n)
            .unwrap_or(&[])
            .iter()
            .map(|&b| Mark::from_byte(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::Table;

    fn compile(json: &str) -> Result<(Check, Names), ConfigError> {
        let c: CheckConfig = serde_json::from_str(json).unwrap();
        let mut names = Names::default();
        c.compile("/items/0/check", 25.0, &mut names)
            .map(|k| (k, names))
    }

    fn err(json: &str) -> String {
        compile(json).unwrap_err().to_string()
    }

    #[test]
    fn answers_are_normalised_and_deduplicated() {
        let (check, names) =
            compile(r#"{"type":"answer","answers":["Golden  Gate","golden gate"," Bay "]}"#)
                .unwrap();
        assert_eq!(check, Check::Answer { first: 0, count: 2 });
        assert_eq!(names.iter().collect::<Vec<_>>(), ["golden gate", "bay"]);
        assert!(err(r#"{"type":"answer","answers":[]}"#).contains("/items/0/check/answers:"));
        assert!(
            err(r#"{"type":"answer","answers":["a","  "]}"#)
                .contains("/items/0/check/answers/1: must not be blank")
        );
    }

    #[test]
    fn gps_config_is_validated() {
        let (check, _) = compile(r#"{"type":"gps","lat":1,"lon":2,"radius_m":30}"#).unwrap();
        assert_eq!(
            check,
            Check::Gps {
                lat: 1.0,
                lon: 2.0,
                radius_m: 30.0,
                max_accuracy_m: 25.0
            }
        );
        assert!(err(r#"{"type":"gps","lat":91,"lon":2,"radius_m":30}"#).contains("/check/lat:"));
        assert!(err(r#"{"type":"gps","lat":1,"lon":181,"radius_m":30}"#).contains("/check/lon:"));
        assert!(err(r#"{"type":"gps","lat":1,"lon":2,"radius_m":0}"#).contains("/radius_m:"));
        assert!(
            err(r#"{"type":"gps","lat":1,"lon":2,"radius_m":5,"max_accuracy_m":-1}"#)
                .contains("/check/max_accuracy_m: must be a positive number")
        );
        let (check, _) = compile(r#"{"type":"evidence","media":"video"}"#).unwrap();
        assert_eq!(check, Check::Evidence);
    }

    #[test]
    fn checks_round_trip_as_records() {
        let mut t = Table::<Check>::default();
        let checks = [
            Check::Evidence,
            Check::Answer { first: 3, count: 2 },
            Check::Gps {
                lat: 48.5,
                lon: -2.25,
                radius_m: 40.0,
                max_accuracy_m: 12.5,
            },
        ];
        for c in &checks {
            t.push(c);
        }
        assert_eq!(t.iter().collect::<Vec<_>>(), checks);
    }

    #[test]
    fn evaluate_answers() {
        let (check, names) = compile(r#"{"type":"answer","answers":["Golden Gate"]}"#).unwrap();
        let ok = Entry {
            answer: Some(" GOLDEN  gate"),
            ..Entry::default()
        };
        assert_eq!(evaluate(&check, &names, &ok, "x"), Ok(Outcome::Answer));
        let wrong = Entry {
            answer: Some("bay bridge"),
            ..Entry::default()
        };
        let r = evaluate(&check, &names, &wrong, "x").unwrap_err();
        assert_eq!(r.code, RejectionCode::Incorrect);
        let r = evaluate(&check, &names, &Entry::default(), "task `t`").unwrap_err();
        assert_eq!(r.code, RejectionCode::InvalidPayload);
        assert_eq!(r.message, "task `t` needs an `answer`");
        let long = "a".repeat(MAX_ANSWER_LEN + 1);
        let r = evaluate(
            &check,
            &names,
            &Entry {
                answer: Some(&long),
                ..Entry::default()
            },
            "x",
        )
        .unwrap_err();
        assert_eq!(r.code, RejectionCode::InvalidPayload);
    }

    #[test]
    fn evaluate_check_ins() {
        let check = Check::Gps {
            lat: 48.8530,
            lon: 2.3499,
            radius_m: 30.0,
            max_accuracy_m: 20.0,
        };
        let names = Names::default();
        let at = |lat: f64, acc: f32| Location {
            lat,
            lon: 2.3499,
            accuracy_m: acc,
        };
        let eval = |fix: Location| {
            let e = Entry {
                location: Some(&fix),
                ..Entry::default()
            };
            evaluate(&check, &names, &e, "mission `m`").map(Outcome::check_name)
        };
        assert_eq!(eval(at(48.8531, 10.0)), Ok("gps"));
        let far = eval(at(48.8630, 10.0)).unwrap_err();
        assert_eq!(far.code, RejectionCode::Incorrect);
        assert_eq!(far.message, "you are not inside the check-in zone");
        let blurry = eval(at(48.8531, 40.0)).unwrap_err();
        assert_eq!(blurry.message, "location accuracy must be 20 m or better");
        let none = evaluate(&check, &names, &Entry::default(), "mission `m`").unwrap_err();
        assert_eq!(
            none.message,
            "mission `m` is a check-in: send the device location"
        );
    }

    #[test]
    fn evaluate_evidence() {
        let names = Names::default();
        let e = Entry {
            evidence: Some("upload:42"),
            ..Entry::default()
        };
        let out = evaluate(&Check::Evidence, &names, &e, "x").unwrap();
        assert_eq!(out, Outcome::Evidence("upload:42"));
        assert_eq!(out.check_name(), "evidence");
        for bad in [None, Some("  "), Some(&*"u".repeat(MAX_EVIDENCE_LEN + 1))] {
            let e = Entry {
                evidence: bad,
                ..Entry::default()
            };
            let r = evaluate(&Check::Evidence, &names, &e, "x").unwrap_err();
            assert_eq!(r.code, RejectionCode::InvalidPayload);
        }
    }

    #[test]
    fn mark_transitions() {
        for b in 0..=5u8 {
            let m = Mark::from_byte(b);
            assert_eq!(m.to_byte(), if b > 4 { 0 } else { b });
        }
        assert_eq!(Mark::Open.submitted(Outcome::Gps), Some(Mark::Accepted));
        assert_eq!(
            Mark::Rejected.submitted(Outcome::Evidence("e")),
            Some(Mark::Pending)
        );
        assert_eq!(Mark::Pending.submitted(Outcome::Answer), None);
        assert_eq!(Mark::Accepted.submitted(Outcome::Answer), None);
        assert_eq!(Mark::Pending.judged(Verdict::Approve), Some(Mark::Approved));
        assert_eq!(Mark::Pending.judged(Verdict::Reject), Some(Mark::Rejected));
        assert_eq!(Mark::Open.judged(Verdict::Approve), None);
        assert!(Mark::Approved.is_done() && Mark::Accepted.is_done());
        assert!(Mark::Rejected.is_open() && !Mark::Pending.is_open());
    }

    #[test]
    fn pending_queue() {
        let mut q = Table::<Pending>::default();
        q.push(&Pending {
            team: 0,
            item: 3,
            by: 7,
        });
        q.push(&Pending {
            team: 1,
            item: 3,
            by: 8,
        });
        assert_eq!(take_pending(&mut q, 1, 3), Some(8));
        assert_eq!(take_pending(&mut q, 1, 3), None);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn verdicts() {
        assert_eq!(Verdict::Approve.points(None, 50, "task"), Ok(50));
        assert_eq!(Verdict::Approve.points(Some(0), 50, "task"), Ok(0));
        let r = Verdict::Approve.points(Some(51), 50, "task").unwrap_err();
        assert_eq!(r.message, "points must be between 0 and the task value 50");
        assert_eq!(Verdict::Reject.points(None, 50, "task"), Ok(0));
        let r = Verdict::Reject.points(Some(1), 50, "task").unwrap_err();
        assert_eq!(r.code, RejectionCode::InvalidPayload);
        let v: Verdict = serde_json::from_str(r#""reject""#).unwrap();
        assert_eq!(v.mark(), Mark::Rejected);
        assert!(check_note(&"n".repeat(MAX_NOTE_LEN)).is_ok());
        assert!(check_note(&"n".repeat(MAX_NOTE_LEN + 1)).is_err());
        assert!(require_pending(Mark::Pending, "red", "m", String::new).is_ok());
        let r = require_pending(Mark::Approved, "red", "m", || "done".into()).unwrap_err();
        assert_eq!(
            (r.code, r.message.as_str()),
            (RejectionCode::AlreadyDone, "done")
        );
        let r = require_pending(Mark::Rejected, "red", "m", String::new).unwrap_err();
        assert_eq!(r.code, RejectionCode::NotAllowedNow);
        assert_eq!(
            r.message,
            "`red` has no submission of `m` waiting for the judge"
        );
    }

    #[test]
    fn marks_grid_rows_and_bounds() {
        let mut m = Marks::new(3);
        m.add_team();
        m.add_team();
        m.set(1, 2, Mark::Pending);
        assert_eq!(m.get(1, 2), Mark::Pending);
        assert_eq!(m.get(0, 2), Mark::Open);
        m.set(1, 3, Mark::Accepted); // out of range: ignored
        m.set(5, 0, Mark::Accepted);
        assert_eq!(
            m.row(1).collect::<Vec<_>>(),
            vec![Mark::Open, Mark::Open, Mark::Pending]
        );
        assert_eq!(m.row(7).count(), 0);
        let bytes = postcard::to_allocvec(&m).unwrap();
        assert_eq!(postcard::from_bytes::<Marks>(&bytes).unwrap(), m);
    }
}
