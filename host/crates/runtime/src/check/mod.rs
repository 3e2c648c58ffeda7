//! `veltrix plugin check`: validate a component and run conformance.
//!
//! Steps, each reported with a verdict and a detail line:
//! 1. `load`: a component, imports inside the allow-list, the game-type
//!    world, a usable `describe`;
//! 2. `describe`: the config schema compiles and the example config
//!    validates against it;
//! 3. `init`: the example config inits; malformed configs are refused with
//!    a config error, not a fault;
//! 4. `replay`: the same action sequence, replayed on a fresh instance, again
//!    on a warm one, and through `apply-batch`, gives identical outcomes and
//!    states (a call that hit the wall-clock backstop is reported as such,
//!    never as non-determinism: fuel decides outcomes, wall time does not);
//! 5. `robustness`: thousands of random actions, garbage included, never
//!    fault (a rejection is fine, a trap or spent budget is not);
//! 6. `fuel`: no apply spends more than the declared fuel budget;
//! 7. `view`: every player's view works and is JSON.
//!
//! `load` also enforces `[plugins.component]` (function count, code size,
//! ... before compiling; describe sizes right after `describe`): the
//! report's `limit` names the one exceeded. [`isolate`] runs the whole
//! check in a child process with a time and memory budget.

pub mod fuzz;
pub mod isolate;

use serde::{Deserialize, Serialize};
use veltrix_contract::{Action, GameTypeInfo, Transition};

use crate::{Applied, Fault, LimitExceeded, LoadError, Plugin, PluginHost, Worker};
use fuzz::ActionGen;

/// How much conformance to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckOptions {
    /// Random actions in the robustness run.
    pub random_actions: usize,
    /// Actions in the replay run.
    pub replay_actions: usize,
    /// Seed of the random actions and of `init`.
    pub seed: u64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            random_actions: 5_000,
            replay_actions: 1_000,
            seed: 42,
        }
    }
}

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
    /// True when every step passed.
    pub passed: bool,
}

impl CheckReport {
    /// The report of a check that ended without one (over its time or
    /// memory budget): a failed `load` step saying why.
    pub fn refused(bytes: &[u8], why: String) -> Self {
        let mut r = Self {
            sha256: PluginHost::content_hash(bytes),
            game_type: None,
            described: None,
            limit: None,
            steps: Vec::new(),
            fuel: FuelStats::default(),
            passed: false,
        };
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
    let mut report = CheckReport {
        sha256: PluginHost::content_hash(bytes),
        game_type: None,
        described: None,
        limit: None,
        steps: Vec::new(),
        fuel: FuelStats::default(),
        passed: false,
    };
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
    let info = plugin.info.clone();
    report.game_type = Some(format!("{} {}", info.name, info.version));
    report.described = Some((info.name.clone(), info.version.clone()));
    report.step(
        "load",
        true,
        format!(
            "{} action kinds, {} bytes",
            info.action_kinds.len(),
            plugin.size
        ),
    );
    let (ok, detail) = check_schema(&info);
    if !report.step("describe", ok, detail) {
        return report;
    }
    let mut w = plugin.worker();
    let state = match init_step(&mut w, &info, opts.seed) {
        Ok((s, detail)) => {
            report.step("init", true, detail);
            s
        }
        Err(detail) => {
            report.step("init", false, detail);
            return report;
        }
    };
    let (ok, detail) = replay_step(&plugin, &state, opts);
    report.step("replay", ok, detail);

    let mut fuel = Vec::with_capacity(opts.random_actions);
    let (ok, detail, players, last) = robustness_step(&mut w, &state, opts, &mut fuel);
    report.step("robustness", ok, detail);
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

    let (ok, detail) = view_step(&mut w, &last, &players);
    report.step("view", ok, detail);
    report.passed = report.steps.iter().all(|s| s.passed);
    report
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

fn init_step(w: &mut Worker, info: &GameTypeInfo, seed: u64) -> Result<(Vec<u8>, String), String> {
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

/// Actions per `apply-batch` call in the replay step.
const BATCH: usize = 16;

/// Outcome of a call, comparable across runs (fuel aside).
type Outcome = Result<Result<Transition, veltrix_contract::Rejection>, Fault>;

fn apply_threaded(w: &mut Worker, state: &mut Vec<u8>, a: &Action) -> Outcome {
    let o = w.apply(state, a).map(|Applied { result, .. }| result);
    if let Ok(Ok(t)) = &o {
        state.clone_from(&t.state);
    }
    o
}

fn replay_step(
    plugin: &std::sync::Arc<Plugin>,
    start: &[u8],
    opts: &CheckOptions,
) -> (bool, String) {
    // First run: generate with feedback, recording what was sent.
    let mut g = ActionGen::new(&plugin.info, opts.seed ^ 0xA5A5);
    let mut warm = plugin.worker();
    let mut state = start.to_vec();
    let mut actions = Vec::with_capacity(opts.replay_actions);
    let mut first = Vec::with_capacity(opts.replay_actions);
    for _ in 0..opts.replay_actions {
        let a = g.next_action();
        let o = apply_threaded(&mut warm, &mut state, &a);
        if is_stall(&o) {
            return stalled(first.len(), &a);
        }
        g.feedback(&a, matches!(o, Ok(Ok(_))));
        first.push(o);
        actions.push(a);
    }
    let end1 = state;
    // Then the same actions on the now warm instance, and on a fresh one.
    let mut fresh = plugin.worker();
    for w in [&mut warm, &mut fresh] {
        let mut state = start.to_vec();
        for (i, a) in actions.iter().enumerate() {
            let o = apply_threaded(w, &mut state, a);
            if is_stall(&o) {
                return stalled(i, a);
            }
            if o != first[i] {
                return (
                    false,
                    format!(
                        "action {i} (`{}`) gave a different result on replay",
                        a.kind
                    ),
                );
            }
        }
        if state != end1 {
            return (false, "final states differ on replay".into());
        }
    }
    // And through `apply-batch`, 16 at a time: the same outcomes and state.
    let mut batched = plugin.worker();
    let mut state = start.to_vec();
    for (c, chunk) in actions.chunks(BATCH).enumerate() {
        let b = batched.apply_batch(&state, chunk);
        for (j, got) in b.outcomes.into_iter().enumerate() {
            let i = c * BATCH + j;
            if matches!(&got, Err(f) if f.is_stall()) {
                return stalled(i, &actions[i]);
            }
            let want = first[i]
                .clone()
                .map(|r| r.map(|t| (t.quest_updates, t.rewards, t.score_deltas)));
            let got = got.map(|r| r.map(|e| (e.quest_updates, e.rewards, e.score_deltas)));
            if got != want {
                return (
                    false,
                    format!(
                        "action {i} (`{}`) differs through apply-batch",
                        actions[i].kind
                    ),
                );
            }
        }
        state = b.state;
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

fn robustness_step(
    w: &mut Worker,
    state: &[u8],
    opts: &CheckOptions,
    fuel: &mut Vec<u64>,
) -> (bool, String, Vec<String>, Vec<u8>) {
    let mut g = ActionGen::new(&w.plugin().info.clone(), opts.seed);
    let mut state = state.to_vec();
    let (mut applied, mut rejected) = (0, 0);
    let mut faults: Vec<String> = Vec::new();
    let mut players = std::collections::BTreeSet::new();
    for _ in 0..opts.random_actions {
        let a = g.next_action();
        players.insert(a.player.clone());
        let r = w.apply(&state, &a);
        g.feedback(&a, matches!(r, Ok(Applied { result: Ok(_), .. })));
        match r {
            Ok(Applied {
                result: Ok(t),
                fuel: f,
            }) => {
                applied += 1;
                fuel.push(f);
                state = t.state;
            }
            Ok(Applied {
                result: Err(_),
                fuel: f,
            }) => {
                rejected += 1;
                if f > 0 {
                    fuel.push(f);
                }
            }
            Err(f) => {
                if faults.len() < 3 {
                    faults.push(format!("`{}` {}: {f}", a.kind, truncate(&a.payload, 60)));
                }
                if faults.len() >= 3 {
                    break;
                }
            }
        }
    }
    let detail = if faults.is_empty() {
        format!(
            "{} random actions: {applied} applied, {rejected} rejected, 0 faults",
            opts.random_actions
        )
    } else {
        format!("faults: {}", faults.join("; "))
    };
    (
        faults.is_empty(),
        detail,
        players.into_iter().collect(),
        state,
    )
}

fn view_step(w: &mut Worker, state: &[u8], players: &[String]) -> (bool, String) {
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
