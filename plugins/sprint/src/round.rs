//! A round: its window, its tasks and the teams' results in it, plus the
//! `open_round` payload and its validation.
//!
//! Rounds are numbered by the game master (1, 2, ...); a number is used
//! once and numbers only grow, so the state remembers every played round
//! with one integer (`next_round`) and reward keys such as
//! `place:<round>:<team>` can never repeat.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use veltrix_sdk::pack::{Names, Reader, Record, Span, Table, Writer};
use veltrix_sdk::util::normalize_answer;
use veltrix_sdk::{Rejection, RejectionCode};

use crate::config::{MAX_DURATION_MS, MAX_POINTS, MIN_DURATION_MS, Settings};

/// Most tasks in one round (one bit each in [`Entry::done`]).
pub const MAX_TASKS: usize = 32;
/// Most accepted answers of one task.
pub const MAX_ANSWERS: usize = 16;
/// Longest task id.
pub const MAX_ID: usize = 32;
/// Longest accepted or submitted answer, in bytes (after normalising).
pub const MAX_ANSWER: usize = 256;
/// How far ahead a round may be scheduled (a week).
pub const MAX_LEAD_MS: i64 = 7 * 86_400_000;

/// Payload of `open_round`.
// The schema bounds (`#[schemars(...)]`) are what `Round::build` refuses
// whatever the game's state: the host then refuses them before the plugin.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRound {
    /// Round number: at least 1, above every round opened before.
    #[schemars(range(min = 1, max = crate::play::MAX_ROUND))]
    pub round: u32,
    /// Window start; now if absent, never in the past.
    pub start_ms: Option<i64>,
    /// Window length; the config's default if absent.
    #[schemars(range(min = MIN_DURATION_MS, max = MAX_DURATION_MS))]
    pub duration_ms: Option<i64>,
    /// Decay floor for this round, percent of points; the config's if absent.
    #[schemars(range(max = 100))]
    pub floor_percent: Option<u8>,
    /// The round's tasks.
    #[schemars(length(min = 1, max = MAX_TASKS))]
    pub tasks: Vec<TaskSpec>,
}

/// One task of an `open_round` payload.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Id, unique in the round: 1 to 32 of `A-Z a-z 0-9 _ . -`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{1,32}$"))]
    pub id: String,
    /// Full value, at the window's start.
    #[schemars(range(min = 1, max = MAX_POINTS))]
    pub points: i64,
    /// Accepted answers (case- and whitespace-insensitive); none means the
    /// task is done on the player's word (e.g. judged on site).
    #[serde(default)]
    pub answers: Vec<String>,
}

/// A task of an open round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Task {
    /// Task id: its entry in [`Round::text`].
    pub id: u32,
    /// Accepted answers, normalised: a run of [`Round::text`]; empty when
    /// none.
    pub answers: Span,
    /// Full value.
    pub points: i64,
}

impl Record for Task {
    const SIZE: usize = 4 + Span::SIZE + 8;
    fn read(r: &mut Reader<'_>) -> Self {
        Task {
            id: r.u32(),
            answers: Span::read(r),
            points: r.i64(),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.id);
        self.answers.write(w);
        w.i64(self.points);
    }
}

/// One team's result in a round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// Team index in the roster.
    pub team: u32,
    /// The player who last scored for the team here (credited with the
    /// placement bonus), as the roster's player handle.
    pub player: u32,
    /// Points scored in the round.
    pub score: i64,
    /// When the team reached `score` (ties go to the earlier).
    pub at_ms: i64,
    /// Tasks done (bit per task).
    pub done: u32,
}

impl Record for Entry {
    const SIZE: usize = 4 + 4 + 8 + 8 + 4;
    fn read(r: &mut Reader<'_>) -> Self {
        Entry {
            team: r.u32(),
            player: r.u32(),
            score: r.i64(),
            at_ms: r.i64(),
            done: r.u32(),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.team);
        w.u32(self.player);
        w.i64(self.score);
        w.i64(self.at_ms);
        w.u32(self.done);
    }
}

/// An open (or scheduled) round. Closed rounds leave the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// Round number.
    pub number: u32,
    /// Window start.
    pub start_ms: i64,
    /// Window end (exclusive): submissions from then on are late.
    pub end_ms: i64,
    /// Value at the window's end, percent of points.
    pub floor_percent: u8,
    /// Whether the `open` update went out (false while scheduled).
    pub live: bool,
    /// Task ids and accepted answers.
    pub text: Names,
    /// Tasks, in payload order.
    pub tasks: Table<Task>,
    /// Results, in order of each team's first completion.
    pub entries: Table<Entry>,
}

fn invalid(msg: String) -> Rejection {
    Rejection::new(RejectionCode::InvalidPayload, msg)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl Round {
    /// Validates an `open_round` payload sent at `now`.
    pub fn build(p: &OpenRound, now: i64, settings: &Settings) -> Result<Round, Rejection> {
        if p.round == 0 {
            return Err(invalid("round: must be at least 1".into()));
        }
        let start = p.start_ms.unwrap_or(now);
        if start < now || start - now > MAX_LEAD_MS {
            return Err(invalid(
                "start_ms: must be between now and a week ahead".into(),
            ));
        }
        let duration = p.duration_ms.unwrap_or(settings.default_duration_ms);
        if !(MIN_DURATION_MS..=MAX_DURATION_MS).contains(&duration) {
            return Err(invalid(format!(
                "duration_ms: must be between {MIN_DURATION_MS} and {MAX_DURATION_MS}"
            )));
        }
        let floor_percent = p.floor_percent.unwrap_or(settings.floor_percent);
        if floor_percent > 100 {
            return Err(invalid("floor_percent: must be between 0 and 100".into()));
        }
        if p.tasks.is_empty() || p.tasks.len() > MAX_TASKS {
            return Err(invalid(format!("tasks: must hold 1 to {MAX_TASKS} tasks")));
        }
        let mut round = Round {
            number: p.round,
            start_ms: start,
            end_ms: start + duration,
            floor_percent,
            live: false,
            text: Names::default(),
            tasks: Table::default(),
            entries: Table::default(),
        };
        for (i, t) in p.tasks.iter().enumerate() {
            if !valid_id(&t.id) {
                return Err(invalid(format!(
                    "tasks/{i}/id: must be 1 to {MAX_ID} of A-Z a-z 0-9 _ . -"
                )));
            }
            if round.find_task(&t.id).is_some() {
                return Err(invalid(format!("tasks/{i}/id: duplicate id `{}`", t.id)));
            }
            if !(1..=MAX_POINTS).contains(&t.points) {
                return Err(invalid(format!(
                    "tasks/{i}/points: must be between 1 and {MAX_POINTS}"
                )));
            }
            if t.answers.len() > MAX_ANSWERS {
                return Err(invalid(format!(
                    "tasks/{i}/answers: at most {MAX_ANSWERS} answers"
                )));
            }
            let mut answers = Vec::with_capacity(t.answers.len());
            for (j, a) in t.answers.iter().enumerate() {
                let n = normalize_answer(a);
                if n.is_empty() || n.len() > MAX_ANSWER {
                    return Err(invalid(format!(
                        "tasks/{i}/answers/{j}: must be 1 to {MAX_ANSWER} bytes besides spaces"
                    )));
                }
                answers.push(n);
            }
            let task = Task {
                id: round.text.push(&t.id) as u32,
                answers: round.text.push_all(answers.iter().map(String::as_str)),
                points: t.points,
            };
            round.tasks.push(&task);
        }
        Ok(round)
    }

    /// Index of the task called `id`.
    pub fn find_task(&self, id: &str) -> Option<usize> {
        // Answers share the text: look among the task ids only.
        self.tasks
            .iter()
            .position(|t| self.text.get(t.id as usize) == id)
    }

    /// Id of task `k`.
    pub fn task_id(&self, k: usize) -> &str {
        self.text.get(self.tasks.get(k).id as usize)
    }

    /// Whether task `task` needs an answer.
    pub fn needs_answer(&self, task: &Task) -> bool {
        !task.answers.is_empty()
    }

    /// Whether a normalised answer is accepted for `task`.
    pub fn accepts(&self, task: &Task, normalized: &str) -> bool {
        self.text.span(task.answers).any(|x| x == normalized)
    }

    /// What `points` are worth at `now` inside the window: linear from the
    /// full value at the start down to the floor at the end (never reached,
    /// the end being exclusive).
    pub fn value(&self, points: i64, now: i64) -> i64 {
        let floor = points * i64::from(self.floor_percent) / 100;
        let duration = (self.end_ms - self.start_ms).max(1);
        let elapsed = (now - self.start_ms).clamp(0, duration);
        points - (points - floor) * elapsed / duration
    }

    /// Position of team `team`'s entry.
    pub fn entry_of(&self, team: usize) -> Option<usize> {
        self.entries.iter().position(|e| e.team as usize == team)
    }

    /// The tasks team `team` has done here (bit per task).
    pub fn done_by(&self, team: usize) -> u32 {
        self.entry_of(team).map_or(0, |e| self.entries.get(e).done)
    }

    /// Entries ranked: score descending, then who reached it first, then
    /// who scored first in the round (a stable sort keeps entry order).
    pub fn ranking(&self) -> Vec<Entry> {
        let mut rows: Vec<Entry> = self.entries.iter().collect();
        rows.sort_by(|a, b| b.score.cmp(&a.score).then(a.at_ms.cmp(&b.at_ms)));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            placement_bonus: vec![],
            floor_percent: 25,
            default_duration_ms: 100_000,
        }
    }

    fn spec(tasks: serde_json::Value) -> OpenRound {
        serde_json::from_value(serde_json::json!({ "round": 1, "tasks": tasks })).unwrap()
    }

    #[test]
    fn value_decays_linearly_to_the_floor() {
        let p = spec(serde_json::json!([{ "id": "t", "points": 100 }]));
        let r = Round::build(&p, 1_000, &settings()).unwrap();
        assert_eq!((r.start_ms, r.end_ms), (1_000, 101_000));
        assert_eq!(r.value(100, 1_000), 100);
        assert_eq!(r.value(100, 51_000), 63);
        assert_eq!(r.value(100, 100_999), 26);
        assert_eq!(r.value(100, 101_000), 25);
    }

    #[test]
    fn payload_errors_name_the_field() {
        let cases = [
            (serde_json::json!([]), "tasks:"),
            (
                serde_json::json!([{ "id": "a/b", "points": 1 }]),
                "tasks/0/id:",
            ),
            (
                serde_json::json!([{ "id": "a", "points": 1 }, { "id": "a", "points": 1 }]),
                "tasks/1/id: duplicate",
            ),
            (
                serde_json::json!([{ "id": "a", "points": 0 }]),
                "tasks/0/points:",
            ),
            (
                serde_json::json!([{ "id": "a", "points": 1, "answers": [" "] }]),
                "tasks/0/answers/0:",
            ),
        ];
        for (tasks, want) in cases {
            let e = Round::build(&spec(tasks), 0, &settings()).unwrap_err();
            assert_eq!(e.code, RejectionCode::InvalidPayload);
            assert!(e.message.starts_with(want), "got `{}`", e.message);
        }
    }
}
