//! The plan is data: everything apply will do, and everything that cannot be done, with the reason.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::spec::Location;

/// Bumped whenever a consumer of the JSON form would break.
pub const FORMAT_VERSION: u32 = 1;

/// Everything apply will do. Apply decides nothing that is not written here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// See [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Changes, sorted by topic and then by kind, so output is deterministic.
    pub changes: Vec<Change>,
    /// Changes that cannot or must not be made, each with its reason. Apply refuses a plan with any.
    pub blocked: Vec<Blocked>,
}

/// One change to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    /// Create a topic.
    CreateTopic {
        /// The topic.
        topic: String,
        /// Partition count.
        partitions: u32,
        /// Replication factor; `None` uses the broker's `default.replication.factor`.
        #[serde(rename = "replicationFactor")]
        replication_factor: Option<u16>,
        /// Topic configs to set at creation.
        configs: BTreeMap<String, String>,
    },
    /// Add partitions to a topic (Kafka cannot remove them).
    AddPartitions {
        /// The topic.
        topic: String,
        /// Current partition count.
        from: u32,
        /// New partition count.
        to: u32,
    },
    /// Set a topic config override.
    SetConfig {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// The current override, if the topic has one.
        before: Option<String>,
        /// The value to set.
        after: String,
    },
    /// Remove a topic config override that the files do not declare; the topic then inherits the
    /// broker's value.
    UnsetConfig {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// The current override; `None` when the value is sensitive and not shown.
        before: Option<String>,
    },
}

impl Change {
    /// The topic the change is about.
    pub fn topic(&self) -> &str {
        match self {
            Change::CreateTopic { topic, .. }
            | Change::AddPartitions { topic, .. }
            | Change::SetConfig { topic, .. }
            | Change::UnsetConfig { topic, .. } => topic,
        }
    }
}

/// A change the plan cannot make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blocked {
    /// The topic.
    pub topic: String,
    /// Why.
    pub reason: BlockedReason,
    /// Where the topic is declared.
    pub declared_at: Option<Location>,
}

/// Why a change is blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockedReason {
    /// Fewer partitions declared than the topic has.
    #[error(
        "declares {declared} partitions but the topic has {live}; Kafka cannot remove partitions, and \
         topicform never deletes and recreates a topic to do it"
    )]
    PartitionDecrease {
        /// Declared partition count.
        declared: u32,
        /// Live partition count.
        live: u32,
    },
    /// A different replication factor declared than the topic has.
    #[error(
        "declares replication factor {declared} but the topic has {live}; changing it needs a partition \
         reassignment, which this version of topicform does not do yet"
    )]
    ReplicationFactorChange {
        /// Declared replication factor.
        declared: u16,
        /// Live replication factor.
        live: usize,
    },
    /// A declared config that the broker says cannot be changed on a topic.
    #[error("sets `{key}`, which Kafka does not allow to change on a topic")]
    ReadOnlyConfig {
        /// The config.
        key: String,
    },
}

/// How a run ends, decided from the plan alone; only `main` turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to do.
    Success,
    /// Changes are pending.
    ChangesPending,
    /// The plan has blocked changes.
    Failure,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Topics to create.
    pub create: usize,
    /// Existing topics to change.
    pub change: usize,
    /// Topics to delete.
    pub delete: usize,
    /// Blocked changes.
    pub blocked: usize,
}

impl Plan {
    /// A plan with these changes and blocked changes, sorted.
    pub fn new(mut changes: Vec<Change>, mut blocked: Vec<Blocked>) -> Self {
        changes.sort_by(|a, b| a.topic().cmp(b.topic()).then_with(|| a.cmp(b)));
        blocked.sort_by(|a, b| a.topic.cmp(&b.topic));
        Plan { format_version: FORMAT_VERSION, changes, blocked }
    }

    /// True when there is nothing to do and nothing blocked.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.blocked.is_empty()
    }

    /// How a `plan` run ends.
    pub fn exit_status(&self) -> ExitStatus {
        if !self.blocked.is_empty() {
            ExitStatus::Failure
        } else if !self.changes.is_empty() {
            ExitStatus::ChangesPending
        } else {
            ExitStatus::Success
        }
    }

    /// Counts of topics by what happens to them.
    pub fn summary(&self) -> Summary {
        let created: BTreeSet<&str> =
            self.changes.iter().filter(|c| matches!(c, Change::CreateTopic { .. })).map(Change::topic).collect();
        let changed: BTreeSet<&str> = self.changes.iter().map(Change::topic).filter(|t| !created.contains(t)).collect();
        Summary { create: created.len(), change: changed.len(), delete: 0, blocked: self.blocked.len() }
    }
}
