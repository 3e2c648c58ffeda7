//! Work on the open step: answering its task, taking hints (time
//! penalties) and skipping it (a time penalty, no points).

use veltrix_sdk::util::normalize_answer;
use veltrix_sdk::{Action, Effects, Rejection, RejectionCode};

use crate::progress::{HintDetail, StepDetail, advance, complete};
use crate::state::State;
use crate::turn::{Turn, reject};

/// `answer {step, answer}`: case- and whitespace-insensitive.
pub(crate) fn answer(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
    given: &str,
) -> Result<(), Rejection> {
    let given = normalize_answer(given);
    if !s.text.span(turn.st.answers).any(|x| x == given) {
        return Err(reject(RejectionCode::Incorrect, "wrong answer"));
    }
    complete(s, a, fx, turn);
    Ok(())
}

/// `hint {step, hint?}`: reveals the next hint of the current step. `hint`,
/// when sent, must be the index of that next hint, so a double tap cannot
/// take (and pay for) two hints.
pub(crate) fn hint(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
    asked: Option<u32>,
) -> Result<(), Rejection> {
    let hints = turn.st.hints;
    let id = s.step_ids.get(turn.step);
    if hints.is_empty() {
        return Err(reject(
            RejectionCode::NotFound,
            format!("`{id}` has no hints"),
        ));
    }
    let next = turn.t.hints;
    if let Some(h) = asked {
        if h >= hints.len {
            return Err(reject(
                RejectionCode::NotFound,
                format!("`{id}` has {} hints (0 to {})", hints.len, hints.len - 1),
            ));
        }
        if h < u32::from(next) {
            return Err(reject(
                RejectionCode::AlreadyDone,
                format!("hint {h} already taken"),
            ));
        }
        if h > u32::from(next) {
            return Err(reject(
                RejectionCode::NotAllowedNow,
                format!("take hint {next} first"),
            ));
        }
    }
    let Some(text) = hints.nth(usize::from(next)) else {
        return Err(reject(
            RejectionCode::AlreadyDone,
            format!("all {} hints of `{id}` taken", hints.len),
        ));
    };
    let penalty_ms = s.rules.hint_penalty_ms;
    turn.t.hints += 1;
    turn.t.penalty_ms += penalty_ms;
    let detail = HintDetail {
        hint: next,
        text: s.text.get(text),
        penalty_ms,
    };
    fx.quest(id, "hint", a, detail);
    Ok(())
}

/// `skip {step}`: moves on without points, for a time penalty.
pub(crate) fn skip(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
) -> Result<(), Rejection> {
    let t = &mut turn.t;
    if let Some(max) = s.rules.max_skips
        && t.skips >= max
    {
        return Err(reject(
            RejectionCode::NotAllowedNow,
            format!("no skips left ({max} per run)"),
        ));
    }
    t.skips += 1;
    t.penalty_ms += s.rules.skip_penalty_ms;
    let detail = StepDetail {
        lap: t.lap,
        via: None,
        points: None,
        penalty_ms: Some(s.rules.skip_penalty_ms),
    };
    fx.quest(s.step_ids.get(turn.step), "skipped", a, detail);
    advance(s, a, fx, t, false);
    Ok(())
}
