//! A command over several clusters (`--cluster 'prod-*'`, `--all-clusters`): `plan`, `list` and
//! `snapshot` run the single-cluster command once per cluster, concurrently up to `--parallel`, each
//! with its own connection, deadline and overrides; `apply` goes one cluster after another and stops
//! at the first failure. One cluster failing never stops the others' reads. Each cluster's progress
//! reaches the reporter wrapped in [`Event::Within`]; its result is one section of the fleet report.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use futures_util::StreamExt;

use super::{Command, Common, Loaded, list, plan, project, snapshot};
use crate::cluster::Connect;
use crate::desired::Sources;
use crate::fleet::Selection;
use crate::plan::{Change, ExitStatus};
use crate::render;
use crate::render::fleet::{ClusterReport, FleetCommand, FleetReport, Status};
use crate::report::{Event, Reporter};

/// What `--parallel` is when not given: a few clusters at once, each with its own connection.
pub const DEFAULT_PARALLEL: usize = 4;

/// Settings of a command over several clusters.
pub struct Settings {
    /// Which clusters.
    pub selection: Selection,
    /// How many clusters run at once (reads only; `apply` runs one at a time).
    pub parallel: usize,
    /// The command, with no cluster named: each cluster's run names its own.
    pub command: Box<Command>,
}

/// Placeholder of `--out` that each cluster's name replaces.
pub use super::CLUSTER_PLACEHOLDER;

/// A cluster's reporter: every event goes to the run's reporter, marked with the cluster's name.
pub(crate) struct Within<'r, 'a> {
    /// The cluster's name.
    pub(crate) cluster: String,
    /// The run's reporter, shared by the clusters that run at once (on one task, so never borrowed twice).
    pub(crate) shared: &'r RefCell<&'a mut dyn Reporter>,
}

impl Reporter for Within<'_, '_> {
    fn event(&mut self, event: Event<'_>) {
        self.shared.borrow_mut().event(Event::Within { cluster: &self.cluster, event: &event });
    }

    fn confirm(&mut self, destructive: &[&Change]) -> bool {
        self.shared.borrow_mut().confirm(destructive)
    }
}

/// The clusters `selection` names in the project file, or `Invalid` once the problem is reported.
pub(crate) fn names(common: &Common, selection: &Selection, reporter: &mut dyn Reporter) -> Loaded<Vec<String>> {
    let mut sources = Sources::default();
    let Loaded::Ok(Some(project)) = project(common, &mut sources, true, reporter) else { return Loaded::Invalid };
    let known: Vec<String> = project.cluster_names().map(str::to_owned).collect();
    match selection.resolve(&known) {
        Ok(names) => Loaded::Ok(names),
        Err(error) => {
            reporter.event(Event::Failed { error: &error });
            Loaded::Invalid
        }
    }
}

use super::per_cluster;

fn needs_placeholder(flag: &str, path: &Path) -> anyhow::Result<()> {
    if path.to_string_lossy().contains(CLUSTER_PLACEHOLDER) {
        Ok(())
    } else {
        anyhow::bail!(
            "{flag} `{}` is one file for every cluster of the fleet; put `{CLUSTER_PLACEHOLDER}` in it (`{flag} plans/{CLUSTER_PLACEHOLDER}.json`)",
            path.display()
        )
    }
}

/// The command's settings for one cluster.
fn for_cluster(command: &Command, cluster: &str) -> Command {
    let name = Some(cluster.to_owned());
    match command {
        Command::Plan(s) => {
            let mut s = s.clone();
            s.target.cluster = name;
            s.out = s.out.map(|p| per_cluster(&p, cluster));
            s.from_snapshot = s.from_snapshot.map(|p| per_cluster(&p, cluster));
            Command::Plan(s)
        }
        Command::List(s) => {
            let mut s = s.clone();
            s.target.cluster = name;
            Command::List(s)
        }
        Command::Snapshot(s) => {
            let mut s = s.clone();
            s.target.cluster = name;
            s.out = per_cluster(&s.out, cluster);
            Command::Snapshot(s)
        }
        Command::Apply(s) => {
            let mut s = s.clone();
            s.target.cluster = name;
            Command::Apply(s)
        }
        other => unreachable!("only plan, list, snapshot and apply run over a fleet, not {}", kind(other).1),
    }
}

fn kind(command: &Command) -> (Option<FleetCommand>, &'static str) {
    match command {
        Command::Plan(_) => (Some(FleetCommand::Plan), "plan"),
        Command::List(_) => (Some(FleetCommand::List), "list"),
        Command::Snapshot(_) => (Some(FleetCommand::Snapshot), "snapshot"),
        Command::Apply(_) => (Some(FleetCommand::Apply), "apply"),
        Command::Validate(_) => (None, "validate"),
        Command::Import(_) => (None, "import"),
        Command::Describe(_) => (None, "describe"),
        Command::Schema(_) => (None, "schema"),
        Command::Completions(_) => (None, "completions"),
        Command::Watch(_) => (None, "watch"),
        Command::Fleet(_) => (None, "a fleet"),
    }
}

/// What one cluster's run gave: its entry of the report, and its single-cluster stdout.
struct One {
    report: ClusterReport,
    body: Vec<u8>,
}

/// Runs `command` on `cluster`, its single-cluster stdout to `body`, keeping what the fleet report needs.
async fn one(
    common: &Common,
    command: Command,
    cluster: &str,
    connect: &impl Connect,
    body: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> ClusterReport {
    // Each cluster's deadline counts from when its own run starts.
    let common = Common { started: Instant::now(), ..common.clone() };
    let mut kept = Kept::default();
    let status = match command {
        Command::Plan(s) => plan::run_keeping(&common, s, connect, body, reporter, &mut kept.plan).await,
        Command::List(s) => list::run_keeping(&common, s, connect, body, reporter, &mut kept.topics).await,
        Command::Snapshot(s) => snapshot::run_keeping(&common, s, connect, reporter, &mut kept.topic_count).await,
        other => super::run(&common, other, connect, body, reporter).await,
    };
    let mut report = ClusterReport::new(cluster, Status::Ok);
    report.status = match &status {
        Ok(ExitStatus::Failure) | Err(_) => Status::Failed,
        Ok(ExitStatus::Interrupted) => Status::Skipped,
        Ok(_) if kept.plan.as_ref().is_some_and(|p| !p.changes.is_empty()) => Status::Changes,
        Ok(_) => Status::Ok,
    };
    match status {
        Err(e) => {
            let error = format!("{e:#}");
            reporter.event(Event::Failed { error: &error });
            report.error = Some(error);
        }
        Ok(ExitStatus::Failure) if kept.plan.as_ref().is_some_and(|p| !p.blocked.is_empty()) => {
            report.error = Some("the plan has blocked changes".into());
        }
        Ok(ExitStatus::Failure) if kept.plan.is_none() && kept.topics.is_none() && kept.topic_count.is_none() => {
            report.error = Some("the files or the project file have problems; see the diagnostics on stderr".into());
        }
        Ok(ExitStatus::Failure) => report.error = Some("failed; see the messages on stderr".into()),
        Ok(ExitStatus::Interrupted) => report.error = Some("interrupted".into()),
        Ok(_) => {}
    }
    report.duration_ms = u64::try_from(common.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.plan = kept.plan;
    report.topics = kept.topics;
    report.topic_count = kept.topic_count;
    report
}

/// `apply` on each cluster, one after another in the order given, each section written as it runs (a
/// prompt comes after its plan), stopping at the first failure: a change that breaks one cluster is not
/// carried to the next.
async fn apply_each(
    common: &Common,
    command: &Command,
    names: &[String],
    connect: &impl Connect,
    shared: &RefCell<&mut dyn Reporter>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let mut reports = Vec::new();
    let mut stop = None;
    for name in names {
        if stop.is_none() && common.cancel.is_requested() {
            stop = Some("not applied: interrupted");
        }
        let report = match stop {
            Some(why) => {
                let mut skipped = ClusterReport::new(name, Status::Skipped);
                skipped.error = Some(why.into());
                render::fleet::section_start(name, common.style, out)?;
                render::fleet::section_end(&skipped, common.style, out)?;
                skipped
            }
            None => {
                render::fleet::section_start(name, common.style, out)?;
                let mut within = Within { cluster: name.clone(), shared };
                let report = one(common, for_cluster(command, name), name, connect, out, &mut within).await;
                render::fleet::section_end(&report, common.style, out)?;
                if matches!(report.status, Status::Failed | Status::Skipped) {
                    stop = Some("not applied: an earlier cluster failed");
                }
                report
            }
        };
        reports.push(report);
    }
    let report = FleetReport::new(FleetCommand::Apply, reports);
    render::fleet::summary(&report, common.style, out)?;
    Ok(report.exit_status(false))
}

#[derive(Default)]
struct Kept {
    plan: Option<crate::plan::Plan>,
    topics: Option<render::topics::TopicsView>,
    topic_count: Option<usize>,
}

/// Runs the command on every selected cluster and writes the fleet report.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings { selection, parallel, command } = settings;
    let (Some(which), _) = kind(&command) else {
        anyhow::bail!("`{}` works on one cluster at a time: name it with --cluster", kind(&command).1)
    };
    match &*command {
        Command::Plan(s) => {
            if let Some(out) = &s.out {
                needs_placeholder("--out", out)?;
            }
            if let Some(snapshot) = &s.from_snapshot {
                needs_placeholder("--from-snapshot", snapshot)?;
            }
        }
        Command::Snapshot(s) => needs_placeholder("--out", &s.out)?,
        Command::Apply(s) => {
            if !selection.explicit() {
                anyhow::bail!(
                    "`apply` over several clusters needs them named (`--cluster a --cluster b`) or --all-clusters, \
                     not a glob: a new cluster matching it would be changed without review"
                );
            }
            if matches!(s.source, super::apply::Source::Saved { .. }) {
                anyhow::bail!("a saved plan is for one cluster: apply it with `--cluster` naming that cluster");
            }
        }
        _ => {}
    }
    let Loaded::Ok(names) = names(common, &selection, reporter) else { return Ok(ExitStatus::Failure) };
    let shared = RefCell::new(reporter);
    if which == FleetCommand::Apply {
        return apply_each(common, &command, &names, connect, &shared, out).await;
    }
    let cluster_run = |name: &str| {
        let command = for_cluster(&command, name);
        let shared = &shared;
        let name = name.to_owned();
        async move {
            let mut within = Within { cluster: name.clone(), shared };
            let mut body = Vec::new();
            let report = one(common, command, &name, connect, &mut body, &mut within).await;
            One { report, body }
        }
    };
    let results: Vec<One> =
        futures_util::stream::iter(names.iter().map(|n| cluster_run(n))).buffered(parallel.max(1)).collect().await;
    let (reports, bodies): (Vec<ClusterReport>, Vec<Vec<u8>>) =
        results.into_iter().map(|One { report, body }| (report, body)).unzip();
    let report = FleetReport::new(which, reports);
    let (json, markdown, detailed) = match &*command {
        Command::Plan(s) => (s.format == plan::Format::Json, s.format == plan::Format::Markdown, s.detailed_exitcode),
        Command::List(s) => (s.format == list::Format::Json, false, false),
        _ => (false, false, false),
    };
    if json {
        render::fleet::json(&report, out)?;
    } else if markdown {
        render::fleet::markdown(&report, &bodies, out)?;
    } else {
        render::fleet::text(&report, &bodies, common.style, out)?;
    }
    Ok(report.exit_status(detailed))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cluster::fake::FakeCluster;
    use crate::cluster::{Connection, Error, ErrorCode};
    use crate::commands::tests::{Project, TOPICS, apply, plan, run};
    use crate::desired::ClusterConfig;

    /// Clusters by name; a name it lacks is unreachable.
    struct Clusters(BTreeMap<&'static str, FakeCluster>);

    impl Connect for Clusters {
        type Admin = FakeCluster;

        fn connect(&self, cluster: &ClusterConfig, _: Connection) -> Result<FakeCluster, Error> {
            self.0.get(cluster.name.as_str()).cloned().ok_or_else(|| Error::Request {
                operation: "Metadata",
                code: Some(ErrorCode::Transport),
                message: "connection refused".into(),
            })
        }
    }

    fn fleet_project() -> Project {
        let project = Project::new(TOPICS);
        let clusters = "clusters:\n  dev:\n    bootstrap: 127.0.0.1:1\n  prod-eu:\n    bootstrap: 127.0.0.1:2\n  \
                        prod-us:\n    bootstrap: 127.0.0.1:3\n";
        std::fs::write(project.path("topicform.yaml"), clusters).unwrap();
        project
    }

    /// dev in sync, prod-eu with a partition to add, prod-us unreachable.
    async fn clusters() -> Clusters {
        let (dev, eu) = (FakeCluster::new(1), FakeCluster::new(1));
        let project = Project::new(TOPICS);
        for c in [&dev, &eu] {
            let applied = run(&project, apply(Default::default()), c).await;
            assert!(applied.starts_with("status: Ok(Success)"), "{applied}");
        }
        // prod-eu drifts: `orders` loses its retention override behind topicform's back.
        let alter = crate::cluster::ConfigAlter {
            resource: "orders".to_owned(),
            ops: vec![crate::cluster::ConfigOp::Delete { key: "retention.ms".into() }],
        };
        let done = crate::cluster::Admin::alter_topic_configs(&eu, &[alter], crate::cluster::Mode::Execute).await;
        assert!(done.iter().all(Result::is_ok));
        Clusters([("dev", dev), ("prod-eu", eu)].into())
    }

    fn fleet(command: Command, patterns: &[&str], all: bool) -> Command {
        let selection = Selection { patterns: patterns.iter().map(|p| p.to_string()).collect(), all };
        Command::Fleet(Settings { selection, parallel: 2, command: Box::new(command) })
    }

    fn with_format(format: plan::Format, detailed: bool) -> Command {
        let Command::Plan(mut s) = plan(detailed) else { unreachable!() };
        s.target.cluster = None;
        s.format = format;
        Command::Plan(s)
    }

    fn durations_hidden(text: &str) -> String {
        let re = regex::Regex::new(r#"(\d+\.\ds|"durationMs": \d+)"#).unwrap();
        re.replace_all(text, "[TIME]").into_owned()
    }

    #[tokio::test]
    async fn a_fleet_plan_reports_every_cluster_and_aggregates_the_exit_status() {
        let project = fleet_project();
        let clusters = clusters().await;
        let text = run(&project, fleet(with_format(plan::Format::Text, true), &[], true), &clusters).await;
        insta::assert_snapshot!("fleet_plan_text", durations_hidden(&text));
        let markdown =
            run(&project, fleet(with_format(plan::Format::Markdown, true), &["dev", "prod-*"], false), &clusters).await;
        insta::assert_snapshot!("fleet_plan_markdown", durations_hidden(&markdown));
        let json = run(&project, fleet(with_format(plan::Format::Json, false), &["*"], false), &clusters).await;
        assert!(json.starts_with("status: Ok(Failure)"), "an unreachable cluster fails the run: {json}");
        let stdout = &json[json.find("--- stdout\n").unwrap() + 11..json.find("--- events").unwrap()];
        let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
        let statuses: Vec<(&str, &str)> = report["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["cluster"].as_str().unwrap(), c["status"].as_str().unwrap()))
            .collect();
        assert_eq!(statuses, [("dev", "ok"), ("prod-eu", "changes"), ("prod-us", "failed")]);
        assert_eq!(report["formatVersion"], 1);
        assert_eq!(report["clusters"][1]["plan"]["changes"][0]["action"], "set_config");
        let schema: serde_json::Value =
            serde_json::from_str(&crate::schema::all().into_iter().find(|(n, _)| *n == "fleet.schema.json").unwrap().1)
                .unwrap();
        assert!(jsonschema::is_valid(&schema, &report), "the report follows schemas/fleet.schema.json");

        // Without the unreachable cluster: 2 with --detailed-exitcode, else 0.
        let two = Clusters(clusters.0.clone());
        let pending =
            run(&project, fleet(with_format(plan::Format::Text, true), &["dev", "prod-eu"], false), &two).await;
        assert!(pending.starts_with("status: Ok(ChangesPending)"), "{pending}");
        let quiet =
            run(&project, fleet(with_format(plan::Format::Text, false), &["dev", "prod-eu"], false), &two).await;
        assert!(quiet.starts_with("status: Ok(Success)"), "{quiet}");
    }

    #[tokio::test]
    async fn a_fleet_apply_needs_named_clusters_and_stops_at_the_first_failure() {
        let project = fleet_project();
        let clusters = clusters().await;
        let mut command = apply(Default::default());
        if let Command::Apply(s) = &mut command {
            s.target.cluster = None;
        }
        let by_glob = run(&project, fleet(for_cluster_none(&command), &["prod-*"], false), &clusters).await;
        assert!(by_glob.contains("needs them named"), "{by_glob}");
        let shown =
            run(&project, fleet(for_cluster_none(&command), &["dev", "prod-us", "prod-eu"], false), &clusters).await;
        insta::assert_snapshot!("fleet_apply", durations_hidden(&shown));
        assert!(clusters.0["dev"].snapshot().topics.contains_key("orders"));
        let eu = &clusters.0["prod-eu"].snapshot().topics["orders"];
        assert!(
            eu.configs.get("retention.ms").is_none_or(|c| c.value.as_deref() != Some("86400000")),
            "prod-eu untouched"
        );
    }

    #[tokio::test]
    async fn a_fleet_snapshot_writes_one_file_per_cluster_and_plans_from_them() {
        let project = fleet_project();
        let clusters = clusters().await;
        let target = crate::commands::Target { cluster: None, timeout: std::time::Duration::from_secs(5) };
        let out = project.path("snap.json");
        let one_file =
            Command::Snapshot(snapshot::Settings { target: target.clone(), paths: vec![], out, keep_hosts: false });
        let refused = run(&project, fleet(one_file, &["dev", "prod-eu"], false), &clusters).await;
        assert!(refused.contains("put `{cluster}` in it"), "{refused}");
        let out = project.path("{cluster}.snapshot.json");
        let take = Command::Snapshot(snapshot::Settings { target, paths: vec![], out, keep_hosts: false });
        let taken = run(&project, fleet(take, &["dev", "prod-eu"], false), &clusters).await;
        assert!(taken.starts_with("status: Ok(Success)"), "{taken}");
        assert!(project.path("dev.snapshot.json").exists() && project.path("prod-eu.snapshot.json").exists());
        let Command::Plan(mut offline) = with_format(plan::Format::Json, true) else { unreachable!() };
        offline.from_snapshot = Some(project.path("{cluster}.snapshot.json"));
        let planned = run(&project, fleet(Command::Plan(offline), &["dev", "prod-eu"], false), &clusters).await;
        assert!(planned.starts_with("status: Ok(ChangesPending)"), "{planned}");
        assert!(planned.contains("\"status\": \"changes\"") && planned.contains("\"snapshot\":"), "{planned}");
    }

    fn for_cluster_none(command: &Command) -> Command {
        let Command::Apply(s) = command else { unreachable!() };
        Command::Apply(s.clone())
    }

    #[tokio::test]
    async fn a_fleet_list_has_a_section_per_cluster() {
        let project = fleet_project();
        let clusters = clusters().await;
        let list = Command::List(list::Settings {
            target: crate::commands::Target { cluster: None, timeout: std::time::Duration::from_secs(5) },
            matching: None,
            format: list::Format::Text,
        });
        let shown = run(&project, fleet(list, &["dev", "prod-us"], false), &clusters).await;
        insta::assert_snapshot!("fleet_list", durations_hidden(&shown));
    }
}

#[cfg(test)]
mod validate_tests {
    use super::*;
    use crate::cluster::fake::FakeCluster;
    use crate::commands::tests::{Project, TOPICS, run};
    use crate::commands::validate;

    #[tokio::test]
    async fn validate_of_a_fleet_checks_each_clusters_overrides_on_its_own() {
        let project = Project::new(TOPICS);
        let clusters = "clusters:\n  dev:\n    bootstrap: 127.0.0.1:1\n  prod:\n    bootstrap: 127.0.0.1:2\n    \
                        overrides:\n      - match: \"*\"\n        config:\n          min.insync.replicas: 2\n";
        std::fs::write(project.path("topicform.yaml"), clusters).unwrap();
        let command = |patterns: &[&str], all| {
            Command::Validate(validate::Settings {
                strict: false,
                paths: vec![],
                clusters: Selection { patterns: patterns.iter().map(|p| p.to_string()).collect(), all },
            })
        };
        let nobody = FakeCluster::new(1);
        let shown = run(&project, command(&[], true), &nobody).await;
        let shown = regex::Regex::new(r"\d+\.\ds").unwrap().replace_all(&shown, "[TIME]");
        insta::assert_snapshot!(shown, @r"
        status: Ok(Failure)
        --- stdout
        == Cluster `dev` ==

        == Cluster `prod` ==
        failed: the files have problems with this cluster's overrides; see the diagnostics

        Fleet: 2 cluster(s): 1 ok, 1 failed.
        CLUSTER  STATUS  TOPICS  TIME
        dev      ok      2       [TIME]
        prod     failed  -       [TIME]
        --- events
        [dev] valid: 2 topic(s)
        [prod] problems: 2
        ");
        let dev = run(&project, command(&["dev"], false), &nobody).await;
        assert!(dev.starts_with("status: Ok(Success)"), "{dev}");
        assert_eq!(nobody.requests(), 0, "validate contacts no cluster");
    }
}
