//! What the cluster holds, as pure data: brokers, topics, partitions, configs with their sources, and
//! the [`Scope`] of topics a run may see. Filled in by [`crate::cluster`], read by [`crate::plan`] and
//! [`crate::render`]. No I/O, no Kafka client.

use std::collections::{BTreeMap, BTreeSet};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::catalog::Release;

/// A snapshot of the cluster: what it says of itself, its brokers and the topics in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Live {
    /// Brokers, by id.
    pub brokers: BTreeMap<i32, Broker>,
    /// Topics in scope, by name. Internal topics (`__*`) are never here.
    pub topics: BTreeMap<String, LiveTopic>,
    /// The cluster's id and release.
    pub cluster: ClusterInfo,
    /// Partitions of topics in scope whose reassignment is still running, by topic.
    pub moving: BTreeMap<String, BTreeSet<i32>>,
    /// Brokers with a replication throttle rate set (`leader/follower.replication.throttled.rate`).
    pub throttled_brokers: BTreeSet<i32>,
}

/// The topic configs that throttle replication of a reassignment: apply sets and removes them with the
/// move, and the diff never treats them as plain configs.
pub const THROTTLED_REPLICAS: [&str; 2] =
    ["leader.replication.throttled.replicas", "follower.replication.throttled.replicas"];

/// The broker configs that throttle replication.
pub const THROTTLE_RATES: [&str; 2] = ["leader.replication.throttled.rate", "follower.replication.throttled.rate"];

/// What a cluster says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterInfo {
    /// The cluster id, when the brokers said.
    pub id: Option<String>,
    /// The Apache Kafka release its brokers run, detected from their ApiVersions answer (the software's
    /// own APIs, which `metadata.version` and `inter.broker.protocol.version` may lag behind during an
    /// upgrade); `None` when it could not be asked or recognised.
    pub release: Option<Release>,
}

/// A broker as Metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broker {
    /// `node.id`.
    pub id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: u16,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

/// One topic as the cluster has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveTopic {
    /// Partitions, by id.
    pub partitions: Vec<LivePartition>,
    /// Every config the broker describes for the topic, by name.
    pub configs: BTreeMap<String, LiveConfig>,
}

impl LiveTopic {
    /// The replication factor: the replica count of the first partition (Kafka keeps them equal unless
    /// a reassignment is under way, when the largest is the one that matters).
    pub fn replication_factor(&self) -> usize {
        self.partitions.iter().map(|p| p.replicas.len()).max().unwrap_or(0)
    }

    /// The topic's own overrides (configs whose source is the topic), by name.
    pub fn overrides(&self) -> impl Iterator<Item = (&String, &LiveConfig)> {
        self.configs.iter().filter(|(_, c)| c.source == ConfigSource::TopicOverride)
    }
}

/// One partition's placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LivePartition {
    /// Partition id.
    pub id: i32,
    /// Leader broker id, if the partition has a leader.
    pub leader: Option<i32>,
    /// Replica broker ids, preferred leader first.
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids.
    pub isr: Vec<i32>,
}

/// One described config entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveConfig {
    /// Its value; `None` for sensitive values (the broker does not return them) or unset ones.
    pub value: Option<String>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether it cannot be changed on a topic.
    pub read_only: bool,
    /// Whether its value is secret.
    pub sensitive: bool,
    /// For an overridden config, the value removing the override falls back to, and where that comes
    /// from; `None` when the broker did not say. Always `None` for a config the topic does not
    /// override: then `value` and `source` are what it inherits (see [`LiveConfig::effective`]).
    pub inherited: Option<Effective>,
}

impl LiveConfig {
    /// What the topic has without its own override: `inherited` for an override, else the entry itself.
    pub fn effective(&self) -> Effective {
        match (&self.inherited, self.source) {
            (Some(inherited), _) => inherited.clone(),
            (None, source) => Effective { value: self.value.clone(), source },
        }
    }
}

/// An effective config value and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Effective {
    /// The value; `None` when sensitive or null.
    pub value: Option<String>,
    /// Where it comes from.
    pub source: ConfigSource,
}

/// Where a config value comes from, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// Set on the topic itself.
    TopicOverride,
    /// A broker's dynamic per-broker config.
    DynamicBroker,
    /// The cluster-wide dynamic broker default.
    DynamicDefaultBroker,
    /// The broker's `server.properties`.
    StaticBroker,
    /// Kafka's built-in default.
    Default,
    /// A source this version of topicform does not know.
    Unknown,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConfigSource::TopicOverride => "topic override",
            ConfigSource::DynamicBroker => "broker dynamic config",
            ConfigSource::DynamicDefaultBroker => "cluster-wide dynamic default",
            ConfigSource::StaticBroker => "broker static config",
            ConfigSource::Default => "Kafka default",
            ConfigSource::Unknown => "unknown source",
        })
    }
}

/// Which live topics a run may see and change: exact names and glob patterns, minus ignored patterns.
/// Internal topics (names starting `__`) are outside every scope.
#[derive(Debug, Clone)]
pub struct Scope {
    names: BTreeSet<String>,
    patterns: GlobSet,
    ignore: GlobSet,
    matching: Option<regex::Regex>,
    declared: Option<BTreeMap<String, BTreeSet<String>>>,
}

impl Scope {
    /// A scope of exact names and glob patterns (`payments.*`), less the `ignore` patterns.
    pub fn new(
        names: impl IntoIterator<Item = String>,
        patterns: &[String],
        ignore: &[String],
    ) -> Result<Self, globset::Error> {
        Ok(Scope {
            names: names.into_iter().collect(),
            patterns: glob_set(patterns)?,
            ignore: glob_set(ignore)?,
            matching: None,
            declared: None,
        })
    }

    /// Narrows what a describe must keep to what a diff against files declaring `declared` (config
    /// keys by topic) reads: every topic's overrides, each declared topic's declared keys, and what an
    /// override falls back to only where the diff would remove it (an override the files do not declare).
    /// A scope that declares nothing (a snapshot, `describe`, `import`) keeps every entry and every
    /// fallback.
    pub fn declaring(mut self, declared: BTreeMap<String, BTreeSet<String>>) -> Self {
        self.declared = Some(declared);
        self
    }

    /// Whether a describe must keep `topic`'s entry for `key`; `overridden` when the topic overrides it.
    pub fn keeps(&self, topic: &str, key: &str, overridden: bool) -> bool {
        overridden
            || match &self.declared {
                None => true,
                Some(declared) => declared.get(topic).is_some_and(|keys| keys.contains(key)),
            }
    }

    /// Whether a describe must find what `topic`'s override of `key` falls back to (its synonyms).
    pub fn needs_fallback(&self, topic: &str, key: &str) -> bool {
        // The reassignment throttles are never unset by a diff (see `THROTTLED_REPLICAS`).
        !THROTTLED_REPLICAS.contains(&key)
            && match &self.declared {
                None => true,
                Some(declared) => declared.get(topic).is_some_and(|keys| !keys.contains(key)),
            }
    }

    /// `topic` as a describe that kept only what this scope needs would give it (see
    /// [`Scope::declaring`]): what the in-memory clusters answer, so that every test of the diff reads
    /// what the real adapter gives.
    pub fn narrow(&self, name: &str, topic: &mut LiveTopic) {
        topic.configs.retain(|key, c| self.keeps(name, key, c.source == ConfigSource::TopicOverride));
        for (key, c) in topic.configs.iter_mut() {
            if !self.needs_fallback(name, key) {
                c.inherited = None;
            }
        }
    }

    /// Narrows the scope to names that `regex` matches (anywhere in the name, as `grep` does).
    pub fn matching(mut self, regex: regex::Regex) -> Self {
        self.matching = Some(regex);
        self
    }

    /// Whether the topic is in scope.
    pub fn contains(&self, topic: &str) -> bool {
        !topic.starts_with("__")
            && !self.ignore.is_match(topic)
            && (self.names.contains(topic) || self.patterns.is_match(topic))
            && self.matching.as_ref().is_none_or(|r| r.is_match(topic))
    }
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p)?);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope() {
        let scope = Scope::new(["orders".to_owned()], &["payments.*".into()], &["payments.tmp*".into()]).unwrap();
        assert!(scope.contains("orders"));
        assert!(scope.contains("payments.ledger"));
        assert!(!scope.contains("payments.tmp-1"), "ignored");
        assert!(!scope.contains("billing"), "neither named nor matched");
        assert!(!Scope::new([], &["*".into()], &[]).unwrap().contains("__consumer_offsets"), "internal");
    }

    #[test]
    fn what_a_describe_keeps() {
        let everything = Scope::new([], &["*".into()], &[]).unwrap();
        assert!(everything.keeps("a", "segment.ms", false), "a scope that declares nothing keeps every entry");
        assert!(everything.needs_fallback("a", "retention.ms"), "and every fallback");
        assert!(!everything.needs_fallback("a", THROTTLED_REPLICAS[0]), "but never a throttle's");

        let declared = BTreeMap::from([("a".to_owned(), BTreeSet::from(["retention.ms".to_owned()]))]);
        let scope = Scope::new(["a".to_owned()], &["*".into()], &[]).unwrap().declaring(declared);
        assert!(scope.keeps("a", "retention.ms", false), "a declared key, for pins");
        assert!(!scope.keeps("a", "segment.ms", false), "an inherited key nobody declares");
        assert!(scope.keeps("a", "segment.ms", true) && scope.keeps("z", "segment.ms", true), "every override");
        assert!(!scope.needs_fallback("a", "retention.ms"), "a declared override is set, not unset");
        assert!(scope.needs_fallback("a", "segment.ms"), "an undeclared override is unset: its fallback is shown");
        assert!(!scope.needs_fallback("z", "segment.ms"), "an undeclared topic is only listed or pruned");

        let mut topic = LiveTopic::default();
        let config = |source, inherited: Option<&str>| LiveConfig {
            value: Some("1".into()),
            source,
            read_only: false,
            sensitive: false,
            inherited: inherited.map(|v| Effective { value: Some(v.into()), source: ConfigSource::Default }),
        };
        topic.configs.insert("retention.ms".into(), config(ConfigSource::TopicOverride, Some("2")));
        topic.configs.insert("segment.ms".into(), config(ConfigSource::TopicOverride, Some("3")));
        topic.configs.insert("cleanup.policy".into(), config(ConfigSource::Default, None));
        scope.narrow("a", &mut topic);
        assert_eq!(topic.configs.keys().collect::<Vec<_>>(), ["retention.ms", "segment.ms"]);
        assert_eq!(topic.configs["retention.ms"].inherited, None);
        assert!(topic.configs["segment.ms"].inherited.is_some());
    }
}
