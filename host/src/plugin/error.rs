//! Typed plugin errors. Callers branch on these: a load error refuses an
//! upload, a fault rejects one call and leaves the game state untouched.

use thiserror::Error;

/// Why a component was refused at load.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Bigger than `max_component_bytes`.
    #[error("component is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a valid WebAssembly component (or a core module).
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// Imports something outside the allow-list.
    #[error(
        "import `{0}` is not allowed: plugins may import only virtualised WASI (clocks, random, cli, io, filesystem types)"
    )]
    ForbiddenImport(String),
    /// Does not export the `veltrix:game/game` interface this host speaks.
    #[error("component does not implement the veltrix:game/game-type world: {0}")]
    WorldMismatch(String),
    /// `describe` faulted or returned something unusable.
    #[error("describe: {0}")]
    BadDescription(String),
    /// Over a `[plugins.component]` limit: refused before compiling (the
    /// static ones) or right after `describe`.
    #[error("component over a limit: {0}")]
    Limit(#[from] super::inspect::LimitExceeded),
}

/// Why one call into a plugin failed. The instance is discarded; the game
/// state the host holds is unchanged.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Ran out of fuel (an infinite or too long loop).
    #[error("plugin used more than its fuel budget of {budget}")]
    FuelExhausted {
        /// The budget it had.
        budget: u64,
    },
    /// Hit the wall-clock deadline.
    #[error("plugin exceeded the {ms} ms deadline")]
    DeadlineExceeded {
        /// The deadline.
        ms: u64,
    },
    /// Tried to grow memory past the limit.
    #[error("plugin tried to use more than {limit} bytes of memory")]
    MemoryExceeded {
        /// The limit.
        limit: usize,
    },
    /// Trapped (a panic, unreachable, out-of-bounds access).
    #[error("plugin trapped: {0}")]
    Trapped(String),
    /// Input over `max_input_bytes`; the plugin was not called.
    #[error("input of {size} bytes is over the {limit}-byte limit")]
    InputTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Output over `max_output_bytes`; discarded.
    #[error("output of {size} bytes is over the {limit}-byte limit")]
    OutputTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The host could not set up an instance (pool exhausted, ...).
    #[error("plugin instance unavailable: {0}")]
    Instantiate(String),
}

impl Fault {
    /// A short stable code for metrics and API responses.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::FuelExhausted { .. } => "fuel-exhausted",
            Fault::DeadlineExceeded { .. } => "deadline-exceeded",
            Fault::MemoryExceeded { .. } => "memory-exceeded",
            Fault::Trapped(_) => "trapped",
            Fault::InputTooLarge { .. } => "input-too-large",
            Fault::OutputTooLarge { .. } => "output-too-large",
            Fault::Instantiate(_) => "instantiate",
        }
    }
}
