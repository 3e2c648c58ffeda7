//! One call into a plugin instance: instantiation, limits, the deadline
//! retry, and the classification of failures into [`Fault`]s.
//!
//! Fuel is the budget that decides outcomes: it counts the same on every
//! machine. The epoch deadline (`deadline_ms`) is only a backstop for what
//! fuel cannot see, so its verdict depends on machine load. A call that hits
//! it is therefore retried once on a fresh instance; a second hit is
//! [`Fault::Stalled`], which callers must not record as an outcome.
//!
//! A call's entropy seed may be [`Seed::Lazy`]: computed only if the guest
//! reads entropy. That first read traps, and the call runs again on a fresh
//! instance with the seed; the worker then computes seeds up front for that
//! plugin ([`Slot::seeds_needed`]), so only its first such call runs twice.

use tracing::warn;
use wasmtime::component::ResourceTableError;
use wasmtime::{Store, Trap};
use wasmtime_wasi::I32Exit;

use super::bindings::GameType;
use super::error::Fault;
use super::error::SandboxTrap;
use super::plugin::Plugin;
use super::sandbox::Sandbox;

/// A warm instance.
pub(super) struct Live {
    pub(super) store: Store<Sandbox>,
    pub(super) guest: GameType,
    pub(super) calls: u64,
}

/// The limits and entropy seed of one call.
pub(super) struct Call<'a> {
    /// Fuel it may burn.
    pub(super) fuel: u64,
    /// Epoch ticks before the backstop fires.
    pub(super) ticks: u64,
    /// Seed of the sandbox's random streams (a hash of the call's inputs).
    pub(super) seed: Seed<'a>,
}

/// A call's entropy seed, or how to compute it when it is needed.
#[derive(Clone, Copy)]
pub(super) enum Seed<'a> {
    /// Already computed.
    Known(u64),
    /// Computed only if the guest reads entropy.
    Lazy(&'a dyn Fn() -> u64),
}

impl From<u64> for Seed<'_> {
    fn from(s: u64) -> Self {
        Self::Known(s)
    }
}

/// The instance slot of a worker, how many instances it created, and
/// whether its plugin has read entropy (so seeds are computed up front).
pub(super) struct Slot<'a> {
    pub(super) live: &'a mut Option<Live>,
    pub(super) instantiations: &'a mut u64,
    pub(super) seeds_needed: &'a mut bool,
}

/// Runs `f` as [`attempt`] does; if the backstop fired, once more on a
/// fresh instance, and a second hit is [`Fault::Stalled`].
pub(super) fn retrying<R>(
    plugin: &Plugin,
    slot: Slot<'_>,
    call: &Call<'_>,
    f: &impl Fn(&mut Store<Sandbox>, &GameType) -> wasmtime::Result<R>,
) -> Result<(R, u64), Fault> {
    let Slot {
        live,
        instantiations,
        seeds_needed,
    } = slot;
    let first = Slot {
        live: &mut *live,
        instantiations: &mut *instantiations,
        seeds_needed: &mut *seeds_needed,
    };
    match attempt(plugin, first, call, f) {
        Err(Fault::Stalled { ms }) => {
            warn!(plugin = %plugin.info.name, hash = %plugin.hash, deadline_ms = ms,
                  "plugin call hit the wall-clock backstop; retrying once on a fresh instance");
            let fresh = Slot {
                live,
                instantiations,
                seeds_needed,
            };
            let r = attempt(plugin, fresh, call, f);
            if let Err(fault) = &r
                && fault.is_stall()
            {
                warn!(plugin = %plugin.info.name, hash = %plugin.hash, deadline_ms = ms,
                      "plugin call stalled twice: reported as deadline-backstop");
            }
            r
        }
        r => r,
    }
}

/// Runs `f` on the slot's warm instance (creating one if there is none)
/// under `call`'s limits. The instance is kept only if the call succeeded,
/// stayed under the recycling thresholds, and never read entropy. A call
/// that read entropy before its lazy seed was known runs again on a fresh
/// instance with the seed.
pub(super) fn attempt<R>(
    plugin: &Plugin,
    slot: Slot<'_>,
    call: &Call<'_>,
    f: &impl Fn(&mut Store<Sandbox>, &GameType) -> wasmtime::Result<R>,
) -> Result<(R, u64), Fault> {
    let seed = match call.seed {
        Seed::Known(s) => Some(s),
        Seed::Lazy(of) if *slot.seeds_needed => Some(of()),
        Seed::Lazy(_) => None,
    };
    let mut live = match slot.live.take() {
        Some(l) => l,
        None => {
            *slot.instantiations += 1;
            instantiate(plugin)?
        }
    };
    let r = run(plugin, &mut live, call, seed, f);
    if r.is_err() && live.store.data().wanted_pending_seed() {
        // The instance trapped mid-call: drop it, rerun with the seed.
        *slot.seeds_needed = true;
        return attempt(plugin, slot, call, f);
    }
    let limits = &plugin.limits;
    let data = live.store.data();
    let keep = r.is_ok()
        && live.calls < limits.recycle_after_calls
        && data.limiter.memory_bytes <= limits.recycle_memory_bytes
        // Guest-side caches of entropy (std's HashMap keys) would carry this
        // call's seed into the next call: start that one fresh.
        && !data.entropy_read();
    if keep {
        *slot.live = Some(live);
    }
    r
}

/// A fresh instance. Instantiation runs start functions under the setup
/// budget; a trap there is a [`Fault::StartTrapped`].
pub(super) fn instantiate(plugin: &Plugin) -> Result<Live, Fault> {
    let limits = &plugin.limits;
    let mut store = Store::new(&plugin.engine, Sandbox::new(limits));
    store.limiter(|s| &mut s.limiter);
    store.set_max_component_handles(limits.max_handles);
    store
        .set_fuel(limits.setup_fuel)
        .map_err(|e| Fault::Instantiate(e.to_string()))?;
    store.set_epoch_deadline(limits.deadline_ticks());
    let guest = match plugin.pre.instantiate(&mut store) {
        Ok(g) => g,
        Err(e) => {
            return Err(match classify(&e, &store, plugin, limits.setup_fuel) {
                Fault::Trapped(m) => Fault::StartTrapped(m),
                f => f,
            });
        }
    };
    Ok(Live {
        store,
        guest,
        calls: 0,
    })
}

fn run<R>(
    plugin: &Plugin,
    live: &mut Live,
    call: &Call<'_>,
    seed: Option<u64>,
    f: &impl Fn(&mut Store<Sandbox>, &GameType) -> wasmtime::Result<R>,
) -> Result<(R, u64), Fault> {
    live.calls += 1;
    let store = &mut live.store;
    store.data_mut().begin_call(seed);
    store
        .set_fuel(call.fuel)
        .map_err(|e| Fault::Instantiate(e.to_string()))?;
    store.set_epoch_deadline(call.ticks);
    let r = f(store, &live.guest);
    let used = call.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
    match r {
        Ok(v) => Ok((v, used)),
        Err(e) => Err(classify(&e, store, plugin, call.fuel)),
    }
}

/// Names what went wrong. wasmtime wraps host-call errors in a backtrace
/// context, whose text is a bare backtrace: look for the cause instead.
fn classify(e: &wasmtime::Error, store: &Store<Sandbox>, plugin: &Plugin, fuel: u64) -> Fault {
    let limits = &plugin.limits;
    let sandbox = store.data();
    let with_stderr = |what: String| {
        let stderr = sandbox.stderr();
        if stderr.is_empty() {
            Fault::Trapped(what)
        } else {
            Fault::Trapped(format!("{what} ({stderr})"))
        }
    };
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return match trap {
            Trap::OutOfFuel => Fault::FuelExhausted { budget: fuel },
            Trap::Interrupt => Fault::Stalled {
                ms: limits.deadline_ms,
            },
            _ if sandbox.limiter.exceeded => Fault::MemoryExceeded {
                limit: limits.max_memory_bytes,
            },
            trap => with_stderr(trap.to_string()),
        };
    }
    if let Some(exit) = e.downcast_ref::<I32Exit>() {
        return Fault::Exited { code: exit.0 };
    }
    let cause = e.root_cause().to_string();
    // The host table says so with a type; wasmtime's own handle table
    // only with a message.
    if matches!(
        e.downcast_ref::<ResourceTableError>(),
        Some(ResourceTableError::Full)
    ) || cause.contains("cannot allocate another handle")
    {
        return Fault::HandlesExhausted {
            limit: limits.max_handles,
        };
    }
    if sandbox.limiter.exceeded {
        return Fault::MemoryExceeded {
            limit: limits.max_memory_bytes,
        };
    }
    if let Some(t) = e.downcast_ref::<SandboxTrap>() {
        return with_stderr(t.to_string());
    }
    with_stderr(sandbox.quote(&cause))
}
