//! A fleet on real clusters: the test cluster, a second one (`TOPICFORM_TEST_FLEET_BOOTSTRAP`) and one
//! that nothing answers. `plan` reports all three in every format with the aggregated exit status;
//! `apply` over a named list converges both live clusters.
//!
//! scripts/test runs it in its fleet phase, while the main test cluster and the first matrix cluster
//! both run; in the main run it sets `TOPICFORM_TEST_FLEET_LATER=1`, and this test says it runs later.
//! Elsewhere without a second cluster it is skipped with a loud message, or fails when CI or
//! TOPICFORM_REQUIRE_CLUSTER is set.

mod common;

use std::net::TcpListener;

use common::{Workspace, cluster_available};
use serde_json::Value;

fn second_cluster(test: &str) -> Option<String> {
    if !cluster_available(test) {
        return None;
    }
    if let Ok(second) = std::env::var("TOPICFORM_TEST_FLEET_BOOTSTRAP") {
        return Some(second);
    }
    if std::env::var("TOPICFORM_TEST_FLEET_LATER").is_ok_and(|v| v == "1") {
        eprintln!("{test}: runs in scripts/test's fleet phase, with a second cluster");
        return None;
    }
    let message = "no second cluster (TOPICFORM_TEST_FLEET_BOOTSTRAP); scripts/test provides one";
    let set = |name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if set("CI") || set("TOPICFORM_REQUIRE_CLUSTER") {
        panic!("{message}; CI/TOPICFORM_REQUIRE_CLUSTER is set, so this is a failure, not a skip");
    }
    eprintln!("\n!!! SKIPPED {test}: {message}\n");
    None
}

fn statuses(json: &str) -> Vec<(String, String)> {
    let report: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cluster"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_fleet_plan_reports_every_cluster_with_the_aggregated_exit_status_in_every_format() {
    let Some(second) = second_cluster("a_fleet_plan_reports_every_cluster") else { return };
    let ws = Workspace::new("fleet");
    // The same prefix on the second cluster, deleted when this is dropped.
    let _second = Workspace { dir: tempfile::tempdir().unwrap(), prefix: ws.prefix.clone(), bootstrap: second.clone() };
    // A port nothing listens on.
    let gone = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    ws.write(
        "topicform.yaml",
        &format!(
            "clusters:\n  main:\n    bootstrap: {}\n  second:\n    bootstrap: {second}\n  gone:\n    bootstrap: 127.0.0.1:{gone}\n\
             owns: [\"{}.*\"]\n",
            ws.bootstrap, ws.prefix
        ),
    );
    let topic = ws.topic("orders");
    ws.write(
        "topics/t.yaml",
        &format!("topics:\n  - name: {topic}\n    partitions: 2\n    replicationFactor: 1\n    config:\n      retention.ms: 1d\n"),
    );
    ws.run(&["apply", "--cluster", "main", "--auto-approve"]).expect_code(0);

    // main in sync, second to create, gone unreachable: 1, in every format.
    let text = ws.run(&["plan", "--all-clusters", "--detailed-exitcode", "--timeout", "3"]);
    text.expect_code(1);
    for section in ["== Cluster `main` ==", "== Cluster `second` ==", "== Cluster `gone` =="] {
        assert!(text.stdout.contains(section), "{section}\n{}", text.stdout);
    }
    assert!(text.stdout.contains("Fleet: 3 cluster(s): 1 ok, 1 with changes, 1 failed."), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("+ topic {topic} (create, safe)")), "{}", text.stdout);
    assert!(text.stdout.contains("failed: cannot describe cluster `gone`"), "{}", text.stdout);
    assert!(text.stderr.contains("[gone] ") && text.stderr.contains("[second] "), "{}", text.stderr);

    let markdown = ws.run(&["plan", "--cluster", "main,second,gone", "--format", "markdown", "--timeout", "3"]);
    markdown.expect_code(1);
    for row in
        ["| `main` | ok | 0 | 0 | 0 | 0 | 0 |", "| `second` | changes | 1 | 0 | 0 | 0 | 0 |", "| `gone` | failed |"]
    {
        assert!(markdown.stdout.contains(row), "{row}\n{}", markdown.stdout);
    }

    let json = ws.run(&["plan", "--cluster", "*", "--format", "json", "--detailed-exitcode", "--timeout", "3"]);
    json.expect_code(1);
    let want = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(statuses(&json.stdout), want(&[("main", "ok"), ("second", "changes"), ("gone", "failed")]));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/fleet.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(jsonschema::is_valid(&schema, &report), "follows schemas/fleet.schema.json: {}", json.stdout);
    assert!(!json.stdout.contains(&second), "no address but in the error message of an unreachable cluster");

    // Without the unreachable one: 2 with --detailed-exitcode, 0 without.
    ws.run(&["plan", "--cluster", "main", "--cluster", "second", "--detailed-exitcode"]).expect_code(2);
    ws.run(&["plan", "--cluster", "main,second"]).expect_code(0);

    // apply over a named list converges both; over a glob it is refused.
    let glob = ws.run(&["apply", "--cluster", "*", "--auto-approve"]);
    glob.expect_code(1);
    assert!(glob.stderr.contains("needs them named"), "{}", glob.stderr);
    let applied = ws.run(&["apply", "--cluster", "second,main", "--auto-approve"]);
    applied.expect_code(0);
    assert!(applied.stdout.contains("Fleet: 2 cluster(s): 2 ok, 0 failed."), "{}", applied.stdout);
    ws.run(&["plan", "--cluster", "main,second", "--detailed-exitcode", "--format", "json"]).expect_code(0);

    // list over the fleet: one section per cluster.
    let list = ws.run(&["list", "--cluster", "main,second", "--match", &format!("^{}", ws.prefix)]);
    list.expect_code(0);
    assert_eq!(list.stdout.matches(&topic).count(), 2, "{}", list.stdout);
}
