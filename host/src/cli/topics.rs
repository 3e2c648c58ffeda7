//! `veltrix topics ensure`: create the configured topics with their
//! configs; report (never change) the ones that exist.

use anyhow::Context;

use super::{BackendArg, runtime};
use veltrix_server::config::HostConfig;
use veltrix_streams::EnsureOutcome;

/// Runs `topics ensure`; exit 2 when an existing topic differs.
pub(crate) fn ensure(config: &HostConfig, json: bool, backend: BackendArg) -> anyhow::Result<i32> {
    anyhow::ensure!(
        backend != BackendArg::Both,
        "--backend both is for benchmarks; pick kafka or embedded"
    );
    let mut streams_cfg = config.streams.clone();
    streams_cfg.backend = backend.kinds()[0];
    let reports = runtime()?.block_on(async {
        let s = veltrix_server::open_streams(&streams_cfg, &config.kafka, &config.database.url)
            .await
            .with_context(|| format!("opening the {:?} stream backend", streams_cfg.backend))?;
        s.ensure(&streams_cfg.topics())
            .await
            .context("ensuring topics")
    })?;
    let differs = reports
        .iter()
        .any(|r| matches!(r.outcome, EnsureOutcome::Differs { .. }));
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            match &r.outcome {
                EnsureOutcome::Created => println!("{}: created", r.topic),
                EnsureOutcome::Exists => println!("{}: exists", r.topic),
                EnsureOutcome::Differs { differences } => {
                    println!("{}: differs: {}", r.topic, differences.join("; "))
                }
            }
        }
    }
    Ok(if differs { 2 } else { 0 })
}
