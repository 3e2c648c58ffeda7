//! The WASI interfaces the host implements itself, linked over
//! wasmtime-wasi's (`Linker::allow_shadowing`), so that no WASI call a
//! plugin can make ever waits:
//!
//! - `wasi:clocks/monotonic-clock`: frozen at 0, and `subscribe-instant` /
//!   `subscribe-duration` return pollables that are already ready. A sleep
//!   (`std::thread::sleep`, `nanosleep`, a `poll` timeout) returns at once.
//!   wasmtime-wasi's own version arms a real tokio timer whatever clock the
//!   context was given, and fuel does not count the wait.
//! - `wasi:io/poll`: `poll` and `pollable.block` look once and never wait.
//!   Every pollable the sandbox hands out (clocks above, stdin closed, stdout
//!   discarded, stderr captured) is ready at once; should one ever not be,
//!   the call traps with [`SandboxTrap::WouldBlock`] instead of blocking.
//! - `wasi:random/*`: see [`super::entropy`].

use futures::FutureExt as _;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::random::{insecure, insecure_seed, random};
use wasmtime_wasi::p2::bindings::sync::io::poll;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};
use wasmtime_wasi_io::bindings::wasi::io::poll as async_poll;

use super::entropy::Entropy;
use super::error::SandboxTrap;
use super::sandbox::Sandbox;

/// Links the overriding interfaces over those `add_to_linker_sync` added.
pub fn link(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    monotonic_clock::add_to_linker::<Sandbox, NoWaitIo>(linker, |s| NoWait(&mut s.table))?;
    poll::add_to_linker::<Sandbox, NoWaitIo>(linker, |s| NoWait(&mut s.table))?;
    random::add_to_linker::<Sandbox, EntropyIo>(linker, |s| &mut s.entropy)?;
    insecure::add_to_linker::<Sandbox, EntropyIo>(linker, |s| &mut s.entropy)?;
    insecure_seed::add_to_linker::<Sandbox, EntropyIo>(linker, |s| &mut s.entropy)?;
    linker.allow_shadowing(false);
    Ok(())
}

struct NoWaitIo;

impl HasData for NoWaitIo {
    type Data<'a> = NoWait<'a>;
}

struct EntropyIo;

impl HasData for EntropyIo {
    type Data<'a> = &'a mut Entropy;
}

/// The resource table, seen through the never-waiting clock and poll.
pub struct NoWait<'a>(&'a mut ResourceTable);

/// A timer that has always already fired.
struct Elapsed;

#[wasmtime_wasi::async_trait]
impl Pollable for Elapsed {
    async fn ready(&mut self) {}
}

impl NoWait<'_> {
    fn elapsed(&mut self) -> wasmtime::Result<Resource<DynPollable>> {
        let timer = self.0.push(Elapsed)?;
        subscribe(self.0, timer)
    }
}

impl monotonic_clock::Host for NoWait<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(0)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(1_000_000_000)
    }

    fn subscribe_instant(
        &mut self,
        _when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.elapsed()
    }

    fn subscribe_duration(
        &mut self,
        _when: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.elapsed()
    }
}

impl poll::Host for NoWait<'_> {
    fn poll(&mut self, pollables: Vec<Resource<DynPollable>>) -> wasmtime::Result<Vec<u32>> {
        // One look with a no-op waker: whatever is ready now, or a trap.
        async_poll::Host::poll(self.0, pollables)
            .now_or_never()
            .unwrap_or_else(|| Err(SandboxTrap::WouldBlock.into()))
    }
}

impl poll::HostPollable for NoWait<'_> {
    fn ready(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<bool> {
        async_poll::HostPollable::ready(self.0, pollable)
            .now_or_never()
            .unwrap_or(Ok(false))
    }

    fn block(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        async_poll::HostPollable::block(self.0, pollable)
            .now_or_never()
            .unwrap_or_else(|| Err(SandboxTrap::WouldBlock.into()))
    }

    fn drop(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        async_poll::HostPollable::drop(self.0, pollable)
    }
}
