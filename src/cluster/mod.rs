//! The [`Admin`] interface: the primitives topicform needs from a cluster, one per Kafka request kind,
//! each batched (one request for many topics). An implementation executes what it is asked and says how
//! each item went; it never orders phases, invents changes or waits in loops: [`crate::apply`] decides
//! all of that over these primitives.
//!
//! [`kafka`] is the only code that uses a Kafka client; [`fake`] is an in-memory cluster for fast tests.

pub mod fake;
pub mod kafka;
pub mod snapshot;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::desired::ClusterConfig;
use crate::live::{DataQuery, Live, Scope, TopicData};

/// Kafka's error names (and librdkafka's own, which start with `_`), as data: retriable or not is
/// decided here, on the enum, never by matching message text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `TOPIC_ALREADY_EXISTS`.
    TopicAlreadyExists,
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    UnknownTopicOrPartition,
    /// `INVALID_PARTITIONS`.
    InvalidPartitions,
    /// `INVALID_REPLICATION_FACTOR`.
    InvalidReplicationFactor,
    /// `INVALID_REPLICA_ASSIGNMENT`.
    InvalidReplicaAssignment,
    /// `INVALID_CONFIG`.
    InvalidConfig,
    /// `POLICY_VIOLATION`.
    PolicyViolation,
    /// `TOPIC_AUTHORIZATION_FAILED`.
    TopicAuthorizationFailed,
    /// `CLUSTER_AUTHORIZATION_FAILED`.
    ClusterAuthorizationFailed,
    /// `UNKNOWN_SERVER_ERROR`.
    UnknownServerError,
    /// `NOT_CONTROLLER`: the request reached a broker that is not the controller.
    NotController,
    /// `REQUEST_TIMED_OUT`.
    RequestTimedOut,
    /// `LEADER_NOT_AVAILABLE`.
    LeaderNotAvailable,
    /// `NOT_LEADER_OR_FOLLOWER`.
    NotLeaderOrFollower,
    /// `NETWORK_EXCEPTION`.
    NetworkException,
    /// `BROKER_NOT_AVAILABLE`.
    BrokerNotAvailable,
    /// `COORDINATOR_NOT_AVAILABLE`.
    CoordinatorNotAvailable,
    /// `THROTTLING_QUOTA_EXCEEDED`.
    ThrottlingQuotaExceeded,
    /// `KAFKA_STORAGE_ERROR`.
    KafkaStorageError,
    /// librdkafka's `_TRANSPORT`: the connection failed.
    Transport,
    /// librdkafka's `_TIMED_OUT`.
    TimedOut,
    /// librdkafka's `_ALL_BROKERS_DOWN`.
    AllBrokersDown,
    /// librdkafka's `_WAIT_COORD`.
    WaitCoord,
    /// librdkafka's `_NODE_UPDATE`.
    NodeUpdate,
    /// The broker's answer did not mention the item (topicform's own name: `NO_RESULT`).
    NoResult,
    /// This connection cannot do what was asked (topicform's own name: `UNSUPPORTED`).
    Unsupported,
    /// Apply was asked to stop before the item was sent or answered (topicform's own: `INTERRUPTED`).
    Interrupted,
    /// Any other name, as Kafka or librdkafka spelled it.
    Other(String),
}

impl ErrorCode {
    const NAMED: [(ErrorCode, &'static str); 27] = [
        (ErrorCode::TopicAlreadyExists, "TOPIC_ALREADY_EXISTS"),
        (ErrorCode::UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION"),
        (ErrorCode::InvalidPartitions, "INVALID_PARTITIONS"),
        (ErrorCode::InvalidReplicationFactor, "INVALID_REPLICATION_FACTOR"),
        (ErrorCode::InvalidReplicaAssignment, "INVALID_REPLICA_ASSIGNMENT"),
        (ErrorCode::InvalidConfig, "INVALID_CONFIG"),
        (ErrorCode::PolicyViolation, "POLICY_VIOLATION"),
        (ErrorCode::TopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED"),
        (ErrorCode::ClusterAuthorizationFailed, "CLUSTER_AUTHORIZATION_FAILED"),
        (ErrorCode::UnknownServerError, "UNKNOWN_SERVER_ERROR"),
        (ErrorCode::NotController, "NOT_CONTROLLER"),
        (ErrorCode::RequestTimedOut, "REQUEST_TIMED_OUT"),
        (ErrorCode::LeaderNotAvailable, "LEADER_NOT_AVAILABLE"),
        (ErrorCode::NotLeaderOrFollower, "NOT_LEADER_OR_FOLLOWER"),
        (ErrorCode::NetworkException, "NETWORK_EXCEPTION"),
        (ErrorCode::BrokerNotAvailable, "BROKER_NOT_AVAILABLE"),
        (ErrorCode::CoordinatorNotAvailable, "COORDINATOR_NOT_AVAILABLE"),
        (ErrorCode::ThrottlingQuotaExceeded, "THROTTLING_QUOTA_EXCEEDED"),
        (ErrorCode::KafkaStorageError, "KAFKA_STORAGE_ERROR"),
        (ErrorCode::Transport, "_TRANSPORT"),
        (ErrorCode::TimedOut, "_TIMED_OUT"),
        (ErrorCode::AllBrokersDown, "_ALL_BROKERS_DOWN"),
        (ErrorCode::WaitCoord, "_WAIT_COORD"),
        (ErrorCode::NodeUpdate, "_NODE_UPDATE"),
        (ErrorCode::NoResult, "NO_RESULT"),
        (ErrorCode::Unsupported, "UNSUPPORTED"),
        (ErrorCode::Interrupted, "INTERRUPTED"),
    ];

    /// The code of an error name as Kafka or librdkafka spells it (`NOT_CONTROLLER`, `_TRANSPORT`).
    pub fn from_name(name: &str) -> ErrorCode {
        // librdkafka names code 6 by its pre-KIP-392 name (`rd_kafka_err2name`), Kafka by the new one.
        let name = match name {
            "NOT_LEADER_FOR_PARTITION" => "NOT_LEADER_OR_FOLLOWER",
            other => other,
        };
        ErrorCode::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(code, _)| code.clone())
            .unwrap_or_else(|| ErrorCode::Other(name.to_owned()))
    }

    /// The name, as Kafka or librdkafka spells it.
    pub fn name(&self) -> &str {
        match self {
            ErrorCode::Other(name) => name,
            known => ErrorCode::NAMED.iter().find(|(c, _)| c == known).map_or("UNKNOWN", |(_, n)| n),
        }
    }

    /// Whether the request ran out of time (its outcome may be unknown).
    pub fn is_timeout(&self) -> bool {
        matches!(self, ErrorCode::RequestTimedOut | ErrorCode::TimedOut)
    }

    /// Whether trying again can succeed: the broker or the network was briefly unable, not the request
    /// wrong.
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            ErrorCode::NotController
                | ErrorCode::RequestTimedOut
                | ErrorCode::LeaderNotAvailable
                | ErrorCode::NotLeaderOrFollower
                | ErrorCode::NetworkException
                | ErrorCode::BrokerNotAvailable
                | ErrorCode::CoordinatorNotAvailable
                | ErrorCode::ThrottlingQuotaExceeded
                | ErrorCode::KafkaStorageError
                | ErrorCode::Transport
                | ErrorCode::TimedOut
                | ErrorCode::AllBrokersDown
                | ErrorCode::WaitCoord
                | ErrorCode::NodeUpdate
        ) || matches!(self, ErrorCode::Other(name) if RETRIABLE_OTHERS.contains(&name.as_str()))
    }
}

/// Kafka's other retriable errors (`RetriableException` subclasses) that an admin request can meet, and
/// librdkafka's local timeouts, by name.
const RETRIABLE_OTHERS: [&str; 7] = [
    "NOT_ENOUGH_REPLICAS",
    "PREFERRED_LEADER_NOT_AVAILABLE",
    "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "_TIMED_OUT_QUEUE",
];

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What can go wrong talking to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The client could not be set up (bad property, unknown mechanism).
    #[error("cannot configure the Kafka client: {0}")]
    Config(String),
    /// A request as a whole failed (no connection, timeout, authentication).
    #[error("{operation} failed: {message}")]
    Request {
        /// The admin operation (`Metadata`, `DescribeConfigs`, ...).
        operation: &'static str,
        /// Kafka's error, when there is one.
        code: Option<ErrorCode>,
        /// What Kafka or librdkafka said.
        message: String,
    },
    /// The broker refused a change to one item (a topic, or `broker 1`), or did not answer in time.
    #[error("{operation} `{topic}` {}{}", verdict(.code), detail(.message))]
    Topic {
        /// The admin operation.
        operation: &'static str,
        /// The topic, or the broker resource.
        topic: String,
        /// Kafka's error.
        code: ErrorCode,
        /// Kafka's message, if any.
        message: String,
    },
}

impl Error {
    /// Kafka's (or librdkafka's) error, when there is one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Config(_) => None,
            Error::Request { code, .. } => code.as_ref(),
            Error::Topic { code, .. } => Some(code),
        }
    }

    /// Whether trying again can succeed (see [`ErrorCode::is_retriable`]).
    pub fn is_retriable(&self) -> bool {
        self.code().is_some_and(ErrorCode::is_retriable)
    }
}

/// `refused: POLICY_VIOLATION`, but `timed out (REQUEST_TIMED_OUT)`: a timeout is not a refusal.
fn verdict(code: &ErrorCode) -> String {
    if code.is_timeout() { format!("timed out ({code})") } else { format!("refused: {code}") }
}

fn detail(message: &str) -> String {
    if message.is_empty() { String::new() } else { format!(": {message}") }
}

/// Whether the brokers only check a request (validate-only: nothing changes) or carry it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check only.
    Validate,
    /// Carry out.
    Execute,
}

/// A topic to create, with its configs (CreateTopics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// The name.
    pub name: String,
    /// Partition count.
    pub partitions: u32,
    /// Replication factor; `None` asks the broker for `default.replication.factor` (KIP-464).
    pub replication_factor: Option<u16>,
    /// Configs set at creation.
    pub configs: BTreeMap<String, String>,
}

/// New partitions for a topic (CreatePartitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartitions {
    /// The topic.
    pub topic: String,
    /// The partition count afterwards.
    pub total: u32,
    /// The replicas of each new partition, preferred leader first; empty lets the broker place them.
    pub assignments: Vec<Vec<i32>>,
}

/// One incremental config operation (KIP-339).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigOp {
    /// Set a key.
    Set {
        /// The config.
        key: String,
        /// Its value.
        value: String,
    },
    /// Remove a key's override.
    Delete {
        /// The config.
        key: String,
    },
}

impl ConfigOp {
    /// The config the operation is about.
    pub fn key(&self) -> &str {
        match self {
            ConfigOp::Set { key, .. } | ConfigOp::Delete { key } => key,
        }
    }
}

/// Config operations on one resource: a topic by name, or a broker by id (IncrementalAlterConfigs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigAlter<R> {
    /// The topic name or broker id.
    pub resource: R,
    /// Its operations, all in one resource of the request.
    pub ops: Vec<ConfigOp>,
}

/// A partition's new replica list (AlterPartitionReassignments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassignment {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// Its replicas afterwards, preferred leader first.
    pub replicas: Vec<i32>,
}

/// A partition whose reassignment is under way (ListPartitionReassignments).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ongoing {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

/// The primitives topicform needs from a cluster. Each call is batched (one request per kind and
/// chunk, not one per topic) and returns one result per item, in order.
pub trait Admin {
    /// Describes the brokers and every topic in `scope`: partitions, replicas and configs.
    fn describe(&self, scope: &Scope) -> impl Future<Output = Result<Live, Error>> + Send;

    /// CreateTopics, validate-only or not.
    fn create_topics(&self, topics: &[NewTopic], mode: Mode) -> impl Future<Output = Vec<Result<(), Error>>> + Send;

    /// CreatePartitions, validate-only or not.
    fn create_partitions(
        &self,
        partitions: &[NewPartitions],
        mode: Mode,
    ) -> impl Future<Output = Vec<Result<(), Error>>> + Send;

    /// IncrementalAlterConfigs on topics, validate-only or not: one result per topic.
    fn alter_topic_configs(
        &self,
        alters: &[ConfigAlter<String>],
        mode: Mode,
    ) -> impl Future<Output = Vec<Result<(), Error>>> + Send;

    /// IncrementalAlterConfigs on brokers (replication throttles): one result per broker.
    fn alter_broker_configs(&self, alters: &[ConfigAlter<i32>]) -> impl Future<Output = Vec<Result<(), Error>>> + Send;

    /// DeleteTopics. Kafka has no validate-only deletion.
    fn delete_topics(&self, topics: &[String]) -> impl Future<Output = Vec<Result<(), Error>>> + Send;

    /// AlterPartitionReassignments: one result per partition.
    fn alter_reassignments(&self, moves: &[Reassignment]) -> impl Future<Output = Vec<Result<(), Error>>> + Send;

    /// ListPartitionReassignments for these partitions, by topic: those still moving.
    fn list_reassignments(
        &self,
        partitions: &BTreeMap<String, Vec<i32>>,
    ) -> impl Future<Output = Result<Vec<Ongoing>, Error>> + Send;

    /// Facts about the data of `query`'s topics, as `live` (a describe) places them: sizes on disk
    /// (DescribeLogDirs), offsets and the last write (ListOffsets), consumer groups and their commits
    /// (ListGroups, OffsetFetch). A fixed handful of requests per broker, whatever the number of
    /// topics; none when the query is empty. What cannot be known (not authorised, an older release, a
    /// failed request) is said per fact, never an error.
    fn data(&self, live: &Live, query: &DataQuery) -> impl Future<Output = BTreeMap<String, TopicData>> + Send;

    /// The topics of `topics` that the brokers do not agree on yet: some list a topic and others do not,
    /// or they list different partition counts (metadata reaches each broker a moment after the
    /// controller; seconds after thousands of changes). One Metadata request of those topics per broker;
    /// a broker that does not answer within a short bound is left out. Empty when the admin cannot tell
    /// (an in-memory cluster, a snapshot: one view only).
    fn disagreement(&self, topics: &[String]) -> impl Future<Output = Result<Vec<String>, Error>> + Send {
        let _ = topics;
        async { Ok(Vec::new()) }
    }

    /// Admin requests sent so far through this admin, when it counts them (`watch` shows a cycle's).
    fn request_count(&self) -> Option<usize> {
        None
    }
}

/// How a command reaches its cluster: how long any one answer may take, when the whole command must be
/// done, and how much of the client's log to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// How long to wait for any one answer, at most.
    pub timeout: Duration,
    /// When the whole command must be done: every request gets what is left, if less than `timeout`.
    pub deadline: Option<std::time::Instant>,
    /// 0: warnings only; 1: the client's log; 2: its debug log too.
    pub verbose: u8,
}

impl Connection {
    /// How long the next request may wait: `timeout`, or what is left before the deadline (at least a
    /// millisecond, so that a request past the deadline fails at once as a timeout).
    pub fn request_timeout(&self) -> Duration {
        let left = self.deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        left.map_or(self.timeout, |l| l.min(self.timeout)).max(Duration::from_millis(1))
    }
}

/// Makes an [`Admin`] for a cluster of the project file: the real one connects to Kafka, a test's
/// hands out its [`fake::FakeCluster`].
pub trait Connect {
    /// The admin it makes.
    type Admin: Admin + Sync;

    /// An admin for `cluster`. No request is sent yet.
    fn connect(&self, cluster: &ClusterConfig, connection: Connection) -> Result<Self::Admin, Error>;

    /// Whether the admin talks to the live cluster (a snapshot does not: it needs no credential, so
    /// the project file's `${VAR}`s are not resolved for it).
    fn is_live(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip_and_classify() {
        for (code, name) in ErrorCode::NAMED {
            assert_eq!(ErrorCode::from_name(name), code);
            assert_eq!(code.name(), name);
        }
        assert_eq!(ErrorCode::from_name("SOMETHING_NEW"), ErrorCode::Other("SOMETHING_NEW".into()));
        assert_eq!(ErrorCode::from_name("NOT_LEADER_FOR_PARTITION"), ErrorCode::NotLeaderOrFollower);
        assert_eq!(ErrorCode::Other("SOMETHING_NEW".into()).to_string(), "SOMETHING_NEW");
        let cases = [
            ("NOT_CONTROLLER", true),
            ("REQUEST_TIMED_OUT", true),
            ("_TRANSPORT", true),
            ("_ALL_BROKERS_DOWN", true),
            // librdkafka's name for code 6, which a delete right after a create or a leader move meets.
            ("NOT_LEADER_FOR_PARTITION", true),
            ("NOT_LEADER_OR_FOLLOWER", true),
            ("LEADER_NOT_AVAILABLE", true),
            ("NOT_ENOUGH_REPLICAS", true),
            ("_TIMED_OUT_QUEUE", true),
            ("UNKNOWN_TOPIC_OR_PARTITION", false),
            ("POLICY_VIOLATION", false),
            ("INVALID_CONFIG", false),
            ("TOPIC_ALREADY_EXISTS", false),
            ("SOMETHING_NEW", false),
        ];
        for (name, retriable) in cases {
            assert_eq!(ErrorCode::from_name(name).is_retriable(), retriable, "{name}");
        }
    }

    #[test]
    fn a_timeout_is_not_called_a_refusal() {
        let error = |code| Error::Topic { operation: "CreateTopics", topic: "t".into(), code, message: String::new() };
        assert_eq!(error(ErrorCode::RequestTimedOut).to_string(), "CreateTopics `t` timed out (REQUEST_TIMED_OUT)");
        assert_eq!(error(ErrorCode::PolicyViolation).to_string(), "CreateTopics `t` refused: POLICY_VIOLATION");
    }
}
