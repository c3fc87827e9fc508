//! Apply under tampering and interruption, on the real cluster: a saved plan is a commitment (an edited
//! or old plan is refused and changes nothing), and a throttled replication-factor change that is
//! interrupted (SIGINT) is reported as such, shown by the next plan, and finished by the next apply,
//! throttle removed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};
use topicform::live::ConfigSource;

macro_rules! require_cluster {
    ($name:expr) => {
        if !cluster_available($name) {
            return;
        }
    };
}

#[tokio::test]
async fn an_edited_or_old_saved_plan_is_refused_and_changes_nothing() {
    require_cluster!("an_edited_or_old_saved_plan_is_refused_and_changes_nothing");
    let ws = Workspace::new("commit");
    let (victim, t) = (ws.topic("victim"), ws.topic("t"));
    let topics = format!(
        "topics:\n  - name: {victim}\n    partitions: 1\n    replicationFactor: 1\n  - name: {t}\n    partitions: 1\n    replicationFactor: 1\n"
    );
    ws.write("topics/t.yaml", &topics);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write("topics/t.yaml", &topics.replace(&format!("{t}\n    partitions: 1"), &format!("{t}\n    partitions: 2")));
    ws.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let text = std::fs::read_to_string(ws.path().join("plan.json")).unwrap();

    // What the issue found: a deletion added to `changes` of a reviewed plan.
    let added = format!(
        "\"changes\": [\n    {{\"action\": \"delete_topic\", \"topic\": \"{victim}\", \"partitions\": 1, \"reason\": \"declared\"}},"
    );
    ws.write("plan.json", &text.replacen("\"changes\": [", &added, 1));
    let edited = ws.run(&["apply", "plan.json", "--auto-approve"]);
    edited.expect_code(1);
    assert!(edited.stderr.contains("it was edited"), "{}", edited.stderr);
    assert!(edited.stderr.contains(&format!("delete topic {victim}")), "names the difference: {}", edited.stderr);
    assert!(ws.live().await.topics.contains_key(&victim), "the victim lives");
    assert_eq!(ws.live().await.topics[&t].partitions.len(), 1, "nothing was applied");

    // As written, but older than allowed.
    ws.write("plan.json", &text);
    std::thread::sleep(Duration::from_millis(2100));
    let old = ws.run(&["apply", "plan.json", "--auto-approve", "--max-plan-age", "1s"]);
    old.expect_code(1);
    assert!(old.stderr.contains("older than the 1s allowed"), "{}", old.stderr);

    // As written and fresh: applied.
    ws.run(&["apply", "plan.json", "--auto-approve"]).expect_code(0);
    assert_eq!(ws.live().await.topics[&t].partitions.len(), 2);
}

/// Runs one of the cluster release's own tools through scripts/kafka-local; its standard output.
fn kafka_tool(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka-local");
    let out = Command::new(script).arg("tool").args(args).output().expect("scripts/kafka-local runs");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn an_interrupted_throttled_move_is_reported_shown_and_finished() {
    require_cluster!("an_interrupted_throttled_move_is_reported_shown_and_finished");
    let ws = Workspace::new("interrupt");
    let t = ws.topic("t");
    let brokers = ws.admin_brokers().await;
    assert!(brokers >= 2, "a replication-factor change needs at least 2 brokers; the test cluster has {brokers}");
    let rf = brokers.min(3);
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {t}\n    partitions: 1\n    replicationFactor: 1\n"));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    // 12 MB of data, so that a move throttled to 1 MiB/s takes several seconds.
    let bootstrap = ws.bootstrap.split(',').next().unwrap().to_owned();
    kafka_tool(&[
        "kafka-producer-perf-test",
        "--topic",
        &t,
        "--num-records",
        "12000",
        "--record-size",
        "1000",
        "--throughput",
        "-1",
        "--producer-props",
        &format!("bootstrap.servers={bootstrap}"),
    ]);

    ws.write("topics/t.yaml", &format!("topics:\n  - name: {t}\n    partitions: 1\n    replicationFactor: {rf}\n"));
    let child = Command::new(env!("CARGO_BIN_EXE_topicform"))
        .args(["apply", "--auto-approve", "--throttle", "1MiB/s"])
        .current_dir(ws.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the move has started and the throttle is set: the topic overrides it. (Every topic
    // lists the throttle keys, as empty defaults: their presence alone is no sign, and waiting for it
    // interrupted the apply while it was still describing once describing got fast enough.)
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let live = ws.live().await;
        let throttled = live.topics[&t]
            .configs
            .iter()
            .any(|(k, c)| k.contains("throttled.replicas") && c.source == ConfigSource::TopicOverride);
        if throttled || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let signalled = Instant::now();
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(signalled.elapsed() < Duration::from_secs(30), "stops within a bound: {:?}", signalled.elapsed());
    assert_eq!(out.status.code(), Some(130), "--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stderr.contains("Interrupted: no new request is sent"), "{stderr}");
    assert!(stdout.contains("Interrupted before apply was done"), "{stdout}");
    assert!(stdout.contains("goes on in the cluster"), "{stdout}");

    // Not converged while the move runs or its throttle stays: the plan says so, never "safe unset".
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("still moving") || plan.stdout.contains("replication throttle"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("throttled.replicas: "), "no plain unset of the throttle: {}", plan.stdout);

    // The next apply waits for the move (or finds it done) and removes the throttle.
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let live = ws.live().await;
    for broker in 1..=brokers {
        let configs = kafka_tool(&[
            "kafka-configs",
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--entity-type",
            "brokers",
            "--entity-name",
            &broker.to_string(),
        ]);
        assert!(!configs.contains("throttled.rate"), "broker {broker} keeps a rate: {configs}");
    }
    assert!(
        !live.topics[&t]
            .configs
            .iter()
            .any(|(k, c)| k.contains("throttled") && c.source == topicform::live::ConfigSource::TopicOverride)
    );
    assert!(live.topics[&t].partitions.iter().all(|p| p.replicas.len() == rf));
}
