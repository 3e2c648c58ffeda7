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
        assert_eq!(r.steps.len(), 7);
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
