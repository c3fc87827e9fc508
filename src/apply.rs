//! Runs a [`Plan`] through an [`Admin`] and then verifies that the cluster converged: a fresh describe
//! and diff must come back empty.
//!
//! Order: deletion guards, then a broker-side preflight of the whole plan (validate-only requests), then
//! the changes in phases, each one batched request per kind: creates, partition increases, configs,
//! deletions. Transient broker errors are retried with backoff ([`retry_delay`]); a change that still
//! fails is reported and the others go on. Apply is idempotent and keeps no progress of its own: after
//! a partial failure, running it again re-describes, re-plans and does what is left.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::cluster::{self, Admin, Scope};
use crate::plan::{self, Change, DeleteReason, Plan};
use crate::spec::Desired;

/// Why apply did not start. In every case nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan has blocked changes.
    #[error("the plan has {0} blocked change(s); nothing was applied")]
    Blocked(usize),
    /// `--prune` deletions without `--max-destroy`.
    #[error("the plan prunes {0} topic(s), which needs --max-destroy N; nothing was applied")]
    PruneNeedsMaxDestroy(usize),
    /// More deletions than `--max-destroy` allows.
    #[error("the plan deletes {count} topic(s), more than --max-destroy {max}; nothing was applied")]
    TooManyDeletions {
        /// Deletions in the plan.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// The brokers refused changes in the validate-only preflight.
    #[error("the brokers refused {} change(s) in the preflight check; nothing was applied", .0.len())]
    Preflight(Vec<(Change, cluster::Error)>),
}

/// Limits on what an apply may destroy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guards {
    /// At most this many topic deletions. Without it, explicit `delete: true` deletions (reviewed in
    /// git) are allowed and `--prune` deletions are not.
    pub max_destroy: Option<usize>,
    /// Reassignments were started without waiting for them (`--no-wait`): verification would see them
    /// unfinished, so it is skipped and says so.
    pub reassignments_not_awaited: bool,
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
    /// Not checked, for the reason given.
    Skipped(&'static str),
}

impl ApplyReport {
    /// True when every change succeeded and the cluster converged.
    pub fn is_success(&self) -> bool {
        self.outcomes.iter().all(|(_, r)| r.is_ok()) && matches!(self.verify, Verify::Converged | Verify::Skipped(_))
    }

    /// The changes that failed.
    pub fn failures(&self) -> impl Iterator<Item = (&Change, &cluster::Error)> {
        self.outcomes.iter().filter_map(|(c, r)| r.as_ref().err().map(|e| (c, e)))
    }
}

/// How long to wait before retry `attempt` (0-based) of a change that failed with `err`, or `None` to
/// give up: at once for errors that retrying cannot fix, after six tries (about 16 s in all) for
/// transient ones.
pub fn retry_delay(err: &cluster::Error, attempt: u32) -> Option<Duration> {
    const DELAYS_MS: [u64; 6] = [250, 500, 1000, 2000, 4000, 8000];
    if !err.is_retriable() {
        return None;
    }
    DELAYS_MS.get(attempt as usize).map(|&ms| Duration::from_millis(ms))
}

/// How long to wait before verify attempt `attempt` (0-based): quickly at first, then every 3.2 s.
///
/// Kafka propagates metadata to every broker asynchronously, so a describe right after a change can
/// still show the old state for a moment; after many creates, for many seconds.
pub fn verify_delay(attempt: u32) -> Duration {
    const DELAYS_MS: [u64; 6] = [0, 200, 400, 800, 1600, 3200];
    Duration::from_millis(DELAYS_MS[(attempt as usize).min(DELAYS_MS.len() - 1)])
}

/// How long verification may wait for `changes` changes to show: 10 s, plus 20 ms per change (brokers
/// took over 10 s to list 1,000 new topics on a busy cluster of 10,000), at most 5 minutes. A plan
/// that is still not empty then is reported as not converged.
pub fn verify_budget(changes: usize) -> Duration {
    (Duration::from_secs(10) + Duration::from_millis(20) * changes as u32).min(Duration::from_secs(300))
}

/// Checks the plan against `guards`.
pub fn check_guards(plan: &Plan, guards: &Guards) -> Result<(), Error> {
    let deletions: Vec<&DeleteReason> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::DeleteTopic { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    let pruned = deletions.iter().filter(|r| ***r == DeleteReason::Pruned).count();
    match guards.max_destroy {
        None if pruned > 0 => Err(Error::PruneNeedsMaxDestroy(pruned)),
        Some(max) if deletions.len() > max => Err(Error::TooManyDeletions { count: deletions.len(), max }),
        _ => Ok(()),
    }
}

/// Applies `plan` and verifies the result against `desired`. Changes nothing when the plan has blocked
/// changes, breaks a guard, or fails the brokers' preflight.
pub async fn run(plan: &Plan, desired: &Desired, admin: &impl Admin, guards: &Guards) -> Result<ApplyReport, Error> {
    if !plan.blocked.is_empty() {
        return Err(Error::Blocked(plan.blocked.len()));
    }
    check_guards(plan, guards)?;
    if !plan.changes.is_empty() {
        let checked = with_retries(admin, &plan.changes, Mode::Validate).await;
        let refused: Vec<(Change, cluster::Error)> =
            plan.changes.iter().zip(checked).filter_map(|(c, r)| r.err().map(|e| (c.clone(), e))).collect();
        if !refused.is_empty() {
            return Err(Error::Preflight(refused));
        }
    }

    let mut results: Vec<Option<Result<(), cluster::Error>>> = vec![None; plan.changes.len()];
    for phase in 0..5u8 {
        let indices: Vec<usize> = (0..plan.changes.len()).filter(|&i| phase_of(&plan.changes[i]) == phase).collect();
        if indices.is_empty() {
            continue;
        }
        let batch: Vec<Change> = indices.iter().map(|&i| plan.changes[i].clone()).collect();
        let outcome = with_retries(admin, &batch, Mode::Execute).await;
        for (i, r) in indices.into_iter().zip(outcome) {
            results[i] = Some(r);
        }
    }
    let outcomes: Vec<(Change, Result<(), cluster::Error>)> =
        plan.changes.iter().cloned().zip(results.into_iter().map(|r| r.expect("every change is in a phase"))).collect();
    let failed: Vec<Change> = outcomes.iter().filter(|(_, r)| r.is_err()).map(|(c, _)| c.clone()).collect();
    let reassigning = plan.changes.iter().any(|c| matches!(c, Change::ChangeReplicationFactor { .. }));
    let verify = if reassigning && guards.reassignments_not_awaited {
        Verify::Skipped("replicas are still being copied (--no-wait); run `topicform apply` again to verify")
    } else {
        verify(plan, desired, admin, &failed).await
    };
    Ok(ApplyReport { outcomes, verify })
}

/// Creates first, so later changes find their topics; reassignments after configs (a throttle is a
/// config); deletions last.
fn phase_of(change: &Change) -> u8 {
    match change {
        Change::CreateTopic { .. } => 0,
        Change::AddPartitions { .. } => 1,
        Change::SetConfig { .. } | Change::PinConfig { .. } | Change::UnsetConfig { .. } => 2,
        Change::ChangeReplicationFactor { .. } => 3,
        Change::DeleteTopic { .. } => 4,
    }
}

/// Whether changes are checked by the brokers or made.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Validate,
    Execute,
}

/// Runs `changes`, then again on those that failed with a transient error, as
/// [`retry_delay`] allows. A topic that already exists when it is to be created counts as created: a
/// concurrent apply of the same files got there first, and verification checks that it matches.
async fn with_retries(admin: &impl Admin, changes: &[Change], mode: Mode) -> Vec<Result<(), cluster::Error>> {
    let mut results: Vec<Result<(), cluster::Error>> = vec![Ok(()); changes.len()];
    let mut pending: Vec<usize> = (0..changes.len()).collect();
    let mut attempt = 0;
    while !pending.is_empty() {
        let batch: Vec<Change> = pending.iter().map(|&i| changes[i].clone()).collect();
        let outcome = match mode {
            Mode::Validate => admin.validate(&batch).await,
            Mode::Execute => admin.execute(&batch).await,
        };
        let mut again = Vec::new();
        let mut wait = Duration::ZERO;
        for (i, r) in pending.iter().copied().zip(outcome) {
            results[i] = match r {
                Err(e)
                    if matches!(changes[i], Change::CreateTopic { .. }) && e.code() == Some("TOPIC_ALREADY_EXISTS") =>
                {
                    Ok(())
                }
                Err(e) => match retry_delay(&e, attempt) {
                    Some(d) => {
                        wait = wait.max(d);
                        again.push(i);
                        Err(e)
                    }
                    None => Err(e),
                },
                Ok(()) => Ok(()),
            };
        }
        if !again.is_empty() {
            tokio::time::sleep(wait).await;
        }
        pending = again;
        attempt += 1;
    }
    results
}

/// Describes the topics `plan` touches and diffs them against `desired` until nothing remains or
/// [`verify_budget`] runs out. Only those topics: the rest of the scope was not changed, and describing
/// it again would cost as much as the plan did. Waiting stops early once all that remains is `failed`:
/// changes the cluster refused will not appear by waiting.
pub async fn verify(plan: &Plan, desired: &Desired, admin: &impl Admin, failed: &[Change]) -> Verify {
    let touched: BTreeSet<String> =
        plan.changes.iter().map(|c| c.topic().to_owned()).chain(plan.blocked.iter().map(|b| b.topic.clone())).collect();
    let desired = Desired {
        topics: desired
            .topics
            .iter()
            .filter(|(n, _)| touched.contains(*n))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect(),
    };
    let scope = match Scope::new(touched.iter().cloned(), &[], &[]) {
        Ok(scope) => scope,
        Err(e) => unreachable!("exact names make a valid scope: {e}"),
    };
    let failed_topics: BTreeSet<&str> = failed.iter().map(Change::topic).collect();
    let budget = verify_budget(plan.changes.len());
    let mut waited = Duration::ZERO;
    let mut attempt = 0;
    loop {
        let delay = verify_delay(attempt);
        tokio::time::sleep(delay).await;
        waited += delay;
        // Topics pruned by this apply are gone from the view, and nothing else here is unmanaged.
        let remaining = match admin.describe(&scope).await {
            Ok(live) => plan::diff(&desired, &live),
            Err(e) => return Verify::Failed(e),
        };
        if remaining.is_empty() {
            return Verify::Converged;
        }
        let only_failures = remaining.blocked.is_empty()
            && remaining.changes.iter().all(|c| failed.contains(c) || failed_topics.contains(c.topic()));
        attempt += 1;
        if only_failures || waited >= budget {
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
            delete: false,
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
    fn verify_waits_longer_for_more_changes() {
        assert_eq!(verify_delay(0), Duration::ZERO);
        assert_eq!(verify_delay(100), Duration::from_millis(3200));
        assert_eq!(verify_budget(0), Duration::from_secs(10));
        assert_eq!(verify_budget(1000), Duration::from_secs(30));
        assert_eq!(verify_budget(1_000_000), Duration::from_secs(300));
    }

    #[tokio::test(start_paused = true)]
    async fn apply_converges_and_is_idempotent() {
        let cluster = FakeCluster::new(3);
        let d = desired([topic("a", 3, &[("retention.ms", "1000")]), topic("b", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        assert_eq!(plan.changes.len(), 2);
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");

        let again = plan_for(&d, &cluster).await;
        assert!(again.is_empty(), "second plan: {again:?}");
        let report = run(&again, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.outcomes.is_empty() && report.is_success());
    }

    #[tokio::test(start_paused = true)]
    async fn one_failure_does_not_stop_the_others() {
        let cluster = FakeCluster::new(3);
        cluster.break_after_preflight("bad");
        let d = desired([topic("bad", 1, &[]), topic("good", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
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
        run(&plan_for(&d, &cluster).await, &d, &cluster, &Guards::default()).await.unwrap();
        let before = cluster.snapshot();
        let shrink = desired([topic("a", 3, &[("retention.ms", "5")])]);
        let plan = plan_for(&shrink, &cluster).await;
        assert_eq!(plan.blocked.len(), 1);
        assert!(matches!(run(&plan, &shrink, &cluster, &Guards::default()).await, Err(Error::Blocked(1))));
        assert_eq!(cluster.snapshot(), before);
    }

    fn error(code: &str) -> cluster::Error {
        cluster::Error::Topic { operation: "X", topic: "t".into(), code: code.into(), message: String::new() }
    }

    #[test]
    fn retry_policy() {
        let cases = [
            ("REQUEST_TIMED_OUT", 0, Some(250)),
            ("NOT_CONTROLLER", 1, Some(500)),
            ("LEADER_NOT_AVAILABLE", 5, Some(8000)),
            ("REQUEST_TIMED_OUT", 6, None),
            ("_TRANSPORT", 0, Some(250)),
            ("POLICY_VIOLATION", 0, None),
            ("INVALID_CONFIG", 0, None),
            ("TOPIC_AUTHORIZATION_FAILED", 0, None),
        ];
        for (code, attempt, want) in cases {
            assert_eq!(retry_delay(&error(code), attempt), want.map(Duration::from_millis), "{code} #{attempt}");
        }
        let total: Duration = (0..).map_while(|a| retry_delay(&error("REQUEST_TIMED_OUT"), a)).sum();
        assert!(total < Duration::from_secs(20), "bounded: {total:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried() {
        let cluster = FakeCluster::new(3);
        cluster.fail_transiently("a", 3);
        let d = desired([topic("a", 1, &[]), topic("b", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_give_up_and_report() {
        let cluster = FakeCluster::new(3);
        cluster.fail_transiently("a", 100);
        let d = desired([topic("a", 1, &[]), topic("b", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        let report = run(&plan, &d, &cluster, &Guards::default()).await;
        // The preflight retries too, and gives up: nothing is applied.
        assert!(matches!(report, Err(Error::Preflight(ref r)) if r.len() == 1), "{report:?}");
        assert!(cluster.snapshot().topics.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn preflight_refusal_changes_nothing() {
        let cluster = FakeCluster::new(3);
        let mut too_many_replicas = topic("bad", 1, &[]);
        too_many_replicas.replication_factor = Some(4);
        let d = desired([topic("good", 1, &[]), too_many_replicas]);
        let plan = plan_for(&d, &cluster).await;
        match run(&plan, &d, &cluster, &Guards::default()).await {
            Err(Error::Preflight(refused)) => {
                assert_eq!(refused.len(), 1);
                assert_eq!(refused[0].0.topic(), "bad");
                assert_eq!(refused[0].1.code(), Some("INVALID_REPLICATION_FACTOR"));
            }
            other => panic!("expected a preflight refusal, got {other:?}"),
        }
        assert!(cluster.snapshot().topics.is_empty(), "not even the good topic was created");
    }

    #[tokio::test(start_paused = true)]
    async fn deletions_are_guarded() {
        let cluster = FakeCluster::new(3);
        cluster.create_topic("declared-gone", 1);
        cluster.create_topic("stray", 1);
        let mut gone = topic("declared-gone", 1, &[]);
        gone.delete = true;
        let d = desired([gone, topic("kept", 1, &[])]);
        let scope = Scope::new(d.topics.keys().cloned(), &["*".into()], &[]).unwrap();
        let live = cluster.describe(&scope).await.unwrap();

        // Without --prune the stray topic is only listed; the explicit deletion needs no flag.
        let plan = plan::diff(&d, &live);
        assert_eq!(plan.unmanaged, ["stray"]);
        assert_eq!(plan.summary().delete, 1);

        // --prune without --max-destroy is refused, and so is a cap below the count.
        let pruning = plan::diff_with(&d, &live, &plan::Options { prune: true });
        assert_eq!(pruning.summary().delete, 2);
        assert!(matches!(run(&pruning, &d, &cluster, &Guards::default()).await, Err(Error::PruneNeedsMaxDestroy(1))));
        let one = Guards { max_destroy: Some(1), ..Guards::default() };
        assert!(matches!(run(&pruning, &d, &cluster, &one).await, Err(Error::TooManyDeletions { count: 2, max: 1 })));
        assert_eq!(cluster.snapshot().topics.len(), 2, "nothing deleted");

        let report = run(&pruning, &d, &cluster, &Guards { max_destroy: Some(2), ..Guards::default() }).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        let left: Vec<String> = cluster.snapshot().topics.into_keys().collect();
        assert_eq!(left, ["kept"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_topic_created_meanwhile_counts_as_created() {
        let cluster = FakeCluster::new(3);
        let d = desired([topic("a", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        // Another apply of the same files creates it between this plan and this apply.
        cluster.create_topic("a", 1);
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn replication_factor_changes_converge() {
        let cluster = FakeCluster::new(3);
        let d1 = desired([topic("a", 4, &[])]);
        run(&plan_for(&d1, &cluster).await, &d1, &cluster, &Guards::default()).await.unwrap();
        let mut rf3 = topic("a", 4, &[]);
        rf3.replication_factor = Some(3);
        let d3 = desired([rf3]);
        let plan = plan_for(&d3, &cluster).await;
        assert!(matches!(plan.changes[..], [Change::ChangeReplicationFactor { from: 1, to: 3, .. }]), "{plan:?}");
        let report = run(&plan, &d3, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        assert!(plan_for(&d3, &cluster).await.is_empty(), "the second plan is empty");
        for p in &cluster.snapshot().topics["a"].partitions {
            assert_eq!(p.replicas.len(), 3);
        }
    }
}
