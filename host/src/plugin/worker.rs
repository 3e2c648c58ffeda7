//! A worker runs calls into one plugin under the per-call limits.
//!
//! Instantiating per call would cost more than the call itself, so a worker
//! keeps one warm instance and resets fuel and the epoch deadline before each
//! call. The plugin contract is a pure function of (state, action), so reuse
//! is invisible to a conforming plugin; one that keeps hidden state between
//! calls fails `veltrix plugin check`'s replay test. The instance is dropped
//! after any fault (its memory may be inconsistent), after
//! `recycle_after_calls` calls, and when its memory grew past
//! `recycle_memory_bytes`.

use std::sync::Arc;

use veltrix_sdk::{
    Action, ActionEffects, ConfigError, GameStatus, GameTypeInfo, PlayerView, Rejection,
    RejectionCode, Transition,
};
use wasmtime::{Store, Trap};

use super::bindings::{self, GameType};
use super::error::Fault;
use super::host::Plugin;
use super::sandbox::Sandbox;

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

struct Live {
    store: Store<Sandbox>,
    guest: GameType,
    calls: u64,
}

/// Runs calls into one plugin; use one per thread.
pub struct Worker {
    plugin: Arc<Plugin>,
    live: Option<Live>,
    instantiations: u64,
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
            scratch: None,
        }
    }

    /// `describe` on a plugin still being loaded.
    pub(crate) fn describe_unloaded(plugin: &Plugin) -> Result<GameTypeInfo, Fault> {
        let mut live = instantiate(plugin)?;
        let fuel = plugin.limits.setup_fuel;
        let r = run(plugin, &mut live, fuel, |s, g| {
            g.veltrix_game_game().call_describe(s)
        });
        r.map(|(i, _)| bindings::info(i))
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
        let fuel = self.plugin.limits.setup_fuel;
        let (r, _) = self.call(fuel, |s, g| {
            g.veltrix_game_game().call_init(s, config, seed)
        })?;
        let r = r.map_err(bindings::config_error);
        if let Ok(state) = &r {
            self.check_output(state.len())?;
        }
        Ok(r)
    }

    /// Calls `apply(state, action)`. An action kind the plugin did not
    /// declare is rejected without calling it. The caller keeps `state`
    /// unless the result is a transition.
    pub fn apply(&mut self, state: &[u8], action: &Action) -> Result<Applied, Fault> {
        if !self.plugin.info.action_kinds.contains(&action.kind) {
            return Ok(Applied {
                result: Err(Rejection::new(
                    RejectionCode::UnknownKind,
                    format!(
                        "`{}` is not an action kind of {}",
                        action.kind, self.plugin.info.name
                    ),
                )),
                fuel: 0,
            });
        }
        self.check_input(state.len() + bindings::action_size(action))?;
        let fuel = self
            .plugin
            .info
            .fuel_budget
            .min(self.plugin.limits.max_fuel);
        let wit_action = match self.scratch.take() {
            Some(mut w) => {
                bindings::action_into(action, &mut w);
                w
            }
            None => bindings::action(action),
        };
        let r = self.call(fuel, |s, g| {
            g.veltrix_game_game().call_apply(s, state, &wit_action)
        });
        self.scratch = Some(wit_action);
        let (r, used) = r?;
        let result = match r {
            Ok(t) => {
                let t = bindings::transition(t);
                self.check_output(bindings::transition_size(&t))?;
                Ok(t)
            }
            Err(r) => Err(bindings::rejection(r)),
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
        let declared = |a: &Action| plugin.info.action_kinds.contains(&a.kind);
        let sent: Vec<&Action> = actions.iter().filter(|a| declared(a)).collect();
        let input = state.len() + sent.iter().map(|a| bindings::action_size(a)).sum::<usize>();
        let n = sent.len().max(1);
        let limits = &plugin.limits;
        let fuel = plugin
            .info
            .fuel_budget
            .min(limits.max_fuel)
            .saturating_mul(n as u64);
        let batched = if input > limits.max_input_bytes.saturating_mul(n) || sent.is_empty() {
            None
        } else {
            let wit: Vec<bindings::WitAction> = sent.iter().map(|a| bindings::action(a)).collect();
            match self.call(fuel, |s, g| {
                g.veltrix_game_game().call_apply_batch(s, state, &wit)
            }) {
                Ok((Ok(b), used)) => {
                    let b = bindings::batch(b);
                    (bindings::batch_size(&b) <= limits.max_output_bytes.saturating_mul(n))
                        .then_some((b, used))
                }
                // The state does not decode: every action gets the rejection.
                Ok((Err(r), used)) => {
                    let r = bindings::rejection(r);
                    let outcomes = actions.iter().map(|_| Ok(Err(r.clone()))).collect();
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
                    .map(|a| match declared(a) {
                        true => Ok(sent_outcomes.next().unwrap_or_else(|| Err(lost(a)))),
                        false => Ok(Err(undeclared(a, &plugin.info.name))),
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
        let fuel = self.plugin.limits.setup_fuel;
        let (r, _) = self.call(fuel, |s, g| {
            g.veltrix_game_game().call_view(s, state, player)
        })?;
        let r = r.map(bindings::view).map_err(bindings::rejection);
        if let Ok(v) = &r {
            self.check_output(v.summary.len())?;
        }
        Ok(r)
    }

    /// Calls `describe`.
    pub fn describe(&mut self) -> Result<GameTypeInfo, Fault> {
        let fuel = self.plugin.limits.setup_fuel;
        let (i, _) = self.call(fuel, |s, g| g.veltrix_game_game().call_describe(s))?;
        Ok(bindings::info(i))
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

    fn call<R>(
        &mut self,
        fuel: u64,
        f: impl FnOnce(&mut Store<Sandbox>, &GameType) -> wasmtime::Result<R>,
    ) -> Result<(R, u64), Fault> {
        let mut live = match self.live.take() {
            Some(l) => l,
            None => {
                self.instantiations += 1;
                instantiate(&self.plugin)?
            }
        };
        let r = run(&self.plugin, &mut live, fuel, f);
        let limits = &self.plugin.limits;
        let keep = r.is_ok()
            && live.calls < limits.recycle_after_calls
            && live.store.data().limiter.memory_bytes <= limits.recycle_memory_bytes;
        if keep {
            self.live = Some(live);
        }
        r
    }
}

fn undeclared(a: &Action, game_type: &str) -> Rejection {
    Rejection::new(
        RejectionCode::UnknownKind,
        format!("`{}` is not an action kind of {game_type}", a.kind),
    )
}

/// A plugin returned fewer outcomes than actions: treat the rest as refused.
fn lost(a: &Action) -> Rejection {
    Rejection::new(
        RejectionCode::InvalidState,
        format!("the plugin returned no outcome for `{}`", a.kind),
    )
}

fn instantiate(plugin: &Plugin) -> Result<Live, Fault> {
    let mut store = Store::new(&plugin.engine, Sandbox::new(&plugin.limits));
    store.limiter(|s| &mut s.limiter);
    // Instantiation runs start functions: give it the setup budget.
    store
        .set_fuel(plugin.limits.setup_fuel)
        .map_err(|e| Fault::Instantiate(e.to_string()))?;
    store.set_epoch_deadline(plugin.limits.deadline_ticks());
    let guest = plugin
        .pre
        .instantiate(&mut store)
        .map_err(|e| classify(&e, &store, plugin, plugin.limits.setup_fuel))?;
    Ok(Live {
        store,
        guest,
        calls: 0,
    })
}

fn run<R>(
    plugin: &Plugin,
    live: &mut Live,
    fuel: u64,
    f: impl FnOnce(&mut Store<Sandbox>, &GameType) -> wasmtime::Result<R>,
) -> Result<(R, u64), Fault> {
    live.calls += 1;
    let store = &mut live.store;
    store
        .set_fuel(fuel)
        .map_err(|e| Fault::Instantiate(e.to_string()))?;
    store.set_epoch_deadline(plugin.limits.deadline_ticks());
    let r = f(store, &live.guest);
    let used = fuel.saturating_sub(store.get_fuel().unwrap_or(0));
    match r {
        Ok(v) => Ok((v, used)),
        Err(e) => Err(classify(&e, store, plugin, fuel)),
    }
}

fn classify(e: &wasmtime::Error, store: &Store<Sandbox>, plugin: &Plugin, fuel: u64) -> Fault {
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Fault::FuelExhausted { budget: fuel },
        Some(Trap::Interrupt) => Fault::DeadlineExceeded {
            ms: plugin.limits.deadline_ms,
        },
        _ if store.data().limiter.exceeded => Fault::MemoryExceeded {
            limit: plugin.limits.max_memory_bytes,
        },
        Some(trap) => {
            let stderr = store.data().stderr();
            if stderr.is_empty() {
                Fault::Trapped(trap.to_string())
            } else {
                Fault::Trapped(format!("{trap} ({stderr})"))
            }
        }
        None => Fault::Trapped(format!("{e}")),
    }
}
