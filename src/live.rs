//! What the cluster holds, as pure data: brokers, topics, partitions, configs with their sources, and
//! the [`Scope`] of topics a run may see. Filled in by [`crate::cluster`], read by [`crate::plan`] and
//! [`crate::render`]. No I/O, no Kafka client.

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use globset::{Glob, GlobSet, GlobSetBuilder};
use litemap::LiteMap;
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

/// `map` without spare room, for a map held for the whole run (tens of thousands of topics' configs)
/// but made from an iterator that does not know its length, whose store has room for 4 entries or
/// more however few it holds.
pub fn tight<K, V>(map: LiteMap<K, V>) -> LiteMap<K, V> {
    let mut store = map.into_tuple_vec();
    store.shrink_to_fit();
    LiteMap::from_sorted_store_unchecked(store)
}

/// One topic as the cluster has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveTopic {
    /// Partitions, by id.
    pub partitions: Vec<LivePartition>,
    /// Every config the broker describes for the topic (or what a narrowed describe kept of them), by
    /// name. A flat sorted map of inline strings (up to 24 bytes, which nearly every key and value is,
    /// without an allocation): a few entries each, for tens of thousands of topics.
    pub configs: LiteMap<CompactString, LiveConfig>,
}

impl LiveTopic {
    /// The replication factor: the replica count of the first partition (Kafka keeps them equal unless
    /// a reassignment is under way, when the largest is the one that matters).
    pub fn replication_factor(&self) -> usize {
        self.partitions.iter().map(|p| p.replicas.len()).max().unwrap_or(0)
    }

    /// The topic's own overrides (configs whose source is the topic), by name.
    pub fn overrides(&self) -> impl Iterator<Item = (&str, &LiveConfig)> {
        self.configs.iter().filter(|(_, c)| c.source == ConfigSource::TopicOverride).map(|(k, c)| (k.as_str(), c))
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
    pub value: Option<CompactString>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether it cannot be changed on a topic.
    pub read_only: bool,
    /// Whether its value is secret.
    pub sensitive: bool,
    /// For an overridden config, the value removing the override falls back to, and where that comes
    /// from; `None` when the broker did not say. Always `None` for a config the topic does not
    /// override: then `value` and `source` are what it inherits (see [`LiveConfig::effective`]). Boxed:
    /// few entries have one, and every entry held would otherwise be a third larger.
    pub inherited: Option<Box<Effective>>,
}

impl LiveConfig {
    /// What the topic has without its own override: `inherited` for an override, else the entry itself.
    pub fn effective(&self) -> Effective {
        match (&self.inherited, self.source) {
            (Some(inherited), _) => Effective::clone(inherited),
            (None, source) => Effective { value: self.text(), source },
        }
    }

    /// Its value, as an owned `String` (for a plan, a note or a file).
    pub fn text(&self) -> Option<String> {
        self.value.as_deref().map(str::to_owned)
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
    /// The exact names.
    names: Names,
    /// By the place of each name in `names`: its declared config keys, once [`Scope::declaring`] gave
    /// them.
    keys: Vec<Option<Keys>>,
    patterns: GlobSet,
    ignore: GlobSet,
    matching: Option<regex::Regex>,
    /// `None` while the scope declares nothing; else the declared keys of topics it does not name (a
    /// pattern's), by topic.
    declared_elsewhere: Option<BTreeMap<String, Keys>>,
}

/// One topic's declared config keys, sorted; shared by every topic that declares the same ones (most
/// files give many topics the same few keys), so that tens of thousands of topics hold a few lists.
type Keys = std::sync::Arc<[String]>;

/// Distinct names, sorted, in one buffer: a scope of the files' topics, or the asks of a describe,
/// hold tens of thousands of them at once, without an allocation each.
#[derive(Debug, Clone, Default)]
pub struct Names {
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<u32>,
}

impl Names {
    /// `names`, sorted, each once.
    pub fn new<N: AsRef<str>>(names: impl IntoIterator<Item = N>) -> Self {
        let mut names: Vec<N> = names.into_iter().collect();
        names.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
        names.dedup_by(|a, b| a.as_ref() == b.as_ref());
        let mut text = String::with_capacity(names.iter().map(|n| n.as_ref().len()).sum());
        let mut ends = Vec::with_capacity(names.len());
        for name in &names {
            text.push_str(name.as_ref());
            ends.push(u32::try_from(text.len()).expect("names of a scope under 4 GiB"));
        }
        Names { text, ends }
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name at place `i`.
    pub fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The place of `name`, if held.
    pub fn find(&self, name: &str) -> Option<usize> {
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.name(mid).cmp(name) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Every name, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|i| self.name(i))
    }
}

impl Scope {
    /// A scope of exact names and glob patterns (`payments.*`), less the `ignore` patterns.
    pub fn new(
        names: impl IntoIterator<Item = String>,
        patterns: &[String],
        ignore: &[String],
    ) -> Result<Self, globset::Error> {
        Ok(Scope {
            keys: Vec::new(),
            names: Names::new(names),
            patterns: glob_set(patterns)?,
            ignore: glob_set(ignore)?,
            matching: None,
            declared_elsewhere: None,
        })
    }

    /// Narrows what a describe must keep to what a diff against files declaring `declared` (config
    /// keys by topic) reads: every topic's overrides, each declared topic's declared keys, and what an
    /// override falls back to only where the diff would remove it (an override the files do not declare).
    /// A scope that declares nothing (a snapshot, `describe`, `import`) keeps every entry and every
    /// fallback.
    pub fn declaring(mut self, declared: BTreeMap<String, Vec<String>>) -> Self {
        self.keys = vec![None; self.names.len()];
        let mut shared: std::collections::HashMap<Vec<String>, Keys> = std::collections::HashMap::new();
        let mut elsewhere = BTreeMap::new();
        for (topic, mut keys) in declared {
            keys.sort_unstable();
            let keys = shared.entry(keys).or_insert_with_key(|k| Keys::from(k.as_slice())).clone();
            match self.names.find(&topic) {
                Some(i) => self.keys[i] = Some(keys),
                None => {
                    elsewhere.insert(topic, keys);
                }
            }
        }
        self.declared_elsewhere = Some(elsewhere);
        self
    }

    /// Whether a describe must keep `topic`'s entry for `key`; `overridden` when the topic overrides it.
    pub fn keeps(&self, topic: &str, key: &str, overridden: bool) -> bool {
        self.keeping(topic).keeps(key, overridden)
    }

    /// Whether a describe must find what `topic`'s override of `key` falls back to (its synonyms).
    pub fn needs_fallback(&self, topic: &str, key: &str) -> bool {
        self.keeping(topic).needs_fallback(key)
    }

    /// [`Scope::keeps`] and [`Scope::needs_fallback`] for one topic, looked up once for all its entries.
    pub fn keeping(&self, topic: &str) -> Keeping<'_> {
        let declared = self.declared_elsewhere.as_ref().map(|elsewhere| {
            match self.names.find(topic).and_then(|i| self.keys.get(i)?.as_ref()) {
                Some(keys) => Some(keys),
                None => elsewhere.get(topic),
            }
            .map(|keys| &keys[..])
        });
        Keeping { declared }
    }

    /// `topic` as a describe that kept only what this scope needs would give it (see
    /// [`Scope::declaring`]): what the in-memory clusters answer, so that every test of the diff reads
    /// what the real adapter gives.
    pub fn narrow(&self, name: &str, topic: &mut LiveTopic) {
        let keeping = self.keeping(name);
        topic.configs.retain(|key, c| keeping.keeps(key, c.source == ConfigSource::TopicOverride));
        // What is left is held for the whole run: without the room of the entries dropped.
        topic.configs = tight(std::mem::take(&mut topic.configs));
        for (key, c) in topic.configs.iter_mut() {
            if !keeping.needs_fallback(key) {
                c.inherited = None;
            }
        }
    }

    /// Narrows the scope to names that `regex` matches (anywhere in the name, as `grep` does).
    pub fn matching(mut self, regex: regex::Regex) -> Self {
        self.matching = Some(regex);
        self
    }

    /// Every topic the scope can contain, when it names them (it has no patterns): a describe can then
    /// ask for just these.
    pub fn exact_names(&self) -> Option<impl Iterator<Item = &str>> {
        self.patterns.is_empty().then(|| self.names.iter().filter(|n| self.contains(n)))
    }

    /// The topics the scope names (its exact names, in scope), whether or not it also has patterns.
    pub fn named(&self) -> impl Iterator<Item = &str> {
        self.names.iter().filter(|n| self.contains(n))
    }

    /// Whether the topic is in scope.
    pub fn contains(&self, topic: &str) -> bool {
        !topic.starts_with("__")
            && !self.ignore.is_match(topic)
            && (self.names.find(topic).is_some() || self.patterns.is_match(topic))
            && self.matching.as_ref().is_none_or(|r| r.is_match(topic))
    }
}

/// What a describe keeps of one topic (see [`Scope::keeping`]).
#[derive(Debug, Clone, Copy)]
pub struct Keeping<'a> {
    /// `None`: the scope declares nothing, and everything is kept; else the topic's declared keys,
    /// sorted, if it is declared.
    declared: Option<Option<&'a [String]>>,
}

impl Keeping<'_> {
    /// Whether to keep the entry for `key`; `overridden` when the topic overrides it.
    pub fn keeps(&self, key: &str, overridden: bool) -> bool {
        overridden || self.declared.is_none_or(|keys| keys.is_some_and(|k| Self::has(k, key)))
    }

    /// Whether to find what the override of `key` falls back to (its synonyms).
    pub fn needs_fallback(&self, key: &str) -> bool {
        // The reassignment throttles are never unset by a diff (see `THROTTLED_REPLICAS`).
        !THROTTLED_REPLICAS.contains(&key) && self.declared.is_none_or(|keys| keys.is_some_and(|k| !Self::has(k, key)))
    }

    fn has(keys: &[String], key: &str) -> bool {
        keys.binary_search_by(|k| k.as_str().cmp(key)).is_ok()
    }
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p)?);
    }
    builder.build()
}

/// What topicform asks the cluster about the data of some topics (sizes, offsets, last write, consumer
/// groups): only the topics whose changes destroy or expire data, never the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataQuery {
    /// The topics, each with the timestamp (ms since 1970) whose offsets it also wants, when a shorter
    /// `retention.ms` is planned: the records before it become eligible for deletion.
    pub topics: BTreeMap<String, Option<i64>>,
}

/// Why a fact about data is not known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    /// The principal may not ask (an ACL refused it).
    NotAuthorised,
    /// The cluster's release cannot answer (the max-timestamp lookup needs Kafka 3.0).
    NotSupported,
    /// The plan was made from a snapshot, which holds no data facts.
    NotInSnapshot,
    /// The request failed; what went wrong.
    Failed(String),
    /// Some replicas' sizes were not measured (their broker is down, missing from the metadata, or did
    /// not answer): the size is at least what the others hold, never that number.
    #[serde(rename_all = "camelCase")]
    Unmeasured {
        /// Replicas not measured.
        replicas: u32,
        /// Replicas the metadata lists.
        of: u32,
        /// Bytes of the replicas measured: the least the topic holds.
        at_least_bytes: u64,
        /// Each broker whose replicas were not measured, and why.
        brokers: Vec<Unmeasured>,
    },
}

/// A broker whose replicas were not measured, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Unmeasured {
    /// Its id.
    pub broker: i32,
    /// Why: not in the metadata, its answer failed, or it reported no such replica.
    pub why: String,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unknown::NotAuthorised => f.write_str("unknown (not authorised)"),
            Unknown::NotSupported => f.write_str("unknown (needs Kafka 3.0 or later)"),
            Unknown::NotInSnapshot => f.write_str("unknown (not in a snapshot)"),
            Unknown::Failed(why) => write!(f, "unknown ({why})"),
            Unknown::Unmeasured { replicas, of, at_least_bytes, brokers } => {
                let brokers: Vec<String> = brokers.iter().map(|b| format!("broker {}: {}", b.broker, b.why)).collect();
                write!(
                    f,
                    "unknown ({replicas} of {of} replica(s) not measured ({}); at least {} on the others)",
                    brokers.join("; "),
                    crate::catalog::human::bytes(*at_least_bytes)
                )
            }
        }
    }
}

/// A fact about data, or why it is not known. JSON: `{"known": ...}` or `{"unknown": "not_authorised"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fact<T> {
    /// Known.
    Known(T),
    /// Not known, and why.
    Unknown(Unknown),
}

impl<T> From<Result<T, Unknown>> for Fact<T> {
    fn from(r: Result<T, Unknown>) -> Self {
        match r {
            Ok(v) => Fact::Known(v),
            Err(why) => Fact::Unknown(why),
        }
    }
}

impl<T> Fact<T> {
    /// The value, when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(v) => Some(v),
            Fact::Unknown(_) => None,
        }
    }
}

/// What the cluster says of one topic's data, partition by partition: the raw answers, summed up by
/// [`crate::plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicData {
    /// Bytes on disk of each partition (DescribeLogDirs).
    pub sizes: Fact<BTreeMap<i32, PartitionSize>>,
    /// Offsets of each partition (ListOffsets).
    pub offsets: Fact<BTreeMap<i32, PartitionOffsets>>,
    /// The newest record timestamp of the topic, ms since 1970; `None` when it holds no record
    /// (ListOffsets with the max-timestamp spec).
    pub last_write: Fact<Option<i64>>,
    /// Consumer groups that read the topic: with committed offsets on it (ListGroups, OffsetFetch) or
    /// members subscribed to it or assigned it (DescribeGroups, ConsumerGroupDescribe).
    pub groups: Fact<Vec<GroupData>>,
}

impl TopicData {
    /// A topic of which nothing is known, for one reason.
    pub fn unknown(why: Unknown) -> Self {
        TopicData {
            sizes: Fact::Unknown(why.clone()),
            offsets: Fact::Unknown(why.clone()),
            last_write: Fact::Unknown(why.clone()),
            groups: Fact::Unknown(why),
        }
    }
}

/// A partition's size on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionSize {
    /// Bytes of the leader's replica.
    pub leader: u64,
    /// Bytes of every replica together.
    pub all: u64,
    /// Replicas found on disk.
    pub replicas: u32,
}

/// A partition's offsets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionOffsets {
    /// The first offset still held.
    pub earliest: i64,
    /// The offset the next record gets (the log end offset).
    pub latest: i64,
    /// The first offset at or after the query's timestamp (`latest` when every record is older);
    /// `None` when not asked.
    pub at_cut: Option<i64>,
}

/// A consumer group that reads a topic: it has committed offsets on it, or members that subscribe to it
/// or are assigned its partitions (a group that commits by hand, or not yet, has members and no commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupData {
    /// The group id.
    pub group: String,
    /// Its state as the coordinator says (`Stable`, `Empty`, `PreparingRebalance`, ...).
    pub state: String,
    /// Committed offsets, by partition.
    pub committed: BTreeMap<i32, i64>,
    /// Members that subscribe to the topic or are assigned its partitions, as the coordinator described
    /// them (DescribeGroups, ConsumerGroupDescribe).
    pub members: u32,
}

/// What a group coordinator said of one group it lists: the raw answer that [`groups_reading`] sums up
/// per topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAnswer {
    /// The group id.
    pub group: String,
    /// Its state (ListGroups).
    pub state: String,
    /// Its committed offsets on the asked topics (OffsetFetch).
    pub committed: BTreeMap<(String, i32), i64>,
    /// Of the asked topics, those its members read, with how many members read each; or, for a group
    /// with members, why what they read is not known (a protocol other than `consumer`, an assignment
    /// that does not decode, a describe that failed). An empty group reads nothing.
    pub readers: Result<BTreeMap<String, u32>, String>,
}

/// The groups that read `topic`, from every coordinator's answers: a group with a commit on it or a
/// member reading it. Unknown when a group with members may read it and what they read is not known:
/// such a group is never taken for one that reads nothing.
pub fn groups_reading(topic: &str, answers: &[GroupAnswer]) -> Result<Vec<GroupData>, Unknown> {
    let mut out = Vec::new();
    let mut unknown: Vec<(&str, &str)> = Vec::new();
    for a in answers {
        let committed: BTreeMap<i32, i64> =
            a.committed.iter().filter(|((t, _), o)| t == topic && **o >= 0).map(|((_, p), o)| (*p, *o)).collect();
        let members = match &a.readers {
            Ok(readers) => readers.get(topic).copied().unwrap_or(0),
            Err(why) => {
                unknown.push((&a.group, why));
                0
            }
        };
        if !committed.is_empty() || members > 0 {
            out.push(GroupData { group: a.group.clone(), state: a.state.clone(), committed, members });
        }
    }
    if let Some((group, why)) = unknown.first() {
        let others = match unknown.len() - 1 {
            0 => String::new(),
            n => format!(", and {n} other group(s)"),
        };
        return Err(Unknown::Failed(format!(
            "group `{group}` has members, and what they read is not known: {why}{others}"
        )));
    }
    out.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(out)
}

/// What one broker said of its replicas' sizes (DescribeLogDirs): bytes by (topic, partition), or why
/// it did not answer.
pub type BrokerSizes = Result<BTreeMap<(String, i32), u64>, Unknown>;

/// A topic's size, partition by partition, from the brokers' answers (`answers`: every broker that was
/// asked). Every replica the metadata lists must be accounted for: a replica on a broker that did not
/// answer, is not in the metadata (stopped), or answered without it (an offline log directory) makes
/// the size unknown, saying how many replicas are missing and the least the topic holds. Unknown is never
/// zero.
pub fn sum_sizes(
    topic: &str,
    partitions: &[LivePartition],
    answers: &BTreeMap<i32, BrokerSizes>,
) -> Result<BTreeMap<i32, PartitionSize>, Unknown> {
    let mut sizes = BTreeMap::new();
    let mut missing: BTreeMap<i32, String> = BTreeMap::new();
    let mut missing_replicas = 0u32;
    let mut replicas = 0u32;
    for p in partitions {
        let mut size = PartitionSize::default();
        for r in &p.replicas {
            replicas += 1;
            let key = (topic.to_owned(), p.id);
            let bytes = match answers.get(r) {
                None => Err("it is not in the cluster's metadata (stopped or unreachable)".to_owned()),
                // A refused DescribeLogDirs is refused everywhere: say so rather than name brokers.
                Some(Err(Unknown::NotAuthorised)) => return Err(Unknown::NotAuthorised),
                Some(Err(Unknown::Failed(why))) => Err(format!("it did not answer: {why}")),
                Some(Err(why)) => Err(format!("its replicas' sizes are {why}")),
                Some(Ok(found)) => found.get(&key).copied().ok_or_else(|| "it reported no such replica".to_owned()),
            };
            match bytes {
                Ok(bytes) => {
                    size.all += bytes;
                    size.replicas += 1;
                    if p.leader == Some(*r) {
                        size.leader = bytes;
                    }
                }
                Err(why) => {
                    missing_replicas += 1;
                    missing.entry(*r).or_insert(why);
                }
            }
        }
        sizes.insert(p.id, size);
    }
    if missing.is_empty() {
        return Ok(sizes);
    }
    Err(Unknown::Unmeasured {
        replicas: missing_replicas,
        of: replicas,
        at_least_bytes: sizes.values().map(|s| s.all).sum(),
        brokers: missing.into_iter().map(|(broker, why)| Unmeasured { broker, why }).collect(),
    })
}

impl GroupData {
    /// Whether the group has members now: members read the topic, or its state is any but `Empty` and
    /// `Dead`.
    pub fn is_active(&self) -> bool {
        self.members > 0 || !matches!(self.state.as_str(), "Empty" | "Dead" | "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_every_replica_and_unknown_is_never_zero() {
        let part = |id, leader: Option<i32>, replicas: &[i32]| LivePartition {
            id,
            leader,
            replicas: replicas.to_vec(),
            isr: replicas.to_vec(),
        };
        let found = |entries: &[(i32, u64)]| -> BrokerSizes {
            Ok(entries.iter().map(|(p, b)| (("t".to_owned(), *p), *b)).collect())
        };
        let two = [part(0, Some(1), &[1, 2]), part(1, Some(2), &[2, 1])];
        let all = BTreeMap::from([(1, found(&[(0, 100), (1, 40)])), (2, found(&[(0, 90), (1, 50)]))]);
        assert_eq!(
            sum_sizes("t", &two, &all),
            Ok(BTreeMap::from([
                (0, PartitionSize { leader: 100, all: 190, replicas: 2 }),
                (1, PartitionSize { leader: 50, all: 90, replicas: 2 }),
            ]))
        );
        type Case = (&'static str, Vec<LivePartition>, BTreeMap<i32, BrokerSizes>, Result<(), &'static str>);
        let cases: [Case; 5] = [
            (
                "the only replica's broker is stopped: not in the metadata, so not asked",
                vec![part(0, None, &[3])],
                BTreeMap::from([(1, found(&[])), (2, found(&[]))]),
                Err("1 of 1 replica(s) not measured (broker 3: it is not in the cluster's metadata (stopped or \
                     unreachable)); at least 0 B on the others"),
            ),
            (
                "a follower's broker did not answer",
                two.to_vec(),
                BTreeMap::from([
                    (1, found(&[(0, 262_144), (1, 0)])),
                    (2, Err(Unknown::Failed("_TIMED_OUT: no answer".into()))),
                ]),
                Err("2 of 4 replica(s) not measured (broker 2: it did not answer: _TIMED_OUT: no answer); at least \
                     256.0 KiB on the others"),
            ),
            (
                "a broker answered without its replica (an offline log directory)",
                vec![part(0, Some(1), &[1, 2])],
                BTreeMap::from([(1, found(&[(0, 5)])), (2, found(&[]))]),
                Err("1 of 2 replica(s) not measured (broker 2: it reported no such replica); at least 5 B on the \
                     others"),
            ),
            (
                "not authorised is said as such",
                vec![part(0, Some(1), &[1])],
                BTreeMap::from([(1, Err(Unknown::NotAuthorised))]),
                Err("unknown (not authorised)"),
            ),
            ("no partition, nothing to measure", vec![], BTreeMap::new(), Ok(())),
        ];
        for (name, partitions, answers, want) in cases {
            let got = sum_sizes("t", &partitions, &answers);
            match (got, want) {
                (Ok(_), Ok(())) => {}
                (Err(Unknown::NotAuthorised), Err(w)) => assert_eq!(w, "unknown (not authorised)", "{name}"),
                (Err(why @ Unknown::Unmeasured { .. }), Err(w)) => {
                    assert_eq!(why.to_string(), format!("unknown ({w})"), "{name}")
                }
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn groups_with_members_read_without_a_commit_and_unknown_readers_are_unknown() {
        let answer = |group: &str, state: &str, commits: &[(&str, i32, i64)], readers: Result<&[(&str, u32)], &str>| {
            GroupAnswer {
                group: group.into(),
                state: state.into(),
                committed: commits.iter().map(|(t, p, o)| (((*t).to_owned(), *p), *o)).collect(),
                readers: readers.map(|r| r.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()).map_err(str::to_owned),
            }
        };
        let answers = [
            answer("manual", "Stable", &[], Ok(&[("t", 2)])),
            answer("old", "Empty", &[("t", 0, 5)], Ok(&[])),
            answer("other", "Stable", &[("u", 0, 5)], Ok(&[("u", 1)])),
            answer("nothing-yet", "Stable", &[("t", 0, -1)], Ok(&[])),
        ];
        let got = groups_reading("t", &answers).unwrap();
        let summary: Vec<(&str, bool, u32, usize)> =
            got.iter().map(|g| (g.group.as_str(), g.is_active(), g.members, g.committed.len())).collect();
        assert_eq!(summary, [("manual", true, 2, 0), ("old", false, 0, 1)], "no commit: read by its members");

        let mut hidden = answers.to_vec();
        hidden.push(answer("connect-cluster", "Stable", &[], Err("its protocol type is `connect`")));
        hidden.push(answer("share", "Stable", &[], Err("it is a `share` group")));
        assert_eq!(
            groups_reading("t", &hidden),
            Err(Unknown::Failed(
                "group `connect-cluster` has members, and what they read is not known: its protocol type is \
                 `connect`, and 1 other group(s)"
                    .into()
            ))
        );
    }

    #[test]
    fn declared_keys_are_shared_and_found_for_named_and_matched_topics() {
        let keys = |k: &[&str]| k.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        let declared = BTreeMap::from([
            ("a".to_owned(), keys(&["retention.ms", "cleanup.policy"])),
            ("b".to_owned(), keys(&["cleanup.policy", "retention.ms"])),
            ("p.x".to_owned(), keys(&["segment.ms"])),
        ]);
        let scope = Scope::new(["a".to_owned(), "b".to_owned(), "c".to_owned()], &["p.*".into()], &[])
            .unwrap()
            .declaring(declared);
        let slot = |n| scope.names.find(n).and_then(|i| scope.keys[i].as_ref());
        let (Some(a), Some(b)) = (slot("a"), slot("b")) else { panic!() };
        assert!(std::sync::Arc::ptr_eq(a, b), "one list for the same keys, in any order");
        assert!(scope.keeps("b", "retention.ms", false));
        assert!(!scope.keeps("c", "retention.ms", false), "a named topic that declares nothing");
        assert!(scope.keeps("p.x", "segment.ms", false), "a topic the scope matches, not names");
        assert!(!scope.keeps("p.y", "segment.ms", false));
        assert!(scope.keeps("p.y", "segment.ms", true), "overrides are always kept");
    }

    #[test]
    fn scope_names_are_held_once_in_order_and_found() {
        let names = Names::new(["orders.v2", "audit", "orders", "orders.v2", "z"].map(str::to_owned));
        assert_eq!(names.iter().collect::<Vec<_>>(), ["audit", "orders", "orders.v2", "z"]);
        assert_eq!(names.text, "auditordersorders.v2z", "one buffer for every name");
        for (i, name) in ["audit", "orders", "orders.v2", "z"].iter().enumerate() {
            assert_eq!(names.find(name), Some(i));
        }
        for absent in ["", "a", "order", "orders.v", "orders.v3", "zz"] {
            assert_eq!(names.find(absent), None, "{absent}");
        }
        assert_eq!(Names::new(Vec::<String>::new()).find("a"), None);
    }

    #[test]
    fn tight_maps_hold_no_spare_room() {
        let map: LiteMap<String, u8> =
            [("b".to_owned(), 2), ("a".to_owned(), 1)].into_iter().filter(|_| true).collect();
        let store = map.into_tuple_vec();
        assert!(store.capacity() > 2, "an iterator of unknown length over-allocates");
        let map = tight(LiteMap::from_sorted_store_unchecked(store));
        assert_eq!(map.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(), [("a", 1), ("b", 2)]);
        assert_eq!(map.into_tuple_vec().capacity(), 2);
    }

    #[test]
    fn scope() {
        let scope = Scope::new(["orders".to_owned()], &["payments.*".into()], &["payments.tmp*".into()]).unwrap();
        assert!(scope.contains("orders"));
        assert!(scope.contains("payments.ledger"));
        assert!(!scope.contains("payments.tmp-1"), "ignored");
        assert!(!scope.contains("billing"), "neither named nor matched");
        assert!(!Scope::new([], &["*".into()], &[]).unwrap().contains("__consumer_offsets"), "internal");
        // Only a scope of names alone can be asked for by name; what it ignores is not asked.
        assert!(scope.exact_names().is_none(), "a pattern: every topic must be listed");
        let named = Scope::new(["a".to_owned(), "b.tmp".to_owned()], &[], &["*.tmp".into()]).unwrap();
        assert_eq!(named.exact_names().map(Iterator::collect::<Vec<_>>), Some(vec!["a"]));
    }

    #[test]
    fn what_a_describe_keeps() {
        let everything = Scope::new([], &["*".into()], &[]).unwrap();
        assert!(everything.keeps("a", "segment.ms", false), "a scope that declares nothing keeps every entry");
        assert!(everything.needs_fallback("a", "retention.ms"), "and every fallback");
        assert!(!everything.needs_fallback("a", THROTTLED_REPLICAS[0]), "but never a throttle's");

        let declared = BTreeMap::from([("a".to_owned(), vec!["retention.ms".to_owned()])]);
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
            inherited: inherited.map(|v| Box::new(Effective { value: Some(v.into()), source: ConfigSource::Default })),
        };
        topic.configs.insert("retention.ms".into(), config(ConfigSource::TopicOverride, Some("2")));
        topic.configs.insert("segment.ms".into(), config(ConfigSource::TopicOverride, Some("3")));
        topic.configs.insert("cleanup.policy".into(), config(ConfigSource::Default, None));
        scope.narrow("a", &mut topic);
        assert_eq!(topic.configs.keys().collect::<Vec<_>>(), ["retention.ms", "segment.ms"]);
        assert_eq!(topic.configs.get("retention.ms").unwrap().inherited, None);
        assert!(topic.configs.get("segment.ms").unwrap().inherited.is_some());
        // Every entry librdkafka describes, narrowed: the dropped entries' room is not held on to.
        for i in 0..30 {
            topic.configs.insert(compact_str::format_compact!("x.{i}"), config(ConfigSource::Default, None));
        }
        scope.narrow("a", &mut topic);
        assert_eq!(topic.configs.into_tuple_vec().capacity(), 2);
    }
}
