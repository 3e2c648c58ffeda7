//! `veltrix new game-type NAME`: a partner's starting point, in a
//! repository of their own. It writes a crate that builds, passes `veltrix
//! plugin check` (with its scenario) and plays as it is: a config schema and
//! example config, the rules with a typed contract, native tests and a
//! scenario file. `host/tests/cli/scaffold.rs` runs the README's walkthrough
//! on it end to end.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// `veltrix new game-type` arguments.
#[derive(Debug, clap::Args)]
pub struct NewGameTypeArgs {
    /// Game-type name: `[a-z][a-z0-9-]*` (also the crate's name).
    pub name: String,
    /// Directory to create (default: `./NAME`).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The Veltrix SDK to depend on: a path to its crate. Default: the SDK
    /// of the checkout this `veltrix` was built from, when it still exists;
    /// else the crates.io version requirement.
    #[arg(long)]
    pub sdk: Option<PathBuf>,
}

/// The files written, relative to the new directory.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("scaffold/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("scaffold/lib.rs.tmpl")),
    ("tests/rules.rs", include_str!("scaffold/rules.rs.tmpl")),
    (
        "config.schema.json",
        include_str!("scaffold/config.schema.json"),
    ),
    (
        "example-config.json",
        include_str!("scaffold/example-config.json"),
    ),
    ("scenario.json", include_str!("scaffold/scenario.json")),
    (".gitignore", "/target\n"),
];

/// Where this binary's SDK was at build time.
fn built_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk")
}

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Writes the new crate; returns its directory.
pub fn game_type(args: &NewGameTypeArgs) -> anyhow::Result<PathBuf> {
    if !valid_name(&args.name) {
        bail!(
            "`{}` is not a game-type name: use [a-z][a-z0-9-]*, at most 64 characters",
            args.name
        );
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!("{} exists and is not empty", dir.display());
    }
    let sdk = match &args.sdk {
        Some(p) => Some(p.clone()),
        None => Some(built_sdk()).filter(|p| p.join("Cargo.toml").exists()),
    };
    let sdk = match sdk {
        Some(p) => {
            let p = p
                .canonicalize()
                .with_context(|| format!("the SDK at {}", p.display()))?;
            format!("{{ path = {:?} }}", p.display().to_string())
        }
        None => "\"0.1\"".to_string(),
    };
    let crate_ident = args.name.replace('-', "_");
    for (path, template) in FILES {
        let text = template
            .replace("{{name}}", &args.name)
            .replace("{{crate}}", &args.name)
            .replace("{{crate_ident}}", &crate_ident)
            .replace("{{sdk}}", &sdk);
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(dir)
}

/// `veltrix new game-type`: writes the crate and says what to do next.
pub fn run(args: &NewGameTypeArgs) -> anyhow::Result<i32> {
    let dir = game_type(args)?;
    let wasm = args.name.replace('-', "_");
    println!("created {} (game type `{}`)", dir.display(), args.name);
    println!("next:");
    println!("  cd {}", dir.display());
    println!("  cargo test");
    println!("  cargo build --release --target wasm32-wasip2");
    println!(
        "  veltrix plugin check target/wasm32-wasip2/release/{wasm}.wasm --scenario scenario.json"
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_directories_not_overwritten() {
        let tmp = std::env::temp_dir().join(format!("veltrix-new-{}", std::process::id()));
        let bad = NewGameTypeArgs {
            name: "Relay Race".into(),
            dir: Some(tmp.join("x")),
            sdk: None,
        };
        assert!(game_type(&bad).is_err());
        let ok = NewGameTypeArgs {
            name: "relay-race".into(),
            dir: Some(tmp.join("relay")),
            sdk: None,
        };
        let dir = game_type(&ok).unwrap();
        let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            toml.contains("name = \"relay-race\"") && toml.contains("path = "),
            "{toml}"
        );
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("name: \"relay-race\"") && !lib.contains("{{"));
        assert!(game_type(&ok).is_err(), "a second run must not overwrite");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
