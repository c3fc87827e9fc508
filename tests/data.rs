//! Data-aware safety on the real cluster: records produced with the project's example producer and
//! partly read by a consumer group that stays connected are shown in the plan of the topic's retention
//! cut and deletion (size, records, last write, the active group), and apply refuses the deletion until
//! `--allow-active-data`; a topic with no data and no group deletes without it; a saved plan of idle
//! data is stale once the data is written; and a principal without group access (the secure cluster's
//! `bob`) gets `unknown (not authorised)` and a plan all the same.
//!
//! Runs the `produce` example that cargo has built: `cargo build --examples` first (scripts/test does).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, Workspace, cluster_available, delete_group};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};

macro_rules! require_cluster {
    ($name:expr) => {
        if !cluster_available($name) {
            return;
        }
    };
}

/// The path of a built example.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "the `{name}` example is not built; run `cargo build --examples` first");
    path
}

/// Produces `count` records to `topic` with the example producer, one per line of its input.
fn produce(bootstrap: &str, topic: &str, count: usize) {
    let input: String = (0..count).map(|i| format!("record-{i:05}-{}\n", "x".repeat(100))).collect();
    let mut child = Command::new(example("produce"))
        .args([topic, "--bootstrap", bootstrap])
        .env_remove("KAFKA_BOOTSTRAP")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the produce example starts");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "produce failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A consumer of `group` that has read and committed at least `at_least` records of `topic` and stays
/// in the group (librdkafka heartbeats on its own thread) until it is dropped.
fn consume_part(bootstrap: &str, group: &str, topic: &str, at_least: usize) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut read = 0;
    while read < at_least {
        assert!(Instant::now() < deadline, "read only {read} records of {topic} in 60 s");
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(200)) {
            read += 1;
        }
    }
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();
    consumer
}

fn topic_file(name: &str, extra: &str) -> String {
    format!("  - name: {name}\n    partitions: 3\n{extra}")
}

#[test]
fn data_in_use_is_shown_and_its_deletion_refused_until_allowed() {
    require_cluster!("data_in_use_is_shown_and_its_deletion_refused_until_allowed");
    let ws = Workspace::new("data");
    let (busy, empty) = (ws.topic("busy"), ws.topic("empty"));
    let group = format!("{}.readers", ws.prefix);
    let write = |busy_extra: &str, empty_extra: &str| {
        ws.write(
            "topics/t.yaml",
            &format!("topics:\n{}{}", topic_file(&busy, busy_extra), topic_file(&empty, empty_extra)),
        );
    };
    write("", "");
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    // Nothing deletes or cuts data: the plan asks nothing about it and shows nothing.
    let quiet = ws.run(&["-v", "plan"]);
    quiet.expect_code(0);
    assert!(!quiet.stderr.contains("Reading the size"), "{}", quiet.stderr);

    produce(&ws.bootstrap, &busy, 300);
    let consumer = consume_part(&ws.bootstrap, &group, &busy, 50);

    // A retention cut: the facts, and what goes at once (every record is older than a second, once
    // the plan's clock, which counts whole seconds, has moved on).
    std::thread::sleep(Duration::from_millis(2500));
    write("    config:\n      retention.ms: 1s\n", "");
    let cut = ws.run(&["plan"]);
    cut.expect_code(0);
    assert!(cut.stdout.contains("retention.ms: 1000 (1s)  # was 604800000 (7d)"), "{}", cut.stdout);
    assert!(cut.stdout.contains("300 records"), "{}", cut.stdout);
    assert!(cut.stdout.contains("retention.ms cut to 1s: about 300 records"), "{}", cut.stdout);
    assert!(cut.stdout.contains("an estimate"), "{}", cut.stdout);

    // The deletion: size, records, last write, the active group with its lag.
    write("    delete: true\n", "    delete: true\n");
    let plan = ws.run(&["plan", "--format", "json"]);
    plan.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let facts = &json["data"][&busy];
    assert_eq!(facts["records"]["known"], 300, "{facts:#}");
    assert!(facts["size"]["known"]["allReplicasBytes"].as_u64().unwrap() > 30_000, "{facts:#}");
    let age = facts["lastWrite"]["known"]["ageMs"].as_u64().unwrap();
    assert!(age < 120_000, "written within the test: {facts:#}");
    let groups = facts["groups"]["known"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{facts:#}");
    assert_eq!((&groups[0]["group"], &groups[0]["active"]), (&serde_json::json!(group), &serde_json::json!(true)));
    assert!(groups[0]["lag"].as_u64().unwrap() > 0, "read only part: {facts:#}");
    assert_eq!(json["data"][&empty]["records"]["known"], 0);
    assert_eq!(json["data"][&empty]["lastWrite"]["known"]["atMs"], serde_json::Value::Null);

    let text = ws.run(&["plan"]);
    assert!(text.stdout.contains(&format!("1 consumer group(s) active ({group})")), "{}", text.stdout);
    assert!(text.stdout.contains("300 records, last write"), "{}", text.stdout);

    // Apply refuses, naming both rules, and deletes nothing.
    let refused = ws.run(&["apply", "--auto-approve"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains(&format!("topic `{busy}` was written")), "{}", refused.stderr);
    assert!(refused.stderr.contains("recent-write rule"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("active members ({group}), against the active-group rule")),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains(&format!("topic `{empty}`")),
        "the empty topic breaks no rule: {}",
        refused.stderr
    );
    assert_eq!(common_live_count(&ws), 2, "nothing deleted");

    // The empty topic alone deletes without the flag; the busy one with it.
    write("", "    delete: true\n");
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&busy, "    delete: true\n")));
    let capped = ws.run(&["apply", "--auto-approve", "--allow-active-data", "--max-destroy-bytes", "1KiB"]);
    capped.expect_code(1);
    assert!(capped.stderr.contains("more than --max-destroy-bytes 1.0 KiB"), "{}", capped.stderr);
    ws.run(&["apply", "--auto-approve", "--allow-active-data"]).expect_code(0);
    assert_eq!(common_live_count(&ws), 0);
    drop(consumer);
    delete_group(&ws.bootstrap, &group);
}

fn common_live_count(ws: &Workspace) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(ws.live()).topics.len()
}

#[test]
fn a_saved_plan_of_idle_data_is_stale_once_the_data_is_written() {
    require_cluster!("a_saved_plan_of_idle_data_is_stale_once_the_data_is_written");
    let ws = Workspace::new("data-stale");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&t, "")));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&t, "    delete: true\n")));
    ws.run(&["plan", "--out", "plan.json"]).expect_code(0);
    produce(&ws.bootstrap, &t, 5);
    let stale = ws.run(&["apply", "plan.json", "--auto-approve", "--allow-active-data"]);
    stale.expect_code(1);
    assert!(stale.stderr.contains("data was idle when the plan was made and is in use now"), "{}", stale.stderr);
    assert_eq!(common_live_count(&ws), 1, "nothing deleted");
}

/// `bob` may describe topics and the cluster but no consumer group: the groups are not known, and
/// the plan succeeds.
#[test]
fn a_principal_without_group_access_gets_unknown_and_a_plan() {
    require_cluster!("a_principal_without_group_access_gets_unknown_and_a_plan");
    let var = |name: &str| std::env::var(format!("TOPICFORM_TEST_{name}")).ok().filter(|v| !v.is_empty());
    let (Some(sasl_ssl), Some(ca)) = (var("SASL_SSL_BOOTSTRAP"), var("CA")) else {
        let message = "no secure test cluster (TOPICFORM_TEST_SASL_SSL_BOOTSTRAP; scripts/kafka-local start --secure)";
        if std::env::var_os("CI").is_some() || std::env::var("TOPICFORM_TEST_KAFKA_LOCAL").is_ok_and(|v| v == "1") {
            panic!("{message}");
        }
        eprintln!("\n!!! SKIPPED: {message}\n");
        return;
    };
    let ws = Workspace::new("data-bob");
    let t = ws.topic("t");
    let group = format!("{}.readers", ws.prefix);
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&t, "")));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    produce(&ws.bootstrap, &t, 20);
    let consumer = consume_part(&ws.bootstrap, &group, &t, 5);

    ws.write(
        "topicform.yaml",
        &format!(
            "clusters:\n  test:\n    bootstrap: {sasl_ssl}\n    client:\n      security.protocol: SASL_SSL\n      \
             sasl.mechanism: SCRAM-SHA-512\n      sasl.username: bob\n      sasl.password: \"${{KAFKA_PASSWORD}}\"\n      \
             ssl.ca.location: \"{ca}\"\n"
        ),
    );
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&t, "    config:\n      retention.ms: 1h\n")));
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_topicform"))
            .args(args)
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .env("KAFKA_PASSWORD", "bob-secret")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(output)
    };
    let plan = run(&["-vv", "plan"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("bob-secret") && !plan.stderr.contains("bob-secret"), "the password leaked");
    assert!(plan.stdout.contains("consumer groups unknown (not authorised)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("20 records"), "bob may describe the topic: {}", plan.stdout);
    let json = run(&["plan", "--format", "json"]);
    json.expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["data"][&t]["groups"], serde_json::json!({"unknown": "not_authorised"}));
    drop(consumer);
    delete_group(&ws.bootstrap, &group);
}

/// A consumer of `group` subscribed to `topic` that has its assignment and never commits (manual
/// commits, or a group in its first seconds), with librdkafka's `group.protocol` (`classic`, or
/// `consumer` for KIP-848 on Kafka 4). It stays in the group until dropped.
fn subscribe_without_committing(bootstrap: &str, group: &str, topic: &str, protocol: &str) -> BaseConsumer {
    // A regex subscription (librdkafka's leading `^`) for the `consumer-regex` case.
    let (protocol, subscription) = match protocol.strip_suffix("-regex") {
        Some(protocol) => (protocol, format!("^{}$", regex_escape(topic))),
        None => (protocol, topic.to_owned()),
    };
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("group.protocol", protocol)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false");
    let consumer: BaseConsumer = config.create().unwrap();
    consumer.subscribe(&[&subscription]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while consumer.assignment().map(|a| a.count()).unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "{group} got no assignment of {topic} in 60 s");
        let _ = consumer.poll(Duration::from_millis(200));
    }
    consumer
}

/// `name` with the regex metacharacters of topic names (`.`) escaped.
fn regex_escape(name: &str) -> String {
    name.replace('.', "\\.")
}

/// Consumers that never commit (a classic group, and KIP-848 `group.protocol=consumer` ones on Kafka
/// 4, by name and by regex) are active readers: the plan shows them with their members, and apply refuses to delete their
/// topics without `--allow-active-data`; the topics survive. No record is produced, so no other rule
/// (the recent-write one) stands in for the group's.
#[test]
fn consumers_that_never_commit_are_active_readers() {
    require_cluster!("consumers_that_never_commit_are_active_readers");
    let ws = Workspace::new("data-nocommit");
    let major =
        std::env::var("TOPICFORM_TEST_KAFKA_VERSION").ok().and_then(|v| v.split('.').next()?.parse::<u32>().ok());
    // KIP-848 groups are on by default from Kafka 4.0.
    let kip848 = major.is_none_or(|m| m >= 4);
    let mut readers = vec![(ws.topic("classic"), format!("{}.classic", ws.prefix), "classic")];
    if kip848 {
        readers.push((ws.topic("kip848"), format!("{}.kip848", ws.prefix), "consumer"));
        readers.push((ws.topic("kip848-regex"), format!("{}.kip848-regex", ws.prefix), "consumer-regex"));
    }
    let files = |extra: &str| {
        let topics: String = readers.iter().map(|(t, _, _)| topic_file(t, extra)).collect();
        ws.write("topics/t.yaml", &format!("topics:\n{topics}"));
    };
    files("");
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let consumers: Vec<BaseConsumer> =
        readers.iter().map(|(t, g, protocol)| subscribe_without_committing(&ws.bootstrap, g, t, protocol)).collect();

    files("    delete: true\n");
    let plan = ws.run(&["plan", "--format", "json"]);
    plan.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    for (topic, group, protocol) in &readers {
        let facts = &json["data"][topic];
        assert_eq!(facts["records"]["known"], 0, "{facts:#}");
        let groups = facts["groups"]["known"].as_array().unwrap_or_else(|| panic!("{protocol}: {facts:#}"));
        assert_eq!(groups.len(), 1, "{protocol}: {facts:#}");
        assert_eq!(groups[0]["group"], serde_json::json!(group), "{protocol}: {facts:#}");
        assert_eq!(groups[0]["active"], true, "{protocol}: {facts:#}");
        assert_eq!(groups[0]["members"], 1, "{protocol}: {facts:#}");
        assert_eq!(groups[0]["lag"], serde_json::Value::Null, "nothing committed: {facts:#}");
    }
    let text = ws.run(&["plan"]);
    for (_, group, _) in &readers {
        assert!(
            text.stdout.contains(&format!("group {group}: active (Stable), 1 member(s) reading it, nothing committed")),
            "{}",
            text.stdout
        );
    }

    let refused = ws.run(&["apply", "--auto-approve"]);
    refused.expect_code(1);
    for (topic, group, _) in &readers {
        assert!(
            refused.stderr.contains(&format!(
                "topic `{topic}` is read by consumer group(s) with active members ({group}), against the active-group rule"
            )),
            "{}",
            refused.stderr
        );
    }
    assert!(refused.stderr.contains("hint: `--allow-active-data`"), "{}", refused.stderr);
    assert_eq!(common_live_count(&ws), readers.len(), "nothing deleted");

    drop(consumers);
    for (_, group, _) in &readers {
        delete_group(&ws.bootstrap, group);
    }
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(common_live_count(&ws), 0, "once the readers are gone");
}

/// Kafka's console share consumer, run by `scripts/kafka-local tool`; killed when dropped.
struct ShareConsumer(std::process::Child);

impl Drop for ShareConsumer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A KIP-932 share group with a member reading a topic (Kafka's console share consumer, which commits
/// no offset a consumer group would) is an active reader, described by ShareGroupDescribe: the plan
/// shows it, and apply refuses the deletion without `--allow-active-data`.
#[test]
fn a_share_group_with_members_is_an_active_reader() {
    require_cluster!("a_share_group_with_members_is_an_active_reader");
    let version = std::env::var("TOPICFORM_TEST_KAFKA_VERSION").unwrap_or_default();
    let release: Vec<u32> = version.split('.').filter_map(|n| n.parse().ok()).collect();
    let local = std::env::var("TOPICFORM_TEST_KAFKA_LOCAL").is_ok_and(|v| v == "1");
    if !local || release < vec![4, 2] {
        // Share groups are on by default from Kafka 4.2; the console share consumer runs from kafka-local's jars.
        let message = format!("a share group needs a kafka-local cluster of Kafka 4.2 or later (have {version:?})");
        if local && release.len() >= 2 {
            eprintln!("\n!!! SKIPPED (the release has no share groups): {message}\n");
            return;
        }
        if std::env::var_os("CI").is_some() || std::env::var("TOPICFORM_REQUIRE_CLUSTER").is_ok_and(|v| v == "1") {
            panic!("{message}");
        }
        eprintln!("\n!!! SKIPPED: {message}\n");
        return;
    }
    let ws = Workspace::new("data-share");
    let t = ws.topic("t");
    let group = format!("{}.share", ws.prefix);
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&t, "")));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka-local");
    let first = ws.bootstrap.split(',').next().unwrap().to_owned();
    let consumer = ShareConsumer(
        Command::new(script)
            .args(["tool", "org.apache.kafka.tools.consumer.ConsoleShareConsumer", "--bootstrap-server", &first])
            .args(["--topic", &t, "--group", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the console share consumer starts"),
    );

    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_file(&t, "    delete: true\n")));
    // The JVM starts and joins in a few seconds; until then the group has no member.
    let deadline = Instant::now() + Duration::from_secs(90);
    let groups = loop {
        let plan = ws.run(&["plan", "--format", "json"]);
        plan.expect_code(0);
        let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
        let groups = json["data"][&t]["groups"].clone();
        if groups["known"].as_array().is_some_and(|g| g.iter().any(|g| g["members"] == 1)) {
            break groups;
        }
        assert!(Instant::now() < deadline, "the share consumer never joined: {groups:#}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(groups["known"][0]["group"], serde_json::json!(group), "{groups:#}");
    assert_eq!(groups["known"][0]["active"], true, "{groups:#}");

    let refused = ws.run(&["apply", "--auto-approve"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains(&format!("active members ({group}), against the active-group rule")),
        "{}",
        refused.stderr
    );
    assert_eq!(common_live_count(&ws), 1, "nothing deleted");
    drop(consumer);
    delete_group(&ws.bootstrap, &group);
}
