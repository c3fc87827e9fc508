//! Faults on the real cluster: brokers or the controller go away. This is its own test binary on
//! purpose: cargo runs test binaries one after another, so stopping a node here cannot disturb the
//! other tests; within it, the tests take turns (`ONE_AT_A_TIME`).
//!
//! It needs a cluster that `scripts/kafka-local` controls (`TOPICFORM_TEST_KAFKA_LOCAL=1`, with the
//! script's own `TOPICFORM_KAFKA_*` variables), as `scripts/test` provides. Without one it is skipped
//! with a loud message, or fails when CI or TOPICFORM_REQUIRE_CLUSTER is set.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};
use topicform::cluster::Admin;

fn kafka_local(args: &[&str]) -> bool {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka-local");
    Command::new(script).args(args).status().is_ok_and(|s| s.success())
}

/// Starts the brokers again when dropped, even after a failure, and waits for the cluster.
struct Stopped(&'static [&'static str]);

impl Drop for Stopped {
    fn drop(&mut self) {
        for broker in self.0 {
            kafka_local(&["start-broker", broker]);
        }
        kafka_local(&["wait"]);
    }
}

/// The fault tests stop and start nodes of the one cluster, so they run one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn controlled_cluster(test: &str) -> bool {
    if !cluster_available(test) {
        return false;
    }
    if std::env::var("TOPICFORM_TEST_KAFKA_LOCAL").is_ok_and(|v| v == "1") {
        return true;
    }
    let message = "the test cluster is not one scripts/kafka-local controls (TOPICFORM_TEST_KAFKA_LOCAL=1)";
    if std::env::var_os("CI").is_some() || std::env::var("TOPICFORM_TEST_KAFKA_LOCAL").is_ok_and(|v| v == "1") {
        panic!("{message}; CI needs the fault tests, run them through scripts/test");
    }
    eprintln!("\n!!! SKIPPED {test}: {message}\n");
    false
}

/// Runs the same apply until it succeeds (nodes re-register with the controller a moment after they
/// answer), for at most a minute, then checks that a fresh plan is empty.
async fn converges(ws: &Workspace) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let converged = loop {
        let run = ws.run(&["apply", "--auto-approve"]);
        if run.code == 0 || Instant::now() > deadline {
            break run;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    converged.expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

/// One broker of three away: Kafka (KRaft) keeps a stopped broker registered, so topic changes still go
/// through the controller and place replicas on it; plan and apply work and converge.
#[tokio::test]
async fn brokers_going_away() {
    if !controlled_cluster("brokers_going_away") {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().await;
    let ws = Workspace::new("broker-down");
    let (replicated, single, new) = (ws.topic("replicated"), ws.topic("single"), ws.topic("new"));
    let files = |partitions: u32, with_new: bool| {
        let mut yaml = format!(
            "topics:\n  - name: {replicated}\n    partitions: {partitions}\n    replicationFactor: 3\n    config:\n      retention.ms: 1h\n  - name: {single}\n    partitions: 1\n    replicationFactor: 1\n"
        );
        if with_new {
            yaml += &format!("  - name: {new}\n    partitions: 1\n    replicationFactor: 1\n");
        }
        yaml
    };
    ws.write("topics/t.yaml", &files(1, false));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    // One broker away: still works.
    assert!(kafka_local(&["stop-broker", "3"]), "stopping broker 3");
    let restart3 = Stopped(&["3"]);
    let admin = ws.admin();
    let everything = topicform::live::Scope::new([], &[], &[]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(45);
    while admin.describe(&everything).await.is_ok_and(|live| live.brokers.contains_key(&3)) {
        assert!(Instant::now() < deadline, "broker 3 was never fenced");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    ws.write("topics/t.yaml", &files(2, false));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    drop(restart3);

    // Every broker away: the apply fails within its timeout, says why, and changes nothing; once the
    // brokers are back, the same apply converges.
    ws.write("topics/t.yaml", &files(3, true));
    for broker in ["1", "2", "3"] {
        assert!(kafka_local(&["stop-broker", broker]), "stopping broker {broker}");
    }
    let restart = Stopped(&["1", "2", "3"]);
    let started = Instant::now();
    let failed = ws.run(&["apply", "--auto-approve", "--timeout", "5"]);
    failed.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(30), "bounded: {:?}", started.elapsed());
    assert!(failed.stderr.contains("cannot describe cluster `test`"), "{}", failed.stderr);
    assert!(!failed.stdout.contains("Applied"), "{}", failed.stdout);

    drop(restart);
    converges(&ws).await;
    let live = ws.live().await;
    assert_eq!(live.topics[&replicated].partitions.len(), 3);
    assert!(live.topics.contains_key(&new));
}

/// The controller away: brokers still answer from their metadata, so plan works; changes, which the
/// controller makes, fail clearly within a bounded time, nothing is applied, and the same apply
/// converges once the controller is back.
#[tokio::test]
async fn controller_going_away() {
    if !controlled_cluster("controller_going_away") {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().await;
    let ws = Workspace::new("controller-down");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {t}\n    partitions: 1\n    replicationFactor: 1\n"));

    assert!(kafka_local(&["stop-controller"]), "stopping the controller");
    let restart = Controller;
    ws.run(&["plan", "--detailed-exitcode", "--timeout", "5"]).expect_code(2);
    let started = Instant::now();
    let failed = ws.run(&["apply", "--auto-approve", "--timeout", "5"]);
    failed.expect_code(1);
    // One deadline: --timeout bounds the whole command, retries included. The bound here is several
    // times the deadline, a guard against hangs, not a timing test.
    assert!(started.elapsed() < Duration::from_secs(40), "bounded by the deadline: {:?}", started.elapsed());
    assert!(failed.stderr.contains(&format!("timed out: create topic {t}")), "{}", failed.stderr);
    assert!(!failed.stderr.contains("refused:"), "a timeout is not a refusal: {}", failed.stderr);
    assert!(failed.stderr.contains("nothing was applied"), "{}", failed.stderr);

    drop(restart);
    converges(&ws).await;
}

/// Starts the controller again when dropped, even after a failure, and waits for the cluster.
struct Controller;

impl Drop for Controller {
    fn drop(&mut self) {
        kafka_local(&["start-controller"]);
    }
}

/// Thaws the brokers when dropped, even after a failure, and waits for the cluster.
struct Frozen(Vec<&'static str>);

impl Drop for Frozen {
    fn drop(&mut self) {
        for broker in &self.0 {
            kafka_local(&["thaw", broker]);
        }
        kafka_local(&["wait"]);
    }
}

impl Frozen {
    /// Freezes `brokers` too (SIGSTOP: their ports accept connections and nothing answers); the guard
    /// thaws them all at once, also those frozen before a later freeze failed.
    fn freeze(&mut self, brokers: &[&'static str]) {
        for broker in brokers {
            self.0.push(broker);
            assert!(kafka_local(&["freeze", broker]), "freezing broker {broker}");
        }
    }
}

/// The first bootstrap broker frozen (a GC pause, a hung disk): plan, apply and list still work, through
/// the brokers that answer. Every broker frozen: the command says it timed out, and fails.
#[tokio::test]
async fn a_frozen_first_bootstrap_broker_is_not_a_single_point_of_failure() {
    if !controlled_cluster("a_frozen_first_bootstrap_broker_is_not_a_single_point_of_failure") {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().await;
    let ws = Workspace::new("frozen");
    let base = std::env::var("TOPICFORM_KAFKA_BASE_PORT").unwrap_or_else(|_| "9092".into());
    assert!(
        ws.bootstrap.split(',').next().is_some_and(|first| first.trim().ends_with(&format!(":{base}"))),
        "broker 1 ({base}) comes first in {}",
        ws.bootstrap
    );
    let (t, new) = (ws.topic("t"), ws.topic("new"));
    let files = |partitions: u32, with_new: bool| {
        let mut yaml = format!("topics:\n  - name: {t}\n    partitions: {partitions}\n    replicationFactor: 1\n");
        if with_new {
            yaml += &format!("  - name: {new}\n    partitions: 1\n    replicationFactor: 1\n");
        }
        yaml
    };
    ws.write("topics/t.yaml", &files(1, false));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    let mut frozen = Frozen(Vec::new());
    frozen.freeze(&["1"]);
    ws.write("topics/t.yaml", &files(2, true));
    let plan = ws.run(&["plan", "--detailed-exitcode", "--timeout", "30"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("1 to create, 1 to change"), "{}", plan.stdout);
    let applied = ws.run(&["apply", "--auto-approve", "--timeout", "30"]);
    applied.expect_code(0);
    assert!(applied.stdout.contains("Verified"), "{}", applied.stdout);
    let list = ws.run(&["list", "--timeout", "30"]);
    list.expect_code(0);
    assert!(list.stdout.contains(&new), "{}", list.stdout);
    ws.run(&["plan", "--detailed-exitcode", "--timeout", "30"]).expect_code(0);
    let watch = ws.run(&["watch", "--cycles", "1", "--interval", "1s", "--timeout", "30", "--log-format", "json"]);
    watch.expect_code(0);
    assert!(watch.stderr.contains(r#""outcome":"in_sync""#), "{}", watch.stderr);

    // Every broker frozen: nothing can answer, and the command says so within its deadline.
    frozen.freeze(&["2", "3"]);
    ws.write("topics/t.yaml", &files(3, true));
    for args in [&["plan", "--timeout", "5"][..], &["apply", "--auto-approve", "--timeout", "5"]] {
        let failed = ws.run(args);
        failed.expect_code(1);
        assert!(failed.stderr.contains("timed out"), "{args:?}: {}", failed.stderr);
        assert!(!failed.stderr.contains("refused"), "a timeout is not a refusal: {}", failed.stderr);
        assert!(!failed.stdout.contains("Applied"), "{}", failed.stdout);
    }
    drop(frozen);
    converges(&ws).await;
    assert_eq!(ws.live().await.topics[&t].partitions.len(), 3);
}
