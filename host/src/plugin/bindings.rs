//! The one place on the host side that owns the WIT bindings, and the
//! conversions between the generated types and `veltrix_sdk::types`, which
//! the rest of the host uses.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "game-type",
    path: "../wit",
});

use exports::veltrix::game::game as wit;
pub use wit::Guest as GameGuest;
use veltrix_sdk::types as t;

/// Converts a host action into the WIT record (copies the strings once).
pub fn action(a: &t::Action) -> wit::Action {
    wit::Action {
        tenant: a.tenant.clone(),
        game: a.game.clone(),
        player: a.player.clone(),
        team: a.team.clone(),
        idempotency_key: a.idempotency_key.clone(),
        role: match a.role {
            t::ActorRole::Player => wit::ActorRole::Player,
            t::ActorRole::GameMaster => wit::ActorRole::GameMaster,
            t::ActorRole::System => wit::ActorRole::System,
        },
        kind: a.kind.clone(),
        payload: a.payload.clone(),
        timestamp_ms: a.timestamp_ms,
        location: a.location.map(|l| wit::Location {
            lat: l.lat,
            lon: l.lon,
            accuracy_m: l.accuracy_m,
        }),
    }
}

pub fn info(i: wit::GameTypeInfo) -> t::GameTypeInfo {
    t::GameTypeInfo {
        name: i.name,
        version: i.version,
        config_schema: i.config_schema,
        example_config: i.example_config,
        action_kinds: i.action_kinds,
        latency_budget_us: i.latency_budget_us,
        fuel_budget: i.fuel_budget,
    }
}

pub fn transition(tr: wit::Transition) -> t::Transition {
    t::Transition {
        state: tr.state,
        quest_updates: tr
            .quest_updates
            .into_iter()
            .map(|q| t::QuestUpdate {
                quest_id: q.quest_id,
                status: q.status,
                team: q.team,
                player: q.player,
                detail: q.detail,
            })
            .collect(),
        rewards: tr
            .rewards
            .into_iter()
            .map(|r| t::Reward {
                reward_key: r.reward_key,
                reward_type: r.reward_type,
                player: r.player,
                team: r.team,
                points: r.points,
                reason: r.reason,
            })
            .collect(),
        score_deltas: tr
            .score_deltas
            .into_iter()
            .map(|d| t::ScoreDelta {
                board: match d.board {
                    wit::Board::Individual => t::Board::Individual,
                    wit::Board::Team => t::Board::Team,
                },
                subject: d.subject,
                delta: d.delta,
                at_ms: d.at_ms,
            })
            .collect(),
        status: status(tr.status),
    }
}

pub fn status(s: wit::GameStatus) -> t::GameStatus {
    match s {
        wit::GameStatus::Waiting => t::GameStatus::Waiting,
        wit::GameStatus::Running => t::GameStatus::Running,
        wit::GameStatus::Paused => t::GameStatus::Paused,
        wit::GameStatus::Finished => t::GameStatus::Finished,
    }
}

pub fn rejection(r: wit::Rejection) -> t::Rejection {
    use t::RejectionCode as C;
    use wit::RejectionCode as W;
    t::Rejection {
        code: match r.code {
            W::InvalidPayload => C::InvalidPayload,
            W::UnknownKind => C::UnknownKind,
            W::Forbidden => C::Forbidden,
            W::NotAllowedNow => C::NotAllowedNow,
            W::OutOfWindow => C::OutOfWindow,
            W::AlreadyDone => C::AlreadyDone,
            W::RateLimited => C::RateLimited,
            W::Incorrect => C::Incorrect,
            W::GameOver => C::GameOver,
            W::NotFound => C::NotFound,
            W::InvalidState => C::InvalidState,
        },
        message: r.message,
    }
}

pub fn view(v: wit::PlayerView) -> t::PlayerView {
    t::PlayerView {
        status: status(v.status),
        score: v.score,
        summary: v.summary,
    }
}

pub fn config_error(e: wit::ConfigError) -> t::ConfigError {
    t::ConfigError { message: e.message }
}

/// Bytes a transition brings back across the boundary (for the output cap).
pub fn transition_size(t: &t::Transition) -> usize {
    t.state.len()
        + t.quest_updates
            .iter()
            .map(|q| q.quest_id.len() + q.status.len() + q.detail.len() + opt_len(&q.team) + opt_len(&q.player))
            .sum::<usize>()
        + t.rewards
            .iter()
            .map(|r| r.reward_key.len() + r.reward_type.len() + r.player.len() + r.reason.len() + opt_len(&r.team) + 8)
            .sum::<usize>()
        + t.score_deltas.iter().map(|d| d.subject.len() + 17).sum::<usize>()
}

/// Bytes an action hands to the plugin (for the input cap).
pub fn action_size(a: &t::Action) -> usize {
    a.tenant.len()
        + a.game.len()
        + a.player.len()
        + opt_len(&a.team)
        + a.idempotency_key.len()
        + a.kind.len()
        + a.payload.len()
        + 40
}

fn opt_len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}
