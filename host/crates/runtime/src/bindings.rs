//! The one place on the host side that owns the WIT bindings, and the
//! conversions between the generated types and `veltrix_contract`, which
//! the rest of the host uses.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "game-type",
    path: "../../../wit",
});

use exports::veltrix::game::game as wit;
use veltrix_contract as t;
pub use wit::Action as WitAction;
pub use wit::Guest as GameGuest;

/// Converts a host action into the WIT record.
pub fn action(a: &t::Action) -> wit::Action {
    let mut out = wit::Action {
        tenant: String::new(),
        game: String::new(),
        player: String::new(),
        team: None,
        idempotency_key: String::new(),
        role: wit::ActorRole::Player,
        kind: String::new(),
        payload: String::new(),
        timestamp_ms: 0,
        location: None,
    };
    action_into(a, &mut out);
    out
}

/// Overwrites `out` with `a`, reusing `out`'s string buffers: the worker
/// keeps one scratch record so a call allocates no host strings.
pub fn action_into(a: &t::Action, out: &mut wit::Action) {
    out.tenant.clone_from(&a.tenant);
    out.game.clone_from(&a.game);
    out.player.clone_from(&a.player);
    out.team.clone_from(&a.team);
    out.idempotency_key.clone_from(&a.idempotency_key);
    out.role = match a.role {
        t::ActorRole::Player => wit::ActorRole::Player,
        t::ActorRole::GameMaster => wit::ActorRole::GameMaster,
        t::ActorRole::System => wit::ActorRole::System,
    };
    out.kind.clone_from(&a.kind);
    out.payload.clone_from(&a.payload);
    out.timestamp_ms = a.timestamp_ms;
    out.location = a.location.map(|l| wit::Location {
        lat: l.lat,
        lon: l.lon,
        accuracy_m: l.accuracy_m,
    });
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
        quest_updates: quest_updates(tr.quest_updates),
        rewards: rewards(tr.rewards),
        score_deltas: score_deltas(tr.score_deltas),
        status: status(tr.status),
    }
}

pub fn batch(b: wit::Batch) -> t::Batch {
    t::Batch {
        state: b.state,
        status: status(b.status),
        outcomes: b
            .outcomes
            .into_iter()
            .map(|o| match o {
                Ok(e) => Ok(t::ActionEffects {
                    quest_updates: quest_updates(e.quest_updates),
                    rewards: rewards(e.rewards),
                    score_deltas: score_deltas(e.score_deltas),
                }),
                Err(r) => Err(rejection(r)),
            })
            .collect(),
    }
}

fn quest_updates(q: Vec<wit::QuestUpdate>) -> Vec<t::QuestUpdate> {
    q.into_iter()
        .map(|q| t::QuestUpdate {
            quest_id: q.quest_id,
            status: q.status,
            team: q.team,
            player: q.player,
            detail: q.detail,
        })
        .collect()
}

fn rewards(r: Vec<wit::Reward>) -> Vec<t::Reward> {
    r.into_iter()
        .map(|r| t::Reward {
            reward_key: r.reward_key,
            reward_type: r.reward_type,
            player: r.player,
            team: r.team,
            points: r.points,
            reason: r.reason,
        })
        .collect()
}

fn score_deltas(d: Vec<wit::ScoreDelta>) -> Vec<t::ScoreDelta> {
    d.into_iter()
        .map(|d| t::ScoreDelta {
            board: match d.board {
                wit::Board::Individual => t::Board::Individual,
                wit::Board::Team => t::Board::Team,
            },
            subject: d.subject,
            delta: d.delta,
            at_ms: d.at_ms,
        })
        .collect()
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
    t.state.len() + effects_size(&t.quest_updates, &t.rewards, &t.score_deltas)
}

/// Bytes a batch brings back across the boundary (for the output cap).
pub fn batch_size(b: &t::Batch) -> usize {
    b.state.len()
        + b.outcomes
            .iter()
            .map(|o| match o {
                Ok(e) => effects_size(&e.quest_updates, &e.rewards, &e.score_deltas),
                Err(r) => r.message.len(),
            })
            .sum::<usize>()
}

fn effects_size(q: &[t::QuestUpdate], r: &[t::Reward], d: &[t::ScoreDelta]) -> usize {
    q.iter()
        .map(|q| {
            q.quest_id.len()
                + q.status.len()
                + q.detail.len()
                + opt_len(&q.team)
                + opt_len(&q.player)
        })
        .sum::<usize>()
        + r.iter()
            .map(|r| {
                r.reward_key.len()
                    + r.reward_type.len()
                    + r.player.len()
                    + r.reason.len()
                    + opt_len(&r.team)
                    + 8
            })
            .sum::<usize>()
        + d.iter().map(|d| d.subject.len() + 17).sum::<usize>()
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
