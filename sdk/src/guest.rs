//! The component side: wit-bindgen glue, compiled only for wasm targets.
//!
//! This is the one place on the guest side that owns the WIT bindings.
//! Partners never see it: [`crate::export_game!`] expands to an impl of the
//! generated `Guest` trait that forwards to [`crate::raw`], moving every
//! field between the generated types and [`crate::types`] (no copies).
#![allow(unsafe_code, missing_docs, clippy::all)]

/// The wit-bindgen output for the `veltrix:game/game-type` world.
pub mod bindings {
    wit_bindgen::generate!({
        world: "game-type",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_game_type_world",
        default_bindings_module: "veltrix_sdk::__private::bindings",
    });
}

use bindings::exports::veltrix::game::game as wit;

pub use wit::Guest;

use crate::game::GameType;
use crate::raw;
use veltrix_contract as t;

pub fn describe<G: GameType>() -> wit::GameTypeInfo {
    let i = raw::describe::<G>();
    wit::GameTypeInfo {
        name: i.name,
        version: i.version,
        config_schema: i.config_schema,
        example_config: i.example_config,
        action_kinds: i.action_kinds,
        latency_budget_us: i.latency_budget_us,
        fuel_budget: i.fuel_budget,
    }
}

pub fn contract<G: GameType>() -> wit::GameContract {
    let c = raw::contract::<G>();
    wit::GameContract {
        actions: c
            .actions
            .into_iter()
            .map(|a| wit::ActionSpec {
                kind: a.kind,
                description: a.description,
                roles: a
                    .roles
                    .into_iter()
                    .map(|r| match r {
                        t::ActorRole::Player => wit::ActorRole::Player,
                        t::ActorRole::GameMaster => wit::ActorRole::GameMaster,
                        t::ActorRole::System => wit::ActorRole::System,
                    })
                    .collect(),
                payload_schema: a.payload_schema,
                takes_location: a.takes_location,
                takes_evidence: a.takes_evidence,
            })
            .collect(),
        reward_types: c.reward_types,
    }
}

pub fn init<G: GameType>(config: String, seed: u64) -> Result<Vec<u8>, wit::ConfigError> {
    raw::init::<G>(&config, seed).map_err(|e| wit::ConfigError { message: e.message })
}

fn action(action: wit::Action) -> t::Action {
    t::Action {
        tenant: action.tenant,
        game: action.game,
        player: action.player,
        team: action.team,
        idempotency_key: action.idempotency_key,
        role: match action.role {
            wit::ActorRole::Player => t::ActorRole::Player,
            wit::ActorRole::GameMaster => t::ActorRole::GameMaster,
            wit::ActorRole::System => t::ActorRole::System,
        },
        kind: action.kind,
        payload: action.payload,
        timestamp_ms: action.timestamp_ms,
        location: action.location.map(|l| t::Location {
            lat: l.lat,
            lon: l.lon,
            accuracy_m: l.accuracy_m,
        }),
    }
}

fn quest_updates(q: Vec<t::QuestUpdate>) -> Vec<wit::QuestUpdate> {
    q.into_iter()
        .map(|q| wit::QuestUpdate {
            quest_id: q.quest_id,
            status: q.status,
            team: q.team,
            player: q.player,
            detail: q.detail,
        })
        .collect()
}

fn rewards(r: Vec<t::Reward>) -> Vec<wit::Reward> {
    r.into_iter()
        .map(|r| wit::Reward {
            reward_key: r.reward_key,
            reward_type: r.reward_type,
            player: r.player,
            team: r.team,
            points: r.points,
            reason: r.reason,
        })
        .collect()
}

fn score_deltas(d: Vec<t::ScoreDelta>) -> Vec<wit::ScoreDelta> {
    d.into_iter()
        .map(|d| wit::ScoreDelta {
            board: match d.board {
                t::Board::Individual => wit::Board::Individual,
                t::Board::Team => wit::Board::Team,
            },
            subject: d.subject,
            delta: d.delta,
            at_ms: d.at_ms,
        })
        .collect()
}

pub fn apply<G: GameType>(
    state: Vec<u8>,
    a: wit::Action,
) -> Result<wit::Transition, wit::Rejection> {
    match raw::apply::<G>(&state, &action(a)) {
        Ok(tr) => Ok(wit::Transition {
            state: tr.state,
            quest_updates: quest_updates(tr.quest_updates),
            rewards: rewards(tr.rewards),
            score_deltas: score_deltas(tr.score_deltas),
            status: status(tr.status),
        }),
        Err(r) => Err(rejection(r)),
    }
}

pub fn apply_batch<G: GameType>(
    state: Vec<u8>,
    actions: Vec<wit::Action>,
) -> Result<wit::Batch, wit::Rejection> {
    let actions: Vec<t::Action> = actions.into_iter().map(action).collect();
    let b = raw::apply_batch::<G>(&state, &actions).map_err(rejection)?;
    Ok(wit::Batch {
        state: b.state,
        status: status(b.status),
        outcomes: b
            .outcomes
            .into_iter()
            .map(|o| match o {
                Ok(e) => Ok(wit::Effects {
                    quest_updates: quest_updates(e.quest_updates),
                    rewards: rewards(e.rewards),
                    score_deltas: score_deltas(e.score_deltas),
                }),
                Err(r) => Err(rejection(r)),
            })
            .collect(),
    })
}

pub fn view<G: GameType>(
    state: Vec<u8>,
    player: String,
) -> Result<wit::PlayerView, wit::Rejection> {
    raw::view::<G>(&state, &player)
        .map(|v| wit::PlayerView {
            status: status(v.status),
            score: v.score,
            summary: v.summary,
        })
        .map_err(rejection)
}

fn status(s: t::GameStatus) -> wit::GameStatus {
    match s {
        t::GameStatus::Waiting => wit::GameStatus::Waiting,
        t::GameStatus::Running => wit::GameStatus::Running,
        t::GameStatus::Paused => wit::GameStatus::Paused,
        t::GameStatus::Finished => wit::GameStatus::Finished,
    }
}

fn rejection(r: t::Rejection) -> wit::Rejection {
    use t::RejectionCode as C;
    use wit::RejectionCode as W;
    wit::Rejection {
        code: match r.code {
            C::InvalidPayload => W::InvalidPayload,
            C::UnknownKind => W::UnknownKind,
            C::Forbidden => W::Forbidden,
            C::NotAllowedNow => W::NotAllowedNow,
            C::OutOfWindow => W::OutOfWindow,
            C::AlreadyDone => W::AlreadyDone,
            C::RateLimited => W::RateLimited,
            C::Incorrect => W::Incorrect,
            C::GameOver => W::GameOver,
            C::NotFound => W::NotFound,
            C::InvalidState => W::InvalidState,
        },
        message: r.message,
    }
}

/// Expands to the component exports of game type `$game`.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_game_wasm {
    ($game:ty) => {
        const _: () = {
            struct VeltrixGuest;
            use $crate::__private::bindings::exports::veltrix::game::game as wit;
            impl $crate::__private::Guest for VeltrixGuest {
                fn describe() -> wit::GameTypeInfo {
                    $crate::__private::describe::<$game>()
                }
                fn contract() -> wit::GameContract {
                    $crate::__private::contract::<$game>()
                }
                fn init(config: String, seed: u64) -> Result<Vec<u8>, wit::ConfigError> {
                    $crate::__private::init::<$game>(config, seed)
                }
                fn apply(
                    state: Vec<u8>,
                    action: wit::Action,
                ) -> Result<wit::Transition, wit::Rejection> {
                    $crate::__private::apply::<$game>(state, action)
                }
                fn apply_batch(
                    state: Vec<u8>,
                    actions: Vec<wit::Action>,
                ) -> Result<wit::Batch, wit::Rejection> {
                    $crate::__private::apply_batch::<$game>(state, actions)
                }
                fn view(state: Vec<u8>, player: String) -> Result<wit::PlayerView, wit::Rejection> {
                    $crate::__private::view::<$game>(state, player)
                }
            }
            $crate::__private::bindings::export_game_type_world!(
                VeltrixGuest with_types_in $crate::__private::bindings
            );
        };
    };
}
