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

/// Starts one broker again when dropped, even after a failure, and waits for the cluster.
struct StoppedBroker(String);

impl Drop for StoppedBroker {
    fn drop(&mut self) {
        kafka_local(&["start-broker", &self.0]);
        kafka_local(&["wait"]);
    }
}

/// Produces `count` records of `bytes` bytes to `topic` and waits until every one is acknowledged.
fn produce(bootstrap: &str, topic: &str, count: usize, bytes: usize) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let payload = vec![b'x'; bytes];
    for _ in 0..count {
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(&payload[..]);
        while let Err((e, back)) = producer.send(record) {
            assert!(matches!(e.rdkafka_error_code(), Some(rdkafka::types::RDKafkaErrorCode::QueueFull)), "{e}");
            producer.poll(Duration::from_millis(50));
            record = back;
        }
    }
    producer.flush(Duration::from_secs(30)).expect("every record acknowledged");
}

/// The broker holding a topic's only replica is stopped: its size is unknown, never `0 B on 0
/// replica(s)`, and neither `--max-destroy-bytes` (with or without `--allow-active-data`) nor the
/// in-use rules let the deletion through; the topic survives, and deletes once the broker is back.
#[tokio::test]
async fn a_stopped_replicas_broker_makes_the_size_unknown() {
    if !controlled_cluster("a_stopped_replicas_broker_makes_the_size_unknown") {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().await;
    let ws = Workspace::new("size-unknown");
    let t = ws.topic("t");
    let file = |extra: &str| format!("topics:\n  - name: {t}\n    partitions: 1\n    replicationFactor: 1\n{extra}");
    ws.write("topics/t.yaml", &file(""));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    produce(&ws.bootstrap, &t, 256, 1024);
    let broker = ws.live().await.topics[&t].partitions[0].replicas[0];

    ws.write("topics/t.yaml", &file("    delete: true\n"));
    let known = ws.run(&["plan", "--format", "json"]);
    known.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&known.stdout).unwrap();
    assert!(json["data"][&t]["size"]["known"]["allReplicasBytes"].as_u64().unwrap() > 262_144, "{json:#}");

    assert!(kafka_local(&["stop-broker", &broker.to_string()]), "stopping broker {broker}");
    let restart = StoppedBroker(broker.to_string());
    let admin = ws.admin();
    let everything = topicform::live::Scope::new([], &[], &[]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(45);
    while admin.describe(&everything).await.is_ok_and(|live| live.brokers.contains_key(&broker)) {
        assert!(Instant::now() < deadline, "broker {broker} was never fenced");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let plan = ws.run(&["plan"]);
    plan.expect_code(0);
    let unknown = format!(
        "size unknown (1 of 1 replica(s) not measured (broker {broker}: it is not in the cluster's metadata (stopped \
         or unreachable)); at least 0 B on the others)"
    );
    assert!(plan.stdout.contains(&unknown), "{}", plan.stdout);
    assert!(!plan.stdout.contains("0 B on 0 replica(s)"), "{}", plan.stdout);
    let json = ws.run(&["plan", "--format", "json"]);
    json.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let unmeasured = &json["data"][&t]["size"]["unknown"]["unmeasured"];
    assert_eq!(
        (&unmeasured["replicas"], &unmeasured["of"]),
        (&serde_json::json!(1), &serde_json::json!(1)),
        "{json:#}"
    );
    assert_eq!(unmeasured["brokers"][0]["broker"], serde_json::json!(broker), "{json:#}");

    for extra in [&[][..], &["--allow-active-data"][..]] {
        let mut args = vec!["apply", "--auto-approve", "--max-destroy-bytes", "1KiB"];
        args.extend_from_slice(extra);
        let refused = ws.run(&args);
        refused.expect_code(1);
        assert!(refused.stderr.contains("so the --max-destroy-bytes rule cannot be checked"), "{}", refused.stderr);
        assert!(refused.stderr.contains("bring back the brokers that did not answer"), "{}", refused.stderr);
    }
    let refused = ws.run(&["apply", "--auto-approve"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("so the recent-write rule cannot be checked"), "{}", refused.stderr);
    assert!(ws.live().await.topics.contains_key(&t), "the topic survives");

    drop(restart);
    // Back: the size is known again, and the deletion goes with the flags it needs.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = ws.run(&["apply", "--auto-approve", "--allow-active-data", "--max-destroy-bytes", "1MiB"]);
        if run.code == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "never deleted once the broker was back: {}", run.stderr);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(!ws.live().await.topics.contains_key(&t));
}

/// A Kafka Connect worker (distributed mode) run by `scripts/kafka-local tool`; stopped when dropped,
/// gracefully so that it leaves its group (killed after half a minute).
struct ConnectWorker(std::process::Child);

impl Drop for ConnectWorker {
    fn drop(&mut self) {
        // The script execs java: its pid is the worker's.
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Deletes `group` once it has no member left, waiting at most a minute: while a group of another
/// protocol than `consumer` has members, no deletion on the cluster passes the in-use rules, so it must
/// not outlive its test.
async fn delete_group_when_empty(bootstrap: &str, group: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::types::RDKafkaErrorCode;
    let admin: AdminClient<DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let gone = admin.delete_groups(&[group], &AdminOptions::new()).await.is_ok_and(|results| {
            results.iter().all(|r| matches!(r, Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound))))
        });
        if gone {
            return;
        }
        assert!(Instant::now() < deadline, "group {group} still has members a minute after its worker stopped");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A Kafka Connect worker's group (protocol `connect`) shares out connectors and tasks, not partitions:
/// while a real worker runs, an idle topic's deletion still plans with its groups known and applies
/// without `--allow-active-data` (calling every topic's readers unknown would block each deletion on
/// any cluster running Connect). Any other undecodable protocol stays unknown (unit tests in
/// `cluster/kafka/data.rs`).
#[tokio::test]
async fn a_connect_workers_group_reads_no_topic_through_the_group() {
    if !controlled_cluster("a_connect_workers_group_reads_no_topic_through_the_group") {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().await;
    let ws = Workspace::new("connect-group");
    let t = ws.topic("t");
    let group = format!("{}.connect", ws.prefix);
    let file = |extra: &str| format!("topics:\n  - name: {t}\n    partitions: 1\n    replicationFactor: 1\n{extra}");
    ws.write("topics/t.yaml", &file(""));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    // The worker's REST port: the cluster's base port + 50, out of kafka-local's ranges.
    let base: u16 = std::env::var("TOPICFORM_KAFKA_BASE_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(9092);
    let first = ws.bootstrap.split(',').next().unwrap();
    let p = &ws.prefix;
    ws.write(
        "connect.properties",
        &format!(
            "bootstrap.servers={first}\ngroup.id={group}\nlisteners=http://127.0.0.1:{}\n\
             key.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             config.storage.topic={p}.configs\noffset.storage.topic={p}.offsets\nstatus.storage.topic={p}.status\n\
             config.storage.replication.factor=1\noffset.storage.replication.factor=1\n\
             status.storage.replication.factor=1\noffset.storage.partitions=1\nstatus.storage.partitions=1\n",
            base + 50
        ),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka-local");
    let properties = ws.path().join("connect.properties");
    let worker = ConnectWorker(
        Command::new(script)
            .args(["tool", "org.apache.kafka.connect.cli.ConnectDistributed"])
            .arg(&properties)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(ws.path().join("connect.log")).unwrap())
            .spawn()
            .expect("the Connect worker starts"),
    );

    // The JVM starts and the worker joins its group within seconds.
    let members = || {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer =
            rdkafka::ClientConfig::new().set("bootstrap.servers", &ws.bootstrap).create().unwrap();
        let list = consumer.fetch_group_list(Some(&group), Duration::from_secs(10));
        list.ok()
            .and_then(|l| {
                l.groups().iter().find(|g| g.name() == group).map(|g| (g.protocol_type().to_owned(), g.members().len()))
            })
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (protocol, count) = members();
        if count > 0 {
            assert_eq!(protocol, "connect");
            break;
        }
        let log = std::fs::read_to_string(ws.path().join("connect.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        assert!(Instant::now() < deadline, "the worker never joined its group:\n{}", tail.join("\n"));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    ws.write("topics/t.yaml", &file("    delete: true\n"));
    let plan = ws.run(&["plan"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("unknown"), "the groups are known with the worker running: {}", plan.stdout);
    let applied = ws.run(&["apply", "--auto-approve"]);
    applied.expect_code(0);
    assert!(!applied.stderr.contains("could not be checked"), "{}", applied.stderr);
    assert!(!ws.live().await.topics.contains_key(&t), "an idle topic is deleted while Connect runs");
    // The worker was up all along: its group still has members.
    assert!(members().1 > 0, "the worker stayed in its group during the apply");
    drop(worker);
    delete_group_when_empty(&ws.bootstrap, &group).await;
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
