//! What depends on the cluster's Kafka release, for every release in the CI matrix (scripts/test runs
//! this file against 4.4 KRaft with 3 brokers, 3.9 ZooKeeper and 3.7 KRaft with 2 brokers each):
//! the release is detected; topics made by that release's own `kafka-topics`, legacy configs and
//! rule-breaking ones included, import and plan to zero; a config the release lacks is refused by
//! `plan` with its name and the release; a replication-factor change works with any broker first in
//! `bootstrap` (on ZooKeeper clusters only the controller takes reassignments).
//!
//! `TOPICFORM_TEST_KAFKA_VERSION` names the release the test cluster runs (scripts/test sets it).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};
use topicform::catalog::{self, Known, Release};

macro_rules! require_cluster {
    ($name:expr) => {
        if !cluster_available($name) {
            return;
        }
    };
}

/// The release of the test cluster.
fn release() -> Release {
    std::env::var("TOPICFORM_TEST_KAFKA_VERSION").unwrap_or_else(|_| "4.4.0".into()).parse().expect("a release")
}

/// Runs one of the release's own command-line tools through scripts/kafka-local, which picks the
/// release running on the test cluster's ports.
fn kafka_tool(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka-local");
    let out = Command::new(script).arg("tool").args(args).output().expect("scripts/kafka-local runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kafka-local tool {args:?} failed:\n{text}");
    text
}

/// Waits until the test's topics are all described (new topics take a moment to reach every broker).
async fn wait_for_topics(ws: &Workspace, names: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let live = ws.live().await;
        if names.iter().all(|n| live.topics.contains_key(*n)) || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn the_release_is_detected_and_recorded_in_the_plan() {
    require_cluster!("the_release_is_detected_and_recorded_in_the_plan");
    let ws = Workspace::new("rel-detect");
    let live = ws.live().await;
    let detected = live.cluster.release.expect("the release is detected");
    assert_eq!((detected.major, detected.minor), (release().major, release().minor), "detected {detected}");
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {}\n    partitions: 1\n", ws.topic("t")));
    let plan = ws.run(&["plan", "--format", "json"]);
    plan.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(json["kafkaVersion"], detected.to_string(), "{}", plan.stdout);
}

/// Topics made the way the release's tutorials make them, with the legacy and rule-breaking configs
/// that release allows, adopt with a zero plan.
#[tokio::test]
async fn topics_made_by_kafka_topics_import_and_plan_to_zero() {
    require_cluster!("topics_made_by_kafka_topics_import_and_plan_to_zero");
    let ws = Workspace::new("rel-import");
    let r = release();
    let tutorial = ws.topic("tutorial");
    let legacy = ws.topic("legacy");
    let bootstrap = ws.bootstrap.split(',').next().unwrap().to_owned();
    // The tutorial's own topic: min.insync.replicas above its replication factor.
    kafka_tool(&[
        "kafka-topics",
        "--bootstrap-server",
        &bootstrap,
        "--create",
        "--topic",
        &tutorial,
        "--partitions",
        "2",
        "--replication-factor",
        "1",
        "--config",
        "min.insync.replicas=2",
    ]);
    // Every config this release has and no newer one does (or the other way round), at a value
    // other than its default, plus a sub-MiB segment size where the release allows it.
    let mut configs = vec!["retention.ms=3600000".to_owned()];
    if r < Release::of("4.0.0") {
        configs.push("segment.bytes=102400".into());
        configs.push("message.downconversion.enable=false".into());
        configs.push("message.timestamp.difference.max.ms=1000000".into());
        configs.push(format!("message.format.version={}", r.line()));
    }
    let mut args = vec!["kafka-topics", "--bootstrap-server", &bootstrap, "--create", "--topic", &legacy];
    args.extend(["--partitions", "1", "--replication-factor", "1"]);
    for c in &configs {
        args.extend(["--config", c.as_str()]);
    }
    kafka_tool(&args);
    wait_for_topics(&ws, &[&tutorial, &legacy]).await;

    ws.run(&["import", "--match", &format!("^{}\\.", regex_escape(&ws.prefix)), "--out", "topics"]).expect_code(0);
    let validate = ws.run(&["validate", "--strict"]);
    validate.expect_code(0);
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let files: String = std::fs::read_dir(ws.path().join("topics"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(files.contains("acknowledge: [minInsyncAboveReplicationFactor]"), "{files}");
    if r < Release::of("4.0.0") {
        assert!(files.contains(&format!("message.format.version: \"{}\"", r.line())), "quoted: {files}");
    }
}

fn regex_escape(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_string() } else { format!("\\{c}") }).collect()
}

/// A config the release does not have (added later, or removed) is refused by `plan`, at its line, with
/// the release named; nothing reaches the brokers.
#[tokio::test]
async fn a_config_the_release_lacks_is_refused_by_plan() {
    require_cluster!("a_config_the_release_lacks_is_refused_by_plan");
    let ws = Workspace::new("rel-lacks");
    let r = release();
    let (key, def) = catalog::all()
        .iter()
        .find_map(|c| match catalog::lookup(c.name, Some(r)) {
            Known::NotYet { .. } | Known::Removed { .. } => Some((c.name, c.clone())),
            _ => None,
        })
        .expect("every release in the matrix lacks some config");
    let value = if def.default.is_empty() { "x".to_owned() } else { def.default.to_owned() };
    let t = ws.topic("t");
    ws.write(
        "topics/t.yaml",
        &format!("topics:\n  - name: {t}\n    partitions: 1\n    config:\n      {key}: \"{value}\"\n"),
    );
    let plan = ws.run(&["plan"]);
    plan.expect_code(1);
    // The brokers say which line they run (3.9), not which patch.
    let said = format!("`{key}`, which Apache Kafka {} does not have", r.line());
    assert!(plan.stderr.replace("\n  │ ", " ").contains(&said), "{said}: {}", plan.stderr);
    assert!(plan.stderr.contains("topics/t.yaml:5:"), "located: {}", plan.stderr);
    assert!(!ws.live().await.topics.contains_key(&t), "nothing was created");

    // With the release declared, `validate` says the same offline.
    ws.write(
        "topicform.yaml",
        &format!("clusters:\n  test:\n    bootstrap: {}\n    kafkaVersion: \"{}\"\n", ws.bootstrap, r.line()),
    );
    let validate = ws.run(&["validate"]);
    validate.expect_code(1);
    assert!(validate.stderr.contains(&format!("`{key}`")), "{}", validate.stderr);
}

/// On ZooKeeper clusters only the controller takes AlterPartitionReassignments; topicform sends it
/// there whichever broker comes first in `bootstrap`.
#[tokio::test]
async fn replication_factor_changes_with_any_broker_first_in_bootstrap() {
    require_cluster!("replication_factor_changes_with_any_broker_first_in_bootstrap");
    let ws = Workspace::new("rel-rf");
    let servers: Vec<&str> = ws.bootstrap.split(',').collect();
    assert!(servers.len() >= 2, "the matrix clusters have at least 2 brokers: {}", ws.bootstrap);
    for (i, first) in servers.iter().enumerate() {
        let mut order: Vec<&str> = vec![first];
        order.extend(servers.iter().filter(|s| *s != first));
        ws.write("topicform.yaml", &format!("clusters:\n  test:\n    bootstrap: {}\n", order.join(",")));
        let t = ws.topic(&format!("t{i}"));
        ws.write("topics/t.yaml", &format!("topics:\n  - name: {t}\n    partitions: 2\n    replicationFactor: 1\n"));
        ws.run(&["apply", "--auto-approve"]).expect_code(0);
        ws.write("topics/t.yaml", &format!("topics:\n  - name: {t}\n    partitions: 2\n    replicationFactor: 2\n"));
        let apply = ws.run(&["apply", "--auto-approve"]);
        apply.expect_code(0);
        assert!(apply.stderr.contains("Reassignment done: 2 of 2 partition(s)."), "first {first}: {}", apply.stderr);
        ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
        ws.write("topics/t.yaml", "topics: []\n");
    }
}

/// The wrong door: a bootstrap that is ZooKeeper's port (in ZooKeeper mode) or a closed port gets a
/// likely cause that says so.
#[tokio::test]
async fn a_bootstrap_that_is_not_a_kafka_listener_is_explained() {
    require_cluster!("a_bootstrap_that_is_not_a_kafka_listener_is_explained");
    let ws = Workspace::new("rel-door");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let mut doors = vec![(closed, "nothing accepts connections")];
    if let Ok(zk) = std::env::var("TOPICFORM_TEST_ZOOKEEPER") {
        doors.push((zk, "is a ZooKeeper server, not a Kafka broker"));
    }
    for (address, cause) in doors {
        ws.write("topicform.yaml", &format!("clusters:\n  test:\n    bootstrap: {address}\n"));
        ws.write("topics/t.yaml", "topics: []\n");
        let plan = ws.run(&["plan", "--timeout", "5"]);
        plan.expect_code(1);
        assert!(plan.stderr.contains(cause), "{address}: {}", plan.stderr);
    }
}
