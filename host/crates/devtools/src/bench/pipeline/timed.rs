//! The processor's leaderboard and stream client, timed, without timing
//! code in the processor: the board's `apply` (once per batch with
//! rewards: the "boards" stage) and the ack of every event the processor
//! sends outside the game streams (quest and player events, after the
//! answer and before the offset commit) are recorded.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::demo::observer::{Percentiles, histogram};
use veltrix_leaderboard::{Applied, Board, Leaderboard, LeaderboardError, ScoreEntry, Standing};
use veltrix_streams::{
    Ack, Consumer, EnsureReport, Envelope, Record, StreamError, Streams, TopicSpec,
};

type Hist = Arc<Mutex<Histogram<u64>>>;

fn rec(h: &Hist, d: Duration) {
    h.lock()
        .expect("timing lock")
        .saturating_record((d.as_micros() as u64).max(1));
}

fn pct(h: &Hist) -> Percentiles {
    let h = h.lock().expect("timing lock");
    if h.is_empty() {
        Percentiles::default()
    } else {
        Percentiles::of(&h)
    }
}

/// The recorded timings.
#[derive(Clone)]
pub struct Timings {
    board_apply: Hist,
    event_ack: Hist,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            board_apply: Arc::new(Mutex::new(histogram())),
            event_ack: Arc::new(Mutex::new(histogram())),
        }
    }
}

impl Timings {
    /// (board apply per batch, quest/player event send -> ack).
    pub fn report(&self) -> (Percentiles, Percentiles) {
        (pct(&self.board_apply), pct(&self.event_ack))
    }
}

/// Times `apply`.
pub struct TimedBoard {
    pub(super) inner: Arc<dyn Leaderboard>,
    pub(super) t: Timings,
}

#[async_trait::async_trait]
impl Leaderboard for TimedBoard {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn apply(&self, entries: &[ScoreEntry]) -> Result<Applied, LeaderboardError> {
        let t0 = Instant::now();
        let r = self.inner.apply(entries).await;
        rec(&self.t.board_apply, t0.elapsed());
        r
    }

    async fn top(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        n: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        self.inner.top(tenant, game, board, n).await
    }

    async fn rank(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
    ) -> Result<Option<Standing>, LeaderboardError> {
        self.inner.rank(tenant, game, board, id).await
    }

    async fn around(
        &self,
        tenant: &str,
        game: &str,
        board: Board,
        id: &str,
        k: usize,
    ) -> Result<Vec<Standing>, LeaderboardError> {
        self.inner.around(tenant, game, board, id, k).await
    }

    async fn rebuild(
        &self,
        tenant: &str,
        game: &str,
        entries: &[ScoreEntry],
    ) -> Result<(), LeaderboardError> {
        self.inner.rebuild(tenant, game, entries).await
    }

    async fn clear(&self, tenant: &str, game: &str) -> Result<(), LeaderboardError> {
        self.inner.clear(tenant, game).await
    }
}

/// Times the acks of sends to topics outside `untimed` (the game streams).
pub struct TimedStreams {
    pub(super) inner: Arc<dyn Streams>,
    pub(super) untimed: HashSet<String>,
    pub(super) t: Timings,
}

#[async_trait::async_trait]
impl Streams for TimedStreams {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn ensure(&self, topics: &[TopicSpec]) -> Result<Vec<EnsureReport>, StreamError> {
        self.inner.ensure(topics).await
    }

    fn send(&self, topic: &str, event: &Envelope) -> Result<Ack, StreamError> {
        let ack = self.inner.send(topic, event)?;
        if self.untimed.contains(topic) {
            return Ok(ack);
        }
        let (t0, h) = (Instant::now(), Arc::clone(&self.t.event_ack));
        Ok(Box::pin(async move {
            let r = ack.await;
            rec(&h, t0.elapsed());
            r
        }))
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
    ) -> Result<Box<dyn Consumer>, StreamError> {
        self.inner.subscribe(group, topics).await
    }

    async fn partitions(&self, topic: &str) -> Result<u32, StreamError> {
        self.inner.partitions(topic).await
    }

    async fn end_offset(&self, topic: &str, partition: u32) -> Result<i64, StreamError> {
        self.inner.end_offset(topic, partition).await
    }

    async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: i64,
        max: usize,
    ) -> Result<Vec<Record>, StreamError> {
        self.inner.read(topic, partition, from, max).await
    }
}
