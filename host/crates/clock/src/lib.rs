//! The host's clock, passed in rather than read (Materialize's `NowFn`).
//!
//! Every piece of logic that decides by wall time (claim and lease
//! expiry, retention, tick schedules, the times stamped on rows and
//! outcomes) asks the [`Clock`] it was given. Production wires
//! [`Clock::system`] once, in the composition root; a test that needs
//! time to pass builds [`Clock::manual`] and moves it with
//! [`ManualClock::advance`] instead of sleeping, so it is exact and
//! instant.
//!
//! Durations measured for telemetry (latency of a call) use
//! `std::time::Instant` directly: they measure, they do not decide.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Milliseconds since the Unix epoch, from whichever source it was built
/// with. Cheap to clone and to call.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Self {
        Self(Arc::new(system_ms))
    }

    /// A clock that stands still at `start_ms` until its handle moves it.
    pub fn manual(start_ms: i64) -> (Self, ManualClock) {
        let handle = ManualClock(Arc::new(AtomicI64::new(start_ms)));
        let read = handle.clone();
        (Self(Arc::new(move || read.now_ms())), handle)
    }

    /// A manual clock starting at the system's current time (rows stamped
    /// by it look like today's).
    pub fn manual_from_now() -> (Self, ManualClock) {
        Self::manual(system_ms())
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.now_ms()).finish()
    }
}

/// The handle that moves a [`Clock::manual`].
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `ms` (it may go backwards, as a real one can).
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    /// The time the clock shows.
    pub fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The system's wall clock in ms since the Unix epoch (0 before 1970).
fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let (clock, hand) = Clock::manual(1_000);
        let copy = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        hand.advance(Duration::from_millis(250));
        assert_eq!(copy.now_ms(), 1_250);
        hand.set(10);
        assert_eq!(clock.now_ms(), 10);
    }

    #[test]
    fn the_system_clock_reads_the_wall() {
        let before = system_ms();
        let now = Clock::system().now_ms();
        assert!(now >= before && now - before < 60_000, "{before} {now}");
    }
}
