//! The table of every topic-level config of Apache Kafka 4.3.1: the 33 keys a 4.3.1 broker returns from
//! DescribeConfigs for a topic, sorted by name.
//!
//! Where the facts come from:
//!
//! - Names, types, validators (ranges, allowed values) and defaults: the `ConfigDef` that the 4.3.1 broker
//!   validates topic configs with, `org.apache.kafka.storage.internals.log.LogConfig` (in `kafka-storage`),
//!   whose keys are named in `org.apache.kafka.common.config.TopicConfig` (`kafka-clients`) and, for the two
//!   throttled-replicas lists, `org.apache.kafka.server.config.QuotaConfig` (`kafka-server-common`); the
//!   server-side defaults it uses are in `ServerLogConfigs`. Read from the 4.3.1 jars (`LogConfig.configKeys()`)
//!   and from the apache/kafka sources. `internal.segment.bytes` is defined there too but is internal (for
//!   tests), so DescribeConfigs hides it and it is not in this table.
//! - `default`: the value a live 4.3.1 broker with stock settings shows for a fresh topic
//!   (`kafka-configs --describe --all --entity-type topics`). All 33 are neither read-only nor sensitive, and
//!   IncrementalAlterConfigs accepted a change of each on an existing topic (`remote.storage.enable=true` only
//!   where tiered storage is enabled on the cluster; turning it off again needs
//!   `remote.log.delete.on.disable=true` in the same change).
//! - `since`: the first release whose `LogConfig` publicly defines the key (`git log -S` and release tags of
//!   apache/kafka, the upgrade notes and KIPs). Versions are spelled as Kafka released them: releases before
//!   1.0 have four parts (`0.8.2.0`), except `0.8.1`.
//! - `min`/`max`: the validator's bounds. A Java `int` without an upper bound gets `i32::MAX`; a Java `long`
//!   without one gets `None`; a config without a validator (`retention.bytes`) gets `None` for both.
//!
//! To update for a new Kafka release: put the new jars on a class path and print `LogConfig.configKeys()`
//! (type, default, validator, `internalConfig`) for every key; create a topic on a broker of that release and
//! describe it with `--all`; add, change or remove entries so the table matches that listing exactly, taking
//! kinds and bounds from the validators and `since` from the release notes or git history; update the count in
//! the first line of this comment, then run `cargo test --lib catalog`.

use super::{Bound, ConfigDef, Kind};

/// `i32::MAX`, the implicit upper bound of a Java `int` config.
const INT_MAX: Option<Bound> = Some(Bound::Int(2147483647));

pub(super) static TOPIC_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "cleanup.policy",
        kind: Kind::List,
        default: "delete",
        min: None,
        max: None,
        values: &["compact", "delete"],
        unordered: true,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "How old segments are cleaned: delete them, compact by key, both, or (empty list) neither",
    },
    ConfigDef {
        name: "compression.gzip.level",
        kind: Kind::Int,
        default: "-1",
        min: Some(Bound::Int(-1)),
        max: Some(Bound::Int(9)),
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.8.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Gzip level when compression.type is gzip: 1 to 9, or -1 for the codec's default (0 is rejected)",
    },
    ConfigDef {
        name: "compression.lz4.level",
        kind: Kind::Int,
        default: "9",
        min: Some(Bound::Int(1)),
        max: Some(Bound::Int(17)),
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.8.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "LZ4 level used when compression.type is lz4",
    },
    ConfigDef {
        name: "compression.type",
        kind: Kind::Enum,
        default: "producer",
        min: None,
        max: None,
        values: &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        unordered: false,
        alterable: true,
        since: "0.9.0.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Codec the broker stores batches with; producer keeps whatever the producer sent",
    },
    ConfigDef {
        name: "compression.zstd.level",
        kind: Kind::Int,
        default: "3",
        min: Some(Bound::Int(-131072)),
        max: Some(Bound::Int(22)),
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.8.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Zstandard level used when compression.type is zstd",
    },
    ConfigDef {
        name: "delete.retention.ms",
        kind: Kind::Duration,
        default: "86400000",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "How long tombstones survive in a compacted log before the cleaner may drop them",
    },
    ConfigDef {
        name: "file.delete.delay.ms",
        kind: Kind::Duration,
        default: "60000",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Wait between marking a segment file deleted and removing it from disk",
    },
    ConfigDef {
        name: "flush.messages",
        kind: Kind::Long,
        default: "9223372036854775807",
        min: Some(Bound::Int(1)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Force an fsync after this many messages; the default leaves flushing to the OS",
    },
    ConfigDef {
        name: "flush.ms",
        kind: Kind::Duration,
        default: "9223372036854775807",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Force an fsync when data has been unflushed this long; the default leaves flushing to the OS",
    },
    ConfigDef {
        name: "follower.replication.throttled.replicas",
        kind: Kind::List,
        default: "",
        min: None,
        max: None,
        values: &[],
        unordered: true,
        alterable: true,
        since: "0.10.1.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Replicas (partition:broker pairs, or *) whose follower-side replication is throttled",
    },
    ConfigDef {
        name: "index.interval.bytes",
        kind: Kind::Bytes,
        default: "4096",
        min: Some(Bound::Int(0)),
        max: INT_MAX,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Bytes of log written between two entries of the offset index",
    },
    ConfigDef {
        name: "leader.replication.throttled.replicas",
        kind: Kind::List,
        default: "",
        min: None,
        max: None,
        values: &[],
        unordered: true,
        alterable: true,
        since: "0.10.1.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Replicas (partition:broker pairs, or *) whose leader-side replication is throttled",
    },
    ConfigDef {
        name: "local.retention.bytes",
        kind: Kind::Bytes,
        default: "-2",
        min: Some(Bound::Int(-2)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.6.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "With tiered storage, max bytes kept on local disk per partition; -2 means use retention.bytes",
    },
    ConfigDef {
        name: "local.retention.ms",
        kind: Kind::Duration,
        default: "-2",
        min: Some(Bound::Int(-2)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.6.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "With tiered storage, how long segments stay on local disk; -2 means use retention.ms",
    },
    ConfigDef {
        name: "max.compaction.lag.ms",
        kind: Kind::Duration,
        default: "9223372036854775807",
        min: Some(Bound::Int(1)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "2.3.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Longest a record may stay uncompacted in a compacted log",
    },
    ConfigDef {
        name: "max.message.bytes",
        kind: Kind::Bytes,
        default: "1048588",
        min: Some(Bound::Int(0)),
        max: INT_MAX,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Largest record batch the topic accepts, measured after compression",
    },
    ConfigDef {
        name: "message.timestamp.after.max.ms",
        kind: Kind::Duration,
        default: "3600000",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.6.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "How far ahead of broker time a CreateTime timestamp may be before the batch is rejected",
    },
    ConfigDef {
        name: "message.timestamp.before.max.ms",
        kind: Kind::Duration,
        default: "9223372036854775807",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.6.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "How far behind broker time a CreateTime timestamp may be before the batch is rejected",
    },
    ConfigDef {
        name: "message.timestamp.type",
        kind: Kind::Enum,
        default: "CreateTime",
        min: None,
        max: None,
        values: &["CreateTime", "LogAppendTime"],
        unordered: false,
        alterable: true,
        since: "0.10.0.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Whether record timestamps are the producer's create time or the broker's append time",
    },
    ConfigDef {
        name: "min.cleanable.dirty.ratio",
        kind: Kind::Double,
        default: "0.5",
        min: Some(Bound::Float(0.0)),
        max: Some(Bound::Float(1.0)),
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Share of uncompacted log at which the cleaner considers a log worth compacting",
    },
    ConfigDef {
        name: "min.compaction.lag.ms",
        kind: Kind::Duration,
        default: "0",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.10.1.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Shortest time a record stays uncompacted in a compacted log",
    },
    ConfigDef {
        name: "min.insync.replicas",
        kind: Kind::Int,
        default: "1",
        min: Some(Bound::Int(1)),
        max: INT_MAX,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.2.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "In-sync replicas needed for an acks=all write to succeed",
    },
    ConfigDef {
        name: "preallocate",
        kind: Kind::Boolean,
        default: "false",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.9.0.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Preallocate each new segment file on disk at its full size",
    },
    ConfigDef {
        name: "remote.log.copy.disable",
        kind: Kind::Boolean,
        default: "false",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.9.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Stop uploading to tiered storage and keep tiered data read-only",
    },
    ConfigDef {
        name: "remote.log.delete.on.disable",
        kind: Kind::Boolean,
        default: "false",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.9.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Delete tiered data when remote.storage.enable is turned off; needed to turn it off",
    },
    ConfigDef {
        name: "remote.storage.enable",
        kind: Kind::Boolean,
        default: "false",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.6.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Move older segments to tiered storage; needs tiered storage enabled on the cluster",
    },
    ConfigDef {
        name: "retention.bytes",
        kind: Kind::Bytes,
        default: "-1",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Max size of a partition before delete drops old segments; negative means no size limit",
    },
    ConfigDef {
        name: "retention.ms",
        kind: Kind::Duration,
        default: "604800000",
        min: Some(Bound::Int(-1)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "How long delete keeps a segment's records; -1 means no time limit",
    },
    ConfigDef {
        name: "segment.bytes",
        kind: Kind::Bytes,
        default: "1073741824",
        min: Some(Bound::Int(1048576)),
        max: INT_MAX,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Size at which the active segment file is rolled",
    },
    ConfigDef {
        name: "segment.index.bytes",
        kind: Kind::Bytes,
        default: "10485760",
        min: Some(Bound::Int(4)),
        max: INT_MAX,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Size preallocated for each segment's offset index file",
    },
    ConfigDef {
        name: "segment.jitter.ms",
        kind: Kind::Duration,
        default: "0",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.2.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Max random time taken off segment.ms so that segments do not all roll at once",
    },
    ConfigDef {
        name: "segment.ms",
        kind: Kind::Duration,
        default: "604800000",
        min: Some(Bound::Int(1)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.1",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Age at which the active segment is rolled even if not full",
    },
    ConfigDef {
        name: "unclean.leader.election.enable",
        kind: Kind::Boolean,
        default: "false",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.8.2.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Allow an out-of-sync replica to become leader as a last resort, at the risk of data loss",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Configs whose value is milliseconds although the name does not end in `.ms`. None in Kafka 4.3.1;
    /// add a name here, with a comment saying why, if a release brings one.
    const DURATION_NAME_EXCEPTIONS: &[&str] = &[];

    fn is_integer_kind(kind: Kind) -> bool {
        matches!(kind, Kind::Duration | Kind::Bytes | Kind::Int | Kind::Long)
    }

    #[test]
    fn durations_are_named_ms() {
        for c in TOPIC_CONFIGS {
            let ms_name = c.name.ends_with(".ms");
            if c.kind == Kind::Duration {
                assert!(ms_name || DURATION_NAME_EXCEPTIONS.contains(&c.name), "{}: a duration not named *.ms", c.name);
            }
            if ms_name {
                assert_eq!(c.kind, Kind::Duration, "{}: named *.ms but not a duration", c.name);
            }
        }
        for name in DURATION_NAME_EXCEPTIONS {
            let c = TOPIC_CONFIGS.iter().find(|c| c.name == *name);
            assert_eq!(c.map(|c| c.kind), Some(Kind::Duration), "{name}: listed as a duration exception");
        }
    }

    #[test]
    fn numeric_defaults_are_in_range() {
        for c in TOPIC_CONFIGS {
            if is_integer_kind(c.kind) {
                let v: i64 = c.default.parse().unwrap_or_else(|e| panic!("{}: default {:?}: {e}", c.name, c.default));
                for (bound, is_min) in [(c.min, true), (c.max, false)] {
                    match bound {
                        None => {}
                        Some(Bound::Int(b)) => assert!(if is_min { v >= b } else { v <= b }, "{}: {v} vs {b}", c.name),
                        Some(Bound::Float(_)) => panic!("{}: an integer config with a float bound", c.name),
                    }
                }
            } else if c.kind == Kind::Double {
                let v: f64 = c.default.parse().unwrap_or_else(|e| panic!("{}: default {:?}: {e}", c.name, c.default));
                for (bound, is_min) in [(c.min, true), (c.max, false)] {
                    match bound {
                        None => {}
                        Some(Bound::Float(b)) => {
                            assert!(if is_min { v >= b } else { v <= b }, "{}: {v} vs {b}", c.name)
                        }
                        Some(Bound::Int(_)) => panic!("{}: a double config with an integer bound", c.name),
                    }
                }
            } else {
                assert!(c.min.is_none() && c.max.is_none(), "{}: only numeric configs have bounds", c.name);
            }
        }
    }

    #[test]
    fn java_int_configs_are_capped_at_i32_max() {
        for c in TOPIC_CONFIGS {
            if let Some(Bound::Int(max)) = c.max {
                assert!(max <= i64::from(i32::MAX), "{}", c.name);
            }
            if c.kind == Kind::Int {
                assert!(c.max.is_some(), "{}: a Java int has an upper bound", c.name);
            }
        }
    }

    #[test]
    fn booleans_and_lists_are_well_formed() {
        for c in TOPIC_CONFIGS {
            if c.kind == Kind::Boolean {
                assert!(c.default == "true" || c.default == "false", "{}", c.name);
            }
            if c.unordered {
                assert_eq!(c.kind, Kind::List, "{}: only lists can be unordered", c.name);
            }
            if c.kind == Kind::List && !c.values.is_empty() {
                for member in c.default.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    assert!(c.values.contains(&member), "{}: default member {member}", c.name);
                }
            }
        }
    }

    #[test]
    fn docs_are_short_lines_and_since_is_a_version_up_to_4_3_1() {
        for c in TOPIC_CONFIGS {
            assert!(c.doc.chars().count() <= 100, "{}: doc longer than 100 chars", c.name);
            assert!(!c.doc.ends_with('.') && !c.doc.contains('\n'), "{}: doc style", c.name);
            let parts: Vec<u32> = c
                .since
                .split('.')
                .map(|p| p.parse().unwrap_or_else(|e| panic!("{}: since {:?}: {e}", c.name, c.since)))
                .collect();
            assert!((3..=4).contains(&parts.len()), "{}: since {:?}", c.name, c.since);
            assert!(parts.as_slice() <= [4, 3, 1].as_slice(), "{}: since {:?} is after 4.3.1", c.name, c.since);
            assert!(parts.as_slice() >= [0, 8, 1].as_slice(), "{}: topic configs start at 0.8.1", c.name);
        }
    }

    #[test]
    fn has_exactly_the_configs_a_4_3_1_broker_describes() {
        // The names `kafka-configs --describe --all --entity-type topics` lists on a 4.3.1 broker.
        let described = [
            "cleanup.policy",
            "compression.gzip.level",
            "compression.lz4.level",
            "compression.type",
            "compression.zstd.level",
            "delete.retention.ms",
            "file.delete.delay.ms",
            "flush.messages",
            "flush.ms",
            "follower.replication.throttled.replicas",
            "index.interval.bytes",
            "leader.replication.throttled.replicas",
            "local.retention.bytes",
            "local.retention.ms",
            "max.compaction.lag.ms",
            "max.message.bytes",
            "message.timestamp.after.max.ms",
            "message.timestamp.before.max.ms",
            "message.timestamp.type",
            "min.cleanable.dirty.ratio",
            "min.compaction.lag.ms",
            "min.insync.replicas",
            "preallocate",
            "remote.log.copy.disable",
            "remote.log.delete.on.disable",
            "remote.storage.enable",
            "retention.bytes",
            "retention.ms",
            "segment.bytes",
            "segment.index.bytes",
            "segment.jitter.ms",
            "segment.ms",
            "unclean.leader.election.enable",
        ];
        let names: Vec<&str> = TOPIC_CONFIGS.iter().map(|c| c.name).collect();
        assert_eq!(names, described);
    }
}
