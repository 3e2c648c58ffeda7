//! The `veltrix` binary: parse the command line, start tracing, run.
//!
//! - `cli`: the subcommands; each loads the config and opens what it needs
//!   through the composition root (`veltrix-server`) or the devtools.

mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: the pipeline allocates per action
/// (envelopes, effects, lifted plugin strings) from several threads, and a
/// profile of `bench pipeline` put glibc's malloc and free at ~16 % of all
/// CPU (docs/benchmarks.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("VELTRIX_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = cli::run(cli)?;
    std::process::exit(code);
}
