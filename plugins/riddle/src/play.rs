//! Player actions: `attempt` (answer a challenge) and `hint` (buy a hint).
//!
//! A wrong answer is *accepted* (status `incorrect`), not rejected: it has to
//! change the state, because it counts toward the team's rate limit, and a
//! rejection never changes the state.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use veltrix_sdk::util::normalize_answer;
use veltrix_sdk::{Action, Effects, Rejection, RejectionCode};

use crate::challenge::{Challenge, bit};
use crate::config::MAX_ANSWER;
use crate::state::State;

/// Payload of `attempt`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    /// Challenge id.
    pub challenge: String,
    /// The team's answer.
    pub answer: String,
}

/// Payload of `hint`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HintRequest {
    /// Challenge id.
    pub challenge: String,
    /// Hint index within the challenge, from 0.
    #[schemars(range(max = u32::MAX))]
    pub hint: u32,
}

// Quest update details: plain structs serialise without building a
// `serde_json::Value` (fewer allocations on the hot path).

/// Detail of `incorrect`.
#[derive(Serialize)]
struct Incorrect {
    wrong_left: u32,
    cooldown_until_ms: Option<i64>,
}

/// Detail of `solved`.
#[derive(Serialize)]
struct Solved {
    points: i64,
    bonus: i64,
    solves: u32,
    next_value: i64,
}

/// Detail of `unlocked`.
#[derive(Serialize)]
struct Unlocked {
    value: i64,
}

/// Detail of `hint`.
#[derive(Serialize)]
struct Revealed<'a> {
    hint: u32,
    cost: i64,
    text: &'a str,
}

fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Finds the challenge, registers the player and refuses solved or locked
/// challenges. Returns (challenge index, challenge, team).
fn open_challenge(
    s: &mut State,
    a: &Action,
    id: &str,
) -> Result<(usize, Challenge, usize), Rejection> {
    let c = s
        .board
        .find(id)
        .ok_or_else(|| reject(RejectionCode::NotFound, format!("no challenge `{id}`")))?;
    let t = s.teams.join(a)?;
    let solved = s.teams.data(t).solved;
    if solved & bit(c) != 0 {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("your team already solved `{id}`"),
        ));
    }
    if let Err(lock) = s.gate(c, solved) {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            s.lock_message(c, lock),
        ));
    }
    Ok((c, s.board.get(c), t))
}

/// `attempt {challenge, answer}`.
pub fn attempt(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let p: Attempt = a.payload()?;
    // Bound the work before normalising: the payload is untrusted.
    if p.answer.len() > 4 * MAX_ANSWER {
        return Err(reject(RejectionCode::InvalidPayload, "answer is too long"));
    }
    let answer = normalize_answer(&p.answer);
    if answer.is_empty() {
        return Err(reject(RejectionCode::InvalidPayload, "answer is empty"));
    }
    let (c, ch, t) = open_challenge(s, a, &p.challenge)?;
    let now = a.timestamp_ms;
    if let Some(until) = s.teams.data(t).cooling(now) {
        let secs = (until - now + 999) / 1_000;
        return Err(reject(
            RejectionCode::RateLimited,
            format!("too many wrong answers: try again in {secs} s"),
        ));
    }
    if s.board.accepts(&ch, &answer) {
        solve(s, a, fx, c, ch, t);
    } else {
        let rate = s.board.rate;
        let (cooldown, left) = s.teams.update(t, |team| {
            let cooldown = team.record_wrong(now, &rate);
            // Nothing left while cooling down; a fresh window after it.
            let left = if cooldown.is_some() {
                0
            } else {
                team.wrong_left(now, &rate)
            };
            (cooldown, left)
        });
        fx.quest(
            &p.challenge,
            "incorrect",
            a,
            Incorrect {
                wrong_left: left,
                cooldown_until_ms: cooldown,
            },
        );
    }
    Ok(())
}

/// Scores a correct answer: the value is what the challenge is worth after
/// the solves so far (frozen now: rewards are immutable), plus the
/// first-solve bonus; then announces challenges this solve unlocked.
fn solve(s: &mut State, a: &Action, fx: &mut Effects, c: usize, mut ch: Challenge, t: usize) {
    let scorer = a.scorer();
    let prior = ch.solves;
    let value = ch.value_now();
    let bonus = if prior == 0 { ch.first_bonus } else { 0 };
    ch.solves += 1;
    s.board.challenges.set(c, &ch);
    let next_value = ch.value_now();
    let id = s.board.id(c);
    fx.award(
        a,
        format!("solve:{id}:{scorer}"),
        "points",
        value,
        format!("solved {id}"),
    );
    if bonus > 0 {
        // One key per challenge: a second first solve is impossible by key.
        fx.award(
            a,
            format!("first:{id}"),
            "bonus",
            bonus,
            format!("first to solve {id}"),
        );
    }
    fx.quest(
        id,
        "solved",
        a,
        Solved {
            points: value,
            bonus,
            solves: prior + 1,
            next_value,
        },
    );
    let before = s.teams.data(t).solved;
    let after = before | bit(c);
    s.teams.update(t, |team| {
        team.solved = after;
        team.score = team.score.saturating_add(value + bonus);
    });
    for (j, other) in s.board.challenges.iter().enumerate() {
        if after & bit(j) != 0 || !other.gate.depends_on_solves() {
            continue;
        }
        if s.gate(j, before).is_err() && s.gate(j, after).is_ok() {
            fx.quest(
                s.board.id(j),
                "unlocked",
                a,
                Unlocked {
                    value: other.value_now(),
                },
            );
        }
    }
}

/// `hint {challenge, hint}`: pays the hint's cost once per team (a negative
/// reward keyed by challenge, hint and team) and reveals its text.
pub fn hint(s: &mut State, a: &Action, fx: &mut Effects) -> Result<(), Rejection> {
    let p: HintRequest = a.payload()?;
    let (_, ch, t) = open_challenge(s, a, &p.challenge)?;
    let Some(h) = s.board.hint_index(&ch, p.hint) else {
        return Err(reject(
            RejectionCode::NotFound,
            format!(
                "challenge `{}` has {} hints (0-based)",
                p.challenge, ch.hint_count
            ),
        ));
    };
    if s.teams.data(t).hints & bit(h) != 0 {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("your team already has hint {} of `{}`", p.hint, p.challenge),
        ));
    }
    let hint = s.board.hints.get(h);
    fx.award(
        a,
        format!("hint:{}:{}:{}", p.challenge, p.hint, a.scorer()),
        "penalty",
        -hint.cost,
        format!("hint {} of {}", p.hint, p.challenge),
    );
    fx.quest(
        &p.challenge,
        "hint",
        a,
        Revealed {
            hint: p.hint,
            cost: hint.cost,
            text: s.board.text.get(hint.text as usize),
        },
    );
    s.teams.update(t, |team| {
        team.hints |= bit(h);
        team.score = team.score.saturating_sub(hint.cost);
    });
    Ok(())
}
