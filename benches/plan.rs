//! Micro-benchmarks of the pure cores, without a cluster (BENCHMARKS.md, "Pure cores"):
//!
//! - `plan::diff` of 100,000 declared topics against a synthetic live state in which every topic has
//!   every topic config of the catalog (33, as a Kafka 4.3 broker describes them) and a few overrides:
//!   in sync, and with 1% of the topics drifted (one config each);
//! - `desired::load::check_texts` of 10,000 topics in 100 in-memory files: `validate` without the disk;
//! - `plan --from-snapshot` of 10,000 topics without the disk: the snapshot's text read back (hash
//!   checked), the live state rebuilt, and diffed; and the snapshot's size.
//!
//! The declared states are built by the real loader from generated topic files, the live ones from the
//! public `cluster` types. `cargo bench --bench plan` runs them at full size. Under `cargo test --all-targets` (no `--bench`
//! argument) criterion only runs each routine once, and the sizes are cut by 100 to keep the test run
//! short. Nothing here asserts on time; the only assertions check that the synthetic states mean what
//! their names say (in sync is an empty plan, drift is one change per drifted topic).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use topicform::catalog;
use topicform::desired::Desired;
use topicform::live::{ConfigSource, Effective, Live, LiveConfig, LivePartition, LiveTopic};
use topicform::plan;

/// The overrides of topic `i`: every topic pins `min.insync.replicas`, others a varying few more.
/// The same rule as `scripts/bench.d/bench.py`, so the micro and the cluster benchmarks agree.
fn overrides(i: usize) -> Vec<(&'static str, String)> {
    let mut c = vec![("min.insync.replicas", "1".to_owned())];
    if i.is_multiple_of(4) {
        c.push(("cleanup.policy", "compact".to_owned()));
    }
    if i.is_multiple_of(3) {
        c.push(("retention.ms", (86_400_000 * (1 + i % 7)).to_string()));
    }
    if i.is_multiple_of(5) {
        c.push(("max.message.bytes", "2097152".to_owned()));
    }
    if i.is_multiple_of(7) {
        c.push(("segment.bytes", "536870912".to_owned()));
    }
    if i.is_multiple_of(6) {
        c.push(("compression.type", "lz4".to_owned()));
    }
    c
}

fn partitions(i: usize) -> u32 {
    if i.is_multiple_of(50) {
        3
    } else if i.is_multiple_of(10) {
        2
    } else {
        1
    }
}

fn name(i: usize) -> String {
    format!("bench.t{i:06}")
}

/// The declared state of `n` topics, built by the real loader from generated files (so that it follows
/// `DesiredTopic` as it grows fields); with `drift`, every 100th topic declares another `retention.ms`.
fn desired(n: usize, drift: bool) -> Desired {
    let files = topic_files(n, n.div_ceil(100), drift);
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    topicform::desired::load::check_texts(&refs).expect("the generated files are valid").desired
}

/// Every catalog config, as a broker with stock settings describes it, with topic `i`'s overrides.
fn live_topic(i: usize) -> LiveTopic {
    let over: BTreeMap<&str, String> = overrides(i).into_iter().collect();
    let configs = catalog::all()
        .iter()
        .map(|spec| {
            let default = (!spec.default.is_empty()).then(|| spec.default.to_owned());
            let inherited = Some(Box::new(Effective { value: default.clone(), source: ConfigSource::Default }));
            let config = match over.get(spec.name) {
                Some(v) => LiveConfig {
                    value: Some(v.as_str().into()),
                    source: ConfigSource::TopicOverride,
                    read_only: false,
                    sensitive: false,
                    inherited,
                },
                None => LiveConfig {
                    value: default.map(Into::into),
                    source: ConfigSource::Default,
                    read_only: false,
                    sensitive: false,
                    inherited,
                },
            };
            (spec.name.into(), config)
        })
        .collect();
    let broker = (i % 3) as i32 + 1;
    let partitions = (0..partitions(i) as i32)
        .map(|id| LivePartition { id, leader: Some(broker), replicas: vec![broker], isr: vec![broker] })
        .collect();
    LiveTopic { partitions, configs }
}

fn live_state(n: usize) -> Live {
    Live { topics: (0..n).map(|i| (name(i), live_topic(i))).collect(), ..Live::default() }
}

/// `files` topic files holding `n` topics, in the format `scripts/bench` writes to disk.
fn topic_files(n: usize, files: usize, drift: bool) -> Vec<(String, String)> {
    let per_file = n.div_ceil(files);
    (0..files)
        .map(|f| {
            let mut text =
                String::from("defaults:\n  replicationFactor: 1\n  config:\n    min.insync.replicas: 1\ntopics:\n");
            for i in f * per_file..((f + 1) * per_file).min(n) {
                text.push_str(&format!("  - name: {}\n    partitions: {}\n", name(i), partitions(i)));
                let mut own: BTreeMap<&str, String> =
                    overrides(i).into_iter().filter(|(k, _)| *k != "min.insync.replicas").collect();
                if drift && i.is_multiple_of(100) {
                    own.insert("retention.ms", "691200000".to_owned());
                }
                if !own.is_empty() {
                    text.push_str("    config:\n");
                    for (k, v) in own {
                        text.push_str(&format!("      {k}: {v}\n"));
                    }
                }
            }
            (format!("topics/bench-{f:03}.yaml"), text)
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not.
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full { 1 } else { 100 };
    let topics = 100_000 / scale;
    let files_topics = 10_000 / scale;

    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();

    let live = live_state(topics);
    let in_sync = desired(topics, false);
    let drifted = desired(topics, true);
    let configs: usize = live.topics.values().map(|t| t.configs.len()).sum();
    let overridden: usize = live.topics.values().map(|t| t.overrides().count()).sum();
    eprintln!(
        "plan::diff: {topics} topics, {} configs per live topic, {:.2} overrides per topic on average",
        configs / topics,
        overridden as f64 / topics as f64
    );
    assert!(plan::diff(&in_sync, &live).is_empty(), "the synthetic states must be in sync");
    assert_eq!(plan::diff(&drifted, &live).changes.len(), topics / 100, "1% drift is one change per drifted topic");

    let mut group = c.benchmark_group("plan_diff");
    group.throughput(Throughput::Elements(topics as u64));
    group.bench_function(format!("{topics}_topics_in_sync"), |b| b.iter(|| plan::diff(black_box(&in_sync), &live)));
    group.bench_function(format!("{topics}_topics_1pct_drift"), |b| b.iter(|| plan::diff(black_box(&drifted), &live)));
    group.finish();

    let files = topic_files(files_topics, 100, false);
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let checked = topicform::desired::load::check_texts(&refs).expect("the generated files are valid");
    assert_eq!(checked.desired.topics.len(), files_topics);
    eprintln!("check_texts: {files_topics} topics in {} files, {bytes} bytes", files.len());
    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Elements(files_topics as u64));
    group.bench_function(format!("check_texts_{files_topics}_topics_100_files"), |b| {
        b.iter(|| topicform::desired::load::check_texts(black_box(&refs)))
    });
    group.finish();

    // `plan --from-snapshot` without the disk: read a 10,000-topic snapshot's text (hash check), rebuild
    // the live state (defaults from the catalog), and diff. The file's size is printed: DESIGN.md
    // section 7 wants it under 20 MB.
    let snapshot_topics = 10_000 / scale;
    let snapshot_live = live_state(snapshot_topics);
    let snapshot_desired = desired(snapshot_topics, false);
    let text = topicform::snapshot::Snapshot::of(&snapshot_live, false, 0).to_text();
    eprintln!("snapshot: {snapshot_topics} topics, {} bytes ({:.1} MB)", text.len(), text.len() as f64 / 1e6);
    // As `plan --from-snapshot` asks it: the declared topics, and what the diff reads of them.
    let scope = topicform::live::Scope::new(snapshot_desired.topics.keys().cloned(), &[], &[])
        .expect("names")
        .declaring(snapshot_desired.declared_keys());
    let from_snapshot = || {
        let s = topicform::snapshot::Snapshot::from_text(black_box(&text)).expect("a valid snapshot");
        plan::diff(&snapshot_desired, &s.to_live(&scope))
    };
    assert!(from_snapshot().is_empty(), "the snapshot of an in-sync state plans nothing");
    let mut group = c.benchmark_group("snapshot");
    group.throughput(Throughput::Elements(snapshot_topics as u64));
    group.bench_function(format!("plan_from_snapshot_{snapshot_topics}_topics"), |b| b.iter(from_snapshot));
    group.finish();

    c.final_summary();
}
