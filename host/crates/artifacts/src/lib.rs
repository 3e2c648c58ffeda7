//! # veltrix-artifacts
//!
//! The guest components, built for `wasm32-wasip2` by this crate's
//! `build.rs` (the wasmtime test-programs pattern: one crate builds every
//! guest) and embedded as bytes. Nothing else in the host depends on the SDK
//! or a game type's source, so an edit to a host crate never rebuilds a
//! guest, and an edit to a guest rebuilds this crate and what embeds it.
//!
//! - [`BUILTINS`]: the six built-in game types;
//! - [`PROBE`], [`NETPROBE`], [`BLOAT`]: the test guests under
//!   `plugins/testing/`.

/// One built-in game type's component.
#[derive(Debug)]
pub struct Guest {
    /// Game-type name (what its `describe` says).
    pub name: &'static str,
    /// The component bytes (empty when `VELTRIX_GUEST_ONLY` left it out).
    pub wasm: &'static [u8],
}

/// The `scavenger` component.
pub const SCAVENGER: &[u8] = include_bytes!(env!("VELTRIX_GUEST_SCAVENGER"));
/// The `riddle` component.
pub const RIDDLE: &[u8] = include_bytes!(env!("VELTRIX_GUEST_RIDDLE"));
/// The `trail` component.
pub const TRAIL: &[u8] = include_bytes!(env!("VELTRIX_GUEST_TRAIL"));
/// The `territory` component.
pub const TERRITORY: &[u8] = include_bytes!(env!("VELTRIX_GUEST_TERRITORY"));
/// The `bingo` component.
pub const BINGO: &[u8] = include_bytes!(env!("VELTRIX_GUEST_BINGO"));
/// The `sprint` component.
pub const SPRINT: &[u8] = include_bytes!(env!("VELTRIX_GUEST_SPRINT"));

/// Every built-in game type, in GAME_TYPES.md order.
pub static BUILTINS: [Guest; 6] = [
    Guest {
        name: "scavenger",
        wasm: SCAVENGER,
    },
    Guest {
        name: "riddle",
        wasm: RIDDLE,
    },
    Guest {
        name: "trail",
        wasm: TRAIL,
    },
    Guest {
        name: "territory",
        wasm: TERRITORY,
    },
    Guest {
        name: "bingo",
        wasm: BINGO,
    },
    Guest {
        name: "sprint",
        wasm: SPRINT,
    },
];

/// The built-in game type called `name`.
pub fn find(name: &str) -> Option<&'static Guest> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The probe test guest (`plugins/testing/probe`): its `noop` kind
/// measures the host's fixed cost per call; other kinds misbehave on
/// purpose (loop, trap, allocate).
pub static PROBE: &[u8] = include_bytes!(env!("VELTRIX_GUEST_PROBE"));

/// The netprobe test guest (`plugins/testing/netprobe`): imports what the
/// sandbox refuses (sockets).
pub static NETPROBE: &[u8] = include_bytes!(env!("VELTRIX_GUEST_NETPROBE"));

/// The bloat test guest (`plugins/testing/bloat`): its `describe` is far
/// over the upload limits (a 2 MiB config schema, 100,002 action kinds).
pub static BLOAT: &[u8] = include_bytes!(env!("VELTRIX_GUEST_BLOAT"));

/// The legacy test guest (`plugins/testing/legacy`): a game type built
/// against WIT 0.2.0, before `contract` existed (`legacy-tap`: `tap` mints
/// 1-100 points, `end` finishes).
pub static LEGACY: &[u8] = include_bytes!(env!("VELTRIX_GUEST_LEGACY"));
