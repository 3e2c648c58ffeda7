//! `veltrix plugin check`: validate a component and run conformance.
//!
//! Steps, each reported with a verdict and a detail line:
//! 1. `load`: a component, imports inside the allow-list, the game-type
//!    world, a usable `describe`;
//! 2. `describe`: the config schema compiles and the example config
//!    validates against it;
//! 3. `init`: the example config inits; malformed configs are refused with
//!    a config error, not a fault;
//! 4. `contract`: the declared reward types are ones this host runs;
//! 5. `replay`: the same action sequence, replayed on a fresh instance, again
//!    on a warm one, and through `apply-batch`, gives identical outcomes and
//!    states (a call that hit the wall-clock backstop is reported as such,
//!    never as non-determinism: fuel decides outcomes, wall time does not);
//!    a mismatch shows both results;
//! 6. `robustness`: thousands of generated actions ([`fuzz`]: payloads from
//!    each kind's schema in the config's words, a clock in small steps,
//!    a roster of players in teams, garbage too) in episodes of fresh
//!    games never fault (a rejection is fine, a trap or spent budget is
//!    not);
//! 7. `scenario` (with `--scenario`): the partner's scripted game gives the
//!    outcomes it expects ([`scenario`]);
//! 8. `coverage`: every declared kind was applied at least once (a kind
//!    never applied is a rule the check could not vouch for); the report's
//!    `kinds` table says, per kind, how often it was applied, rejected (by
//!    code, the host's refusals apart) and faulted;
//! 9. `rewards`: every reward minted is of a declared type;
//! 10. `fuel`: no apply spends more than the declared fuel budget;
//! 11. `view`: every player's view works and is JSON.
//!
//! The steps run over a [`Subject`] (a loaded component, or in tests a game
//! type compiled natively), so the check's reach is itself tested: planted
//! bugs in every success path of the built-ins must fail it.
//!
//! `load` also enforces `[plugins.component]` (function count, code size,
//! ... before compiling; describe sizes right after `describe`): the
//! report's `limit` names the one exceeded. [`isolate`] runs the whole
//! check in a child process with a time and memory budget.

pub mod coverage;
pub mod fuzz;
pub mod isolate;
pub mod payload;
pub mod scenario;
pub mod subject;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use veltrix_contract::{Action, GameStatus, GameTypeInfo, Transition};

use crate::{Applied, Fault, LimitExceeded, LoadError, PluginHost};
use coverage::{KindStats, Tally};
use fuzz::ActionGen;
pub use scenario::Scenario;
pub use subject::{Runner, Subject};

/// How much conformance to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckOptions {
    /// Random actions in the robustness run.
    pub random_actions: usize,
    /// Actions in the replay run.
    pub replay_actions: usize,
    /// Seed of the random actions and of `init`.
    pub seed: u64,
    /// The reward types the host runs (`streams.reward_types`): a game
    /// type declaring or minting another fails.
    #[serde(default = "default_reward_types")]
    pub reward_types: Vec<String>,
    /// A partner scenario to replay and assert.
    #[serde(default)]
    pub scenario: Option<Scenario>,
}

/// `streams.reward_types`' default (the caller passes the configured set).
pub fn default_reward_types() -> Vec<String> {
    ["points", "bonus", "penalty", "adjustment", "badge"]
        .map(String::from)
        .to_vec()
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            random_actions: 5_000,
            replay_actions: 1_000,
            seed: 42,
            reward_types: default_reward_types(),
            scenario: None,
        }
    }
}

/// Actions per robustness episode: after this many (or soon after the game
/// finishes) the run starts a fresh game, so an early `end` does not leave
/// the rest of the run knocking on a finished game.
const EPISODE: usize = 400;
/// Actions still sent to a finished game before the next episode.
const AFTER_END: usize = 10;

/// One step's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// Step name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
}

/// Fuel per apply over the whole run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FuelStats {
    /// Applies measured.
    pub applies: u64,
    /// Median fuel.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
    /// Declared budget.
    pub budget: u64,
}

/// The whole report (`--json` prints it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    /// Content hash of the component.
    pub sha256: String,
    /// Game-type name and version, once described.
    pub game_type: Option<String>,
    /// The described game-type name and version, apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub described: Option<(String, String)>,
    /// The `[plugins.component]` limit the component is over, if that is
    /// why `load` failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitExceeded>,
    /// Step verdicts, in order.
    pub steps: Vec<Step>,
    /// Fuel statistics.
    pub fuel: FuelStats,
    /// Per action kind: applied, rejected by code, refused by the host,
    /// faulted (replay, robustness and scenario runs together).
    #[serde(default)]
    pub kinds: Vec<KindStats>,
    /// The contract version the component exports (`0.2`, `0.3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// True when every step passed.
    pub passed: bool,
}

impl CheckReport {
    /// An empty report of the component whose content hash is `sha256`.
    pub fn new(sha256: String) -> Self {
        Self {
            sha256,
            game_type: None,
            described: None,
            limit: None,
            steps: Vec::new(),
            fuel: FuelStats::default(),
            kinds: Vec::new(),
            contract: None,
            passed: false,
        }
    }

    /// The report of a check that ended without one (over its time or
    /// memory budget): a failed `load` step saying why.
    pub fn refused(bytes: &[u8], why: String) -> Self {
        let mut r = Self::new(PluginHost::content_hash(bytes));
        r.step("load", false, why);
        r
    }

    fn step(&mut self, name: &'static str, passed: bool, detail: impl Into<String>) -> bool {
        self.steps.push(Step {
            name: name.to_string(),
            passed,
            detail: detail.into(),
        });
        passed
    }
}

/// Runs every step on `bytes`; stops at the first step others depend on.
pub fn check(host: &PluginHost, bytes: &[u8], opts: &CheckOptions) -> CheckReport {
    let mut report = CheckReport::new(PluginHost::content_hash(bytes));
    let plugin = match host.load(bytes) {
        Ok(p) => p,
        Err(e) => {
            report.step("load", false, e.to_string());
            if let LoadError::Limit(l) = e {
                report.limit = Some(l);
            }
            return report;
        }
    };
    report.contract = Some(plugin.wit_version().as_str().to_string());
    report.step(
        "load",
        true,
        format!(
            "{} action kinds, {} bytes, contract {}",
            plugin.info.action_kinds.len(),
            plugin.size,
            plugin.wit_version().as_str()
        ),
    );
    // The component's own scenario, unless the caller brought one.
    let mut opts = opts.clone();
    if opts.scenario.is_none() {
        match scenario::embedded(bytes, host.limits().component.max_describe_bytes) {
            Some(Ok(s)) => opts.scenario = Some(s),
            Some(Err(why)) => {
                report.step("scenario", false, why);
                return report;
            }
            None => {}
        }
    }
    run(&plugin, &opts, report)
}

/// The steps after `load`, over any [`Subject`] (tests run them over game
/// types compiled natively).
pub fn run(subject: &dyn Subject, opts: &CheckOptions, mut report: CheckReport) -> CheckReport {
    let info = subject.info().clone();
    report.game_type = Some(format!("{} {}", info.name, info.version));
    report.described = Some((info.name.clone(), info.version.clone()));
    let (ok, detail) = check_schema(&info);
    if !report.step("describe", ok, detail) {
        return report;
    }
    let mut w = subject.runner();
    let state = match init_step(w.as_mut(), &info, opts.seed) {
        Ok((s, detail)) => {
            report.step("init", true, detail);
            s
        }
        Err(detail) => {
            report.step("init", false, detail);
            return report;
        }
    };
    let (ok, detail) = contract_step(subject, opts);
    report.step("contract", ok, detail);

    let mut tally = Tally::new(subject.contract());
    let (ok, detail) = replay_step(subject, &state, opts, &mut tally);
    report.step("replay", ok, detail);

    let mut fuel = Vec::with_capacity(opts.random_actions);
    let robust = robustness_step(subject, w.as_mut(), &state, opts, &mut fuel, &mut tally);
    report.step("robustness", robust.faults.is_empty(), robust.detail);
    if let Some(sc) = &opts.scenario {
        let start = ActionGen::new(&info, subject.contract(), 0).start_ms();
        let run = scenario::run(subject, sc, start, opts.seed);
        for k in &run.applied {
            tally.scenario_applied(k);
        }
        let detail = match &run.failure {
            None => format!("{} steps as expected", run.steps),
            Some(f) => f.clone(),
        };
        report.step("scenario", run.failure.is_none(), detail);
    }
    // A structural check (no actions asked for) measures no coverage.
    let (ok, detail) = if opts.random_actions + opts.replay_actions == 0 && opts.scenario.is_none()
    {
        (true, "not measured: no actions run".to_string())
    } else {
        tally.coverage()
    };
    report.step("coverage", ok, detail);
    let (ok, detail) = rewards_verdict(subject, opts, &robust.minted);
    report.step("rewards", ok, detail);
    report.kinds = tally.into_stats();

    fuel.sort_unstable();
    let pct = |p: f64| {
        fuel.get(((fuel.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    report.fuel = FuelStats {
        applies: fuel.len() as u64,
        p50: pct(0.5),
        p99: pct(0.99),
        max: fuel.last().copied().unwrap_or(0),
        budget: info.fuel_budget,
    };
    let within = report.fuel.max <= info.fuel_budget;
    let detail = format!(
        "max {} of budget {} (p50 {}, p99 {})",
        report.fuel.max, info.fuel_budget, report.fuel.p50, report.fuel.p99
    );
    report.step("fuel", within, detail);

    let (ok, detail) = view_step(w.as_mut(), &robust.last_state, &robust.players);
    report.step("view", ok, detail);
    report.passed = report.steps.iter().all(|s| s.passed);
    report
}

/// The declared reward types are ones the host runs.
fn contract_step(subject: &dyn Subject, opts: &CheckOptions) -> (bool, String) {
    let Some(declared) = subject.reward_types() else {
        return (
            true,
            "contract 0.2: no payload schemas or reward types declared (payloads unchecked)".into(),
        );
    };
    let unknown: Vec<&String> = declared
        .iter()
        .filter(|t| !opts.reward_types.contains(t))
        .collect();
    if !unknown.is_empty() {
        return (
            false,
            format!(
                "declares reward types {unknown:?} this host does not run (streams.reward_types: {:?})",
                opts.reward_types
            ),
        );
    }
    let kinds = subject.contract().actions.len();
    (
        true,
        format!("{kinds} typed action kinds; reward types {declared:?}"),
    )
}

/// Every minted reward type was declared (and is one the host runs).
fn rewards_verdict(
    subject: &dyn Subject,
    opts: &CheckOptions,
    minted: &BTreeSet<String>,
) -> (bool, String) {
    let allowed: &[String] = subject.reward_types().unwrap_or(&opts.reward_types);
    let bad: Vec<&String> = minted.iter().filter(|t| !allowed.contains(t)).collect();
    if bad.is_empty() {
        (
            true,
            format!("minted only declared reward types {minted:?}"),
        )
    } else {
        (
            false,
            format!(
                "minted undeclared reward types {bad:?} (declared {allowed:?}): in play each such action faults"
            ),
        )
    }
}

fn check_schema(info: &GameTypeInfo) -> (bool, String) {
    let schema: serde_json::Value = match serde_json::from_str(&info.config_schema) {
        Ok(v) => v,
        Err(e) => return (false, format!("config schema is not JSON: {e}")),
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => return (false, format!("config schema does not compile: {e}")),
    };
    let example: serde_json::Value = match serde_json::from_str(&info.example_config) {
        Ok(v) => v,
        Err(e) => return (false, format!("example config is not JSON: {e}")),
    };
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .take(3)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    if !errors.is_empty() {
        return (
            false,
            format!("example config fails its schema: {}", errors.join("; ")),
        );
    }
    let mut kinds = info.action_kinds.clone();
    kinds.sort();
    kinds.dedup();
    if kinds.len() != info.action_kinds.len() {
        return (false, "action kinds repeat".into());
    }
    (true, "schema compiles; example config validates".into())
}

fn init_step(
    w: &mut dyn Runner,
    info: &GameTypeInfo,
    seed: u64,
) -> Result<(Vec<u8>, String), String> {
    for bad in ["{not json", "null", "[]", "{\"unexpected\": true}"] {
        match w.init(bad, seed) {
            Err(f) => return Err(format!("init({bad}) faulted: {f}")),
            Ok(Ok(_)) if bad != "{\"unexpected\": true}" => {
                return Err(format!("init accepted `{bad}`"));
            }
            Ok(_) => {}
        }
    }
    match w.init(&info.example_config, seed) {
        Ok(Ok(s)) => {
            let detail = format!(
                "example config inits ({} state bytes); malformed configs refused",
                s.len()
            );
            Ok((s, detail))
        }
        Ok(Err(e)) => Err(format!("example config refused: {}", e.message)),
        Err(f) => Err(format!("init faulted: {f}")),
    }
}

/// Where fresh games start in a run: after [`EPISODE`] actions, or
/// [`AFTER_END`] actions after the game finished (an applied `end`, or an
/// end time passed: the first `game-over` rejection).
#[derive(Debug, Default)]
struct Episodes {
    in_episode: usize,
    since_end: Option<usize>,
    count: usize,
}

impl Episodes {
    /// Before each generated action: whether a fresh game starts here.
    fn next(&mut self) -> bool {
        let fresh = self.in_episode >= EPISODE || self.since_end.is_some_and(|n| n >= AFTER_END);
        if fresh {
            (self.in_episode, self.since_end) = (0, None);
            self.count += 1;
        }
        self.in_episode += 1;
        self.since_end = self.since_end.map(|n| n + 1);
        fresh
    }

    /// After an action the plugin answered.
    fn observe(&mut self, o: &Outcome) {
        let over = match o {
            Ok(Ok(t)) => t.status == GameStatus::Finished,
            Ok(Err(r)) => r.code == veltrix_contract::RejectionCode::GameOver,
            Err(_) => false,
        };
        if over && self.since_end.is_none() {
            self.since_end = Some(0);
        }
    }
}

/// Actions per `apply-batch` call in the replay step.
const BATCH: usize = 16;

/// Outcome of a call, comparable across runs (fuel aside).
type Outcome = Result<Result<Transition, veltrix_contract::Rejection>, Fault>;

/// Applies `a` as the host would: refused before the plugin when the
/// contract says so (`None`), else the call's outcome; `state` follows.
fn apply_admitted(
    subject: &dyn Subject,
    w: &mut dyn Runner,
    state: &mut Vec<u8>,
    a: &Action,
) -> Option<(Outcome, u64)> {
    subject.admit(a).ok()?;
    let (o, fuel) = match w.apply(state, a) {
        Ok(Applied { result, fuel }) => (Ok(result), fuel),
        Err(f) => (Err(f), 0),
    };
    if let Ok(Ok(t)) = &o {
        state.clone_from(&t.state);
    }
    Some((o, fuel))
}

/// One line that says what an outcome was (for replay mismatches).
fn describe_outcome(o: &Outcome) -> String {
    match o {
        Ok(Ok(t)) => {
            let rewards: Vec<String> = t
                .rewards
                .iter()
                .map(|r| {
                    format!(
                        "{} {:+} to {} ({})",
                        r.reward_type, r.points, r.player, r.reward_key
                    )
                })
                .collect();
            format!(
                "applied, status {:?}, {} state bytes, rewards [{}], {} quest updates, {} score deltas",
                t.status,
                t.state.len(),
                rewards.join(", "),
                t.quest_updates.len(),
                t.score_deltas.len()
            )
        }
        Ok(Err(r)) => format!("rejected {:?}: {}", r.code, truncate(&r.message, 120)),
        Err(f) => format!("fault: {}", truncate(&f.to_string(), 160)),
    }
}

fn replay_step(
    subject: &dyn Subject,
    start: &[u8],
    opts: &CheckOptions,
    tally: &mut Tally,
) -> (bool, String) {
    // First run: generate with feedback, recording what was sent.
    let mut g = ActionGen::new(subject.info(), subject.contract(), opts.seed ^ 0xA5A5);
    let mut warm = subject.runner();
    let mut state = start.to_vec();
    let mut actions = Vec::with_capacity(opts.replay_actions);
    let mut first = Vec::with_capacity(opts.replay_actions);
    // Indices of `actions` before which a fresh game starts.
    let mut resets: Vec<usize> = Vec::new();
    let mut episodes = Episodes::default();
    while actions.len() < opts.replay_actions {
        if episodes.next() {
            state = start.to_vec();
            g.restart();
            if resets.last() != Some(&actions.len()) {
                resets.push(actions.len());
            }
        }
        let a = g.next_action();
        let Some((o, _)) = apply_admitted(subject, warm.as_mut(), &mut state, &a) else {
            tally.refused(&a, subject);
            continue;
        };
        if is_stall(&o) {
            return stalled(first.len(), &a);
        }
        tally.outcome(&a.kind, &o);
        episodes.observe(&o);
        g.feedback(&a, matches!(o, Ok(Ok(_))));
        first.push(o);
        actions.push(a);
    }
    let end1 = state;
    let fresh_at = |i: usize| resets.binary_search(&i).is_ok();
    // Then the same actions on the now warm instance, and on a fresh one.
    let mut fresh = subject.runner();
    for (run, w) in [("warm", &mut warm), ("fresh", &mut fresh)] {
        let mut state = start.to_vec();
        for (i, a) in actions.iter().enumerate() {
            if fresh_at(i) {
                state = start.to_vec();
            }
            let Some((o, _)) = apply_admitted(subject, w.as_mut(), &mut state, a) else {
                return (
                    false,
                    format!("action {i} (`{}`) admitted once, refused on replay", a.kind),
                );
            };
            if is_stall(&o) {
                return stalled(i, a);
            }
            if o != first[i] {
                return (
                    false,
                    format!(
                        "action {i} (`{}`, seed {}) gave a different result on replay ({run} instance): first {}; replay {}",
                        a.kind,
                        opts.seed,
                        describe_outcome(&first[i]),
                        describe_outcome(&o)
                    ),
                );
            }
        }
        if state != end1 {
            return (
                false,
                format!("final states differ on replay ({run} instance)"),
            );
        }
    }
    // And through `apply-batch`, 16 at a time within each game: the same
    // outcomes and state.
    let mut batched = subject.runner();
    let mut state = start.to_vec();
    let mut bounds: Vec<usize> = resets.iter().copied().filter(|r| *r > 0).collect();
    bounds.push(actions.len());
    let mut from = 0;
    for to in bounds {
        if fresh_at(from) {
            state = start.to_vec();
        }
        for (c, chunk) in actions[from..to].chunks(BATCH).enumerate() {
            let b = batched.apply_batch(&state, chunk);
            for (j, got) in b.outcomes.into_iter().enumerate() {
                let i = from + c * BATCH + j;
                if let Some(failed) = batch_mismatch(i, &actions[i], &first[i], got) {
                    return failed;
                }
            }
            state = b.state;
        }
        from = to;
    }
    if state != end1 {
        return (false, "apply-batch ends in a different state".into());
    }
    let applied = first.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
    (
        true,
        format!(
            "{} actions ({applied} applied) x3 identical, and through apply-batch",
            actions.len()
        ),
    )
}

/// The replay step's verdict on action `i` through `apply-batch`: `None`
/// when it matches the `apply` run.
fn batch_mismatch(
    i: usize,
    a: &Action,
    first: &Outcome,
    got: Result<Result<veltrix_contract::ActionEffects, veltrix_contract::Rejection>, Fault>,
) -> Option<(bool, String)> {
    if matches!(&got, Err(f) if f.is_stall()) {
        return Some(stalled(i, a));
    }
    type Fx = (
        Vec<veltrix_contract::QuestUpdate>,
        Vec<veltrix_contract::Reward>,
        Vec<veltrix_contract::ScoreDelta>,
    );
    let want = first
        .clone()
        .map(|r| r.map(|t| (t.quest_updates, t.rewards, t.score_deltas)));
    let got = got.map(|r| r.map(|e| (e.quest_updates, e.rewards, e.score_deltas)));
    if got == want {
        return None;
    }
    let show = |o: &Result<Result<Fx, veltrix_contract::Rejection>, Fault>| match o {
        Ok(Ok((q, r, d))) => format!(
            "applied: {} quest updates, {} rewards, {} score deltas",
            q.len(),
            r.len(),
            d.len()
        ),
        Ok(Err(r)) => format!("rejected {:?}: {}", r.code, truncate(&r.message, 120)),
        Err(f) => format!("fault: {}", truncate(&f.to_string(), 160)),
    };
    Some((
        false,
        format!(
            "action {i} (`{}`) differs through apply-batch: apply {}; apply-batch {}",
            a.kind,
            show(&want),
            show(&got)
        ),
    ))
}

fn is_stall(o: &Outcome) -> bool {
    matches!(o, Err(f) if f.is_stall())
}

/// Fuel, not wall time, decides outcomes: a call that hit the wall-clock
/// backstop twice (an overloaded machine) says nothing about determinism.
fn stalled(i: usize, a: &Action) -> (bool, String) {
    (
        false,
        format!(
            "action {i} (`{}`) hit the wall-clock backstop twice: no determinism verdict (machine overloaded?); rerun the check",
            a.kind
        ),
    )
}

/// What the robustness run saw.
struct Robustness {
    detail: String,
    faults: Vec<String>,
    players: Vec<String>,
    last_state: Vec<u8>,
    minted: BTreeSet<String>,
}

fn robustness_step(
    subject: &dyn Subject,
    w: &mut dyn Runner,
    start: &[u8],
    opts: &CheckOptions,
    fuel: &mut Vec<u64>,
    tally: &mut Tally,
) -> Robustness {
    let mut g = ActionGen::new(subject.info(), subject.contract(), opts.seed);
    let mut state = start.to_vec();
    let (mut applied, mut rejected, mut refused) = (0, 0, 0);
    let mut faults: Vec<String> = Vec::new();
    let mut minted = BTreeSet::new();
    let mut episodes = Episodes::default();
    for _ in 0..opts.random_actions {
        if episodes.next() {
            state = start.to_vec();
            g.restart();
        }
        let a = g.next_action();
        if subject.admit(&a).is_err() {
            tally.refused(&a, subject);
            refused += 1;
            continue;
        }
        let r = w.apply(&state, &a);
        if let Ok(Applied { result, .. }) = &r {
            episodes.observe(&Ok(result.clone()));
        }
        g.feedback(&a, matches!(r, Ok(Applied { result: Ok(_), .. })));
        match r {
            Ok(Applied {
                result: Ok(t),
                fuel: f,
            }) => {
                applied += 1;
                fuel.push(f);
                minted.extend(t.rewards.iter().map(|r| r.reward_type.clone()));
                tally.outcome(&a.kind, &Ok(Ok(t.clone())));
                state = t.state;
            }
            Ok(Applied {
                result: Err(rej),
                fuel: f,
            }) => {
                rejected += 1;
                if f > 0 {
                    fuel.push(f);
                }
                tally.outcome::<()>(&a.kind, &Ok(Err(rej)));
            }
            Err(f) => {
                tally.outcome::<()>(&a.kind, &Err(f.clone()));
                if faults.len() < 3 {
                    faults.push(format!(
                        "`{}` by {} at {} ms, payload {}: {f}",
                        a.kind,
                        a.player,
                        a.timestamp_ms,
                        truncate(&a.payload, 200)
                    ));
                }
                if faults.len() >= 3 {
                    break;
                }
            }
        }
    }
    let detail = if faults.is_empty() {
        format!(
            "{} generated actions in {} games: {applied} applied, {rejected} rejected by the plugin, {refused} refused by the host, 0 faults",
            opts.random_actions,
            episodes.count + 1
        )
    } else {
        format!("faults: {}", faults.join("; "))
    };
    Robustness {
        detail,
        faults,
        players: g.players(),
        last_state: state,
        minted,
    }
}

fn view_step(w: &mut dyn Runner, state: &[u8], players: &[String]) -> (bool, String) {
    for p in players {
        match w.view(state, p) {
            Ok(Ok(v)) => {
                if serde_json::from_str::<serde_json::Value>(&v.summary).is_err() {
                    return (false, format!("view({p}).summary is not JSON"));
                }
            }
            Ok(Err(r)) => return (false, format!("view({p}) rejected: {}", r.message)),
            Err(f) => return (false, format!("view({p}) faulted: {f}")),
        }
    }
    (true, format!("{} players viewed", players.len()))
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
