//! Builds the guest components (the six game types and the test probes) for
//! `wasm32-wasip2`, so `cargo build` on a fresh clone yields a host with its
//! built-in game types embedded. Modelled on wasmtime's test-programs: a
//! nested cargo with its own target directory (sharing the outer one would
//! deadlock on its lock), in the `guest` profile.

use std::path::{Path, PathBuf};
use std::process::Command;

const GUESTS: &[&str] = &[
    "veltrix-scavenger",
    "veltrix-riddle",
    "veltrix-trail",
    "veltrix-territory",
    "veltrix-bingo",
    "veltrix-sprint",
    "veltrix-probe",
    "veltrix-netprobe",
    "veltrix-bloat",
    "veltrix-legacy",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    // host/crates/artifacts -> the workspace root.
    let root = manifest.ancestors().nth(3).unwrap().to_path_buf();
    // Relative paths, which cargo resolves against the package in the
    // checkout being built: absolute ones would tie the build script's
    // fingerprint to whichever clone last ran it, and a second clone sharing
    // the target directory would embed that clone's components.
    for dir in [
        "../../../sdk",
        "../../../wit",
        "../../../plugins",
        "../../../Cargo.toml",
        "../../../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rerun-if-env-changed=VELTRIX_GUEST_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=VELTRIX_GUEST_ONLY");
    // Development escape hatch: build only these guests (comma-separated);
    // the others are embedded as empty files and fail to load at run time.
    let only: Option<Vec<String>> = std::env::var("VELTRIX_GUEST_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let selected: Vec<&str> = GUESTS
        .iter()
        .copied()
        .filter(|g| only.as_ref().is_none_or(|o| o.iter().any(|x| x == g)))
        .collect();

    // <target>/<profile>/build/<pkg>/out -> <target>/wasm-guests/<checkout>,
    // shared by every profile of the outer build; one directory per checkout
    // so that two clones sharing a target directory never embed each
    // other's components.
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let target_dir = std::env::var("VELTRIX_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let checkout = format!("{:016x}", fnv1a(root.to_string_lossy().as_bytes()));
            out.ancestors()
                .nth(4)
                .unwrap_or(&out)
                .join("wasm-guests")
                .join(checkout)
        });

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--profile", "guest", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    for g in &selected {
        cmd.args(["-p", g]);
    }
    // The outer build's flags and wrappers (clippy, coverage) are for the host.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PROFILE_RELEASE_DEBUG",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("run cargo to build the wasm guests");
    assert!(
        status.success(),
        "building the wasm guests failed; is the target installed? (rustup target add wasm32-wasip2)"
    );

    let dir = target_dir.join("wasm32-wasip2").join("guest");
    let empty = out.join("empty.wasm");
    std::fs::write(&empty, b"").unwrap();
    for g in GUESTS {
        let mut file = dir.join(format!("{}.wasm", g.replace('-', "_")));
        if !selected.contains(g) {
            file = empty.clone();
        }
        assert!(file.exists(), "guest component missing: {}", file.display());
        let var = format!(
            "VELTRIX_GUEST_{}",
            g.trim_start_matches("veltrix-").to_uppercase()
        );
        println!("cargo:rustc-env={var}={}", file.display());
    }
    println!("cargo:rustc-env=VELTRIX_GUEST_DIR={}", display(&dir));
}

/// FNV-1a: a stable hash (std's hashers are randomly seeded).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
