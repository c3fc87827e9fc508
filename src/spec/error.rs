//! Problems found while loading and validating the desired state, each with the place it was written.

use std::fmt;

use super::Location;

/// How bad a problem is: errors fail `validate`, `plan` and `apply`; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
        Severity::Error
    }

    /// A suggestion for the fix, shown on its own `hint:` line.
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            ErrorKind::UnknownKey { suggestion: Some(s), .. } => Some(format!("did you mean `{s}`?")),
            ErrorKind::UnknownKey { expected, .. } if !expected.is_empty() => {
                Some(format!("expected one of {}", backticked(expected)))
            }
            ErrorKind::PartitionsOutOfRange { .. } => {
                Some("a topic needs at least 1 partition; Kafka allows at most 2147483647".into())
            }
            ErrorKind::ReplicationFactorOutOfRange { .. } => {
                Some("the replication factor is at least 1 and at most the number of brokers".into())
            }
            ErrorKind::DuplicateTopic { first, .. } => Some(format!("first declared at {first}")),
            ErrorKind::InvalidTopicName { .. } => {
                Some("legal names have 1 to 249 characters from `a-z A-Z 0-9 . _ -` and are not `.` or `..`".into())
            }
            ErrorKind::UnknownCluster { known, .. } if !known.is_empty() => {
                Some(format!("the project file names {}", backticked(known)))
            }
            ErrorKind::UnsetVariable { .. } => {
                Some("export the variable, or write the value into the project file".into())
            }
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

/// What is wrong, with the data needed to explain it. Messages are one sentence, no trailing period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// A file could not be read.
    #[error("cannot read the file: {reason}")]
    Read {
        /// The operating system's reason.
        reason: String,
    },
    /// A file is not UTF-8.
    #[error("the file is not valid UTF-8 (byte {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
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
    },
    /// A path named on the command line holds no topic files.
    #[error("`{path}` holds no `.yaml` or `.yml` files")]
    NoTopicFiles {
        /// The path as given.
        path: String,
    },
    /// A topic name Kafka would refuse.
    #[error("`{name}` is not a legal topic name: {reason}")]
    InvalidTopicName {
        /// The name as written.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// `partitions` missing after defaults are applied.
    #[error("topic `{topic}` does not say how many partitions it has")]
    PartitionsMissing {
        /// The topic.
        topic: String,
    },
    /// `partitions` outside 1..=i32::MAX.
    #[error("topic `{topic}` sets `partitions: {value}`; Kafka needs at least 1")]
    PartitionsOutOfRange {
        /// The topic.
        topic: String,
        /// The value as parsed.
        value: i64,
    },
    /// `replicationFactor` outside 1..=i16::MAX.
    #[error("topic `{topic}` sets `replicationFactor: {value}`, which Kafka cannot use")]
    ReplicationFactorOutOfRange {
        /// The topic.
        topic: String,
        /// The value as parsed.
        value: i64,
    },
    /// The same topic declared twice.
    #[error("topic `{topic}` is declared more than once")]
    DuplicateTopic {
        /// The topic.
        topic: String,
        /// Where it was declared first.
        first: Location,
    },
    /// A config value that cannot be turned into a Kafka config string.
    #[error("topic `{topic}` sets `{key}` to {reason}")]
    InvalidConfigValue {
        /// The topic.
        topic: String,
        /// The config key.
        key: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A config key that is not a plausible Kafka config name.
    #[error("`{key}` is not a Kafka config name")]
    InvalidConfigKey {
        /// The key as written.
        key: String,
    },
    /// `--cluster NAME` names no cluster of the project file.
    #[error("the project file has no cluster `{name}`")]
    UnknownCluster {
        /// The name asked for.
        name: String,
        /// The clusters the project file names.
        known: Vec<String>,
    },
    /// A `${VAR}` reference to a variable that is not set.
    #[error("`${{{name}}}` is not set in the environment")]
    UnsetVariable {
        /// The variable's name.
        name: String,
    },
    /// A malformed `${...}` reference.
    #[error("malformed variable reference `{text}`; write `${{NAME}}`")]
    BadVariable {
        /// The text as written.
        text: String,
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
