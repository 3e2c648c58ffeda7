//! `veltrix serve`: open a [`Host`], bind `api.listen`, serve until Ctrl-C;
//! then end the feeds (open SSE streams would otherwise hold the graceful
//! shutdown forever), drain in-flight requests and shut the host down.
//! The API and the pages (`veltrix_web`, docs/screens.md) share the port.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::{Host, HostConfig, HostError};

/// Serves `config` until Ctrl-C.
pub async fn serve(config: HostConfig) -> Result<(), HostError> {
    let addr = config.api.listen.clone();
    let io = |source| HostError::Io {
        addr: addr.clone(),
        source,
    };
    let host = Host::open(config).await?;
    let listener = TcpListener::bind(&addr).await.map_err(io)?;
    let local: SocketAddr = listener.local_addr().map_err(io)?;
    host.start().await?;
    let state = host.api_state();
    tracing::info!(addr = %local, "API listening");
    let feed = Arc::clone(&state.feed);
    let app = veltrix_api::router(state).merge(veltrix_web::router());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            // If the signal handler cannot be installed, keep serving: the
            // process can still be stopped by other means.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("shutting down: draining in-flight requests");
            feed.stop();
        })
        .await;
    host.shutdown().await;
    served.map_err(io)?;
    Ok(())
}
