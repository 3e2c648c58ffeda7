//! The contract's data types (mirrors of `wit/game.wit`), from
//! `veltrix-contract`: what a game type reads (actions, configs) and what
//! it produces (effects, rejections, its self-description and views).

pub use veltrix_contract::{
    Action, ActorRole, Board, ConfigError, GameStatus, GameTypeInfo, Location, PlayerView,
    QuestUpdate, Rejection, RejectionCode, Reward, ScoreDelta, Transition,
};
