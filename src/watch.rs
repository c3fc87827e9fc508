//! `watch`'s data: what one cycle on one cluster found ([`Cycle`]), how the pending changes are counted
//! for the metrics, when the process is ready, and how long to wait before the next cycle. Pure: the
//! loop, the clock, the server and the metrics registry are `commands::watch`'s and `metrics`'.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::plan::{Change, Plan, Risk};

/// How one cycle on one cluster ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The cluster matches the files.
    InSync,
    /// Changes are pending (or blocked).
    Drift,
    /// The cycle failed: see its error.
    Failed,
}

impl Outcome {
    /// The outcome as a word.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::InSync => "in_sync",
            Outcome::Drift => "drift",
            Outcome::Failed => "failed",
        }
    }
}

/// Why a cycle failed: the `kind` label of the errors counter. A closed set, so that no label value
/// ever carries a message (which could name an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The project file or the topic files have errors, for this cluster's overrides or its release
    /// (a config the release lacks): the last good desired state is not used.
    Files,
    /// The cluster could not be reached or described.
    Describe,
    /// The cycle ran out of time (`--timeout`).
    Timeout,
    /// `--auto-apply` failed.
    Apply,
}

impl ErrorKind {
    /// Every kind, for metrics that start at zero.
    pub const ALL: [ErrorKind; 4] = [ErrorKind::Files, ErrorKind::Describe, ErrorKind::Timeout, ErrorKind::Apply];

    /// The kind as a label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Files => "files",
            ErrorKind::Describe => "describe",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Apply => "apply",
        }
    }
}

/// Pending changes of one action and risk class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pending {
    /// The change's action, as the plan JSON names it (`create_topic`, `set_config`, ...).
    pub action: String,
    /// Its risk class.
    pub risk: Risk,
    /// How many.
    pub count: usize,
}

/// Counts the plan's changes by action and risk class, sorted.
pub fn pending(plan: &Plan) -> Vec<Pending> {
    let mut counts: BTreeMap<(String, Risk), usize> = BTreeMap::new();
    for change in &plan.changes {
        *counts.entry((action(change), change.risk().0)).or_default() += 1;
    }
    counts.into_iter().map(|((action, risk), count)| Pending { action, risk, count }).collect()
}

/// The change's action, as the plan JSON's `action` field names it.
pub fn action(change: &Change) -> String {
    serde_json::to_value(change)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// What `--auto-apply` may apply: the plan's changes, if every one is `safe` and nothing is blocked;
/// else why not.
pub fn auto_applicable(plan: &Plan) -> Result<(), &'static str> {
    if !plan.blocked.is_empty() {
        return Err("the plan has blocked changes");
    }
    if plan.changes.iter().any(|c| c.risk().0 != Risk::Safe) {
        return Err("the plan has changes that are not of the safe risk class");
    }
    Ok(())
}

/// What one cycle on one cluster found: the line on stderr (text or JSON) and what the metrics show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cycle {
    /// The cluster's name in the project file.
    pub cluster: String,
    /// The cycle's number, from 1.
    pub cycle: u64,
    /// When it started (UTC, RFC 3339).
    pub at: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
    /// The error, as one sentence that names no secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Pending changes by action and risk.
    pub pending: Vec<Pending>,
    /// Blocked changes.
    pub blocked: usize,
    /// Managed topics (declared in the files).
    pub managed: usize,
    /// Unmanaged topics (inside `owns`, declared nowhere).
    pub unmanaged: usize,
    /// Changes applied by `--auto-apply` in this cycle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<usize>,
    /// Why `--auto-apply` applied nothing although changes are pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<&'static str>,
    /// Admin requests the cycle sent (as many as one `plan`), when counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<usize>,
    /// How long describing the cluster took, in milliseconds.
    pub describe_ms: u64,
    /// How long the whole cycle took, in milliseconds.
    pub duration_ms: u64,
}

impl Cycle {
    /// Pending changes in all.
    pub fn pending_total(&self) -> usize {
        self.pending.iter().map(|p| p.count).sum()
    }

    /// The one-line summary on stderr.
    pub fn line(&self) -> String {
        let mut line = format!("watch: cycle {} `{}` ", self.cycle, self.cluster);
        match self.outcome {
            Outcome::InSync => line += "in sync",
            Outcome::Drift => line += &format!("drift: {} pending, {} blocked", self.pending_total(), self.blocked),
            Outcome::Failed => {
                line += &format!("failed ({})", self.error_kind.map_or("unknown", ErrorKind::as_str));
                if let Some(error) = &self.error {
                    line += &format!(": {error}");
                }
            }
        }
        if self.outcome != Outcome::Failed {
            line += &format!("; {} managed, {} unmanaged", self.managed, self.unmanaged);
        }
        if let Some(applied) = self.applied {
            line += &format!("; applied {applied}");
        }
        if let Some(why) = self.not_applied {
            line += &format!("; not applied: {why}");
        }
        line + &format!(" ({} ms)", self.duration_ms)
    }
}

/// Each cluster's last cycle, as readiness sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// Seconds since the last successful cycle, if any.
    pub since_success: Option<Duration>,
    /// The last cycle failed.
    pub last_failed: bool,
}

/// Ready when every cluster's last cycle succeeded, or its last success is within `grace`. A cluster
/// that has not finished a cycle yet is not ready.
pub fn ready(clusters: &[Health], grace: Duration) -> bool {
    clusters.iter().all(|h| match h.since_success {
        None => false,
        Some(_) if !h.last_failed => true,
        Some(age) => age <= grace,
    })
}

/// The wait before the next cycle: `interval` less what the cycle took, plus `jitter` (a fraction of
/// `interval`) times `random` (in 0..1).
pub fn wait(interval: Duration, took: Duration, jitter: f64, random: f64) -> Duration {
    interval.saturating_sub(took) + interval.mul_f64((jitter * random).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_needs_every_cluster_good_or_within_the_grace() {
        let s = Duration::from_secs;
        let ok = Health { since_success: Some(s(10)), last_failed: false };
        let failing_recently = Health { since_success: Some(s(30)), last_failed: true };
        let failing_long = Health { since_success: Some(s(600)), last_failed: true };
        let never = Health { since_success: None, last_failed: true };
        let cases = [
            ("all good", vec![ok, ok], true),
            ("a failure within the grace", vec![ok, failing_recently], true),
            ("a failure past the grace", vec![ok, failing_long], false),
            ("never succeeded", vec![ok, never], false),
            ("not run yet", vec![Health::default()], false),
        ];
        for (name, clusters, want) in cases {
            assert_eq!(ready(&clusters, s(60)), want, "{name}");
        }
    }

    #[test]
    fn waits_keep_the_interval_and_add_jitter() {
        let s = Duration::from_secs;
        assert_eq!(wait(s(300), s(2), 0.0, 0.7), s(298));
        assert_eq!(wait(s(300), s(2), 0.1, 0.5), s(313));
        assert_eq!(wait(s(10), s(30), 0.1, 0.0), s(0), "a cycle longer than the interval starts the next at once");
    }

    #[test]
    fn pending_changes_are_counted_by_action_and_risk() {
        let plan = Plan::new(
            vec![
                Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] },
                Change::AddPartitions { topic: "b".into(), from: 1, to: 2, assignments: vec![] },
                Change::DeleteTopic { topic: "c".into(), partitions: 1, reason: crate::plan::DeleteReason::Declared },
            ],
            vec![],
        );
        let got: Vec<(String, &str, usize)> =
            pending(&plan).into_iter().map(|p| (p.action, p.risk.as_str(), p.count)).collect();
        assert_eq!(
            got,
            vec![
                ("add_partitions".into(), plan.changes[0].risk().0.as_str(), 2),
                ("delete_topic".into(), "destructive", 1)
            ]
        );
        assert_eq!(auto_applicable(&plan), Err("the plan has changes that are not of the safe risk class"));
        assert_eq!(auto_applicable(&Plan::new(vec![], vec![])), Ok(()));
    }
}
