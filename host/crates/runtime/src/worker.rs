//! A worker runs calls into one plugin under the per-call limits.
//!
//! Instantiating per call would cost more than the call itself, so a worker
//! keeps one warm instance and resets fuel, the epoch deadline, the random
//! streams and stderr before each call. The plugin contract is a pure
//! function of (state, action), so reuse is invisible to a conforming
//! plugin; one that keeps hidden state between calls fails `veltrix plugin
//! check`'s replay test. The instance is dropped after any fault (its memory
//! may be inconsistent), after a call that read entropy (see
//! [`super::entropy`]), after `recycle_after_calls` calls, and when its
//! memory grew past `recycle_memory_bytes`. How one call runs, and the
//! deadline retry, is in [`super::call`].

use std::sync::Arc;

use veltrix_contract::{
    Action, ActionEffects, ConfigError, GameContract, GameStatus, GameTypeInfo, PlayerView,
    Rejection, RejectionCode, Transition,
};
use wasmtime::Store;

use super::bindings::{self, GameType};
use super::call::{self, Call, Live, Seed, Slot};
use super::entropy::CallSeed;
use super::error::{Fault, LoadError, plugin_text};
use super::plugin::Plugin;
use super::sandbox::Sandbox;

impl Plugin {
    /// A fresh worker (one warm instance, used from one thread at a time).
    pub fn worker(self: &Arc<Self>) -> Worker {
        Worker::new(Arc::clone(self))
    }
}

/// The outcome of one `apply` that did not fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The transition, or the plugin's rejection.
    pub result: Result<Transition, Rejection>,
    /// Fuel the call consumed.
    pub fuel: u64,
}

/// The outcome of one `apply_batch`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchApplied {
    /// State after every applied action (the input state if none applied).
    pub state: Vec<u8>,
    /// Status after the last applied action, if any applied.
    pub status: Option<GameStatus>,
    /// Per action, in order: its effects, its rejection, or the fault it
    /// caused (a faulting action is skipped; the others still apply).
    pub outcomes: Vec<Result<Result<ActionEffects, Rejection>, Fault>>,
    /// Fuel consumed by all the calls made.
    pub fuel: u64,
}

/// Runs calls into one plugin; use one per thread.
pub struct Worker {
    plugin: Arc<Plugin>,
    live: Option<Live>,
    instantiations: u64,
    /// The plugin read entropy: compute every call's seed up front.
    seeds_needed: bool,
    scratch: Option<bindings::WitAction>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("plugin", &self.plugin)
            .finish()
    }
}

impl Worker {
    pub(crate) fn new(plugin: Arc<Plugin>) -> Self {
        Self {
            plugin,
            live: None,
            instantiations: 0,
            seeds_needed: false,
            scratch: None,
        }
    }

    /// `describe` on a plugin still being loaded. A failure to instantiate
    /// is blamed on instantiation (a start function), not on `describe`.
    pub(crate) fn describe_unloaded(
        plugin: &Plugin,
    ) -> Result<(GameTypeInfo, Option<GameContract>), LoadError> {
        let first =
            call::instantiate(plugin).map_err(|f| LoadError::Instantiation(f.to_string()))?;
        let mut live = Some(first);
        let mut instantiations = 1;
        let mut seeds_needed = false;
        let slot = Slot {
            live: &mut live,
            instantiations: &mut instantiations,
            seeds_needed: &mut seeds_needed,
        };
        let c = setup_call(plugin, CallSeed::new("describe").finish());
        let (info, _) = call::retrying(plugin, slot, &c, &|s, g| g.describe(s))
            .map_err(|f| LoadError::BadDescription(f.to_string()))?;
        let c = setup_call(plugin, CallSeed::new("contract").finish());
        let slot = Slot {
            live: &mut live,
            instantiations: &mut instantiations,
            seeds_needed: &mut seeds_needed,
        };
        let (contract, _) = call::retrying(plugin, slot, &c, &|s, g| g.contract(s))
            .map_err(|f| LoadError::BadDescription(format!("contract: {f}")))?;
        Ok((info, contract))
    }

    /// The plugin this worker runs.
    pub fn plugin(&self) -> &Arc<Plugin> {
        &self.plugin
    }

    /// How many instances this worker has created (faults and recycling
    /// create new ones).
    pub fn instantiations(&self) -> u64 {
        self.instantiations
    }

    /// Calls `init(config, seed)`.
    pub fn init(&mut self, config: &str, seed: u64) -> Result<Result<Vec<u8>, ConfigError>, Fault> {
        self.check_input(config.len())?;
        let c = setup_call(
            &self.plugin,
            CallSeed::new("init")
                .bytes(config.as_bytes())
                .u64(seed)
                .finish(),
        );
        let (r, _) = self.call(&c, |s, g| g.init(s, config, seed))?;
        if let Ok(state) = &r {
            self.check_output(state.len())?;
        }
        Ok(r)
    }

    /// Calls `apply(state, action)`. An action the contract refuses (kind,
    /// role, payload schema) is rejected without calling it. The caller keeps `state`
    /// unless the result is a transition.
    pub fn apply(&mut self, state: &[u8], action: &Action) -> Result<Applied, Fault> {
        // What the contract refuses never reaches the plugin.
        if let Err(r) = self.plugin.check_action(action) {
            return Ok(Applied {
                result: Err(r),
                fuel: 0,
            });
        }
        self.check_input(state.len() + bindings::action_size(action))?;
        let seed = || CallSeed::new("apply").bytes(state).action(action).finish();
        let c = Call {
            fuel: self.apply_fuel(),
            ticks: self.plugin.limits.deadline_ticks(),
            seed: Seed::Lazy(&seed),
        };
        let wit_action = match self.scratch.take() {
            Some(mut w) => {
                w.set(action);
                w
            }
            None => bindings::WitAction::new(self.plugin.pre.version(), action),
        };
        let r = self.call(&c, |s, g| g.apply(s, state, &wit_action));
        self.scratch = Some(wit_action);
        let (r, used) = r?;
        let result = match r {
            Ok(t) => {
                self.check_output(bindings::transition_size(&t))?;
                Ok(t)
            }
            Err(r) => Err(self.rejection(r)?),
        };
        Ok(Applied { result, fuel: used })
    }

    /// Applies `actions` in order with one `apply-batch` call, giving the
    /// same outcomes as consecutive [`Worker::apply`] calls. Fuel, input and
    /// output caps scale with the number of actions sent. If the batch call
    /// faults, the actions are replayed one by one, so only the action that
    /// faults fails.
    pub fn apply_batch(&mut self, state: &[u8], actions: &[Action]) -> BatchApplied {
        let plugin = Arc::clone(&self.plugin);
        // The contract's verdict once per action: refused ones are answered
        // here, the others sent.
        let refused: Vec<Option<Rejection>> = actions
            .iter()
            .map(|a| plugin.check_action(a).err())
            .collect();
        let sent: Vec<&Action> = actions
            .iter()
            .zip(&refused)
            .filter(|(_, r)| r.is_none())
            .map(|(a, _)| a)
            .collect();
        let input = state.len() + sent.iter().map(|a| bindings::action_size(a)).sum::<usize>();
        let n = sent.len().max(1);
        let limits = &plugin.limits;
        let batched = if input > limits.max_input_bytes.saturating_mul(n) || sent.is_empty() {
            None
        } else {
            let seed = || {
                sent.iter()
                    .fold(CallSeed::new("apply-batch").bytes(state), |h, a| {
                        h.action(a)
                    })
                    .finish()
            };
            let c = Call {
                fuel: self.apply_fuel().saturating_mul(n as u64),
                ticks: limits.deadline_ticks().saturating_mul(n as u64),
                seed: Seed::Lazy(&seed),
            };
            // No deadline retry here: any fault replays the actions one by
            // one, and each of those calls retries on its own.
            let slot = Slot {
                live: &mut self.live,
                instantiations: &mut self.instantiations,
                seeds_needed: &mut self.seeds_needed,
            };
            match call::attempt(&plugin, slot, &c, &|s, g| g.apply_batch(s, state, &sent)) {
                Ok((Ok(b), used)) => (bindings::batch_size(&b)
                    <= limits.max_output_bytes.saturating_mul(n))
                .then_some((b, used)),
                // The state does not decode: every action gets the rejection
                // (or the fault, for `invalid-state`).
                Ok((Err(r), used)) => {
                    let r = self.rejection(r);
                    let outcomes = actions.iter().map(|_| r.clone().map(Err)).collect();
                    return BatchApplied {
                        state: state.to_vec(),
                        status: None,
                        outcomes,
                        fuel: used,
                    };
                }
                Err(_) => None,
            }
        };
        match batched {
            Some((b, used)) => {
                let mut sent_outcomes = b.outcomes.into_iter();
                let outcomes = actions
                    .iter()
                    .zip(refused)
                    .map(|(a, refused)| match refused {
                        None => match sent_outcomes.next() {
                            Some(Ok(e)) => Ok(Ok(e)),
                            Some(Err(r)) => self.rejection(r).map(Err),
                            None => Err(lost(a)),
                        },
                        Some(r) => Ok(Err(r)),
                    })
                    .collect();
                let any = b.status;
                BatchApplied {
                    state: b.state,
                    status: Some(any),
                    outcomes,
                    fuel: used,
                }
            }
            None => self.apply_each(state, actions),
        }
    }

    /// The fallback of [`Worker::apply_batch`]: one call per action.
    fn apply_each(&mut self, state: &[u8], actions: &[Action]) -> BatchApplied {
        let mut out = BatchApplied {
            state: state.to_vec(),
            status: None,
            outcomes: Vec::new(),
            fuel: 0,
        };
        for a in actions {
            let o = match self.apply(&out.state, a) {
                Ok(Applied { result, fuel }) => {
                    out.fuel += fuel;
                    Ok(result.map(|t| {
                        out.state = t.state;
                        out.status = Some(t.status);
                        ActionEffects {
                            quest_updates: t.quest_updates,
                            rewards: t.rewards,
                            score_deltas: t.score_deltas,
                        }
                    }))
                }
                Err(f) => Err(f),
            };
            out.outcomes.push(o);
        }
        out
    }

    /// Calls `view(state, player)`.
    pub fn view(
        &mut self,
        state: &[u8],
        player: &str,
    ) -> Result<Result<PlayerView, Rejection>, Fault> {
        self.check_input(state.len() + player.len())?;
        let seed = || {
            CallSeed::new("view")
                .bytes(state)
                .bytes(player.as_bytes())
                .finish()
        };
        let c = setup_call(&self.plugin, Seed::Lazy(&seed));
        let (r, _) = self.call(&c, |s, g| g.view(s, state, player))?;
        let r = match r {
            Ok(v) => Ok(v),
            Err(r) => Err(self.rejection(r)?),
        };
        if let Ok(v) = &r {
            self.check_output(v.summary.len())?;
        }
        Ok(r)
    }

    /// Calls `describe`.
    pub fn describe(&mut self) -> Result<GameTypeInfo, Fault> {
        let c = setup_call(&self.plugin, CallSeed::new("describe").finish());
        let (i, _) = self.call(&c, |s, g| g.describe(s))?;
        Ok(i)
    }

    fn check_input(&self, size: usize) -> Result<(), Fault> {
        let limit = self.plugin.limits.max_input_bytes;
        if size > limit {
            return Err(Fault::InputTooLarge { size, limit });
        }
        Ok(())
    }

    fn check_output(&self, size: usize) -> Result<(), Fault> {
        let limit = self.plugin.limits.max_output_bytes;
        if size > limit {
            return Err(Fault::OutputTooLarge { size, limit });
        }
        Ok(())
    }

    /// Fuel for one `apply`: the lower of the declared budget and the
    /// host's ceiling.
    fn apply_fuel(&self) -> u64 {
        self.plugin
            .info
            .fuel_budget
            .min(self.plugin.limits.max_fuel)
    }

    /// A plugin's rejection, or the fault it stands for: the WIT defines
    /// `invalid-state` as a plugin fault, not a game outcome.
    fn rejection(&self, r: Rejection) -> Result<Rejection, Fault> {
        match r.code {
            RejectionCode::InvalidState => Err(Fault::InvalidState(plugin_text(
                &r.message,
                self.plugin.limits.stderr_capture_bytes,
            ))),
            _ => Ok(r),
        }
    }

    fn call<R>(
        &mut self,
        c: &Call<'_>,
        f: impl Fn(&mut Store<Sandbox>, &GameType) -> wasmtime::Result<R>,
    ) -> Result<(R, u64), Fault> {
        let slot = Slot {
            live: &mut self.live,
            instantiations: &mut self.instantiations,
            seeds_needed: &mut self.seeds_needed,
        };
        call::retrying(&self.plugin, slot, c, &f)
    }
}

/// The limits of `describe`, `init` and `view`.
fn setup_call<'a>(plugin: &Plugin, seed: impl Into<Seed<'a>>) -> Call<'a> {
    Call {
        fuel: plugin.limits.setup_fuel,
        ticks: plugin.limits.deadline_ticks(),
        seed: seed.into(),
    }
}

/// A plugin returned fewer outcomes than actions: a plugin bug.
fn lost(a: &Action) -> Fault {
    Fault::InvalidState(format!("the plugin returned no outcome for `{}`", a.kind))
}
