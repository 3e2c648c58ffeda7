//! A batch's effects, committed in this order before its offsets move:
//! one transaction for the ledger + outbox (mint), the outcomes, the
//! statuses the batch changed or parked and its quest progress
//! ([`write`]); then the leaderboard entries ([`update_boards`]), after
//! which the answers resolve; then the quest and player events are sent
//! ([`send_all`]; the worker's tail awaits the acks). Every step is
//! idempotent by id (reward ids, event ids, action ids), so a batch
//! retried or redelivered after a crash changes nothing twice: the
//! offsets move only after the last step.
//!
//! A failure is either transient (a dependency is down or busy: retry the
//! same effects) or permanent (the data itself is refused: retrying can
//! never succeed), see [`EffectError`]. The worker retries the first and
//! isolates the second to the game that caused it.

use std::ops::Range;

use futures::future::try_join_all;

use super::effects;
use super::game::{GameKey, PARKED_STATUS, Pending};
use super::outcome::{ActionResult, Outcome, Paid};
use super::shared::Shared;
use super::totals::{self, Tallies};
use veltrix_leaderboard::{LeaderboardError, ScoreEntry};
use veltrix_store::{BatchRows, BatchView, OutcomeRecord, Reward, StatusUpdate, StoreError};
use veltrix_streams::{Ack, Envelope, EnvelopeError, StreamError};

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

/// What one part's commit settled.
pub(crate) struct Settled {
    /// The part's outcomes, with what was minted and paid and the totals.
    pub outcomes: Vec<(Outcome, Range<usize>)>,
    /// The game's tallies after the batch (`None`: none cached, none
    /// wanted).
    pub tallies: Option<Tallies>,
    /// The board entries of the part's rewards, from their ledger rows.
    pub entries: Vec<ScoreEntry>,
}

/// One part of a batch: its game, its effects and the game's tallies
/// before the batch.
pub(crate) type Part<'a> = (&'a GameKey, &'a Pending, Option<&'a Tallies>);

/// Writes the parts' ledger rows and outbox events, their outcomes, the
/// statuses they changed (and parked) and their quest progress in one
/// transaction (the store's group commit), stamping outcomes with
/// `applied_at`.
#[tracing::instrument(skip_all, fields(games = parts.len()))]
pub(crate) async fn write(
    shared: &Shared,
    parts: &[Part<'_>],
    applied_at: i64,
) -> Result<Vec<Settled>, EffectError> {
    let rewards: Vec<Reward> = parts
        .iter()
        .flat_map(|(_, p, _)| p.rewards.iter().map(|(r, _)| r.clone()))
        .collect();
    // Games whose answers want totals and have no tallies yet: their
    // sums are read after the mint, in the same transaction.
    let seeds: Vec<bool> = parts
        .iter()
        .map(|(_, p, cached)| cached.is_none() && totals::wanted(&p.outcomes))
        .collect();
    let sums_of: Vec<(String, String)> = parts
        .iter()
        .zip(&seeds)
        .filter(|(_, seed)| **seed)
        .map(|((k, _, _), _)| (k.0.to_string(), k.1.to_string()))
        .collect();
    let (minted, mut settled) = shared
        .store
        .commit_batch(&rewards, &sums_of, |view| {
            settle_all(parts, &seeds, &view, applied_at)
        })
        .await
        .map_err(EffectError::store)?;
    let mut rest = minted.as_slice();
    for ((_, p, _), s) in parts.iter().zip(&mut settled) {
        let (mine, later) = rest.split_at(p.rewards.len());
        rest = later;
        s.entries = mine
            .iter()
            .zip(&p.rewards)
            .map(|(m, (_, at))| effects::score_entry(&m.row, *at))
            .collect();
    }
    Ok(settled)
}

/// Inside the transaction: from what the mint found and the sums read,
/// each part's settled outcomes, and the rows stored with them.
fn settle_all(
    parts: &[Part<'_>],
    seeds: &[bool],
    view: &BatchView<'_>,
    applied_at: i64,
) -> (BatchRows, Vec<Settled>) {
    let mut rows = BatchRows::default();
    let mut out = Vec::with_capacity(parts.len());
    let mut minted = view.minted;
    let mut sums = view.sums.iter();
    for ((_, p, cached), seed) in parts.iter().zip(seeds) {
        let (mine, later) = minted.split_at(p.rewards.len());
        minted = later;
        // Per reward, whether its action minted it: the first mint, or a
        // redelivery of the action that did (the ledger row names it).
        let first: Vec<bool> = mine
            .iter()
            .zip(&p.rewards)
            .map(|(m, (r, _))| {
                m.first || m.row.reward.payload.get("action_id") == r.payload.get("action_id")
            })
            .collect();
        let seeded = if *seed {
            sums.next().map(Vec::as_slice)
        } else {
            None
        };
        let mut outcomes = p.outcomes.clone();
        fill(&mut outcomes, &p.rewards, &first, applied_at);
        let tallies = totals::settle(*cached, seeded, &p.rewards, &mut outcomes, &first);
        rows.outcomes
            .extend(outcomes.iter().map(|(o, _)| record(o)));
        let statuses = p.statuses.iter().map(|(k, s)| (k, *s));
        let parked = p.parked.iter().map(|(k, _)| (k, PARKED_STATUS));
        rows.statuses
            .extend(statuses.chain(parked).map(|(k, status)| StatusUpdate {
                tenant: k.0.to_string(),
                game_id: k.1.to_string(),
                status: status.into(),
            }));
        rows.quests.extend(p.quests.iter().cloned());
        out.push(Settled {
            outcomes,
            tallies,
            entries: Vec::new(),
        });
    }
    (rows, out)
}

/// Says per applied outcome what its action minted and paid.
fn fill(
    outcomes: &mut [(Outcome, Range<usize>)],
    rewards: &[(Reward, i64)],
    first: &[bool],
    applied_at: i64,
) {
    for (o, range) in outcomes {
        if let ActionResult::Applied { minted, paid, .. } = &mut o.result {
            let firsts = &first[range.clone()];
            *minted = firsts.iter().filter(|f| **f).count();
            *paid = rewards[range.clone()]
                .iter()
                .zip(firsts)
                .map(|((r, _), minted)| Paid {
                    player: r.player_id.clone(),
                    team: r.team_id.clone(),
                    reward_type: r.reward_type.clone(),
                    reward_key: r.reward_key.clone(),
                    points: r.amount,
                    minted: *minted,
                })
                .collect();
        }
        o.applied_at_ms = applied_at;
    }
}

fn record(o: &Outcome) -> OutcomeRecord {
    OutcomeRecord {
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
    }
}

/// Updates the boards with the batch's entries (see [`apply_board`]).
pub(crate) async fn update_boards(shared: &Shared, settled: &[Settled]) -> Result<(), EffectError> {
    let entries: Vec<ScoreEntry> = settled.iter().flat_map(|s| s.entries.clone()).collect();
    apply_board(shared, entries).await
}

/// Sends the parts' quest and player events (in order, now) and returns
/// their acks, to await later ([`acked`]). An event the stream refuses as
/// such (too large, despite the checks before the transition was adopted)
/// is logged and left out: the ledger already holds the batch, and
/// consumers read events as hints.
pub(crate) fn send_all(
    shared: &Shared,
    events: &[(String, Envelope)],
) -> Result<Vec<Ack>, EffectError> {
    let mut acks = Vec::with_capacity(events.len());
    for (topic, e) in events {
        match shared.streams.send(topic, e) {
            Ok(ack) => acks.push(ack),
            Err(err @ StreamError::Invalid(_)) => {
                tracing::error!(tenant = %e.tenant, topic = %topic, event_id = %e.event_id, error = %err, "stream refused an event; the ledger keeps the batch");
            }
            Err(err) => return Err(EffectError::stream(err)),
        }
    }
    Ok(acks)
}

/// Waits for every ack of [`send_all`].
pub(crate) async fn acked(acks: Vec<Ack>) -> Result<(), EffectError> {
    try_join_all(acks).await.map_err(EffectError::stream)?;
    Ok(())
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
