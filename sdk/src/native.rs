//! Run a game type natively, behind an object-safe trait.
//!
//! The host uses this to benchmark a game type's wasm component against the
//! same Rust code compiled natively, through the same byte-level contract.

use std::marker::PhantomData;

use crate::game::GameType;
use crate::raw;
use veltrix_contract::{
    Action, Batch, ConfigError, GameContract, GameTypeInfo, PlayerView, Rejection, Transition,
};

/// A game type with its type erased: the WIT functions as a trait object.
pub trait DynGame: Send + Sync {
    /// `describe`.
    fn describe(&self) -> GameTypeInfo;
    /// `contract`.
    fn contract(&self) -> GameContract;
    /// `init`.
    fn init(&self, config: &str, seed: u64) -> Result<Vec<u8>, ConfigError>;
    /// `apply`.
    fn apply(&self, state: &[u8], action: &Action) -> Result<Transition, Rejection>;
    /// `apply-batch`.
    fn apply_batch(&self, state: &[u8], actions: &[Action]) -> Result<Batch, Rejection>;
    /// `view`.
    fn view(&self, state: &[u8], player: &str) -> Result<PlayerView, Rejection>;
}

/// The native runner of game type `G`.
pub struct Native<G>(PhantomData<fn() -> G>);

impl<G> std::fmt::Debug for Native<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Native")
    }
}

impl<G: GameType + 'static> Native<G> {
    /// Boxes the native runner of `G`.
    pub fn boxed() -> Box<dyn DynGame> {
        Box::new(Native::<G>(PhantomData))
    }
}

impl<G: GameType> DynGame for Native<G> {
    fn describe(&self) -> GameTypeInfo {
        raw::describe::<G>()
    }
    fn contract(&self) -> GameContract {
        raw::contract::<G>()
    }
    fn init(&self, config: &str, seed: u64) -> Result<Vec<u8>, ConfigError> {
        raw::init::<G>(config, seed)
    }
    fn apply(&self, state: &[u8], action: &Action) -> Result<Transition, Rejection> {
        raw::apply::<G>(state, action)
    }
    fn apply_batch(&self, state: &[u8], actions: &[Action]) -> Result<Batch, Rejection> {
        raw::apply_batch::<G>(state, actions)
    }
    fn view(&self, state: &[u8], player: &str) -> Result<PlayerView, Rejection> {
        raw::view::<G>(state, player)
    }
}
