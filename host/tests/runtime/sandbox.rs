//! The sandbox no plugin can stall, and the plugin errors it names: one
//! test per case an attacker found against `veltrix serve` and `veltrix
//! plugin check` (see `docs/plugin-runtime.md`, "Sandbox").
//!
//! Time bounds here are far above normal (a call takes microseconds): they
//! only tell "returned at once" from "waited the 20 s the guest asked for".

use std::sync::Arc;
use std::time::{Duration, Instant};

use veltrix_runtime::check::{CheckOptions, check};
use veltrix_runtime::{Fault, LoadError, Plugin, PluginHost, PluginLimits, Worker};
use veltrix_sdk::{Action, Transition};

use veltrix_artifacts::PROBE;

/// Far above a normal call, far below the 20 s the probe asks to sleep.
const PROMPT: Duration = Duration::from_secs(8);

fn act(kind: &str, payload: serde_json::Value) -> Action {
    Action::new("p1", kind, 1_700_000_000_000)
        .with_team("red")
        .with_payload(payload)
}

fn host() -> PluginHost {
    PluginHost::new(PluginLimits::default()).unwrap()
}

fn load(host: &PluginHost) -> (Arc<Plugin>, Vec<u8>, Worker) {
    let plugin = host.load(PROBE).expect("probe loads");
    let state = plugin.worker().init("{}", 1).unwrap().unwrap();
    let w = plugin.worker();
    (plugin, state, w)
}

fn applied(w: &mut Worker, state: &[u8], a: &Action) -> Transition {
    w.apply(state, a)
        .expect("no fault")
        .result
        .expect("applied")
}

fn detail(t: &Transition) -> serde_json::Value {
    serde_json::from_str(&t.quest_updates[0].detail).unwrap()
}

#[test]
fn sleep_and_poll_in_apply_return_at_once_and_deterministically() {
    let host = host();
    let (_p, state, mut w) = load(&host);
    for (kind, payload) in [
        ("sleep", serde_json::json!({"ms": 20_000})),
        ("poll", serde_json::json!({"ms": 20_000})),
    ] {
        let started = Instant::now();
        let a = applied(&mut w, &state, &act(kind, payload.clone()));
        let b = applied(&mut w, &state, &act(kind, payload));
        assert!(
            started.elapsed() < PROMPT,
            "{kind} waited {:?}",
            started.elapsed()
        );
        // No time passes in the sandbox (sleep: 0 ms elapsed), the timer is
        // ready at once (poll: 1 ready), and twice gives the same transition.
        let want = if kind == "sleep" { 0 } else { 1 };
        assert_eq!(detail(&a), serde_json::json!(want), "{kind}");
        assert_eq!(a, b, "{kind}");
    }
}

#[test]
fn sleep_in_describe_and_init_returns_at_once() {
    let started = Instant::now();
    let host = host();
    // The probe's `describe` sleeps 20 s on every load.
    let plugin = host.load(PROBE).expect("probe loads");
    let state = plugin
        .worker()
        .init(r#"{"sleep_ms": 20000}"#, 1)
        .unwrap()
        .unwrap();
    assert_eq!(plugin.worker().describe().unwrap().name, "probe");
    assert!(!state.is_empty());
    assert!(started.elapsed() < PROMPT, "waited {:?}", started.elapsed());
}

#[test]
fn a_deadline_hit_is_retried_on_a_fresh_instance_then_reported_as_a_stall() {
    // Fuel lifted so far that only the wall-clock backstop stops the loop.
    let host = PluginHost::new(PluginLimits {
        max_fuel: u64::MAX / 4,
        deadline_ms: 50,
        ..PluginLimits::default()
    })
    .unwrap();
    let (_p, state, mut w) = load(&host);
    applied(&mut w, &state, &act("ok", serde_json::json!({})));
    let before = w.instantiations();
    let r = w.apply(
        &state,
        &act("spin", serde_json::json!({"iterations": null})),
    );
    assert_eq!(r, Err(Fault::Stalled { ms: 50 }));
    let fault = r.unwrap_err();
    assert_eq!(fault.code(), "deadline-backstop");
    assert!(
        fault.is_stall() && fault.to_string().contains("parked"),
        "{fault}"
    );
    // The first hit was on the warm instance, the retry on a fresh one.
    assert_eq!(w.instantiations(), before + 1);
    applied(&mut w, &state, &act("ok", serde_json::json!({})));
}

#[test]
fn entropy_is_a_function_of_the_call_not_of_the_instance() {
    let host = host();
    let plugin = host.load(PROBE).unwrap();
    let start = plugin.worker().init("{}", 7).unwrap().unwrap();
    let actions = [
        act("entropy", serde_json::json!({})),
        act("ok", serde_json::json!({})),
        act("entropy", serde_json::json!({})),
    ];
    // One game's draws, threading the state, on `worker` (or a fresh
    // worker per call when `None`).
    let game = |mut worker: Option<&mut Worker>| -> Vec<serde_json::Value> {
        let mut state = start.clone();
        let mut drawn = Vec::new();
        for a in &actions {
            let mut fresh = plugin.worker();
            let w = worker.as_deref_mut().unwrap_or(&mut fresh);
            let t = applied(w, &state, a);
            if a.kind == "entropy" {
                drawn.push(detail(&t));
            }
            state = t.state;
        }
        drawn
    };
    let mut warm = plugin.worker();
    let first = game(Some(&mut warm));
    let second = game(Some(&mut warm));
    let fresh = game(None);
    assert_eq!(
        first, second,
        "a warm instance carried entropy across games"
    );
    assert_eq!(first, fresh, "warm and fresh instances disagree");
    // Not a constant: another call (another state) draws other values.
    assert_ne!(first[0]["random"], first[1]["random"]);
    assert_ne!(first[0]["order"], first[1]["order"]);
}

#[test]
fn plugins_that_never_draw_entropy_keep_their_warm_instance() {
    let host = host();
    let (_p, state, mut w) = load(&host);
    for _ in 0..5 {
        applied(&mut w, &state, &act("ok", serde_json::json!({})));
    }
    assert_eq!(w.instantiations(), 1);
    // Seeds are computed lazily: the first draw traps on the warm instance
    // and the call reruns on a fresh one with its seed.
    let first = applied(&mut w, &state, &act("entropy", serde_json::json!({})));
    assert_eq!(w.instantiations(), 2);
    // A call that drew entropy is its instance's last.
    applied(&mut w, &state, &act("ok", serde_json::json!({})));
    assert_eq!(w.instantiations(), 3);
    // From now on this worker computes seeds up front: no second run, and
    // the same call draws the same values.
    let again = applied(&mut w, &state, &act("entropy", serde_json::json!({})));
    assert_eq!(w.instantiations(), 3);
    assert_eq!(detail(&first), detail(&again));
    applied(&mut w, &state, &act("ok", serde_json::json!({})));
    assert_eq!(w.instantiations(), 4);
}

#[test]
fn exit_is_named() {
    let host = host();
    let (_p, state, mut w) = load(&host);
    // WASI 0.2's `exit` carries success or failure only: exit(3) is 1.
    for (asked, code) in [(0, 0), (3, 1)] {
        let r = w.apply(&state, &act("exit", serde_json::json!({ "code": asked })));
        assert_eq!(r, Err(Fault::Exited { code }));
    }
    assert_eq!(
        Fault::Exited { code: 0 }.to_string(),
        "plugin called exit(0)"
    );
}

#[test]
fn the_handle_cap_is_named() {
    let host = PluginHost::new(PluginLimits {
        max_handles: 1_000,
        ..PluginLimits::default()
    })
    .unwrap();
    let (_p, state, mut w) = load(&host);
    applied(
        &mut w,
        &state,
        &act("handles", serde_json::json!({"count": 100})),
    );
    let r = w.apply(
        &state,
        &act("handles", serde_json::json!({"count": 1_000_000})),
    );
    assert_eq!(r, Err(Fault::HandlesExhausted { limit: 1_000 }));
    assert_eq!(r.unwrap_err().code(), "handles-exhausted");
}

#[test]
fn invalid_state_is_a_fault_not_a_rejection() {
    let host = host();
    let (_p, state, mut w) = load(&host);
    let r = w.apply(&state, &act("corrupt", serde_json::json!({})));
    assert!(
        matches!(&r, Err(Fault::InvalidState(m)) if m.contains("corrupt")),
        "{r:?}"
    );
    assert_eq!(r.unwrap_err().code(), "invalid-state");
    // State bytes the plugin cannot decode, through every entry point.
    let garbage = [0xff_u8; 3];
    let ok = act("ok", serde_json::json!({}));
    assert!(matches!(
        w.apply(&garbage, &ok),
        Err(Fault::InvalidState(_))
    ));
    assert!(matches!(
        w.view(&garbage, "p1"),
        Err(Fault::InvalidState(_))
    ));
    let b = w.apply_batch(&garbage, std::slice::from_ref(&ok));
    assert!(
        matches!(&b.outcomes[0], Err(Fault::InvalidState(_))),
        "{b:?}"
    );
    let b = w.apply_batch(&state, &[ok, act("corrupt", serde_json::json!({}))]);
    assert!(matches!(&b.outcomes[0], Ok(Ok(_))), "{b:?}");
    assert!(
        matches!(&b.outcomes[1], Err(Fault::InvalidState(_))),
        "{b:?}"
    );
}

#[test]
fn plugin_text_is_escaped_and_bounded_before_it_is_logged() {
    let host = host();
    let (_p, state, mut w) = load(&host);
    let forged = "boom\n\u{1b}[2K\r2026-01-01T00:00:00Z INFO veltrix: admin granted";
    let r = w.apply(
        &state,
        &act("trap", serde_json::json!({ "message": forged })),
    );
    let Err(Fault::Trapped(msg)) = r else {
        panic!("expected a trap, got {r:?}")
    };
    assert!(!msg.chars().any(char::is_control), "{msg:?}");
    assert!(msg.contains("boom") && msg.contains("\\u{1b}"), "{msg}");
    let huge = "x".repeat(100_000);
    let r = w.apply(&state, &act("trap", serde_json::json!({ "message": huge })));
    let Err(Fault::Trapped(msg)) = r else {
        panic!("expected a trap, got {r:?}")
    };
    let cap = PluginLimits::default().stderr_capture_bytes;
    assert!(msg.len() < cap + 200, "{} bytes", msg.len());
}

#[test]
fn only_binary_components_load() {
    let host = host();
    let text = b"(component (core module (func)))";
    match host.load(text) {
        Err(LoadError::NotBinary(why)) => assert!(why.contains("text"), "{why}"),
        other => panic!("expected NotBinary, got {other:?}"),
    }
    match host.load(b"\0asm\x01\0\0\0") {
        Err(LoadError::NotBinary(why)) => assert!(why.contains("core"), "{why}"),
        other => panic!("expected NotBinary, got {other:?}"),
    }
    assert!(
        LoadError::NotBinary("x".into())
            .to_string()
            .starts_with("not a WebAssembly component binary")
    );
    assert!(host.load(PROBE).is_ok());
}

/// A component that implements the game-type world but whose core module
/// has a start function that traps: made with `wat` and `wit-component`.
fn start_trap_component() -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let (pkg, _) = resolve
        .push_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit"))
        .unwrap();
    let world = resolve.select_world(&[pkg], Some("game-type")).unwrap();
    let mut module = wat::parse_str(
        r#"(module
            (memory (export "memory") 1)
            (func $start unreachable)
            (start $start)
            (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable)
            (func (export "veltrix:game/game@0.3.0#describe") (result i32) unreachable)
            (func (export "veltrix:game/game@0.3.0#contract") (result i32) unreachable)
            (func (export "veltrix:game/game@0.3.0#init") (param i32 i32 i64) (result i32) unreachable)
            (func (export "veltrix:game/game@0.3.0#apply") (param i32) (result i32) unreachable)
            (func (export "veltrix:game/game@0.3.0#apply-batch") (param i32 i32 i32 i32) (result i32) unreachable)
            (func (export "veltrix:game/game@0.3.0#view") (param i32 i32 i32 i32) (result i32) unreachable)
        )"#,
    )
    .unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

#[test]
fn a_start_function_trap_is_blamed_on_instantiation() {
    let bytes = start_trap_component();
    match host().load(&bytes) {
        Err(LoadError::Instantiation(why)) => {
            assert!(
                why.contains("start") && why.contains("unreachable"),
                "{why}"
            )
        }
        other => panic!("expected an instantiation error, got {other:?}"),
    }
    let r = check(&host(), &bytes, &CheckOptions::default());
    assert!(
        !r.passed && r.steps[0].detail.contains("instantiation"),
        "{r:?}"
    );
}

#[test]
fn plugin_check_never_calls_a_deadline_hit_non_determinism() {
    // Fuel lifted and a tiny backstop: the probe's unbounded `spin` stalls.
    let host = PluginHost::new(PluginLimits {
        max_fuel: u64::MAX / 4,
        deadline_ms: 10,
        ..PluginLimits::default()
    })
    .unwrap();
    let opts = CheckOptions {
        random_actions: 50,
        replay_actions: 300,
        seed: 42,
        ..CheckOptions::default()
    };
    let r = check(&host, PROBE, &opts);
    let replay = r
        .steps
        .iter()
        .find(|s| s.name == "replay")
        .expect("replay ran");
    assert!(!replay.detail.contains("different"), "{replay:?}");
    assert!(replay.detail.contains("backstop"), "{replay:?}");
}
