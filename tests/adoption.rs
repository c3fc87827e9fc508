//! Adopting an existing cluster: import writes files whose first plan is empty; list and describe show
//! what `kafka-topics` shows.

mod common;

use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};
use topicform::cluster::Admin;
use topicform::plan::Change;

#[tokio::test]
async fn import_of_a_varied_cluster_plans_empty() {
    if !cluster_available("import_of_a_varied_cluster_plans_empty") {
        return;
    }
    let ws = Workspace::new("import");
    let overrides: &[&[(&str, &str)]] = &[
        &[],
        &[("cleanup.policy", "compact"), ("min.compaction.lag.ms", "60000")],
        &[("retention.ms", "3600000")],
        &[("retention.ms", "-1"), ("retention.bytes", "10737418240")],
        &[("cleanup.policy", "compact,delete"), ("segment.bytes", "104857600")],
        &[("min.insync.replicas", "2"), ("unclean.leader.election.enable", "false")],
        &[("compression.type", "zstd"), ("max.message.bytes", "2097152")],
        &[("message.timestamp.type", "LogAppendTime"), ("min.cleanable.dirty.ratio", "0.2")],
    ];
    let groups = ["orders", "payments", "users", "audit", "clicks"];
    // As many copies as the cluster has brokers, up to 3 (the version matrix runs 2).
    let brokers = ws.admin().describe(&topicform::live::Scope::new([], &[], &[]).unwrap()).await.unwrap().brokers.len();
    let max_rf = brokers.clamp(2, 3) as u16;
    let mut changes = Vec::new();
    for i in 0..50 {
        let configs = overrides[i % overrides.len()];
        // min.insync.replicas 2 needs at least replication factor 2.
        let rf =
            if configs.iter().any(|(k, _)| *k == "min.insync.replicas") { max_rf } else { 1 + (i as u16 % max_rf) };
        changes.push(Change::CreateTopic {
            topic: format!("{}.{}.t{i:02}", ws.prefix, groups[i % groups.len()]),
            partitions: 1 + (i % 4) as u32,
            replication_factor: Some(rf),
            configs: configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
    }
    let results = topicform::apply::execute(&ws.admin(), &changes).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while ws.live().await.topics.len() < 50 {
        assert!(Instant::now() < deadline, "the topics appear in metadata");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let pattern = format!("^{}", regex::escape(&ws.prefix));
    let import = ws.run(&["import", "--match", &pattern, "--out", "imported"]);
    import.expect_code(0);
    assert!(import.stderr.contains("Imported 50 topic(s)"), "{}", import.stderr);
    let files: Vec<String> = std::fs::read_dir(ws.path().join("imported"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    assert_eq!(files.len(), 1, "one prefix, one file: {files:?}");
    // Outside a project with `schemas/`, the modeline points at a schema written beside the files.
    assert!(ws.path().join("imported/topicform.schema.json").exists());
    let text = std::fs::read_to_string(ws.path().join("imported").join(&files[0])).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema="), "{text}");
    assert!(!text.contains("604800000"), "inherited defaults are not imported:\n{text}");

    ws.run(&["validate", "imported"]).expect_code(0);
    let plan = ws.run(&["plan", "--detailed-exitcode", "imported"]);
    assert_eq!(plan.code, 0, "the first plan after import is empty:\n{}\n{}", plan.stdout, plan.stderr);

    // A second import refuses to overwrite.
    let again = ws.run(&["import", "--match", &pattern, "--out", "imported"]);
    again.expect_code(1);
    assert!(again.stderr.contains("pass --force to overwrite"), "{}", again.stderr);
}

#[tokio::test]
async fn list_and_describe() {
    if !cluster_available("list_and_describe") {
        return;
    }
    let ws = Workspace::new("list");
    let t = ws.topic("t");
    let brokers = ws.admin().describe(&topicform::live::Scope::new([], &[], &[]).unwrap()).await.unwrap().brokers.len();
    let rf = brokers.min(3);
    ws.write(
        "topics/t.yaml",
        &format!(
            "topics:\n  - name: {t}\n    partitions: 3\n    replicationFactor: {rf}\n    config:\n      retention.ms: 1h\n"
        ),
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    let pattern = format!("^{}", regex::escape(&ws.prefix));
    // A new topic reaches every broker's metadata a moment after the one that verified it.
    let deadline = Instant::now() + Duration::from_secs(15);
    let list = loop {
        let list = ws.run(&["list", "--match", &pattern]);
        if list.stdout.lines().count() == 2 || Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    list.expect_code(0);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", list.stdout);
    assert!(lines[0].starts_with("TOPIC") && lines[1].starts_with(&t), "{}", list.stdout);
    assert!(lines[1].ends_with(&format!("3   {rf}")), "{}", list.stdout);

    let describe = ws.run(&["describe", &t]);
    describe.expect_code(0);
    assert!(
        describe.stdout.contains(&format!(
            "Topic: {t}\tPartitionCount: 3\tReplicationFactor: {rf}\tConfigs: retention.ms=3600000"
        )),
        "{}",
        describe.stdout
    );
    assert_eq!(describe.stdout.matches("\tPartition: ").count(), 3, "{}", describe.stdout);

    let json = ws.run(&["describe", &t, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["topics"][0]["replicationFactor"], rf);
    assert_eq!(value["topics"][0]["health"]["underReplicated"], 0);

    ws.run(&["describe", &ws.topic("missing")]).expect_code(1);
}
