//! The commands in-process against [`FakeCluster`]: what each prints on stdout, the events it reports,
//! and how it ends, as insta snapshots. The same flows run against a real cluster in `tests/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::apply::{Guards, Options};
use crate::cluster::fake::FakeCluster;
use crate::plan::ExitStatus;
use crate::report::Recorder;

/// A project on disk with one cluster, `fake`, and the topic files given.
pub(super) struct Project {
    pub(super) dir: tempfile::TempDir,
}

impl Project {
    pub(super) fn new(topics: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("topicform.yaml"), "clusters:\n  fake:\n    bootstrap: 127.0.0.1:1\n").unwrap();
        std::fs::create_dir(dir.path().join("topics")).unwrap();
        std::fs::write(dir.path().join("topics/t.yaml"), topics).unwrap();
        Project { dir }
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(super) fn common(&self) -> Common {
        Common {
            project: self.path("topicform.yaml"),
            style: crate::render::Style::default(),
            verbose: 0,
            lookup: Arc::new(|_: &str| None),
            now_unix: 1_764_576_000,
            started: std::time::Instant::now(),
            cancel: Default::default(),
        }
    }
}

fn target() -> Target {
    Target { cluster: Some("fake".into()), timeout: Duration::from_secs(5) }
}

pub(super) fn plan(detailed_exitcode: bool) -> Command {
    Command::Plan(plan::Settings {
        target: target(),
        paths: vec![],
        detailed_exitcode,
        format: plan::Format::Text,
        out: None,
        prune: false,
        validate_on_broker: false,
        from_snapshot: None,
        max_snapshot_age: None,
    })
}

pub(super) fn apply(options: Options) -> Command {
    Command::Apply(apply::Settings {
        target: target(),
        source: apply::Source::Files { paths: vec![], prune: false },
        auto_approve: true,
        interactive: false,
        guards: Guards::default(),
        options,
        max_plan_age: None,
    })
}

/// Runs `command` and shows what it printed, what it reported and how it ended. The project's
/// temporary directory is shown as `[DIR]`.
pub(super) async fn run(project: &Project, command: Command, cluster: &impl Connect) -> String {
    let mut out = Vec::new();
    let mut events = Recorder::default();
    let status = super::run(&project.common(), command, cluster, &mut out, &mut events).await;
    let shown = format!(
        "status: {status:?}\n--- stdout\n{}--- events\n{}\n",
        String::from_utf8(out).unwrap(),
        events.lines.join("\n")
    );
    shown.replace(&project.dir.path().display().to_string(), "[DIR]")
}

pub(super) const TOPICS: &str = "\
topics:
  - name: orders
    partitions: 3
    replicationFactor: 1
    config:
      retention.ms: 1d
  - name: payments
    partitions: 1
    replicationFactor: 1
";

#[tokio::test(start_paused = true)]
async fn plan_shows_pending_changes_with_the_detailed_exit_code() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    cluster.create_topic("orders", 1);
    insta::assert_snapshot!("plan_pending", run(&project, plan(true), &cluster).await);
    let without = run(&project, plan(false), &cluster).await;
    assert!(without.starts_with("status: Ok(Success)"), "{without}");
}

#[tokio::test(start_paused = true)]
async fn apply_makes_the_plan_verifies_and_a_second_plan_is_empty() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    cluster.create_topic("orders", 1);
    insta::assert_snapshot!("apply_creates_and_changes", run(&project, apply(Options::default()), &cluster).await);
    insta::assert_snapshot!("plan_after_apply", run(&project, plan(true), &cluster).await);
}

#[tokio::test(start_paused = true)]
async fn apply_of_a_replication_factor_change_throttles_waits_and_unthrottles() {
    let project = Project::new("topics:\n  - name: orders\n    partitions: 2\n    replicationFactor: 1\n");
    let cluster = FakeCluster::new(3);
    run(&project, apply(Options::default()), &cluster).await;
    std::fs::write(
        project.path("topics/t.yaml"),
        "topics:\n  - name: orders\n    partitions: 2\n    replicationFactor: 3\n",
    )
    .unwrap();
    cluster.slow_reassignments(2);
    let options = Options { throttle: Some(10_485_760), ..Options::default() };
    insta::assert_snapshot!("apply_replication_factor", run(&project, apply(options), &cluster).await);
    assert!(cluster.broker_configs().is_empty(), "throttle left: {:?}", cluster.broker_configs());
    assert!(cluster.snapshot().topics["orders"].partitions.iter().all(|p| p.replicas.len() == 3));
}

#[tokio::test(start_paused = true)]
async fn import_then_plan_is_empty() {
    let project = Project::new("topics: []\n");
    let cluster = FakeCluster::new(3);
    cluster.create_topic("orders", 4);
    cluster.create_topic("audit", 1);
    std::fs::remove_file(project.path("topics/t.yaml")).unwrap();
    let import = Command::Import(import::Settings {
        target: target(),
        matching: None,
        out: project.path("topics"),
        force: false,
    });
    insta::assert_snapshot!("import", run(&project, import, &cluster).await);
    let written: Vec<String> = std::fs::read_dir(project.path("topics"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    assert_eq!(written.len(), 2, "one file per topic: {written:?}");
    assert!(project.path("topics/topicform.schema.json").exists(), "the modeline's schema is beside the files");
    insta::assert_snapshot!("plan_after_import", run(&project, plan(true), &cluster).await);
}

#[tokio::test(start_paused = true)]
async fn invalid_files_never_reach_the_cluster() {
    let project = Project::new("topics:\n  - name: orders\n    partitions: 0\n");
    let cluster = FakeCluster::new(3);
    let shown = run(&project, plan(true), &cluster).await;
    assert!(shown.starts_with("status: Ok(Failure)") && shown.contains("problems: 1"), "{shown}");
    let shown = run(&project, apply(Options::default()), &cluster).await;
    assert!(shown.starts_with("status: Ok(Failure)"), "{shown}");
    assert_eq!(cluster.requests(), 0, "no request was sent");
}

#[tokio::test(start_paused = true)]
async fn apply_without_approval_and_without_a_terminal_fails_at_once() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    let mut command = apply(Options::default());
    if let Command::Apply(s) = &mut command {
        s.auto_approve = false;
    }
    let shown = run(&project, command, &cluster).await;
    assert!(shown.contains("refusing to apply without --auto-approve"), "{shown}");
    assert_eq!(cluster.requests(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_saved_plan_applies_as_reviewed_and_a_stale_one_is_refused() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    let saved = project.path("plan.json");
    let command = |out: Option<&Path>| {
        Command::Plan(plan::Settings {
            target: target(),
            paths: vec![],
            detailed_exitcode: true,
            format: plan::Format::Json,
            out: out.map(Path::to_path_buf),
            prune: false,
            validate_on_broker: false,
            from_snapshot: None,
            max_snapshot_age: None,
        })
    };
    run(&project, command(Some(&saved)), &cluster).await;
    let apply_saved = || {
        Command::Apply(apply::Settings {
            target: target(),
            source: apply::Source::Saved { path: saved.clone(), others: vec![], prune: false },
            auto_approve: true,
            interactive: false,
            guards: Guards::default(),
            options: Options::default(),
            max_plan_age: None,
        })
    };
    // Someone else creates one of the planned topics in between.
    cluster.create_topic("payments", 1);
    insta::assert_snapshot!("apply_stale_saved_plan", run(&project, apply_saved(), &cluster).await);
    let before = cluster.snapshot();
    assert!(!before.topics.contains_key("orders"), "nothing was applied");

    run(&project, command(Some(&saved)), &cluster).await;
    let shown = run(&project, apply_saved(), &cluster).await;
    assert!(shown.starts_with("status: Ok(Success)") && shown.contains("Verified"), "{shown}");
}

/// The artifact hole: whatever can change the plan file between review and merge cannot change what
/// apply does. Every edit, another cluster and an old plan are refused, and nothing changes.
#[tokio::test(start_paused = true)]
async fn a_saved_plan_is_a_commitment() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    cluster.set_cluster_id("cluster-a");
    cluster.create_topic("victim", 1);
    let saved = project.path("plan.json");
    let plan_command = Command::Plan(plan::Settings {
        target: target(),
        paths: vec![],
        detailed_exitcode: false,
        format: plan::Format::Json,
        out: Some(saved.clone()),
        prune: false,
        validate_on_broker: false,
        from_snapshot: None,
        max_snapshot_age: None,
    });
    run(&project, plan_command, &cluster).await;
    let text = std::fs::read_to_string(&saved).unwrap();
    let apply_saved = |common: Common| {
        let saved = saved.clone();
        let cluster = cluster.clone();
        async move {
            let command = Command::Apply(apply::Settings {
                target: target(),
                source: apply::Source::Saved { path: saved, others: vec![], prune: false },
                auto_approve: true,
                interactive: false,
                guards: Guards::default(),
                options: Options::default(),
                max_plan_age: None,
            });
            let (mut out, mut events) = (Vec::new(), Recorder::default());
            let status = super::run(&common, command, &cluster, &mut out, &mut events).await.unwrap();
            (status, events.lines.join("\n"))
        }
    };
    let before = cluster.snapshot();
    let edits = [
        (
            "an added deletion",
            text.replacen(
                "\"changes\": [",
                "\"changes\": [\n    {\"action\": \"delete_topic\", \"topic\": \"victim\", \"partitions\": 1, \"reason\": \"declared\"},",
                1,
            ),
        ),
        ("a changed value", text.replacen("\"retention.ms\": \"86400000\"", "\"retention.ms\": \"1\"", 1)),
        ("a removed change", {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut v = v;
            v["changes"].as_array_mut().unwrap().pop();
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        }),
    ];
    for (what, edited) in edits {
        assert_ne!(edited, text, "{what}");
        std::fs::write(&saved, &edited).unwrap();
        let (status, events) = apply_saved(project.common()).await;
        assert_eq!(status, ExitStatus::Failure, "{what}: {events}");
        assert!(events.contains("Edited"), "{what}: {events}");
        assert_eq!(cluster.snapshot().topics, before.topics, "{what}: nothing changed");
    }

    // Not edited, but too old, or for another cluster.
    std::fs::write(&saved, &text).unwrap();
    let mut later = project.common();
    later.now_unix += 8 * 86_400;
    let (status, events) = apply_saved(later).await;
    assert_eq!(status, ExitStatus::Failure);
    assert!(events.contains("TooOld { age_secs: 691200, max_secs: 604800 }"), "{events}");
    cluster.set_cluster_id("cluster-b");
    let (status, events) = apply_saved(project.common()).await;
    assert!(status == ExitStatus::Failure && events.contains("OtherCluster"), "{events}");
    assert_eq!(cluster.snapshot().topics, before.topics, "nothing changed");

    // The files changed since: refused too.
    cluster.set_cluster_id("cluster-a");
    std::fs::write(project.path("topics/t.yaml"), TOPICS.replace("1d", "2d")).unwrap();
    let (status, events) = apply_saved(project.common()).await;
    assert!(status == ExitStatus::Failure && events.contains("FilesChanged"), "{events}");

    // As written, fresh and for the same cluster and files: applied.
    std::fs::write(project.path("topics/t.yaml"), TOPICS).unwrap();
    let (status, events) = apply_saved(project.common()).await;
    assert_eq!(status, ExitStatus::Success, "{events}");
    assert!(cluster.snapshot().topics.contains_key("payments"));
}

/// A pull request's plan with no credential: a snapshot stands in for the cluster, the plan equals the
/// live one (pins and fallbacks included) and says what it was made from, and a plan saved from it is
/// applied only while the live cluster still matches.
#[tokio::test(start_paused = true)]
async fn a_plan_from_a_snapshot_equals_the_live_plan_and_needs_no_secret() {
    let project = Project::new(TOPICS);
    // The password is never available here: a snapshot plan must not ask for it.
    std::fs::write(
        project.path("topicform.yaml"),
        "clusters:\n  fake:\n    bootstrap: ${BOOTSTRAP}\n    client:\n      sasl.password: ${KAFKA_PASSWORD}\n",
    )
    .unwrap();
    let cluster = FakeCluster::new(3);
    cluster.set_cluster_id("prod-id");
    cluster.create_topic("orders", 1);
    let mut common = project.common();
    common.lookup = Arc::new(|name: &str| (name == "BOOTSTRAP").then(|| "127.0.0.1:1".to_owned()));

    let snapshot = project.path("prod.snapshot.json");
    let take = Command::Snapshot(snapshot::Settings {
        target: target(),
        paths: vec![],
        out: snapshot.clone(),
        keep_hosts: false,
    });
    let (mut out, mut events) = (Vec::new(), Recorder::default());
    // Taking it needs the cluster, and so the password: give it, as the nightly job does.
    let mut with_secret = common.clone();
    with_secret.lookup = Arc::new(|_: &str| Some("127.0.0.1:1".to_owned()));
    let status = super::run(&with_secret, take, &cluster, &mut out, &mut events).await.unwrap();
    assert_eq!(status, ExitStatus::Success, "{:?}", events.lines);
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(!text.contains("127.0.0.1"), "no address: {text}");

    let plan_json = |from: Option<PathBuf>, save: Option<PathBuf>| {
        Command::Plan(plan::Settings {
            target: target(),
            paths: vec![],
            detailed_exitcode: true,
            format: plan::Format::Json,
            out: save,
            prune: false,
            validate_on_broker: false,
            from_snapshot: from,
            max_snapshot_age: None,
        })
    };
    let run_json = |common: Common, command: Command, cluster: FakeCluster| async move {
        let (mut out, mut events) = (Vec::new(), Recorder::default());
        let status = super::run(&common, command, &cluster, &mut out, &mut events).await;
        (status, String::from_utf8(out).unwrap(), events.lines)
    };
    let (live_status, live_json, _) = run_json(with_secret.clone(), plan_json(None, None), cluster.clone()).await;
    let offline = FakeCluster::new(1); // a snapshot plan never asks a cluster
    let saved = project.path("pr.plan.json");
    let (status, json, lines) =
        run_json(common.clone(), plan_json(Some(snapshot.clone()), Some(saved.clone())), offline.clone()).await;
    assert_eq!(status.unwrap(), live_status.unwrap(), "{lines:?}");
    assert_eq!(offline.requests(), 0, "no cluster was asked");
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&live_json).unwrap(), serde_json::from_str(&json).unwrap());
    assert_eq!(a["changes"], b["changes"], "the same changes, pins and fallbacks included");
    assert_eq!(b["basis"]["snapshot"], snapshot.display().to_string());

    // The saved plan from the snapshot: applied while the live cluster matches it, refused after a change.
    let apply_saved = || {
        Command::Apply(apply::Settings {
            target: target(),
            source: apply::Source::Saved { path: saved.clone(), others: vec![], prune: false },
            auto_approve: true,
            interactive: false,
            guards: Guards::default(),
            options: Options::default(),
            max_plan_age: None,
        })
    };
    cluster.create_topic("payments", 1);
    let (status, _, lines) = run_json(with_secret.clone(), apply_saved(), cluster.clone()).await;
    assert_eq!(status.unwrap(), ExitStatus::Failure, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Created { topic: \"payments\" }")), "{lines:?}");
}

#[tokio::test(start_paused = true)]
async fn broken_and_old_snapshots_are_clear_errors() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    cluster.create_topic("orders", 1);
    let snapshot = project.path("s.json");
    let take = Command::Snapshot(snapshot::Settings {
        target: target(),
        paths: vec![],
        out: snapshot.clone(),
        keep_hosts: false,
    });
    let (mut out, mut events) = (Vec::new(), Recorder::default());
    super::run(&project.common(), take, &cluster, &mut out, &mut events).await.unwrap();
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let plan = |max: Option<u64>| {
        Command::Plan(plan::Settings {
            target: target(),
            paths: vec![],
            detailed_exitcode: false,
            format: plan::Format::Text,
            out: None,
            prune: false,
            validate_on_broker: false,
            from_snapshot: Some(snapshot.clone()),
            max_snapshot_age: max,
        })
    };
    let cases = [
        ("truncated", text[..text.len() / 3].to_owned(), None, "cut short"),
        ("tampered", text.replacen("\"id\": 0", "\"id\": 7", 1), None, "changed after it was taken"),
        ("newer", text.replacen("\"formatVersion\": 2", "\"formatVersion\": 9", 1), None, "upgrade topicform"),
        ("old", text.clone(), Some(0), "more than the 0 s allowed"),
    ];
    for (what, content, max, said) in cases {
        std::fs::write(&snapshot, content).unwrap();
        let mut later = project.common();
        later.now_unix += 10;
        let (mut out, mut events) = (Vec::new(), Recorder::default());
        let err = super::run(&later, plan(max), &cluster, &mut out, &mut events).await.unwrap_err().to_string();
        assert!(err.contains(said), "{what}: {err}");
    }

    // The project's `maxSnapshotAge`, which `--max-snapshot-age` overrides; a bad one is located.
    std::fs::write(&snapshot, &text).unwrap();
    let mut later = project.common();
    later.now_unix += 10;
    let with_age = |age: &str| {
        let file = format!("clusters:\n  fake:\n    bootstrap: 127.0.0.1:1\nmaxSnapshotAge: {age}\n");
        std::fs::write(project.path("topicform.yaml"), file).unwrap();
    };
    with_age("5s");
    let (mut out, mut events) = (Vec::new(), Recorder::default());
    let err = super::run(&later, plan(None), &cluster, &mut out, &mut events).await.unwrap_err().to_string();
    assert!(err.contains("more than the 5 s allowed"), "{err}");
    let status = super::run(&later, plan(Some(3600)), &cluster, &mut out, &mut events).await.unwrap();
    assert_eq!(status, ExitStatus::Success, "the flag wins");
    with_age("soon");
    let mut events = Recorder::default();
    let status = super::run(&later, plan(None), &cluster, &mut out, &mut events).await.unwrap();
    assert_eq!(status, ExitStatus::Failure);
    let said = events.lines.join("\n");
    assert!(said.contains("problems: 1"), "{said}");
}

/// A deletion of data in use, end to end through the commands: the plan shows the data, apply refuses
/// naming the rule, a saved plan of idle data is stale once the data is written, and the flag lets it go.
#[tokio::test(start_paused = true)]
async fn deleting_data_in_use_is_refused_and_a_saved_plan_of_idle_data_goes_stale() {
    let project =
        Project::new("topics:\n  - name: old\n    partitions: 1\n    replicationFactor: 1\n    delete: true\n");
    let cluster = FakeCluster::new(3);
    cluster.create_topic("old", 1);
    let now_ms = project.common().now_unix as i64 * 1000;
    let saved = project.path("plan.json");
    let plan_saved = Command::Plan(plan::Settings {
        target: target(),
        paths: vec![],
        detailed_exitcode: false,
        format: plan::Format::Text,
        out: Some(saved.clone()),
        prune: false,
        validate_on_broker: false,
        from_snapshot: None,
        max_snapshot_age: None,
    });
    let shown = run(&project, plan_saved, &cluster).await;
    assert!(
        shown.contains("data: 0 B on 1 replica(s) (0 B on the leaders), 0 records, never written, no consumer group"),
        "{shown}"
    );

    // Written since the plan: the saved plan is stale, even with the flag.
    cluster.produce("old", 0, &[now_ms - 60_000], 100);
    let apply_with = |source: apply::Source, allow_active_data: bool| {
        let rules = crate::plan::data::Rules { allow_active_data, ..Default::default() };
        Command::Apply(apply::Settings {
            target: target(),
            source,
            auto_approve: true,
            interactive: false,
            guards: Guards { data: rules, ..Guards::default() },
            options: Options::default(),
            max_plan_age: None,
        })
    };
    let stale = run(
        &project,
        apply_with(apply::Source::Saved { path: saved.clone(), others: vec![], prune: false }, true),
        &cluster,
    )
    .await;
    assert!(stale.starts_with("status: Ok(Failure)"), "{stale}");
    assert!(stale.contains("BecameActive"), "{stale}");

    // From the files: refused by the recent-write rule, then deleted with the flag.
    let files = || apply::Source::Files { paths: vec![], prune: false };
    let refused = run(&project, apply_with(files(), false), &cluster).await;
    assert!(
        refused.contains("topic `old` was written 1 min ago, within the 24 h window of the recent-write rule"),
        "{refused}"
    );
    assert!(cluster.snapshot().topics.contains_key("old"));
    let done = run(&project, apply_with(files(), true), &cluster).await;
    assert!(done.starts_with("status: Ok(Success)"), "{done}");
    assert!(!cluster.snapshot().topics.contains_key("old"));
}

/// Runs `test` on its own thread and runtime, failing the test when it has not finished after a
/// generous bound: a read that blocks (a named pipe opened for reading) would hang the test otherwise.
/// The bound is no timing assertion, only a way for a hang to fail.
pub(super) fn bounded<F: std::future::Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(test());
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(120)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("blocked: the run did not end"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the test panicked; see above"),
    }
}

/// A named pipe at `path`, made with `mkfifo(1)`.
pub(super) fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn plan_to(out: Option<PathBuf>, from_snapshot: Option<PathBuf>, format: plan::Format) -> Command {
    Command::Plan(plan::Settings {
        target: target(),
        paths: vec![],
        detailed_exitcode: false,
        format,
        out,
        prune: false,
        validate_on_broker: false,
        from_snapshot,
        max_snapshot_age: None,
    })
}

fn apply_saved(path: PathBuf, prune: bool) -> Command {
    Command::Apply(apply::Settings {
        target: target(),
        source: apply::Source::Saved { path, others: vec![], prune },
        auto_approve: true,
        interactive: false,
        guards: Guards::default(),
        options: Options::default(),
        max_plan_age: None,
    })
}

#[test]
fn a_named_pipe_or_a_directory_as_a_plan_or_a_snapshot_is_refused_at_once() {
    bounded(|| async {
        let project = Project::new(TOPICS);
        let cluster = FakeCluster::new(3);
        let fifo = project.path("pipe.json");
        mkfifo(&fifo);
        std::fs::create_dir(project.path("dir.json")).unwrap();
        for path in [fifo.clone(), project.path("dir.json")] {
            let shown = run(&project, apply_saved(path.clone(), false), &cluster).await;
            assert!(
                shown.contains("cannot read the saved plan") && shown.contains("reads only regular files"),
                "{shown}"
            );
            let shown = run(&project, plan_to(None, Some(path), plan::Format::Text), &cluster).await;
            assert!(
                shown.contains("cannot read the snapshot") && shown.contains("reads only regular files"),
                "{shown}"
            );
        }
        let shown = run(&project, apply_saved(fifo, false), &cluster).await;
        assert!(shown.contains("`[DIR]/pipe.json` is a named pipe (FIFO)"), "{shown}");
        assert_eq!(cluster.requests(), 0, "refused before any request");
    });
}

#[tokio::test(start_paused = true)]
async fn a_saved_plan_says_what_it_is_and_refuses_what_it_does_not_fix() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    // Any letter case of `.json` is a saved plan (see `cli::settings`); here it is written so.
    let saved = project.path("PLAN.JSON");
    run(&project, plan_to(Some(saved.clone()), None, plan::Format::Text), &cluster).await;
    let text = std::fs::read_to_string(&saved).unwrap();

    let shown = run(&project, apply_saved(saved.clone(), true), &cluster).await;
    assert!(shown.contains("was made without `--prune`"), "{shown}");
    let mut prune = plan_to(Some(saved.clone()), None, plan::Format::Text);
    if let Command::Plan(s) = &mut prune {
        s.prune = true;
    }
    run(&project, prune, &cluster).await;
    let shown = run(&project, apply_saved(saved.clone(), false), &cluster).await;
    assert!(shown.contains("was made with `--prune`"), "{shown}");
    std::fs::write(&saved, &text).unwrap();

    let cases = [
        ("not JSON", "hello".to_owned(), "is not a topicform saved plan: it is not valid JSON (line 1, column 1)"),
        ("cut", text[..text.len() / 2].to_owned(), "the file ends too early"),
        ("a field gone", text.replacen("\"made\"", "\"mode\"", 1), "it has no `made` field (line "),
        ("newer", text.replacen("\"formatVersion\": 1", "\"formatVersion\": 2", 1), "newer than this topicform reads"),
        ("no version", "{}".to_owned(), "it has no `formatVersion` field"),
        (
            "a forged name",
            text.replacen("\"cluster\": \"fake\"", "\"cluster\": \"fake\\nok\"", 1),
            "its `cluster` is not a cluster name",
        ),
        (
            "a forged topic",
            text.replace("\"payments\"", "\"pay\\u001bments\""),
            "names a topic that is not a legal name",
        ),
    ];
    for (what, content, said) in cases {
        std::fs::write(&saved, content).unwrap();
        let shown = run(&project, apply_saved(saved.clone(), false), &cluster).await;
        assert!(shown.contains(said), "{what}: {shown}");
        assert!(shown.contains("reads saved plans of format 1") || what == "newer", "{what}: {shown}");
    }
    // The topic paths it names are read by apply: never outside the project's directory.
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, "password: hunter2\n").unwrap();
    let mut named = plan_to(Some(saved.clone()), None, plan::Format::Text);
    if let Command::Plan(s) = &mut named {
        s.paths = vec![project.path("topics")];
    }
    run(&project, named, &cluster).await;
    let planned = std::fs::read_to_string(&saved).unwrap();
    let elsewhere = serde_json::to_string(&secret.display().to_string()).unwrap();
    let inside = serde_json::to_string(&project.path("topics").display().to_string()).unwrap();
    std::fs::write(&saved, planned.replacen(&inside, &elsewhere, 1)).unwrap();
    let shown = run(&project, apply_saved(saved.clone(), false), &cluster).await;
    assert!(shown.contains("outside the project's directory") && !shown.contains("hunter2"), "{shown}");
    std::fs::write(&saved, &text).unwrap();

    // Made "later" than now: this machine's clock is behind the plan's by more than the skew allowed.
    let apply_at = |now_unix: u64| {
        let mut common = project.common();
        common.now_unix = now_unix;
        let (saved, cluster) = (saved.clone(), cluster.clone());
        async move {
            let (mut out, mut events) = (Vec::new(), Recorder::default());
            let status = super::run(&common, apply_saved(saved, false), &cluster, &mut out, &mut events).await;
            (status.unwrap(), events.lines.join("\n"))
        }
    };
    let now = project.common().now_unix;
    let (status, events) = apply_at(now - crate::plan::MAX_CLOCK_SKEW_SECS - 1).await;
    assert_eq!(status, ExitStatus::Failure, "{events}");
    assert!(events.contains("Future { ahead_secs: 301 }"), "{events}");
    assert!(!cluster.snapshot().topics.contains_key("orders"), "nothing was applied");
    let (status, events) = apply_at(now - crate::plan::MAX_CLOCK_SKEW_SECS).await;
    assert_eq!(status, ExitStatus::Success, "within the skew: {events}");
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_dated_in_the_future_is_refused() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    let snapshot = project.path("s.json");
    let take = Command::Snapshot(snapshot::Settings {
        target: target(),
        paths: vec![],
        out: snapshot.clone(),
        keep_hosts: false,
    });
    run(&project, take, &cluster).await;
    let mut behind = project.common();
    behind.now_unix -= 3600;
    let (mut out, mut events) = (Vec::new(), Recorder::default());
    let plan = plan_to(None, Some(snapshot), plan::Format::Text);
    let err = super::run(&behind, plan, &cluster, &mut out, &mut events).await.unwrap_err().to_string();
    assert!(err.contains("is dated 3600 s in the future, more than the 300 s"), "{err}");
}

/// Bounded: a regression that writes into the named pipe would block.
#[test]
fn out_never_overwrites_what_the_run_reads() {
    bounded(|| async {
        let project = Project::new(TOPICS);
        let cluster = FakeCluster::new(3);
        let snapshot = project.path("s.json");
        let take = |out: PathBuf| {
            Command::Snapshot(snapshot::Settings { target: target(), paths: vec![], out, keep_hosts: false })
        };
        run(&project, take(snapshot.clone()), &cluster).await;
        std::os::unix::fs::symlink(project.path("topicform.yaml"), project.path("link.json")).unwrap();
        let inputs =
            ["topicform.yaml", "topics/t.yaml", "s.json"].map(|p| (p, std::fs::read(project.path(p)).unwrap()));
        let asked = cluster.requests();
        let outs = [
            (project.path("topicform.yaml"), None),
            (project.path("topics/../topicform.yaml"), None),
            (project.path("link.json"), None),
            (project.path("topics/t.yaml"), None),
            (snapshot.clone(), Some(snapshot.clone())),
        ];
        for (out, from) in outs {
            let shown = run(&project, plan_to(Some(out.clone()), from, plan::Format::Text), &cluster).await;
            assert!(shown.contains("which this run reads: it would be overwritten"), "{}: {shown}", out.display());
        }
        for out in [project.path("topicform.yaml"), project.path("topics/t.yaml")] {
            let shown = run(&project, take(out.clone()), &cluster).await;
            assert!(shown.contains("which this run reads"), "{}: {shown}", out.display());
        }
        for (path, before) in inputs {
            assert_eq!(std::fs::read(project.path(path)).unwrap(), before, "{path} is unchanged");
        }
        assert_eq!(cluster.requests(), asked, "refused before the cluster was asked");
        // A named pipe as an output would block the write until someone reads it.
        let pipe = project.path("out.pipe");
        mkfifo(&pipe);
        let shown = run(&project, take(pipe.clone()), &cluster).await;
        assert!(shown.contains("is not a regular file (a named pipe, a device or a directory)"), "{shown}");
        let shown = run(&project, plan_to(Some(pipe), None, plan::Format::Text), &cluster).await;
        assert!(shown.contains("topicform writes only regular files"), "{shown}");

        // A topic named like the project file is not imported over it, even with --force.
        cluster.create_topic("topicform", 1);
        let import = Command::Import(import::Settings {
            target: target(),
            matching: None,
            out: project.dir.path().to_path_buf(),
            force: true,
        });
        let shown = run(&project, import, &cluster).await;
        assert!(shown.contains("[DIR]/topicform.yaml` is `[DIR]/topicform.yaml`, which this run reads"), "{shown}");
        assert_eq!(
            std::fs::read_to_string(project.path("topicform.yaml")).unwrap(),
            "clusters:\n  fake:\n    bootstrap: 127.0.0.1:1\n"
        );
    });
}

#[tokio::test(start_paused = true)]
async fn cluster_in_a_path_is_the_cluster_s_name_in_a_one_cluster_run() {
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    let unnamed = Target { cluster: None, timeout: Duration::from_secs(5) };
    let take = Command::Snapshot(snapshot::Settings {
        target: unnamed.clone(),
        paths: vec![],
        out: project.path("{cluster}.snapshot.json"),
        keep_hosts: false,
    });
    let shown = run(&project, take, &cluster).await;
    assert!(project.path("fake.snapshot.json").is_file(), "{shown}");
    let mut plan = plan_to(
        Some(project.path("plans-{cluster}.json")),
        Some(project.path("{cluster}.snapshot.json")),
        plan::Format::Text,
    );
    if let Command::Plan(s) = &mut plan {
        s.target = unnamed.clone();
    }
    let shown = run(&project, plan, &cluster).await;
    assert!(shown.starts_with("status: Ok(Success)"), "{shown}");
    assert!(shown.contains("Planned from the snapshot `[DIR]/fake.snapshot.json`"), "{shown}");
    assert!(project.path("plans-fake.json").is_file(), "{shown}");
    assert!(!project.path("{cluster}.snapshot.json").exists() && !project.path("plans-{cluster}.json").exists());
}

/// Text that tries everything: terminal escapes (clear screen, window title, bidi override), Markdown
/// that closes the `<details>`, starts a heading, forges "No changes." and a table row, a link, HTML,
/// and a code fence.
const HOSTILE: &str = "\x1b[2J\x1b]0;pwned\x07</code></summary></details>\n\n## Approved\n\nNo changes. | forged | row |\n\u{202e}[link](https://evil.example)<img src=x onerror=alert(1)>\n```";

/// A snapshot whose every outside field that validation lets through (config values, inherited values,
/// unknown keys' values, racks, the file's own name) holds [`HOSTILE`], planned as text and as
/// Markdown: golden files show each escaped for its medium.
#[tokio::test(start_paused = true)]
async fn a_hostile_snapshot_is_escaped_in_text_and_markdown() {
    use crate::live::{ConfigSource, Effective, LiveConfig};
    let project = Project::new(TOPICS);
    let cluster = FakeCluster::new(3);
    cluster.create_topic("orders", 3);
    let mut live = cluster.snapshot();
    let hostile = |source| LiveConfig {
        value: Some(HOSTILE.into()),
        source,
        read_only: false,
        sensitive: false,
        inherited: Some(Box::new(Effective {
            value: Some(HOSTILE.into()),
            source: ConfigSource::DynamicDefaultBroker,
        })),
    };
    let orders = live.topics.get_mut("orders").unwrap();
    for key in ["retention.ms", "segment.ms", "vendor.hostile.key"] {
        orders.configs.insert(key.into(), hostile(ConfigSource::TopicOverride));
    }
    for broker in live.brokers.values_mut() {
        broker.rack = Some(HOSTILE.into());
    }
    let snapshot = crate::snapshot::Snapshot::of(&live, false, project.common().now_unix);
    let path = project.path("snap\x1b[31m`|## Approved.json");
    std::fs::write(&path, snapshot.to_text()).unwrap();
    for (name, format) in
        [("hostile_snapshot_text", plan::Format::Text), ("hostile_snapshot_markdown", plan::Format::Markdown)]
    {
        let shown = run(&project, plan_to(None, Some(path.clone()), format), &cluster).await;
        for raw in ["\x1b", "\x07", "\u{202e}", "\n## Approved", "\nNo changes."] {
            assert!(!shown.contains(raw), "{name}: {raw:?} came through:\n{shown}");
        }
        if format == plan::Format::Markdown {
            // Outside the diff's code block (where Markdown and HTML are only text, and the fence is
            // broken), nothing of it is read as Markdown or HTML.
            let mut fenced = false;
            let prose: Vec<&str> = shown
                .lines()
                .filter(|l| {
                    let fence = l.starts_with("```");
                    fenced ^= fence;
                    !fenced && !fence
                })
                .collect();
            assert!(!fenced, "every code block is closed by its own fence:\n{shown}");
            for raw in ["<img", "</details></", "</code></summary></", "[link](", "| forged |", "```", "https://"] {
                assert!(!prose.iter().any(|l| l.contains(raw)), "{name}: {raw:?} came through:\n{shown}");
            }
        }
        insta::assert_snapshot!(name, shown);
    }
}

/// The issue's two holes through the commands: a group whose members read without committing shows as
/// active in the plan and blocks apply; a topic whose only replica's broker is down shows an unknown
/// size, never `0 B`, and `--max-destroy-bytes` refuses it, with or without `--allow-active-data`.
#[tokio::test(start_paused = true)]
async fn readers_without_commits_and_unknown_sizes_block_deletions_end_to_end() {
    let project = Project::new(
        "topics:\n  - name: read\n    partitions: 1\n    replicationFactor: 1\n    delete: true\n  - name: down\n    \
         partitions: 2\n    replicationFactor: 1\n    delete: true\n",
    );
    let cluster = FakeCluster::new(3);
    cluster.create_topic("read", 1);
    cluster.create_topic("down", 2);
    let long_ago = project.common().now_unix as i64 * 1000 - 72 * 3_600_000;
    cluster.produce("read", 0, &[long_ago], 100);
    cluster.produce("down", 0, &[long_ago], 131_072);
    cluster.produce("down", 1, &[long_ago], 131_072);
    cluster.join("manual-commits", "read");
    // Partition 1 of `down` alone lives there.
    let replica = cluster.snapshot().topics["down"].partitions[1].replicas[0];
    assert_ne!(replica, cluster.snapshot().topics["read"].partitions[0].replicas[0], "{replica}");
    cluster.stop_broker(replica);

    let shown = run(&project, plan(false), &cluster).await;
    assert!(shown.contains("1 consumer group(s) active (manual-commits)"), "{shown}");
    assert!(
        shown.contains("group manual-commits: active (Stable), 1 member(s) reading it, nothing committed"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "data: size unknown (1 of 2 replica(s) not measured (broker {replica}: it is not in the cluster's \
             metadata (stopped or unreachable)); at least 128.0 KiB on the others)"
        )),
        "{shown}"
    );
    assert!(!shown.contains("0 B on 0 replica(s)"), "{shown}");

    let apply_with = |allow_active_data: bool| {
        let rules = crate::plan::data::Rules { allow_active_data, max_destroy_bytes: Some(1024), ..Default::default() };
        Command::Apply(apply::Settings {
            target: target(),
            source: apply::Source::Files { paths: vec![], prune: false },
            auto_approve: true,
            interactive: false,
            guards: Guards { data: rules, ..Guards::default() },
            options: Options::default(),
            max_plan_age: None,
        })
    };
    let refused = run(&project, apply_with(false), &cluster).await;
    assert!(refused.starts_with("status: Ok(Failure)"), "{refused}");
    for said in [
        "topic `read` is read by consumer group(s) with active members (manual-commits), against the active-group rule",
        "topic `down`: last write unknown (a partition has no leader), so the recent-write rule cannot be checked",
        "so the --max-destroy-bytes rule cannot be checked",
    ] {
        assert!(refused.contains(said), "{said}\n{refused}");
    }
    let refused = run(&project, apply_with(true), &cluster).await;
    assert!(refused.starts_with("status: Ok(Failure)"), "{refused}");
    assert!(refused.contains("so the --max-destroy-bytes rule cannot be checked"), "{refused}");
    assert_eq!(cluster.snapshot().topics.len(), 2, "nothing deleted");
}
