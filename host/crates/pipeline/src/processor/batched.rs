//! `apply-batch`: a game's queued actions of one poll in one plugin call,
//! one state copy each way instead of one per action (sync: runs on the
//! blocking pool with the rest of [`super::game`]).
//!
//! The call is a shortcut, not a second semantics: the WIT contract says
//! it gives exactly what consecutive `apply` calls give (the upload check
//! holds every plugin to it), and the processor takes its result only
//! where the per-action path would have done the same with it. Any fault,
//! an effect the host would refuse (`invalid-effects`), a status change
//! across the batch, or an action that is not a player's (game-master and
//! host actions are the ones that pause, resume and end games) sends the
//! whole group through `apply` one by one instead, from the same state.
//! One call cannot tell the status after each action, only after the
//! last: each answer names the game's status, unchanged by the batch (a
//! plugin whose player actions changed the status and changed it back
//! within one poll would be answered with the status they came back to;
//! the state, effects and rejections are the per-action path's).

use std::collections::VecDeque;
use std::time::Instant;

use veltrix_contract::{Action, ActorRole, Transition};

use super::effects::{self, RewardRules};
use super::game::{GameEntry, Step};
use crate::telemetry::PluginSample;
use veltrix_runtime::Worker;

/// A game's fresh actions of one poll, decoded once, cut into segments:
/// each run of at least `min` consecutive player actions goes to the
/// plugin in one call when the game reaches it ([`Planner::next`]).
pub(crate) struct Planner {
    actions: Vec<Option<Result<Action, String>>>,
    /// Steps of the segment being answered.
    pre: VecDeque<Step>,
    /// Segments are looked for from here on.
    tried_until: usize,
    /// Batch calls whose result the per-action path had to replace.
    refused: u32,
    min: usize,
    retries: u32,
}

impl Planner {
    /// Plans `actions` (each decoded, or why not); `min` 0 turns
    /// `apply-batch` off; after `retries` refused calls the rest goes one
    /// by one (`processor.apply_batch_retries`).
    pub(crate) fn new(actions: Vec<Result<Action, String>>, min: usize, retries: u32) -> Self {
        Self {
            actions: actions.into_iter().map(Some).collect(),
            pre: VecDeque::new(),
            tried_until: 0,
            refused: 0,
            min,
            retries,
        }
    }

    /// Action `i` (call in order, once each) and, inside a segment the
    /// batch call took, its step. Where a segment starts, the call is
    /// made from `entry`'s state, and `entry` takes the state after the
    /// whole segment at once (nothing reads it until the segment is
    /// answered: its steps are all here). Returns how many actions the
    /// call took when it made one.
    pub(crate) fn next(
        &mut self,
        i: usize,
        worker: &mut Worker,
        entry: &mut GameEntry,
        rules: &RewardRules,
        sample: &mut PluginSample,
    ) -> (Result<Action, String>, Option<Step>, usize) {
        let mut took = 0;
        if self.pre.is_empty() && i >= self.tried_until && self.min > 0 && entry.parked.is_none() {
            let player = |a: &Option<Result<Action, String>>| matches!(a, Some(Ok(a)) if a.role == ActorRole::Player);
            let end = i + self.actions[i..].iter().take_while(|a| player(a)).count();
            self.tried_until = end.max(i + 1);
            if end - i >= self.min.max(2) && self.refused < self.retries {
                let seg: Vec<Action> = self.actions[i..end]
                    .iter()
                    .filter_map(|a| a.as_ref().and_then(|a| a.as_ref().ok()).cloned())
                    .collect();
                match apply(worker, entry, &seg, rules, sample) {
                    Some(b) => {
                        took = b.steps.len();
                        entry.state = b.state;
                        self.pre = b.steps.into();
                    }
                    None => {
                        // This action one by one; the rest tried again.
                        self.refused += 1;
                        self.tried_until = i + 1;
                    }
                }
            }
        }
        let action = self.actions[i]
            .take()
            .unwrap_or_else(|| Err("action planned twice".into()));
        (action, self.pre.pop_front(), took)
    }
}

/// A group's steps from one `apply-batch` call, and the state after it.
struct Batched {
    /// Per action, in order: its step (applied transitions carry no state
    /// and the status the game had, unchanged by the batch).
    steps: Vec<Step>,
    /// The state after every action.
    state: Vec<u8>,
}

/// Applies `actions` (a game's, in order, all players': the planner's
/// segments) to `entry`'s
/// state in one call; `None` when the per-action path must run instead
/// (see the module doc). Samples one call per action, each an equal share
/// of the batch's time and fuel.
fn apply(
    worker: &mut Worker,
    entry: &GameEntry,
    actions: &[Action],
    rules: &RewardRules,
    sample: &mut PluginSample,
) -> Option<Batched> {
    let started = Instant::now();
    let b = worker.apply_batch(&entry.state, actions);
    if b.status.is_some_and(|s| s != entry.status) {
        return None;
    }
    let declared = worker.plugin().reward_types();
    let mut steps = Vec::with_capacity(actions.len());
    for o in b.outcomes {
        let step = match o.ok()? {
            Ok(e) => {
                let t = Transition {
                    state: Vec::new(),
                    quest_updates: e.quest_updates,
                    rewards: e.rewards,
                    score_deltas: e.score_deltas,
                    status: entry.status,
                };
                effects::check_declared(&t.rewards, declared)
                    .and_then(|()| effects::check_rewards(&t.rewards, rules))
                    .and_then(|()| effects::check_sizes(&t, rules))
                    .ok()?;
                Step::Applied(t)
            }
            Err(r) => Step::Rejected(r),
        };
        steps.push(step);
    }
    let n = steps.len().max(1) as u32;
    let each = started.elapsed() / n;
    let fuel = b.fuel / u64::from(n);
    for _ in 0..n {
        sample.call(each, Some(fuel));
    }
    Some(Batched {
        steps,
        state: b.state,
    })
}
