//! A game type as a partner built it before WIT 0.3: it exports
//! `veltrix:game/game@0.2.0` (no `contract`), straight from wit-bindgen
//! against the frozen `wit/compat/game-0.2.wit`. The host must keep running
//! it: actions untyped, any reward type its host allows.
//!
//! Rules: `tap` (payload `{"points": n}`, 1..=100) adds `n` to the player's
//! score and mints it as `points`; `end` (game master) finishes the game.
//! The state is the JSON of [`State`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole game.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Points per player.
    pub scores: BTreeMap<String, i64>,
    /// Taps applied so far (the reward key of the next one).
    pub taps: u64,
    /// The game master ended the game.
    pub over: bool,
}

#[cfg(target_family = "wasm")]
mod guest {
    #![allow(unsafe_code, missing_docs, clippy::all)]
    wit_bindgen::generate!({
        world: "game-type",
        path: "../../../wit/compat/game-0.2.wit",
    });

    use super::State;
    use exports::veltrix::game::game as wit;

    struct Legacy;

    fn reject(code: wit::RejectionCode, message: &str) -> wit::Rejection {
        wit::Rejection {
            code,
            message: message.into(),
        }
    }

    fn decode(state: &[u8]) -> Result<State, wit::Rejection> {
        serde_json::from_slice(state)
            .map_err(|_| reject(wit::RejectionCode::InvalidState, "state does not decode"))
    }

    fn status(s: &State) -> wit::GameStatus {
        if s.over {
            wit::GameStatus::Finished
        } else {
            wit::GameStatus::Running
        }
    }

    fn step(s: &mut State, a: &wit::Action) -> Result<wit::Effects, wit::Rejection> {
        let mut fx = wit::Effects {
            quest_updates: vec![],
            rewards: vec![],
            score_deltas: vec![],
        };
        if s.over {
            return Err(reject(wit::RejectionCode::GameOver, "the game is over"));
        }
        match a.kind.as_str() {
            "tap" => {
                let v: serde_json::Value = serde_json::from_str(&a.payload)
                    .map_err(|_| reject(wit::RejectionCode::InvalidPayload, "not JSON"))?;
                let points = v
                    .get("points")
                    .and_then(serde_json::Value::as_i64)
                    .filter(|p| (1..=100).contains(p))
                    .ok_or_else(|| {
                        reject(wit::RejectionCode::InvalidPayload, "points must be 1..=100")
                    })?;
                s.taps += 1;
                *s.scores.entry(a.player.clone()).or_default() += points;
                fx.rewards.push(wit::Reward {
                    reward_key: format!("tap:{}", s.taps),
                    reward_type: "points".into(),
                    player: a.player.clone(),
                    team: a.team.clone(),
                    points,
                    reason: "tap".into(),
                });
                fx.score_deltas.push(wit::ScoreDelta {
                    board: wit::Board::Individual,
                    subject: a.player.clone(),
                    delta: points,
                    at_ms: a.timestamp_ms,
                });
                Ok(fx)
            }
            "end" if a.role == wit::ActorRole::Player => Err(reject(
                wit::RejectionCode::Forbidden,
                "`end` is a game-master action",
            )),
            "end" => {
                s.over = true;
                Ok(fx)
            }
            _ => Err(reject(wit::RejectionCode::UnknownKind, "unknown kind")),
        }
    }

    impl wit::Guest for Legacy {
        fn describe() -> wit::GameTypeInfo {
            wit::GameTypeInfo {
                name: "legacy-tap".into(),
                version: "0.2.0".into(),
                config_schema: r#"{"type":"object","additionalProperties":false}"#.into(),
                example_config: "{}".into(),
                action_kinds: vec!["tap".into(), "end".into()],
                latency_budget_us: 1_000,
                fuel_budget: 5_000_000,
            }
        }

        fn init(config: String, _seed: u64) -> Result<Vec<u8>, wit::ConfigError> {
            match serde_json::from_str::<serde_json::Value>(&config) {
                Ok(serde_json::Value::Object(m)) if m.is_empty() => {
                    Ok(serde_json::to_vec(&State::default()).unwrap_or_default())
                }
                _ => Err(wit::ConfigError {
                    message: "config must be {}".into(),
                }),
            }
        }

        fn apply(state: Vec<u8>, a: wit::Action) -> Result<wit::Transition, wit::Rejection> {
            let mut s = decode(&state)?;
            let fx = step(&mut s, &a)?;
            Ok(wit::Transition {
                state: serde_json::to_vec(&s).unwrap_or_default(),
                quest_updates: fx.quest_updates,
                rewards: fx.rewards,
                score_deltas: fx.score_deltas,
                status: status(&s),
            })
        }

        fn apply_batch(
            state: Vec<u8>,
            actions: Vec<wit::Action>,
        ) -> Result<wit::Batch, wit::Rejection> {
            let mut s = decode(&state)?;
            let mut outcomes = Vec::with_capacity(actions.len());
            for a in &actions {
                let before = serde_json::to_vec(&s).unwrap_or_default();
                let o = step(&mut s, a);
                if o.is_err() {
                    s = decode(&before)?;
                }
                outcomes.push(o);
            }
            Ok(wit::Batch {
                state: serde_json::to_vec(&s).unwrap_or_default(),
                status: status(&s),
                outcomes,
            })
        }

        fn view(state: Vec<u8>, player: String) -> Result<wit::PlayerView, wit::Rejection> {
            let s = decode(&state)?;
            Ok(wit::PlayerView {
                status: status(&s),
                score: s.scores.get(&player).copied().unwrap_or(0),
                summary: format!(r#"{{"taps":{}}}"#, s.taps),
            })
        }
    }

    export!(Legacy);
}
