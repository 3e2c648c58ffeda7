//! The sandbox's randomness: a function of the call, never of the instance.
//!
//! Before every call the worker reseeds the instance's [`Entropy`] with a
//! [`CallSeed`] of what the call receives (state bytes and action, config
//! and seed, ...). `wasi:random/random`, `insecure` and `insecure-seed` then
//! yield streams derived from that seed alone, so the same call sees the
//! same values on any instance, warm or fresh, live or in a rebuild.
//!
//! Guests cache entropy: std seeds `HashMap`'s hash keys once per instance
//! from `insecure-seed` and then counts up, a guest `thread_rng` keeps its
//! state. So a call that read any entropy is the last call of its instance
//! ([`Entropy::read`]); the next call starts fresh and reads its own seed.
//! Plugins that never touch randomness (all built-in game types) keep their
//! warm instance.
//!
//! The seed is a hash of the whole state, which took about a quarter of the
//! host's time per `apply` with a 5 KB state (profiled under `veltrix bench
//! plugins`), and plugins that read entropy are rare. So a call may start
//! with its seed *pending*: the first read then traps
//! ([`SandboxTrap::SeedPending`]) and [`super::call`] reruns the call on a
//! fresh instance with the seed computed. The values a call sees are the
//! same either way: they depend on the seed alone.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use veltrix_contract::{Action, ActorRole};
use wasmtime_wasi::p2::bindings::random::{insecure, insecure_seed, random};

use super::error::SandboxTrap;

/// Per-call random streams of one instance, seeded lazily from the call's
/// seed.
pub struct Entropy {
    /// `None` while pending (see the module docs).
    seed: Option<u64>,
    secure: Option<StdRng>,
    insecure: Option<StdRng>,
    max_bytes: u64,
    read: bool,
    wanted: bool,
}

impl Entropy {
    /// Streams seeded from `seed`; `get-random-bytes` refuses more than
    /// `max_bytes` at once.
    pub fn new(seed: u64, max_bytes: u64) -> Self {
        Self {
            seed: Some(seed),
            secure: None,
            insecure: None,
            max_bytes,
            read: false,
            wanted: false,
        }
    }

    /// Restarts every stream from `seed` (before each call); `None` leaves
    /// the seed pending, so that a read traps.
    pub fn reseed(&mut self, seed: Option<u64>) {
        self.seed = seed;
        self.secure = None;
        self.insecure = None;
        self.wanted = false;
    }

    /// Whether the guest read entropy while the seed was pending (the call
    /// trapped for that reason and must be rerun with a seed).
    pub fn wanted_pending_seed(&self) -> bool {
        self.wanted
    }

    /// Whether the guest ever read entropy on this instance: its memory may
    /// now hold state derived from another call's seed.
    pub fn read(&self) -> bool {
        self.read
    }

    fn derived(&mut self, stream: u64) -> wasmtime::Result<u64> {
        self.read = true;
        let Some(seed) = self.seed else {
            self.wanted = true;
            return Err(SandboxTrap::SeedPending.into());
        };
        Ok(CallSeed(seed).u64(stream).finish())
    }

    fn stream(&mut self, secure: bool) -> wasmtime::Result<&mut StdRng> {
        let seed = self.derived(u64::from(secure))?;
        let slot = if secure {
            &mut self.secure
        } else {
            &mut self.insecure
        };
        Ok(slot.get_or_insert_with(|| StdRng::seed_from_u64(seed)))
    }

    fn bytes(&mut self, secure: bool, len: u64) -> wasmtime::Result<Vec<u8>> {
        if len > self.max_bytes {
            let limit = self.max_bytes;
            return Err(SandboxTrap::RandomTooLarge { len, limit }.into());
        }
        let stream = self.stream(secure)?;
        let mut out = vec![0; len as usize];
        stream.fill_bytes(&mut out);
        Ok(out)
    }
}

impl random::Host for Entropy {
    fn get_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.bytes(true, len)
    }

    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.stream(true)?.next_u64())
    }
}

impl insecure::Host for Entropy {
    fn get_insecure_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.bytes(false, len)
    }

    fn get_insecure_random_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.stream(false)?.next_u64())
    }
}

impl insecure_seed::Host for Entropy {
    fn insecure_seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        Ok((self.derived(2)?, self.derived(3)?))
    }
}

/// A stable 64-bit hash of a call's inputs (stable across hosts and Rust
/// versions, unlike std's `DefaultHasher`), eight bytes per step so that
/// hashing the state costs far less than the call.
#[derive(Debug, Clone, Copy)]
pub struct CallSeed(u64);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl CallSeed {
    /// A seed for a call of `function` (`apply`, `init`, ...).
    pub fn new(function: &str) -> Self {
        Self(0x5eed_0f7e_1a00).bytes(function.as_bytes())
    }

    /// Mixes in `b`, length included, so adjacent fields cannot alias.
    pub fn bytes(self, b: &[u8]) -> Self {
        let step = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(29);
        let mut h = step(self.0, b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            h = step(h, u64::from_le_bytes(c.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        Self(step(h, u64::from_le_bytes(last)))
    }

    /// Mixes in `v`.
    pub fn u64(self, v: u64) -> Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Mixes in what a plugin sees of `a`, except the tenant and game ids
    /// (routing; a game's identity reaches the plugin through its state):
    /// two games with the same state and actions see the same values.
    pub fn action(self, a: &Action) -> Self {
        let loc = a.location.map_or([0; 3], |l| {
            [
                l.lat.to_bits(),
                l.lon.to_bits(),
                u64::from(l.accuracy_m.to_bits()),
            ]
        });
        self.bytes(a.player.as_bytes())
            .bytes(a.team.as_deref().unwrap_or("\u{0}none").as_bytes())
            .bytes(a.idempotency_key.as_bytes())
            .u64(match a.role {
                ActorRole::Player => 0,
                ActorRole::GameMaster => 1,
                ActorRole::System => 2,
            })
            .bytes(a.kind.as_bytes())
            .bytes(a.payload.as_bytes())
            .u64(a.timestamp_ms as u64)
            .u64(u64::from(a.location.is_some()))
            .u64(loc[0])
            .u64(loc[1])
            .u64(loc[2])
    }

    /// The seed (a SplitMix64 finaliser over the state).
    pub fn finish(self) -> u64 {
        let mut z = self.0.wrapping_add(K);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_depend_on_every_input_and_nothing_else() {
        let a = Action::new("p1", "ok", 1).with_payload(serde_json::json!({"x": 1}));
        let seed =
            |state: &[u8], a: &Action| CallSeed::new("apply").bytes(state).action(a).finish();
        assert_eq!(seed(b"s", &a), seed(b"s", &a));
        assert_ne!(seed(b"s", &a), seed(b"t", &a));
        assert_ne!(seed(b"s", &a), seed(b"s", &a.clone().with_key("k2")));
        // The game id is routing, not input.
        assert_eq!(seed(b"s", &a), seed(b"s", &a.clone().with_game("t2", "g2")));
        // Field boundaries count: ("ab", "") differs from ("a", "b").
        let ab = CallSeed::new("x").bytes(b"ab").bytes(b"").finish();
        assert_ne!(ab, CallSeed::new("x").bytes(b"a").bytes(b"b").finish());
    }

    #[test]
    fn reseeding_restarts_the_streams_and_reading_taints() {
        use random::Host as _;
        let mut e = Entropy::new(7, 1024);
        assert!(!e.read());
        let first = e.get_random_u64().unwrap();
        assert!(e.read());
        assert_ne!(first, e.get_random_u64().unwrap());
        e.reseed(Some(7));
        assert_eq!(first, e.get_random_u64().unwrap());
        e.reseed(Some(8));
        assert_ne!(first, e.get_random_u64().unwrap());
        assert!(e.get_random_bytes(4096).is_err());
        // A pending seed traps on the first read and says so.
        e.reseed(None);
        assert!(!e.wanted_pending_seed());
        assert!(e.get_random_u64().is_err());
        assert!(e.wanted_pending_seed());
        e.reseed(Some(7));
        assert!(!e.wanted_pending_seed());
        assert_eq!(first, e.get_random_u64().unwrap());
    }
}
