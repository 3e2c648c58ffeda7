//! Partner uploads another host took. Every host registers the stored
//! uploads when it starts; after that an upload is registered on the host
//! whose API took it. Two paths make it playable on the others without a
//! restart:
//!
//! - [`pinned`]: a game's pinned component that is not loaded here is read
//!   from the store by hash and loaded (not made current), so its actions
//!   apply, its view renders and its actions are checked on any host;
//! - [`Processor::sync_uploads`]: each type's newest stored version is
//!   made current here (loaded if needed) and its topics consumed; the
//!   composition root runs it every `processor.plugin_sync_ms`.

use std::sync::Arc;

use veltrix_runtime::Plugin;

use super::ProcessorError;
use super::service::Processor;
use super::shared::Shared;

/// The component with content hash `hash`: the registry's, else the
/// store's, loaded for the games pinned to it. `None` when neither has it,
/// or the stored bytes no longer load (logged).
pub(crate) async fn pinned(
    shared: &Shared,
    hash: &str,
) -> Result<Option<Arc<Plugin>>, ProcessorError> {
    if let Some(p) = shared.registry.pinned(hash) {
        return Ok(Some(p));
    }
    let Some(bytes) = shared.store.plugin_bytes(hash).await? else {
        return Ok(None);
    };
    let registry = Arc::clone(&shared.registry);
    // Loading compiles: the blocking pool.
    let loaded = tokio::task::spawn_blocking(move || registry.pin(&bytes)).await;
    match loaded {
        Ok(Ok(p)) => Ok(Some(p)),
        Ok(Err(e)) => {
            tracing::error!(%hash, error = %e, "stored component would not load");
            Ok(None)
        }
        Err(e) => {
            tracing::error!(%hash, error = %e, "loading a stored component panicked");
            Ok(None)
        }
    }
}

impl Processor {
    /// The component with content hash `hash` (a game's pinned one),
    /// loaded from the store when another host took the upload.
    pub async fn pinned_plugin(&self, hash: &str) -> Result<Option<Arc<Plugin>>, ProcessorError> {
        pinned(&self.shared, hash).await
    }

    /// Makes each partner type's newest stored version current here
    /// (loading it when another host took the upload) and consumes its
    /// topics. Returns the types that changed. Idempotent.
    #[tracing::instrument(skip(self))]
    pub async fn sync_uploads(&self) -> Result<Vec<String>, ProcessorError> {
        let newest = self.shared.store.newest_plugin_versions().await?;
        let mut changed = Vec::new();
        for v in newest {
            let here = self.shared.registry.current(&v.game_type);
            if here.is_some_and(|p| p.hash == v.hash) {
                continue;
            }
            if pinned(&self.shared, &v.hash).await?.is_none() {
                continue;
            }
            self.shared.registry.promote(&v.hash);
            self.add_game_type(&v.game_type).await?;
            tracing::info!(game_type = %v.game_type, version = v.version, "upload from another host made current");
            changed.push(v.game_type);
        }
        Ok(changed)
    }

    /// [`Processor::sync_uploads`] every `processor.plugin_sync_ms` until
    /// `stop` says so (0: never) or the processor is gone. It holds the
    /// processor weakly, only for the length of a sync, so whoever owns it
    /// can still take it back to shut it down.
    pub async fn sync_uploads_every(
        processor: std::sync::Weak<Self>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let Some(ms) = processor.upgrade().map(|p| p.shared.cfg.plugin_sync_ms) else {
            return;
        };
        if ms == 0 {
            return;
        }
        let mut every = tokio::time::interval(std::time::Duration::from_millis(ms));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let Some(p) = processor.upgrade() else { return };
            if let Err(e) = p.sync_uploads().await {
                tracing::warn!(error = %e, "syncing uploads failed; next interval retries");
            }
        }
    }
}
