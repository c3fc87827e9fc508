//! Admin round trips of topicform against a real cluster, read from `KafkaAdmin::requests()`, next to
//! the minimum; and the time of the raw calls a plan cannot avoid (one Metadata plus the DescribeConfigs
//! of the declared topics, made with rdkafka directly), which DESIGN.md section 7 takes as the broker's
//! own time. Run by `scripts/bench`, which parses the `ROUND_TRIPS {json}` lines this prints.
//!
//! Environment (without `TOPICFORM_BENCH_BOOTSTRAP` it prints a note and exits 0, so that
//! `cargo test --all-targets` and a bare `cargo bench` pass without a cluster):
//!
//! - `TOPICFORM_BENCH_BOOTSTRAP`  the cluster;
//! - `TOPICFORM_BENCH_TOPICS`     the population's topic files or directories, `:`-separated;
//! - `TOPICFORM_BENCH_CREATE`     optional: more topic files declaring topics that do not exist yet; they
//!   are created (plan, execute, verify, as `topicform apply` does) and the requests of each step counted;
//! - `TOPICFORM_BENCH_RUNS`       describe timings to take (default 5; the median is printed too);
//! - `TOPICFORM_BENCH_DATA`       optional: N; instead, the requests that gathering the data facts costs
//!   for a plan with no change (none) and for one deleting the first N topics of the population (the
//!   facts only: nothing is deleted).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use topicform::apply;
use topicform::cluster::Admin;
use topicform::cluster::kafka::{CHANGE_CHUNK, KafkaAdmin};
use topicform::desired::{self, ClientProperties, ClusterConfig, Desired, Sources};
use topicform::live::Scope;
use topicform::plan::{self, Change};

const TIMEOUT: Duration = Duration::from_secs(120);

fn load(var: &str) -> Desired {
    let paths: Vec<PathBuf> = std::env::var(var).unwrap_or_default().split(':').map(PathBuf::from).collect();
    match desired::load_topics(&paths, &mut Sources::default()) {
        Ok(checked) => checked.desired,
        Err(errors) => panic!("{var}: {} problem(s), first: {:?}", errors.len(), errors.first()),
    }
}

fn merged(a: &Desired, b: &Desired) -> Desired {
    let mut d = a.clone();
    d.topics.extend(b.topics.iter().map(|(k, v)| (k.clone(), v.clone())));
    d
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Topics per DescribeConfigs request of the raw calls: the fixed chunk a client would pick (and
/// topicform's own before it sized its requests by their answers).
const RAW_CHUNK: usize = 500;

/// One Metadata and the DescribeConfigs of `names` in chunks of `RAW_CHUNK`, one after another, on a
/// fresh rdkafka client: (metadata ms, describe configs ms, configs described).
async fn raw_calls(bootstrap: &str, names: &[String]) -> (f64, f64, usize) {
    let client: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create().expect("rdkafka client");
    let t = Instant::now();
    let md = client.inner().fetch_metadata(None, TIMEOUT).expect("Metadata");
    let metadata = ms(t.elapsed());
    assert!(md.topics().len() >= names.len(), "Metadata lists every declared topic");
    let opts = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let t = Instant::now();
    let mut entries = 0;
    for chunk in names.chunks(RAW_CHUNK) {
        let specs: Vec<ResourceSpecifier<'_>> = chunk.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
        for r in client.describe_configs(&specs, &opts).await.expect("DescribeConfigs") {
            entries += r.expect("DescribeConfigs of one topic").entries.len();
        }
    }
    (metadata, ms(t.elapsed()), entries)
}

fn admin(bootstrap: &str) -> KafkaAdmin {
    let cluster = ClusterConfig {
        name: "bench".into(),
        bootstrap: bootstrap.into(),
        client: ClientProperties::default(),
        kafka_version: None,
    };
    KafkaAdmin::connect(&cluster, TIMEOUT).expect("KafkaAdmin::connect")
}

/// The extra requests of the data facts: none for a plan without deletions, and for one deleting the
/// first `deletions` topics, a fixed handful per broker whatever the number.
async fn data_facts(bootstrap: &str, population: &Desired, scope: &Scope, deletions: usize) {
    let admin = admin(bootstrap);
    let live = admin.describe(scope).await.expect("describe");
    let brokers = live.brokers.len();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut silent = topicform::report::Silent;
    let mut same = plan::diff(population, &live);
    let before = admin.requests();
    apply::gather(&mut same, &live, &admin, now_ms, &mut silent).await;
    let no_change = admin.requests() - before;
    let mut doomed = population.clone();
    for t in doomed.topics.values_mut().take(deletions) {
        t.delete = true;
    }
    let mut planned = plan::diff(&doomed, &live);
    assert_eq!(planned.summary().delete, deletions.min(population.topics.len()));
    let before = admin.requests();
    let t = Instant::now();
    apply::gather(&mut planned, &live, &admin, now_ms, &mut silent).await;
    let data_ms = ms(t.elapsed());
    let requests = admin.requests() - before;
    let known = planned.data.values().filter(|i| i.size.known().is_some() && i.records.known().is_some()).count();
    println!(
        "ROUND_TRIPS {{\"op\":\"data\",\"topics\":{},\"deletions\":{},\"brokers\":{brokers},\
         \"no_change_requests\":{no_change},\"requests\":{requests},\"known\":{known},\"data_ms\":{data_ms:.1}}}",
        population.topics.len(),
        planned.data.len(),
    );
}

#[tokio::main]
async fn main() {
    let Ok(bootstrap) = std::env::var("TOPICFORM_BENCH_BOOTSTRAP") else {
        println!("round_trips: skipped (set TOPICFORM_BENCH_BOOTSTRAP; scripts/bench does)");
        return;
    };
    let runs: usize = std::env::var("TOPICFORM_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let population = load("TOPICFORM_BENCH_TOPICS");
    let names: Vec<String> = population.topics.keys().cloned().collect();
    let n = names.len();
    // As `plan` asks: what the diff against these files reads.
    let scope = Scope::new(names.iter().cloned(), &[], &[]).expect("scope").declaring(population.declared_keys());

    if let Some(deletions) = std::env::var("TOPICFORM_BENCH_DATA").ok().and_then(|d| d.parse::<usize>().ok()) {
        data_facts(&bootstrap, &population, &scope, deletions).await;
        return;
    }

    if std::env::var_os("TOPICFORM_BENCH_CREATE").is_none() {
        // Plan: describe the population, each run on a fresh client as the CLI does; then the raw calls.
        let (mut describe, mut diff, mut raw_md, mut raw_dc, mut requests) = (vec![], vec![], vec![], vec![], 0);
        let mut answered = 0;
        let mut configs = 0;
        for _ in 0..runs {
            let admin = admin(&bootstrap);
            let t = Instant::now();
            let live = admin.describe(&scope).await.expect("describe");
            describe.push(ms(t.elapsed()));
            requests = admin.requests();
            answered = admin.answered_bytes();
            let t = Instant::now();
            let planned = plan::diff(&population, &live);
            diff.push(ms(t.elapsed()));
            assert!(planned.changes.is_empty(), "the population is in sync: {} change(s)", planned.changes.len());
            let (m, d, e) = raw_calls(&bootstrap, &names).await;
            raw_md.push(m);
            raw_dc.push(d);
            configs = e;
        }
        let raw: Vec<f64> = raw_md.iter().zip(&raw_dc).map(|(m, d)| m + d).collect();
        println!(
            "ROUND_TRIPS {{\"op\":\"plan\",\"topics\":{n},\"requests\":{requests},\"minimum\":2,\
             \"answered_bytes\":{answered},\
             \"describe_ms\":{:.1},\"diff_ms\":{:.2},\"raw_metadata_ms\":{:.1},\"raw_describe_configs_ms\":{:.1},\
             \"raw_total_ms\":{:.1},\"configs\":{configs},\"runs\":{runs}}}",
            median(describe),
            median(diff),
            median(raw_md),
            median(raw_dc),
            median(raw),
        );
        return;
    }

    // Apply: what `topicform apply` does (describe, diff, `apply::run`: preflight, execute, verify).
    let new = load("TOPICFORM_BENCH_CREATE");
    let desired = merged(&population, &new);
    let scope = Scope::new(desired.topics.keys().cloned(), &[], &[]).expect("scope").declaring(desired.declared_keys());
    let admin = admin(&bootstrap);
    let t = Instant::now();
    let live = admin.describe(&scope).await.expect("describe");
    let describe = admin.requests();
    let describe_ms = ms(t.elapsed());
    let planned = plan::diff(&desired, &live);
    let creates = planned.changes.iter().filter(|c| matches!(c, Change::CreateTopic { .. })).count();
    assert_eq!(creates, planned.changes.len(), "the plan only creates");
    assert_eq!(creates, new.topics.len(), "every new topic is planned for creation");
    let t_apply = Instant::now();
    let options = apply::Options::default();
    let mut silent = topicform::report::Silent;
    let report = apply::run(&planned, &desired, &admin, &apply::Guards::default(), &options, &mut silent)
        .await
        .expect("apply starts");
    let apply_ms = ms(t_apply.elapsed());
    assert!(report.is_success(), "apply succeeds and converges");
    let applied = admin.requests() - describe;
    let total_ms = ms(t.elapsed());
    // What one verification describe of the created topics asks (apply's verify sends as many per pass).
    let created = Scope::new(new.topics.keys().cloned(), &[], &[]).expect("scope").declaring(new.declared_keys());
    let verifier = self::admin(&bootstrap);
    verifier.describe(&created).await.expect("describe of the created topics");
    let verify_requests = verifier.requests();
    println!(
        "ROUND_TRIPS {{\"op\":\"apply\",\"topics\":{n},\"created\":{creates},\"plan_requests\":{describe},\
         \"apply_requests\":{applied},\"create_requests\":{},\"describe_requests_after\":{},\"minimum\":3,\
         \"describe_ms\":{describe_ms:.1},\"apply_ms\":{apply_ms:.1},\"total_ms\":{total_ms:.1}}}",
        // Light topics (a few partitions and configs): `CHANGE_CHUNK` per request; heavier ones are cut by
        // `RECORDS_PER_REQUEST` too.
        creates.div_ceil(CHANGE_CHUNK),
        // ApiVersions, Metadata of the created topics, their DescribeConfigs, ListPartitionReassignments.
        verify_requests,
    );
}
