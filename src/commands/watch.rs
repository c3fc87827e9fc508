//! `watch`: every `--interval` (plus jitter), read the files again and plan each selected cluster, as
//! `plan` does (the same requests), record what it found in the metrics served on `--listen`, and write
//! one summary line per cluster and cycle. It changes nothing, unless `--auto-apply safe` says so and
//! the plan holds only safe changes and nothing blocked.
//!
//! A cluster that cannot be reached, or files that no longer validate, make that cluster's cycle fail
//! (counted, reported, the stale numbers withdrawn): the last good desired state is never used in their
//! place. A stop request (SIGTERM, SIGINT: [`Common::cancel`]) ends the run after the cycle under way,
//! or abandons it after [`crate::apply::GRACE`], and the run ends with success.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::fleet::{Within, names};
use super::{Common, Loaded, Target};
use crate::apply::{self, Guards};
use crate::cluster::{Admin, Connect};
use crate::fleet::Selection;
use crate::metrics::{self, Metrics};
use crate::plan::{self, ExitStatus};
use crate::report::{Event, Reporter};
use crate::watch::{self as data, Cycle, ErrorKind, Outcome};

/// What `--auto-apply` may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AutoApply {
    /// Changes of the safe risk class (create, pin, add a config), when the plan has nothing else.
    Safe,
}

/// How cycle summaries are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per cluster and cycle.
    Text,
    /// One JSON object per line.
    Json,
}

/// Settings of `watch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Which clusters.
    pub selection: Selection,
    /// How many clusters are planned at once.
    pub parallel: usize,
    /// How long one cluster's cycle may take.
    pub timeout: Duration,
    /// Topic files or directories; empty: the project's `topics`, else `topics/`.
    pub paths: Vec<PathBuf>,
    /// From one cycle's start to the next.
    pub interval: Duration,
    /// Up to this fraction of the interval is added to each wait.
    pub jitter: f64,
    /// Where to serve the metrics.
    pub listen: std::net::SocketAddr,
    /// What may be applied without a person.
    pub auto_apply: Option<AutoApply>,
    /// How the summaries look.
    pub log_format: LogFormat,
    /// `/readyz` forgives a failing cluster this long after its last good cycle.
    pub ready_grace: Duration,
    /// Stop after this many cycles.
    pub cycles: Option<u64>,
}

/// Drops the per-cycle `Describing` lines (the cycle's summary says it all) unless `-v`.
struct Quiet<'r> {
    inner: &'r mut dyn Reporter,
    verbose: bool,
}

impl Reporter for Quiet<'_> {
    fn event(&mut self, event: Event<'_>) {
        if let Event::Within { event: Event::Describing { .. }, .. } = event
            && !self.verbose
        {
            return;
        }
        self.inner.event(event);
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Runs `watch` until `--cycles` are done or a stop is requested.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings {
        selection,
        parallel,
        timeout,
        paths,
        interval,
        jitter,
        listen,
        auto_apply,
        log_format: _,
        ready_grace,
        cycles,
    } = settings;
    let Loaded::Ok(clusters) = names(common, &selection, reporter) else { return Ok(ExitStatus::Failure) };
    let metrics = Arc::new(Metrics::new(&clusters, ready_grace));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen} (--listen): {e}"))?;
    let server = tokio::spawn(metrics::serve(listener, metrics.clone()));
    let mut reporter = Quiet { inner: reporter, verbose: common.verbose > 0 };
    let random = RandomState::new();
    let mut number = 0;
    let status = loop {
        number += 1;
        let began = Instant::now();
        let cycle = cycle(common, &clusters, number, parallel, timeout, &paths, auto_apply, connect, &mut reporter);
        let cycles_done = tokio::select! {
            done = cycle => Some(done),
            () = async { common.cancel.requested().await; tokio::time::sleep(apply::GRACE).await } => None,
        };
        let Some(done) = cycles_done else { break ExitStatus::Success };
        for c in &done {
            metrics.record(c, unix_now());
            reporter.event(Event::Cycle(c));
        }
        if common.cancel.is_requested() || cycles.is_some_and(|n| number >= n) {
            break ExitStatus::Success;
        }
        let wait = data::wait(interval, began.elapsed(), jitter, random.hash_one(number) as f64 / u64::MAX as f64);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = common.cancel.requested() => break ExitStatus::Success,
        }
    };
    server.abort();
    Ok(status)
}

/// One cycle on every cluster, up to `parallel` at once.
#[allow(clippy::too_many_arguments)]
async fn cycle(
    common: &Common,
    clusters: &[String],
    number: u64,
    parallel: usize,
    timeout: Duration,
    paths: &[PathBuf],
    auto_apply: Option<AutoApply>,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
) -> Vec<Cycle> {
    let shared = std::cell::RefCell::new(reporter);
    let shared = &shared;
    let runs = clusters.iter().map(|name| async move {
        let mut within = Within { cluster: name.clone(), shared };
        one(common, name, number, timeout, paths.to_vec(), auto_apply, connect, &mut within).await
    });
    futures_util::stream::iter(runs).buffered(parallel.max(1)).collect().await
}

/// Times the describe: from its `Describing` event to the end of the plan (the diff after it is small).
struct Timing<'r> {
    inner: &'r mut dyn Reporter,
    describing: Option<Instant>,
}

impl Reporter for Timing<'_> {
    fn event(&mut self, event: Event<'_>) {
        if let Event::Describing { .. } = event {
            self.describing = Some(Instant::now());
        }
        self.inner.event(event);
    }
}

/// One cycle on one cluster.
#[allow(clippy::too_many_arguments)]
async fn one(
    common: &Common,
    cluster: &str,
    number: u64,
    timeout: Duration,
    paths: Vec<PathBuf>,
    auto_apply: Option<AutoApply>,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
) -> Cycle {
    let now_unix = unix_now() as u64;
    let common = Common { started: Instant::now(), now_unix, ..common.clone() };
    let target = Target { cluster: Some(cluster.to_owned()), timeout };
    let mut cycle = Cycle {
        cluster: cluster.to_owned(),
        cycle: number,
        at: plan::utc(now_unix),
        outcome: Outcome::Failed,
        error_kind: None,
        error: None,
        pending: Vec::new(),
        blocked: 0,
        managed: 0,
        unmanaged: 0,
        applied: None,
        not_applied: None,
        requests: None,
        describe_ms: 0,
        duration_ms: 0,
    };
    let mut timing = Timing { inner: reporter, describing: None };
    let made = plan::Options { prune: false };
    // The deadline every request honours, and a guard behind it: a cycle never hangs the next.
    let planned = tokio::time::timeout(
        timeout + Duration::from_secs(1),
        super::plan::make(&common, &target, paths, made, super::plan::Keep::ForDiff, connect, &mut timing),
    )
    .await;
    let ms = |since: Instant| u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
    cycle.describe_ms = timing.describing.map_or(0, ms);
    let reporter = timing.inner;
    // A timeout is what Kafka or librdkafka called one, not any error that came late.
    let timed_out = |e: &anyhow::Error| {
        e.chain()
            .any(|c| c.downcast_ref::<crate::cluster::Error>().and_then(|e| e.code()).is_some_and(|c| c.is_timeout()))
    };
    let planned = match planned {
        Err(_) => Err((ErrorKind::Timeout, format!("the cycle took longer than --timeout ({} s)", timeout.as_secs()))),
        Ok(Err(e)) if timed_out(&e) => Err((ErrorKind::Timeout, format!("{e:#}"))),
        Ok(Err(e)) => Err((ErrorKind::Describe, format!("{e:#}"))),
        Ok(Ok(None)) => Err((
            ErrorKind::Files,
            "the project or topic files have errors (or do not fit the cluster's release); see the diagnostics"
                .to_owned(),
        )),
        Ok(Ok(Some(planned))) => Ok(planned),
    };
    match planned {
        Err((kind, error)) => {
            cycle.error_kind = Some(kind);
            cycle.error = Some(error);
        }
        Ok(planned) => {
            let plan = &planned.plan;
            cycle.outcome = if plan.is_empty() { Outcome::InSync } else { Outcome::Drift };
            cycle.pending = data::pending(plan);
            cycle.blocked = plan.blocked.len();
            cycle.managed = planned.desired.topics.len();
            cycle.unmanaged = plan.unmanaged.len();
            cycle.requests = planned.admin.request_count();
            if auto_apply == Some(AutoApply::Safe) && !plan.changes.is_empty() {
                match data::auto_applicable(plan) {
                    Err(why) => cycle.not_applied = Some(why),
                    Ok(()) => {
                        let options = common.apply_options(&target, apply::Options::default());
                        let guards = Guards::default();
                        match apply::run(plan, &planned.desired, &planned.admin, &guards, &options, reporter).await {
                            Ok(report) if report.is_success() => {
                                cycle.applied = Some(report.outcomes.len());
                                cycle.outcome = Outcome::InSync;
                                cycle.pending.clear();
                            }
                            Ok(report) => {
                                cycle.outcome = Outcome::Failed;
                                cycle.error_kind = Some(ErrorKind::Apply);
                                let failed = report.outcomes.iter().filter(|(_, r)| r.is_err()).count();
                                cycle.error = Some(format!(
                                    "--auto-apply: {failed} of {} change(s) failed, or the cluster did not converge",
                                    report.outcomes.len()
                                ));
                            }
                            Err(error) => {
                                cycle.outcome = Outcome::Failed;
                                cycle.error_kind = Some(ErrorKind::Apply);
                                cycle.error = Some(format!("--auto-apply: {error}"));
                            }
                        }
                    }
                }
            }
        }
    }
    cycle.duration_ms = ms(common.started);
    cycle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::fake::FakeCluster;
    use crate::commands::tests::{Project, TOPICS, plan, run as run_command};
    use crate::report::Recorder;

    fn settings(cycles: Option<u64>, auto_apply: Option<AutoApply>) -> Settings {
        Settings {
            selection: Selection::default(),
            parallel: 2,
            timeout: Duration::from_secs(5),
            paths: vec![],
            interval: Duration::from_secs(60),
            jitter: 0.1,
            listen: "127.0.0.1:0".parse().unwrap(),
            auto_apply,
            log_format: LogFormat::Text,
            ready_grace: Duration::from_secs(120),
            cycles,
        }
    }

    /// A cluster that can be taken away and brought back.
    struct Flaky {
        cluster: FakeCluster,
        down: std::sync::atomic::AtomicBool,
    }

    impl Connect for Flaky {
        type Admin = FakeCluster;

        fn connect(
            &self,
            _: &crate::desired::ClusterConfig,
            _: crate::cluster::Connection,
        ) -> Result<FakeCluster, crate::cluster::Error> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                let code = Some(crate::cluster::ErrorCode::AllBrokersDown);
                return Err(crate::cluster::Error::Request { operation: "Metadata", code, message: "down".into() });
            }
            Ok(self.cluster.clone())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_cluster_going_away_fails_its_cycles_and_they_resume_when_it_is_back() {
        let project = Project::new(TOPICS);
        let flaky = Flaky { cluster: FakeCluster::new(1), down: false.into() };
        let common = project.common();
        let cycle = async |n| {
            let mut events = Recorder::default();
            one(&common, "fake", n, Duration::from_secs(5), vec![], None, &flaky, &mut events).await
        };
        assert_eq!(cycle(1).await.outcome, Outcome::Drift);
        flaky.down.store(true, std::sync::atomic::Ordering::SeqCst);
        let down = cycle(2).await;
        assert_eq!((down.outcome, down.error_kind), (Outcome::Failed, Some(ErrorKind::Describe)), "{down:?}");
        assert!(down.error.as_deref().is_some_and(|e| e.contains("down")), "{down:?}");
        flaky.down.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(cycle(3).await.outcome, Outcome::Drift);
    }

    async fn cycle_of(project: &Project, cluster: &FakeCluster, number: u64, auto: Option<AutoApply>) -> Cycle {
        let mut events = Recorder::default();
        let paths = vec![];
        let common = project.common();
        one(&common, "fake", number, Duration::from_secs(5), paths, auto, cluster, &mut events).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_cycle_costs_a_plan_and_an_invalid_file_fails_the_cluster_instead_of_the_last_good_state() {
        let project = Project::new(TOPICS);
        let cluster = FakeCluster::new(1);
        cluster.create_topic("orders", 1);
        cluster.create_topic("orders-old", 1);
        let before = cluster.requests();
        run_command(&project, plan(true), &cluster).await;
        let plan_requests = cluster.requests() - before;

        let drift = cycle_of(&project, &cluster, 1, None).await;
        assert_eq!(drift.outcome, Outcome::Drift, "{drift:?}");
        assert_eq!(drift.requests, Some(cluster.requests()), "the fake counts from its start");
        let counts: Vec<(&str, usize)> = drift.pending.iter().map(|p| (p.action.as_str(), p.count)).collect();
        assert_eq!(counts, [("add_partitions", 1), ("create_topic", 1), ("set_config", 1)]);
        assert_eq!((drift.managed, drift.unmanaged, drift.blocked), (2, 0, 0));
        let before = cluster.requests();
        cycle_of(&project, &cluster, 2, None).await;
        assert_eq!(cluster.requests() - before, plan_requests, "a cycle sends what one plan sends");
        assert!(cluster.snapshot().topics["orders"].partitions.len() == 1, "nothing was applied");

        std::fs::write(project.path("topics/t.yaml"), "topics:\n  - name: orders\n    partitions: 0\n").unwrap();
        let invalid = cycle_of(&project, &cluster, 3, None).await;
        assert_eq!((invalid.outcome, invalid.error_kind), (Outcome::Failed, Some(ErrorKind::Files)), "{invalid:?}");
        assert!(invalid.pending.is_empty(), "no plan from the last good files");

        std::fs::write(project.path("topics/t.yaml"), TOPICS).unwrap();
        assert_eq!(cycle_of(&project, &cluster, 4, None).await.outcome, Outcome::Drift);
    }

    #[tokio::test(start_paused = true)]
    async fn auto_apply_safe_applies_only_plans_of_safe_changes() {
        let project = Project::new(TOPICS);
        let cluster = FakeCluster::new(1);
        cluster.create_topic("orders", 1);
        let caution = cycle_of(&project, &cluster, 1, Some(AutoApply::Safe)).await;
        assert_eq!(caution.applied, None);
        assert_eq!(caution.not_applied, Some("the plan has changes that are not of the safe risk class"));
        assert!(!cluster.snapshot().topics.contains_key("payments"), "nothing applied");

        let project = Project::new(TOPICS);
        let cluster = FakeCluster::new(1);
        let safe = cycle_of(&project, &cluster, 1, Some(AutoApply::Safe)).await;
        assert_eq!((safe.outcome, safe.applied), (Outcome::InSync, Some(2)), "{safe:?}");
        assert!(cluster.snapshot().topics.contains_key("payments"));
        assert_eq!(cycle_of(&project, &cluster, 2, Some(AutoApply::Safe)).await.outcome, Outcome::InSync);
    }

    #[tokio::test(start_paused = true)]
    async fn watch_runs_its_cycles_and_a_stop_request_ends_it_with_success() {
        let project = Project::new(TOPICS);
        let cluster = FakeCluster::new(1);
        let mut events = Recorder::default();
        let common = project.common();
        let status = run(&common, settings(Some(3), None), &cluster, &mut events).await.unwrap();
        assert_eq!(status, ExitStatus::Success);
        let cycles: Vec<&String> = events.lines.iter().filter(|l| l.starts_with("cycle")).collect();
        assert_eq!(cycles, ["cycle fake: drift"; 3], "{:?}", events.lines);
        assert!(!events.lines.iter().any(|l| l.contains("describing")), "describing lines are dropped");

        let common = project.common();
        common.cancel.request();
        let mut events = Recorder::default();
        let status = run(&common, settings(None, None), &cluster, &mut events).await.unwrap();
        assert_eq!(status, ExitStatus::Success);
        assert_eq!(events.lines.iter().filter(|l| l.starts_with("cycle")).count(), 1, "{:?}", events.lines);
    }
}
