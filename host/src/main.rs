//! The `veltrix` binary: parse the command line, start tracing, run.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let cli = veltrix_host::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("VELTRIX_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let code = veltrix_host::cli::run(cli)?;
    std::process::exit(code);
}
