//! The group-forming step shared by the store's batching tasks (the
//! idempotency claims and the player-token lookups): wait for one job,
//! then take what else has queued, up to a size limit.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

/// The next group from `rx`: the first job to come, then those arriving
/// within `window` of it (none when zero), then whatever is already
/// queued, at most `max` in all. `None` once every sender is gone.
pub(crate) async fn gather<J>(
    rx: &mut UnboundedReceiver<J>,
    max: usize,
    window: Duration,
) -> Option<Vec<J>> {
    let max = max.max(1);
    let mut jobs = vec![rx.recv().await?];
    if !window.is_zero() {
        let deadline = tokio::time::Instant::now() + window;
        while jobs.len() < max {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(j)) => jobs.push(j),
                _ => break,
            }
        }
    }
    while jobs.len() < max {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    Some(jobs)
}
