//! A batch's effects, committed in this order before its offsets move:
//! ledger + outbox (mint), leaderboard entries, quest and player events
//! (acked), then the outcomes and the status of games the batch parked.
//! Every step is idempotent by id (reward ids, event ids, action ids), so
//! a batch retried or redelivered after a crash changes nothing twice.
//!
//! A failure is either transient (a dependency is down or busy: retry the
//! same effects) or permanent (the data itself is refused: retrying can
//! never succeed), see [`EffectError`]. The worker retries the first and
//! isolates the second to the game that caused it.

use futures::future::try_join_all;

use super::effects;
use super::game::{PARKED_STATUS, Pending};
use super::shared::Shared;
use veltrix_leaderboard::{LeaderboardError, ScoreEntry};
use veltrix_store::{OutcomeRecord, Reward, StoreError};
use veltrix_streams::{EnvelopeError, StreamError};

/// Why a batch's effects did not commit.
#[derive(Debug)]
pub(crate) struct EffectError {
    /// The data is refused (a constraint, an oversize event): the same
    /// effects will never commit, so retrying them would stall every game
    /// of the batch forever.
    pub permanent: bool,
    /// What failed, for the log and a parked game's status.
    pub message: String,
}

impl EffectError {
    fn store(e: StoreError) -> Self {
        let permanent = match &e {
            StoreError::Invalid(_) | StoreError::Corrupt(_) => true,
            StoreError::Database { code } => code.as_deref().is_some_and(refused_data),
            _ => false,
        };
        Self {
            permanent,
            message: e.to_string(),
        }
    }

    fn stream(e: StreamError) -> Self {
        Self {
            // A missing topic is an operator's fix away (`topics ensure`):
            // retried, like an unreachable broker.
            permanent: matches!(e, StreamError::Invalid(EnvelopeError::TooLarge { .. })),
            message: e.to_string(),
        }
    }

    fn transient(message: String) -> Self {
        Self {
            permanent: false,
            message,
        }
    }
}

/// Codes of errors about the data, not the database: Postgres classes 22
/// (data exception) and 23 (integrity constraint); SQLite's constraint
/// (19 and its extended codes, which end in 19 modulo 256), too big (18)
/// and mismatch (20). Resource errors (disk full, out of memory) are not
/// here: they pass, and are retried.
fn refused_data(code: &str) -> bool {
    if code.starts_with("22") || code.starts_with("23") {
        return true;
    }
    // SQLSTATEs are five characters; SQLite's codes are shorter numbers.
    code.len() < 5
        && code
            .parse::<u32>()
            .is_ok_and(|c| matches!(c & 0xff, 18..=20))
}

/// Stores the batch's outcomes, the statuses it changed, those of the
/// games it parked and (best effort) its quest progress.
pub(crate) async fn save_outcomes(shared: &Shared, parts: &[&Pending]) -> Result<(), String> {
    for (k, status) in parts.iter().flat_map(|p| &p.statuses) {
        shared
            .store
            .set_game_status(&k.0, &k.1, status)
            .await
            .map_err(|e| e.to_string())?;
    }
    let parked = parts.iter().flat_map(|p| &p.parked);
    for (k, _) in parked {
        shared
            .store
            .set_game_status(&k.0, &k.1, PARKED_STATUS)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Progress is a view of the quest stream for the projector: a write
    // the store refuses (a quest id it cannot hold) is logged and skipped,
    // never retried in a loop that would stall the batch's games.
    let quests = parts.iter().flat_map(|p| &p.quests);
    if let Err(e) = shared.store.save_quest_progress(quests).await {
        tracing::warn!(error = %e, "quest progress not stored");
    }
    let rows: Vec<OutcomeRecord> = parts
        .iter()
        .flat_map(|p| &p.outcomes)
        .map(|(o, _)| OutcomeRecord {
            tenant: o.tenant.clone(),
            action_id: o.action_id.clone(),
            game_id: o.game_id.clone(),
            player_id: o.player_id.clone(),
            offset: o.offset,
            result: serde_json::to_string(&o.result).expect("outcome json"),
            received_at_ms: o.received_at_ms,
            applied_at_ms: o.applied_at_ms,
            kind: (!o.kind.is_empty()).then(|| o.kind.clone()),
            payload: o.payload.clone(),
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
async fn apply_board(shared: &Shared, entries: Vec<ScoreEntry>) -> Result<(), EffectError> {
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
                    Err(err) => return Err(EffectError::transient(err.to_string())),
                }
            }
            Ok(())
        }
        Err(e) => Err(EffectError::transient(e.to_string())),
    }
}

/// Mints, updates the leaderboard, publishes quest and player events;
/// per reward of `parts` (in order), whether its action minted it (the
/// first mint, or a redelivery of the action that did: the ledger row
/// names its action).
#[tracing::instrument(skip_all, fields(games = parts.len()))]
pub(crate) async fn commit_effects(
    shared: &Shared,
    parts: &[&Pending],
) -> Result<Vec<bool>, EffectError> {
    let all: Vec<&(Reward, i64)> = parts.iter().flat_map(|p| &p.rewards).collect();
    let mut first = Vec::with_capacity(all.len());
    let mut entries = Vec::with_capacity(all.len());
    for ats in all.chunks(shared.cfg.mint_batch.max(1)) {
        let chunk: Vec<Reward> = ats.iter().map(|(r, _)| r.clone()).collect();
        let minted = shared
            .store
            .mint_batch(&chunk)
            .await
            .map_err(EffectError::store)?;
        for (m, (r, at)) in minted.iter().zip(ats) {
            let same_action = m.row.reward.payload.get("action_id") == r.payload.get("action_id");
            first.push(m.first || same_action);
            entries.push(effects::score_entry(&m.row, *at));
        }
    }
    apply_board(shared, entries).await?;
    let events = parts.iter().flat_map(|p| &p.events);
    let mut acks = Vec::new();
    for (topic, e) in events {
        acks.push(shared.streams.send(topic, e).map_err(EffectError::stream)?);
    }
    try_join_all(acks).await.map_err(EffectError::stream)?;
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_are_permanent_resource_errors_are_not() {
        // Postgres: string too long, unsupported \u0000, check violation.
        for code in ["22001", "22P05", "23514", "23505"] {
            assert!(refused_data(code), "{code}");
        }
        // SQLite: constraint (trigger, check), too big, mismatch.
        for code in ["19", "1811", "275", "18", "20"] {
            assert!(refused_data(code), "{code}");
        }
        // Disk full, out of memory, admin shutdown, busy: retried.
        for code in ["53100", "53200", "57P01", "13", "7", "5", "517"] {
            assert!(!refused_data(code), "{code}");
        }
        let e = EffectError::store(StoreError::Database {
            code: Some("53100".into()),
        });
        assert!(!e.permanent);
        let e = EffectError::store(StoreError::Unavailable {
            waited_ms: 10,
            outcome: veltrix_store::WriteOutcome::NotCommitted,
        });
        assert!(!e.permanent);
        let e = EffectError::stream(StreamError::Invalid(EnvelopeError::TooLarge {
            size: 2,
            limit: 1,
        }));
        assert!(e.permanent);
        assert!(!EffectError::stream(StreamError::UnknownTopic("t".into())).permanent);
    }
}
