//! Changes right after changes, on the real cluster: metadata reaches each broker a moment after the
//! controller, and leaders move after creates. Deletes right after creates are retried until they go
//! through; plans right after thousands of creates never show a created topic as missing.
//!
//! scripts/test runs the thousands-of-topics test in a phase of its own after the main run (it sets
//! `TOPICFORM_TEST_CONSISTENCY_LATER=1` there, and the test says it runs later): the brokers go on
//! removing 2,500 deleted logs for a minute after it, and a broker restarted meanwhile (tests/faults.rs)
//! takes minutes to start.

mod common;

use common::{Workspace, cluster_available};

fn topics(names: &[String], partitions: u32, rf: u16, delete: bool) -> String {
    let mut yaml = String::from("topics:\n");
    for name in names {
        yaml += &format!("  - name: {name}\n    partitions: {partitions}\n    replicationFactor: {rf}\n");
        if delete {
            yaml += "    delete: true\n";
        }
    }
    yaml
}

/// Topics deleted at once after they were created: the brokers may answer `NOT_LEADER_OR_FOLLOWER` or
/// `LEADER_NOT_AVAILABLE` while leaders are elected, which apply retries; the delete goes through and
/// the next plan is empty.
#[tokio::test]
async fn deletes_right_after_creates_are_retried_until_they_go_through() {
    if !cluster_available("deletes_right_after_creates_are_retried_until_they_go_through") {
        return;
    }
    let ws = Workspace::new("delete-after-create");
    let brokers = ws.admin_brokers().await.min(3) as u16;
    for round in 0..3 {
        let names: Vec<String> = (0..20).map(|i| ws.topic(&format!("r{round}-{i}"))).collect();
        ws.write("topics/t.yaml", &topics(&names, 6, brokers, false));
        ws.run(&["apply", "--auto-approve"]).expect_code(0);
        ws.write("topics/t.yaml", &topics(&names, 6, brokers, true));
        let deleted = ws.run(&["apply", "--auto-approve"]);
        deleted.expect_code(0);
        assert!(deleted.stdout.contains(&format!("Applied {0} of {0} change(s)", names.len())), "{}", deleted.stdout);
        let live = ws.live().await;
        assert!(names.iter().all(|n| !live.topics.contains_key(n)), "{:?}", live.topics.keys());
    }
}

/// Thousands of topics created in one apply, then planned again at once, several times: every plan is
/// empty, never "to create" (a broker whose metadata lags is not the only one asked), and verification
/// waited until every broker lists them.
#[tokio::test]
async fn plans_right_after_thousands_of_creates_are_empty() {
    if !cluster_available("plans_right_after_thousands_of_creates_are_empty") {
        return;
    }
    if std::env::var("TOPICFORM_TEST_CONSISTENCY_LATER").is_ok_and(|v| v == "1") {
        eprintln!("plans_right_after_thousands_of_creates_are_empty: runs in scripts/test's consistency phase");
        return;
    }
    let ws = Workspace::new("thousands");
    let names: Vec<String> = (0..2500).map(|i| ws.topic(&format!("t{i:04}"))).collect();
    ws.write("topics/t.yaml", &topics(&names, 1, 1, false));
    let applied = ws.run(&["apply", "--auto-approve"]);
    applied.expect_code(0);
    assert!(applied.stdout.contains("Verified"), "{}", applied.stdout);
    // Each broker alone as the bootstrap server too: whichever broker answers first, none may plan a
    // created topic as missing.
    let mut project = format!("clusters:\n  test:\n    bootstrap: {}\n", ws.bootstrap);
    let servers: Vec<&str> = ws.bootstrap.split(',').map(str::trim).collect();
    for (i, server) in servers.iter().enumerate() {
        project += &format!("  b{i}:\n    bootstrap: {server}\n");
    }
    ws.write("topicform.yaml", &project);
    let clusters: Vec<String> =
        std::iter::once("test".to_owned()).chain((0..servers.len()).map(|i| format!("b{i}"))).collect();
    for round in 0..3 {
        for cluster in &clusters {
            let plan = ws.run(&["plan", "--detailed-exitcode", "--cluster", cluster]);
            assert!(!plan.stdout.contains("to create"), "plan {round} on {cluster} after the apply: {}", plan.stdout);
            plan.expect_code(0);
        }
    }
    // The topics go with the workspace; deleting 2,500 at once is the test of the other direction.
    ws.write("topics/t.yaml", &topics(&names, 1, 1, true));
    let deleted = ws.run(&["apply", "--auto-approve", "--cluster", "test"]);
    deleted.expect_code(0);
    for round in 0..3 {
        for cluster in &clusters {
            let plan = ws.run(&["plan", "--detailed-exitcode", "--cluster", cluster]);
            assert!(!plan.stdout.contains("to delete"), "plan {round} on {cluster} after the delete: {}", plan.stdout);
            plan.expect_code(0);
        }
    }
}
