//! What the check runs against: [`Subject`] (a game type's declarations
//! and the host's admission of an action) and [`Runner`] (its calls). A
//! loaded component is one ([`crate::Plugin`] and [`crate::Worker`]); tests
//! run the same check over a game type compiled natively (planted-bug
//! mutants), which is how the check's reach is itself tested.

use std::sync::Arc;

use veltrix_contract::{Action, ConfigError, GameContract, GameTypeInfo, PlayerView, Rejection};

use crate::{Applied, BatchApplied, Fault, Plugin, Worker};

/// A game type's declarations.
pub trait Subject {
    /// What `describe` returned.
    fn info(&self) -> &GameTypeInfo;
    /// The contract (untyped for a 0.2 component).
    fn contract(&self) -> &GameContract;
    /// The reward types it may mint (`None`: it declared none).
    fn reward_types(&self) -> Option<&[String]>;
    /// The host's checks before `apply` (kind, role, payload schema).
    fn admit(&self, action: &Action) -> Result<(), Rejection>;
    /// A fresh runner of its calls.
    fn runner(&self) -> Box<dyn Runner + '_>;
}

/// The calls of one instance (warm between calls, like a [`Worker`]).
pub trait Runner {
    /// `init`.
    fn init(&mut self, config: &str, seed: u64) -> Result<Result<Vec<u8>, ConfigError>, Fault>;
    /// `apply`.
    fn apply(&mut self, state: &[u8], action: &Action) -> Result<Applied, Fault>;
    /// `apply-batch`.
    fn apply_batch(&mut self, state: &[u8], actions: &[Action]) -> BatchApplied;
    /// `view`.
    fn view(&mut self, state: &[u8], player: &str) -> Result<Result<PlayerView, Rejection>, Fault>;
}

impl Subject for Arc<Plugin> {
    fn info(&self) -> &GameTypeInfo {
        &self.info
    }
    fn contract(&self) -> &GameContract {
        &self.contract
    }
    fn reward_types(&self) -> Option<&[String]> {
        Plugin::reward_types(self)
    }
    fn admit(&self, action: &Action) -> Result<(), Rejection> {
        self.check_action(action)
    }
    fn runner(&self) -> Box<dyn Runner + '_> {
        Box::new(self.worker())
    }
}

impl Runner for Worker {
    fn init(&mut self, config: &str, seed: u64) -> Result<Result<Vec<u8>, ConfigError>, Fault> {
        Worker::init(self, config, seed)
    }
    fn apply(&mut self, state: &[u8], action: &Action) -> Result<Applied, Fault> {
        Worker::apply(self, state, action)
    }
    fn apply_batch(&mut self, state: &[u8], actions: &[Action]) -> BatchApplied {
        Worker::apply_batch(self, state, actions)
    }
    fn view(&mut self, state: &[u8], player: &str) -> Result<Result<PlayerView, Rejection>, Fault> {
        Worker::view(self, state, player)
    }
}
