//! The group-commit outbox writer: callers submit events; one task commits
//! up to `outbox.batch_size` queued events per transaction and answers each
//! caller. Under load, one commit (one fsync) serves many events.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::OutboxConfig;
use veltrix_store::{OutboxEvent, Store, StoreError};
use veltrix_streams::{Envelope, EnvelopeError};

/// Why a submit failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// The event was refused before it was queued.
    #[error("invalid event: {0}")]
    Invalid(#[from] EnvelopeError),
    /// The batch's transaction failed (see [`StoreError`]).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer task has stopped.
    #[error("outbox writer stopped")]
    Closed,
}

struct Job {
    event: OutboxEvent,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// Handle on the writer task. Cheap to clone; the task ends when the last
/// handle is dropped, after committing what was queued.
#[derive(Clone)]
pub struct OutboxWriter {
    queue: mpsc::Sender<Job>,
    max_payload: usize,
}

impl std::fmt::Debug for OutboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWriter").finish_non_exhaustive()
    }
}

impl OutboxWriter {
    /// Starts the writer task.
    pub fn spawn(store: Store, cfg: &OutboxConfig) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(cfg.writer_queue.max(1));
        let task = tokio::spawn(run(store, rx, cfg.batch_size.max(1)));
        (
            Self {
                queue,
                max_payload: cfg.max_payload_bytes,
            },
            task,
        )
    }

    /// Queues `envelope` for `topic` and waits until its transaction has
    /// committed. Resolves with the batch's error if the commit failed.
    pub async fn submit(
        &self,
        topic: impl Into<String>,
        envelope: Envelope,
    ) -> Result<(), WriteError> {
        envelope.validate(self.max_payload)?;
        let (done, answer) = oneshot::channel();
        let event = OutboxEvent {
            topic: topic.into(),
            envelope,
        };
        self.queue
            .send(Job { event, done })
            .await
            .map_err(|_| WriteError::Closed)?;
        answer
            .await
            .map_err(|_| WriteError::Closed)?
            .map_err(Into::into)
    }
}

#[tracing::instrument(skip_all)]
async fn run(store: Store, mut rx: mpsc::Receiver<Job>, batch_size: usize) {
    let mut jobs = Vec::with_capacity(batch_size);
    // recv_many waits for the first job, then takes what is already queued.
    while rx.recv_many(&mut jobs, batch_size).await > 0 {
        let events: Vec<OutboxEvent> = jobs.iter().map(|j| j.event.clone()).collect();
        let result = store.enqueue(&events).await;
        tracing::debug!(n = events.len(), ok = result.is_ok(), "outbox batch");
        for job in jobs.drain(..) {
            // A caller that gave up waiting is not an error.
            let _ = job.done.send(result.clone());
        }
    }
}
