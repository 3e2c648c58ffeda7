//! `GET /v1/tenants/{tenant}/games/{game}/activity`: a game's actions as
//! they are answered, over Server-Sent Events, for the console's live
//! activity and judge queue.
//!
//! First the game's last `api.activity_backlog` stored outcomes (oldest first), then
//! an `outcome` event per action of the game as this host's processor
//! resolves it ([`Processor::subscribe_outcomes`]). The subscription is
//! taken before the backlog is read, and live outcomes at or below the
//! backlog's last stream offset are skipped, so nothing is lost or shown
//! twice. A connection that reads too slowly skips what the broadcast
//! dropped and is told with a `lagged` comment (reload to catch up).
//!
//! Actions another host applies (several hosts, docs/processor.md) come
//! from the store instead: every `api.activity_refresh_ms` the stream
//! reads the game's stored outcomes after the last offset it sent. Both
//! paths send only offsets above the last one sent, in order (a game's
//! outcomes are stored before they are broadcast), so none comes twice.
//!
//! [`Processor::subscribe_outcomes`]: veltrix_pipeline::processor::Processor::subscribe_outcomes

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use super::auth::Caller;
use super::games::game_access;
use super::{ApiError, ApiPath, AppState};
use veltrix_pipeline::processor::{ActionResult, Outcome};
use veltrix_store::OutcomeRecord;

/// Keep-alive comment interval.
pub const PING: Duration = Duration::from_secs(15);
/// Events queued per connection before the sender waits.
const QUEUE: usize = 64;

/// One `outcome` event.
#[derive(Debug, Serialize)]
pub struct ActivityEvent {
    /// The action id.
    pub action_id: String,
    /// Who acted (`game-master`, `host`, or a player).
    pub player_id: String,
    /// The action's kind (`null` in outcomes stored before kinds were).
    pub kind: Option<String>,
    /// The action's payload, for kinds that take evidence only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// What happened (`result`, then its fields: `code`, `message`,
    /// `status`, `paid`...).
    #[serde(flatten)]
    pub result: ActionResult,
    /// When its effects committed, ms since the epoch.
    pub applied_at_ms: i64,
}

/// A payload as JSON (kept as text if it somehow is not JSON).
fn payload(p: Option<&str>) -> Option<Value> {
    p.map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_string())))
}

impl ActivityEvent {
    fn of_stored(o: &OutcomeRecord) -> Option<Self> {
        let result = serde_json::from_str(&o.result)
            .map_err(|e| tracing::warn!(action_id = %o.action_id, error = %e, "stored outcome unreadable"))
            .ok()?;
        Some(Self {
            action_id: o.action_id.clone(),
            player_id: o.player_id.clone(),
            kind: o.kind.clone(),
            payload: payload(o.payload.as_deref()),
            result,
            applied_at_ms: o.applied_at_ms,
        })
    }

    fn of_live(o: &Outcome) -> Self {
        Self {
            action_id: o.action_id.clone(),
            player_id: o.player_id.clone(),
            kind: (!o.kind.is_empty()).then(|| o.kind.clone()),
            payload: payload(o.payload.as_deref()),
            result: o.result.clone(),
            applied_at_ms: o.applied_at_ms,
        }
    }

    fn sse(&self) -> Event {
        Event::default()
            .event("outcome")
            .data(serde_json::to_string(self).unwrap_or_default())
    }
}

/// The events of an SSE connection fed by a task: the stream ends when
/// the task drops its sender.
pub(crate) fn channel_stream(
    rx: mpsc::Receiver<Event>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    )
}

/// `GET /v1/tenants/{tenant}/games/{game}/activity`.
#[tracing::instrument(skip_all, fields(tenant = %tenant, game = %game))]
pub async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((tenant, game)): ApiPath<(String, String)>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    game_access(&state, &caller, &tenant, &game).await?;
    // Subscribed before the backlog is read: nothing falls in between.
    let mut live = state.processor.subscribe_outcomes();
    let backlog = state
        .store
        .recent_outcomes(&tenant, &game, state.config.activity_backlog)
        .await?;
    let mut stop = state.feed.stopped();
    let (tx, rx) = mpsc::channel(QUEUE);
    let store = state.store.clone();
    let refresh_every = Duration::from_millis(state.config.activity_refresh_ms.max(50));
    let page = state.config.activity_backlog.max(1);
    tokio::spawn(async move {
        let mut last = -1;
        for o in &backlog {
            last = last.max(o.offset);
            if let Some(ev) = ActivityEvent::of_stored(o)
                && tx.send(ev.sse()).await.is_err()
            {
                return;
            }
        }
        let mut refresh = tokio::time::interval(refresh_every);
        // A slow store read delays the next one; it never queues a burst.
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let ev = tokio::select! {
                _ = refresh.tick() => None,
                r = live.recv() => match r {
                    Ok(o) if o.tenant == tenant && o.game_id == game && o.offset > last => {
                        last = o.offset;
                        Some(ActivityEvent::of_live(&o).sse())
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!(skipped = n, "activity feed lagged");
                        Some(Event::default().comment(format!("lagged {n}")))
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = stop.wait_for(|s| *s) => return,
                () = tx.closed() => return,
            };
            let Some(ev) = ev else {
                // Catch up with what other hosts applied.
                let stored = match store.outcomes_after(&tenant, &game, last, page).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(error = %e, "activity catch-up failed; next time");
                        continue;
                    }
                };
                for o in &stored {
                    last = last.max(o.offset);
                    if let Some(ev) = ActivityEvent::of_stored(o)
                        && tx.send(ev.sse()).await.is_err()
                    {
                        return;
                    }
                }
                continue;
            };
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    });
    Ok(Sse::new(channel_stream(rx)).keep_alive(KeepAlive::new().interval(PING).text("ping")))
}
