//! End-to-end tests of `plan` and `apply` against a real Kafka cluster (see `common` for which one).
//! Each test declares topics under its own prefix, runs the `topicform` binary, and checks both its
//! output and what the cluster then holds.

mod common;

use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};
use topicform::cluster::Admin;
use topicform::live::{ConfigSource, Scope};
use topicform::plan::Change;

macro_rules! require_cluster {
    ($name:expr) => {
        if !cluster_available($name) {
            return;
        }
    };
}

/// A declared topic: name, partitions, replication factor, configs.
type Declared<'a> = (&'a str, u32, u16, &'a [(&'a str, &'a str)]);

fn topics_yaml(entries: &[Declared<'_>]) -> String {
    let mut out = String::from("topics:\n");
    for (name, partitions, rf, configs) in entries {
        out += &format!("  - name: {name}\n    partitions: {partitions}\n    replicationFactor: {rf}\n");
        if !configs.is_empty() {
            out += "    config:\n";
            for (k, v) in *configs {
                out += &format!("      {k}: {v}\n");
            }
        }
    }
    out
}

#[tokio::test]
async fn create_then_plan_is_empty() {
    require_cluster!("create_then_plan_is_empty");
    let ws = Workspace::new("create");
    let (a, b) = (ws.topic("a"), ws.topic("b"));
    ws.write(
        "topics/t.yaml",
        &topics_yaml(&[(&a, 3, 3, &[("retention.ms", "3600000"), ("cleanup.policy", "compact")]), (&b, 1, 1, &[])]),
    );

    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.starts_with("Plan: 2 to create, 0 to change, 0 to delete."), "{}", plan.stdout);

    let apply = ws.run(&["apply", "--auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Applied 2 of 2 change(s)."), "{}", apply.stdout);
    assert!(apply.stdout.contains("Verified: the cluster matches the files."), "{}", apply.stdout);

    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    let live = ws.live().await;
    let topic = &live.topics[&a];
    assert_eq!(topic.partitions.len(), 3);
    assert_eq!(topic.replication_factor(), 3);
    for p in &topic.partitions {
        let mut replicas = p.replicas.clone();
        replicas.sort();
        assert_eq!(replicas, [1, 2, 3], "RF 3 on 3 brokers puts a replica on each");
    }
    let overrides: Vec<(&str, Option<&str>)> = topic.overrides().map(|(k, c)| (k, c.value.as_deref())).collect();
    assert_eq!(overrides, [("cleanup.policy", Some("compact")), ("retention.ms", Some("3600000"))]);
    assert_eq!(live.topics[&b].replication_factor(), 1);
}

#[tokio::test]
async fn partitions_grow() {
    require_cluster!("partitions_grow");
    let ws = Workspace::new("grow");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 3, 1, &[])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 6, 1, &[])]));
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("  - partitions: 3\n  + partitions: 6\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains(&format!("~ topic {t} (change, caution)")), "{}", plan.stdout);

    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(ws.live().await.topics[&t].partitions.len(), 6);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[tokio::test]
async fn config_change() {
    require_cluster!("config_change");
    let ws = Workspace::new("config");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 1, 1, &[("retention.ms", "3600000")])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    ws.write(
        "topics/t.yaml",
        &topics_yaml(&[(&t, 1, 1, &[("retention.ms", "7200000"), ("max.message.bytes", "2097152")])]),
    );
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("  -   retention.ms: 3600000 (1h)\n  +   retention.ms: 7200000 (2h)\n"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "  +   max.message.bytes: 2097152 (2MiB)  # was 1048588 (1.0 MiB), inherited from the Kafka default"
        ),
        "{}",
        plan.stdout
    );

    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let live = ws.live().await;
    let configs = &live.topics[&t].configs;
    assert_eq!(configs.get("retention.ms").unwrap().value.as_deref(), Some("7200000"));
    assert_eq!(configs.get("retention.ms").unwrap().source, ConfigSource::TopicOverride);
    assert_eq!(configs.get("max.message.bytes").unwrap().value.as_deref(), Some("2097152"));
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[tokio::test]
async fn undeclared_override_is_unset() {
    require_cluster!("undeclared_override_is_unset");
    let ws = Workspace::new("unset");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 1, 1, &[("retention.ms", "3600000")])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    // Someone changes the topic by hand.
    let hand_made =
        Change::SetConfig { topic: t.clone(), key: "segment.ms".into(), before: None, after: "600000".into() };
    let results = topicform::apply::execute(&ws.admin(), &[hand_made]).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("  -   segment.ms: 600000 (10m)  # unset: falls back to 604800000 (7d) from the Kafka default"),
        "{}",
        plan.stdout
    );

    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let live = ws.live().await;
    let segment = &live.topics[&t].configs.get("segment.ms").unwrap();
    assert_ne!(segment.source, ConfigSource::TopicOverride, "the override is gone");
    assert_eq!(
        live.topics[&t].configs.get("retention.ms").unwrap().value.as_deref(),
        Some("3600000"),
        "declared one stays"
    );
}

#[tokio::test]
async fn partition_decrease_is_refused_and_nothing_changes() {
    require_cluster!("partition_decrease_is_refused_and_nothing_changes");
    let ws = Workspace::new("shrink");
    let (t, other) = (ws.topic("t"), ws.topic("other"));
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 6, 1, &[]), (&other, 1, 1, &[])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let before = ws.live().await;

    // A decrease, next to changes that would be fine on their own.
    ws.write(
        "topics/t.yaml",
        &topics_yaml(&[(&t, 3, 1, &[("retention.ms", "1000")]), (&other, 2, 1, &[]), (&ws.topic("new"), 1, 1, &[])]),
    );
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(1);
    assert!(plan.stdout.contains("declares 3 partitions but the topic has 6"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Kafka cannot remove partitions"), "{}", plan.stdout);
    assert!(plan.stdout.contains("topics/t.yaml:2:11"), "names where the topic is declared: {}", plan.stdout);

    let apply = ws.run(&["apply", "--auto-approve"]);
    apply.expect_code(1);
    assert!(!apply.stdout.contains("Applied"), "{}", apply.stdout);
    assert_eq!(ws.live().await, before, "nothing changed");
}

#[tokio::test]
async fn apply_twice_is_a_no_op() {
    require_cluster!("apply_twice_is_a_no_op");
    let ws = Workspace::new("twice");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 2, 3, &[("min.insync.replicas", "2")])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let after_first = ws.live().await;

    let second = ws.run(&["apply", "--auto-approve"]);
    second.expect_code(0);
    assert_eq!(second.stdout.trim(), "No changes. The cluster matches the files.");
    assert_eq!(ws.live().await.topics[&t].configs, after_first.topics[&t].configs);
}

#[tokio::test]
async fn detailed_exitcode() {
    require_cluster!("detailed_exitcode");
    let ws = Workspace::new("exitcode");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 1, 1, &[])]));

    ws.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    ws.run(&["plan"]).expect_code(0);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // Errors are 1 with or without the flag: invalid files, and a blocked plan.
    ws.write("topics/bad.yaml", "topics:\n  - name: x\n    partitions: 0\n");
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(1);
    std::fs::remove_file(ws.path().join("topics/bad.yaml")).unwrap();
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 1, 4, &[])]));
    let blocked = ws.run(&["plan", "--detailed-exitcode"]);
    blocked.expect_code(1);
    assert!(
        blocked.stdout.contains("declares replication factor 4, but the cluster has 3 broker(s)"),
        "{}",
        blocked.stdout
    );
}

#[tokio::test]
async fn apply_without_a_terminal_needs_auto_approve() {
    require_cluster!("apply_without_a_terminal_needs_auto_approve");
    let ws = Workspace::new("approve");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 1, 1, &[])]));

    let started = Instant::now();
    let run = ws.run(&["apply"]);
    run.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(20), "fails at once, never waits for input");
    assert!(run.stderr.contains("refusing to apply without --auto-approve"), "{}", run.stderr);
    assert!(ws.live().await.topics.is_empty(), "nothing was created");
}

#[tokio::test]
async fn broker_refusal_in_preflight_stops_the_whole_apply() {
    require_cluster!("broker_refusal_in_preflight_stops_the_whole_apply");
    let ws = Workspace::new("preflight");
    let (bad, good) = (ws.topic("bad"), ws.topic("good"));
    // Replication factor 4 on 3 brokers: the brokers refuse it, and the good topic of the same
    // apply must not be created either.
    ws.write("topics/t.yaml", &topics_yaml(&[(&bad, 1, 4, &[]), (&good, 1, 1, &[])]));

    let check = ws.run(&["plan", "--validate-on-broker"]);
    check.expect_code(1);
    assert!(
        check.stderr.contains(&format!(
            "refused: create topic {bad}: CreateTopics `{bad}` refused: INVALID_REPLICATION_FACTOR"
        )),
        "{}",
        check.stderr
    );

    let run = ws.run(&["apply", "--auto-approve"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(&format!(
            "refused: create topic {bad}: CreateTopics `{bad}` refused: INVALID_REPLICATION_FACTOR"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("refused 1 change(s) in the preflight check; nothing was applied"), "{}", run.stderr);
    assert!(!run.stdout.contains("Applied"), "{}", run.stdout);
    assert!(ws.live().await.topics.is_empty(), "nothing was created");

    ws.write("topics/t.yaml", &topics_yaml(&[(&good, 1, 1, &[])]));
    let fine = ws.run(&["plan", "--validate-on-broker"]);
    fine.expect_code(0);
    assert!(fine.stderr.contains("The brokers accept every change."), "{}", fine.stderr);
}

#[tokio::test]
async fn changes_past_the_controllers_per_request_limit_are_split() {
    require_cluster!("changes_past_the_controllers_per_request_limit_are_split");
    let ws = Workspace::new("split");
    let names = [ws.topic("a"), ws.topic("b"), ws.topic("c")];
    // 12,000 partitions: a KRaft controller refuses more than 10,000 in one request (POLICY_VIOLATION,
    // "Excessively large number of partitions per request") and more than 10,000 records in one
    // operation. Checked by the brokers only (validate-only), so that no 12,000 logs are made.
    let declared: Vec<Declared<'_>> = names.iter().map(|n| (n.as_str(), 4000, 1, &[][..])).collect();
    ws.write("topics/t.yaml", &topics_yaml(&declared));
    let check = ws.run(&["plan", "--validate-on-broker"]);
    check.expect_code(0);
    assert!(check.stderr.contains("The brokers accept every change."), "{}", check.stderr);
    assert!(ws.live().await.topics.is_empty(), "nothing was created");
}

#[tokio::test]
async fn deletion_is_explicit_and_guarded() {
    require_cluster!("deletion_is_explicit_and_guarded");
    let ws = Workspace::new("delete");
    let (gone, stray, kept) = (ws.topic("gone"), ws.topic("stray"), ws.topic("kept"));
    ws.write(
        "topicform.yaml",
        &format!("clusters:\n  test:\n    bootstrap: {}\nowns: [\"{}.*\"]\n", ws.bootstrap, ws.prefix),
    );
    let created = topicform::apply::execute(
        &ws.admin(),
        &[
            Change::CreateTopic {
                topic: gone.clone(),
                partitions: 1,
                replication_factor: Some(1),
                configs: Default::default(),
            },
            Change::CreateTopic {
                topic: stray.clone(),
                partitions: 1,
                replication_factor: Some(1),
                configs: Default::default(),
            },
        ],
    )
    .await;
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    ws.write(
        "topics/t.yaml",
        &format!("topics:\n  - name: {gone}\n    delete: true\n  - name: {kept}\n    partitions: 1\n    replicationFactor: 1\n"),
    );

    // The plan shows the deletion as destructive; the stray topic is only listed.
    let plan = wait_for(&ws, &["plan"], &stray).await;
    assert!(plan.stdout.contains(&format!("- topic {gone} (delete, destructive)")), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to create, 0 to change, 1 to delete; 1 unmanaged."), "{}", plan.stdout);

    // --prune without --max-destroy: refused before anything happens.
    let refused = ws.run(&["apply", "--auto-approve", "--prune"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("the plan prunes 1 topic(s), which needs --max-destroy N; nothing was applied"),
        "{}",
        refused.stderr
    );
    let tight = ws.run(&["apply", "--auto-approve", "--prune", "--max-destroy", "1"]);
    tight.expect_code(1);
    assert!(tight.stderr.contains("the plan deletes 2 topic(s), more than --max-destroy 1"), "{}", tight.stderr);
    assert!(ws.live().await.topics.contains_key(&gone), "nothing deleted yet");

    // The explicit deletion alone needs no flag.
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let live = ws.live().await;
    assert!(!live.topics.contains_key(&gone) && live.topics.contains_key(&kept) && live.topics.contains_key(&stray));

    ws.run(&["apply", "--auto-approve", "--prune", "--max-destroy", "1"]).expect_code(0);
    let live = ws.live().await;
    assert!(!live.topics.contains_key(&stray), "pruned");
    assert!(live.topics.contains_key(&kept));
}

#[tokio::test]
async fn internal_topics_are_never_touched() {
    require_cluster!("internal_topics_are_never_touched");
    let ws = Workspace::new("internal");
    ws.write("topicform.yaml", &format!("clusters:\n  test:\n    bootstrap: {}\nowns: [\"*\"]\n", ws.bootstrap));
    ws.write("topics/t.yaml", "topics:\n  - name: __consumer_offsets\n    delete: true\n");
    let run = ws.run(&["plan"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("topics/t.yaml:2:11: `__consumer_offsets` is an internal topic of Kafka"),
        "{}",
        run.stderr
    );

    // Owning everything and pruning never reaches internal topics. Only the plan is made: pruning a
    // shared test cluster would delete other tests' topics.
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {}\n    partitions: 1\n", ws.topic("t")));
    let plan = ws.run(&["plan", "--prune", "--format", "json"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("__consumer_offsets"), "{}", plan.stdout);
}

/// Runs `args` until its stdout mentions `text` (metadata of topics created a moment ago reaches every
/// broker shortly after), for at most 15 s.
async fn wait_for(ws: &Workspace, args: &[&str], text: &str) -> common::Run {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let run = ws.run(args);
        if run.stdout.contains(text) || Instant::now() > deadline {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn invalid_files_never_reach_the_cluster() {
    // No cluster needed: the project points at a port where nothing listens.
    let ws = Workspace::new("invalid");
    ws.write("topicform.yaml", "clusters:\n  test:\n    bootstrap: 127.0.0.1:1\n");
    ws.write("topics/t.yaml", "topics:\n  - name: ok\n    partitons: 3\n");
    for command in ["plan", "apply"] {
        let run = ws.run(&[command, "--auto-approve"][..if command == "plan" { 1 } else { 2 }]);
        run.expect_code(1);
        assert!(run.stderr.contains("topics/t.yaml:3:5: unknown key `partitons`"), "{}", run.stderr);
        assert!(run.stderr.contains("did you mean `partitions`?"), "{}", run.stderr);
        assert!(!run.stderr.contains("Describing"), "the cluster was never contacted: {}", run.stderr);
    }
}

#[tokio::test]
async fn unreachable_cluster_fails_within_the_timeout() {
    let ws = Workspace::new("unreachable");
    ws.write("topicform.yaml", "clusters:\n  test:\n    bootstrap: 127.0.0.1:1\n");
    ws.write("topics/t.yaml", "topics:\n  - name: t\n    partitions: 1\n");
    let started = Instant::now();
    let run = ws.run(&["plan", "--timeout", "3"]);
    run.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert!(run.stderr.contains("cannot describe cluster `test` at 127.0.0.1:1"), "{}", run.stderr);
}

/// The creation of `n` topics of one partition, RF 1, `retention.ms` 3600000.
fn creates(ws: &Workspace, n: usize) -> Vec<Change> {
    (0..n)
        .map(|i| Change::CreateTopic {
            topic: ws.topic(&format!("t{i:03}")),
            partitions: 1,
            replication_factor: Some(1),
            configs: [("retention.ms".to_owned(), "3600000".to_owned())].into(),
        })
        .collect()
}

#[tokio::test]
async fn describe_and_execute_are_batched() {
    require_cluster!("describe_and_execute_are_batched");
    let ws = Workspace::new("batch");
    let changes = creates(&ws, 40);
    let admin = ws.admin();
    let results = topicform::apply::execute(&admin, &changes).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(admin.requests(), 1, "40 creates are one CreateTopics request");

    // Metadata reaches every broker shortly after the create: wait for it, then measure a fresh client.
    let deadline = Instant::now() + Duration::from_secs(15);
    while ws.live().await.topics.len() < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // As `plan` asks: the files declare `retention.ms` of every topic, so no fallback is needed.
    let admin = ws.admin();
    let declared = changes.iter().map(|c| (c.topic().to_owned(), ["retention.ms".to_owned()].into())).collect();
    let scope = Scope::new([], &[format!("{}.*", ws.prefix)], &[]).unwrap().declaring(declared);
    let live = admin.describe(&scope).await.unwrap();
    assert_eq!(live.topics.len(), 40);
    assert!(live.topics.values().all(|t| t.configs.get("retention.ms").unwrap().value.as_deref() == Some("3600000")));
    assert!(live.topics.values().all(|t| t.configs.len() == 1), "only what the diff reads is kept");
    assert_eq!(
        admin.requests(),
        4,
        "one ApiVersions (the release) and one Metadata (brokers, racks, partitions) on one connection, one \
         DescribeConfigs for 40 topics and one ListPartitionReassignments (moves in progress)"
    );
    // As `snapshot` asks: everything, and what each override falls back to, in one more DescribeConfigs
    // (tests/fidelity.rs checks such a fallback from a broker setting).
    let admin = ws.admin();
    let live = admin.describe(&Scope::new([], &[format!("{}.*", ws.prefix)], &[]).unwrap()).await.unwrap();
    assert!(live.topics.values().all(|t| t.configs.len() > 20), "every entry is kept");
    assert_eq!(admin.requests(), 5, "one DescribeConfigs more, with synonyms, only for the overridden keys");
    let racks: Vec<Option<&str>> = live.brokers.values().map(|b| b.rack.as_deref()).collect();
    assert_eq!(racks, [Some("rack-a"), Some("rack-b"), Some("rack-c")], "racks come from Metadata");
}

#[tokio::test]
async fn describe_requests_are_sized_by_their_answers() {
    require_cluster!("describe_requests_are_sized_by_their_answers");
    let ws = Workspace::new("sized");
    // 300 topics: more than the 256 a first DescribeConfigs request holds (before an answer tells what a
    // topic's weighs).
    let changes = creates(&ws, 300);
    let results = topicform::apply::execute(&ws.admin(), &changes).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ws.live().await.topics.len() < changes.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Named with 3,000 topics that do not exist: more than the 1,536 a first Metadata request holds.
    let names: Vec<String> = changes
        .iter()
        .map(|c| c.topic().to_owned())
        .chain((0..3000).map(|i| ws.topic(&format!("none{i:04}"))))
        .collect();
    let declared = names.iter().map(|n| (n.clone(), vec!["retention.ms".to_owned()])).collect();
    let admin = ws.admin();
    let live = admin.describe(&Scope::new(names, &[], &[]).unwrap().declaring(declared)).await.unwrap();
    assert_eq!(live.topics.len(), changes.len(), "every topic that exists, from both Metadata answers");
    for c in &changes {
        let t = &live.topics[c.topic()];
        assert_eq!(t.partitions.len(), 1);
        let kept = t.configs.get("retention.ms").unwrap();
        assert_eq!(
            (kept.value.as_deref(), kept.source),
            (Some("3600000"), ConfigSource::TopicOverride),
            "{}",
            c.topic()
        );
    }
    // ApiVersions, two Metadata or more, two DescribeConfigs or more, ListPartitionReassignments: one
    // request of each kind (4) would have carried every topic.
    assert!(admin.requests() >= 6, "{} requests", admin.requests());
    assert!(admin.answered_bytes() > 0);
    assert!(!admin.made_librdkafka(), "a describe on topicform's own connections never makes librdkafka's client");
}

#[tokio::test]
async fn replication_factor_changes_by_reassignment() {
    require_cluster!("replication_factor_changes_by_reassignment");
    let ws = Workspace::new("rf");
    let t = ws.topic("t");
    let racks = |live: &topicform::live::Live| -> std::collections::BTreeMap<i32, Option<String>> {
        live.brokers.values().map(|b| (b.id, b.rack.clone())).collect()
    };
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 4, 1, &[("retention.ms", "3600000")])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let before = ws.live().await;

    // 1 -> 3 with a throttle: every partition on three racks, the old replica kept as leader.
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 4, 3, &[("retention.ms", "3600000")])]));
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("  - replicationFactor: 1\n  + replicationFactor: 3\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# partition 0: replicas ["), "the plan shows the moves: {}", plan.stdout);
    let apply = ws.run(&["apply", "--auto-approve", "--throttle", "10MiB/s"]);
    apply.expect_code(0);
    assert!(apply.stderr.contains("Replication throttled to 10485760 bytes/s"), "{}", apply.stderr);
    assert!(apply.stderr.contains("Reassignment done: 4 of 4 partition(s)."), "{}", apply.stderr);
    assert!(apply.stderr.contains("Replication throttle removed."), "{}", apply.stderr);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    let live = ws.live().await;
    let rack_of = racks(&live);
    for (p, old) in live.topics[&t].partitions.iter().zip(&before.topics[&t].partitions) {
        assert_eq!(p.replicas.len(), 3, "{p:?}");
        assert_eq!(p.replicas[0], old.replicas[0], "the preferred leader is kept");
        let used: std::collections::BTreeSet<_> = p.replicas.iter().map(|b| &rack_of[b]).collect();
        assert_eq!(used.len(), 3, "one replica per rack: {p:?}");
    }
    // The throttle is gone: no throttled-replica overrides left on the topic, no rate on the brokers.
    assert!(
        !live.topics[&t]
            .configs
            .iter()
            .any(|(k, c)| k.contains("throttled") && c.source == ConfigSource::TopicOverride)
    );

    // 3 -> 2: replicas only removed, leaders kept.
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 4, 2, &[("retention.ms", "3600000")])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let after = ws.live().await;
    for (p, old) in after.topics[&t].partitions.iter().zip(&live.topics[&t].partitions) {
        assert_eq!(p.replicas.len(), 2);
        assert_eq!(p.replicas[0], old.replicas[0]);
        assert!(p.replicas.iter().all(|b| old.replicas.contains(b)), "only removals: {p:?} from {old:?}");
    }
}

#[tokio::test]
async fn new_partitions_are_rack_aware() {
    require_cluster!("new_partitions_are_rack_aware");
    let ws = Workspace::new("newparts");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 2, 3, &[])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write("topics/t.yaml", &topics_yaml(&[(&t, 6, 3, &[])]));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let live = ws.live().await;
    let rack_of: std::collections::BTreeMap<i32, Option<String>> =
        live.brokers.values().map(|b| (b.id, b.rack.clone())).collect();
    // Kafka's own placer (KRaft) is rack-aware: every new partition spans the three racks, and leaders
    // are spread.
    let mut leaders = std::collections::BTreeMap::<i32, usize>::new();
    for p in &live.topics[&t].partitions {
        let used: std::collections::BTreeSet<_> = p.replicas.iter().map(|b| &rack_of[b]).collect();
        assert_eq!(used.len(), 3, "{p:?}");
        *leaders.entry(p.replicas[0]).or_default() += 1;
    }
    assert!(leaders.values().all(|&n| n == 2), "preferred leaders spread evenly: {leaders:?}");
}

#[tokio::test]
async fn two_applies_at_once_both_succeed_and_converge() {
    require_cluster!("two_applies_at_once_both_succeed_and_converge");
    let ws = Workspace::new("concurrent");
    let entries: Vec<String> = (0..10).map(|i| ws.topic(&format!("t{i}"))).collect();
    let declared: Vec<Declared<'_>> =
        entries.iter().map(|t| (t.as_str(), 2, 1, &[("retention.ms", "3600000")][..])).collect();
    ws.write("topics/t.yaml", &topics_yaml(&declared));

    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_topicform"))
            .args(["apply", "--auto-approve"])
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let run = common::Run::from(child.wait_with_output().unwrap());
        // TOPIC_ALREADY_EXISTS for a topic the other apply created counts as created.
        run.expect_code(0);
    }
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(ws.live().await.topics.len(), 10);
}
