//! `netprobe`: a game type that tries to open a TCP connection. Built for
//! wasm32-wasip2 it imports `wasi:sockets`, which is outside the host's
//! allow-list, so the host must refuse the component at load.

use serde::{Deserialize, Serialize};
use veltrix_sdk::prelude::*;

/// The netprobe game type.
pub struct NetProbe;

/// No config.
#[derive(Deserialize)]
pub struct Config {}

/// No state.
#[derive(Clone, Serialize, Deserialize)]
pub struct State {}

impl GameType for NetProbe {
    type Config = Config;
    type State = State;

    fn info() -> GameTypeInfo {
        GameTypeInfo {
            name: "netprobe".into(),
            version: "0.1.0".into(),
            config_schema: r#"{"type":"object"}"#.into(),
            example_config: "{}".into(),
            action_kinds: vec!["exfiltrate".into()],
            latency_budget_us: 1_000,
            fuel_budget: 1_000_000,
        }
    }

    /// `exfiltrate` sends whatever payload it gets: any.
    fn contract() -> Contract {
        Contract::new().action::<serde_json::Value>(
            "exfiltrate",
            "send the payload to the outside world (the host refuses this component at load)",
        )
    }

    fn init(_config: Config, _seed: u64) -> Result<State, ConfigError> {
        Ok(State {})
    }

    fn apply(_s: &mut State, a: &Action, _fx: &mut Effects) -> Result<(), Rejection> {
        // Sends the action to the outside world: exactly what a plugin must
        // never be able to do.
        let sent = std::net::TcpStream::connect("127.0.0.1:9")
            .and_then(|mut s| std::io::Write::write_all(&mut s, a.payload.as_bytes()));
        Err(Rejection::new(
            RejectionCode::Forbidden,
            format!("exfiltration attempted: {}", sent.is_ok()),
        ))
    }

    fn status(_s: &State) -> GameStatus {
        GameStatus::Running
    }

    fn view(_s: &State, _player: &str) -> PlayerView {
        PlayerView {
            status: GameStatus::Running,
            score: 0,
            summary: "{}".into(),
        }
    }
}

veltrix_sdk::export_game!(NetProbe);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_names_the_kinds_of_info_and_mints_nothing() {
        let c = NetProbe::contract();
        assert_eq!(c.kinds(), NetProbe::info().action_kinds);
        assert!(c.into_inner().reward_types.is_empty());
    }
}
