//! The byte-level contract: exactly what the WIT functions do, in plain Rust.
//!
//! The wasm export glue and the native runner both call these functions, so a
//! game type behaves the same natively (tests, benchmarks) and as a component.

use crate::game::{Effects, GameType};
use veltrix_contract::{
    Action, ActionEffects, Batch, ConfigError, GameContract, GameTypeInfo, PlayerView, Rejection,
    RejectionCode, Transition,
};

/// `describe`: the game type's self-description (its action kinds from
/// the contract when it lists none).
pub fn describe<G: GameType>() -> GameTypeInfo {
    let mut info = G::info();
    if info.action_kinds.is_empty() {
        info.action_kinds = G::contract().kinds();
    }
    info
}

/// `contract`: the typed contract.
pub fn contract<G: GameType>() -> GameContract {
    G::contract().into_inner()
}

/// `init`: parse the JSON config, build and encode the initial state.
pub fn init<G: GameType>(config: &str, seed: u64) -> Result<Vec<u8>, ConfigError> {
    // serde would also build a struct from a JSON array; configs are objects.
    if !config.trim_start().starts_with('{') {
        return Err(ConfigError::new("config must be a JSON object"));
    }
    let config: G::Config =
        serde_json::from_str(config).map_err(|e| ConfigError::new(format!("config: {e}")))?;
    let state = G::init(config, seed)?;
    encode_state::<G>(&state).map_err(|r| ConfigError::new(r.message))
}

/// `apply`: decode the state, apply the action, encode the new state.
pub fn apply<G: GameType>(state: &[u8], action: &Action) -> Result<Transition, Rejection> {
    let size_hint = state.len();
    let mut state = decode_state::<G>(state)?;
    let mut fx = Effects::default();
    G::apply(&mut state, action, &mut fx)?;
    Ok(Transition {
        state: encode_state_sized::<G>(&state, size_hint)?,
        status: G::status(&state),
        quest_updates: fx.quest_updates,
        rewards: fx.rewards,
        score_deltas: fx.score_deltas,
    })
}

/// `apply-batch`: decode once, apply every action in order (a rejected one
/// is rolled back to the state before it), encode once. Outcomes are those
/// of consecutive [`apply`] calls.
pub fn apply_batch<G: GameType>(state: &[u8], actions: &[Action]) -> Result<Batch, Rejection> {
    let size_hint = state.len();
    let mut state = decode_state::<G>(state)?;
    let mut outcomes = Vec::with_capacity(actions.len());
    for action in actions {
        let before = state.clone();
        let mut fx = Effects::default();
        match G::apply(&mut state, action, &mut fx) {
            Ok(()) => outcomes.push(Ok(ActionEffects {
                quest_updates: fx.quest_updates,
                rewards: fx.rewards,
                score_deltas: fx.score_deltas,
            })),
            Err(r) => {
                state = before;
                outcomes.push(Err(r));
            }
        }
    }
    Ok(Batch {
        state: encode_state_sized::<G>(&state, size_hint)?,
        status: G::status(&state),
        outcomes,
    })
}

/// `view`: decode the state and build one player's view.
pub fn view<G: GameType>(state: &[u8], player: &str) -> Result<PlayerView, Rejection> {
    let state = decode_state::<G>(state)?;
    Ok(G::view(&state, player))
}

/// Decodes state bytes (postcard, a compact deterministic binary format).
pub fn decode_state<G: GameType>(bytes: &[u8]) -> Result<G::State, Rejection> {
    postcard::from_bytes(bytes).map_err(|e| {
        Rejection::new(
            RejectionCode::InvalidState,
            format!("state does not decode: {e}"),
        )
    })
}

/// Encodes state bytes.
pub fn encode_state<G: GameType>(state: &G::State) -> Result<Vec<u8>, Rejection> {
    encode_state_sized::<G>(state, 0)
}

/// Encodes state bytes into a buffer pre-sized for `size_hint` bytes (the
/// previous state's size), sparing the reallocations of a growing buffer.
fn encode_state_sized<G: GameType>(
    state: &G::State,
    size_hint: usize,
) -> Result<Vec<u8>, Rejection> {
    let buf = Vec::with_capacity(size_hint + size_hint / 8 + 16);
    postcard::to_extend(state, buf).map_err(|e| {
        Rejection::new(
            RejectionCode::InvalidState,
            format!("state does not encode: {e}"),
        )
    })
}

/// The standard rejection for an action kind a game type does not handle.
pub fn unknown_kind(action: &Action) -> Rejection {
    Rejection::new(
        RejectionCode::UnknownKind,
        format!("unknown action kind `{}`", action.kind),
    )
}
