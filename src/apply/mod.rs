//! Runs a [`Plan`] through an [`Admin`] and then verifies that the cluster converged: a fresh describe
//! and diff must come back empty. Apply decides everything here (which primitive, in which phase, when
//! to wait, when to retry); the adapter only executes.
//!
//! Order: deletion guards, then a broker-side preflight of the whole plan (validate-only requests),
//! then the changes in [`Phase`] order, each phase one batched request per kind. Transient broker errors
//! are retried with backoff ([`retry_delay`]); a change that still fails is reported and the others go
//! on. Apply is idempotent and keeps no progress of its own: after a partial failure, running it again
//! re-describes, re-plans and does what is left.

mod execute;
mod reassign;
mod retry;
mod verify;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::cluster::{self, Admin, ErrorCode, Mode};
use crate::desired::Desired;
use crate::plan::{Change, DeleteReason, Phase, Plan};
use crate::report::{Event, Reporter, Silent};

pub use retry::retry_delay;
pub use verify::{verify, verify_budget, verify_delay};

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
    /// Deletions of data in use, or more bytes than `--max-destroy-bytes`: each names its rule, and
    /// the hints how to proceed.
    #[error("{}", data_summary(.0))]
    DataInUse(Vec<crate::plan::data::Refused>),
    /// The brokers refused changes in the validate-only preflight, or did not answer in time.
    #[error("{}; nothing was applied", preflight_summary(.0))]
    Preflight(Vec<(Change, cluster::Error)>),
}

fn data_summary(refused: &[crate::plan::data::Refused]) -> String {
    use crate::plan::data::Refused;
    let lines: Vec<String> = refused.iter().map(|r| format!("  {r}")).collect();
    let mut hints = Vec::new();
    let in_use =
        refused.iter().any(|r| !matches!(r, Refused::TooManyBytes { .. } | Refused::CannotCheck { fact: "size", .. }));
    if refused.iter().any(|r| matches!(r, Refused::CannotCheck { .. })) {
        hints.push(
            "hint: a fact that cannot be read counts as in use, and an unknown size as over the cap: bring back the \
             brokers that did not answer (or grant what was not authorised) and plan again"
                .to_owned(),
        );
    }
    if in_use {
        hints.push(
            "hint: `--allow-active-data`, or `acknowledge: [activeData]` on a topic declared with `delete: true`, \
             deletes data in use or whose use cannot be checked"
                .to_owned(),
        );
    }
    if refused.iter().any(|r| matches!(r, Refused::CannotCheck { fact: "size", .. })) {
        hints.push(
            "hint: an unknown size passes no `--max-destroy-bytes`, whatever its value and with \
             `--allow-active-data` too: apply without the cap to delete it anyway"
                .to_owned(),
        );
    }
    if refused.iter().any(|r| matches!(r, Refused::TooManyBytes { .. })) {
        hints.push(
            "hint: raise `--max-destroy-bytes` or delete fewer topics per apply (`--allow-active-data` never lifts \
             it)"
            .to_owned(),
        );
    }
    format!(
        "refusing to delete data that is in use or cannot be checked:\n{}; nothing was applied\n{}",
        lines.join("\n"),
        hints.join("\n")
    )
}

fn preflight_summary(failed: &[(Change, cluster::Error)]) -> String {
    let timeouts = failed.iter().filter(|(_, e)| e.code().is_some_and(ErrorCode::is_timeout)).count();
    match (failed.len() - timeouts, timeouts) {
        (refused, 0) => format!("the brokers refused {refused} change(s) in the preflight check"),
        (0, t) => format!("the preflight check of {t} change(s) timed out"),
        (refused, t) => format!("the brokers refused {refused} change(s) in the preflight check, and {t} timed out"),
    }
}

/// Limits on what an apply may destroy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guards {
    /// At most this many topic deletions. Without it, explicit `delete: true` deletions (reviewed in
    /// git) are allowed and `--prune` deletions are not.
    pub max_destroy: Option<usize>,
    /// The data rules of deletions (`--allow-active-data`, `--active-window`, `--max-destroy-bytes`),
    /// checked against the plan's data facts, which apply gathers afresh.
    pub data: crate::plan::data::Rules,
}

/// How apply runs: how replication-factor changes run, when it must be done, and how it is stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Limit replication traffic to this many bytes per second per broker while data moves; the
    /// throttle is set before and removed after.
    pub throttle: Option<u64>,
    /// Wait until the brokers finish copying (default), or return once the reassignment is accepted;
    /// then verification is skipped, and says so.
    pub wait: bool,
    /// How long to wait for replicas to move, at most (the deadline may end it sooner).
    pub wait_timeout: Duration,
    /// When the whole command must be done: retries, waits and verification stop there (tokio's clock,
    /// the monotonic clock outside tests).
    pub deadline: Option<Instant>,
    /// Asks apply to stop (SIGINT, SIGTERM).
    pub cancel: Cancel,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            throttle: None,
            wait: true,
            wait_timeout: Duration::from_secs(3600),
            deadline: None,
            cancel: Cancel::default(),
        }
    }
}

impl Options {
    /// Whether there is time for `delay` more before the deadline.
    pub(crate) fn has_time_for(&self, delay: Duration) -> bool {
        self.deadline.is_none_or(|d| Instant::now() + delay < d)
    }

    /// What is left before the deadline, or `cap` when that is less.
    pub(crate) fn left(&self, cap: Duration) -> Duration {
        self.deadline.map_or(cap, |d| d.saturating_duration_since(Instant::now()).min(cap))
    }
}

/// A request to stop, shared between the signal handler and apply. Apply stops sending new requests,
/// gives those in flight [`GRACE`] to answer, and reports what was done, what was not and what is
/// unknown.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<CancelState>);

#[derive(Debug, Default)]
struct CancelState {
    requested: AtomicBool,
    running: AtomicBool,
    notify: tokio::sync::Notify,
}

/// How long requests in flight may still answer after a request to stop.
pub const GRACE: Duration = Duration::from_secs(5);

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

impl Cancel {
    /// Asks apply to stop. Returns whether an apply is running (else the caller may simply exit).
    pub fn request(&self) -> bool {
        self.0.requested.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
        self.0.running.load(Ordering::SeqCst)
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        self.0.requested.load(Ordering::SeqCst)
    }

    /// Resolves once a stop is asked for.
    pub async fn requested(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_requested() {
                return;
            }
            notified.await;
        }
    }

    fn running(&self, yes: bool) {
        self.0.running.store(yes, Ordering::SeqCst);
    }
}

/// What happened.
#[derive(Debug)]
pub struct ApplyReport {
    /// Each planned change and its result, in plan order.
    pub outcomes: Vec<(Change, Result<(), cluster::Error>)>,
    /// Topics that were to be created and already existed: someone else made them since the plan.
    /// Their creates count as done; verification compares them with the files.
    pub already_existed: Vec<String>,
    /// Apply was asked to stop before it was done.
    pub interrupted: bool,
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
        !self.interrupted
            && self.outcomes.iter().all(|(_, r)| r.is_ok())
            && matches!(self.verify, Verify::Converged | Verify::Skipped(_))
    }

    /// The changes that failed.
    pub fn failures(&self) -> impl Iterator<Item = (&Change, &cluster::Error)> {
        self.outcomes.iter().filter_map(|(c, r)| r.as_ref().err().map(|e| (c, e)))
    }
}

/// Checks the plan against `guards`: the deletion counts, then the data rules over the plan's data facts
/// (a topic of `desired` that acknowledges `activeData` is exempt from the in-use rules).
pub fn check_guards(plan: &Plan, desired: &Desired, guards: &Guards) -> Result<(), Error> {
    check_counts(plan, guards)?;
    let refused = crate::plan::data::check(&plan.changes, &plan.data, |t| acknowledged(desired, t), &guards.data);
    if refused.is_empty() { Ok(()) } else { Err(Error::DataInUse(refused)) }
}

/// Whether `topic`'s file acknowledges `activeData`.
fn acknowledged(desired: &Desired, topic: &str) -> bool {
    desired.topics.get(topic).is_some_and(|t| t.acknowledged.contains(&crate::desired::Acknowledgement::ActiveData))
}

fn check_counts(plan: &Plan, guards: &Guards) -> Result<(), Error> {
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
pub async fn run(
    plan: &Plan,
    desired: &Desired,
    admin: &impl Admin,
    guards: &Guards,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Result<ApplyReport, Error> {
    if !plan.blocked.is_empty() {
        return Err(Error::Blocked(plan.blocked.len()));
    }
    check_guards(plan, desired, guards)?;
    let unchecked = crate::plan::data::unchecked(&plan.changes, &plan.data, |t| acknowledged(desired, t), &guards.data);
    if !unchecked.is_empty() {
        reporter.event(Event::DeletingUnchecked { topics: &unchecked });
    }
    options.cancel.running(true);
    let report = run_armed(plan, desired, admin, options, reporter).await;
    options.cancel.running(false);
    report
}

async fn run_armed(
    plan: &Plan,
    desired: &Desired,
    admin: &impl Admin,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Result<ApplyReport, Error> {
    if !plan.changes.is_empty() {
        reporter.event(Event::Preflight { changes: plan.changes.len() });
        let (checked, _) = by_phase(admin, &plan.changes, Mode::Validate, options, reporter).await;
        let refused: Vec<(Change, cluster::Error)> =
            plan.changes.iter().zip(checked).filter_map(|(c, r)| r.err().map(|e| (c.clone(), e))).collect();
        if !refused.is_empty() {
            return Err(Error::Preflight(refused));
        }
    }

    let (results, already_existed) = by_phase(admin, &plan.changes, Mode::Execute, options, reporter).await;
    let outcomes: Vec<(Change, Result<(), cluster::Error>)> = plan.changes.iter().cloned().zip(results).collect();
    let failed: Vec<Change> = outcomes.iter().filter(|(_, r)| r.is_err()).map(|(c, _)| c.clone()).collect();
    let reassigning = plan.changes.iter().any(|c| c.phase() == Phase::Reassign);
    let interrupted = options.cancel.is_requested();
    let verify = if interrupted {
        Verify::Skipped("apply was interrupted; run `topicform plan` to see what is left")
    } else if reassigning && !options.wait {
        Verify::Skipped("replicas are still being copied (--no-wait); run `topicform apply` again to verify")
    } else {
        verify(plan, desired, admin, &failed, options, reporter).await
    };
    Ok(ApplyReport { outcomes, already_existed, interrupted, verify })
}

/// Describes `scope`, retrying transient failures as [`retry_delay`] allows while there is time before
/// the deadline: a broker that is briefly away does not fail a plan or a verification. A cluster that
/// cannot be reached at all (Metadata fails) is not retried.
pub async fn describe(
    admin: &impl Admin,
    scope: &crate::live::Scope,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Result<crate::live::Live, cluster::Error> {
    let mut attempt = 0;
    loop {
        match admin.describe(scope).await {
            Ok(live) => return Ok(live),
            // Metadata is the first request: when it fails, no broker was reached (a wrong address, a
            // cluster that is down), and each try would wait a whole request timeout. Fail at once.
            Err(e @ cluster::Error::Request { operation: "Metadata", .. }) => return Err(e),
            Err(e) => match retry_delay(&e, attempt) {
                Some(delay) if options.has_time_for(delay) && !options.cancel.is_requested() => {
                    attempt += 1;
                    reporter.event(Event::Retrying { items: 1, attempt, delay });
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(e),
            },
        }
    }
}

/// Adds to `plan` what its changes do to data ([`crate::plan::data`]): the facts of the topics whose data
/// a change deletes or cuts, read from `admin` as `live` places them, at `now_ms`. A plan without such
/// changes sends no request. Plan and apply both call it, so the guards always check facts read now.
pub async fn gather(
    plan: &mut Plan,
    live: &crate::live::Live,
    admin: &impl Admin,
    now_ms: i64,
    reporter: &mut dyn Reporter,
) {
    let query = crate::plan::data::query(&plan.changes, now_ms);
    if query.topics.is_empty() {
        return;
    }
    reporter.event(Event::GatheringData { topics: query.topics.len() });
    // Right after a create or a leader move a fact may be unknown for a moment: the adapter asks again
    // (`cluster::kafka::data::retry_delay`, within the deadline), where each broker's error code is still
    // at hand; the facts that come back say only why they are unknown, in words.
    let data = admin.data(live, &query).await;
    plan.data = crate::plan::data::impact(&plan.changes, &data, now_ms);
}

/// Checks `changes` with the brokers (validate-only requests), changing nothing; one result per change.
/// What `plan --validate-on-broker` and apply's preflight ask.
pub async fn validate(
    admin: &impl Admin,
    changes: &[Change],
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Vec<Result<(), cluster::Error>> {
    by_phase(admin, changes, Mode::Validate, options, reporter).await.0
}

/// Makes `changes` phase by phase, with retries, and no preflight or verification: for tests and tools
/// that build changes by hand.
pub async fn execute(admin: &impl Admin, changes: &[Change]) -> Vec<Result<(), cluster::Error>> {
    by_phase(admin, changes, Mode::Execute, &Options::default(), &mut Silent).await.0
}

/// A change apply did not send, or sent without an answer, because it was asked to stop.
fn interrupted(sent: bool) -> cluster::Error {
    let message = if sent {
        "sent, but apply was interrupted before the answer came: `topicform plan` shows whether it took"
    } else {
        "not sent: apply was interrupted"
    };
    cluster::Error::Request { operation: "Apply", code: Some(ErrorCode::Interrupted), message: message.into() }
}

/// Runs `changes` phase after phase in `mode`; one result per change, in order, and the topics that
/// already existed when they were to be created. After a request to stop, no phase starts, and a phase
/// in flight gets [`GRACE`] to finish.
async fn by_phase(
    admin: &impl Admin,
    changes: &[Change],
    mode: Mode,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> (Vec<Result<(), cluster::Error>>, Vec<String>) {
    let mut results: Vec<Option<Result<(), cluster::Error>>> = vec![None; changes.len()];
    let mut existed = Vec::new();
    for phase in Phase::ALL {
        let indices: Vec<usize> = (0..changes.len()).filter(|&i| changes[i].phase() == phase).collect();
        if indices.is_empty() {
            continue;
        }
        if options.cancel.is_requested() {
            for i in indices {
                results[i] = Some(Err(interrupted(false)));
            }
            continue;
        }
        let batch: Vec<&Change> = indices.iter().map(|&i| &changes[i]).collect();
        if mode == Mode::Execute {
            reporter.event(Event::PhaseStarted { phase, changes: batch.len() });
        }
        let cancel = options.cancel.clone();
        let stopped = async move {
            cancel.requested().await;
            tokio::time::sleep(GRACE).await;
        };
        let outcome = tokio::select! {
            outcome = execute::phase(admin, phase, &batch, mode, options, reporter) => outcome,
            () = stopped => (vec![Err(interrupted(true)); batch.len()], Vec::new()),
        };
        let (outcome, created_elsewhere) = outcome;
        existed.extend(created_elsewhere);
        for (i, r) in indices.into_iter().zip(outcome) {
            if mode == Mode::Execute {
                match &r {
                    Ok(()) => reporter.event(Event::ChangeDone { change: &changes[i] }),
                    Err(error) => reporter.event(Event::ChangeFailed { change: &changes[i], error }),
                }
            }
            results[i] = Some(r);
        }
    }
    (results.into_iter().map(|r| r.expect("every change is in a phase")).collect(), existed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::fake::FakeCluster;
    use crate::cluster::{ConfigAlter, ConfigOp};
    use crate::desired::DesiredTopic;
    use crate::live::Scope;
    use crate::plan;
    use crate::report::Recorder;

    /// [`super::run`] with the default options, reporting nothing.
    async fn run(plan: &Plan, d: &Desired, admin: &FakeCluster, guards: &Guards) -> Result<ApplyReport, Error> {
        super::run(plan, d, admin, guards, &Options::default(), &mut Silent).await
    }

    fn topic(name: &str, partitions: u32, configs: &[(&str, &str)]) -> DesiredTopic {
        DesiredTopic {
            name: name.into(),
            partitions,
            replication_factor: Some(1),
            configs: configs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            origin: None,
            locations: Default::default(),
            config_mode: None,
            delete: false,
            acknowledged: Default::default(),
        }
    }

    fn desired(topics: impl IntoIterator<Item = DesiredTopic>) -> Desired {
        Desired { topics: topics.into_iter().map(|t| (t.name.clone(), t)).collect() }
    }

    fn scope(d: &Desired) -> Scope {
        Scope::new(d.topics.keys().cloned(), &[], &[]).unwrap()
    }

    async fn plan_for(d: &Desired, admin: &FakeCluster) -> Plan {
        let live = admin.describe(&scope(d)).await.unwrap();
        let mut plan = plan::diff(d, &live);
        gather(&mut plan, &live, admin, NOW_MS, &mut Silent).await;
        plan
    }

    /// The time the tests' plans are made at.
    const NOW_MS: i64 = 1_800_000_000_000;

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
                assert_eq!(refused[0].1.code(), Some(&cluster::ErrorCode::InvalidReplicationFactor));
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
        let mut pruning = plan::diff_with(&d, &live, &plan::Options { prune: true });
        gather(&mut pruning, &live, &cluster, NOW_MS, &mut Silent).await;
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

    /// A pruned topic is in no file, so a diff lists it as unmanaged, not as a change: verification
    /// still waits until the brokers no longer list it, as for any other change.
    #[tokio::test(start_paused = true)]
    async fn pruned_topics_are_verified_gone() {
        let cluster = FakeCluster::new(3);
        cluster.create_topic("kept", 1);
        cluster.create_topic("stray", 1);
        let d = desired([topic("kept", 1, &[])]);
        let scope = Scope::new(d.topics.keys().cloned(), &["*".into()], &[]).unwrap();
        let mut pruning = plan::diff_with(&d, &cluster.describe(&scope).await.unwrap(), &plan::Options { prune: true });
        assert_eq!(pruning.summary().delete, 1);
        gather(&mut pruning, &cluster.snapshot(), &cluster, NOW_MS, &mut Silent).await;
        // Brokers that still list the deleted topic for two more describes.
        cluster.slow_deletions(2);
        let report = run(&pruning, &d, &cluster, &Guards { max_destroy: Some(1), ..Guards::default() }).await.unwrap();
        assert!(matches!(report.verify, Verify::Converged), "{report:?}");
        let stray = Scope::new(["stray".to_owned()], &[], &[]).unwrap();
        assert!(cluster.describe(&stray).await.unwrap().topics.is_empty(), "verified gone, so no longer listed");
    }

    /// The data rules: a deletion of data in use is refused naming the rule, the flag or the file's
    /// acknowledgement lets it through, the byte cap holds regardless; idle data deletes freely; and a
    /// plan that touches no data asks nothing about it.
    #[tokio::test(start_paused = true)]
    async fn deletions_of_data_in_use_are_refused_unless_allowed() {
        let cluster = FakeCluster::new(3);
        for t in ["busy", "read", "idle", "empty", "kept"] {
            cluster.create_topic(t, 2);
        }
        let hour = 3_600_000;
        cluster.produce("busy", 0, &[NOW_MS - 3 * hour, NOW_MS - hour], 1000);
        cluster.produce("read", 1, &[NOW_MS - 72 * hour], 1000);
        cluster.commit("billing", true, "read", 1, 0);
        cluster.produce("idle", 0, &[NOW_MS - 72 * hour], 1000);
        cluster.commit("old-job", false, "idle", 0, 1);

        // Nothing touches data: no request beyond the describe.
        let d = desired([topic("kept", 2, &[])]);
        let before = cluster.requests();
        let plan = plan_for(&d, &cluster).await;
        assert!(plan.data.is_empty());
        assert_eq!(cluster.requests() - before, 2, "one Metadata and one DescribeConfigs, nothing more");

        let gone = |name: &str| {
            let mut t = topic(name, 2, &[]);
            t.delete = true;
            t
        };
        let d = desired([gone("busy"), gone("read"), gone("idle"), gone("empty")]);
        let before = cluster.requests();
        let plan = plan_for(&d, &cluster).await;
        assert_eq!(cluster.requests() - before, 2 + 4, "four topics' facts in one request per kind");
        let facts = &plan.data["busy"];
        assert_eq!(facts.size.known().map(|s| s.all_replicas_bytes), Some(2000));
        assert_eq!(facts.records.known(), Some(&2));
        assert_eq!(facts.last_write.known().and_then(|w| w.age_ms), Some(hour as u64));
        match run(&plan, &d, &cluster, &Guards::default()).await {
            Err(Error::DataInUse(refused)) => assert_eq!(
                refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
                [
                    "topic `busy` was written 1 h ago, within the 24 h window of the recent-write rule",
                    "topic `read` is read by consumer group(s) with active members (billing), against the active-group rule",
                ]
            ),
            other => panic!("expected a data refusal, got {other:?}"),
        }
        assert_eq!(cluster.snapshot().topics.len(), 5, "nothing deleted");

        // A cap on bytes holds even with the flag.
        let rules = plan::data::Rules { allow_active_data: true, max_destroy_bytes: Some(3000), ..Default::default() };
        let capped = Guards { data: rules, ..Guards::default() };
        assert!(
            matches!(run(&plan, &d, &cluster, &capped).await, Err(Error::DataInUse(ref r)) if r == &[plan::data::Refused::TooManyBytes { bytes: 4000, max: 3000 }])
        );

        // Acknowledged in the file: `busy` and `read` go without the flag.
        let mut busy = gone("busy");
        busy.acknowledged.insert(crate::desired::Acknowledgement::ActiveData);
        let mut read = gone("read");
        read.acknowledged.insert(crate::desired::Acknowledgement::ActiveData);
        let d = desired([busy, read, gone("idle"), gone("empty")]);
        let plan = plan_for(&d, &cluster).await;
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        assert_eq!(cluster.snapshot().topics.into_keys().collect::<Vec<_>>(), ["kept"]);
    }

    /// A principal that may not see some facts still gets a plan; a deletion whose rule cannot be
    /// checked is refused, naming why, and goes with the flag.
    #[tokio::test(start_paused = true)]
    async fn facts_not_authorised_are_unknown_and_deletions_need_the_flag() {
        let cluster = FakeCluster::new(3);
        cluster.create_topic("t", 1);
        cluster.deny(crate::cluster::fake::Denied::Groups);
        cluster.deny(crate::cluster::fake::Denied::LogDirs);
        let mut t = topic("t", 1, &[]);
        t.delete = true;
        let d = desired([t]);
        let plan = plan_for(&d, &cluster).await;
        let facts = &plan.data["t"];
        assert_eq!(facts.groups, crate::live::Fact::Unknown(crate::live::Unknown::NotAuthorised));
        assert_eq!(facts.size, crate::live::Fact::Unknown(crate::live::Unknown::NotAuthorised));
        assert_eq!(facts.records.known(), Some(&0));
        let refused = run(&plan, &d, &cluster, &Guards::default()).await;
        assert!(
            matches!(&refused, Err(e @ Error::DataInUse(_)) if e.to_string().contains("consumer groups unknown (not authorised), so the active-group rule cannot be checked")),
            "{refused:?}"
        );
        let allowed =
            Guards { data: plan::data::Rules { allow_active_data: true, ..Default::default() }, ..Guards::default() };
        assert!(run(&plan, &d, &cluster, &allowed).await.unwrap().is_success());
    }

    /// The two holes: a group whose members read without committing, and a replica whose broker
    /// is down. Each blocks the deletion naming the rule and the way on; the flag lets unknown use go with
    /// a warning, never past the byte cap.
    #[tokio::test(start_paused = true)]
    async fn readers_without_commits_and_unknown_sizes_block_deletions() {
        let cluster = FakeCluster::new(3);
        cluster.create_topic("read", 1);
        cluster.create_topic("down", 1);
        cluster.produce("read", 0, &[NOW_MS - 72 * 3_600_000], 1000);
        cluster.produce("down", 0, &[NOW_MS - 72 * 3_600_000], 262_144);
        cluster.join("manual-commits", "read");
        let gone = |name: &str| {
            let mut t = topic(name, 1, &[]);
            t.delete = true;
            t
        };

        let d = desired([gone("read")]);
        let plan = plan_for(&d, &cluster).await;
        let groups = plan.data["read"].groups.known().unwrap();
        assert_eq!((groups[0].group.as_str(), groups[0].active, groups[0].members), ("manual-commits", true, 1));
        let refused = run(&plan, &d, &cluster, &Guards::default()).await.unwrap_err().to_string();
        assert!(
            refused.contains(
                "topic `read` is read by consumer group(s) with active members (manual-commits), against the \
                 active-group rule"
            ),
            "{refused}"
        );
        assert!(refused.contains("hint: `--allow-active-data`"), "{refused}");

        // Its only replica's broker is stopped: the size is not zero, it is unknown.
        let replica = cluster.snapshot().topics["down"].partitions[0].replicas[0];
        cluster.stop_broker(replica);
        let d = desired([gone("down")]);
        let plan = plan_for(&d, &cluster).await;
        let size = &plan.data["down"].size;
        assert!(
            matches!(
                size,
                crate::live::Fact::Unknown(crate::live::Unknown::Unmeasured {
                    replicas: 1,
                    of: 1,
                    at_least_bytes: 0,
                    ..
                })
            ),
            "{size:?}"
        );
        let capped = |allow_active_data| Guards {
            data: plan::data::Rules { allow_active_data, max_destroy_bytes: Some(1024), ..Default::default() },
            ..Guards::default()
        };
        for allow in [false, true] {
            let refused = run(&plan, &d, &cluster, &capped(allow)).await.unwrap_err().to_string();
            assert!(refused.contains("so the --max-destroy-bytes rule cannot be checked"), "{refused}");
            assert!(refused.contains("bring back the brokers that did not answer"), "{refused}");
            assert!(refused.contains("an unknown size passes no `--max-destroy-bytes`"), "{refused}");
        }
        // Without a cap: the unknown last write (no leader) is unknown use, refused without the flag...
        let refused = run(&plan, &d, &cluster, &Guards::default()).await.unwrap_err().to_string();
        assert!(
            refused.contains("last write unknown (a partition has no leader), so the recent-write rule"),
            "{refused}"
        );
        assert!(cluster.snapshot().topics.contains_key("down"));
        // ...and deleted with it, saying so.
        let mut events = Recorder::default();
        let allowed =
            Guards { data: plan::data::Rules { allow_active_data: true, ..Default::default() }, ..Guards::default() };
        super::run(&plan, &d, &cluster, &allowed, &Options::default(), &mut events).await.unwrap();
        assert!(events.lines.contains(&"deleting unchecked: down".to_owned()), "{:?}", events.lines);
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
        assert_eq!(report.already_existed, ["a"], "reported as made by someone else, not as applied");
    }

    /// Verification waits while brokers still list the touched topics differently, and says so when
    /// they never agree within its budget: one broker's view is not convergence.
    #[tokio::test(start_paused = true)]
    async fn verification_waits_until_every_broker_agrees() {
        let cluster = FakeCluster::new(3);
        let d = desired([topic("a", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        cluster.lag_brokers(3);
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(matches!(report.verify, Verify::Converged), "{:?}", report.verify);
        assert_eq!(cluster.disagreement(&["a".to_owned()]).await.unwrap(), Vec::<String>::new(), "all 3 used");

        let d = desired([topic("b", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        cluster.lag_brokers(u32::MAX);
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        let Verify::Failed(e) = &report.verify else { panic!("{:?}", report.verify) };
        assert!(e.to_string().contains("the brokers still do not all list `b` alike"), "{e}");
        assert!(!report.is_success());
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_at_the_deadline() {
        let cluster = FakeCluster::new(3);
        cluster.fail_transiently("a", 100);
        let d = desired([topic("a", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        let start = Instant::now();
        let options = Options { deadline: Some(start + Duration::from_secs(2)), ..Options::default() };
        let report = super::run(&plan, &d, &cluster, &Guards::default(), &options, &mut Silent).await;
        // Without the deadline the retries take about 16 s; with it they stop before 2 s.
        assert!(Instant::now() - start < Duration::from_secs(2), "{:?}", Instant::now() - start);
        assert!(matches!(report, Err(Error::Preflight(ref r)) if r[0].1.code() == Some(&ErrorCode::RequestTimedOut)));
    }

    /// A stop asked for while replicas move: the wait ends, no new request is sent (the throttle stays,
    /// the deletion is not attempted), and the report says what was done and what was not.
    #[tokio::test(start_paused = true)]
    async fn an_interrupted_apply_stops_sending_and_says_what_is_left() {
        let cluster = FakeCluster::new(3);
        cluster.create_topic("gone", 1);
        let d1 = desired([topic("a", 1, &[])]);
        run(&plan_for(&d1, &cluster).await, &d1, &cluster, &Guards::default()).await.unwrap();
        let mut rf3 = topic("a", 1, &[]);
        rf3.replication_factor = Some(3);
        let mut gone = topic("gone", 1, &[]);
        gone.delete = true;
        let d = desired([rf3, gone]);
        let plan = plan_for(&d, &cluster).await;
        cluster.slow_reassignments(1000);
        let options = Options { throttle: Some(1000), ..Options::default() };
        let cancel = options.cancel.clone();
        let mut events = Recorder::default();
        let stop = async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            assert!(cancel.request(), "apply is running");
        };
        let guards = Guards::default();
        let (report, ()) = tokio::join!(super::run(&plan, &d, &cluster, &guards, &options, &mut events), stop);
        let report = report.unwrap();
        assert!(report.interrupted && !report.is_success());
        let outcome =
            |phase: Phase| report.outcomes.iter().find(|(c, _)| c.phase() == phase).map(|(_, r)| r.clone()).unwrap();
        assert_eq!(outcome(Phase::Reassign).unwrap_err().code(), Some(&ErrorCode::TimedOut));
        assert_eq!(outcome(Phase::Delete).unwrap_err().code(), Some(&ErrorCode::Interrupted));
        assert!(cluster.snapshot().topics.contains_key("gone"), "the deletion was not sent");
        assert!(!cluster.broker_configs().is_empty(), "no new request: the throttle stays for the next apply");
        assert!(events.lines.contains(&"throttle kept".to_owned()), "{:?}", events.lines);
        assert!(matches!(report.verify, Verify::Skipped(_)));

        // The move goes on in the cluster. The next plan shows it and the throttle, never "converged"
        // and never a plain unset of the throttled-replica lists.
        let d = desired([{
            let mut t = topic("a", 1, &[]);
            t.replication_factor = Some(3);
            t
        }]);
        let next = plan_for(&d, &cluster).await;
        assert!(
            matches!(&next.changes[..], [Change::AwaitReassignment { partitions, brokers, .. }] if partitions == &[0] && brokers == &[1, 2, 3]),
            "{next:?}"
        );
        // A re-run waits for it, then removes the throttle: converged.
        let report = run(&next, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        assert!(cluster.broker_configs().is_empty(), "{:?}", cluster.broker_configs());
        assert!(!cluster.snapshot().topics["a"].configs.keys().any(|k| k.contains("throttled")));
        assert!(plan_for(&d, &cluster).await.is_empty());
    }

    /// A throttle left with nothing moving (an apply killed after the move finished) is removed by the
    /// next apply, as a planned step.
    #[tokio::test(start_paused = true)]
    async fn a_throttle_left_behind_is_planned_and_removed() {
        let cluster = FakeCluster::new(3);
        let d = desired([topic("a", 1, &[])]);
        run(&plan_for(&d, &cluster).await, &d, &cluster, &Guards::default()).await.unwrap();
        let leftover = [
            Change::SetConfig {
                topic: "a".into(),
                key: "leader.replication.throttled.replicas".into(),
                before: None,
                after: "0:1".into(),
            },
            Change::SetConfig {
                topic: "a".into(),
                key: "follower.replication.throttled.replicas".into(),
                before: None,
                after: "0:2,0:3".into(),
            },
        ];
        assert!(execute(&cluster, &leftover).await.iter().all(Result::is_ok));
        let rate = |b| ConfigAlter {
            resource: b,
            ops: vec![ConfigOp::Set { key: "leader.replication.throttled.rate".into(), value: "1000".into() }],
        };
        cluster.alter_broker_configs(&[rate(1), rate(2), rate(3)]).await;
        let plan = plan_for(&d, &cluster).await;
        assert_eq!(plan.changes, [Change::RemoveThrottle { topic: "a".into(), brokers: vec![1, 2, 3] }]);
        let report = run(&plan, &d, &cluster, &Guards::default()).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        assert!(cluster.broker_configs().is_empty());
        assert!(plan_for(&d, &cluster).await.is_empty());
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

    /// The replication-factor flow as visible steps: throttle, submit, wait with progress, unthrottle.
    #[tokio::test(start_paused = true)]
    async fn throttled_replication_factor_change_reports_each_step_and_removes_the_throttle() {
        let cluster = FakeCluster::new(3);
        let d1 = desired([topic("a", 2, &[])]);
        run(&plan_for(&d1, &cluster).await, &d1, &cluster, &Guards::default()).await.unwrap();
        let mut rf3 = topic("a", 2, &[]);
        rf3.replication_factor = Some(3);
        let d3 = desired([rf3]);
        let plan = plan_for(&d3, &cluster).await;
        cluster.slow_reassignments(3);
        let options = Options { throttle: Some(1_048_576), ..Options::default() };
        let mut events = Recorder::default();
        let report = super::run(&plan, &d3, &cluster, &Guards::default(), &options, &mut events).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        assert_eq!(
            events.lines,
            [
                "preflight: 1",
                "phase reassign: 1",
                "throttle set: 1048576 B/s on [1, 2, 3]",
                "reassignment started: 2 partition(s), waiting: true",
                "reassigning: 0/2",
                "reassignment done: 2",
                "throttle removed",
                "done: reassign a",
                "verifying 1 topic(s)",
            ]
        );
        assert!(cluster.broker_configs().is_empty(), "the broker throttle is gone: {:?}", cluster.broker_configs());
        let configs = &cluster.snapshot().topics["a"].configs;
        assert!(!configs.contains_key("leader.replication.throttled.replicas"), "{configs:?}");
        assert!(!configs.contains_key("follower.replication.throttled.replicas"), "{configs:?}");
        assert!(plan_for(&d3, &cluster).await.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn without_waiting_the_throttle_stays_and_verification_is_skipped() {
        let cluster = FakeCluster::new(3);
        let d1 = desired([topic("a", 1, &[])]);
        run(&plan_for(&d1, &cluster).await, &d1, &cluster, &Guards::default()).await.unwrap();
        let mut rf2 = topic("a", 1, &[]);
        rf2.replication_factor = Some(2);
        let d2 = desired([rf2]);
        let plan = plan_for(&d2, &cluster).await;
        cluster.slow_reassignments(5);
        let options = Options { throttle: Some(1000), wait: false, ..Options::default() };
        let mut events = Recorder::default();
        let report = super::run(&plan, &d2, &cluster, &Guards::default(), &options, &mut events).await.unwrap();
        assert!(matches!(report.verify, Verify::Skipped(_)), "{report:?}");
        assert!(events.lines.contains(&"throttle kept".to_owned()), "{:?}", events.lines);
        assert!(!cluster.broker_configs().is_empty(), "the throttle stays while replicas move");
    }

    #[tokio::test(start_paused = true)]
    async fn a_reassignment_that_outlives_the_wait_is_reported_and_the_throttle_removed() {
        let cluster = FakeCluster::new(3);
        let d1 = desired([topic("a", 1, &[])]);
        run(&plan_for(&d1, &cluster).await, &d1, &cluster, &Guards::default()).await.unwrap();
        let mut rf2 = topic("a", 1, &[]);
        rf2.replication_factor = Some(2);
        let d2 = desired([rf2]);
        let plan = plan_for(&d2, &cluster).await;
        cluster.slow_reassignments(1000);
        let options = Options { throttle: Some(1000), wait_timeout: Duration::from_secs(5), ..Options::default() };
        let report = super::run(&plan, &d2, &cluster, &Guards::default(), &options, &mut Silent).await.unwrap();
        let failed: Vec<_> = report.failures().map(|(c, e)| (c.topic().to_owned(), e.code().cloned())).collect();
        assert_eq!(failed, [("a".to_owned(), Some(cluster::ErrorCode::TimedOut))]);
        assert!(cluster.broker_configs().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn phases_run_in_order_and_every_change_is_reported() {
        let cluster = FakeCluster::new(3);
        cluster.create_topic("old", 1);
        cluster.create_topic("grow", 1);
        let mut old = topic("old", 1, &[]);
        old.delete = true;
        let d = desired([old, topic("grow", 2, &[("retention.ms", "1000")]), topic("new", 1, &[])]);
        let plan = plan_for(&d, &cluster).await;
        let mut events = Recorder::default();
        let report =
            super::run(&plan, &d, &cluster, &Guards::default(), &Options::default(), &mut events).await.unwrap();
        assert!(report.is_success(), "{report:?}");
        assert_eq!(
            events.lines,
            [
                "preflight: 4",
                "phase create: 1",
                "done: create new",
                "phase partitions: 1",
                "done: partitions grow",
                "phase configs: 1",
                "done: configs grow",
                "phase delete: 1",
                "done: delete old",
                "verifying 3 topic(s)",
            ]
        );
    }
}
