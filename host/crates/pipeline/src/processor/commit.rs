//! A batch's effects, committed in this order before its offsets move:
//! ledger + outbox (mint), leaderboard entries, quest and player events
//! (acked), then the outcomes and the status of games the batch parked.
//! Every step is idempotent by id (reward ids, event ids, action ids), so
//! a batch retried or redelivered after a crash changes nothing twice.

use futures::future::try_join_all;

use super::effects;
use super::game::{PARKED_STATUS, Pending};
use super::service::Shared;
use veltrix_leaderboard::{LeaderboardError, ScoreEntry};
use veltrix_store::{OutcomeRecord, Reward};

/// Stores the batch's outcomes and the status of the games it parked.
pub(crate) async fn save_outcomes(shared: &Shared, p: &Pending) -> Result<(), String> {
    for (k, _) in &p.parked {
        shared
            .store
            .set_game_status(&k.0, &k.1, PARKED_STATUS)
            .await
            .map_err(|e| e.to_string())?;
    }
    let rows: Vec<OutcomeRecord> = p
        .outcomes
        .iter()
        .map(|(o, _)| OutcomeRecord {
            tenant: o.tenant.clone(),
            action_id: o.action_id.clone(),
            game_id: o.game_id.clone(),
            player_id: o.player_id.clone(),
            offset: o.offset,
            result: serde_json::to_string(&o.result).expect("outcome json"),
            received_at_ms: o.received_at_ms,
            applied_at_ms: o.applied_at_ms,
        })
        .collect();
    shared
        .store
        .save_outcomes(&rows)
        .await
        .map_err(|e| e.to_string())
}

/// Applies board entries; one the board refuses is logged and skipped,
/// never the others (they may be other games', other tenants'). The
/// processor refuses what a board cannot take before minting
/// ([`effects::check_rewards`]), so this is the last line.
async fn apply_board(shared: &Shared, entries: Vec<ScoreEntry>) -> Result<(), String> {
    let (valid, refused): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| veltrix_leaderboard::order::validate_entry(e).is_ok());
    for e in &refused {
        tracing::error!(tenant = %e.tenant, game = %e.game_id, reward_id = %e.reward_id, "leaderboard refused an entry; the ledger keeps it");
    }
    if valid.is_empty() {
        return Ok(());
    }
    match shared.board.apply(&valid).await {
        Ok(_) => Ok(()),
        // Refused as a whole despite the checks: one by one, so only the
        // culprit is left out.
        Err(LeaderboardError::Invalid(_) | LeaderboardError::Corrupt) => {
            for e in valid {
                match shared.board.apply(std::slice::from_ref(&e)).await {
                    Ok(_) => {}
                    Err(err @ (LeaderboardError::Invalid(_) | LeaderboardError::Corrupt)) => {
                        tracing::error!(tenant = %e.tenant, game = %e.game_id, reward_id = %e.reward_id, error = %err, "leaderboard refused an entry; the ledger keeps it");
                    }
                    Err(err) => return Err(err.to_string()),
                }
            }
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Mints, updates the leaderboard, publishes quest and player events;
/// per reward, whether its action minted it (the first mint, or a
/// redelivery of the action that did: the ledger row names its action).
#[tracing::instrument(skip_all, fields(rewards = p.rewards.len(), events = p.events.len()))]
pub(crate) async fn commit_effects(shared: &Shared, p: &Pending) -> Result<Vec<bool>, String> {
    let mut first = Vec::with_capacity(p.rewards.len());
    let mut entries = Vec::with_capacity(p.rewards.len());
    let rewards: Vec<Reward> = p.rewards.iter().map(|(r, _)| r.clone()).collect();
    for (chunk, ats) in rewards
        .chunks(shared.cfg.mint_batch.max(1))
        .zip(p.rewards.chunks(shared.cfg.mint_batch.max(1)))
    {
        let minted = shared
            .store
            .mint_batch(chunk)
            .await
            .map_err(|e| e.to_string())?;
        for (m, (r, at)) in minted.iter().zip(ats) {
            let same_action = m.row.reward.payload.get("action_id") == r.payload.get("action_id");
            first.push(m.first || same_action);
            entries.push(effects::score_entry(&m.row, *at));
        }
    }
    apply_board(shared, entries).await?;
    let mut acks = Vec::with_capacity(p.events.len());
    for (topic, e) in &p.events {
        acks.push(shared.streams.send(topic, e).map_err(|e| e.to_string())?);
    }
    try_join_all(acks).await.map_err(|e| e.to_string())?;
    Ok(first)
}
