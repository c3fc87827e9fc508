//! The diff: what must change so that the live topics match the declared ones.

use crate::catalog;
use crate::desired::validate::MAX_PARTITIONS;
use crate::desired::{ConfigMode, Desired, DesiredTopic};
use crate::live::{ConfigSource, Effective, Live, LiveTopic, THROTTLED_REPLICAS};

use std::collections::BTreeMap;

use super::placement::{Node, PlacementError, place, place_new};
use super::{Blocked, BlockedReason, Change, DeleteReason, Kept, PartitionMove, Plan};

/// Compares every declared topic with the live one of the same name.
///
/// Declared configs are pinned as topic overrides. A live topic override that the files do not declare
/// is planned for removal, or kept and noted when the topic's config mode is `additive`. Live topics in
/// scope that no file declares are listed as unmanaged and left alone. Values are compared in Kafka's
/// canonical form (see [`catalog::canonical`]), so formatting never shows as drift.
pub fn diff(desired: &Desired, live: &Live) -> Plan {
    diff_with(desired, live, &Options::default())
}

/// What a plan may include beyond the files' own instructions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Delete live topics in scope that no file declares (`--prune`), instead of listing them as
    /// unmanaged.
    pub prune: bool,
}

/// [`diff`], with options.
pub fn diff_with(desired: &Desired, live: &Live, options: &Options) -> Plan {
    let mut changes = Vec::new();
    let mut blocked = Vec::new();
    let mut kept = Vec::new();
    let mut unknown = Vec::new();
    let mut placement = Placement::of(live);
    for topic in desired.topics.values() {
        if topic.delete {
            if crate::desired::is_internal(&topic.name) {
                blocked.push(Blocked {
                    topic: topic.name.clone(),
                    reason: BlockedReason::Internal,
                    declared_at: topic.origin.clone(),
                });
            } else if let Some(current) = live.topics.get(&topic.name) {
                changes.push(Change::DeleteTopic {
                    topic: topic.name.clone(),
                    partitions: u32::try_from(current.partitions.len()).unwrap_or(u32::MAX),
                    reason: DeleteReason::Declared,
                });
            }
            continue;
        }
        if i64::from(topic.partitions) > MAX_PARTITIONS {
            // Nothing below may allocate for a count no cluster holds.
            blocked.push(Blocked {
                topic: topic.name.clone(),
                reason: BlockedReason::TooManyPartitions { declared: topic.partitions, max: MAX_PARTITIONS as u32 },
                declared_at: topic.origin.clone(),
            });
            continue;
        }
        match live.topics.get(&topic.name) {
            None => changes.push(Change::CreateTopic {
                topic: topic.name.clone(),
                partitions: topic.partitions,
                replication_factor: topic.replication_factor,
                configs: topic.configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            }),
            Some(current) => {
                let notes = Notes { kept: &mut kept, unknown: &mut unknown, release: live.cluster.release };
                diff_topic(topic, current, &mut placement, &mut changes, &mut blocked, notes);
                moves_and_throttles(&topic.name, current, live, &mut changes);
            }
        }
    }
    let mut unmanaged = Vec::new();
    for (name, topic) in &live.topics {
        if desired.topics.contains_key(name) || crate::desired::is_internal(name) {
            continue;
        }
        if options.prune {
            changes.push(Change::DeleteTopic {
                topic: name.clone(),
                partitions: u32::try_from(topic.partitions.len()).unwrap_or(u32::MAX),
                reason: DeleteReason::Pruned,
            });
        } else {
            unmanaged.push(name.clone());
        }
    }
    let mut plan = Plan::with_notes(changes, blocked, kept, unmanaged);
    unknown.sort_by(|a: &Kept, b: &Kept| (&a.topic, &a.key).cmp(&(&b.topic, &b.key)));
    plan.unknown = unknown;
    plan
}

/// A reassignment still running on the topic is awaited; a throttle it left with nothing moving is
/// removed, with the rates of the brokers it names. Both are part of convergence.
fn moves_and_throttles(name: &str, live_topic: &LiveTopic, live: &Live, changes: &mut Vec<Change>) {
    let lists: Vec<&str> = THROTTLED_REPLICAS
        .iter()
        .filter_map(|k| live_topic.configs.get(*k))
        .filter(|c| c.source == ConfigSource::TopicOverride)
        .filter_map(|c| c.value.as_deref())
        .collect();
    // `partition:broker,...`; `*` throttles every replica, which names no broker of its own.
    let mut brokers: Vec<i32> = lists
        .iter()
        .flat_map(|l| l.split(','))
        .filter_map(|entry| entry.trim().split_once(':').and_then(|(_, b)| b.trim().parse().ok()))
        .filter(|b| live.throttled_brokers.contains(b))
        .collect();
    brokers.sort_unstable();
    brokers.dedup();
    if let Some(partitions) = live.moving.get(name).filter(|p| !p.is_empty()) {
        // While replicas move, Kafka lists old and new ones together: the replication factor is not
        // what to compare, the move is what to finish.
        changes.retain(|c| !(c.topic() == name && matches!(c, Change::ChangeReplicationFactor { .. })));
        let partitions = partitions.iter().copied().collect();
        changes.push(Change::AwaitReassignment { topic: name.to_owned(), partitions, brokers });
    } else if !lists.is_empty() {
        changes.push(Change::RemoveThrottle { topic: name.to_owned(), brokers });
    }
}

/// What a topic's diff notes beside its changes.
struct Notes<'a> {
    kept: &'a mut Vec<Kept>,
    unknown: &'a mut Vec<Kept>,
    /// The cluster's release, when known: which keys topicform knows depends on it.
    release: Option<crate::catalog::Release>,
}

/// What replica placement needs: the brokers with their racks, and how many replicas each holds among
/// the topics in scope (updated as the plan moves replicas).
struct Placement {
    nodes: Vec<Node>,
    load: BTreeMap<i32, usize>,
}

impl Placement {
    fn of(live: &Live) -> Self {
        let nodes = live.brokers.values().map(|b| Node { id: b.id, rack: b.rack.clone() }).collect();
        let mut load = BTreeMap::new();
        for p in live.topics.values().flat_map(|t| &t.partitions) {
            for b in &p.replicas {
                *load.entry(*b).or_default() += 1;
            }
        }
        Placement { nodes, load }
    }
}

fn diff_topic(
    topic: &DesiredTopic,
    live: &LiveTopic,
    placement: &mut Placement,
    changes: &mut Vec<Change>,
    blocked: &mut Vec<Blocked>,
    notes: Notes<'_>,
) {
    let block = |reason| Blocked { topic: topic.name.clone(), reason, declared_at: topic.origin.clone() };
    let name = || topic.name.clone();

    let live_partitions = u32::try_from(live.partitions.len()).unwrap_or(u32::MAX);
    let current_rf = live.replication_factor();
    let rf_change = topic.replication_factor.filter(|rf| usize::from(*rf) != current_rf);
    if topic.partitions > live_partitions {
        if let Some(to) = rf_change {
            // New partitions get the old replication factor from the broker, and the reassignment
            // planned now would not include them: one step at a time.
            let from = u16::try_from(current_rf).unwrap_or(u16::MAX);
            blocked.push(block(BlockedReason::ReplicationFactorAndPartitions { from, to }));
            return;
        }
        let mut leaders = BTreeMap::new();
        for p in &live.partitions {
            if let Some(first) = p.replicas.first() {
                *leaders.entry(*first).or_default() += 1;
            }
        }
        let count = (topic.partitions - live_partitions) as usize;
        // With no broker list (an old broker, or a test) the brokers place the partitions themselves.
        let assignments = place_new(count, current_rf.max(1), &placement.nodes, &mut placement.load, &mut leaders)
            .unwrap_or_default();
        changes.push(Change::AddPartitions { topic: name(), from: live_partitions, to: topic.partitions, assignments });
    } else if topic.partitions < live_partitions {
        // Kafka cannot shrink a topic. Block instead of planning delete+create, which loses data.
        blocked.push(block(BlockedReason::PartitionDecrease { declared: topic.partitions, live: live_partitions }));
    }

    if let Some(to) = rf_change {
        let current: Vec<(i32, Vec<i32>)> = live.partitions.iter().map(|p| (p.id, p.replicas.clone())).collect();
        match place(&current, usize::from(to), &placement.nodes, &mut placement.load) {
            Ok(placed) => {
                let moves = current
                    .into_iter()
                    .zip(placed)
                    .map(|((partition, from), (_, to))| PartitionMove { partition, from, to })
                    .collect();
                let from = u16::try_from(current_rf).unwrap_or(u16::MAX);
                changes.push(Change::ChangeReplicationFactor { topic: name(), from, to, moves });
            }
            Err(PlacementError::NotEnoughBrokers { available, .. }) => {
                blocked.push(block(BlockedReason::NotEnoughBrokers { declared: to, brokers: available }));
            }
        }
    }

    for (key, value) in &topic.configs {
        let entry = live.configs.get(key.as_str());
        let same = |live_value: Option<&str>| match (live_value, catalog::get(key)) {
            (Some(v), Some(spec)) => catalog::canonical(spec, v) == *value,
            (Some(v), None) => v == value,
            (None, _) => false,
        };
        match entry {
            Some(e) if e.source == ConfigSource::TopicOverride => {
                if !same(e.value.as_deref()) {
                    let before = Some(Effective { value: e.text(), source: e.source });
                    changes.push(Change::SetConfig {
                        topic: name(),
                        key: key.to_string(),
                        before,
                        after: value.to_string(),
                    });
                }
            }
            Some(e) if e.read_only => blocked.push(block(BlockedReason::ReadOnlyConfig { key: key.to_string() })),
            Some(e) => {
                let inherited = e.effective();
                if same(inherited.value.as_deref()) {
                    changes.push(Change::PinConfig {
                        topic: name(),
                        key: key.to_string(),
                        value: value.to_string(),
                        inherited_from: inherited.source,
                    });
                } else {
                    changes.push(Change::SetConfig {
                        topic: name(),
                        key: key.to_string(),
                        before: Some(inherited),
                        after: value.to_string(),
                    });
                }
            }
            // The broker did not describe the key at all (an older broker): set it, nothing to compare.
            None => changes.push(Change::SetConfig {
                topic: name(),
                key: key.to_string(),
                before: None,
                after: value.to_string(),
            }),
        }
    }

    for (key, config) in live.overrides() {
        // The reassignment throttle is not the files' to declare (see `moves_and_throttles`).
        if topic.configs.contains_key(key) || THROTTLED_REPLICAS.contains(&key) {
            continue;
        }
        // A key topicform does not know for this release (a newer Kafka's, a vendor's) is never
        // removed: nothing says what removing it would do.
        if !matches!(catalog::lookup(key, notes.release), catalog::Known::Yes(_)) {
            notes.unknown.push(Kept { topic: name(), key: key.to_owned(), value: config.text() });
        } else if topic.config_mode == Some(ConfigMode::Additive) {
            notes.kept.push(Kept { topic: name(), key: key.to_owned(), value: config.text() });
        } else {
            // A broker lists a broker-level synonym only when a broker setting gives the value; with
            // none, the topic falls back to Kafka's own default, which the catalog knows.
            let after = config.inherited.as_deref().cloned().or_else(|| {
                catalog::get(key)
                    .filter(|spec| !spec.default.is_empty())
                    .map(|spec| Effective { value: Some(spec.default.to_owned()), source: ConfigSource::Default })
            });
            changes.push(Change::UnsetConfig { topic: name(), key: key.to_owned(), before: config.text(), after });
        }
    }
}

#[cfg(test)]
mod tests {
    use litemap::LiteMap;
    use std::collections::BTreeMap;

    use super::*;
    use crate::desired::Locations;
    use crate::live::{LiveConfig, LivePartition};
    use crate::plan::ExitStatus;

    fn declared(name: &str, partitions: u32, configs: &[(&str, &str)]) -> DesiredTopic {
        DesiredTopic {
            name: name.into(),
            partitions,
            replication_factor: None,
            configs: configs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            origin: None,
            locations: Locations::default(),
            config_mode: None,
            delete: false,
            acknowledged: Default::default(),
        }
    }

    fn desired(topics: impl IntoIterator<Item = DesiredTopic>) -> Desired {
        Desired { topics: topics.into_iter().map(|t| (t.name.clone(), t)).collect() }
    }

    fn effective(value: &str, source: ConfigSource) -> Option<Effective> {
        Some(Effective { value: Some(value.into()), source })
    }

    /// An entry the topic inherits from `source`.
    fn inherited(value: &str, source: ConfigSource) -> LiveConfig {
        LiveConfig {
            value: Some(value.into()),
            source,
            read_only: false,
            sensitive: false,
            inherited: effective(value, source).map(Box::new),
        }
    }

    /// A topic override that falls back to Kafka's default `default`.
    fn overridden(value: &str, default: &str) -> LiveConfig {
        LiveConfig {
            value: Some(value.into()),
            source: ConfigSource::TopicOverride,
            read_only: false,
            sensitive: false,
            inherited: effective(default, ConfigSource::Default).map(Box::new),
        }
    }

    fn existing(partitions: i32, rf: i32, overrides: &[(&str, &str)]) -> LiveTopic {
        let mut configs: LiteMap<compact_str::CompactString, LiveConfig> = LiteMap::from_iter([
            ("retention.ms".into(), inherited("604800000", ConfigSource::Default)),
            ("cleanup.policy".into(), inherited("delete", ConfigSource::Default)),
            ("segment.ms".into(), inherited("604800000", ConfigSource::Default)),
            ("min.insync.replicas".into(), inherited("1", ConfigSource::DynamicDefaultBroker)),
        ]);
        for (k, v) in overrides {
            let default = configs.get(*k).unwrap().value.clone().unwrap();
            configs.insert((*k).into(), overridden(v, &default));
        }
        LiveTopic {
            partitions: (0..partitions)
                .map(|id| LivePartition { id, leader: Some(1), replicas: (1..=rf).collect(), isr: (1..=rf).collect() })
                .collect(),
            configs,
        }
    }

    fn live(topics: impl IntoIterator<Item = (&'static str, LiveTopic)>) -> Live {
        Live { topics: topics.into_iter().map(|(n, t)| (n.to_string(), t)).collect(), ..Live::default() }
    }

    /// Counts are bounded before anything is allocated for them: the largest count a topic may have
    /// is planned with one assignment per new partition, and a larger one (a desired state made
    /// without validation) is blocked, never allocated for.
    #[test]
    fn partition_counts_are_bounded_before_placement_allocates() {
        let mut l = live([("a", existing(1, 2, &[])), ("b", existing(1, 2, &[]))]);
        l.brokers = (1..=3).map(|id| (id, crate::live::Broker { id, host: "h".into(), port: 1, rack: None })).collect();
        let max = MAX_PARTITIONS as u32;
        let plan =
            diff(&desired([declared("a", max, &[]), declared("b", u32::MAX, &[]), declared("c", u32::MAX, &[])]), &l);
        match plan.changes.as_slice() {
            [Change::AddPartitions { topic, from: 1, to, assignments }] => {
                assert_eq!((topic.as_str(), *to, assignments.len()), ("a", max, max as usize - 1));
                assert!(assignments.iter().all(|r| r.len() == 2));
            }
            other => panic!("{other:?}"),
        }
        let blocked: Vec<(&str, &BlockedReason)> = plan.blocked.iter().map(|b| (b.topic.as_str(), &b.reason)).collect();
        let too_many = BlockedReason::TooManyPartitions { declared: u32::MAX, max };
        assert_eq!(blocked, [("b", &too_many), ("c", &too_many)]);
        assert_eq!(
            too_many.to_string(),
            "declares 4294967295 partitions, above librdkafka's limit of 100000 partitions for one topic"
        );
    }

    #[test]
    fn changes() {
        let set = |key: &str, before: Option<Effective>, after: &str| Change::SetConfig {
            topic: "a".into(),
            key: key.into(),
            before,
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
                vec![Change::AddPartitions { topic: "a".into(), from: 3, to: 6, assignments: vec![] }],
            ),
            (
                "a declared config that differs from the inherited value is set",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([("a", existing(3, 1, &[]))]),
                vec![set("retention.ms", effective("604800000", ConfigSource::Default), "1000")],
            ),
            (
                "a declared config equal to Kafka's default is a pin",
                desired([declared("a", 3, &[("retention.ms", "604800000")])]),
                live([("a", existing(3, 1, &[]))]),
                vec![Change::PinConfig {
                    topic: "a".into(),
                    key: "retention.ms".into(),
                    value: "604800000".into(),
                    inherited_from: ConfigSource::Default,
                }],
            ),
            (
                "a declared config equal to a dynamic broker default is a pin from there",
                desired([declared("a", 3, &[("min.insync.replicas", "1")])]),
                live([("a", existing(3, 1, &[]))]),
                vec![Change::PinConfig {
                    topic: "a".into(),
                    key: "min.insync.replicas".into(),
                    value: "1".into(),
                    inherited_from: ConfigSource::DynamicDefaultBroker,
                }],
            ),
            (
                "changed override",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([("a", existing(3, 1, &[("retention.ms", "2000")]))]),
                vec![set("retention.ms", effective("2000", ConfigSource::TopicOverride), "1000")],
            ),
            (
                "equal override is a no-op",
                desired([declared("a", 3, &[("retention.ms", "1000")])]),
                live([("a", existing(3, 1, &[("retention.ms", "1000")]))]),
                vec![],
            ),
            (
                "an override written in another order is equal",
                desired([declared("a", 3, &[("cleanup.policy", "compact,delete")])]),
                live([("a", existing(3, 1, &[("cleanup.policy", "delete,compact")]))]),
                vec![],
            ),
            (
                "undeclared override is unset, falling back to the inherited value",
                desired([declared("a", 3, &[])]),
                live([("a", existing(3, 1, &[("segment.ms", "3600000")]))]),
                vec![Change::UnsetConfig {
                    topic: "a".into(),
                    key: "segment.ms".into(),
                    before: Some("3600000".into()),
                    after: effective("604800000", ConfigSource::Default),
                }],
            ),
        ];
        for (name, d, l, want) in cases {
            let plan = diff(&d, &l);
            assert_eq!(plan.changes, want, "{name}");
            assert!(plan.blocked.is_empty() && plan.kept.is_empty(), "{name}: {plan:?}");
        }
    }

    #[test]
    fn additive_mode_keeps_undeclared_overrides() {
        let mut topic = declared("a", 3, &[]);
        topic.config_mode = Some(ConfigMode::Additive);
        let plan = diff(&desired([topic]), &live([("a", existing(3, 1, &[("segment.ms", "3600000")]))]));
        assert_eq!(plan.changes, vec![]);
        assert_eq!(
            plan.kept,
            vec![Kept { topic: "a".into(), key: "segment.ms".into(), value: Some("3600000".into()) }]
        );
        assert_eq!(plan.exit_status(), ExitStatus::Success, "kept overrides are not drift");
    }

    #[test]
    fn live_topics_that_are_not_declared_are_unmanaged_and_untouched() {
        let plan = diff(
            &desired([declared("a", 1, &[])]),
            &live([("a", existing(1, 1, &[])), ("b", existing(1, 1, &[("segment.ms", "1")]))]),
        );
        assert_eq!(plan.changes, vec![]);
        assert_eq!(plan.unmanaged, ["b"]);
        assert!(plan.is_empty());
    }

    #[test]
    fn blocked() {
        let mut rf3 = declared("a", 3, &[]);
        rf3.replication_factor = Some(3);
        let mut read_only = existing(3, 1, &[]);
        read_only.configs.insert(
            "message.format.version".into(),
            LiveConfig { read_only: true, ..inherited("3.0", ConfigSource::Default) },
        );
        let cases: Vec<(&str, Desired, Live, BlockedReason)> = vec![
            (
                "partition decrease",
                desired([declared("a", 2, &[])]),
                live([("a", existing(3, 1, &[]))]),
                BlockedReason::PartitionDecrease { declared: 2, live: 3 },
            ),
            (
                "replication factor above the broker count",
                desired([rf3]),
                live([("a", existing(3, 1, &[]))]),
                BlockedReason::NotEnoughBrokers { declared: 3, brokers: 0 },
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
            assert_eq!(plan.exit_status(), ExitStatus::Failure, "{name}");
        }
    }

    #[test]
    fn output_is_sorted_by_topic() {
        let d = desired([declared("b", 1, &[]), declared("a", 1, &[("retention.ms", "1")])]);
        let plan = diff(&d, &live([]));
        let topics: Vec<&str> = plan.changes.iter().map(Change::topic).collect();
        assert_eq!(topics, ["a", "b"]);
    }

    mod narrowed {
        use proptest::prelude::*;

        use super::*;
        use crate::desired::ConfigMode;
        use crate::live::Scope;

        const KEYS: [&str; 5] =
            ["retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes", "x.vendor.key"];
        const VALUES: [&str; 3] = ["compact", "1000", "2097152"];

        /// How one key stands on the live topic: absent, inherited from a source, or overridden.
        fn entry() -> impl Strategy<Value = Option<LiveConfig>> {
            let source = prop_oneof![
                Just(ConfigSource::Default),
                Just(ConfigSource::StaticBroker),
                Just(ConfigSource::DynamicDefaultBroker)
            ];
            prop_oneof![
                Just(None),
                (0..VALUES.len(), source.clone(), any::<bool>()).prop_map(|(v, source, read_only)| Some(LiveConfig {
                    value: Some(VALUES[v].into()),
                    source,
                    read_only,
                    sensitive: false,
                    inherited: None,
                })),
                (0..VALUES.len(), 0..VALUES.len(), source).prop_map(|(v, fallback, source)| Some(LiveConfig {
                    value: Some(VALUES[v].into()),
                    source: ConfigSource::TopicOverride,
                    read_only: false,
                    sensitive: false,
                    inherited: effective(VALUES[fallback], source).map(Box::new),
                })),
            ]
        }

        proptest! {
            /// The describe keeps only what the scope of the files needs (`Scope::declaring`); the
            /// plan against that is the plan against everything the cluster has.
            #[test]
            fn a_narrowed_describe_plans_the_same(
                live_entries in proptest::collection::vec(entry(), KEYS.len()),
                declared_keys in proptest::collection::vec(proptest::option::of(0..VALUES.len()), KEYS.len()),
                additive in any::<bool>(),
                other_topic_overrides in any::<bool>(),
            ) {
                let mut topic = existing(3, 1, &[]);
                topic.configs.clear();
                for (key, e) in KEYS.iter().zip(&live_entries) {
                    if let Some(e) = e {
                        topic.configs.insert((*key).into(), e.clone());
                    }
                }
                let configs: Vec<(&str, &str)> =
                    KEYS.iter().zip(&declared_keys).filter_map(|(k, v)| v.map(|v| (*k, VALUES[v]))).collect();
                let mut a = declared("a", 3, &configs);
                a.config_mode = additive.then_some(ConfigMode::Additive);
                let d = desired([a]);
                // An undeclared topic in scope (a prune candidate) keeps its overrides too.
                let other = if other_topic_overrides { existing(1, 1, &[("retention.ms", "5")]) } else { existing(1, 1, &[]) };
                let full = live([("a", topic), ("z", other)]);
                let scope = Scope::new(d.topics.keys().cloned(), &["*".into()], &[]).unwrap().declaring(d.declared_keys());
                let mut narrowed = full.clone();
                for (name, t) in narrowed.topics.iter_mut() {
                    scope.narrow(name, t);
                }
                prop_assert_eq!(diff(&d, &narrowed), diff(&d, &full));
                let prune = Options { prune: true };
                prop_assert_eq!(diff_with(&d, &narrowed, &prune), diff_with(&d, &full, &prune));
            }
        }
    }
}
