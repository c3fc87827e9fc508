//! The real [`Admin`]: librdkafka through rdkafka, plus [`super::native`] for what rdkafka lacks.
//! This is the only module that uses a Kafka client.
//!
//! Round trips: `describe` is one Metadata request, one DescribeCluster request (for racks) and one
//! DescribeConfigs request per
//! [`DESCRIBE_CHUNK`] topics; `execute` is at most one CreateTopics, one CreatePartitions and one
//! IncrementalAlterConfigs request per [`CHANGE_CHUNK`] topics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use super::native::{self, ConfigOp, NewTopic};
use super::reassign;
use super::{Admin, Broker, ConfigSource, Effective, Error, Live, LiveConfig, LivePartition, LiveTopic, Scope};
use crate::plan::Change;
use crate::spec::ClusterConfig;

/// Topics per DescribeConfigs request. Brokers answer large batches quickly; this bounds response size.
pub const DESCRIBE_CHUNK: usize = 1000;
/// Topics per CreateTopics / CreatePartitions / IncrementalAlterConfigs request.
pub const CHANGE_CHUNK: usize = 500;

/// How replication-factor changes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reassignment {
    /// Limit replication traffic to this many bytes per second per broker while data moves; the
    /// throttle is set before and removed after.
    pub throttle: Option<u64>,
    /// Wait until the brokers finish copying (default), or return once the reassignment is accepted.
    pub wait: bool,
    /// How long to wait at most.
    pub wait_timeout: Duration,
}

impl Default for Reassignment {
    fn default() -> Self {
        Reassignment { throttle: None, wait: true, wait_timeout: Duration::from_secs(3600) }
    }
}

/// Receives progress lines of long operations.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// A connection to one cluster.
pub struct KafkaAdmin {
    client: Arc<native::Client>,
    timeout: Duration,
    bootstrap: String,
    /// The client properties, for connections topicform makes itself (reassignment). Never printed.
    properties: BTreeMap<String, String>,
    reassignment: Reassignment,
    progress: Option<Progress>,
    /// The latest client-level error librdkafka reported (authentication, TLS, connection), redacted.
    last_error: Arc<std::sync::Mutex<Option<(String, String)>>>,
    /// The thread draining librdkafka's main queue, and its stop flag.
    drain: Option<(Arc<std::sync::atomic::AtomicBool>, std::thread::JoinHandle<()>)>,
    /// Client property values that must never appear in a message (passwords, keys).
    secrets: Arc<Vec<String>>,
    requests: Arc<AtomicUsize>,
}

impl KafkaAdmin {
    /// Sets up a client for `cluster`. No connection is made until the first request.
    pub fn connect(cluster: &ClusterConfig, timeout: Duration) -> Result<Self, Error> {
        Self::connect_verbose(cluster, timeout, 0)
    }

    /// [`KafkaAdmin::connect`], showing librdkafka's log at `verbose` 1 and its debug log at 2.
    pub fn connect_verbose(cluster: &ClusterConfig, timeout: Duration, verbose: u8) -> Result<Self, Error> {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &cluster.bootstrap);
        config.set("client.id", "topicform");
        let ms = timeout.as_millis().to_string();
        config.set("socket.timeout.ms", &ms);
        let mut secrets = Vec::new();
        for (key, value) in cluster.client.expose() {
            config.set(key, value);
            if is_secret(key) && !value.is_empty() {
                secrets.push(value.to_owned());
            }
        }
        // Warnings at least, always: connection, TLS and authentication failures come as log lines,
        // and they explain failed requests (see `explain`).
        config.set_log_level(match verbose {
            0 => RDKafkaLogLevel::Warning,
            1 => RDKafkaLogLevel::Info,
            _ => RDKafkaLogLevel::Debug,
        });
        if verbose >= 2 {
            config.set("debug", "broker,admin,security,protocol");
        }
        let secrets = Arc::new(secrets);
        let client = Arc::new(
            config.create::<native::Client>().map_err(|e| Error::Config(redact(&client_error(&e), &secrets)))?,
        );
        // librdkafka's main queue, until the admin is dropped: log lines are shown at -v, and the latest
        // client error is kept to explain failed requests. The thread holds only a weak reference, and
        // `Drop` stops and joins it, so the client is always destroyed on the dropping thread, before
        // the process exits: librdkafka destroyed during OpenSSL's exit cleanup can crash.
        let last_error = Arc::new(std::sync::Mutex::new(None));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let drain = {
            let weak = Arc::downgrade(&client);
            let (secrets, last_error, stop) = (secrets.clone(), last_error.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed)
                    && let Some(client) = weak.upgrade()
                {
                    match native::poll_main(&client, Duration::from_millis(200)) {
                        Some(native::MainEvent::Log(level, fac, message)) => {
                            let message = redact(&message, &secrets);
                            if verbose >= 1 {
                                eprintln!("librdkafka {level} {fac}: {message}");
                            }
                            // Without an error callback, librdkafka reports connection, TLS and
                            // authentication failures as log lines of level 4 (warning) or worse.
                            if level <= 4 && !message.contains("brokers are down") {
                                let cause = message.rsplit_once("]: ").map_or(message.as_str(), |(_, m)| m).to_owned();
                                *last_error.lock().unwrap() = Some((fac, cause));
                            }
                        }
                        Some(native::MainEvent::Error(code, message)) => {
                            let message = redact(&message, &secrets);
                            if verbose >= 1 {
                                eprintln!("librdkafka error {code}: {message}");
                            }
                            // `_ALL_BROKERS_DOWN` follows the real cause; keep the cause.
                            if code != "_ALL_BROKERS_DOWN" {
                                *last_error.lock().unwrap() = Some((code, message));
                            }
                        }
                        _ => {}
                    }
                }
            })
        };
        Ok(KafkaAdmin {
            drain: Some((stop, drain)),
            client,
            last_error,
            timeout,
            bootstrap: cluster.bootstrap.clone(),
            properties: cluster.client.expose().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
            reassignment: Reassignment::default(),
            progress: None,
            secrets,
            requests: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Sets how replication-factor changes run.
    pub fn with_reassignment(mut self, reassignment: Reassignment) -> Self {
        self.reassignment = reassignment;
        self
    }

    /// Sends progress lines of long operations (reassignments) to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    fn report(&self, line: &str) {
        if let Some(p) = &self.progress {
            p(line);
        }
    }

    /// Admin requests sent so far (Metadata, DescribeConfigs, CreateTopics, ...), for batching tests and
    /// benchmarks.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sets (`Some`) or removes (`None`) dynamic configs of broker `broker`. For replication throttles,
    /// and for tests that need a broker-level value. librdkafka cannot address the cluster-wide default
    /// (the broker resource with the empty name: `rd_kafka_ConfigResource_new` refuses it), so a value
    /// for every broker is set on each.
    pub async fn alter_broker_configs(&self, broker: i32, configs: &[(&str, Option<&str>)]) -> Result<(), Error> {
        let name = broker.to_string();
        let configs: Vec<(String, Option<String>)> =
            configs.iter().map(|(k, v)| (k.to_string(), v.map(str::to_owned))).collect();
        let resource = name.clone();
        let results = self
            .blocking(move |client, timeout| {
                let ops = configs
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => ConfigOp::Set(k, v),
                        None => ConfigOp::Delete(k),
                    })
                    .collect();
                native::incremental_alter_configs(client, native::Resource::Broker, &[(&resource, ops)], false, timeout)
            })
            .await
            .map_err(|e| self.request_error("IncrementalAlterConfigs", e))?;
        match results.into_iter().next() {
            Some((_, Err(e))) => Err(self.topic_error("IncrementalAlterConfigs", &format!("broker {name}"), e)),
            _ => Ok(()),
        }
    }

    /// Runs a blocking librdkafka call on a blocking thread and counts it as one request.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&native::Client, Duration) -> T + Send + 'static,
    ) -> T {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let client = self.client.clone();
        let timeout = self.timeout;
        tokio::task::spawn_blocking(move || call(&client, timeout)).await.expect("librdkafka call panicked")
    }

    fn request_error(&self, operation: &'static str, e: native::KafkaError) -> Error {
        Error::Request { operation, code: Some(e.code), message: self.explain(redact(&e.message, &self.secrets)) }
    }

    /// Adds the likely cause to a request that failed for want of a broker: what librdkafka last
    /// reported about its connections (a refused connection, a failed TLS handshake, bad credentials).
    fn explain(&self, message: String) -> String {
        match self.last_error.lock().unwrap().clone() {
            Some((_, cause)) => format!("{message}\nlikely cause: {cause}"),
            None => message,
        }
    }

    fn topic_error(&self, operation: &'static str, topic: &str, e: native::KafkaError) -> Error {
        Error::Topic { operation, topic: topic.to_owned(), code: e.code, message: redact(&e.message, &self.secrets) }
    }
}

/// Whether a client property's value is a secret: passwords, keys, tokens, JAAS configs, OAuth
/// client secrets. Those values are scrubbed from every message and log line.
fn is_secret(key: &str) -> bool {
    ["password", "secret", "key", "token", "jaas", "credential", "oauthbearer.config"].iter().any(|w| key.contains(w))
}

impl Drop for KafkaAdmin {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.drain.take() {
            stop.store(true, Ordering::Relaxed);
            // At most one poll (200 ms) away.
            let _ = thread.join();
        }
    }
}

/// librdkafka's configuration errors can quote property values, so they are scrubbed.
fn redact(message: &str, secrets: &[String]) -> String {
    secrets.iter().fold(message.to_owned(), |m, s| m.replace(s.as_str(), "<redacted>"))
}

fn client_error(e: &KafkaError) -> String {
    match e {
        KafkaError::ClientCreation(msg) => msg.clone(),
        other => other.to_string(),
    }
}

fn config_source(raw: i32) -> ConfigSource {
    // librdkafka's rd_kafka_ConfigSource_t, which mirrors the DescribeConfigs ConfigSource field.
    match raw {
        1 => ConfigSource::TopicOverride,
        2 => ConfigSource::DynamicBroker,
        3 => ConfigSource::DynamicDefaultBroker,
        4 => ConfigSource::StaticBroker,
        5 => ConfigSource::Default,
        _ => ConfigSource::Unknown,
    }
}

impl Admin for KafkaAdmin {
    async fn describe(&self, scope: &Scope) -> Result<Live, Error> {
        let metadata =
            self.blocking(|client, timeout| client.inner().fetch_metadata(None, timeout)).await.map_err(|e| {
                Error::Request {
                    operation: "Metadata",
                    code: e.rdkafka_error_code().map(|c| format!("{c:?}")),
                    message: self.explain(redact(&e.to_string(), &self.secrets)),
                }
            })?;

        // Metadata through librdkafka has no racks; DescribeCluster does. Only brokers Metadata lists
        // (the live ones) are kept.
        let nodes =
            self.blocking(native::describe_cluster).await.map_err(|e| self.request_error("DescribeCluster", e))?;
        let racks: BTreeMap<i32, Option<String>> = nodes.into_iter().map(|n| (n.id, n.rack)).collect();
        let mut live = Live::default();
        for b in metadata.brokers() {
            let broker = Broker {
                id: b.id(),
                host: b.host().to_owned(),
                port: u16::try_from(b.port()).unwrap_or(0),
                rack: racks.get(&b.id()).cloned().flatten(),
            };
            live.brokers.insert(b.id(), broker);
        }
        for t in metadata.topics() {
            if !scope.contains(t.name()) {
                continue;
            }
            match t.error().map(RDKafkaErrorCode::from) {
                // Deleted between listing and describing, or not yet known to this broker.
                Some(RDKafkaErrorCode::UnknownTopicOrPartition) => continue,
                Some(RDKafkaErrorCode::TopicAuthorizationFailed) => {
                    return Err(Error::Topic {
                        operation: "Metadata",
                        topic: t.name().to_owned(),
                        code: "TOPIC_AUTHORIZATION_FAILED".into(),
                        message: "the client may not describe this topic".into(),
                    });
                }
                _ => {}
            }
            let mut partitions: Vec<LivePartition> = t
                .partitions()
                .iter()
                .map(|p| LivePartition {
                    id: p.id(),
                    leader: (p.leader() >= 0).then_some(p.leader()),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                })
                .collect();
            partitions.sort_by_key(|p| p.id);
            live.topics.insert(t.name().to_owned(), LiveTopic { partitions, configs: BTreeMap::new() });
        }

        // One DescribeConfigs per chunk, all in flight at once: the brokers answer them in parallel.
        let names: Vec<String> = live.topics.keys().cloned().collect();
        let requests = names.chunks(DESCRIBE_CHUNK).map(|chunk| {
            let chunk = chunk.to_vec();
            self.blocking(move |client, timeout| {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                native::describe_configs(client, &refs, timeout)
            })
        });
        for outcome in futures_util::future::join_all(requests).await {
            let results = outcome.map_err(|e| self.request_error("DescribeConfigs", e))?;
            for (topic, result) in results {
                match result {
                    Ok(entries) => {
                        let Some(t) = live.topics.get_mut(&topic) else { continue };
                        t.configs = entries.into_iter().map(live_config).collect();
                    }
                    // Deleted since the Metadata request: it is simply not there.
                    Err(e) if e.raw == native::UNKNOWN_TOPIC_OR_PART => {
                        live.topics.remove(&topic);
                    }
                    Err(e) => return Err(self.topic_error("DescribeConfigs", &topic, e)),
                }
            }
        }
        Ok(live)
    }

    async fn execute(&self, changes: &[Change]) -> Vec<Result<(), Error>> {
        self.run(changes, false).await
    }

    async fn validate(&self, changes: &[Change]) -> Vec<Result<(), Error>> {
        self.run(changes, true).await
    }
}

impl KafkaAdmin {
    /// Runs `changes` in batches, one request per kind and chunk: creates, then partition increases,
    /// then configs, then deletions. With `validate_only` the brokers check and change nothing, and
    /// deletions (which Kafka cannot validate) pass.
    async fn run(&self, changes: &[Change], validate_only: bool) -> Vec<Result<(), Error>> {
        let mut results: Vec<Result<(), Error>> = vec![Ok(()); changes.len()];
        let of_kind = |pred: fn(&Change) -> bool| (0..changes.len()).filter(|&i| pred(&changes[i])).collect::<Vec<_>>();

        let creates = of_kind(|c| matches!(c, Change::CreateTopic { .. }));
        for chunk in creates.chunks(CHANGE_CHUNK) {
            let batch: Vec<Change> = chunk.iter().map(|&i| changes[i].clone()).collect();
            let outcome = self
                .blocking(move |client, timeout| {
                    let topics: Vec<NewTopic<'_>> = batch.iter().filter_map(new_topic).collect();
                    native::create_topics(client, &topics, validate_only, timeout)
                })
                .await;
            self.record("CreateTopics", outcome, chunk, changes, &mut results);
        }

        let grows = of_kind(|c| matches!(c, Change::AddPartitions { .. }));
        for chunk in grows.chunks(CHANGE_CHUNK) {
            let batch: Vec<(String, usize, Vec<Vec<i32>>)> = chunk
                .iter()
                .filter_map(|&i| match &changes[i] {
                    Change::AddPartitions { topic, to, assignments, .. } => {
                        Some((topic.clone(), *to as usize, assignments.clone()))
                    }
                    _ => None,
                })
                .collect();
            let outcome = self
                .blocking(move |client, timeout| {
                    let refs: Vec<(&str, usize, &[Vec<i32>])> =
                        batch.iter().map(|(t, n, a)| (t.as_str(), *n, a.as_slice())).collect();
                    native::create_partitions(client, &refs, validate_only, timeout)
                })
                .await;
            self.record("CreatePartitions", outcome, chunk, changes, &mut results);
        }

        // One resource per topic carrying all of its SET and DELETE operations.
        let mut by_topic: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in
            of_kind(|c| matches!(c, Change::SetConfig { .. } | Change::PinConfig { .. } | Change::UnsetConfig { .. }))
        {
            by_topic.entry(changes[i].topic()).or_default().push(i);
        }
        let topics: Vec<(&str, Vec<usize>)> = by_topic.into_iter().collect();
        for chunk in topics.chunks(CHANGE_CHUNK) {
            let batch: Vec<(String, Vec<Change>)> = chunk
                .iter()
                .map(|(t, idx)| (t.to_string(), idx.iter().map(|&i| changes[i].clone()).collect()))
                .collect();
            let outcome = self
                .blocking(move |client, timeout| {
                    let ops: Vec<(&str, Vec<ConfigOp<'_>>)> =
                        batch.iter().map(|(t, cs)| (t.as_str(), cs.iter().filter_map(config_op).collect())).collect();
                    native::incremental_alter_configs(client, native::Resource::Topic, &ops, validate_only, timeout)
                })
                .await;
            let indices: Vec<usize> = chunk.iter().flat_map(|(_, idx)| idx.iter().copied()).collect();
            self.record("IncrementalAlterConfigs", outcome, &indices, changes, &mut results);
        }

        let reassigns = of_kind(|c| matches!(c, Change::ChangeReplicationFactor { .. }));
        if !reassigns.is_empty() {
            self.reassign(changes, &reassigns, validate_only, &mut results).await;
        }

        // Deletions last: nothing else in a plan depends on them, and a failure before them stops
        // nothing that could have been saved.
        let deletes = of_kind(|c| matches!(c, Change::DeleteTopic { .. }));
        if !validate_only {
            for chunk in deletes.chunks(CHANGE_CHUNK) {
                let batch: Vec<String> = chunk.iter().map(|&i| changes[i].topic().to_owned()).collect();
                let outcome = self
                    .blocking(move |client, timeout| {
                        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                        native::delete_topics(client, &refs, timeout)
                    })
                    .await;
                self.record("DeleteTopics", outcome, chunk, changes, &mut results);
            }
        }
        results
    }
}

impl KafkaAdmin {
    /// Replication-factor changes: throttle (if asked), one AlterPartitionReassignments request for
    /// every partition, a wait for the brokers to finish (watched with ListPartitionReassignments), and
    /// the throttle removed whatever happened. Kafka has no validate-only reassignment: the preflight
    /// checks that the connection can be made and the controller answers.
    async fn reassign(
        &self,
        changes: &[Change],
        indices: &[usize],
        validate_only: bool,
        results: &mut [Result<(), Error>],
    ) {
        let fail = |results: &mut [Result<(), Error>], code: &str, message: String| {
            for &i in indices {
                results[i] = Err(Error::Request {
                    operation: "AlterPartitionReassignments",
                    code: Some(code.to_owned()),
                    message: message.clone(),
                });
            }
        };
        let target = match reassign::Target::new(&self.bootstrap, &self.properties, self.timeout) {
            Ok(t) => t,
            Err(message) => return fail(results, "UNSUPPORTED", message),
        };
        let mut partitions: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        let mut moves = Vec::new();
        let mut throttled: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        let mut brokers = std::collections::BTreeSet::new();
        for &i in indices {
            if let Change::ChangeReplicationFactor { topic, moves: ms, .. } = &changes[i] {
                for m in ms {
                    partitions.entry(topic.clone()).or_default().push(m.partition);
                    moves.push((topic.clone(), m.partition, m.to.clone()));
                    let (leaders, followers) = throttled.entry(topic.clone()).or_default();
                    leaders.extend(m.from.iter().map(|b| format!("{}:{b}", m.partition)));
                    followers
                        .extend(m.to.iter().filter(|b| !m.from.contains(b)).map(|b| format!("{}:{b}", m.partition)));
                    brokers.extend(m.from.iter().chain(&m.to).copied());
                }
            }
        }
        if validate_only {
            self.requests.fetch_add(1, Ordering::Relaxed);
            if let Err((code, message)) = reassign::ongoing(&target, &partitions).await {
                fail(results, &code, redact(&message, &self.secrets));
            }
            return;
        }

        if let Some(rate) = self.reassignment.throttle {
            let rate = rate.to_string();
            for &b in &brokers {
                let set = [
                    ("leader.replication.throttled.rate", Some(rate.as_str())),
                    ("follower.replication.throttled.rate", Some(rate.as_str())),
                ];
                if let Err(e) = self.alter_broker_configs(b, &set).await {
                    return fail(
                        results,
                        e.code().unwrap_or("THROTTLE"),
                        format!("cannot set the replication throttle: {e}"),
                    );
                }
            }
            let ops: Vec<Change> = throttled
                .iter()
                .flat_map(|(topic, (leaders, followers))| {
                    [
                        ("leader.replication.throttled.replicas", leaders),
                        ("follower.replication.throttled.replicas", followers),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(key, v)| Change::SetConfig {
                        topic: topic.clone(),
                        key: key.into(),
                        before: None,
                        after: v.join(","),
                    })
                })
                .collect();
            let set = Box::pin(self.run(&ops, false)).await;
            if let Some(Err(e)) = set.into_iter().find(Result::is_err) {
                self.remove_throttle(&brokers, &throttled).await;
                return fail(
                    results,
                    e.code().unwrap_or("THROTTLE"),
                    format!("cannot set the replication throttle: {e}"),
                );
            }
            self.report(&format!(
                "Replication throttled to {} bytes/s on brokers {brokers:?}.",
                self.reassignment.throttle.unwrap_or_default()
            ));
        }

        self.requests.fetch_add(1, Ordering::Relaxed);
        let outcome = reassign::alter(&target, &moves).await;
        match outcome {
            Err((code, message)) => fail(results, &code, redact(&message, &self.secrets)),
            Ok(per_partition) => {
                for &i in indices {
                    let topic = changes[i].topic();
                    let failed = moves.iter().zip(&per_partition).find(|((t, _, _), r)| t == topic && r.is_err());
                    if let Some(((_, p, _), Err((code, message)))) = failed {
                        results[i] = Err(Error::Topic {
                            operation: "AlterPartitionReassignments",
                            topic: topic.to_owned(),
                            code: code.clone(),
                            message: format!("partition {p}: {}", redact(message, &self.secrets)),
                        });
                    }
                }
                if self.reassignment.wait {
                    self.wait_for(&target, &partitions, indices, changes, results).await;
                } else {
                    self.report(
                        "Reassignment started; not waiting (--no-wait). Run `topicform apply` again to verify it.",
                    );
                }
            }
        }
        if self.reassignment.throttle.is_some() {
            if self.reassignment.wait {
                self.remove_throttle(&brokers, &throttled).await;
            } else {
                self.report("The replication throttle stays until the next apply after the reassignment.");
            }
        }
    }

    /// Watches the reassignment until no partition of `partitions` is moving, or the wait times out.
    async fn wait_for(
        &self,
        target: &reassign::Target,
        partitions: &BTreeMap<String, Vec<i32>>,
        indices: &[usize],
        changes: &[Change],
        results: &mut [Result<(), Error>],
    ) {
        let total: usize = partitions.values().map(Vec::len).sum();
        let deadline = tokio::time::Instant::now() + self.reassignment.wait_timeout;
        let mut last = usize::MAX;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            match reassign::ongoing(target, partitions).await {
                Ok(moving) if moving.is_empty() => {
                    self.report(&format!("Reassignment done: {total} of {total} partition(s)."));
                    return;
                }
                Ok(moving) => {
                    if moving.len() != last {
                        self.report(&format!("Reassigning: {} of {total} partition(s) done.", total - moving.len()));
                        last = moving.len();
                    }
                }
                // A passing failure of the watch is not a failure of the reassignment.
                Err((code, message)) => {
                    self.report(&format!("Cannot watch the reassignment ({code}: {message}); retrying."))
                }
            }
            if tokio::time::Instant::now() >= deadline {
                for &i in indices {
                    if results[i].is_ok() {
                        results[i] = Err(Error::Topic {
                            operation: "ListPartitionReassignments",
                            topic: changes[i].topic().to_owned(),
                            code: "_TIMED_OUT".into(),
                            message: "the reassignment is still running; it goes on in the cluster".into(),
                        });
                    }
                }
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn remove_throttle(
        &self,
        brokers: &std::collections::BTreeSet<i32>,
        throttled: &BTreeMap<String, (Vec<String>, Vec<String>)>,
    ) {
        for &b in brokers {
            let unset = [("leader.replication.throttled.rate", None), ("follower.replication.throttled.rate", None)];
            if let Err(e) = self.alter_broker_configs(b, &unset).await {
                self.report(&format!("Could not remove the replication throttle from broker {b}: {e}"));
            }
        }
        let ops: Vec<Change> = throttled
            .keys()
            .flat_map(|topic| {
                ["leader.replication.throttled.replicas", "follower.replication.throttled.replicas"]
                    .map(|key| Change::UnsetConfig { topic: topic.clone(), key: key.into(), before: None, after: None })
            })
            .collect();
        for r in Box::pin(self.run(&ops, false)).await {
            if let Err(e) = r {
                self.report(&format!("Could not remove a topic's throttled-replica list: {e}"));
            }
        }
        self.report("Replication throttle removed.");
    }

    /// Spreads a batched call's outcome over the changes it carried, matching per-topic results by name.
    fn record(
        &self,
        operation: &'static str,
        outcome: Result<native::Results<()>, native::KafkaError>,
        indices: &[usize],
        changes: &[Change],
        results: &mut [Result<(), Error>],
    ) {
        match outcome {
            Err(e) => {
                let err = self.request_error(operation, e);
                for &i in indices {
                    results[i] = Err(err.clone());
                }
            }
            Ok(per_topic) => {
                let by_name: BTreeMap<String, Result<(), native::KafkaError>> = per_topic.into_iter().collect();
                for &i in indices {
                    let topic = changes[i].topic();
                    results[i] = match by_name.get(topic) {
                        Some(Ok(())) => Ok(()),
                        Some(Err(e)) => Err(self.topic_error(operation, topic, e.clone())),
                        None => Err(Error::Topic {
                            operation,
                            topic: topic.to_owned(),
                            code: "NO_RESULT".into(),
                            message: "the broker's answer did not mention this topic".into(),
                        }),
                    };
                }
            }
        }
    }
}

fn live_config(e: native::Entry) -> (String, LiveConfig) {
    let source = config_source(e.source);
    let hide = |v: Option<String>| if e.sensitive { None } else { v };
    let inherited = if source == ConfigSource::TopicOverride {
        e.synonyms.iter().find(|s| config_source(s.source) != ConfigSource::TopicOverride).map(|s| Effective {
            value: hide(s.value.as_deref().map(|v| in_topic_units(&e.name, &s.name, v))),
            source: config_source(s.source),
        })
    } else {
        // Not overridden: the entry's own value is what it inherits; no second copy (10,000 topics
        // have 330,000 entries).
        None
    };
    let config = LiveConfig { value: hide(e.value), source, read_only: e.read_only, sensitive: e.sensitive, inherited };
    (e.name, config)
}

/// A broker synonym's value in the topic config's unit: `retention.ms` falls back to
/// `log.retention.hours` when no finer broker setting is given, so 168 hours is 604800000 ms.
fn in_topic_units(topic_key: &str, synonym: &str, value: &str) -> String {
    let factor = if !topic_key.ends_with(".ms") {
        1
    } else if synonym.ends_with(".hours") {
        3_600_000
    } else if synonym.ends_with(".minutes") {
        60_000
    } else if synonym.ends_with(".seconds") {
        1_000
    } else {
        1
    };
    match value.parse::<i64>() {
        // -1 means "no limit" in every unit.
        Ok(n) if factor != 1 && n >= 0 => n.saturating_mul(factor).to_string(),
        _ => value.to_owned(),
    }
}

fn new_topic(change: &Change) -> Option<NewTopic<'_>> {
    match change {
        Change::CreateTopic { topic, partitions, replication_factor, configs } => Some(NewTopic {
            name: topic,
            partitions: i32::try_from(*partitions).unwrap_or(i32::MAX),
            replication_factor: replication_factor.map_or(-1, i32::from),
            configs: configs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        }),
        _ => None,
    }
}

fn config_op(change: &Change) -> Option<ConfigOp<'_>> {
    match change {
        Change::SetConfig { key, after, .. } | Change::PinConfig { key, value: after, .. } => {
            Some(ConfigOp::Set(key, after))
        }
        Change::UnsetConfig { key, .. } => Some(ConfigOp::Delete(key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.key.pem",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.config",
            "sasl.jaas.config",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["sasl.username", "sasl.mechanism", "security.protocol", "ssl.ca.location"] {
            assert!(!is_secret(key), "{key}");
        }
    }

    #[test]
    fn redaction() {
        let secrets = vec!["hunter22".to_owned()];
        assert_eq!(redact("bad value hunter22 for x", &secrets), "bad value <redacted> for x");
    }

    #[test]
    fn synonym_units() {
        assert_eq!(in_topic_units("retention.ms", "log.retention.hours", "168"), "604800000");
        assert_eq!(in_topic_units("retention.ms", "log.retention.minutes", "2"), "120000");
        assert_eq!(in_topic_units("retention.ms", "log.retention.ms", "5"), "5");
        assert_eq!(in_topic_units("retention.ms", "log.retention.hours", "-1"), "-1");
        assert_eq!(in_topic_units("segment.bytes", "log.segment.bytes", "1073741824"), "1073741824");
    }

    #[test]
    fn config_sources() {
        assert_eq!(config_source(1), ConfigSource::TopicOverride);
        assert_eq!(config_source(5), ConfigSource::Default);
        assert_eq!(config_source(6), ConfigSource::Unknown);
        assert_eq!(config_source(-1), ConfigSource::Unknown);
    }
}
