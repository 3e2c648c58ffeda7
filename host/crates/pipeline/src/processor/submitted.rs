//! [`Submitted`]: an accepted action, and how its submitter waits for the
//! outcome on any host.
//!
//! The host that owns the game's partition applies the action and resolves
//! the waiter registered at submit in its own process. An action sent
//! from a host that does not own the partition (several hosts behind a
//! load balancer; a rebalance after a host died) never resolves here, so
//! its waiter reads the outcome the applying host stored with the batch's
//! effects (`action_outcomes`), every `processor.outcome_poll_ms`. A
//! waiter whose game is applied here reads nothing from the store and
//! sets no timer: it wakes on its answer, or when this host's ownership
//! changes (`Ownership::watch`), so a loaded host adds neither reads to a
//! loaded database nor wake-ups per waiting request.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use veltrix_store::Store;

use super::outcome::{ActionResult, Outcome, Outcomes};
use super::ownership::Ownership;

/// An accepted action: stored in the game stream, not yet applied.
#[derive(Debug)]
pub struct Submitted {
    /// The action id (the envelope's event id).
    pub action_id: String,
    /// Game-stream partition.
    pub partition: u32,
    /// Game-stream offset.
    pub offset: i64,
    outcome: oneshot::Receiver<Outcome>,
    follow: Follow,
}

/// Where to look for an outcome another host applies.
pub(crate) struct Follow {
    pub tenant: String,
    pub topic: String,
    pub store: Store,
    pub outcomes: Arc<Outcomes>,
    pub owned: Arc<Ownership>,
    pub poll: Duration,
}

impl std::fmt::Debug for Follow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("tenant", &self.tenant)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl Submitted {
    pub(crate) fn new(
        action_id: String,
        partition: u32,
        offset: i64,
        outcome: oneshot::Receiver<Outcome>,
        follow: Follow,
    ) -> Self {
        Self {
            action_id,
            partition,
            offset,
            outcome,
            follow,
        }
    }

    /// Whether a worker loop of this host owns the action's partition.
    fn applied_here(&self) -> bool {
        self.follow.owned.owns(&self.follow.topic, self.partition)
    }

    /// Waits up to `timeout` for the outcome, whichever host applies the
    /// action; `None` when it did not come in time (still queued: it
    /// applies once, and `action_outcomes` will hold it).
    pub async fn outcome(mut self, timeout: Duration) -> Option<Outcome> {
        let deadline = tokio::time::Instant::now() + timeout;
        let every = self.follow.poll.max(Duration::from_millis(1));
        // Subscribed before the first ownership check: a move after it
        // wakes the wait below.
        let mut moved = self.follow.owned.watch();
        // Whether this process can still resolve it (the registration may
        // be dropped when the action turned out to be another host's).
        let mut local = true;
        loop {
            if local && self.applied_here() {
                // Applied here: no timer, no store read; the answer, or
                // news that a rebalance moved the game away.
                tokio::select! {
                    r = &mut self.outcome => match r {
                        Ok(o) => return Some(o),
                        Err(_) => local = false,
                    },
                    _ = moved.changed() => {}
                    _ = tokio::time::sleep_until(deadline) => return None,
                }
                continue;
            }
            // Applied elsewhere: the stored outcome, every `every`.
            if let Some(o) = self.stored().await {
                return Some(o);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return None;
            }
            let next = (now + every).min(deadline);
            if local {
                tokio::select! {
                    r = &mut self.outcome => match r {
                        Ok(o) => return Some(o),
                        Err(_) => local = false,
                    },
                    _ = tokio::time::sleep_until(next) => {}
                }
            } else {
                tokio::time::sleep_until(next).await;
            }
        }
    }

    /// The stored outcome, if the applying host has written it.
    async fn stored(&self) -> Option<Outcome> {
        let f = &self.follow;
        let r = match f.store.stored_outcome(&f.tenant, &self.action_id).await {
            Ok(r) => r?,
            Err(e) => {
                tracing::debug!(action_id = %self.action_id, error = %e, "reading a stored outcome failed; waiting on");
                return None;
            }
        };
        let result: ActionResult = match serde_json::from_str(&r.result) {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(action_id = %self.action_id, error = %e, "stored outcome unreadable");
                return None;
            }
        };
        Some(Outcome {
            action_id: r.action_id,
            tenant: r.tenant,
            game_id: r.game_id,
            offset: r.offset,
            player_id: r.player_id,
            result,
            received_at_ms: r.received_at_ms,
            applied_at_ms: r.applied_at_ms,
            kind: r.kind.unwrap_or_default(),
            payload: r.payload,
            stages: Default::default(),
        })
    }
}

impl Drop for Submitted {
    fn drop(&mut self) {
        // An action another host applies never resolves here: stop
        // counting it against this host's `max_in_flight`. One applied
        // here stays counted until it applies (that is the backlog).
        if !self.applied_here() {
            self.outcome.close();
            self.follow
                .outcomes
                .forget_closed(&self.follow.tenant, &self.action_id);
        }
    }
}
