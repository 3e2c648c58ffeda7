//! The six built-in game types as Rust code linked natively: the same rules
//! as their components in [`veltrix_artifacts`], for the wasm-vs-native
//! benchmark, and their sample workloads (benches, the demo, tests).

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
    ($name:literal, $wasm:ident, $krate:ident :: $ty:ident) => {
        Builtin {
            name: $name,
            wasm: veltrix_artifacts::$wasm,
            native: Native::<$krate::$ty>::boxed,
            sample_config: $krate::sample::config,
            sample_actions: $krate::sample::actions,
        }
    };
}

/// Every built-in game type, in GAME_TYPES.md order (that of
/// [`veltrix_artifacts::BUILTINS`]).
pub static BUILTINS: [Builtin; 6] = [
    builtin!("scavenger", SCAVENGER, veltrix_scavenger::Scavenger),
    builtin!("riddle", RIDDLE, veltrix_riddle::Riddle),
    builtin!("trail", TRAIL, veltrix_trail::Trail),
    builtin!("territory", TERRITORY, veltrix_territory::Territory),
    builtin!("bingo", BINGO, veltrix_bingo::Bingo),
    builtin!("sprint", SPRINT, veltrix_sprint::Sprint),
];

/// The built-in game type called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn native_names_match_the_components() {
        for b in &super::BUILTINS {
            assert_eq!((b.native)().describe().name, b.name);
        }
    }
}
