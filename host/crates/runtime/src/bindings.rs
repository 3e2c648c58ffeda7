//! The one place on the host side that owns the WIT bindings, and the
//! conversions between the generated types and `veltrix_contract`, which
//! the rest of the host uses.
//!
//! Two versions of the contract are linked: 0.3 (current, `wit/`) and 0.2
//! (`wit/compat/game-0.2.wit`, without `contract`), so components built
//! before 0.3 keep running. [`GameTypePre`] and [`GameType`] dispatch on
//! the version a component exports; everything above this module sees the
//! contract types only.
#![allow(missing_docs)]

use veltrix_contract as t;

/// The record conversions, written once and expanded in each version's
/// module (the generated types are distinct per version but alike in shape).
macro_rules! conversions {
    () => {
        /// Converts a host action into the WIT record.
        pub(crate) fn action(a: &t::Action) -> wit::Action {
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
        pub(crate) fn action_into(a: &t::Action, out: &mut wit::Action) {
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

        pub(crate) fn info(i: wit::GameTypeInfo) -> t::GameTypeInfo {
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

        pub(crate) fn transition(tr: wit::Transition) -> t::Transition {
            t::Transition {
                state: tr.state,
                quest_updates: quest_updates(tr.quest_updates),
                rewards: rewards(tr.rewards),
                score_deltas: score_deltas(tr.score_deltas),
                status: status(tr.status),
            }
        }

        pub(crate) fn batch(b: wit::Batch) -> t::Batch {
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

        pub(crate) fn quest_updates(q: Vec<wit::QuestUpdate>) -> Vec<t::QuestUpdate> {
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

        pub(crate) fn rewards(r: Vec<wit::Reward>) -> Vec<t::Reward> {
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

        pub(crate) fn score_deltas(d: Vec<wit::ScoreDelta>) -> Vec<t::ScoreDelta> {
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

        pub(crate) fn status(s: wit::GameStatus) -> t::GameStatus {
            match s {
                wit::GameStatus::Waiting => t::GameStatus::Waiting,
                wit::GameStatus::Running => t::GameStatus::Running,
                wit::GameStatus::Paused => t::GameStatus::Paused,
                wit::GameStatus::Finished => t::GameStatus::Finished,
            }
        }

        pub(crate) fn rejection(r: wit::Rejection) -> t::Rejection {
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

        pub(crate) fn view(v: wit::PlayerView) -> t::PlayerView {
            t::PlayerView {
                status: status(v.status),
                score: v.score,
                summary: v.summary,
            }
        }

        pub(crate) fn config_error(e: wit::ConfigError) -> t::ConfigError {
            t::ConfigError { message: e.message }
        }
    };
}

/// WIT 0.3.0: the current contract.
pub mod v3 {
    wasmtime::component::bindgen!({
        world: "game-type",
        path: "../../../wit",
    });
    use exports::veltrix::game::game as wit;
    use veltrix_contract as t;
    conversions!();

    pub(crate) fn contract(c: wit::GameContract) -> t::GameContract {
        t::GameContract {
            actions: c
                .actions
                .into_iter()
                .map(|a| t::ActionSpec {
                    kind: a.kind,
                    description: a.description,
                    roles: a
                        .roles
                        .into_iter()
                        .map(|r| match r {
                            wit::ActorRole::Player => t::ActorRole::Player,
                            wit::ActorRole::GameMaster => t::ActorRole::GameMaster,
                            wit::ActorRole::System => t::ActorRole::System,
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
}

/// WIT 0.2.0: components built before `contract` existed.
pub mod v2 {
    wasmtime::component::bindgen!({
        world: "game-type",
        path: "../../../wit/compat/game-0.2.wit",
    });
    use exports::veltrix::game::game as wit;
    use veltrix_contract as t;
    conversions!();
}

/// The contract version a component exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WitVersion {
    /// `veltrix:game@0.2.0` (no `contract`: untyped actions).
    #[serde(rename = "0.2")]
    V2,
    /// `veltrix:game@0.3.0`.
    #[serde(rename = "0.3")]
    V3,
}

impl WitVersion {
    /// `0.2` or `0.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "0.2",
            Self::V3 => "0.3",
        }
    }
}

/// A component pre-instantiated against the version it exports.
pub enum GameTypePre<T: 'static> {
    V3(v3::GameTypePre<T>),
    V2(v2::GameTypePre<T>),
}

impl<T: 'static> GameTypePre<T> {
    /// Binds `pre` to the newest version its exports satisfy.
    pub fn new(pre: wasmtime::component::InstancePre<T>) -> wasmtime::Result<Self> {
        match v3::GameTypePre::new(pre.clone()) {
            Ok(p) => Ok(Self::V3(p)),
            Err(e3) => v2::GameTypePre::new(pre).map(Self::V2).map_err(|_| e3),
        }
    }

    pub fn version(&self) -> WitVersion {
        match self {
            Self::V3(_) => WitVersion::V3,
            Self::V2(_) => WitVersion::V2,
        }
    }

    pub fn instantiate(&self, store: &mut wasmtime::Store<T>) -> wasmtime::Result<GameType> {
        Ok(match self {
            Self::V3(p) => GameType::V3(p.instantiate(store)?),
            Self::V2(p) => GameType::V2(p.instantiate(store)?),
        })
    }
}

/// An instance of either version.
pub enum GameType {
    V3(v3::GameType),
    V2(v2::GameType),
}

/// The scratch action record a worker reuses between calls.
pub enum WitAction {
    V3(v3::exports::veltrix::game::game::Action),
    V2(v2::exports::veltrix::game::game::Action),
}

impl WitAction {
    /// `a` as the record of `version`.
    pub fn new(version: WitVersion, a: &t::Action) -> Self {
        match version {
            WitVersion::V3 => Self::V3(v3::action(a)),
            WitVersion::V2 => Self::V2(v2::action(a)),
        }
    }

    /// Overwrites the record with `a`, reusing its string buffers.
    pub fn set(&mut self, a: &t::Action) {
        match self {
            Self::V3(w) => v3::action_into(a, w),
            Self::V2(w) => v2::action_into(a, w),
        }
    }
}

fn mismatch() -> wasmtime::Error {
    wasmtime::Error::msg("an action record of one contract version passed to another")
}

type S<'a, T> = &'a mut wasmtime::Store<T>;

impl GameType {
    pub fn describe<T>(&self, s: S<'_, T>) -> wasmtime::Result<t::GameTypeInfo> {
        Ok(match self {
            Self::V3(g) => v3::info(g.veltrix_game_game().call_describe(s)?),
            Self::V2(g) => v2::info(g.veltrix_game_game().call_describe(s)?),
        })
    }

    /// The contract; 0.2 components have none.
    pub fn contract<T>(&self, s: S<'_, T>) -> wasmtime::Result<Option<t::GameContract>> {
        Ok(match self {
            Self::V3(g) => Some(v3::contract(g.veltrix_game_game().call_contract(s)?)),
            Self::V2(_) => None,
        })
    }

    pub fn init<T>(
        &self,
        s: S<'_, T>,
        config: &str,
        seed: u64,
    ) -> wasmtime::Result<Result<Vec<u8>, t::ConfigError>> {
        Ok(match self {
            Self::V3(g) => g
                .veltrix_game_game()
                .call_init(s, config, seed)?
                .map_err(v3::config_error),
            Self::V2(g) => g
                .veltrix_game_game()
                .call_init(s, config, seed)?
                .map_err(v2::config_error),
        })
    }

    pub fn apply<T>(
        &self,
        s: S<'_, T>,
        state: &[u8],
        a: &WitAction,
    ) -> wasmtime::Result<Result<t::Transition, t::Rejection>> {
        Ok(match (self, a) {
            (Self::V3(g), WitAction::V3(a)) => g
                .veltrix_game_game()
                .call_apply(s, state, a)?
                .map(v3::transition)
                .map_err(v3::rejection),
            (Self::V2(g), WitAction::V2(a)) => g
                .veltrix_game_game()
                .call_apply(s, state, a)?
                .map(v2::transition)
                .map_err(v2::rejection),
            _ => return Err(mismatch()),
        })
    }

    pub fn apply_batch<T>(
        &self,
        s: S<'_, T>,
        state: &[u8],
        actions: &[&t::Action],
    ) -> wasmtime::Result<Result<t::Batch, t::Rejection>> {
        Ok(match self {
            Self::V3(g) => {
                let wit: Vec<_> = actions.iter().map(|a| v3::action(a)).collect();
                g.veltrix_game_game()
                    .call_apply_batch(s, state, &wit)?
                    .map(v3::batch)
                    .map_err(v3::rejection)
            }
            Self::V2(g) => {
                let wit: Vec<_> = actions.iter().map(|a| v2::action(a)).collect();
                g.veltrix_game_game()
                    .call_apply_batch(s, state, &wit)?
                    .map(v2::batch)
                    .map_err(v2::rejection)
            }
        })
    }

    pub fn view<T>(
        &self,
        s: S<'_, T>,
        state: &[u8],
        player: &str,
    ) -> wasmtime::Result<Result<t::PlayerView, t::Rejection>> {
        Ok(match self {
            Self::V3(g) => g
                .veltrix_game_game()
                .call_view(s, state, player)?
                .map(v3::view)
                .map_err(v3::rejection),
            Self::V2(g) => g
                .veltrix_game_game()
                .call_view(s, state, player)?
                .map(v2::view)
                .map_err(v2::rejection),
        })
    }
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
