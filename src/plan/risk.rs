//! Risk rules: how much each change can hurt, and why. Pure.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Change;

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
    /// The change's risk class, and why it is not safe.
    pub fn risk(&self) -> (Risk, Option<&'static str>) {
        match self {
            Change::CreateTopic { .. } | Change::PinConfig { .. } => (Risk::Safe, None),
            Change::AwaitReassignment { .. } => (
                Risk::Caution,
                Some("replicas are still being copied; apply waits for them, then removes the throttle"),
            ),
            Change::RemoveThrottle { .. } => (Risk::Safe, None),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{ConfigSource, Effective};

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
