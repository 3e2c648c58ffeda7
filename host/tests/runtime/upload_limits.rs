//! `[plugins.component]` limits and the check's budgets, below HTTP: the
//! static limits refuse before compiling, the describe limits right after
//! `describe`, the built-ins pass with room to spare, and `veltrix plugin
//! check` ends within its time and memory budgets (the upload route's
//! behaviour is in `api_partners.rs` and `upload_budgets.rs`).

use crate::synth;

use std::process::Command;
use std::time::{Duration, Instant};

use veltrix_artifacts::{BUILTINS, PROBE};
use veltrix_runtime::check::{CheckOptions, check};
use veltrix_runtime::inspect::{ComponentLimits, Limit, inspect};
use veltrix_runtime::{LoadError, PluginHost, PluginLimits};

use veltrix_artifacts::BLOAT;
const VELTRIX: &str = env!("CARGO_BIN_EXE_veltrix");

#[test]
fn the_builtins_pass_with_room_to_spare() {
    let limits = ComponentLimits::default();
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    for b in BUILTINS.iter().filter(|b| !b.wasm.is_empty()) {
        let inv = inspect(b.wasm, &limits).unwrap();
        eprintln!("{}: {inv:?}", b.name);
        // Half of each limit at most: a built-in growing towards a limit
        // shows here before any partner meets it.
        assert!(
            inv.functions * 2 <= limits.max_functions,
            "{}: {inv:?}",
            b.name
        );
        assert!(
            inv.code_bytes * 2 <= limits.max_code_bytes,
            "{}: {inv:?}",
            b.name
        );
        assert!(inv.modules * 2 <= limits.max_modules, "{}: {inv:?}", b.name);
        assert!(
            inv.components * 2 <= limits.max_components,
            "{}: {inv:?}",
            b.name
        );
        let i = &host.load(b.wasm).unwrap().info;
        let total = i.config_schema.len() + i.example_config.len();
        eprintln!(
            "{}: schema {} B, example {} B, {} kinds",
            b.name,
            i.config_schema.len(),
            i.example_config.len(),
            i.action_kinds.len()
        );
        assert!(i.config_schema.len() as u64 * 2 <= limits.max_config_schema_bytes);
        assert!(i.example_config.len() as u64 * 2 <= limits.max_example_config_bytes);
        assert!(i.action_kinds.len() as u64 * 2 <= limits.max_action_kinds);
        assert!(total as u64 * 2 <= limits.max_describe_bytes);
    }
    let inv = inspect(PROBE, &limits).unwrap();
    assert!(
        inv.modules >= 2 && inv.components >= 1,
        "nested modules counted: {inv:?}"
    );
}

#[test]
fn too_many_functions_are_refused_before_compiling() {
    // The component: 600,000 empty functions, 92-124 s to compile.
    let bytes = synth::component_with_functions(1, 600_000);
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    let started = Instant::now();
    let err = host.load(&bytes).unwrap_err();
    let took = started.elapsed();
    eprintln!("{} bytes refused in {took:?}: {err}", bytes.len());
    let LoadError::Limit(l) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (l.limit, l.value, l.max),
        (Limit::Functions, 600_000, 20_000)
    );
    assert!(
        err.to_string().contains("plugins.component.max_functions"),
        "{err}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Spread over nested modules, each under the limit: still counted.
    let bytes = synth::component_with_functions(3, 8_000);
    let err = host.load(&bytes).unwrap_err();
    assert!(
        matches!(&err, LoadError::Limit(l) if l.limit == Limit::Functions && l.value == 24_000),
        "{err:?}"
    );
    // And the check names the limit in its report.
    let r = check(&host, &bytes, &CheckOptions::default());
    assert!(!r.passed);
    assert_eq!(r.limit.map(|l| l.limit), Some(Limit::Functions));
}

#[test]
fn code_size_and_module_count_are_bounded() {
    let limits = ComponentLimits {
        max_code_bytes: 1_000,
        max_modules: 2,
        ..ComponentLimits::default()
    };
    let err = inspect(&synth::component_with_functions(1, 1_000), &limits).unwrap_err();
    assert!(err.to_string().contains("max_code_bytes"), "{err}");
    let err = inspect(&synth::component_with_functions(3, 1), &limits).unwrap_err();
    assert!(err.to_string().contains("max_modules"), "{err}");
}

/// Building 100,002 kinds and 2 MiB takes `describe` tens of ms: on a
/// loaded machine the 100 ms call deadline, not the limit under test, could
/// refuse it.
fn patient() -> PluginLimits {
    PluginLimits {
        deadline_ms: 5_000,
        ..PluginLimits::default()
    }
}

#[test]
fn an_oversize_description_is_refused_after_describe() {
    let host = PluginHost::new(patient()).unwrap();
    let err = host.load(BLOAT).unwrap_err();
    assert!(
        matches!(&err, LoadError::Limit(l) if l.limit == Limit::ConfigSchemaBytes && l.value > 2 << 20),
        "{err:?}"
    );
    // With room for the schema, the 100,002 action kinds are refused.
    let mut limits = patient();
    limits.component.max_config_schema_bytes = 4 << 20;
    limits.component.max_describe_bytes = 8 << 20;
    let host = PluginHost::new(limits).unwrap();
    let err = host.load(BLOAT).unwrap_err();
    assert!(
        matches!(&err, LoadError::Limit(l) if l.limit == Limit::ActionKinds && l.value == 100_002),
        "{err:?}"
    );
}

/// `veltrix plugin check <file>` with `env`: exit code, stdout, time taken.
fn cli_check(bytes: &[u8], env: &[(&str, &str)]) -> (i32, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.wasm");
    std::fs::write(&file, bytes).unwrap();
    let started = Instant::now();
    let out = Command::new(VELTRIX)
        .args(["plugin", "check", "--json"])
        .arg(&file)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    eprintln!("{took:?} {stdout} {}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), stdout, took)
}

#[test]
fn the_cli_check_ends_within_its_time_and_memory_budgets() {
    // Under a raised function limit, compiling this takes about a minute.
    let bytes = synth::component_with_functions(1, 400_000);
    let raised = ("VELTRIX_PLUGINS__COMPONENT__MAX_FUNCTIONS", "10000000");
    let (code, out, took) = cli_check(
        &bytes,
        &[raised, ("VELTRIX_API__UPLOAD_CHECK_TIMEOUT_MS", "1500")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("exceeded its time budget of 1500 ms"), "{out}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    let (code, out, _) = cli_check(
        &bytes,
        &[
            raised,
            ("VELTRIX_API__UPLOAD_CHECK_TIMEOUT_MS", "60000"),
            ("VELTRIX_API__UPLOAD_CHECK_MEMORY_BYTES", "268435456"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("exceeded its memory budget of 268435456 bytes"),
        "{out}"
    );
}
