//! `veltrix serve`: the HTTP API (see `host/crates/api`) until Ctrl-C.

use anyhow::Context;

use super::runtime;
use veltrix_server::config::HostConfig;

/// Serves the API on `api.listen` (or `listen` when given).
pub(crate) fn serve(config: &HostConfig, listen: Option<String>) -> anyhow::Result<i32> {
    let mut config = config.clone();
    if let Some(addr) = listen {
        config.api.listen = addr;
    }
    if config.api.bootstrap_operator_key.is_empty() {
        eprintln!(
            "note: no bootstrap operator key (VELTRIX_API__BOOTSTRAP_OPERATOR_KEY); \
             only keys already in the database are accepted"
        );
    }
    eprintln!("serving the API on {}; Ctrl-C stops it", config.api.listen);
    runtime()?
        .block_on(veltrix_server::serve(config))
        .context("serving the API")?;
    Ok(0)
}
