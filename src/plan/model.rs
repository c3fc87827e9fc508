//! The plan is data: everything apply will do, everything that cannot be done with the reason, and
//! what the reviewer should know but nothing will change (kept overrides, unmanaged topics).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

use crate::catalog::Release;
use crate::live::Effective;

pub use super::risk::Risk;
use crate::desired::Location;

/// Bumped whenever a consumer of the JSON form would break.
pub const FORMAT_VERSION: u32 = 1;

/// Everything apply will do. Apply decides nothing that is not written here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// See [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Changes, sorted by topic and then by kind, so output is deterministic.
    #[serde(serialize_with = "with_risk")]
    #[schemars(with = "Vec<RatedChange>")]
    pub changes: Vec<Change>,
    /// Changes that cannot or must not be made, each with its reason. Apply refuses a plan with any.
    pub blocked: Vec<Blocked>,
    /// Undeclared topic overrides left in place because the topic's config mode is `additive`.
    pub kept: Vec<Kept>,
    /// Live topics inside the project's `owns` patterns that no file declares. Never changed.
    pub unmanaged: Vec<String>,
    /// Live overrides of keys topicform does not know for the cluster's release (a newer Kafka, a
    /// vendor's own keys): kept, never unset; declare them under `rawConfig` to manage them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<Kept>,
    /// The Apache Kafka release the cluster's brokers run, when it was detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka_version: Option<Release>,
    /// What the plan was made against, when not the live cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    /// What the changes do to data, for every topic with a deletion, a shorter `retention.ms` or
    /// `retention.bytes`, or a `cleanup.policy` change: size, records, last write, consumer groups, and
    /// for a retention cut an estimate of what goes at once. Sizes are in bytes, times in milliseconds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, super::data::Impact>,
}

/// A plan made against a snapshot instead of the live cluster (`plan --from-snapshot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Basis {
    /// The snapshot file.
    pub snapshot: String,
    /// When it was taken, UTC.
    pub taken_at: String,
    /// How old it was when the plan was made, in seconds.
    pub age_secs: u64,
    /// Its `contentHash`.
    pub content_hash: String,
}

/// One change to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
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
        /// The replicas of each new partition, preferred leader first: rack-aware, leaders balanced.
        /// Empty lets the broker place them.
        #[serde(default)]
        assignments: Vec<Vec<i32>>,
    },
    /// Set a topic config override to a value that differs from the current effective one.
    SetConfig {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// The current effective value and its source (a topic override, or what the topic inherits).
        before: Option<Effective>,
        /// The value to set.
        after: String,
    },
    /// Pin a config as a topic override at the value the topic already inherits: the effective value
    /// does not change, but a later change of the broker's value no longer reaches the topic.
    PinConfig {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// The value, equal to the inherited one.
        value: String,
        /// Where the inherited value comes from today.
        #[serde(rename = "inheritedFrom")]
        inherited_from: crate::live::ConfigSource,
    },
    /// Change the replication factor by partition reassignment (KIP-455): replicas are added or
    /// removed per partition, the data copied by the brokers, the topic never recreated.
    ChangeReplicationFactor {
        /// The topic.
        topic: String,
        /// Current replication factor.
        from: u16,
        /// New replication factor.
        to: u16,
        /// The new replica list of every partition.
        moves: Vec<PartitionMove>,
    },
    /// Delete a topic and all its data.
    DeleteTopic {
        /// The topic.
        topic: String,
        /// Its partition count, to show what is lost.
        partitions: u32,
        /// Why it is deleted.
        reason: DeleteReason,
    },
    /// Wait for a partition reassignment that an earlier apply (or someone else) started and that is
    /// still running, then remove its replication throttle: the cluster has not converged until then.
    AwaitReassignment {
        /// The topic.
        topic: String,
        /// The partitions whose replicas are still moving.
        partitions: Vec<i32>,
        /// The brokers whose replication throttle rate is removed after the wait.
        brokers: Vec<i32>,
    },
    /// Remove a replication throttle that no running move needs any more: the topic's throttled-replica
    /// lists, and the throttle rates of the brokers they name (an interrupted apply leaves them).
    RemoveThrottle {
        /// The topic.
        topic: String,
        /// The brokers whose `leader/follower.replication.throttled.rate` is removed with it.
        brokers: Vec<i32>,
    },
    /// Remove a topic override that the files do not declare; the topic then inherits `after`.
    UnsetConfig {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// The current override; `None` when the value is sensitive and not shown.
        before: Option<String>,
        /// The value the topic falls back to, and from where, when the broker said.
        after: Option<Effective>,
    },
}

/// One partition's replicas before and after a reassignment; the first replica is the preferred leader.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PartitionMove {
    /// Partition id.
    pub partition: i32,
    /// Replicas now.
    pub from: Vec<i32>,
    /// Replicas after.
    pub to: Vec<i32>,
}

/// Why a topic is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeleteReason {
    /// A file declares it with `delete: true`.
    Declared,
    /// It is inside the project's `owns`, no file declares it, and the plan was made with `--prune`.
    Pruned,
}

/// The phases of apply, in the order they run: creates first, so later changes find their topics;
/// reassignments after configs (a replication throttle is a config); deletions last, since nothing
/// depends on them and a failure before them stops nothing that could have been saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// CreateTopics.
    Create,
    /// CreatePartitions.
    Partitions,
    /// IncrementalAlterConfigs.
    Configs,
    /// AlterPartitionReassignments, with its throttle and wait.
    Reassign,
    /// DeleteTopics.
    Delete,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 5] = [Phase::Create, Phase::Partitions, Phase::Configs, Phase::Reassign, Phase::Delete];

    /// The phase as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Partitions => "partitions",
            Phase::Configs => "configs",
            Phase::Reassign => "reassign",
            Phase::Delete => "delete",
        }
    }
}

impl Change {
    /// The topic the change is about.
    pub fn topic(&self) -> &str {
        match self {
            Change::CreateTopic { topic, .. }
            | Change::AddPartitions { topic, .. }
            | Change::SetConfig { topic, .. }
            | Change::PinConfig { topic, .. }
            | Change::DeleteTopic { topic, .. }
            | Change::ChangeReplicationFactor { topic, .. }
            | Change::AwaitReassignment { topic, .. }
            | Change::RemoveThrottle { topic, .. }
            | Change::UnsetConfig { topic, .. } => topic,
        }
    }

    /// The phase of apply the change belongs to.
    pub fn phase(&self) -> Phase {
        match self {
            Change::CreateTopic { .. } => Phase::Create,
            Change::AddPartitions { .. } => Phase::Partitions,
            Change::SetConfig { .. } | Change::PinConfig { .. } | Change::UnsetConfig { .. } => Phase::Configs,
            Change::ChangeReplicationFactor { .. }
            | Change::AwaitReassignment { .. }
            | Change::RemoveThrottle { .. } => Phase::Reassign,
            Change::DeleteTopic { .. } => Phase::Delete,
        }
    }

    /// Whether the change deletes data.
    pub fn is_destructive(&self) -> bool {
        self.risk().0 == Risk::Destructive
    }

    /// Plans list a topic's changes in phase order, its configs by key.
    fn sort_key(&self) -> (&str, Phase, &str) {
        let key = match self {
            Change::SetConfig { key, .. } | Change::PinConfig { key, .. } | Change::UnsetConfig { key, .. } => key,
            _ => "",
        };
        (self.topic(), self.phase(), key)
    }
}

/// A change as JSON carries it: with its risk class and reason, so tools need not recompute them.
#[derive(Serialize, JsonSchema)]
pub struct RatedChange<'a> {
    /// The change.
    #[serde(flatten)]
    pub change: &'a Change,
    /// Its risk class.
    pub risk: Risk,
    /// Why it is not safe.
    #[serde(rename = "riskReason", skip_serializing_if = "Option::is_none")]
    pub risk_reason: Option<&'static str>,
}

fn with_risk<S: Serializer>(changes: &[Change], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(changes.iter().map(|change| {
        let (risk, risk_reason) = change.risk();
        RatedChange { change, risk, risk_reason }
    }))
}

/// A change the plan cannot make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
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
    /// More partitions declared than one topic may have (see `desired::validate::MAX_PARTITIONS`);
    /// validation refuses them first, so only a desired state made otherwise meets this.
    #[error("declares {declared} partitions, above librdkafka's limit of {max} partitions for one topic")]
    TooManyPartitions {
        /// Declared partition count.
        declared: u32,
        /// The most one topic may have.
        max: u32,
    },
    /// A replication factor above the number of brokers.
    #[error("declares replication factor {declared}, but the cluster has {brokers} broker(s)")]
    NotEnoughBrokers {
        /// Declared replication factor.
        declared: u16,
        /// Live brokers.
        brokers: usize,
    },
    /// A replication-factor change and a partition increase on the same topic.
    #[error(
        "changes the replication factor ({from} -> {to}) and the partition count at once; change one, apply, \
         then the other"
    )]
    ReplicationFactorAndPartitions {
        /// Current replication factor.
        from: u16,
        /// Declared replication factor.
        to: u16,
    },
    /// A topic declared with `delete: true` that Kafka or topicform never deletes.
    #[error("is an internal topic; topicform never changes or deletes internal topics")]
    Internal,
    /// A declared config that the broker says cannot be changed on a topic.
    #[error("sets `{key}`, which Kafka does not allow to change on an existing topic")]
    ReadOnlyConfig {
        /// The config.
        key: String,
    },
}

/// An undeclared override kept because of `configMode: additive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Kept {
    /// The topic.
    pub topic: String,
    /// The config.
    pub key: String,
    /// Its value; `None` when sensitive.
    pub value: Option<String>,
}

/// How a run ends, decided from the plan alone; only `main` turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to do.
    Success,
    /// Changes are pending.
    ChangesPending,
    /// The plan has blocked changes, or the run failed.
    Failure,
    /// The run was interrupted (SIGINT, SIGTERM) and stopped before it was done.
    Interrupted,
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
    /// Unmanaged topics.
    pub unmanaged: usize,
}

impl Plan {
    /// A plan with these changes and blocked changes, sorted; nothing kept, nothing unmanaged.
    pub fn new(changes: Vec<Change>, blocked: Vec<Blocked>) -> Self {
        Plan::with_notes(changes, blocked, Vec::new(), Vec::new())
    }

    /// A plan with everything, sorted.
    pub fn with_notes(
        mut changes: Vec<Change>,
        mut blocked: Vec<Blocked>,
        mut kept: Vec<Kept>,
        mut unmanaged: Vec<String>,
    ) -> Self {
        changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.cmp(b)));
        blocked.sort_by(|a, b| a.topic.cmp(&b.topic));
        kept.sort_by(|a, b| (&a.topic, &a.key).cmp(&(&b.topic, &b.key)));
        unmanaged.sort();
        Plan {
            format_version: FORMAT_VERSION,
            changes,
            blocked,
            kept,
            unmanaged,
            unknown: Vec::new(),
            kafka_version: None,
            basis: None,
            data: BTreeMap::new(),
        }
    }

    /// True when there is nothing to do and nothing blocked (kept overrides, unknown overrides and
    /// unmanaged topics are notes, not drift).
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
        let deleted: BTreeSet<&str> =
            self.changes.iter().filter(|c| matches!(c, Change::DeleteTopic { .. })).map(Change::topic).collect();
        let changed: BTreeSet<&str> =
            self.changes.iter().map(Change::topic).filter(|t| !created.contains(t) && !deleted.contains(t)).collect();
        Summary {
            create: created.len(),
            change: changed.len(),
            delete: deleted.len(),
            blocked: self.blocked.len(),
            unmanaged: self.unmanaged.len(),
        }
    }
}
