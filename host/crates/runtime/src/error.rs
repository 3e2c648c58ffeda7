//! Typed plugin errors. Callers branch on these: a load error refuses an
//! upload, a fault rejects one call and leaves the game state untouched.
//!
//! Every string in here that a plugin could have influenced (its stderr, a
//! panic message, function names in a backtrace, its declared name) passes
//! through [`plugin_text`] first, so it cannot forge log lines or terminal
//! escapes wherever the message ends up.

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
    /// Not the binary encoding of a component: text WAT, a core module, or
    /// anything else.
    #[error("not a WebAssembly component binary: {0}")]
    NotBinary(String),
    /// A component binary that does not validate or compile.
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
    /// Instantiation itself failed (a start function trapped, ran out of
    /// fuel, ...) before `describe` could run.
    #[error("instantiation failed before `describe` ran: {0}")]
    Instantiation(String),
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
    /// Hit the wall-clock backstop twice: once on its instance and again on
    /// a fresh one. Wall time, not the plugin's inputs, decided this, so it
    /// is not an outcome: the game must be parked, not answered.
    #[error(
        "plugin call hit the {ms} ms wall-clock backstop twice (retried on a fresh instance); not an outcome: the game must be parked"
    )]
    Stalled {
        /// The deadline.
        ms: u64,
    },
    /// Tried to grow memory past the limit.
    #[error("plugin tried to use more than {limit} bytes of memory")]
    MemoryExceeded {
        /// The limit.
        limit: usize,
    },
    /// Held more resource handles than `max_handles`.
    #[error("plugin held more than {limit} resource handles (the handle table cap)")]
    HandlesExhausted {
        /// The limit.
        limit: usize,
    },
    /// Called `wasi:cli/exit` (`std::process::exit`).
    #[error("plugin called exit({code})")]
    Exited {
        /// The exit status it asked for.
        code: i32,
    },
    /// Trapped (a panic, unreachable, out-of-bounds access).
    #[error("plugin trapped: {0}")]
    Trapped(String),
    /// Trapped while being instantiated (its start function), before the
    /// call it was created for.
    #[error("plugin trapped while instantiating (start function): {0}")]
    StartTrapped(String),
    /// Returned the `invalid-state` rejection: the state does not decode or
    /// is inconsistent. The WIT defines this as a plugin fault, not a game
    /// outcome.
    #[error("plugin reported invalid state: {0}")]
    InvalidState(String),
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
    ///
    /// Every code but one is a deterministic outcome of (plugin, state,
    /// action) and may be answered and recorded: `fuel-exhausted`,
    /// `memory-exceeded`, `handles-exhausted`, `exited`, `trapped`,
    /// `start-trapped`, `invalid-state`, `input-too-large`,
    /// `output-too-large`. `instantiate` is the host's own trouble (pool
    /// exhausted). `deadline-backstop` ([`Fault::Stalled`]) is not an
    /// outcome at all: the game must be parked, not answered, because a
    /// replay on a less loaded machine could apply the action.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::FuelExhausted { .. } => "fuel-exhausted",
            Fault::Stalled { .. } => "deadline-backstop",
            Fault::MemoryExceeded { .. } => "memory-exceeded",
            Fault::HandlesExhausted { .. } => "handles-exhausted",
            Fault::Exited { .. } => "exited",
            Fault::Trapped(_) => "trapped",
            Fault::StartTrapped(_) => "start-trapped",
            Fault::InvalidState(_) => "invalid-state",
            Fault::InputTooLarge { .. } => "input-too-large",
            Fault::OutputTooLarge { .. } => "output-too-large",
            Fault::Instantiate(_) => "instantiate",
        }
    }

    /// True for [`Fault::Stalled`]: wall time, not the inputs, decided it,
    /// so the caller must not record it as the action's outcome.
    pub fn is_stall(&self) -> bool {
        matches!(self, Fault::Stalled { .. })
    }
}

/// Most bytes of a plugin-declared name (an import, its game-type name)
/// quoted in a load error.
pub const QUOTED_NAME_BYTES: usize = 256;

/// Makes plugin-supplied text safe to log and show: control characters
/// (ESC, CR, LF, ...) and invisible bidi/format characters are written as
/// `\u{..}` escapes, and the result holds at most `max` bytes of the input
/// (a marker says how much was cut).
pub fn plugin_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 16);
    let mut taken = 0;
    for c in s.chars() {
        if taken + c.len_utf8() > max {
            out.push_str(&format!("… ({} more bytes)", s.len() - taken));
            break;
        }
        taken += c.len_utf8();
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Host-side refusals that end a call as a trap.
#[derive(Debug, Error)]
pub enum SandboxTrap {
    /// `poll`/`block` on something that is not ready: waiting is never
    /// allowed, and nothing would ever make it ready.
    #[error("plugin waited on I/O that is never ready in the sandbox (waiting is not allowed)")]
    WouldBlock,
    /// `get-random-bytes` for more than the instance's memory could hold.
    #[error("plugin asked for {len} random bytes, over the {limit}-byte limit")]
    RandomTooLarge {
        /// Bytes asked for.
        len: u64,
        /// The limit (`max_memory_bytes`).
        limit: u64,
    },
    /// Read entropy in a call started without its seed; the host reruns the
    /// call with one (see [`super::entropy`]), so this never reaches a caller.
    #[error("plugin read entropy before the call's seed was computed")]
    SeedPending,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_text_escapes_controls_and_bounds_length() {
        let forged = "boom\n\x1b[2K\rINFO admin logged in\u{202e}";
        let t = plugin_text(forged, 1000);
        assert!(!t.chars().any(needs_escape), "{t}");
        assert!(t.contains("\\u{1b}") && t.contains("\\u{a}") && t.contains("\\u{202e}"));
        assert!(t.starts_with("boom"));
        let long = "é".repeat(100);
        let t = plugin_text(&long, 11);
        assert!(
            t.starts_with(&"é".repeat(5)) && t.ends_with("(190 more bytes)"),
            "{t}"
        );
    }

    #[test]
    fn only_a_stall_is_not_an_outcome() {
        assert_eq!(Fault::Stalled { ms: 5 }.code(), "deadline-backstop");
        assert!(Fault::Stalled { ms: 5 }.is_stall());
        assert!(!Fault::FuelExhausted { budget: 1 }.is_stall());
        assert_eq!(Fault::InvalidState("x".into()).code(), "invalid-state");
        assert_eq!(
            Fault::Exited { code: 0 }.to_string(),
            "plugin called exit(0)"
        );
    }
}
