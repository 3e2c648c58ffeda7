//! The six built-in game types behave identically as components and
//! natively, and the `veltrix` binary checks them with the right exit codes.

use std::process::Command;

use veltrix_devtools::bench::plugins::bench_one;
use veltrix_devtools::builtin::BUILTINS;
use veltrix_runtime::{PluginHost, PluginLimits};

#[test]
fn wasm_and_native_agree_on_every_sample_stream() {
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    for b in &BUILTINS {
        let row = bench_one(&host, b, 3_000, 1).unwrap();
        assert!(row.agree, "{}: wasm and native diverged", b.name);
        assert!(
            row.applied > 300,
            "{}: only {} of 3000 applied",
            b.name,
            row.applied
        );
        assert!(row.fuel_max <= row.fuel_budget, "{}: {row:?}", b.name);
    }
}

fn veltrix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_veltrix"))
}

#[test]
fn cli_check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = veltrix()
        .args(["plugin", "export-builtins"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let good = dir.path().join("riddle.wasm");
    let out = veltrix()
        .args(["plugin", "check", "--json"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["report"]["passed"], true);

    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0").unwrap();
    let out = veltrix()
        .args(["plugin", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));

    let out = veltrix()
        .args(["plugin", "check"])
        .arg(dir.path().join("missing.wasm"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn apply_batch_equals_consecutive_applies() {
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    for b in &BUILTINS {
        let plugin = host.load(b.wasm).unwrap();
        let (mut one, mut many) = (plugin.worker(), plugin.worker());
        let start = one.init(&(b.sample_config)(), 3).unwrap().unwrap();
        let actions = (b.sample_actions)(1_600, 2);
        let (mut s1, mut s2) = (start.clone(), start);
        for chunk in actions.chunks(16) {
            let batch = many.apply_batch(&s2, chunk);
            assert_eq!(batch.outcomes.len(), chunk.len());
            for (a, got) in chunk.iter().zip(batch.outcomes) {
                let want = one.apply(&s1, a).unwrap().result;
                if let Ok(t) = &want {
                    s1.clone_from(&t.state);
                }
                let want = want.map(|t| (t.quest_updates, t.rewards, t.score_deltas));
                let got = got
                    .unwrap()
                    .map(|e| (e.quest_updates, e.rewards, e.score_deltas));
                assert_eq!(got, want, "{}: `{}`", b.name, a.kind);
            }
            s2 = batch.state;
            assert_eq!(s1, s2, "{}: states diverged", b.name);
        }
    }
}
