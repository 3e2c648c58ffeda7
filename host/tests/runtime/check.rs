//! `veltrix plugin check` on known-good and known-bad components.

use veltrix_artifacts::BUILTINS;
use veltrix_runtime::check::{CheckOptions, check};
use veltrix_runtime::{PluginHost, PluginLimits};

use veltrix_artifacts::NETPROBE;
use veltrix_artifacts::PROBE;

fn host() -> PluginHost {
    PluginHost::new(PluginLimits::default()).unwrap()
}

fn step<'a>(
    r: &'a veltrix_runtime::check::CheckReport,
    name: &str,
) -> &'a veltrix_runtime::check::Step {
    r.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {r:?}"))
}

#[test]
fn every_builtin_game_type_passes_conformance() {
    let host = host();
    for b in &BUILTINS {
        let r = check(&host, b.wasm, &CheckOptions::default());
        assert!(r.passed, "{}: {:#?}", b.name, r.steps);
        assert_eq!(r.steps.len(), 10);
        assert!(
            r.kinds.iter().all(|k| k.applied > 0),
            "{}: {:?}",
            b.name,
            r.kinds
        );
        assert!(
            r.fuel.max <= r.fuel.budget && r.fuel.applies > 0,
            "{}: {:?}",
            b.name,
            r.fuel
        );
        assert!(r.game_type.as_deref().unwrap().starts_with(b.name));
    }
}

#[test]
fn a_guest_that_traps_or_loops_fails_robustness() {
    // The probe traps on `trap`, loops forever on `spin` without a bound,
    // exits on `exit`, reports `invalid-state` on `corrupt`; the random run
    // finds at least one of them.
    let r = check(&host(), PROBE, &CheckOptions::default());
    assert!(!r.passed);
    assert!(step(&r, "load").passed && step(&r, "init").passed);
    let rob = step(&r, "robustness");
    let named = [
        "trapped",
        "fuel budget",
        "memory",
        "exit(",
        "invalid state",
        "handles",
    ]
    .iter()
    .any(|f| rob.detail.contains(f));
    assert!(!rob.passed && named, "{rob:?}");
}

#[test]
fn a_guest_with_sockets_fails_at_load() {
    let r = check(&host(), NETPROBE, &CheckOptions::default());
    assert!(!r.passed);
    assert_eq!(r.steps.len(), 1);
    assert!(r.steps[0].detail.contains("wasi:sockets"), "{:?}", r.steps);
}

#[test]
fn garbage_fails_at_load() {
    let r = check(&host(), b"\0asm garbage", &CheckOptions::default());
    assert!(!r.passed);
    assert!(!step(&r, "load").passed);
}

/// A component built against WIT 0.2 (no `contract`) still loads, passes
/// the check (untyped) and plays: the host links both versions.
#[test]
fn a_component_of_contract_0_2_still_runs() {
    let host = host();
    let r = check(&host, veltrix_artifacts::LEGACY, &CheckOptions::default());
    assert!(r.passed, "{:#?}", r.steps);
    assert_eq!(r.contract.as_deref(), Some("0.2"));
    let contract = r.steps.iter().find(|s| s.name == "contract").unwrap();
    assert!(contract.detail.contains("0.2"), "{contract:?}");

    let plugin = host.load(veltrix_artifacts::LEGACY).unwrap();
    assert!(!plugin.typed() && plugin.reward_types().is_none());
    let mut w = plugin.worker();
    let state = w.init("{}", 1).unwrap().unwrap();
    let tap = veltrix_contract::Action::new("ann", "tap", 1_000)
        .with_payload(serde_json::json!({"points": 7}));
    // Untyped: the host admits any payload; the plugin decides.
    assert!(
        plugin
            .check_action(&tap.clone().with_raw_payload("[1,2"))
            .is_ok()
    );
    let t = w.apply(&state, &tap).unwrap().result.unwrap();
    assert_eq!(
        (t.rewards[0].points, t.rewards[0].reward_type.as_str()),
        (7, "points")
    );
    let view = w.view(&t.state, "ann").unwrap().unwrap();
    assert_eq!(view.score, 7);
}

/// A typed component's actions are checked before the plugin: an
/// undeclared kind, a role the kind does not list, a payload off its
/// schema, each refused with a message naming what is wrong.
#[test]
fn typed_actions_are_refused_before_the_plugin_with_the_field_named() {
    let host = host();
    let riddle = BUILTINS.iter().find(|b| b.name == "riddle").unwrap();
    let plugin = host.load(riddle.wasm).unwrap();
    assert!(plugin.typed());
    use veltrix_contract::{Action, RejectionCode};
    let attempt = |p: serde_json::Value| Action::new("ann", "attempt", 1).with_payload(p);
    assert!(
        plugin
            .check_action(&attempt(
                serde_json::json!({"challenge": "c1", "answer": "x"})
            ))
            .is_ok()
    );
    let bad = plugin
        .check_action(&attempt(
            serde_json::json!({"challenge": "c1", "answer": 5}),
        ))
        .unwrap_err();
    assert_eq!(bad.code, RejectionCode::InvalidPayload);
    assert!(bad.message.contains("/answer"), "{bad:?}");
    let extra = plugin
        .check_action(&attempt(
            serde_json::json!({"challenge": "c1", "answer": "x", "cheat": 1}),
        ))
        .unwrap_err();
    assert_eq!(extra.code, RejectionCode::InvalidPayload, "{extra:?}");
    let not_json = plugin
        .check_action(&attempt(serde_json::json!(null)).with_raw_payload("{"))
        .unwrap_err();
    assert!(not_json.message.contains("not JSON"), "{not_json:?}");
    let end = plugin
        .check_action(&Action::new("ann", "end", 1))
        .unwrap_err();
    assert_eq!(end.code, RejectionCode::Forbidden, "{end:?}");
    assert!(
        plugin
            .check_action(&Action::new("gm", "end", 1).as_game_master())
            .is_ok()
    );
    let unknown = plugin
        .check_action(&Action::new("ann", "dance", 1))
        .unwrap_err();
    assert_eq!(unknown.code, RejectionCode::UnknownKind);
    let spec = plugin.contract.action("attempt").unwrap();
    assert!(spec.payload_schema.contains("\"answer\""), "{spec:?}");
    assert!(
        plugin
            .reward_types()
            .unwrap()
            .contains(&"points".to_string())
    );
}
