//! The check's reach: for each built-in game type and each action kind it
//! declares, a mutant that panics right after a successful apply of that
//! kind (a planted bug in that kind's success path) must fail `plugin
//! check`, and fail it where the bug is: a fault of that kind in the
//! replay or robustness run, not merely "never applied". The unmutated game
//! types pass the same check.
//!
//! The mutants are the built-ins' own Rust code compiled natively behind the
//! check's [`Subject`]/[`Runner`] seam: one wasm component per (game type,
//! kind) would cost minutes of guest builds for what the seam shows as
//! well (the components pass the same check in `check.rs`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use veltrix_contract::{
    Action, ActionEffects, ConfigError, GameContract, GameTypeInfo, PlayerView, Rejection,
};
use veltrix_devtools::builtin::BUILTINS;
use veltrix_runtime::check::{CheckOptions, CheckReport, Runner, Subject, run};
use veltrix_runtime::contract::{Validators, validate};
use veltrix_runtime::{Applied, BatchApplied, ComponentLimits, Fault};
use veltrix_sdk::native::DynGame;

/// The message of every planted panic.
const PLANTED: &str = "planted bug";

/// A built-in compiled natively, optionally with a planted bug.
struct Native {
    game: Box<dyn DynGame>,
    info: GameTypeInfo,
    contract: GameContract,
    validators: Validators,
    panic_on: Option<String>,
}

impl Native {
    fn new(game: Box<dyn DynGame>, panic_on: Option<&str>) -> Self {
        let info = game.describe();
        let contract = game.contract();
        let validators = validate(&info, &contract, &ComponentLimits::default())
            .unwrap_or_else(|e| panic!("{}: contract does not load: {e}", info.name));
        Self {
            game,
            info,
            contract,
            validators,
            panic_on: panic_on.map(str::to_string),
        }
    }
}

impl Subject for Native {
    fn info(&self) -> &GameTypeInfo {
        &self.info
    }
    fn contract(&self) -> &GameContract {
        &self.contract
    }
    fn reward_types(&self) -> Option<&[String]> {
        Some(&self.contract.reward_types)
    }
    fn admit(&self, action: &Action) -> Result<(), Rejection> {
        veltrix_runtime::contract::admit(&self.info.name, &self.contract, &self.validators, action)
    }
    fn runner(&self) -> Box<dyn Runner + '_> {
        Box::new(NativeRunner(self))
    }
}

struct NativeRunner<'a>(&'a Native);

/// A panic is what a trap is to a component.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, Fault> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Fault::Trapped(format!("panicked: {msg}"))
    })
}

impl Runner for NativeRunner<'_> {
    fn init(&mut self, config: &str, seed: u64) -> Result<Result<Vec<u8>, ConfigError>, Fault> {
        guarded(|| self.0.game.init(config, seed))
    }
    fn apply(&mut self, state: &[u8], a: &Action) -> Result<Applied, Fault> {
        let result = guarded(|| {
            let r = self.0.game.apply(state, a);
            if r.is_ok() && self.0.panic_on.as_deref() == Some(a.kind.as_str()) {
                panic!("{PLANTED} in `{}`", a.kind);
            }
            r
        })?;
        Ok(Applied { result, fuel: 0 })
    }
    fn apply_batch(&mut self, state: &[u8], actions: &[Action]) -> BatchApplied {
        // One call per action, as the worker's fallback does.
        let mut out = BatchApplied {
            state: state.to_vec(),
            status: None,
            outcomes: Vec::new(),
            fuel: 0,
        };
        for a in actions {
            let o = self
                .apply(&out.state.clone(), a)
                .map(|Applied { result, .. }| {
                    result.map(|t| {
                        out.state = t.state;
                        out.status = Some(t.status);
                        ActionEffects {
                            quest_updates: t.quest_updates,
                            rewards: t.rewards,
                            score_deltas: t.score_deltas,
                        }
                    })
                });
            out.outcomes.push(o);
        }
        out
    }
    fn view(&mut self, state: &[u8], player: &str) -> Result<Result<PlayerView, Rejection>, Fault> {
        guarded(|| self.0.game.view(state, player))
    }
}

fn checked(subject: &Native) -> CheckReport {
    run(
        subject,
        &CheckOptions::default(),
        CheckReport::new(String::new()),
    )
}

/// Keeps the planted panics out of the test output (others still print).
fn quiet_planted_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let planted = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with(PLANTED));
            if !planted {
                default(info);
            }
        }));
    });
}

#[test]
fn the_builtins_pass_the_check_natively_and_every_planted_bug_fails_it() {
    quiet_planted_panics();
    let mut caught = 0;
    for b in &BUILTINS {
        let clean = Native::new((b.native)(), None);
        let r = checked(&clean);
        assert!(
            r.passed,
            "{}: the unmutated game type fails: {:#?}",
            b.name, r.steps
        );
        for kind in clean.info.action_kinds.clone() {
            let mutant = Native::new((b.native)(), Some(&kind));
            let r = checked(&mutant);
            assert!(
                !r.passed,
                "{}: a panic planted in `{kind}` passed the check",
                b.name
            );
            let where_ = r.steps.iter().find(|s| !s.passed).expect("a failed step");
            assert!(
                matches!(where_.name.as_str(), "replay" | "robustness")
                    && r.steps
                        .iter()
                        .any(|s| s.detail.contains(&format!("{PLANTED} in `{kind}`"))),
                "{}: the planted bug in `{kind}` was not what failed the check: {:#?}",
                b.name,
                r.steps
            );
            let stats = r.kinds.iter().find(|k| k.kind == kind).expect("tallied");
            assert!(stats.faulted > 0, "{}: `{kind}`: {stats:?}", b.name);
            caught += 1;
        }
    }
    // Six game types, each with its own kinds and the seven shared ones.
    assert!(caught >= 6 * 9, "only {caught} mutants");
}

/// A game type that mints a reward type its contract does not declare fails
/// the check's `rewards` step (in play, each such action would fault).
#[test]
fn an_undeclared_reward_type_fails_the_check() {
    let riddle = BUILTINS.iter().find(|b| b.name == "riddle").unwrap();
    let mut liar = Native::new((riddle.native)(), None);
    liar.contract.reward_types.retain(|t| t != "points");
    let r = checked(&liar);
    let rewards = r.steps.iter().find(|s| s.name == "rewards").unwrap();
    assert!(!r.passed && !rewards.passed, "{:#?}", r.steps);
    assert!(rewards.detail.contains("\"points\""), "{rewards:?}");
    // Declaring a type the host does not run fails `contract`.
    let mut greedy = Native::new((riddle.native)(), None);
    greedy.contract.reward_types.push("gold".into());
    let r = checked(&greedy);
    let contract = r.steps.iter().find(|s| s.name == "contract").unwrap();
    assert!(
        !contract.passed && contract.detail.contains("gold"),
        "{contract:?}"
    );
}
