//! One game in the processor's hands: its cached state, and how a batch's
//! records (or a replay's) advance it through the pinned plugin. Sync code:
//! it runs on tokio's blocking pool (see [`super::worker`]).

use std::sync::Arc;
use std::time::Instant;

use veltrix_contract::{Action, ActorRole, GameStatus, Transition};

use super::batched;
use super::effects::{self, Origin, RewardRules};
use super::outcome::{ActionResult, Counters, Outcome, StageTimes};
use super::shared::Shared;
use crate::telemetry::PluginSample;
use veltrix_runtime::{Plugin, Worker};
use veltrix_store::{QuestProgress, Reward};
use veltrix_streams::{Envelope, Family, Record};

/// (tenant, game id).
pub(crate) type GameKey = (String, String);

/// One cached game.
pub(crate) struct GameEntry {
    pub(crate) game_type: String,
    pub(crate) plugin: Arc<Plugin>,
    pub(crate) state: Vec<u8>,
    pub(crate) status: GameStatus,
    pub(crate) topic: String,
    pub(crate) partition: u32,
    /// Every record of the partition below this is in `state`.
    pub(crate) next_offset: i64,
    pub(crate) applied: i64,
    pub(crate) since_snapshot: u64,
    pub(crate) epoch: u64,
    pub(crate) last_used: u64,
    /// Why the game is parked (`None`: it plays). A parked game applies
    /// nothing: its type stalled the sandbox's wall-clock backstop twice
    /// on one action, and answering that action either way could differ
    /// from a replay. An operator looks at it; its status says `parked`.
    pub(crate) parked: Option<String>,
    /// Points totals for the answers, seeded lazily from the ledger.
    pub(crate) tallies: Option<super::totals::Tallies>,
}

/// The fault code of a plugin call that hit the wall-clock backstop on two
/// fresh instances (see `plugin::Fault`): the game is parked, not answered.
pub(crate) const STALLED: &str = "deadline-backstop";
/// The fault code answered for actions of a parked game.
pub(crate) const PARKED: &str = "game-parked";

/// What one action did to its game, before the effects commit.
pub(crate) enum Step {
    Applied(Transition),
    Rejected(veltrix_contract::Rejection),
    Faulted { code: String, message: String },
}

/// Effects of a batch, committed together.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) rewards: Vec<(Reward, i64)>,
    pub(crate) events: Vec<(String, Envelope)>,
    /// Outcome, and its range in `rewards` (to count first mints).
    pub(crate) outcomes: Vec<(Outcome, std::ops::Range<usize>)>,
    /// Games parked by this batch, and why (their status is stored with
    /// the batch's outcomes).
    pub(crate) parked: Vec<(GameKey, String)>,
    /// Games whose status this batch changed, and the new one: stored with
    /// the batch's outcomes, so a read after an answer sees it (not only
    /// the next snapshot).
    pub(crate) statuses: Vec<(GameKey, &'static str)>,
    /// The latest status per quest and team, stored with the outcomes
    /// (the projector's per-quest progress).
    pub(crate) quests: Vec<QuestProgress>,
}

/// Applies a game's records of one batch to its cached entry, collecting
/// effects and outcomes into `pending` (sync: runs on the blocking pool).
pub(crate) fn apply_records(
    shared: &Shared,
    key: &GameKey,
    entry: &mut GameEntry,
    worker: &mut Worker,
    recs: &[Record],
    pending: &mut Pending,
) {
    let rules = &shared.rules;
    // Gathered here and merged once: no shared state touched per action.
    let mut sample = PluginSample::default();
    // Redelivered records are already in the state.
    let fresh: Vec<&Record> = recs
        .iter()
        .filter(|r| r.offset >= entry.next_offset)
        .collect();
    let decoded = fresh.iter().map(|r| decode(r, key)).collect();
    let cfg = &shared.cfg;
    let mut plan = batched::Planner::new(decoded, cfg.apply_batch_min, cfg.apply_batch_retries);
    let mut batched = 0;
    for (i, r) in fresh.into_iter().enumerate() {
        entry.next_offset = r.offset + 1;
        entry.applied += 1;
        entry.since_snapshot += 1;
        let (decoded, pre, took) = plan.next(i, worker, entry, rules, &mut sample);
        batched += took as u64;
        let from_batch = pre.is_some();
        let action = match decoded {
            Ok(a) => a,
            Err(message) => {
                let res = ActionResult::Faulted {
                    code: "invalid-action".into(),
                    message,
                };
                pending.outcomes.push((outcome(r, res), 0..0));
                continue;
            }
        };
        if let Some(why) = &entry.parked {
            let res = ActionResult::Faulted {
                code: PARKED.into(),
                message: format!("the game is parked: {why}"),
            };
            // The player's own outcome: their retries and GET find it.
            let mut o = outcome(r, res);
            describe(&mut o, &action, &entry.plugin);
            pending.outcomes.push((o, 0..0));
            continue;
        }
        let stepped = match pre {
            Some(step) => step,
            None => {
                let started = Instant::now();
                let (stepped, fuel) = measured_step(worker, &entry.state, &action, rules);
                sample.call(started.elapsed(), fuel);
                if let Step::Faulted { code, .. } = &stepped {
                    sample.fault(code);
                }
                stepped
            }
        };
        let result = match stepped {
            Step::Applied(t) => {
                let o = Origin {
                    tenant: &key.0,
                    game_id: &key.1,
                    game_type: &entry.game_type,
                    action_id: &r.envelope.event_id,
                    player: &action.player,
                    at_ms: action.timestamp_ms,
                };
                let (rewards, unmatched) = effects::rewards(&o, &t.rewards, &t.score_deltas);
                if unmatched > 0 {
                    tracing::debug!(game = %key.1, unmatched_score_deltas = unmatched, "score deltas without a reward are not applied");
                }
                let start = pending.rewards.len();
                let actor = (action.role == ActorRole::Player)
                    .then_some((action.player.as_str(), action.team.as_deref()));
                let totals = super::totals::named(actor, &rewards);
                pending.rewards.extend(rewards);
                let quest_topic = shared.streams_cfg.topic(Family::Quest, &entry.game_type);
                for (i, q) in t.quest_updates.iter().enumerate() {
                    pending
                        .events
                        .push((quest_topic.clone(), effects::quest_event(&o, i, q)));
                    let (scope, subject) =
                        QuestProgress::subject(q.team.as_deref(), q.player.as_deref());
                    pending.quests.push(QuestProgress {
                        tenant: key.0.clone(),
                        game_id: key.1.clone(),
                        quest_id: q.quest_id.clone(),
                        scope,
                        subject,
                        status: q.status.clone(),
                        offset: r.offset,
                        updated_at_ms: action.timestamp_ms,
                    });
                }
                let players_topic = shared.streams_cfg.topic(Family::Players, "");
                for e in effects::player_events(&o, &t.rewards, t.status) {
                    pending.events.push((players_topic.clone(), e));
                }
                if !from_batch {
                    entry.state = t.state;
                    entry.status = t.status;
                }
                let res = ActionResult::Applied {
                    status: t.status,
                    rewards: t.rewards.len(),
                    minted: 0,
                    quest_updates: t.quest_updates.len(),
                    score_deltas: t.score_deltas.len(),
                    paid: Vec::new(),
                    totals: Some(totals),
                };
                let mut o = outcome(r, res);
                describe(&mut o, &action, &entry.plugin);
                pending.outcomes.push((o, start..pending.rewards.len()));
                continue;
            }
            Step::Rejected(rej) => ActionResult::Rejected {
                code: rej.code,
                message: rej.message,
            },
            Step::Faulted { code, message } if code == STALLED => {
                let why = format!(
                    "its game type stalled on action {} ({message})",
                    r.envelope.event_id
                );
                tracing::error!(tenant = %key.0, game = %key.1, offset = r.offset, reason = %why, "game parked");
                entry.parked = Some(why.clone());
                pending.parked.push((key.clone(), why.clone()));
                ActionResult::Faulted {
                    code: PARKED.into(),
                    message: format!("the game is parked: {why}"),
                }
            }
            Step::Faulted { code, message } => {
                tracing::warn!(game = %key.1, offset = r.offset, %code, message = %message.escape_debug(), "action faulted");
                ActionResult::Faulted { code, message }
            }
        };
        let mut o = outcome(r, result);
        describe(&mut o, &action, &entry.plugin);
        pending.outcomes.push((o, 0..0));
    }
    Counters::add(&shared.counters.batched, batched);
    shared.telemetry.plugin(&entry.game_type, &sample);
}

/// Replays records below `upto` into `e`, state only; returns how many
/// were the game's. An action that stalls the backstop again (it applied
/// live) is retried; if it keeps stalling the game is parked rather than
/// rebuilt without it.
pub(crate) fn replay_records(
    key: &GameKey,
    e: &mut GameEntry,
    worker: &mut Worker,
    recs: &[Record],
    upto: i64,
    rules: &RewardRules,
) -> u64 {
    let mut n = 0;
    for r in recs {
        if r.offset >= upto {
            break;
        }
        e.next_offset = r.offset + 1;
        if r.envelope.tenant != key.0 || r.envelope.key != key.1 {
            continue;
        }
        e.applied += 1;
        e.since_snapshot += 1;
        n += 1;
        if e.parked.is_some() {
            continue;
        }
        let Ok(a) = decode(r, key) else { continue };
        let mut tries = 0;
        let stepped = loop {
            tries += 1;
            match step(worker, &e.state, &a, rules) {
                Step::Faulted { code, message } if code == STALLED => {
                    if tries >= rules.replay_stall_tries {
                        break Step::Faulted { code, message };
                    }
                }
                s => break s,
            }
        };
        match stepped {
            Step::Applied(t) => {
                e.state = t.state;
                e.status = t.status;
            }
            Step::Faulted { code, message } if code == STALLED => {
                let why = format!(
                    "its game type stalled replaying action {} ({message})",
                    r.envelope.event_id
                );
                tracing::error!(tenant = %key.0, game = %key.1, offset = r.offset, reason = %why, "game parked");
                e.parked = Some(why);
            }
            _ => {}
        }
    }
    n
}

/// Applies one action; a result the host cannot use (rewards the ledger
/// or relay would refuse) is a fault of that action, so a replay decides
/// exactly as the live run did.
pub(crate) fn step(
    worker: &mut Worker,
    state: &[u8],
    action: &Action,
    rules: &RewardRules,
) -> Step {
    measured_step(worker, state, action, rules).0
}

/// [`step`], plus the fuel the call consumed when the plugin ran to
/// completion (a fault reports none).
fn measured_step(
    worker: &mut Worker,
    state: &[u8],
    action: &Action,
    rules: &RewardRules,
) -> (Step, Option<u64>) {
    match worker.apply(state, action) {
        Ok(applied) => {
            let declared = worker.plugin().reward_types();
            let step = match applied.result {
                Ok(t) => match effects::check_declared(&t.rewards, declared)
                    .and_then(|()| effects::check_rewards(&t.rewards, rules))
                    .and_then(|()| effects::check_sizes(&t, rules))
                {
                    Ok(()) => Step::Applied(t),
                    Err(message) => Step::Faulted {
                        code: "invalid-effects".into(),
                        message,
                    },
                },
                Err(r) => Step::Rejected(r),
            };
            (step, Some(applied.fuel))
        }
        Err(f) => (
            Step::Faulted {
                code: f.code().into(),
                message: f.to_string(),
            },
            None,
        ),
    }
}

pub(crate) fn decode(r: &Record, key: &GameKey) -> Result<Action, String> {
    let mut a: Action = serde_json::from_slice(&r.envelope.payload)
        .map_err(|e| format!("undecodable action: {e}"))?;
    // The envelope (set by `submit` from the authenticated request) wins.
    a.tenant.clone_from(&key.0);
    a.game.clone_from(&key.1);
    Ok(a)
}

/// The actor, kind and (for kinds that take evidence) payload of the
/// action an outcome answers: the activity feed shows them.
fn describe(o: &mut Outcome, action: &Action, plugin: &Plugin) {
    o.player_id.clone_from(&action.player);
    o.kind.clone_from(&action.kind);
    let evidence = plugin
        .contract
        .actions
        .iter()
        .any(|a| a.kind == action.kind && a.takes_evidence);
    if evidence {
        o.payload = Some(action.payload.clone());
    }
}

pub(crate) fn outcome(r: &Record, result: ActionResult) -> Outcome {
    Outcome {
        action_id: r.envelope.event_id.clone(),
        tenant: r.envelope.tenant.clone(),
        game_id: r.envelope.key.clone(),
        offset: r.offset,
        player_id: String::new(),
        result,
        received_at_ms: r.envelope.ts_ms,
        applied_at_ms: 0,
        kind: String::new(),
        payload: None,
        stages: StageTimes {
            plugin_done: Some(std::time::Instant::now()),
            ..StageTimes::default()
        },
    }
}

/// The stored status of a game entry: `parked`, or its WIT status.
pub(crate) fn entry_status(e: &GameEntry) -> &'static str {
    if e.parked.is_some() {
        PARKED_STATUS
    } else {
        status_str(e.status)
    }
}

/// The stored status of a parked game.
pub(crate) const PARKED_STATUS: &str = "parked";

/// The stored spelling of a status (the WIT's, kebab-case).
pub(crate) fn status_str(s: GameStatus) -> &'static str {
    match s {
        GameStatus::Waiting => "waiting",
        GameStatus::Running => "running",
        GameStatus::Paused => "paused",
        GameStatus::Finished => "finished",
    }
}

pub(crate) fn parse_status(s: &str) -> GameStatus {
    match s {
        "running" => GameStatus::Running,
        "paused" => GameStatus::Paused,
        "finished" => GameStatus::Finished,
        _ => GameStatus::Waiting,
    }
}
