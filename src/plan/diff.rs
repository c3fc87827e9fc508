//! The diff: what must change so that the live topics match the declared ones.

use crate::cluster::{ConfigSource, Live, LiveTopic};
use crate::spec::{Desired, DesiredTopic};

use super::{Blocked, BlockedReason, Change, Plan};

/// Compares every declared topic with the live one of the same name.
///
/// Declared configs are pinned as topic overrides; a live topic override that the files do not declare
/// is planned for removal. Live topics that no file declares are left alone.
pub fn diff(desired: &Desired, live: &Live) -> Plan {
    let mut changes = Vec::new();
    let mut blocked = Vec::new();
    for topic in desired.topics.values() {
        match live.topics.get(&topic.name) {
            None => changes.push(Change::CreateTopic {
                topic: topic.name.clone(),
                partitions: topic.partitions,
                replication_factor: topic.replication_factor,
                configs: topic.configs.clone(),
            }),
            Some(current) => diff_topic(topic, current, &mut changes, &mut blocked),
        }
    }
    Plan::new(changes, blocked)
}

fn diff_topic(topic: &DesiredTopic, live: &LiveTopic, changes: &mut Vec<Change>, blocked: &mut Vec<Blocked>) {
    let block = |reason| Blocked { topic: topic.name.clone(), reason, declared_at: topic.origin.clone() };

    let live_partitions = u32::try_from(live.partitions.len()).unwrap_or(u32::MAX);
    if topic.partitions > live_partitions {
        changes.push(Change::AddPartitions { topic: topic.name.clone(), from: live_partitions, to: topic.partitions });
    } else if topic.partitions < live_partitions {
        // Kafka cannot shrink a topic. Block instead of planning delete+create, which loses data.
        blocked.push(block(BlockedReason::PartitionDecrease { declared: topic.partitions, live: live_partitions }));
    }

    if let Some(declared) = topic.replication_factor {
        let current = live.replication_factor();
        if usize::from(declared) != current {
            blocked.push(block(BlockedReason::ReplicationFactorChange { declared, live: current }));
        }
    }

    for (key, value) in &topic.configs {
        let entry = live.configs.get(key);
        if entry.is_some_and(|c| c.read_only) {
            blocked.push(block(BlockedReason::ReadOnlyConfig { key: key.clone() }));
            continue;
        }
        let current = entry.filter(|c| c.source == ConfigSource::TopicOverride);
        match current {
            Some(c) if c.value.as_deref() == Some(value.as_str()) => {}
            _ => changes.push(Change::SetConfig {
                topic: topic.name.clone(),
                key: key.clone(),
                before: current.and_then(|c| c.value.clone()),
                after: value.clone(),
            }),
        }
    }

    for (key, config) in live.overrides() {
        if !topic.configs.contains_key(key) {
            changes.push(Change::UnsetConfig {
                topic: topic.name.clone(),
                key: key.clone(),
                before: if config.sensitive { None } else { config.value.clone() },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cluster::{LiveConfig, LivePartition};

    fn declared(name: &str, partitions: u32, configs: &[(&str, &str)]) -> DesiredTopic {
        DesiredTopic {
            name: name.into(),
            partitions,
            replication_factor: None,
            configs: configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            origin: None,
        }
    }

    fn desired(topics: impl IntoIterator<Item = DesiredTopic>) -> Desired {
        Desired { topics: topics.into_iter().map(|t| (t.name.clone(), t)).collect() }
    }

    fn config(value: &str, source: ConfigSource) -> LiveConfig {
        LiveConfig { value: Some(value.into()), source, read_only: false, sensitive: false }
    }

    fn existing(partitions: i32, rf: i32, overrides: &[(&str, &str)]) -> LiveTopic {
        let mut configs: BTreeMap<String, LiveConfig> = BTreeMap::from([
            ("retention.ms".into(), config("604800000", ConfigSource::Default)),
            ("cleanup.policy".into(), config("delete", ConfigSource::Default)),
        ]);
        for (k, v) in overrides {
            configs.insert(k.to_string(), config(v, ConfigSource::TopicOverride));
        }
        LiveTopic {
            partitions: (0..partitions)
                .map(|id| LivePartition { id, leader: Some(1), replicas: (1..=rf).collect(), isr: (1..=rf).collect() })
                .collect(),
            configs,
        }
    }

    fn live(topics: impl IntoIterator<Item = (&'static str, LiveTopic)>) -> Live {
        Live { brokers: BTreeMap::new(), topics: topics.into_iter().map(|(n, t)| (n.to_string(), t)).collect() }
    }

    #[test]
    fn changes() {
        let set = |key: &str, before: Option<&str>, after: &str| Change::SetConfig {
            topic: "a".into(),
            key: key.into(),
            before: before.map(String::from),
            after: after.into(),
        };
        let cases: Vec<(&str, Desired, Live, Vec<Change>)> = vec![
            ("equal is a no-op", desired([declared("a", 3, &[])]), live([("a", existing(3, 1, &[]))]), vec![]),
            (
                "missing topic is created",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([]),
                vec![Change::CreateTopic {
                    topic: "a".into(),
                    partitions: 3,
                    replication_factor: None,
                    configs: BTreeMap::from([("retention.ms".into(), "1000".into())]),
                }],
            ),
            (
                "grow",
                desired([declared("a", 6, &[])]),
                live([("a", existing(3, 1, &[]))]),
                vec![Change::AddPartitions { topic: "a".into(), from: 3, to: 6 }],
            ),
            (
                "declared config without override is set",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([("a", existing(3, 1, &[]))]),
                vec![set("retention.ms", None, "1000")],
            ),
            (
                "declared config equal to the default is still pinned",
                desired([declared("a", 3, &[("retention.ms", "604800000")])]),
                live([("a", existing(3, 1, &[]))]),
                vec![set("retention.ms", None, "604800000")],
            ),
            (
                "changed override",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([("a", existing(3, 1, &[("retention.ms", "2000")]))]),
                vec![set("retention.ms", Some("2000"), "1000")],
            ),
            (
                "equal override is a no-op",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([("a", existing(3, 1, &[("retention.ms", "1000")]))]),
                vec![],
            ),
            (
                "undeclared override is unset",
                desired([declared("a", 3, &[])]),
                live([("a", existing(3, 1, &[("segment.ms", "3600000")]))]),
                vec![Change::UnsetConfig {
                    topic: "a".into(),
                    key: "segment.ms".into(),
                    before: Some("3600000".into()),
                }],
            ),
            (
                "live topics that are not declared are left alone",
                desired([]),
                live([("other", existing(1, 1, &[("segment.ms", "1")]))]),
                vec![],
            ),
        ];
        for (name, d, l, want) in cases {
            let plan = diff(&d, &l);
            assert_eq!(plan.changes, want, "{name}");
            assert!(plan.blocked.is_empty(), "{name}: {:?}", plan.blocked);
        }
    }

    #[test]
    fn blocked() {
        let mut rf3 = declared("a", 3, &[]);
        rf3.replication_factor = Some(3);
        let mut read_only = existing(3, 1, &[]);
        read_only.configs.insert(
            "message.format.version".into(),
            LiveConfig { value: Some("3.0".into()), source: ConfigSource::Default, read_only: true, sensitive: false },
        );
        let cases: Vec<(&str, Desired, Live, BlockedReason)> = vec![
            (
                "partition decrease",
                desired([declared("a", 2, &[])]),
                live([("a", existing(3, 1, &[]))]),
                BlockedReason::PartitionDecrease { declared: 2, live: 3 },
            ),
            (
                "replication factor change",
                desired([rf3]),
                live([("a", existing(3, 1, &[]))]),
                BlockedReason::ReplicationFactorChange { declared: 3, live: 1 },
            ),
            (
                "read-only config",
                desired([declared("a", 3, &[("message.format.version", "3.0")])]),
                live([("a", read_only)]),
                BlockedReason::ReadOnlyConfig { key: "message.format.version".into() },
            ),
        ];
        for (name, d, l, want) in cases {
            let plan = diff(&d, &l);
            assert_eq!(plan.blocked.iter().map(|b| &b.reason).collect::<Vec<_>>(), vec![&want], "{name}");
            assert_eq!(plan.changes, vec![], "{name}: a blocked topic gets no other change here");
            assert_eq!(plan.exit_status(), super::super::ExitStatus::Failure, "{name}");
        }
    }

    #[test]
    fn output_is_sorted_by_topic() {
        let d = desired([declared("b", 1, &[]), declared("a", 1, &[("x.y", "1")])]);
        let plan = diff(&d, &live([]));
        let topics: Vec<&str> = plan.changes.iter().map(Change::topic).collect();
        assert_eq!(topics, ["a", "b"]);
    }
}
