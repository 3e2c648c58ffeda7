//! [`Turn`]: the acting team and its current step, which the action
//! modules ([`crate::checkin`], [`crate::task`], [`crate::progress`])
//! work on, and the rejection helper they share.

use veltrix_sdk::{Rejection, RejectionCode};

use crate::state::{Step, Team};

/// A rejection.
pub(crate) fn reject(code: RejectionCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// The acting team and its current step, loaded from the state; the team
/// record is written back once the action succeeds.
pub(crate) struct Turn {
    /// Team index.
    pub team: usize,
    /// The team's progress (written back on success).
    pub t: Team,
    /// Step index.
    pub step: usize,
    /// The step.
    pub st: Step,
}
