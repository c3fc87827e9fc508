//! Cluster snapshots: a redacted, deterministic picture of what a cluster holds for the topics in
//! scope, so that a pull request can be planned with no credential at all (`plan --from-snapshot`).
//! Apply never uses one: a plan saved from a snapshot is compared with a fresh plan of the live cluster
//! (see `plan::SavedPlan::refusals`). Pure: values in, text out, and back.
//!
//! A snapshot holds no client property, credential or bootstrap address; sensitive config values are
//! absent (the brokers never return them); broker hosts only when asked (`--keep-hosts`). The same
//! cluster state gives the same `content` and `contentHash` byte for byte (sorted maps, no time inside
//! the content): a team can commit it and read drift as a git diff of `content`. Config entries that
//! hold Kafka's own default for the release are left out and rebuilt from the catalog when read, which
//! keeps 10,000 topics small.

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use litemap::LiteMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Release};
use crate::live::{Broker, ClusterInfo, ConfigSource, Effective, Live, LiveConfig, LivePartition, LiveTopic, Scope};

/// Bumped whenever an older topicform could not read the file right.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// A snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// See [`SNAPSHOT_FORMAT`].
    pub format_version: u32,
    /// When it was taken, UTC (`2026-12-01T08:20:00Z`); outside `content`, so it does not change the hash.
    pub taken_at: String,
    /// When it was taken, in seconds since 1970 (UTC).
    pub taken_at_unix: u64,
    /// The topicform version that took it.
    pub taken_by: String,
    /// SHA-256 of `content` as written (compact JSON): a changed or truncated file is refused.
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
    #[error("is not a snapshot written by `topicform snapshot` (or it is cut short): {reason}")]
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
    /// The content does not match its hash.
    #[error("was changed after it was taken: its content does not match its `contentHash`")]
    Tampered,
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
        let content_hash = sha256(serde_json::to_string(&content).expect("content is JSON").as_bytes());
        Snapshot {
            format_version: SNAPSHOT_FORMAT,
            taken_at: crate::plan::utc(now_unix),
            taken_at_unix: now_unix,
            taken_by: env!("CARGO_PKG_VERSION").to_owned(),
            content_hash,
            content,
        }
    }

    /// The file's text: pretty JSON, one key per line, so that a git diff reads.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("a snapshot is JSON") + "\n"
    }

    /// Reads a snapshot file's text, refusing a newer format, a cut or changed file.
    pub fn from_text(text: &str) -> Result<Snapshot, SnapshotError> {
        // The format first, so that a newer file is named as such rather than as unreadable.
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            format_version: u32,
        }
        let unreadable = |e: serde_json::Error| SnapshotError::Unreadable {
            reason: format!("line {}, column {}: {}", e.line(), e.column(), classify(&e)),
        };
        let head: Head = serde_json::from_str(text).map_err(unreadable)?;
        if head.format_version > SNAPSHOT_FORMAT {
            return Err(SnapshotError::NewerFormat { found: head.format_version });
        }
        let snapshot: Snapshot = serde_json::from_str(text).map_err(unreadable)?;
        let hash = sha256(serde_json::to_string(&snapshot.content).expect("content is JSON").as_bytes());
        if hash != snapshot.content_hash {
            return Err(SnapshotError::Tampered);
        }
        Ok(snapshot)
    }

    /// Refuses a snapshot older than `max_secs` at `now_unix`.
    pub fn check_age(&self, now_unix: u64, max_secs: u64) -> Result<(), SnapshotError> {
        let age_secs = now_unix.saturating_sub(self.taken_at_unix);
        if age_secs > max_secs { Err(SnapshotError::TooOld { age_secs, max_secs }) } else { Ok(()) }
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

/// serde_json's complaint without quoting the file (a snapshot holds no secret, but the habit holds).
fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "the file ends too early",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "a field is missing, unknown or of the wrong type",
        serde_json::error::Category::Io => "it cannot be read",
    }
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
    fn the_same_state_gives_the_same_content_and_hash() {
        let (a, b) = (Snapshot::of(&live(), false, 1), Snapshot::of(&live(), false, 99_999));
        assert_eq!(a.content_hash, b.content_hash);
        assert_eq!(serde_json::to_string(&a.content).unwrap(), serde_json::to_string(&b.content).unwrap());
    }

    #[test]
    fn cut_changed_newer_and_old_snapshots_are_refused() {
        let text = Snapshot::of(&live(), false, 1_000).to_text();
        assert!(matches!(Snapshot::from_text(&text[..text.len() / 2]), Err(SnapshotError::Unreadable { .. })));
        assert_eq!(Snapshot::from_text(&text.replace("3600000", "3600001")), Err(SnapshotError::Tampered));
        let newer = text.replacen("\"formatVersion\": 1", "\"formatVersion\": 2", 1);
        assert_eq!(Snapshot::from_text(&newer), Err(SnapshotError::NewerFormat { found: 2 }));
        assert!(matches!(Snapshot::from_text("{}"), Err(SnapshotError::Unreadable { .. })));
        let snapshot = Snapshot::from_text(&text).unwrap();
        assert_eq!(
            snapshot.check_age(1_000 + 90_000, 86_400),
            Err(SnapshotError::TooOld { age_secs: 90_000, max_secs: 86_400 })
        );
        assert_eq!(snapshot.check_age(2_000, 86_400), Ok(()));
    }
}
