//! Per-kind tallies of the conformance run, and the coverage verdict: a
//! declared kind the run never applied is a rule the check cannot vouch
//! for, so it fails the check and says what happened to that kind instead.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use veltrix_contract::{Action, GameContract, RejectionCode};

use super::subject::Subject;

/// What happened to one action kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindStats {
    /// The kind.
    pub kind: String,
    /// Applied by the plugin.
    pub applied: u64,
    /// Rejected by the plugin, by rejection code.
    pub rejected: BTreeMap<String, u64>,
    /// Refused by the host before the plugin (contract: role, payload
    /// schema), by rejection code.
    pub refused: BTreeMap<String, u64>,
    /// Faulted (trap, fuel, memory...).
    pub faulted: u64,
}

/// The run's tallies, in contract order.
#[derive(Debug)]
pub struct Tally {
    kinds: Vec<KindStats>,
}

fn code(c: RejectionCode) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{c:?}"))
}

impl Tally {
    /// Empty tallies of every declared kind.
    pub fn new(contract: &GameContract) -> Self {
        Self {
            kinds: contract
                .actions
                .iter()
                .map(|a| KindStats {
                    kind: a.kind.clone(),
                    ..KindStats::default()
                })
                .collect(),
        }
    }

    fn of(&mut self, kind: &str) -> Option<&mut KindStats> {
        self.kinds.iter_mut().find(|k| k.kind == kind)
    }

    /// The host refused `a` (undeclared kinds are not tallied).
    pub fn refused(&mut self, a: &Action, subject: &dyn Subject) {
        if let Err(r) = subject.admit(a)
            && let Some(k) = self.of(&a.kind)
        {
            *k.refused.entry(code(r.code)).or_default() += 1;
        }
    }

    /// The plugin's outcome for an action of `kind`.
    pub fn outcome<T>(
        &mut self,
        kind: &str,
        o: &Result<Result<T, veltrix_contract::Rejection>, crate::Fault>,
    ) {
        let Some(k) = self.of(kind) else { return };
        match o {
            Ok(Ok(_)) => k.applied += 1,
            Ok(Err(r)) => *k.rejected.entry(code(r.code)).or_default() += 1,
            Err(_) => k.faulted += 1,
        }
    }

    /// A scenario step of `kind` was applied.
    pub fn scenario_applied(&mut self, kind: &str) {
        if let Some(k) = self.of(kind) {
            k.applied += 1;
        }
    }

    /// Every declared kind applied at least once?
    pub fn coverage(&self) -> (bool, String) {
        let never: Vec<String> = self
            .kinds
            .iter()
            .filter(|k| k.applied == 0)
            .map(|k| {
                let top = |m: &BTreeMap<String, u64>| {
                    let mut v: Vec<_> = m.iter().collect();
                    v.sort_by(|a, b| b.1.cmp(a.1));
                    v.iter()
                        .take(3)
                        .map(|(c, n)| format!("{n} {c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "`{}` (rejected: {}; refused by the host: {}; faulted: {})",
                    k.kind,
                    or_none(top(&k.rejected)),
                    or_none(top(&k.refused)),
                    k.faulted
                )
            })
            .collect();
        if never.is_empty() {
            let total: u64 = self.kinds.iter().map(|k| k.applied).sum();
            (
                true,
                format!(
                    "all {} kinds applied ({total} applications)",
                    self.kinds.len()
                ),
            )
        } else {
            (
                false,
                format!(
                    "never applied, so the check cannot vouch for their rules: {}; \
                     add a scenario that plays them (`--scenario`)",
                    never.join("; ")
                ),
            )
        }
    }

    /// The tallies, in contract order.
    pub fn into_stats(self) -> Vec<KindStats> {
        self.kinds
    }
}

fn or_none(s: String) -> String {
    if s.is_empty() { "none".into() } else { s }
}
