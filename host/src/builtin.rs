//! The six built-in game types: their components (built by `build.rs` and
//! embedded in the binary), the same Rust code linked natively (for the
//! wasm-vs-native benchmark), and their sample workloads.

use veltrix_sdk::Action;
use veltrix_sdk::native::{DynGame, Native};

/// One built-in game type.
pub struct Builtin {
    /// Game-type name.
    pub name: &'static str,
    /// The component bytes.
    pub wasm: &'static [u8],
    /// The native runner of the same code.
    pub native: fn() -> Box<dyn DynGame>,
    /// A benchmark game config (JSON).
    pub sample_config: fn() -> String,
    /// A deterministic benchmark action stream of `n` actions.
    pub sample_actions: fn(usize, u64) -> Vec<Action>,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builtin").field("name", &self.name).finish()
    }
}

macro_rules! builtin {
    ($name:literal, $env:literal, $krate:ident :: $ty:ident) => {
        Builtin {
            name: $name,
            wasm: include_bytes!(env!($env)),
            native: Native::<$krate::$ty>::boxed,
            sample_config: $krate::sample::config,
            sample_actions: $krate::sample::actions,
        }
    };
}

/// Every built-in game type, in GAME_TYPES.md order.
pub static BUILTINS: [Builtin; 6] = [
    builtin!("scavenger", "VELTRIX_GUEST_SCAVENGER", veltrix_scavenger::Scavenger),
    builtin!("riddle", "VELTRIX_GUEST_RIDDLE", veltrix_riddle::Riddle),
    builtin!("trail", "VELTRIX_GUEST_TRAIL", veltrix_trail::Trail),
    builtin!("territory", "VELTRIX_GUEST_TERRITORY", veltrix_territory::Territory),
    builtin!("bingo", "VELTRIX_GUEST_BINGO", veltrix_bingo::Bingo),
    builtin!("sprint", "VELTRIX_GUEST_SPRINT", veltrix_sprint::Sprint),
];

/// The built-in game type called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The probe test guest (see `plugins/testing/probe`): its `noop` kind
/// measures the host's fixed cost per call.
pub static PROBE: &[u8] = include_bytes!(env!("VELTRIX_GUEST_PROBE"));
