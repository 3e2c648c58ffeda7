//! Which game-stream partitions this host's worker loops own right now.
//!
//! With several hosts in one consumer group, each game is applied by the
//! host that owns its partition. Two things follow from ownership:
//!
//! - the ticker sends a game's `tick` only from its owner, so a game gets
//!   one tick per interval across the cluster, not one per host;
//! - an action submitted here for a game owned elsewhere never resolves in
//!   this process's outcome book: its waiter reads the stored outcome
//!   instead (see [`super::outcome::Submitted::outcome`]).
//!
//! Each worker loop publishes its consumer's assignment after every poll.
//! During a rebalance two hosts may briefly both claim a partition (one
//! extra tick: harmless, a tick only moves a game's clock forward) or none
//! (a tick skipped for a round; a waiter polls the store anyway).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::watch;

/// What one loop published: `None` when its backend cannot tell.
type Claim = Option<Vec<(Arc<str>, u32)>>;

/// The union of the worker loops' assignments.
pub(crate) struct Ownership {
    loops: RwLock<HashMap<u64, Claim>>,
    next: AtomicU64,
    /// Bumped on every change, so a waiter learns that its game moved
    /// without polling.
    changed: watch::Sender<u64>,
}

impl Default for Ownership {
    fn default() -> Self {
        Self {
            loops: RwLock::default(),
            next: AtomicU64::default(),
            changed: watch::channel(0).0,
        }
    }
}

impl Ownership {
    /// Changes from now on (a new value per change).
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// A new loop's id; it owns nothing until it publishes.
    pub(crate) fn join(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Loop `id` now owns `parts` (`None`: cannot tell, assume any).
    pub(crate) fn publish(&self, id: u64, parts: Claim) {
        if self.loops.read().expect("ownership lock").get(&id) == Some(&parts) {
            return;
        }
        match &parts {
            Some(p) => {
                let mut list: Vec<String> = p.iter().map(|(t, n)| format!("{t}/{n}")).collect();
                list.sort();
                tracing::info!(worker = id, partitions = %list.join(","), "game partitions assigned");
            }
            None => tracing::info!(worker = id, "game partitions unknown (assumed any)"),
        }
        self.loops
            .write()
            .expect("ownership lock")
            .insert(id, parts);
        self.changed.send_modify(|g| *g += 1);
    }

    /// Loop `id` stopped: whatever it owned is someone else's now.
    pub(crate) fn leave(&self, id: u64) {
        if self
            .loops
            .write()
            .expect("ownership lock")
            .remove(&id)
            .is_some()
        {
            self.changed.send_modify(|g| *g += 1);
        }
    }

    /// Whether a loop of this host owns `topic`/`partition`.
    pub(crate) fn owns(&self, topic: &str, partition: u32) -> bool {
        let loops = self.loops.read().expect("ownership lock");
        loops.values().any(|claim| match claim {
            None => true,
            Some(parts) => parts.iter().any(|(t, p)| *p == partition && **t == *topic),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owns_what_a_running_loop_claims() {
        let o = Ownership::default();
        let (a, b) = (o.join(), o.join());
        assert!(!o.owns("g", 0), "nothing before a publish");
        o.publish(a, Some(vec![(Arc::from("g"), 0)]));
        o.publish(b, Some(vec![(Arc::from("g"), 2)]));
        assert!(o.owns("g", 0) && o.owns("g", 2));
        assert!(!o.owns("g", 1) && !o.owns("h", 0));
        o.leave(a);
        assert!(!o.owns("g", 0), "a stopped loop owns nothing");
        o.publish(b, None);
        assert!(o.owns("h", 7), "a backend that cannot tell may own any");
        // Waiters hear of changes, not of repeats.
        let w = o.watch();
        o.publish(b, None);
        assert!(
            !w.has_changed().unwrap(),
            "the same claim again is no change"
        );
        o.leave(b);
        assert!(w.has_changed().unwrap(), "a loop leaving is a change");
    }
}
