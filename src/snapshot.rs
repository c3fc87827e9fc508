//! Cluster snapshots: a redacted, deterministic picture of what a cluster holds for the topics in
//! scope, so that a pull request can be planned with no credential at all (`plan --from-snapshot`).
//! Apply never uses one: a plan saved from a snapshot is compared with a fresh plan of the live cluster
//! (see `plan::SavedPlan::refusals`). Pure: values in, text out, and back.
//!
//! A snapshot holds no client property, credential or bootstrap address; sensitive config values are
//! absent (the brokers never return them); broker hosts only when asked (`--keep-hosts`). The same
//! cluster state gives the same `content` byte for byte (sorted maps, no time inside the content): a
//! team can commit it and read drift as a git diff of `content`. `contentHash` covers every field of
//! the file (its date and version too), so that none can be changed unnoticed; and what a snapshot
//! says is checked as a cluster's answer would be (legal topic names, partitions and replicas within
//! Kafka's limits, no duplicates, a date that is not in the future) before it is used: a snapshot
//! comes from a pull request, and its text reaches the plan. Config entries that
//! hold Kafka's own default for the release are left out and rebuilt from the catalog when read, which
//! keeps 10,000 topics small.

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use litemap::LiteMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Release};
use crate::live::{Broker, ClusterInfo, ConfigSource, Effective, Live, LiveConfig, LivePartition, LiveTopic, Scope};

/// Bumped whenever an older topicform could not read the file right. 2: `contentHash` covers every
/// field, not only `content`.
pub const SNAPSHOT_FORMAT: u32 = 2;

/// Kafka's largest replication factor: CreateTopics carries it as an int16.
pub const MAX_REPLICATION_FACTOR: usize = i16::MAX as usize;

/// A snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// See [`SNAPSHOT_FORMAT`].
    pub format_version: u32,
    /// When it was taken, UTC (`2026-12-01T08:20:00Z`); outside `content`, so that `content` stays the
    /// same while the cluster does.
    pub taken_at: String,
    /// When it was taken, in seconds since 1970 (UTC).
    pub taken_at_unix: u64,
    /// The topicform version that took it.
    pub taken_by: String,
    /// SHA-256 of the whole snapshot as compact JSON with this field empty (`""`): a changed or
    /// truncated file is refused, whichever field was changed.
    pub content_hash: String,
    /// What the cluster holds.
    pub content: Content,
}

/// What a cluster holds, as a snapshot records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Content {
    /// The cluster's id.
    pub cluster_id: Option<String>,
    /// The release its brokers run, when detected.
    pub kafka_version: Option<Release>,
    /// The brokers, by id.
    pub brokers: BTreeMap<i32, SnapshotBroker>,
    /// The topics in scope, by name.
    pub topics: BTreeMap<String, SnapshotTopic>,
    /// Partitions whose reassignment was running, by topic.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moving: BTreeMap<String, BTreeSet<i32>>,
    /// Brokers with a replication throttle rate.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub throttled_brokers: BTreeSet<i32>,
}

/// A broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnapshotBroker {
    /// `broker.rack`.
    pub rack: Option<String>,
    /// `host:port`, only with `--keep-hosts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnapshotTopic {
    /// Partitions, by id: one object each, which reads well in a diff.
    pub partitions: Vec<LivePartition>,
    /// Config entries that do not hold Kafka's own default: overrides, and values inherited from broker
    /// settings.
    pub configs: BTreeMap<String, SnapshotConfig>,
}

/// A config entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnapshotConfig {
    /// The value; `null` when sensitive.
    pub value: Option<String>,
    /// Where it comes from.
    pub source: ConfigSource,
    /// For an override, what removing it falls back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited: Option<Effective>,
    /// Whether the value is secret (never recorded).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    /// Whether it cannot be changed on a topic.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// Why a snapshot file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Not JSON of a snapshot (truncated, or another file).
    #[error(
        "is not a topicform snapshot: {reason}; this topicform reads snapshots of format {SNAPSHOT_FORMAT}, as \
         `topicform snapshot` writes them"
    )]
    Unreadable {
        /// The parser's position and complaint, which names no value.
        reason: String,
    },
    /// Written by a newer topicform.
    #[error("has snapshot format {found}; this topicform reads format {SNAPSHOT_FORMAT}: upgrade topicform")]
    NewerFormat {
        /// The file's format.
        found: u32,
    },
    /// Written by an older topicform.
    #[error(
        "has snapshot format {found}; this topicform reads format {SNAPSHOT_FORMAT}: take the snapshot again with \
         this version"
    )]
    OlderFormat {
        /// The file's format.
        found: u32,
    },
    /// The file does not match its hash.
    #[error("was changed after it was taken: its fields do not match its `contentHash`")]
    Tampered,
    /// A value no cluster would answer with.
    #[error("is not a valid snapshot: at `{at}`, {reason}")]
    Invalid {
        /// Where in the file, as a path of keys (`content.topics.orders.partitions[2]`).
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// Dated further ahead than the clock skew allowed.
    #[error(
        "is dated {ahead_secs} s in the future, more than the {} s of clock difference allowed: its age cannot be checked",
        crate::plan::MAX_CLOCK_SKEW_SECS
    )]
    Future {
        /// How far ahead of now.
        ahead_secs: u64,
    },
    /// Older than allowed.
    #[error("was taken {age_secs} s ago, more than the {max_secs} s allowed (`--max-snapshot-age`)")]
    TooOld {
        /// Its age.
        age_secs: u64,
        /// The limit.
        max_secs: u64,
    },
}

fn sha256(bytes: &[u8]) -> String {
    openssl::sha::sha256(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Snapshot {
    /// The snapshot of `live`, taken at `now_unix`; broker addresses only when `keep_hosts`.
    pub fn of(live: &Live, keep_hosts: bool, now_unix: u64) -> Snapshot {
        let defaults: BTreeMap<&str, String> = defaults_of(live.cluster.release);
        let brokers = live
            .brokers
            .values()
            .map(|b| {
                let address = keep_hosts.then(|| format!("{}:{}", b.host, b.port));
                (b.id, SnapshotBroker { rack: b.rack.clone(), address })
            })
            .collect();
        let topics = live
            .topics
            .iter()
            .map(|(name, t)| {
                let partitions = t.partitions.clone();
                let configs = t
                    .configs
                    .iter()
                    // Kafka's own default is left out: the catalog gives it back when read.
                    .filter(|(k, c)| {
                        c.source != ConfigSource::Default
                            || c.read_only
                            || c.sensitive
                            || defaults.get(k.as_str()).map(String::as_str) != c.value.as_deref()
                    })
                    .map(|(k, c)| {
                        let config = SnapshotConfig {
                            value: if c.sensitive { None } else { c.text() },
                            source: c.source,
                            inherited: c.inherited.as_deref().cloned(),
                            sensitive: c.sensitive,
                            read_only: c.read_only,
                        };
                        (k.to_string(), config)
                    })
                    .collect();
                (name.clone(), SnapshotTopic { partitions, configs })
            })
            .collect();
        let content = Content {
            cluster_id: live.cluster.id.clone(),
            kafka_version: live.cluster.release,
            brokers,
            topics,
            moving: live.moving.clone(),
            throttled_brokers: live.throttled_brokers.clone(),
        };
        let mut snapshot = Snapshot {
            format_version: SNAPSHOT_FORMAT,
            taken_at: crate::plan::utc(now_unix),
            taken_at_unix: now_unix,
            taken_by: env!("CARGO_PKG_VERSION").to_owned(),
            content_hash: String::new(),
            content,
        };
        snapshot.content_hash = snapshot.hash();
        snapshot
    }

    /// SHA-256 of every field but `contentHash`, as compact JSON with that field empty.
    fn hash(&self) -> String {
        let unsealed = Snapshot { content_hash: String::new(), ..self.clone() };
        sha256(serde_json::to_string(&unsealed).expect("a snapshot is JSON").as_bytes())
    }

    /// The file's text: pretty JSON, one key per line, so that a git diff reads.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("a snapshot is JSON") + "\n"
    }

    /// Reads a snapshot file's text, refusing another format, a cut or changed file, and values no
    /// cluster would answer with.
    pub fn from_text(text: &str) -> Result<Snapshot, SnapshotError> {
        // The format first, so that a newer file is named as such rather than as unreadable.
        let unreadable = |e: serde_json::Error| SnapshotError::Unreadable { reason: crate::plan::json_reason(&e) };
        match crate::plan::format_version(text).map_err(unreadable)? {
            found if found > SNAPSHOT_FORMAT => return Err(SnapshotError::NewerFormat { found }),
            found if found < SNAPSHOT_FORMAT => return Err(SnapshotError::OlderFormat { found }),
            _ => {}
        }
        let snapshot: Snapshot = serde_json::from_str(text).map_err(unreadable)?;
        if snapshot.hash() != snapshot.content_hash {
            return Err(SnapshotError::Tampered);
        }
        snapshot.validate()?;
        Ok(snapshot)
    }

    /// Refuses a snapshot dated in the future (beyond the clock skew allowed) at `now_unix`, and, with
    /// `max_secs`, one older than that.
    pub fn check_age(&self, now_unix: u64, max_secs: Option<u64>) -> Result<(), SnapshotError> {
        let ahead_secs = self.taken_at_unix.saturating_sub(now_unix);
        if ahead_secs > crate::plan::MAX_CLOCK_SKEW_SECS {
            return Err(SnapshotError::Future { ahead_secs });
        }
        let age_secs = now_unix.saturating_sub(self.taken_at_unix);
        match max_secs {
            Some(max_secs) if age_secs > max_secs => Err(SnapshotError::TooOld { age_secs, max_secs }),
            _ => Ok(()),
        }
    }

    /// Checks what the snapshot says as a cluster's answer is checked: its date and version, legal and
    /// unique topic and config names, partitions numbered from 0 with distinct replicas within Kafka's
    /// replication factor, brokers and moving partitions that exist.
    fn validate(&self) -> Result<(), SnapshotError> {
        let invalid = |at: String, reason: String| Err(SnapshotError::Invalid { at, reason });
        // Years past 9999 do not print as RFC 3339.
        if self.taken_at_unix > 253_402_300_799 {
            return invalid("takenAtUnix".into(), "it is after the year 9999".into());
        }
        if self.taken_at != crate::plan::utc(self.taken_at_unix) {
            return invalid(
                "takenAt".into(),
                format!("it does not say the same time as `takenAtUnix` ({})", self.taken_at_unix),
            );
        }
        if !legal(&self.taken_by, 64, |c| c.is_ascii_alphanumeric() || ".+-".contains(c)) {
            return invalid("takenBy".into(), "it is not a topicform version".into());
        }
        let c = &self.content;
        if let Some(id) = &c.cluster_id
            && !legal(id, 128, |c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return invalid(
                "content.clusterId".into(),
                "it is not a cluster id (letters, digits, `.`, `_`, `-`)".into(),
            );
        }
        for (id, broker) in &c.brokers {
            if *id < 0 {
                return invalid(format!("content.brokers.{id}"), "a broker id is never negative".into());
            }
            if let Some(rack) = &broker.rack
                && (rack.is_empty() || rack.len() > 1024)
            {
                return invalid(format!("content.brokers.{id}.rack"), "a rack has 1 to 1024 characters".into());
            }
            if let Some(address) = &broker.address
                && !legal(address, 1024, |c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
            {
                return invalid(format!("content.brokers.{id}.address"), "it is not a `host:port` address".into());
            }
        }
        for (name, topic) in &c.topics {
            if let Err(why) = crate::desired::validate::check_topic_name(name) {
                return invalid(format!("content.topics.{name}"), format!("it is not a legal topic name: {why}"));
            }
            if topic.partitions.is_empty() {
                return invalid(
                    format!("content.topics.{name}.partitions"),
                    "a topic has at least one partition".into(),
                );
            }
            for (i, p) in topic.partitions.iter().enumerate() {
                let at = || format!("content.topics.{name}.partitions[{i}]");
                if usize::try_from(p.id).ok() != Some(i) {
                    return invalid(at(), format!("partition {} is listed where partition {i} belongs", p.id));
                }
                if p.replicas.len() > MAX_REPLICATION_FACTOR {
                    return invalid(at(), format!("it has more than {MAX_REPLICATION_FACTOR} replicas, Kafka's limit"));
                }
                let distinct: BTreeSet<&i32> = p.replicas.iter().collect();
                if distinct.len() != p.replicas.len() || p.replicas.iter().any(|r| *r < 0) {
                    return invalid(at(), "its replicas are not distinct broker ids".into());
                }
                if p.isr.iter().any(|r| !distinct.contains(r)) || p.leader.is_some_and(|l| !distinct.contains(&l)) {
                    return invalid(at(), "its leader or in-sync replicas are not among its replicas".into());
                }
            }
            for key in topic.configs.keys() {
                if !legal(key, 255, |c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
                    return invalid(format!("content.topics.{name}.configs"), format!("`{key}` is not a config name"));
                }
            }
        }
        for (name, partitions) in &c.moving {
            let Some(topic) = c.topics.get(name) else {
                return invalid(format!("content.moving.{name}"), "the topic is not in the snapshot".into());
            };
            if partitions.iter().any(|p| usize::try_from(*p).map_or(true, |p| p >= topic.partitions.len())) {
                return invalid(format!("content.moving.{name}"), "a partition the topic does not have".into());
            }
        }
        if let Some(b) = c.throttled_brokers.iter().find(|b| **b < 0) {
            return invalid("content.throttledBrokers".into(), format!("`{b}` is not a broker id"));
        }
        Ok(())
    }

    /// What the cluster held of `scope`, as a describe of it would give it (see [`Scope::declaring`]):
    /// the entries left out because they held Kafka's default are put back from the catalog where the
    /// scope keeps them. Built per scope, so that a plan of 10,000 topics never holds every default
    /// of every topic.
    pub fn to_live(&self, scope: &Scope) -> Live {
        let c = &self.content;
        let defaults = defaults_of(c.kafka_version);
        let brokers = c
            .brokers
            .iter()
            .map(|(&id, b)| {
                let (host, port) = b
                    .address
                    .as_deref()
                    .and_then(|a| a.rsplit_once(':'))
                    .map_or((String::new(), 0), |(h, p)| (h.to_owned(), p.parse().unwrap_or(0)));
                (id, Broker { id, host, port, rack: b.rack.clone() })
            })
            .collect();
        let topics = c
            .topics
            .iter()
            .filter(|(name, _)| scope.contains(name))
            .map(|(name, t)| {
                let partitions = t.partitions.clone();
                let keeping = scope.keeping(name);
                let mut configs: LiteMap<CompactString, LiveConfig> = defaults
                    .iter()
                    .filter(|(k, _)| !t.configs.contains_key(**k) && keeping.keeps(k, false))
                    .map(|(k, v)| {
                        let entry = LiveConfig {
                            value: Some(v.as_str().into()),
                            source: ConfigSource::Default,
                            read_only: false,
                            sensitive: false,
                            inherited: None,
                        };
                        ((*k).into(), entry)
                    })
                    .collect();
                for (k, s) in &t.configs {
                    let overridden = s.source == ConfigSource::TopicOverride;
                    if !keeping.keeps(k, overridden) {
                        continue;
                    }
                    let entry = LiveConfig {
                        value: s.value.as_deref().map(CompactString::from),
                        source: s.source,
                        read_only: s.read_only,
                        sensitive: s.sensitive,
                        inherited: s.inherited.clone().filter(|_| keeping.needs_fallback(k)).map(Box::new),
                    };
                    configs.insert(k.as_str().into(), entry);
                }
                (name.clone(), LiveTopic { partitions, configs })
            })
            .collect();
        Live {
            brokers,
            topics,
            cluster: ClusterInfo { id: c.cluster_id.clone(), release: c.kafka_version },
            moving: c.moving.iter().filter(|(t, _)| scope.contains(t)).map(|(t, p)| (t.clone(), p.clone())).collect(),
            throttled_brokers: c.throttled_brokers.clone(),
        }
    }
}

/// Kafka's own default of every topic config of `release` (the newest when unknown), as DescribeConfigs
/// shows it; configs whose default is null have none.
fn defaults_of(release: Option<Release>) -> BTreeMap<&'static str, String> {
    let defs = match release {
        Some(r) => catalog::at(r),
        None => catalog::all().to_vec(),
    };
    defs.into_iter().filter(|d| !d.default.is_empty()).map(|d| (d.name, d.default.to_owned())).collect()
}

/// Whether `s` has 1 to `max` bytes, each of which `allowed` allows.
fn legal(s: &str, max: usize, allowed: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.len() <= max && s.chars().all(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Live {
        let config = |v: &str, source| LiveConfig {
            value: Some(v.into()),
            source,
            read_only: false,
            sensitive: false,
            inherited: None,
        };
        let mut configs: LiteMap<CompactString, LiveConfig> = defaults_of(Some(Release::of("4.4.0")))
            .into_iter()
            .map(|(k, v)| (k.into(), config(&v, ConfigSource::Default)))
            .collect();
        configs.insert(
            "retention.ms".into(),
            LiveConfig {
                inherited: Some(Box::new(Effective { value: Some("604800000".into()), source: ConfigSource::Default })),
                ..config("3600000", ConfigSource::TopicOverride)
            },
        );
        configs.insert("min.insync.replicas".into(), config("2", ConfigSource::DynamicDefaultBroker));
        let topic = LiveTopic {
            partitions: vec![LivePartition { id: 0, leader: Some(1), replicas: vec![1, 2], isr: vec![1, 2] }],
            configs,
        };
        let mut live = Live::default();
        live.brokers.insert(1, Broker { id: 1, host: "kafka-1.internal".into(), port: 9092, rack: Some("a".into()) });
        live.topics.insert("orders".into(), topic);
        live.cluster = ClusterInfo { id: Some("abc".into()), release: Some(Release::of("4.4.0")) };
        live
    }

    #[test]
    fn a_snapshot_round_trips_without_hosts_and_with_only_what_is_not_a_default() {
        let live = live();
        let snapshot = Snapshot::of(&live, false, 1_000);
        let text = snapshot.to_text();
        assert!(!text.contains("kafka-1.internal"), "no host unless asked: {text}");
        assert_eq!(snapshot.content.topics["orders"].configs.len(), 2, "only the override and the broker value");
        let back = Snapshot::from_text(&text).unwrap();
        let mut expected = live.clone();
        for b in expected.brokers.values_mut() {
            (b.host, b.port) = (String::new(), 0);
        }
        assert_eq!(back.to_live(&Scope::new([], &["*".into()], &[]).unwrap()), expected);
        assert!(Snapshot::of(&live, true, 1_000).to_text().contains("kafka-1.internal:9092"));
    }

    #[test]
    fn the_same_state_gives_the_same_content_and_the_same_time_the_same_hash() {
        let (a, b) = (Snapshot::of(&live(), false, 1), Snapshot::of(&live(), false, 99_999));
        assert_eq!(serde_json::to_string(&a.content).unwrap(), serde_json::to_string(&b.content).unwrap());
        assert_ne!(a.content_hash, b.content_hash, "the date is inside the hash");
        assert_eq!(a.content_hash, Snapshot::of(&live(), false, 1).content_hash);
    }

    #[test]
    fn cut_changed_newer_and_old_snapshots_are_refused() {
        let text = Snapshot::of(&live(), false, 1_000).to_text();
        assert!(matches!(Snapshot::from_text(&text[..text.len() / 2]), Err(SnapshotError::Unreadable { .. })));
        assert_eq!(Snapshot::from_text(&text.replace("3600000", "3600001")), Err(SnapshotError::Tampered));
        let newer = text.replacen("\"formatVersion\": 2", "\"formatVersion\": 3", 1);
        assert_eq!(Snapshot::from_text(&newer), Err(SnapshotError::NewerFormat { found: 3 }));
        let older = text.replacen("\"formatVersion\": 2", "\"formatVersion\": 1", 1);
        assert_eq!(Snapshot::from_text(&older), Err(SnapshotError::OlderFormat { found: 1 }));
        assert!(matches!(Snapshot::from_text("{}"), Err(SnapshotError::Unreadable { .. })));
        let snapshot = Snapshot::from_text(&text).unwrap();
        assert_eq!(
            snapshot.check_age(1_000 + 90_000, Some(86_400)),
            Err(SnapshotError::TooOld { age_secs: 90_000, max_secs: 86_400 })
        );
        assert_eq!(snapshot.check_age(2_000, Some(86_400)), Ok(()));
        assert_eq!(snapshot.check_age(2_000, None), Ok(()));
    }

    #[test]
    fn every_field_is_inside_the_hash() {
        let text = Snapshot::of(&live(), false, 1_000).to_text();
        let version = format!("\"takenBy\": \"{}\"", env!("CARGO_PKG_VERSION"));
        let edits = [
            ("\"takenAtUnix\": 1000", "\"takenAtUnix\": 1001".to_owned()),
            ("1970-01-01T00:16:40Z", "1970-01-01T00:16:41Z".to_owned()),
            (version.as_str(), "\"takenBy\": \"9.9.9\"".to_owned()),
        ];
        for (from, to) in edits {
            assert!(text.contains(from), "{from}");
            assert_eq!(Snapshot::from_text(&text.replacen(from, &to, 1)), Err(SnapshotError::Tampered), "{from}");
        }
    }

    #[test]
    fn a_snapshot_dated_in_the_future_is_refused_beyond_the_clock_skew() {
        let snapshot = Snapshot::of(&live(), false, 10_000);
        assert_eq!(snapshot.check_age(10_000 - 300, None), Ok(()), "within the skew");
        assert_eq!(snapshot.check_age(10_000 - 301, Some(u64::MAX)), Err(SnapshotError::Future { ahead_secs: 301 }));
    }

    /// A snapshot whose hash is right but whose values no cluster would answer with.
    fn resealed(edit: impl FnOnce(&mut Snapshot)) -> Result<Snapshot, SnapshotError> {
        let mut snapshot = Snapshot::of(&live(), false, 1_000);
        edit(&mut snapshot);
        snapshot.content_hash = snapshot.hash();
        Snapshot::from_text(&snapshot.to_text())
    }

    #[test]
    fn names_counts_and_dates_are_checked_as_a_cluster_answer_is() {
        let at = |r: Result<Snapshot, SnapshotError>| match r {
            Err(SnapshotError::Invalid { at, .. }) => at,
            other => panic!("{other:?}"),
        };
        let rename = |name: &str| {
            let name = name.to_owned();
            move |s: &mut Snapshot| {
                let t = s.content.topics.remove("orders").unwrap();
                s.content.topics.insert(name, t);
            }
        };
        assert_eq!(at(resealed(rename("## Approved\n"))), "content.topics.## Approved\n");
        assert_eq!(at(resealed(rename("a\x1b[2J"))), "content.topics.a\x1b[2J");
        assert_eq!(at(resealed(rename(&"x".repeat(250)))), format!("content.topics.{}", "x".repeat(250)));
        assert_eq!(at(resealed(|s| s.taken_at = "yesterday".into())), "takenAt");
        assert_eq!(at(resealed(|s| s.taken_at_unix = u64::MAX)), "takenAtUnix");
        assert_eq!(at(resealed(|s| s.taken_by = "<b>1</b>".into())), "takenBy");
        assert_eq!(at(resealed(|s| s.content.cluster_id = Some("a|b".into()))), "content.clusterId");
        assert_eq!(
            at(resealed(|s| s.content.topics.get_mut("orders").unwrap().partitions[0].id = 1)),
            "content.topics.orders.partitions[0]"
        );
        assert_eq!(
            at(resealed(|s| s.content.topics.get_mut("orders").unwrap().partitions[0].replicas = vec![1, 1])),
            "content.topics.orders.partitions[0]"
        );
        assert_eq!(
            at(resealed(|s| s.content.topics.get_mut("orders").unwrap().partitions = vec![])),
            "content.topics.orders.partitions"
        );
        assert_eq!(
            at(resealed(|s| {
                let p = s.content.topics["orders"].partitions[0].clone();
                s.content.topics.get_mut("orders").unwrap().partitions[0].replicas = vec![1; 0];
                s.content.topics.get_mut("orders").unwrap().partitions[0].isr = p.isr;
            })),
            "content.topics.orders.partitions[0]"
        );
        assert_eq!(
            at(resealed(|s| {
                let c = s.content.topics["orders"].configs["retention.ms"].clone();
                s.content.topics.get_mut("orders").unwrap().configs.insert("a\nb".into(), c);
            })),
            "content.topics.orders.configs"
        );
        assert_eq!(
            at(resealed(|s| {
                s.content.moving.insert("orders".into(), BTreeSet::from([7]));
            })),
            "content.moving.orders"
        );
        assert!(resealed(|_| {}).is_ok());
    }
}
