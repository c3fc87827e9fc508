//! Runs a [`Plan`] through an [`Admin`] and then verifies that the cluster converged: a fresh describe
//! and diff must come back empty.
//!
//! Apply is idempotent and keeps no progress of its own: after a partial failure, running it again
//! re-describes, re-plans and does what is left.

use std::time::Duration;

use crate::cluster::{self, Admin, Scope};
use crate::plan::{self, Change, Plan};
use crate::spec::Desired;

/// Why apply did not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan has blocked changes; nothing was applied.
    #[error("the plan has {0} blocked change(s); nothing was applied")]
    Blocked(usize),
}

/// What happened.
#[derive(Debug)]
pub struct ApplyReport {
    /// Each planned change and its result, in plan order.
    pub outcomes: Vec<(Change, Result<(), cluster::Error>)>,
    /// What the check after the changes found.
    pub verify: Verify,
}

/// The result of re-describing the cluster after apply.
#[derive(Debug)]
pub enum Verify {
    /// A fresh plan is empty.
    Converged,
    /// A fresh plan still has changes: these did not take.
    NotConverged(Plan),
    /// The cluster could not be described.
    Failed(cluster::Error),
}

impl ApplyReport {
    /// True when every change succeeded and the cluster converged.
    pub fn is_success(&self) -> bool {
        self.outcomes.iter().all(|(_, r)| r.is_ok()) && matches!(self.verify, Verify::Converged)
    }

    /// The changes that failed.
    pub fn failures(&self) -> impl Iterator<Item = (&Change, &cluster::Error)> {
        self.outcomes.iter().filter_map(|(c, r)| r.as_ref().err().map(|e| (c, e)))
    }
}

/// How long to wait before verify attempt `attempt` (0-based), or `None` to stop retrying.
///
/// Kafka propagates metadata to every broker asynchronously, so a describe right after a change can
/// still show the old state for a moment. A plan that is still not empty after these waits is reported.
pub fn verify_delay(attempt: u32) -> Option<Duration> {
    const DELAYS_MS: [u64; 7] = [0, 200, 400, 800, 1600, 3200, 3200];
    DELAYS_MS.get(attempt as usize).map(|&ms| Duration::from_millis(ms))
}

/// Applies `plan` and verifies the result against `desired`. Refuses a plan with blocked changes.
pub async fn run(plan: &Plan, desired: &Desired, admin: &impl Admin, scope: &Scope) -> Result<ApplyReport, Error> {
    if !plan.blocked.is_empty() {
        return Err(Error::Blocked(plan.blocked.len()));
    }
    let results = if plan.changes.is_empty() { Vec::new() } else { admin.execute(&plan.changes).await };
    let outcomes: Vec<(Change, Result<(), cluster::Error>)> = plan.changes.iter().cloned().zip(results).collect();
    let failed: Vec<Change> = outcomes.iter().filter(|(_, r)| r.is_err()).map(|(c, _)| c.clone()).collect();
    let verify = verify(desired, admin, scope, &failed).await;
    Ok(ApplyReport { outcomes, verify })
}

/// Describes the cluster and diffs it against `desired` until the plan is empty or the waits of
/// [`verify_delay`] run out. Waiting stops early once all that remains is `failed`: changes the
/// cluster refused will not appear by waiting.
pub async fn verify(desired: &Desired, admin: &impl Admin, scope: &Scope, failed: &[Change]) -> Verify {
    let mut attempt = 0;
    loop {
        let delay = verify_delay(attempt).expect("attempt 0 always has a delay");
        tokio::time::sleep(delay).await;
        let remaining = match admin.describe(scope).await {
            Ok(live) => plan::diff(desired, &live),
            Err(e) => return Verify::Failed(e),
        };
        if remaining.is_empty() {
            return Verify::Converged;
        }
        let only_failures = remaining.blocked.is_empty() && remaining.changes.iter().all(|c| failed.contains(c));
        attempt += 1;
        if only_failures || verify_delay(attempt).is_none() {
            return Verify::NotConverged(remaining);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::fake::FakeCluster;
    use crate::spec::DesiredTopic;

    fn topic(name: &str, partitions: u32, configs: &[(&str, &str)]) -> DesiredTopic {
        DesiredTopic {
            name: name.into(),
            partitions,
            replication_factor: Some(1),
            configs: configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            origin: None,
            locations: Default::default(),
            config_mode: None,
        }
    }

    fn desired(topics: impl IntoIterator<Item = DesiredTopic>) -> Desired {
        Desired { topics: topics.into_iter().map(|t| (t.name.clone(), t)).collect() }
    }

    fn scope(d: &Desired) -> Scope {
        Scope::new(d.topics.keys().cloned(), &[], &[]).unwrap()
    }

    async fn plan_for(d: &Desired, admin: &FakeCluster) -> Plan {
        plan::diff(d, &admin.describe(&scope(d)).await.unwrap())
    }

    #[test]
    fn verify_delays_are_bounded() {
        let total: Duration = (0..).map_while(verify_delay).sum();
        assert!(total < Duration::from_secs(15), "{total:?}");
        assert_eq!(verify_delay(0), Some(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn apply_converges_and_is_idempotent() {
        let cluster = FakeCluster::new(3);
        let d = desired([topic("a", 3, &[("retention.ms", "1000")]), topic("b", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        assert_eq!(plan.changes.len(), 2);
        let report = run(&plan, &d, &cluster, &scope(&d)).await.unwrap();
        assert!(report.is_success(), "{report:?}");

        let again = plan_for(&d, &cluster).await;
        assert!(again.is_empty(), "second plan: {again:?}");
        let report = run(&again, &d, &cluster, &scope(&d)).await.unwrap();
        assert!(report.outcomes.is_empty() && report.is_success());
    }

    #[tokio::test(start_paused = true)]
    async fn one_failure_does_not_stop_the_others() {
        let cluster = FakeCluster::new(3);
        cluster.refuse("bad");
        let d = desired([topic("bad", 1, &[]), topic("good", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        let report = run(&plan, &d, &cluster, &scope(&d)).await.unwrap();
        let failed: Vec<&str> = report.failures().map(|(c, _)| c.topic()).collect();
        assert_eq!(failed, ["bad"]);
        assert!(cluster.snapshot().topics.contains_key("good"));
        match &report.verify {
            Verify::NotConverged(rest) => {
                assert_eq!(rest.changes.iter().map(Change::topic).collect::<Vec<_>>(), ["bad"])
            }
            other => panic!("expected not converged, got {other:?}"),
        }
        assert!(!report.is_success());
    }

    #[tokio::test(start_paused = true)]
    async fn blocked_plan_is_refused_and_changes_nothing() {
        let cluster = FakeCluster::new(3);
        let d = desired([topic("a", 6, &[])]);
        run(&plan_for(&d, &cluster).await, &d, &cluster, &scope(&d)).await.unwrap();
        let before = cluster.snapshot();
        let shrink = desired([topic("a", 3, &[("retention.ms", "5")])]);
        let plan = plan_for(&shrink, &cluster).await;
        assert_eq!(plan.blocked.len(), 1);
        assert!(matches!(run(&plan, &shrink, &cluster, &scope(&shrink)).await, Err(Error::Blocked(1))));
        assert_eq!(cluster.snapshot(), before);
    }
}
