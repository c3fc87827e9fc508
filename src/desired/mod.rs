//! Desired state: what the YAML files in git declare.
//!
//! [`load`] is the only code that reads files; [`validate`] turns the parsed documents into a [`Desired`]
//! value or a list of every problem found. Nothing here talks to Kafka or reads the environment: the
//! project file's `${VAR}` references are resolved through a lookup function passed in by the caller.

// Problems are collected on the cold path, once per run; their size does not matter, and boxing each
// would only add noise to every constructor.
#![allow(clippy::result_large_err)]

pub mod bootstrap;
pub mod client;
mod client_properties;
mod error;
pub mod load;
pub mod model;
pub mod policy;
pub mod project;
pub mod release;
pub mod shapes;
pub mod validate;
pub mod yaml;

use compact_str::CompactString;
use litemap::LiteMap;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use error::{Availability, Error, ErrorKind, ReleaseBasis, Severity, Subject};
pub use load::{Sources, load_project, load_topics};
pub use project::{ClientProperties, ClusterConfig, ConfigMode, Project};
pub use release::check_release;

/// Where something was written: a file, and a 1-based line and column in it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Location {
    /// The file, as the user named it (relative paths stay relative).
    pub file: Arc<PathBuf>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte offset from the start of the file, when known; used for source snippets. (32-bit fields:
    /// a location is held for every value of tens of thousands of topics; a topic file is far smaller
    /// than 4 GiB, and the parser's positions are 32-bit already.)
    #[serde(skip)]
    #[schemars(skip)]
    pub offset: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// The validated desired state of every topic the files declare, keyed by topic name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// Declared topics, sorted by name.
    pub topics: BTreeMap<String, DesiredTopic>,
}

impl Desired {
    /// The config keys each topic declares, by topic: what a describe for a diff must keep beside the
    /// overrides (see [`crate::live::Scope::declaring`]).
    pub fn declared_keys(&self) -> BTreeMap<String, Vec<String>> {
        self.topics.iter().map(|(name, t)| (name.clone(), t.configs.keys().map(|k| k.to_string()).collect())).collect()
    }
}

/// One declared topic, with file defaults already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTopic {
    /// The topic name; a legal Kafka topic name.
    pub name: String,
    /// Partition count, at least 1.
    pub partitions: u32,
    /// Replication factor; `None` leaves it to the broker's `default.replication.factor` at creation and
    /// never reports drift on it.
    pub replication_factor: Option<u16>,
    /// Declared topic configs (pinned as topic overrides), as the strings Kafka stores, by key. A flat
    /// sorted map of inline strings (up to 24 bytes, which nearly every key and value is, without an
    /// allocation): a topic declares a handful, and tens of thousands of topics are held at once.
    pub configs: LiteMap<CompactString, CompactString>,
    /// Where the topic is declared (its `name:` entry).
    pub origin: Option<Location>,
    /// Where its other values were written, for diagnostics about them.
    pub locations: Locations,
    /// What happens to undeclared overrides; `None` means the project's (or cluster's) mode, else strict.
    pub config_mode: Option<ConfigMode>,
    /// `delete: true`: the topic is to be deleted.
    pub delete: bool,
    /// Rules this topic is known to break, acknowledged in its file (`import` writes them for live
    /// topics that break a rule, so that adopting them changes nothing and the risk stays in review).
    pub acknowledged: BTreeSet<Acknowledgement>,
}

/// A rule that a declared topic may break knowingly, by saying so in its file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Acknowledgement {
    /// `min.insync.replicas` above the replication factor: producers with `acks=all` cannot write.
    MinInsyncAboveReplicationFactor,
    /// `delete: true` of a topic whose data is in use (written within the window, or read by a consumer
    /// group with members): apply deletes it without `--allow-active-data`.
    ActiveData,
}

/// Kafka's internal topics (`__consumer_offsets`, `__transaction_state`, `__share_group_state`, ...):
/// never read, changed or deleted by topicform.
pub fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

/// Where a topic's values were written: in its file, its file's `defaults`, or a cluster override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    /// The `partitions` value.
    pub partitions: Option<Location>,
    /// The `replicationFactor` value.
    pub replication_factor: Option<Location>,
    /// Each config value, by key.
    pub configs: LiteMap<CompactString, Location>,
}
