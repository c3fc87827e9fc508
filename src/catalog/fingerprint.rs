//! Which Apache Kafka release line a broker runs, from the highest version of each API that its
//! ApiVersions response lists. The software version is not in the protocol, and `metadata.version` or
//! `inter.broker.protocol.version` lag the software during a rolling upgrade, but every release line
//! raises the highest version of some APIs: a broker that lists all of a line's raised versions runs
//! that line or a newer one.
//!
//! Where the facts come from: the message definitions of Apache Kafka (`validVersions` and
//! `latestVersionUnstable` of `clients/src/main/resources/common/message/*Request.json` at the release
//! tags, and the same files and `ApiKeys` in the `kafka-clients` jar of each release from 2.8.0 to
//! 4.4.0, first and last patch of every line), checked against live brokers: the `kafka-broker-api-versions`
//! listing of one stock broker per release and mode, kept in `fingerprint/` as the tests' fixtures.
//!
//! How the keys were chosen. Each API of [`LINES`] is one that a broker lists whatever its settings and
//! features:
//!
//! - not a version marked `latestVersionUnstable` (only listed with `unstable.api.versions.enable`);
//! - not an API listed only with some settings (`GetTelemetrySubscriptions` and `PushTelemetry` need a
//!   client-telemetry metrics reporter) nor one of the share-group, streams-group and consumer-group
//!   APIs, which come and go with their features;
//! - not a forwardable API (`CreateTopics`, `DeleteTopics`, `CreateAcls`, `UpdateFeatures`,
//!   `DescribeQuorum`, ...): a KRaft broker, and a ZooKeeper broker during a migration, lists those at
//!   the versions that both it and the controller support, so they say more about the controller;
//! - listed by both ZooKeeper and KRaft brokers of the releases that have both (KRaft brokers list
//!   the SCRAM APIs only from 3.5 and the delegation-token APIs only from 3.6, and never the ZooKeeper
//!   inter-broker APIs).
//!
//! Apache Kafka 4.0 also removed the oldest versions of many APIs (`Produce` 0-2, `Fetch` 0-3, ...),
//! but a line is recognised by the versions it added, so only highest versions are used.
//!
//! One line cannot be told apart on KRaft: a 3.4 KRaft broker lists exactly what a 3.3 KRaft broker
//! lists (3.4 raised only the ZooKeeper inter-broker APIs), so it is reported as 3.3. No topic config
//! changed in 3.4.
//!
//! To add a release line: start a broker of it (`scripts/kafka-local start --version X.Y.Z --brokers 1`),
//! save its `kafka-broker-api-versions` listing in `fingerprint/` as the other files are, compare with the
//! previous line and with the message definitions, and add a row to [`LINES`] with keys chosen as above.

use std::collections::BTreeMap;

use super::Release;

/// `Produce`.
const PRODUCE: i16 = 0;
/// `Fetch`.
const FETCH: i16 = 1;
/// `ListOffsets`.
const LIST_OFFSETS: i16 = 2;
/// `Metadata`.
const METADATA: i16 = 3;
/// `LeaderAndIsr`: ZooKeeper brokers only.
const LEADER_AND_ISR: i16 = 4;
/// `UpdateMetadata`: ZooKeeper brokers only.
const UPDATE_METADATA: i16 = 6;
/// `OffsetCommit`.
const OFFSET_COMMIT: i16 = 8;
/// `OffsetFetch`.
const OFFSET_FETCH: i16 = 9;
/// `FindCoordinator`.
const FIND_COORDINATOR: i16 = 10;
/// `JoinGroup`.
const JOIN_GROUP: i16 = 11;
/// `LeaveGroup`.
const LEAVE_GROUP: i16 = 13;
/// `DescribeGroups`.
const DESCRIBE_GROUPS: i16 = 15;
/// `ListGroups`.
const LIST_GROUPS: i16 = 16;
/// `ApiVersions`.
const API_VERSIONS: i16 = 18;
/// `AddPartitionsToTxn`.
const ADD_PARTITIONS_TO_TXN: i16 = 24;
/// `WriteTxnMarkers`.
const WRITE_TXN_MARKERS: i16 = 27;
/// `TxnOffsetCommit`.
const TXN_OFFSET_COMMIT: i16 = 28;
/// `DescribeAcls`.
const DESCRIBE_ACLS: i16 = 29;
/// `DescribeLogDirs`.
const DESCRIBE_LOG_DIRS: i16 = 35;
/// `DeleteGroups`.
const DELETE_GROUPS: i16 = 42;
/// `DescribeCluster`.
const DESCRIBE_CLUSTER: i16 = 60;
/// `ListTransactions`.
const LIST_TRANSACTIONS: i16 = 66;

/// A release line and the APIs whose highest version first reached the given one in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// The line, as its first release (`3.9.0` for 3.9).
    pub release: Release,
    /// `(API key, version)`: a broker of this line or a newer one lists each key at this version or
    /// higher; no broker of an older line does, for any of them.
    pub apis: &'static [(i16, i16)],
}

/// Every release line topicform knows, oldest first. The first row also tells a Kafka broker of 2.8 or
/// later from an older one or from something else.
pub static LINES: &[Line] = &[
    // 2.8: Produce 9, Metadata 11, DescribeCluster 0 (new in 2.8); 2.7 has Produce 8, Metadata 9.
    Line { release: Release::new(2, 8, 0), apis: &[(PRODUCE, 9), (METADATA, 11), (DESCRIBE_CLUSTER, 0)] },
    // 3.0: ListOffsets 7, OffsetFetch 8, FindCoordinator 4.
    Line { release: Release::new(3, 0, 0), apis: &[(LIST_OFFSETS, 7), (OFFSET_FETCH, 8), (FIND_COORDINATOR, 4)] },
    // 3.1: Fetch 13, Metadata 12.
    Line { release: Release::new(3, 1, 0), apis: &[(FETCH, 13), (METADATA, 12)] },
    // 3.2: JoinGroup 9, LeaveGroup 5, DescribeLogDirs 3.
    Line { release: Release::new(3, 2, 0), apis: &[(JOIN_GROUP, 9), (LEAVE_GROUP, 5), (DESCRIBE_LOG_DIRS, 3)] },
    // 3.3: DescribeAcls 3, DescribeLogDirs 4.
    Line { release: Release::new(3, 3, 0), apis: &[(DESCRIBE_ACLS, 3), (DESCRIBE_LOG_DIRS, 4)] },
    // 3.4: LeaderAndIsr 7, UpdateMetadata 8: ZooKeeper brokers only; nothing a KRaft broker lists rose in 3.4.
    Line { release: Release::new(3, 4, 0), apis: &[(LEADER_AND_ISR, 7), (UPDATE_METADATA, 8)] },
    // 3.5: Fetch 15, ListOffsets 8.
    Line { release: Release::new(3, 5, 0), apis: &[(FETCH, 15), (LIST_OFFSETS, 8)] },
    // 3.6: AddPartitionsToTxn 4 (unstable in 3.5, so not listed there); the only one that rose in 3.6.
    Line { release: Release::new(3, 6, 0), apis: &[(ADD_PARTITIONS_TO_TXN, 4)] },
    // 3.7: Produce 10, Fetch 16, DescribeCluster 1.
    Line { release: Release::new(3, 7, 0), apis: &[(PRODUCE, 10), (FETCH, 16), (DESCRIBE_CLUSTER, 1)] },
    // 3.8: Produce 11, FindCoordinator 5, ListGroups 5.
    Line { release: Release::new(3, 8, 0), apis: &[(PRODUCE, 11), (FIND_COORDINATOR, 5), (LIST_GROUPS, 5)] },
    // 3.9: Fetch 17, ListOffsets 9, ApiVersions 4.
    Line { release: Release::new(3, 9, 0), apis: &[(FETCH, 17), (LIST_OFFSETS, 9), (API_VERSIONS, 4)] },
    // 4.0: Metadata 13, DescribeGroups 6, ListOffsets 10, DescribeCluster 2.
    Line {
        release: Release::new(4, 0, 0),
        apis: &[(METADATA, 13), (DESCRIBE_GROUPS, 6), (LIST_OFFSETS, 10), (DESCRIBE_CLUSTER, 2)],
    },
    // 4.1: Produce 13, Fetch 18, ListTransactions 2.
    Line { release: Release::new(4, 1, 0), apis: &[(PRODUCE, 13), (FETCH, 18), (LIST_TRANSACTIONS, 2)] },
    // 4.2: ListOffsets 11, OffsetCommit 10, OffsetFetch 10 (both unstable in 4.1), WriteTxnMarkers 2.
    Line {
        release: Release::new(4, 2, 0),
        apis: &[(LIST_OFFSETS, 11), (OFFSET_COMMIT, 10), (OFFSET_FETCH, 10), (WRITE_TXN_MARKERS, 2)],
    },
    // 4.3: DescribeLogDirs 5; the only one a broker lists that rose in 4.3.
    Line { release: Release::new(4, 3, 0), apis: &[(DESCRIBE_LOG_DIRS, 5)] },
    // 4.4: ApiVersions 5, TxnOffsetCommit 6, DeleteGroups 3.
    Line { release: Release::new(4, 4, 0), apis: &[(API_VERSIONS, 5), (TXN_OFFSET_COMMIT, 6), (DELETE_GROUPS, 3)] },
];

impl Line {
    /// Whether a broker whose ApiVersions response lists these highest versions has every API of the line.
    pub fn matches(&self, max_versions: &BTreeMap<i16, i16>) -> bool {
        self.apis.iter().all(|&(key, version)| max_versions.get(&key).is_some_and(|&max| max >= version))
    }
}

/// The newest release line from 2.8 to 4.4 whose APIs the broker has (each at least at that release's max
/// version); `None` when older than 2.8 or not Kafka.
///
/// `max_versions` maps each API key of the broker's ApiVersions response to the highest version listed.
/// The answer is the line's first release (`3.9.0` for any 3.9 broker); a broker newer than 4.4 has the
/// APIs of 4.4 and is reported as 4.4.0, the newest known; a 3.4 KRaft broker is reported as 3.3.0 (see the
/// module documentation).
pub fn release_of(max_versions: &BTreeMap<i16, i16>) -> Option<Release> {
    let (oldest, _) = LINES.split_first()?;
    if !oldest.matches(max_versions) {
        return None;
    }
    LINES.iter().rev().find(|line| line.matches(max_versions)).map(|line| line.release)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(release, mode, listing)`: what a stock broker of each release listed, in `fingerprint/`.
    const BROKERS: &[(&str, &str, &str)] = &[
        ("2.8.2", "zookeeper", include_str!("fingerprint/2.8.2-zookeeper.txt")),
        ("3.0.2", "zookeeper", include_str!("fingerprint/3.0.2-zookeeper.txt")),
        ("3.1.2", "zookeeper", include_str!("fingerprint/3.1.2-zookeeper.txt")),
        ("3.2.3", "zookeeper", include_str!("fingerprint/3.2.3-zookeeper.txt")),
        ("3.3.2", "zookeeper", include_str!("fingerprint/3.3.2-zookeeper.txt")),
        ("3.3.2", "kraft", include_str!("fingerprint/3.3.2-kraft.txt")),
        ("3.4.1", "zookeeper", include_str!("fingerprint/3.4.1-zookeeper.txt")),
        ("3.4.1", "kraft", include_str!("fingerprint/3.4.1-kraft.txt")),
        ("3.5.2", "zookeeper", include_str!("fingerprint/3.5.2-zookeeper.txt")),
        ("3.5.2", "kraft", include_str!("fingerprint/3.5.2-kraft.txt")),
        ("3.6.2", "zookeeper", include_str!("fingerprint/3.6.2-zookeeper.txt")),
        ("3.6.2", "kraft", include_str!("fingerprint/3.6.2-kraft.txt")),
        ("3.7.2", "zookeeper", include_str!("fingerprint/3.7.2-zookeeper.txt")),
        ("3.7.2", "kraft", include_str!("fingerprint/3.7.2-kraft.txt")),
        ("3.8.1", "zookeeper", include_str!("fingerprint/3.8.1-zookeeper.txt")),
        ("3.8.1", "kraft", include_str!("fingerprint/3.8.1-kraft.txt")),
        ("3.9.1", "zookeeper", include_str!("fingerprint/3.9.1-zookeeper.txt")),
        ("3.9.1", "kraft", include_str!("fingerprint/3.9.1-kraft.txt")),
        ("4.0.0", "kraft", include_str!("fingerprint/4.0.0-kraft.txt")),
        ("4.0.2", "kraft", include_str!("fingerprint/4.0.2-kraft.txt")),
        ("4.1.2", "kraft", include_str!("fingerprint/4.1.2-kraft.txt")),
        ("4.2.2", "kraft", include_str!("fingerprint/4.2.2-kraft.txt")),
        ("4.3.1", "kraft", include_str!("fingerprint/4.3.1-kraft.txt")),
        ("4.4.0", "kraft", include_str!("fingerprint/4.4.0-kraft.txt")),
    ];

    /// A fixture's `key max-version name` lines, `#` lines being comments.
    fn parse(listing: &str) -> BTreeMap<i16, i16> {
        listing
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut words = l.split_whitespace();
                let mut number =
                    || words.next().and_then(|w| w.parse().ok()).unwrap_or_else(|| panic!("bad line {l:?}"));
                (number(), number())
            })
            .collect()
    }

    fn broker(release: &str, mode: &str) -> BTreeMap<i16, i16> {
        let (_, _, listing) = BROKERS.iter().find(|b| b.0 == release && b.1 == mode).expect("a fixture");
        parse(listing)
    }

    fn line_of(release: &str) -> Release {
        let r = Release::of(release);
        Release::new(r.major, r.minor, 0)
    }

    #[test]
    fn every_live_broker_gets_its_own_line() {
        for &(release, mode, listing) in BROKERS {
            // A 3.4 KRaft broker lists the same as a 3.3 one: see the module documentation.
            let want = if (release, mode) == ("3.4.1", "kraft") { Release::new(3, 3, 0) } else { line_of(release) };
            assert_eq!(release_of(&parse(listing)), Some(want), "Kafka {release} in {mode} mode");
        }
    }

    #[test]
    fn no_broker_of_an_older_line_has_any_api_of_a_row() {
        for line in LINES {
            for &(release, mode, listing) in BROKERS.iter().filter(|b| line_of(b.0) < line.release) {
                let max = parse(listing);
                for &(key, version) in line.apis {
                    assert!(
                        max.get(&key).is_none_or(|&m| m < version),
                        "Kafka {release} ({mode}) lists API {key} at {version}, which the {} row needs",
                        line.release.line()
                    );
                }
            }
        }
    }

    #[test]
    fn every_broker_has_its_line_and_the_older_ones() {
        for &(release, mode, listing) in BROKERS {
            let max = parse(listing);
            for line in LINES.iter().filter(|l| l.release <= line_of(release)) {
                // The ZooKeeper inter-broker APIs of the 3.4 row are not listed by KRaft brokers.
                if line.release == Release::new(3, 4, 0) && mode == "kraft" {
                    continue;
                }
                assert!(line.matches(&max), "Kafka {release} ({mode}) lacks an API of the {} row", line.release.line());
            }
        }
    }

    #[test]
    fn rows_cover_2_8_to_4_4_in_order() {
        let lines: Vec<String> = LINES.iter().map(|l| l.release.line()).collect();
        let want = [
            "2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.0", "4.1", "4.2", "4.3",
            "4.4",
        ];
        assert_eq!(lines, want);
        assert_eq!(LINES.first().map(|l| l.release), Some(Release::OLDEST));
        assert_eq!(LINES.last().map(|l| l.release), Some(Release::NEWEST));
        assert!(LINES.iter().all(|l| l.release.patch == 0 && !l.apis.is_empty()));
    }

    #[test]
    fn unknown_and_older_brokers() {
        let map = |pairs: &[(i16, i16)]| pairs.iter().copied().collect::<BTreeMap<i16, i16>>();
        let cases: &[(&str, BTreeMap<i16, i16>, Option<Release>)] = &[
            ("nothing listed", BTreeMap::new(), None),
            // Kafka 2.7: Produce 8, Metadata 9, no DescribeCluster.
            ("2.7", map(&[(PRODUCE, 8), (FETCH, 12), (LIST_OFFSETS, 5), (METADATA, 9), (API_VERSIONS, 3)]), None),
            ("2.8 without DescribeCluster", map(&[(PRODUCE, 9), (METADATA, 11), (FETCH, 12)]), None),
            (
                "the 2.8 row alone",
                map(&[(PRODUCE, 9), (METADATA, 11), (DESCRIBE_CLUSTER, 0)]),
                Some(Release::new(2, 8, 0)),
            ),
            // Something that lists high versions of a few APIs but not Kafka's set.
            ("not Kafka", map(&[(FETCH, 99), (LIST_OFFSETS, 99), (API_VERSIONS, 99)]), None),
        ];
        for (name, max, want) in cases {
            assert_eq!(release_of(max), *want, "{name}");
        }
    }

    #[test]
    fn a_newer_broker_than_4_4_is_4_4() {
        let mut max = broker("4.4.0", "kraft");
        for version in max.values_mut() {
            *version += 1;
        }
        max.insert(95, 0);
        max.insert(96, 2);
        assert_eq!(release_of(&max), Some(Release::NEWEST));
    }

    #[test]
    fn a_version_short_of_a_row_falls_back_a_line() {
        // A 3.9 broker whose Fetch stopped at 16 has all of 3.8 but not 3.9.
        let mut max = broker("3.9.1", "zookeeper");
        max.insert(FETCH, 16);
        assert_eq!(release_of(&max), Some(Release::new(3, 8, 0)));
        // A 4.3 broker without DescribeLogDirs 5 is 4.2.
        let mut max = broker("4.3.1", "kraft");
        max.insert(DESCRIBE_LOG_DIRS, 4);
        assert_eq!(release_of(&max), Some(Release::new(4, 2, 0)));
    }
}
