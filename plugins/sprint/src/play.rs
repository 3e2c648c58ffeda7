//! The sprint's own actions: `open_round` and `close_round` (game master)
//! and `complete` (players).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use veltrix_sdk::util::normalize_answer;
use veltrix_sdk::{Action, Effects, GameStatus, Rejection, RejectionCode};

use crate::round::{Entry, MAX_ANSWER, OpenRound, Round};
use crate::standings::{self, task_quest};
use crate::state::{MAX_OPEN_ROUNDS, State};

/// Highest round number (so that `round + 1` never overflows).
pub const MAX_ROUND: u32 = 1_000_000_000;

/// Payload of `close_round`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRound {
    /// Round number.
    #[schemars(range(max = u32::MAX))]
    pub round: u32,
}

/// Payload of `complete`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Complete {
    /// Round number.
    #[schemars(range(max = u32::MAX))]
    pub round: u32,
    /// Task id.
    pub task: String,
    /// The answer, for tasks that have answers.
    #[serde(default)]
    pub answer: Option<String>,
}

/// Detail of a task's `done` update.
#[derive(Serialize)]
struct Done {
    points: i64,
    elapsed_ms: i64,
    round_score: i64,
}

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Why round `n`, which is not open, cannot be used.
fn not_open(s: &State, n: u32, closed: RejectionCode) -> Rejection {
    if n > 0 && n < s.next_round {
        reject(closed, format!("round {n} is closed"))
    } else {
        reject(
            RejectionCode::NotFound,
            format!("round {n} has not been opened"),
        )
    }
}

/// `open_round {round, start_ms?, duration_ms?, floor_percent?, tasks}`.
pub fn open_round(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    a.require_game_master()?;
    let now = a.timestamp_ms;
    s.life.advance(now);
    match s.life.status() {
        GameStatus::Finished => {
            return Err(reject(RejectionCode::GameOver, "the game is over"));
        }
        GameStatus::Waiting => {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                "the game has not started",
            ));
        }
        GameStatus::Running | GameStatus::Paused => {}
    }
    standings::settle(s, now, fx);
    let p: OpenRound = a.payload()?;
    if p.round > MAX_ROUND {
        return Err(reject(
            RejectionCode::InvalidPayload,
            format!("round: must be at most {MAX_ROUND}"),
        ));
    }
    let mut round = Round::build(&p, now, &s.settings)?;
    if s.round(p.round).is_some() {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("round {} is already open", p.round),
        ));
    }
    if p.round < s.next_round {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!(
                "round {} was already played; the next round is {} or above",
                p.round, s.next_round
            ),
        ));
    }
    if s.rounds.len() >= MAX_OPEN_ROUNDS {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            format!("{MAX_OPEN_ROUNDS} rounds are already open: close one first"),
        ));
    }
    if s.life.ends_at_ms().is_some_and(|end| round.start_ms >= end) {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            "the round would start after the game ends",
        ));
    }
    round.live = round.start_ms <= now;
    let status = if round.live { "open" } else { "scheduled" };
    fx.quest_update(standings::announce(&round, status));
    s.next_round = p.round + 1;
    s.rounds.push(round);
    Ok(())
}

/// `close_round {round}`: closes an open (or scheduled) round now, or at its
/// window's end if that has passed (a late close never lengthens a round).
pub fn close_round(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    a.require_game_master()?;
    let p: CloseRound = a.payload()?;
    let now = a.timestamp_ms;
    s.life.advance(now);
    let Some(i) = s.round(p.round) else {
        return Err(not_open(s, p.round, RejectionCode::AlreadyDone));
    };
    let at = s.close_time(&s.rounds[i], now);
    let round = s.rounds.remove(i);
    standings::close(s, round, at, fx);
    standings::settle(s, now, fx);
    Ok(())
}

/// `complete {round, task, answer?}`: scores the task's value at this
/// moment of the window, once per team.
pub fn complete(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let p: Complete = a.payload()?;
    if p.answer.as_ref().is_some_and(|x| x.len() > 4 * MAX_ANSWER) {
        return Err(reject(RejectionCode::InvalidPayload, "answer is too long"));
    }
    let now = a.timestamp_ms;
    let Some(ri) = s.round(p.round) else {
        return Err(not_open(s, p.round, RejectionCode::OutOfWindow));
    };
    let r = &s.rounds[ri];
    if now < r.start_ms {
        return Err(reject(
            RejectionCode::OutOfWindow,
            format!("round {} opens at {} ms", p.round, r.start_ms),
        ));
    }
    if now >= r.end_ms {
        // `settle` closes such rounds first; kept for clarity.
        return Err(reject(
            RejectionCode::OutOfWindow,
            format!("round {} closed at {} ms", p.round, r.end_ms),
        ));
    }
    let Some(k) = r.find_task(&p.task) else {
        return Err(reject(
            RejectionCode::NotFound,
            format!("round {} has no task `{}`", p.round, p.task),
        ));
    };
    let task = r.tasks.get(k);
    let needs_answer = r.needs_answer(&task);
    let t = s.teams.join(a)?;
    let player = s.teams.player_handle(&a.player).unwrap_or_default();
    let r = &mut s.rounds[ri];
    let slot = r.entry_of(t);
    let mut entry = slot.map_or(
        Entry {
            team: t as u32,
            player,
            score: 0,
            at_ms: now,
            done: 0,
        },
        |e| r.entries.get(e),
    );
    if entry.done & (1 << k) != 0 {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("your team already did `{}` in round {}", p.task, p.round),
        ));
    }
    if needs_answer {
        let answer = p
            .answer
            .as_deref()
            .map(normalize_answer)
            .unwrap_or_default();
        if answer.is_empty() {
            return Err(reject(
                RejectionCode::InvalidPayload,
                format!("task `{}` needs an answer", p.task),
            ));
        }
        if !r.accepts(&task, &answer) {
            return Err(reject(RejectionCode::Incorrect, "wrong answer"));
        }
    }
    let value = r.value(task.points, now);
    entry.score += value;
    entry.at_ms = now;
    entry.done |= 1 << k;
    entry.player = player;
    match slot {
        Some(e) => r.entries.set(e, &entry),
        None => r.entries.push(&entry),
    }
    let id = r.task_id(k);
    fx.award(
        a,
        format!("task:{}:{id}:{}", p.round, a.scorer()),
        "points",
        value,
        format!("round {}: {id}", p.round),
    );
    fx.quest(
        task_quest(p.round, id),
        "done",
        a,
        Done {
            points: value,
            elapsed_ms: now - r.start_ms,
            round_score: entry.score,
        },
    );
    s.teams
        .update(t, |score| score.0 = score.0.saturating_add(value));
    Ok(())
}
