//! The real [`Admin`]: librdkafka through rdkafka, plus [`librdkafka`] for what rdkafka lacks and
//! [`protocol`] for what librdkafka lacks (KIP-455 reassignment, ApiVersions). Every line of Kafka client code in topicform lives
//! under this module.
//!
//! - [`client`]: setting up the client from the project file's properties, its log, redaction;
//! - [`describe`]: Metadata, DescribeCluster, DescribeConfigs and ApiVersions into [`Live`];
//! - [`probe`]: what answers at an address that librdkafka cannot talk to (a likely cause);
//! - [`execute`]: one batched request per primitive and chunk;
//! - [`data`]: facts about topics' data (sizes, offsets, consumer groups), one connection per broker.
//!
//! Round trips: `describe` is one ApiVersions request (for the release) and one Metadata request (brokers,
//! racks and controller too; when the scope names its topics, of just those, one request per chunk of
//! them that answers under [`ANSWER_BYTES`]) on one connection (through librdkafka where topicform cannot
//! connect itself: Metadata, DescribeCluster and ApiVersions at once), then one DescribeConfigs request
//! per [`DESCRIBE_CHUNK`] topics or [`ANSWER_BYTES`] of answer, spread over the brokers (and, only when
//! the scope needs what some overrides fall back to, one per chunk of those topics), beside one
//! ListPartitionReassignments; every other primitive is one request per [`CHANGE_CHUNK`] items or
//! [`RECORDS_PER_REQUEST`] records, and a controller request (reassignments) is one DescribeCluster plus
//! the request to the controller it names. `data` sends, to each broker, ApiVersions, DescribeLogDirs, up
//! to four ListOffsets, ListGroups and one OffsetFetch per 500 groups it coordinates.
//!
//! Besides, only when something calls for it: when the Metadata answer lacks topics the scope names
//! (to be created, or not yet known to that broker), one Metadata request of just those to every other
//! broker at once; `disagreement` (verification, once its describe matches the files) is one Metadata
//! request of the touched topics per broker. Every request any broker can answer is hedged ([`hedge`]):
//! a broker silent for [`hedge::patience`] gets company, which adds requests only when one is silent.

mod client;
mod connection;
mod data;
mod describe;
mod execute;
mod hedge;
mod librdkafka;
mod probe;
mod protocol;
mod scram;
mod tls;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{Admin, ConfigAlter, Connect, Connection, Error, Mode, NewPartitions, NewTopic, Ongoing, Reassignment};
use crate::desired::ClusterConfig;
use crate::live::{DataQuery, Live, Scope, TopicData};

pub use client::LogSink;

/// Topics per DescribeConfigs request, at most; fewer when their answer would weigh more than
/// [`ANSWER_BYTES`].
pub const DESCRIBE_CHUNK: usize = 500;
/// What one DescribeConfigs answer should weigh at most, in bytes. A JVM on G1 (Kafka's collector)
/// allocates a buffer of half a heap region or more as a humongous object, straight into the old
/// generation; its smallest region is 1 MiB, which is what a broker heap under 2 GiB gets (Kafka's
/// default is 1 GiB). Measured on 4.4.0 with 512 MiB heaps, 10,000 topics of 1,358-byte answers: at 380
/// topics a request (516,000 bytes) the DescribeConfigs took 292-541 ms, at 392 (532,000 bytes)
/// 460-601 ms. Three quarters of the threshold leaves room for an estimate that is off.
pub const ANSWER_BYTES: usize = 384 * 1024;
/// Topics per CreateTopics / CreatePartitions / IncrementalAlterConfigs / DeleteTopics request, at most;
/// fewer when their metadata records would pass [`RECORDS_PER_REQUEST`].
pub const CHANGE_CHUNK: usize = 1000;
/// Metadata records per change request, at most (a topic is one, each of its partitions one, each config
/// it sets one). A KRaft controller refuses, with POLICY_VIOLATION and changing nothing, a request that
/// would write more than 10,000 records (KAFKA-14996, Kafka 3.6) or create more than 10,000 partitions
/// (KAFKA-17870, 3.9); this stays under both with room to spare. Fewer, larger requests also show
/// sooner: a broker lists the topics of one controller batch only once it has created the logs of the
/// batch before, so the second of two 500-topic creates stayed unlisted for over a second after it was
/// answered.
pub const RECORDS_PER_REQUEST: usize = 9000;

/// A connection to one cluster.
pub struct KafkaAdmin {
    /// librdkafka's client properties (with the secrets: never printed).
    config: rdkafka::ClientConfig,
    /// The cluster's name in the project file, for messages.
    cluster: String,
    /// librdkafka's client, once made ([`KafkaAdmin::client`]), or why it could not be.
    made: std::sync::OnceLock<Result<client::Made, String>>,
    /// The per-request timeout and the command's deadline.
    connection: Connection,
    bootstrap: String,
    /// How topicform's own connections (reassignment, ApiVersions) are secured, or why they cannot be.
    security: Result<protocol::Security, String>,
    /// `security.protocol`, upper case, to explain failed connections.
    protocol: String,
    /// The latest client-level error librdkafka reported (authentication, TLS, connection), redacted.
    last_error: Arc<std::sync::Mutex<Option<(String, String)>>>,
    /// Where topicform's own lines about the connection go at `-v`, beside librdkafka's.
    log: Option<LogSink>,
    /// Client property values that must never appear in a message (passwords, keys).
    secrets: Arc<Vec<String>>,
    requests: Arc<AtomicUsize>,
    /// Bytes of the Metadata and DescribeConfigs answers read on topicform's own connections.
    answered: AtomicUsize,
    /// Brokers (`host:port`) that stayed silent while another answered, asked last from then on (see
    /// [`hedge`]).
    hung: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The broker librdkafka's admin requests go to (see [`librdkafka::with_via`]), when a describe
    /// found that the controller its Metadata named did not answer: one that did.
    via: std::sync::Mutex<Option<i32>>,
}

impl KafkaAdmin {
    /// Sets up a client for `cluster`, with librdkafka's warnings kept only to explain failures. No
    /// connection is made until the first request.
    pub fn connect(cluster: &ClusterConfig, timeout: Duration) -> Result<Self, Error> {
        client::connect(cluster, Connection { timeout, deadline: None, verbose: 0 }, None)
    }

    /// Admin requests sent so far (Metadata, DescribeConfigs, CreateTopics, ...), for batching tests and
    /// benchmarks.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Whether librdkafka's client was made (it is on first use, see [`KafkaAdmin::client`]), for tests:
    /// a describe on topicform's own connections never makes it.
    pub fn made_librdkafka(&self) -> bool {
        self.made.get().is_some()
    }

    /// Bytes of the Metadata and DescribeConfigs answers read so far on topicform's own connections
    /// (not librdkafka's), for benchmarks: what a describe is given, against what it keeps.
    pub fn answered_bytes(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }

    /// Runs a blocking librdkafka call on a blocking thread and counts it as one request; without a
    /// client (see [`KafkaAdmin::client`]), the error of its making.
    async fn blocking<T: Send + 'static, E: From<client::Unmade> + Send + 'static>(
        &self,
        call: impl FnOnce(&librdkafka::Client, Duration) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let client = self.client().map_err(|message| E::from(client::Unmade(message)))?;
        let timeout = self.connection.request_timeout();
        let via = *self.via.lock().unwrap();
        tokio::task::spawn_blocking(move || librdkafka::with_via(via, || call(&client, timeout)))
            .await
            .expect("librdkafka call panicked")
    }

    /// Says `line` (already redacted) at `-v`.
    fn note(&self, line: &str) {
        if let Some(log) = &self.log {
            log(&format!("topicform: {line}"));
        }
    }

    /// How long the next request may wait (see [`Connection::request_timeout`]).
    fn request_timeout(&self) -> Duration {
        self.connection.request_timeout()
    }
}

impl Drop for KafkaAdmin {
    fn drop(&mut self) {
        if let Some(Ok(client::Made { client, drain: Some((stop, thread)) })) = self.made.take() {
            stop.store(true, Ordering::Relaxed);
            // Not a poll (200 ms) away.
            librdkafka::wake_main(&client);
            let _ = thread.join();
        }
    }
}

/// Connects to the clusters of the project file with librdkafka; at `-v` its log lines go to `log`.
#[derive(Clone, Default)]
pub struct KafkaConnect {
    /// Where librdkafka's log lines go when they are shown.
    pub log: Option<LogSink>,
}

impl Connect for KafkaConnect {
    type Admin = KafkaAdmin;

    fn connect(&self, cluster: &ClusterConfig, connection: Connection) -> Result<KafkaAdmin, Error> {
        client::connect(cluster, connection, self.log.clone())
    }
}

impl Admin for KafkaAdmin {
    fn request_count(&self) -> Option<usize> {
        Some(self.requests())
    }

    async fn describe(&self, scope: &Scope) -> Result<Live, Error> {
        describe::describe(self, scope).await
    }

    async fn create_topics(&self, topics: &[NewTopic], mode: Mode) -> Vec<Result<(), Error>> {
        execute::create_topics(self, topics, mode).await
    }

    async fn create_partitions(&self, partitions: &[NewPartitions], mode: Mode) -> Vec<Result<(), Error>> {
        execute::create_partitions(self, partitions, mode).await
    }

    async fn alter_topic_configs(&self, alters: &[ConfigAlter<String>], mode: Mode) -> Vec<Result<(), Error>> {
        execute::alter_topic_configs(self, alters, mode).await
    }

    async fn alter_broker_configs(&self, alters: &[ConfigAlter<i32>]) -> Vec<Result<(), Error>> {
        execute::alter_broker_configs(self, alters).await
    }

    async fn delete_topics(&self, topics: &[String]) -> Vec<Result<(), Error>> {
        execute::delete_topics(self, topics).await
    }

    async fn alter_reassignments(&self, moves: &[Reassignment]) -> Vec<Result<(), Error>> {
        execute::alter_reassignments(self, moves).await
    }

    async fn list_reassignments(&self, partitions: &BTreeMap<String, Vec<i32>>) -> Result<Vec<Ongoing>, Error> {
        execute::list_reassignments(self, partitions).await
    }

    async fn disagreement(&self, topics: &[String]) -> Result<Vec<String>, Error> {
        describe::disagreement(self, topics).await
    }

    async fn data(&self, live: &Live, query: &DataQuery) -> BTreeMap<String, TopicData> {
        data::data(self, live, query).await
    }
}
