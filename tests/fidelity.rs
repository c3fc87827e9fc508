//! Plan fidelity against a real cluster: no false drift from formatting, inherited values shown with
//! their source, the catalog equal to what the broker describes, saved plans, and topics outside the
//! files.

mod common;

use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};
use topicform::catalog;
use topicform::cluster::{Admin, ConfigAlter, ConfigOp};
use topicform::live::ConfigSource;
use topicform::plan::Change;

macro_rules! require_cluster {
    ($name:expr) => {
        if !cluster_available($name) {
            return;
        }
    };
}

fn topic_yaml(name: &str, configs: &[(&str, &str)]) -> String {
    let mut out = format!("  - name: {name}\n    partitions: 1\n    replicationFactor: 1\n");
    if !configs.is_empty() {
        out += "    config:\n";
        for (k, v) in configs {
            out += &format!("      {k}: {v}\n");
        }
    }
    out
}

fn create(topic: &str, configs: &[(&str, &str)]) -> Change {
    Change::CreateTopic {
        topic: topic.into(),
        partitions: 1,
        replication_factor: Some(1),
        configs: configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// Each case declares a config in one form, applies, then declares it in another form that means the
/// same to Kafka: the next plan must be empty.
#[tokio::test]
async fn no_false_drift() {
    require_cluster!("no_false_drift");
    let cases: &[(&str, &str, &str, &str)] = &[
        ("days vs milliseconds", "retention.ms", "7d", "604800000"),
        ("quoted vs weeks", "retention.ms", "\"604800000\"", "1w"),
        ("no limit, integer vs string", "retention.ms", "-1", "\"-1\""),
        ("hours", "retention.ms", "12h", "43200000"),
        ("segment hours", "segment.ms", "1h", "3600000"),
        ("seconds", "delete.retention.ms", "1d", "86400s"),
        ("GiB", "segment.bytes", "1GiB", "1073741824"),
        ("MiB vs quoted bytes", "segment.bytes", "512MiB", "\"536870912\""),
        ("message size MiB", "max.message.bytes", "2MiB", "2097152"),
        ("unlimited bytes", "retention.bytes", "-1", "\"-1\""),
        ("a long beyond int", "retention.bytes", "10GiB", "10737418240"),
        ("list order", "cleanup.policy", "[delete, compact]", "\"compact,delete\""),
        ("list vs scalar", "cleanup.policy", "compact", "[compact]"),
        ("equal to the default, any case", "cleanup.policy", "delete", "[Delete]"),
        ("enum case", "compression.type", "ZSTD", "zstd"),
        ("the default enum value", "compression.type", "producer", "Producer"),
        ("timestamp type case", "message.timestamp.type", "logappendtime", "LogAppendTime"),
        ("double trailing zero", "min.cleanable.dirty.ratio", "0.50", "0.5"),
        ("double as string", "min.cleanable.dirty.ratio", "\"0.1\"", "0.10"),
        ("integer for a double", "min.cleanable.dirty.ratio", "1", "1.0"),
        ("boolean case", "preallocate", "True", "\"true\""),
        ("boolean default as string", "preallocate", "\"FALSE\"", "false"),
        ("unclean election", "unclean.leader.election.enable", "false", "\"False\""),
        ("equal to a dynamic broker default", "min.insync.replicas", "1", "\"1\""),
        ("the default in hours", "message.timestamp.after.max.ms", "1h", "3600000"),
        ("int as string", "compression.zstd.level", "\"3\"", "3"),
        ("KiB", "index.interval.bytes", "4KiB", "4096"),
        ("Long.MAX", "flush.messages", "9223372036854775807", "\"9223372036854775807\""),
        ("Long.MAX duration", "max.compaction.lag.ms", "9223372036854775807", "\"9223372036854775807\""),
        ("zero seconds", "segment.jitter.ms", "0s", "0"),
        ("zero milliseconds", "min.compaction.lag.ms", "0ms", "0"),
        ("a -2 sentinel", "local.retention.ms", "-2", "\"-2\""),
        ("minutes", "file.delete.delay.ms", "1m", "60000"),
    ];
    assert!(cases.len() >= 25);
    // Only the configs the test cluster's release has: the others are refused by `plan` (tests/releases.rs).
    let release: catalog::Release =
        std::env::var("TOPICFORM_TEST_KAFKA_VERSION").unwrap_or_else(|_| "4.4.0".into()).parse().unwrap();
    let cases: Vec<_> = cases
        .iter()
        .filter(|(_, key, _, _)| matches!(catalog::lookup(key, Some(release)), catalog::Known::Yes(_)))
        .collect();
    assert!(cases.len() >= 20, "{release} has most of them");
    let ws = Workspace::new("drift");
    let write = |second: bool| {
        let mut yaml = String::from("topics:\n");
        for (i, (_, key, a, b)) in cases.iter().enumerate() {
            yaml += &topic_yaml(&ws.topic(&format!("c{i:02}")), &[(key, if second { b } else { a })]);
        }
        ws.write("topics/t.yaml", &yaml);
    };

    write(false);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let first = ws.run(&["plan", "--detailed-exitcode"]);
    write(true);
    let second = ws.run(&["plan", "--detailed-exitcode"]);
    for (run, form) in [(&first, "as applied"), (&second, "in the other form")] {
        if run.code != 0 {
            let drifting: Vec<&str> = cases
                .iter()
                .enumerate()
                .filter(|(i, _)| run.stdout.contains(&ws.topic(&format!("c{i:02}"))))
                .map(|(_, c)| c.0)
                .collect();
            panic!("false drift {form} in {drifting:?}:\n{}\n{}", run.stdout, run.stderr);
        }
    }
}

/// Removes a dynamic broker config from the brokers when dropped, even after a failure.
struct BrokerDefault {
    ws_bootstrap: String,
    key: &'static str,
    brokers: Vec<i32>,
}

impl Drop for BrokerDefault {
    fn drop(&mut self) {
        let (bootstrap, key, brokers) = (self.ws_bootstrap.clone(), self.key, self.brokers.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let cluster = topicform::desired::ClusterConfig {
                name: "test".into(),
                bootstrap,
                client: Default::default(),
                kafka_version: None,
            };
            let admin = topicform::cluster::kafka::KafkaAdmin::connect(&cluster, Duration::from_secs(10)).unwrap();
            for broker in brokers {
                let unset = ConfigAlter { resource: broker, ops: vec![ConfigOp::Delete { key: key.to_owned() }] };
                let _ = rt.block_on(admin.alter_broker_configs(&[unset]));
            }
        })
        .join();
    }
}

/// A value inherited from a dynamic broker config set at runtime shows with that source, in pins and in
/// the fallback of an unset; after apply, the plan is empty.
#[tokio::test]
async fn dynamic_broker_defaults_are_shown_as_inherited() {
    require_cluster!("dynamic_broker_defaults_are_shown_as_inherited");
    let ws = Workspace::new("dyndefault");
    let (pinned, unset) = (ws.topic("pinned"), ws.topic("unset"));
    // `delete.retention.ms` inherits `log.cleaner.delete.retention.ms`; no other test reads it.
    let admin = ws.admin();
    let brokers: Vec<i32> = admin
        .describe(&topicform::live::Scope::new([], &[], &[]).unwrap())
        .await
        .unwrap()
        .brokers
        .into_keys()
        .collect();
    assert!(
        !brokers.is_empty() && brokers.iter().copied().eq(1..=brokers.len() as i32),
        "the test cluster's brokers are 1 to N: {brokers:?}"
    );
    for broker in brokers.iter().copied() {
        let set = ConfigOp::Set { key: "log.cleaner.delete.retention.ms".into(), value: "3600000".into() };
        let results = admin.alter_broker_configs(&[ConfigAlter { resource: broker, ops: vec![set] }]).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }
    let _restore =
        BrokerDefault { ws_bootstrap: ws.bootstrap.clone(), key: "log.cleaner.delete.retention.ms", brokers };
    let results =
        topicform::apply::execute(&admin, &[create(&pinned, &[]), create(&unset, &[("delete.retention.ms", "5000")])])
            .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    ws.write(
        "topics/t.yaml",
        &format!("topics:\n{}{}", topic_yaml(&pinned, &[("delete.retention.ms", "1h")]), topic_yaml(&unset, &[])),
    );
    // Dynamic configs reach every broker through the metadata log, shortly after the change.
    let deadline = Instant::now() + Duration::from_secs(20);
    let plan = loop {
        let plan = ws.run(&["plan"]);
        if plan.stdout.contains("broker dynamic config") || Instant::now() > deadline {
            break plan;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    plan.expect_code(0);
    assert!(
        plan.stdout.contains(
            "+   delete.retention.ms: 3600000 (1h)  # pin: the value it already inherits from the broker dynamic config"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "-   delete.retention.ms: 5000 (5s)  # unset: falls back to 3600000 (1h) from the broker dynamic config"
        ),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let live = ws.live().await;
    assert_eq!(live.topics[&pinned].configs.get("delete.retention.ms").unwrap().source, ConfigSource::TopicOverride);
    assert_eq!(live.topics[&unset].configs.get("delete.retention.ms").unwrap().source, ConfigSource::DynamicBroker);
}

/// Every topic config the broker describes is in the catalog with the same default, and the catalog
/// has nothing the broker does not describe.
#[tokio::test]
async fn catalog_matches_the_broker() {
    require_cluster!("catalog_matches_the_broker");
    let ws = Workspace::new("catalog");
    let t = ws.topic("t");
    let results = topicform::apply::execute(&ws.admin(), &[create(&t, &[])]).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let live = loop {
        let live = ws.live().await;
        if live.topics.contains_key(&t) || Instant::now() > deadline {
            break live;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let described = &live.topics[&t].configs;
    // The cluster's release: `TOPICFORM_TEST_KAFKA_VERSION`, 4.4.0 (kafka-local's default) when unset.
    let version = std::env::var("TOPICFORM_TEST_KAFKA_VERSION").unwrap_or_else(|_| "4.4.0".into());
    let release: catalog::Release = version.parse().expect("TOPICFORM_TEST_KAFKA_VERSION is a Kafka release");
    let expected = catalog::at(release);
    let mut problems = Vec::new();
    for (key, config) in described {
        match expected.iter().find(|c| c.name == key.as_str()) {
            None => problems.push(format!("the broker describes `{key}`, which the catalog lacks at {release}")),
            // A broker-level setting (such as Kafka 4's cluster-wide min.insync.replicas) may stand in
            // for the default; only Kafka's own default must equal the catalog's.
            Some(spec) if config.source == ConfigSource::Default => {
                if config.value.as_deref().unwrap_or("") != spec.default {
                    problems.push(format!("`{key}`: broker default {:?}, catalog {:?}", config.value, spec.default));
                }
            }
            Some(_) => {}
        }
    }
    for spec in &expected {
        if !described.contains_key(spec.name) {
            problems.push(format!("the catalog has `{}` at {release}, which the broker does not describe", spec.name));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn saved_plans_apply_when_fresh_and_are_refused_when_stale() {
    require_cluster!("saved_plans_apply_when_fresh_and_are_refused_when_stale");
    let ws = Workspace::new("saved");
    let t = ws.topic("t");
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_yaml(&t, &[("retention.ms", "1h")])));
    let plan = ws.run(&["plan", "--out", "plan.json", "--format", "json"]);
    plan.expect_code(0);
    let printed: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(printed["changes"][0]["action"], "create_topic");
    ws.run(&["apply", "plan.json", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    // Applying the same saved plan again: the topic now exists, so the plan is stale.
    let again = ws.run(&["apply", "plan.json", "--auto-approve"]);
    again.expect_code(1);
    assert!(again.stderr.contains(&format!("topic `{t}` was created since the plan was made")), "{}", again.stderr);

    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_yaml(&t, &[("retention.ms", "2h")])));
    ws.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let hand_made =
        Change::SetConfig { topic: t.clone(), key: "retention.ms".into(), before: None, after: "60000".into() };
    assert!(topicform::apply::execute(&ws.admin(), &[hand_made]).await.iter().all(Result::is_ok));
    let stale = ws.run(&["apply", "plan.json", "--auto-approve"]);
    stale.expect_code(1);
    assert!(stale.stderr.contains(&format!("topic `{t}` `retention.ms` was 3600000, now 60000")), "{}", stale.stderr);
    assert_eq!(
        ws.live().await.topics[&t].configs.get("retention.ms").unwrap().value.as_deref(),
        Some("60000"),
        "nothing applied"
    );
}

#[tokio::test]
async fn unmanaged_ignored_and_additive() {
    require_cluster!("unmanaged_ignored_and_additive");
    let ws = Workspace::new("scope");
    let (declared, extra, ignored) = (ws.topic("declared"), ws.topic("extra"), ws.topic("ignored-1"));
    ws.write(
        "topicform.yaml",
        &format!(
            "clusters:\n  test:\n    bootstrap: {}\nowns: [\"{p}.*\"]\nignore: [\"{p}.ignored-*\"]\n",
            ws.bootstrap,
            p = ws.prefix
        ),
    );
    let results = topicform::apply::execute(
        &ws.admin(),
        &[create(&declared, &[("segment.ms", "600000")]), create(&extra, &[]), create(&ignored, &[])],
    )
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    ws.write("topics/t.yaml", &format!("configMode: additive\ntopics:\n{}", topic_yaml(&declared, &[])));

    let deadline = Instant::now() + Duration::from_secs(15);
    let plan = loop {
        let plan = ws.run(&["plan", "--detailed-exitcode"]);
        if plan.stdout.contains(&extra) || Instant::now() > deadline {
            break plan;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    plan.expect_code(0);
    assert!(
        plan.stdout.contains(&format!("Unmanaged: inside `owns` but declared in no file; never changed:\n  {extra}\n")),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains(&ignored), "ignored topics are never reported: {}", plan.stdout);
    assert!(plan.stdout.contains(&format!("topic {declared} keeps segment.ms = 600000 (10m)")), "{}", plan.stdout);

    let markdown = ws.run(&["plan", "--format", "markdown"]);
    assert!(markdown.stdout.contains(&format!("- `{extra}`")), "{}", markdown.stdout);

    // The same file in strict mode unsets the override.
    ws.write("topics/t.yaml", &format!("topics:\n{}", topic_yaml(&declared, &[])));
    let strict = ws.run(&["plan", "--detailed-exitcode"]);
    strict.expect_code(2);
    assert!(strict.stdout.contains("-   segment.ms: 600000 (10m)  # unset"), "{}", strict.stdout);
}

/// A snapshot stands in for the cluster: `plan --from-snapshot` equals `plan` (same changes, pins and
/// unset fallbacks included), says it was made from the snapshot, and the snapshot holds no address.
#[tokio::test]
async fn a_plan_from_a_snapshot_equals_the_live_plan() {
    require_cluster!("a_plan_from_a_snapshot_equals_the_live_plan");
    let ws = Workspace::new("snapshot");
    let (a, b, c) = (ws.topic("a"), ws.topic("b"), ws.topic("c"));
    let first = format!(
        "topics:\n{}{}",
        topic_yaml(&a, &[("retention.ms", "1h"), ("segment.ms", "2h")]),
        topic_yaml(&b, &[("cleanup.policy", "compact")])
    );
    ws.write("topics/t.yaml", &first);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    // Now: a set, an unset with its fallback, a pin of a default, and a create.
    let second = format!(
        "topics:\n{}{}{}",
        topic_yaml(&a, &[("retention.ms", "2h")]),
        topic_yaml(&b, &[("cleanup.policy", "compact"), ("max.message.bytes", "1048588")]),
        topic_yaml(&c, &[])
    );
    ws.write("topics/t.yaml", &second);
    ws.run(&["snapshot", "--out", "s.json"]).expect_code(0);
    let text = std::fs::read_to_string(ws.path().join("s.json")).unwrap();
    let host = ws.bootstrap.split(',').next().unwrap().rsplit_once(':').unwrap().0.to_owned();
    assert!(!text.contains(&host) && !text.contains("bootstrap"), "no address: {text}");

    let live = ws.run(&["plan", "--format", "json"]);
    live.expect_code(0);
    let offline = ws.run(&["plan", "--from-snapshot", "s.json", "--format", "json", "--detailed-exitcode"]);
    offline.expect_code(2);
    let (l, o): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&live.stdout).unwrap(), serde_json::from_str(&offline.stdout).unwrap());
    assert_eq!(l["changes"], o["changes"], "live\n{}\nsnapshot\n{}", live.stdout, offline.stdout);
    assert!(l["changes"].as_array().unwrap().len() >= 4, "{}", live.stdout);
    assert_eq!(o["basis"]["snapshot"], "s.json");
    assert!(!offline.stderr.contains("Describing"), "no cluster was described: {}", offline.stderr);
    let text_plan = ws.run(&["plan", "--from-snapshot", "s.json"]);
    assert!(text_plan.stdout.starts_with("Planned from the snapshot `s.json`"), "{}", text_plan.stdout);
}
