//! Problems found while loading and validating the desired state, each with the place it was written.

use std::fmt;

use super::Location;
use crate::catalog::Release;

/// How bad a problem is: errors fail `validate`, `plan` and `apply`; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, does not fail the run.
    Warning,
    /// Fails the run before any cluster is contacted.
    Error,
}

/// One problem in the desired state or the project file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Where; `None` only when no file is involved (for example a directory that holds no YAML).
    pub at: Option<Location>,
}

impl Error {
    /// A problem at a place.
    pub fn at(kind: ErrorKind, at: Location) -> Self {
        Error { kind, at: Some(at) }
    }

    /// How bad the problem is.
    pub fn severity(&self) -> Severity {
        match &self.kind {
            ErrorKind::ReleaseMismatch { .. } | ErrorKind::ActiveDataWithoutDelete { .. } => Severity::Warning,
            ErrorKind::NoClusters { needed: false }
            | ErrorKind::ClientProperty { warning: true, .. }
            | ErrorKind::LinkLoop { .. } => Severity::Warning,
            ErrorKind::Policy { severity, .. } => *severity,
            _ => Severity::Error,
        }
    }

    /// A suggestion for the fix, shown on its own `hint:` line.
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            ErrorKind::UnknownKey { suggestion: Some(s), .. } => Some(format!("did you mean `{s}`?")),
            ErrorKind::UnknownKey { expected, .. } if !expected.is_empty() => {
                Some(format!("the keys here are {}", backticked(expected)))
            }
            ErrorKind::DuplicateKey { first: Some(first), .. } => Some(format!("first given at {first}")),
            ErrorKind::InvalidReplicationFactor { .. } => {
                Some("a replication factor is at least 1 and at most the number of brokers".into())
            }
            ErrorKind::InvalidPartitions { .. } => Some(format!(
                "a partition count is a whole number from 1 to {} (see `partitions` in docs/format.md)",
                super::validate::MAX_PARTITIONS
            )),
            ErrorKind::PartitionsMissing { .. } => {
                Some("add `partitions: N` to the topic, or to the file's `defaults`".into())
            }
            ErrorKind::DuplicateTopic { first, .. } => Some(format!("first declared at {first}")),
            ErrorKind::InvalidClusterName { .. } => Some(format!(
                "cluster names have 1 to {} characters from `a-z A-Z 0-9 . _ -` and do not start with `.` or `-`: \
                 they name files, log lines and metric labels",
                super::project::MAX_CLUSTER_NAME
            )),
            ErrorKind::InvalidTopicName { .. } => {
                Some("legal names have 1 to 249 characters from `a-z A-Z 0-9 . _ -` and are not `.` or `..`".into())
            }
            ErrorKind::UnknownCluster { known, .. } if !known.is_empty() => {
                Some(format!("the project file names {}", backticked(known)))
            }
            ErrorKind::UnknownConfig { suggestion: Some(s), .. } => Some(format!("did you mean `{s}`?")),
            ErrorKind::UnknownConfig { suggestion: None, .. } => Some(
                "docs/configs.md lists the topic configs of Kafka 2.8 to 4.4; a vendor's own key goes under `rawConfig`"
                    .into(),
            ),
            ErrorKind::ConfigNotInRelease { basis, .. } | ErrorKind::ConfigValueForRelease { basis, .. } => {
                Some(basis.to_string())
            }
            ErrorKind::RawConfigKnown { key, .. } => Some(format!("move `{key}` under `config`")),
            ErrorKind::BadRelease { .. } => {
                Some("write the release the brokers run, such as `kafkaVersion: \"3.9\"` (quoted)".into())
            }
            ErrorKind::ReleaseMismatch { .. } => {
                Some("the detected release is used; correct `kafkaVersion` so that `validate` checks the same".into())
            }
            ErrorKind::InvalidConfigValue { hint, .. } => hint.clone(),
            ErrorKind::MinInsyncAboveReplicationFactor { replication_factor_at, .. } => Some(format!(
                "with fewer in-sync replicas than `min.insync.replicas`, producers using `acks=all` cannot write{}",
                replication_factor_at
                    .as_ref()
                    .map(|l| format!("; the replication factor is set at {l}"))
                    .unwrap_or_default()
            )),
            ErrorKind::NameCollision { other_at, .. } => Some(format!(
                "Kafka refuses to create a topic whose name differs from another's only by `.` and `_` (their \
                 metric names would be the same); rename one; the other is at {other_at}"
            )),
            ErrorKind::Policy { hint, .. } => hint.clone(),
            ErrorKind::NotUtf8 { utf16: true, .. } => Some("this looks like UTF-16; save the file as UTF-8".into()),
            ErrorKind::NotUtf8 { utf16: false, .. } => Some("save the file as UTF-8".into()),
            ErrorKind::UnsetVariable { name } if name.starts_with("file:") => {
                Some(
                    "check the path, and that it is a regular file (not a named pipe, a device or a directory) of at \
                     most 1 MiB that can be read"
                        .into(),
                )
            }
            ErrorKind::UnsetVariable { .. } => {
                Some("export the variable, or write the value into the project file".into())
            }
            ErrorKind::NoClusters { .. } => Some(
                "add `clusters:` with a name and a `bootstrap` for each cluster, such as \
                 `clusters: {local: {bootstrap: 127.0.0.1:9092}}`"
                    .into(),
            ),
            ErrorKind::ChooseCluster { known } => Some(format!("choose one with `--cluster`: {}", backticked(known))),
            ErrorKind::BadBootstrap { entry: None, .. } => {
                Some("the value comes from a `${...}` reference, and is not shown".into())
            }
            ErrorKind::ClientProperty { hint, .. } => hint.clone(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for Error {}

/// Who sets a value: a topic, a file's `defaults`, or a cluster's override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A topic, by name.
    Topic(String),
    /// The `defaults` of a topic file.
    Defaults,
    /// A cluster of the project file.
    Cluster(String),
    /// An entry of a cluster's `overrides`.
    Override {
        /// The cluster.
        cluster: String,
        /// The entry's `match` pattern.
        pattern: String,
    },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Topic(t) => write!(f, "topic `{t}`"),
            Subject::Defaults => write!(f, "the file's `defaults`"),
            Subject::Cluster(c) => write!(f, "cluster `{c}`"),
            Subject::Override { cluster, pattern } => write!(f, "the override `{pattern}` of cluster `{cluster}`"),
        }
    }
}

/// What is wrong, with the data needed to explain it. Messages are one sentence, no trailing period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// A file or directory could not be read.
    #[error("{reason}")]
    Read {
        /// The operating system's reason.
        reason: String,
    },
    /// A file is not UTF-8.
    #[error("the file is not valid UTF-8: byte {} is not part of any UTF-8 character", offset + 1)]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// Whether it starts with a UTF-16 byte-order mark.
        utf16: bool,
    },
    /// The YAML is malformed, or a value has the wrong type.
    #[error("{message}")]
    Syntax {
        /// The parser's message, without location (the location is in [`Error::at`]).
        message: String,
    },
    /// A mapping key that the format does not have.
    #[error("unknown key `{key}`")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The keys allowed there.
        expected: Vec<String>,
        /// The closest allowed key, when one is close.
        suggestion: Option<String>,
    },
    /// The same mapping key twice: YAML forbids it, and picking one silently would hide a mistake.
    #[error("`{key}` is given more than once in the same mapping")]
    DuplicateKey {
        /// The key.
        key: String,
        /// Where it was given first.
        first: Option<Location>,
    },
    /// A value of the wrong kind: a list where a number belongs, nothing where a name belongs.
    #[error("{key}{} must be {expected}, found {found}", subject.as_ref().map(|s| format!(" of {s}")).unwrap_or_default())]
    WrongType {
        /// The key, as a message names it: "`partitions`", "each entry of `topics`".
        key: String,
        /// Whose key it is, when that has a name.
        subject: Option<Subject>,
        /// What the key takes.
        expected: String,
        /// What was found instead, in words (never a secret: client values are not described).
        found: String,
    },
    /// A key that must be there is not.
    #[error("{of} has no `{key}`")]
    MissingKey {
        /// The key.
        key: String,
        /// What lacks it: "this topic", "cluster `prod`".
        of: String,
    },
    /// Something that is not a regular file where a topic file belongs (a named pipe would block the
    /// read forever).
    #[error("`{path}` is {what}; topicform reads only regular files")]
    NotRegular {
        /// The path.
        path: String,
        /// What it is: "a named pipe (FIFO)", "a socket", "a device".
        what: String,
    },
    /// A symbolic link to a directory that is being read already, above it.
    #[error("`{link}` leads back to a directory above it; topicform reads that directory once")]
    LinkLoop {
        /// The link.
        link: String,
    },
    /// A path named on the command line holds no topic files.
    #[error("`{path}` holds no `.yaml` or `.yml` files")]
    NoTopicFiles {
        /// The path as given.
        path: String,
    },
    /// A topic name Kafka would refuse.
    #[error("{} is not a legal topic name: {reason}", if name.is_empty() { "the empty string".to_owned() } else { format!("`{name}`") })]
    InvalidTopicName {
        /// The name as written.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// A cluster name outside the safe set: it names files (`--out plans/{cluster}.json`), log lines,
    /// metric labels and `/readyz` lines, and is selected with `--cluster a,b`.
    #[error("{} is not a legal cluster name: {reason}", if name.is_empty() { "the empty string".to_owned() } else { format!("`{}`", super::yaml::shown(name)) })]
    InvalidClusterName {
        /// The name as written.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// A declared internal topic (`__consumer_offsets`, ...).
    #[error("`{name}` is an internal topic of Kafka; topicform never changes or deletes internal topics")]
    InternalTopic {
        /// The name.
        name: String,
    },
    /// `partitions` missing after defaults are applied.
    #[error("topic `{topic}` does not say how many partitions it has")]
    PartitionsMissing {
        /// The topic.
        topic: String,
    },
    /// `partitions` that Kafka cannot take.
    #[error("{subject} sets `partitions` to {reason}")]
    InvalidPartitions {
        /// Who sets it.
        subject: Subject,
        /// Why it is refused.
        reason: String,
    },
    /// `replicationFactor` that Kafka cannot take.
    #[error("{subject} sets `replicationFactor` to {reason}")]
    InvalidReplicationFactor {
        /// Who sets it.
        subject: Subject,
        /// Why it is refused.
        reason: String,
    },
    /// The same topic declared twice.
    #[error("topic `{topic}` is declared more than once")]
    DuplicateTopic {
        /// The topic.
        topic: String,
        /// Where it was declared first.
        first: Location,
    },
    /// A config key that Kafka does not have at topic level.
    #[error("`{key}` is not a topic config of Apache Kafka")]
    UnknownConfig {
        /// The key as written.
        key: String,
        /// The closest known key, when one is close.
        suggestion: Option<String>,
    },
    /// A declared config that the cluster's release does not have: it came later, or was removed.
    #[error("{subject} sets `{key}`, which Apache Kafka {release} does not have: {why}")]
    ConfigNotInRelease {
        /// Who sets it.
        subject: Subject,
        /// The config.
        key: String,
        /// The cluster's release.
        release: Release,
        /// When it appeared or went.
        why: Availability,
        /// Where the release comes from.
        basis: ReleaseBasis,
    },
    /// A declared value that the cluster's release does not accept (its range or values differ).
    #[error("{subject} sets `{key}` to {reason} in Apache Kafka {release}")]
    ConfigValueForRelease {
        /// Who sets it.
        subject: Subject,
        /// The config.
        key: String,
        /// The cluster's release.
        release: Release,
        /// What is wrong, starting with the value.
        reason: String,
        /// Where the release comes from.
        basis: ReleaseBasis,
    },
    /// `maxPlanAge` or `maxSnapshotAge` that is not a duration.
    #[error("`{key}` is {reason}")]
    InvalidMaxAge {
        /// The key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `kafkaVersion` that is not a release topicform supports.
    #[error("`kafkaVersion` of cluster `{cluster}` is {reason}")]
    BadRelease {
        /// The cluster.
        cluster: String,
        /// What is wrong.
        reason: String,
    },
    /// `kafkaVersion` says one release, the brokers another.
    #[error("cluster `{cluster}` declares `kafkaVersion: {declared}`, but its brokers run Apache Kafka {detected}")]
    ReleaseMismatch {
        /// The cluster.
        cluster: String,
        /// The declared release.
        declared: Release,
        /// The detected release.
        detected: Release,
    },
    /// A `rawConfig` key that topicform knows.
    #[error("{subject} sets `{key}` under `rawConfig`, but it is a Kafka topic config that topicform checks")]
    RawConfigKnown {
        /// Who sets it.
        subject: Subject,
        /// The config.
        key: String,
    },
    /// A config value of the wrong type, out of range, or not among the allowed values.
    #[error("{subject} sets `{key}` to {reason}")]
    InvalidConfigValue {
        /// Who sets it.
        subject: Subject,
        /// The config key.
        key: String,
        /// What is wrong with the value.
        reason: String,
        /// How to write it instead.
        hint: Option<String>,
    },
    /// `acknowledge: [activeData]` on a topic that is not deleted: it lifts nothing.
    #[error("topic `{topic}` acknowledges `activeData`, which only matters with `delete: true`")]
    ActiveDataWithoutDelete {
        /// The topic.
        topic: String,
    },
    /// `min.insync.replicas` greater than the replication factor: every `acks=all` write would fail.
    #[error(
        "{}topic `{topic}` sets `min.insync.replicas: {min_isr}`, more than its replication factor {replication_factor}",
        cluster.as_ref().map(|c| format!("on cluster `{c}`, ")).unwrap_or_default()
    )]
    MinInsyncAboveReplicationFactor {
        /// The topic.
        topic: String,
        /// `min.insync.replicas`.
        min_isr: i64,
        /// The replication factor.
        replication_factor: u16,
        /// Where the replication factor is set.
        replication_factor_at: Option<Location>,
        /// The cluster whose overrides produce the conflict, if any.
        cluster: Option<String>,
    },
    /// Two topic names that differ only by `.` and `_`: Kafka refuses to create the second.
    #[error("topic `{topic}` and topic `{other}` differ only by `.` and `_`, and Kafka cannot hold both")]
    NameCollision {
        /// This topic.
        topic: String,
        /// The other topic.
        other: String,
        /// Where the other is declared.
        other_at: Location,
    },
    /// A rule of the project's policy is broken.
    #[error("{message}")]
    Policy {
        /// The rule's name in the project file.
        rule: String,
        /// What is wrong.
        message: String,
        /// How the project rates this rule.
        severity: Severity,
        /// What the rule asks for.
        hint: Option<String>,
    },
    /// A client property naming a file (`ssl.ca.location`, ...) that is a named pipe, a socket or a
    /// device: the Kafka client would wait on it, past `--timeout`. The path is not shown.
    #[error("client property `{key}` names {what}; the Kafka client reads only regular files there")]
    ClientFileNotRegular {
        /// The property.
        key: String,
        /// What the file is: "a named pipe (FIFO)", "a device".
        what: String,
    },
    /// A client property that is not a single value.
    #[error("client property `{key}` is {reason}; it takes a single value")]
    InvalidClientProperty {
        /// The property.
        key: String,
        /// What it is instead.
        reason: String,
    },
    /// `--cluster NAME` names no cluster of the project file.
    #[error("the project file has no cluster `{name}`")]
    UnknownCluster {
        /// The name asked for.
        name: String,
        /// The clusters the project file names.
        known: Vec<String>,
    },
    /// A `${VAR}` reference to a variable that is not set, or a `${file:PATH}` that cannot be read.
    #[error(
        "`${{{name}}}` {}",
        if name.starts_with("file:") { "names a file that cannot be read" } else { "is not set in the environment" }
    )]
    UnsetVariable {
        /// The variable's name.
        name: String,
    },
    /// A `${file:PATH}` naming a named pipe, a socket or a device, which a read would wait on.
    #[error("`${{{name}}}` names {what}; topicform reads only regular files")]
    SpecialFileReference {
        /// The reference's name (`file:PATH`).
        name: String,
        /// What the file is: "a named pipe (FIFO)", "a device".
        what: String,
    },
    /// A malformed `${...}` reference.
    #[error("malformed variable reference `{text}`; write `${{NAME}}`")]
    BadVariable {
        /// The text as written.
        text: String,
    },
    /// A glob pattern that does not compile.
    #[error("`{pattern}` in `{key}` is not a valid glob pattern: {reason}")]
    BadPattern {
        /// The key that holds it.
        key: String,
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// The project file names no cluster. Only a warning for `validate`, which needs none.
    #[error("the project file declares no cluster")]
    NoClusters {
        /// The command needs one.
        needed: bool,
    },
    /// Several clusters, and none chosen.
    #[error("the project file declares several clusters, and none was chosen")]
    ChooseCluster {
        /// The clusters the project file names.
        known: Vec<String>,
    },
    /// An entry of `bootstrap` that is not `host:port`.
    #[error(
        "{} of cluster `{cluster}`'s `bootstrap` is not `host:port`: {reason}",
        entry.as_ref().map(|e| format!("`{e}`")).unwrap_or_else(|| format!("entry {position}"))
    )]
    BadBootstrap {
        /// The cluster.
        cluster: String,
        /// The entry, when it is written literally; never a value from the environment.
        entry: Option<String>,
        /// The entry's place in the list, from 1.
        position: usize,
        /// Why it is refused.
        reason: String,
    },
    /// A client property librdkafka does not have, or whose value it cannot take. Never holds a value.
    #[error("client property `{key}` of cluster `{cluster}` {problem}")]
    ClientProperty {
        /// The cluster.
        cluster: String,
        /// The property.
        key: String,
        /// What is wrong, without the value.
        problem: String,
        /// How to fix it.
        hint: Option<String>,
        /// Only a warning (a property that has no effect).
        warning: bool,
    },
    /// A required value is empty.
    #[error("`{key}` must not be empty")]
    Empty {
        /// The key.
        key: String,
    },
}

fn backticked(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// When a config is in Kafka: it appeared in a later release, or an earlier one removed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// It appeared in this release.
    Since(Release),
    /// This release removed it.
    Until(Release),
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::Since(r) => write!(f, "it appeared in {r}"),
            Availability::Until(r) => write!(f, "{r} removed it"),
        }
    }
}

/// Where topicform took a cluster's release from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseBasis {
    /// The cluster's `kafkaVersion` in the project file.
    Declared {
        /// The cluster.
        cluster: String,
        /// Where `kafkaVersion` is written.
        at: Location,
    },
    /// What the brokers answered.
    Detected {
        /// The cluster.
        cluster: String,
    },
}

impl fmt::Display for ReleaseBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseBasis::Declared { cluster, at } => {
                write!(f, "the release is the `kafkaVersion` of cluster `{cluster}` ({at})")
            }
            ReleaseBasis::Detected { cluster } => {
                write!(f, "the brokers of cluster `{cluster}` run this release (from their ApiVersions answer)")
            }
        }
    }
}
