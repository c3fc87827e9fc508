//! The plan is data: everything apply will do, everything that cannot be done with the reason, and
//! what the reviewer should know but nothing will change (kept overrides, unmanaged topics).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

use crate::cluster::Effective;
use crate::spec::Location;

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
        inherited_from: crate::cluster::ConfigSource,
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

/// How much a change can hurt, shown on every change in every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Adds something; nothing existing behaves differently.
    Safe,
    /// Existing producers, consumers or data can behave differently: read the reason.
    Caution,
    /// Deletes data.
    Destructive,
}

impl Risk {
    /// The risk class as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Safe => "safe",
            Risk::Caution => "caution",
            Risk::Destructive => "destructive",
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
            | Change::UnsetConfig { topic, .. } => topic,
        }
    }

    /// Whether the change deletes data.
    pub fn is_destructive(&self) -> bool {
        self.risk().0 == Risk::Destructive
    }

    /// Plans list a topic's creation first, then its partitions, then its configs by key.
    fn sort_key(&self) -> (&str, u8, &str) {
        match self {
            Change::CreateTopic { topic, .. } => (topic, 0, ""),
            Change::AddPartitions { topic, .. } => (topic, 1, ""),
            Change::SetConfig { topic, key, .. }
            | Change::PinConfig { topic, key, .. }
            | Change::UnsetConfig { topic, key, .. } => (topic, 2, key),
            Change::ChangeReplicationFactor { topic, .. } => (topic, 3, ""),
            Change::DeleteTopic { topic, .. } => (topic, 4, ""),
        }
    }

    /// The change's risk class, and why it is not safe.
    pub fn risk(&self) -> (Risk, Option<&'static str>) {
        match self {
            Change::CreateTopic { .. } | Change::PinConfig { .. } => (Risk::Safe, None),
            Change::DeleteTopic { .. } => (Risk::Destructive, Some("the topic and every record in it are deleted")),
            Change::ChangeReplicationFactor { from, to, .. } if to < from => {
                (Risk::Caution, Some("fewer copies of every record: the topic survives fewer broker failures"))
            }
            Change::ChangeReplicationFactor { .. } => (
                Risk::Caution,
                Some("brokers copy every partition's data to its new replicas; --throttle limits the traffic"),
            ),
            Change::AddPartitions { .. } => (
                Risk::Caution,
                Some(
                    "records with the same key go to a different partition from now on, which breaks per-key ordering",
                ),
            ),
            Change::SetConfig { key, before, after, .. } => {
                value_change_risk(key, before.as_ref().and_then(|b| b.value.as_deref()), Some(after))
            }
            Change::UnsetConfig { key, before, after, .. } => {
                value_change_risk(key, before.as_deref(), after.as_ref().and_then(|a| a.value.as_deref()))
            }
        }
    }
}

/// The risk of a config's effective value going from `before` to `after`.
fn value_change_risk(key: &str, before: Option<&str>, after: Option<&str>) -> (Risk, Option<&'static str>) {
    // -1 means "unlimited" for retention; treat it as the largest value.
    let limit = |v: Option<&str>| v.and_then(|v| v.parse::<i64>().ok()).map(|n| if n < 0 { i64::MAX } else { n });
    match key {
        "retention.ms" | "retention.bytes" | "local.retention.ms" | "local.retention.bytes" => {
            match (limit(before), limit(after)) {
                (Some(b), Some(a)) if a < b => {
                    (Risk::Caution, Some("shorter retention: the broker deletes older data soon after the change"))
                }
                (Some(_), Some(_)) => (Risk::Safe, None),
                _ => (Risk::Caution, Some("the retention limit changes and its old value is not known")),
            }
        }
        "cleanup.policy" => (
            Risk::Caution,
            Some(
                "a new cleanup policy changes which records the broker keeps: compaction drops older values of a key, deletion drops old segments",
            ),
        ),
        "min.insync.replicas" => match (limit(before), limit(after)) {
            (Some(b), Some(a)) if a <= b => (Risk::Safe, None),
            _ => (
                Risk::Caution,
                Some("more required in-sync replicas: `acks=all` producers fail while fewer replicas are in sync"),
            ),
        },
        "max.message.bytes" => match (limit(before), limit(after)) {
            (Some(b), Some(a)) if a >= b => (Risk::Safe, None),
            _ => (Risk::Caution, Some("a smaller record size limit: producers sending larger batches are refused")),
        },
        "unclean.leader.election.enable" if after == Some("true") => {
            (Risk::Caution, Some("unclean leader election can lose acknowledged records"))
        }
        _ => (Risk::Safe, None),
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
        Plan { format_version: FORMAT_VERSION, changes, blocked, kept, unmanaged }
    }

    /// True when there is nothing to do and nothing blocked (kept overrides and unmanaged topics are
    /// notes, not drift).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ConfigSource;

    fn effective(value: &str) -> Option<Effective> {
        Some(Effective { value: Some(value.into()), source: ConfigSource::TopicOverride })
    }

    #[test]
    fn risks() {
        let set = |key: &str, before: Option<&str>, after: &str| Change::SetConfig {
            topic: "t".into(),
            key: key.into(),
            before: before.and_then(effective),
            after: after.into(),
        };
        let cases = [
            (set("retention.ms", Some("604800000"), "86400000"), Risk::Caution),
            (set("retention.ms", Some("86400000"), "604800000"), Risk::Safe),
            (set("retention.ms", Some("-1"), "86400000"), Risk::Caution),
            (set("retention.ms", Some("86400000"), "-1"), Risk::Safe),
            (set("retention.ms", None, "86400000"), Risk::Caution),
            (set("cleanup.policy", Some("delete"), "compact"), Risk::Caution),
            (set("min.insync.replicas", Some("1"), "2"), Risk::Caution),
            (set("min.insync.replicas", Some("2"), "1"), Risk::Safe),
            (set("segment.ms", Some("1"), "2"), Risk::Safe),
            (Change::AddPartitions { topic: "t".into(), from: 1, to: 2, assignments: vec![] }, Risk::Caution),
            (
                Change::UnsetConfig {
                    topic: "t".into(),
                    key: "retention.ms".into(),
                    before: Some("-1".into()),
                    after: effective("604800000"),
                },
                Risk::Caution,
            ),
            (
                Change::PinConfig {
                    topic: "t".into(),
                    key: "retention.ms".into(),
                    value: "1".into(),
                    inherited_from: ConfigSource::Default,
                },
                Risk::Safe,
            ),
        ];
        for (change, want) in cases {
            assert_eq!(change.risk().0, want, "{change:?}");
        }
    }
}
