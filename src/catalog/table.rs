//! The table of every topic-level config of Apache Kafka 2.8.0 to 4.4.0: the 40 keys that some release of
//! that span returns from DescribeConfigs for a topic, sorted by name, each with the releases that have it and
//! how it changed.
//!
//! Where the facts come from:
//!
//! - The validating `ConfigDef` of every release on Maven Central from 2.8.0 to 4.4.0 (2.8.0-2.8.2, 3.0.0-3.0.2,
//!   3.1.0-3.1.2, 3.2.0-3.2.3, 3.3.0-3.3.2, 3.4.0-3.4.1, 3.5.0-3.5.2, 3.6.0-3.6.2, 3.7.0-3.7.2, 3.8.0-3.8.1,
//!   3.9.0-3.9.2, 4.0.0-4.0.2, 4.1.0-4.1.2, 4.2.0-4.2.2, 4.3.0-4.3.1, 4.4.0): the broker jars of each release
//!   (`scripts/kafka-local --version V fetch`; for 4.0.1, whose `connect-*` jars Maven Central lacks, its own
//!   `kafka-*` jars with 4.0.2's other dependencies) were put on a class path and a throwaway program printed
//!   every key of the topic `ConfigDef`: type, default, validator and whether it is internal. Up to 3.4 that
//!   `ConfigDef` is `kafka.log.LogConfig` (core, `core/src/main/scala/kafka/log/LogConfig.scala`), from 3.5
//!   `org.apache.kafka.storage.internals.log.LogConfig` (`storage/src/main/java/.../storage/internals/log/
//!   LogConfig.java`); most key names are in `clients/.../common/config/TopicConfig.java`, the two
//!   throttled-replicas lists in `LogConfig` itself up to 3.7, then in server-common's `QuotaConfigs` (3.8, 3.9)
//!   and `QuotaConfig` (4.0 on); the defaults in `kafka.server.Defaults` (up to 3.4), `LogConfig`'s own
//!   constants (3.5 to 3.7) and `ServerLogConfigs` (3.8 on). The listings of consecutive releases
//!   were diffed; every difference in key set, default, bound or allowed values is an entry's `since`, `until`,
//!   `earlier` or `revisions` here. The apache/kafka sources at the tags 2.8.0 to 3.9.0-rc3 were read alongside
//!   (`git show <tag>:<path>` for the files above, `git log -S` for when a key appeared).
//! - Which keys DescribeConfigs shows: the public ones of that `ConfigDef`. Internal ones are hidden and stay out
//!   of the table: `internal.segment.bytes` (4.1 on, for tests), and `remote.storage.enable`,
//!   `local.retention.ms` and `local.retention.bytes` in 3.0.1 to 3.5.2 (KIP-405 not yet released: they are
//!   accepted but not described). 3.0.0 defined those three as public, so a 3.0.0 broker describes them: they
//!   have `since: "3.6.0"` with `earlier: [3.0.0, 3.0.1)`. Likewise `max.decompressed.message.bytes` came to
//!   4.2.2 as a backport but is not in 4.3.0 or 4.3.1, and is again from 4.4.0.
//! - `default`: what a live broker of the release with stock settings shows for a fresh topic. Checked on
//!   1-broker clusters of 2.8.2, 3.0.0, 3.0.2 (ZooKeeper mode), 3.4.1, 3.7.2, 3.9.1, 4.0.2, 4.1.0, 4.2.2 and
//!   4.4.0 (KRaft), and on 4.3.1 earlier: `kafka-configs --describe --all --entity-type topics` listed exactly
//!   the keys `catalog::at` gives for that release, and every value whose source is DEFAULT_CONFIG (or that has
//!   no synonym) equals the catalog's default. From 4.1 KRaft brokers show `min.insync.replicas` with a
//!   DYNAMIC_DEFAULT_BROKER_CONFIG source (its DEFAULT_CONFIG synonym is still 1). Live alters confirmed that a
//!   4.0.2 broker still takes `segment.bytes=1000` and a 4.1.0 broker refuses it (at least 1048576), and that the
//!   four 4.4.0 keys can be changed on an existing topic.
//! - `alterable`: every topic config of every release here can be changed on an existing topic with
//!   IncrementalAlterConfigs (`remote.storage.enable=true` only where tiered storage is enabled on the cluster;
//!   turning it off needs 3.9 or later and `remote.log.delete.on.disable=true` in the same change).
//! - `since`: the first release whose `LogConfig` publicly defines the key (`git log -S` and release tags of
//!   apache/kafka, the upgrade notes and KIPs); for keys older than 2.8 the true first release. Versions are
//!   spelled as Kafka released them: releases before 1.0 have four parts (`0.8.2.0`), except `0.8.1`. `until`:
//!   the first release without it (`message.format.version`, `message.downconversion.enable` and
//!   `message.timestamp.difference.max.ms` were removed in 4.0.0).
//! - `min`/`max`: the validator's bounds. A Java `int` without an upper bound gets `i32::MAX`; a Java `long`
//!   without one gets `None`; a config without a validator (`retention.bytes`) gets `None` for both.
//!   `compression.gzip.level` accepts -1 and 1 to 9 (0 is refused), recorded as -1 to 9.
//! - `message.format.version` is a `Kind::String`, not an enum: its validator (`ApiVersionValidator`, later
//!   `MetadataVersionValidator`) keeps the first two dot-separated parts of the value (three for `0.x`) and looks
//!   them up, so `2.8`, `2.8-IV1`, `2.8.1` and `2.8.anything` are all accepted: no fixed list. The versions it
//!   knows grow with every release (2.8: `0.8.0` to `2.8-IV1`; 3.9: to `4.0-IV1`).
//! - Not modelled: from 4.2.0 `cleanup.policy` refuses a list with a duplicate member (`delete,delete`).
//!
//! To update for a new Kafka release: fetch its jars (`scripts/kafka-local --version V fetch`), print the topic
//! `ConfigDef` as above (for each key: type, default as `ConfigDef.convertToString` gives it, validator's
//! `toString`, internal or not) and diff it with the previous release's listing; for each difference add an
//! entry (with `since`), set an `until`, or add a `Revision` (newest first) holding the older value. Start a
//! 1-broker cluster of the release on a free base port, create a topic without overrides, describe it with
//! `--all` and compare with `catalog::at` (the `catalog_matches_the_broker` test does that with
//! `TOPICFORM_TEST_KAFKA_VERSION`); raise `Release::NEWEST`, extend the per-release key lists in the tests
//! below, then run `cargo test --lib catalog` and `UPDATE_GENERATED=1 cargo test --test generated`.

use super::{Bound, ConfigDef, Kind, Revision};

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
        name: "errors.deadletterqueue.group.enable",
        kind: Kind::Boolean,
        default: "false",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "4.4.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Allow share groups to write undeliverable records to this topic as a dead-letter queue",
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
        revisions: &[Revision {
            before: "3.3.0",
            default: None,
            min: Some(Some(Bound::Int(0))),
            max: None,
            values: None,
            alterable: None,
        }],
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
        earlier: &[("3.0.0", "3.0.1")],
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
        earlier: &[("3.0.0", "3.0.1")],
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
        name: "max.decompressed.message.bytes",
        kind: Kind::Bytes,
        default: "2147483639",
        min: Some(Bound::Int(1)),
        max: Some(Bound::Int(2147483639)),
        values: &[],
        unordered: false,
        alterable: true,
        since: "4.4.0",
        until: None,
        earlier: &[("4.2.2", "4.3.0")],
        revisions: &[],
        doc: "Largest decompressed size of a single record the broker accepts; the default means no extra cap",
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
        name: "message.downconversion.enable",
        kind: Kind::Boolean,
        default: "true",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "2.0.0",
        until: Some("4.0.0"),
        earlier: &[],
        revisions: &[],
        doc: "Let the broker down-convert batches for consumers that need an older message format",
    },
    ConfigDef {
        name: "message.format.version",
        kind: Kind::String,
        default: "3.0-IV1",
        min: None,
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.10.0.0",
        until: Some("4.0.0"),
        earlier: &[],
        revisions: &[Revision {
            before: "3.0.0",
            default: Some("2.8-IV1"),
            min: None,
            max: None,
            values: None,
            alterable: None,
        }],
        doc: "Message format the broker appends with (2.8, 2.8-IV1, ...); ignored from inter.broker.protocol 3.0",
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
        revisions: &[Revision {
            before: "4.0.0",
            default: Some("9223372036854775807"),
            min: None,
            max: None,
            values: None,
            alterable: None,
        }],
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
        name: "message.timestamp.difference.max.ms",
        kind: Kind::Duration,
        default: "9223372036854775807",
        min: Some(Bound::Int(0)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "0.10.0.0",
        until: Some("4.0.0"),
        earlier: &[],
        revisions: &[],
        doc: "How far a CreateTime timestamp may differ from broker time; replaced by the before/after pair",
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
        name: "remote.copy.lag.bytes",
        kind: Kind::Bytes,
        default: "-1",
        min: Some(Bound::Int(-1)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "4.4.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Newer local bytes after a segment that make it upload-eligible; -1 derives it from local retention",
    },
    ConfigDef {
        name: "remote.copy.lag.ms",
        kind: Kind::Duration,
        default: "0",
        min: Some(Bound::Int(-1)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "4.4.0",
        until: None,
        earlier: &[],
        revisions: &[],
        doc: "Age of a segment's newest record that makes it upload-eligible; 0: at once; -1: from local retention",
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
        earlier: &[("3.0.0", "3.0.1")],
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
        revisions: &[Revision {
            before: "4.1.0",
            default: None,
            min: Some(Some(Bound::Int(14))),
            max: None,
            values: None,
            alterable: None,
        }],
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
        revisions: &[Revision {
            before: "3.3.0",
            default: None,
            min: Some(Some(Bound::Int(0))),
            max: None,
            values: None,
            alterable: None,
        }],
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
    use super::super::Release;
    use super::*;

    /// Configs whose value is milliseconds although the name does not end in `.ms`. None in Kafka 2.8 to 4.4;
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
    fn docs_are_short_lines_and_releases_are_in_the_supported_span() {
        let release = |name: &str, text: &str| {
            let parts: Vec<u32> =
                text.split('.').map(|p| p.parse().unwrap_or_else(|e| panic!("{name}: {text:?}: {e}"))).collect();
            assert!((3..=4).contains(&parts.len()), "{name}: {text:?}");
            assert!(parts.as_slice() <= [4, 4, 0].as_slice(), "{name}: {text:?} is after 4.4.0");
            assert!(parts.as_slice() >= [0, 8, 1].as_slice(), "{name}: topic configs start at 0.8.1");
        };
        for c in TOPIC_CONFIGS {
            assert!(c.doc.chars().count() <= 100, "{}: doc longer than 100 chars", c.name);
            assert!(!c.doc.ends_with('.') && !c.doc.contains('\n'), "{}: doc style", c.name);
            release(c.name, c.since);
            c.until.into_iter().for_each(|u| release(c.name, u));
            for (from, to) in c.earlier {
                release(c.name, from);
                release(c.name, to);
            }
            c.revisions.iter().for_each(|r| release(c.name, r.before));
            assert!(
                Release::of(c.since) <= Release::NEWEST && c.until.is_none_or(|u| Release::of(u) > Release::OLDEST),
                "{}: in 2.8.0..4.4.0 at some release",
                c.name
            );
        }
    }

    /// The names `kafka-configs --describe --all --entity-type topics` lists on a 4.3.1 broker.
    const DESCRIBED_4_3_1: &[&str] = &[
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

    /// Keys of 4.3.1 that older releases lack, and keys older releases have that 4.3.1 lacks.
    const LEVELS: [&str; 3] = ["compression.gzip.level", "compression.lz4.level", "compression.zstd.level"];
    const TIERED: [&str; 3] = ["local.retention.bytes", "local.retention.ms", "remote.storage.enable"];
    const TIMESTAMP_PAIR: [&str; 2] = ["message.timestamp.after.max.ms", "message.timestamp.before.max.ms"];
    const TIERED_3_9: [&str; 2] = ["remote.log.copy.disable", "remote.log.delete.on.disable"];
    const REMOVED_IN_4_0: [&str; 3] =
        ["message.downconversion.enable", "message.format.version", "message.timestamp.difference.max.ms"];

    /// What a live 1-broker cluster of each release (ZooKeeper mode up to 3.0.2, KRaft from 3.4.1) described
    /// beyond and short of [`DESCRIBED_4_3_1`].
    fn described_live() -> Vec<(&'static str, Vec<&'static str>, Vec<&'static str>)> {
        let before_3_6 = [&LEVELS[..], &TIERED, &TIMESTAMP_PAIR, &TIERED_3_9].concat();
        vec![
            ("2.8.2", REMOVED_IN_4_0.to_vec(), before_3_6.clone()),
            ("3.0.0", REMOVED_IN_4_0.to_vec(), [&LEVELS[..], &TIMESTAMP_PAIR, &TIERED_3_9].concat()),
            ("3.0.2", REMOVED_IN_4_0.to_vec(), before_3_6.clone()),
            ("3.4.1", REMOVED_IN_4_0.to_vec(), before_3_6),
            ("3.7.2", REMOVED_IN_4_0.to_vec(), [&LEVELS[..], &TIERED_3_9].concat()),
            ("3.9.1", REMOVED_IN_4_0.to_vec(), vec![]),
            ("4.0.2", vec![], vec![]),
            ("4.1.0", vec![], vec![]),
            ("4.2.2", vec!["max.decompressed.message.bytes"], vec![]),
            ("4.3.1", vec![], vec![]),
            (
                "4.4.0",
                vec![
                    "errors.deadletterqueue.group.enable",
                    "max.decompressed.message.bytes",
                    "remote.copy.lag.bytes",
                    "remote.copy.lag.ms",
                ],
                vec![],
            ),
        ]
    }

    #[test]
    fn each_release_has_exactly_the_configs_its_broker_describes() {
        for (release, extra, missing) in described_live() {
            let mut want: Vec<&str> =
                DESCRIBED_4_3_1.iter().copied().filter(|n| !missing.contains(n)).chain(extra.iter().copied()).collect();
            want.sort_unstable();
            let names: Vec<&str> = super::super::at(Release::of(release)).iter().map(|c| c.name).collect();
            assert_eq!(names, want, "{release}");
        }
        let union: Vec<&str> = TOPIC_CONFIGS.iter().map(|c| c.name).collect();
        let mut seen: Vec<&str> = described_live().into_iter().flat_map(|(_, extra, _)| extra).collect();
        seen.extend(DESCRIBED_4_3_1);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(union, seen, "every entry was seen on a live broker");
    }
}
