//! An in-memory cluster behind [`Admin`], for fast tests of planning, apply and the commands. It follows
//! Kafka's rules for what it models (no shrinking, no duplicate creates, overrides fall back to defaults
//! when deleted, reassignments that take a while) and can be told to refuse changes to chosen topics.
//! Cloning it gives another handle on the same cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{
    Admin, ConfigAlter, ConfigOp, Connect, Connection, Error, ErrorCode, Mode, NewPartitions, NewTopic, Ongoing,
    Reassignment,
};
use crate::desired::ClusterConfig;
use crate::live::{
    Broker, ConfigSource, DataQuery, Effective, Fact, GroupAnswer, Live, LiveConfig, LivePartition, LiveTopic,
    PartitionOffsets, Scope, THROTTLE_RATES, TopicData, Unknown,
};

/// Kafka's defaults for a few topic configs, enough for tests.
pub const DEFAULTS: [(&str, &str); 4] = [
    ("cleanup.policy", "delete"),
    ("min.insync.replicas", "1"),
    ("retention.ms", "604800000"),
    ("segment.ms", "604800000"),
];

/// An in-memory cluster of `brokers` brokers.
#[derive(Clone)]
pub struct FakeCluster {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    refuse: Mutex<BTreeSet<String>>,
    /// Topics whose next changes fail with a retriable error, and how many times.
    flaky: Mutex<BTreeMap<String, u32>>,
    /// Topics whose changes pass validation but fail when made (a broker lost mid-apply).
    broken: Mutex<BTreeSet<String>>,
    /// How many ListPartitionReassignments calls a reassignment stays in progress for.
    reassignment_polls: Mutex<u32>,
    lingering: Mutex<Lingering>,
    /// How many more [`Admin::disagreement`] calls find every topic asked still disagreed on.
    lagging: Mutex<u32>,
    requests: AtomicUsize,
}

/// Deleted topics that describes still list (see [`FakeCluster::slow_deletions`]).
#[derive(Default)]
struct Lingering {
    /// How many describes a topic deleted from now on is still listed by.
    describes: u32,
    /// The deleted topics still listed, with the describes left.
    listed: BTreeMap<String, (LiveTopic, u32)>,
}

#[derive(Clone)]
struct State {
    live: Live,
    broker_configs: BTreeMap<i32, BTreeMap<String, String>>,
    /// Reassignments under way: the new replicas, and the polls left before they are done.
    moving: BTreeMap<(String, i32), (Vec<i32>, u32)>,
    /// Records produced to each partition: their timestamps (ms) and sizes, oldest first.
    logs: BTreeMap<(String, i32), Vec<(i64, u64)>>,
    /// Consumer groups: whether they have members, and their commits by topic and partition.
    groups: BTreeMap<String, FakeGroup>,
    /// Facts the principal may not see.
    denied: BTreeSet<Denied>,
    /// Brokers that are stopped: they answer no data request.
    down: BTreeSet<i32>,
}

/// A consumer group: whether it has members, its commits by topic and partition, and the topics its
/// members read (or why that cannot be told).
#[derive(Clone)]
struct FakeGroup {
    active: bool,
    committed: BTreeMap<(String, i32), i64>,
    readers: Result<BTreeMap<String, u32>, String>,
}

impl Default for FakeGroup {
    fn default() -> Self {
        FakeGroup { active: false, committed: BTreeMap::new(), readers: Ok(BTreeMap::new()) }
    }
}

/// A fact [`FakeCluster::deny`] hides, as an ACL would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    /// DescribeLogDirs (cluster Describe).
    LogDirs,
    /// ListOffsets (topic Describe).
    Offsets,
    /// OffsetFetch (group Describe).
    Groups,
}

fn refused(operation: &'static str, topic: &str, code: ErrorCode) -> Error {
    Error::Topic { operation, topic: topic.to_owned(), code, message: String::new() }
}

impl FakeCluster {
    /// An empty cluster with brokers 1..=`brokers`.
    pub fn new(brokers: i32) -> Self {
        let brokers = (1..=brokers)
            .map(|id| {
                (id, Broker { id, host: "127.0.0.1".into(), port: 9091 + id as u16, rack: Some(format!("rack-{id}")) })
            })
            .collect();
        let state = State {
            live: Live { brokers, ..Live::default() },
            broker_configs: BTreeMap::new(),
            moving: BTreeMap::new(),
            logs: BTreeMap::new(),
            groups: BTreeMap::new(),
            denied: BTreeSet::new(),
            down: BTreeSet::new(),
        };
        FakeCluster {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                refuse: Mutex::new(BTreeSet::new()),
                flaky: Mutex::new(BTreeMap::new()),
                broken: Mutex::new(BTreeSet::new()),
                reassignment_polls: Mutex::new(0),
                lingering: Mutex::new(Lingering::default()),
                lagging: Mutex::new(0),
                requests: AtomicUsize::new(0),
            }),
        }
    }

    /// Makes every later change to `topic` fail with `POLICY_VIOLATION`.
    pub fn refuse(&self, topic: &str) {
        self.inner.refuse.lock().unwrap().insert(topic.to_owned());
    }

    /// Makes the next `times` changes to `topic` fail with `REQUEST_TIMED_OUT`, as a broker that is
    /// briefly away would.
    pub fn fail_transiently(&self, topic: &str, times: u32) {
        self.inner.flaky.lock().unwrap().insert(topic.to_owned(), times);
    }

    /// Makes the next `times` [`Admin::disagreement`] calls find every topic they ask about disagreed on,
    /// as brokers whose metadata lags behind the controller would.
    pub fn lag_brokers(&self, times: u32) {
        *self.inner.lagging.lock().unwrap() = times;
    }

    /// Makes changes to `topic` pass validation and then fail when made, with a non-retriable error:
    /// what a preflight cannot foresee.
    pub fn break_after_preflight(&self, topic: &str) {
        self.inner.broken.lock().unwrap().insert(topic.to_owned());
    }

    /// Makes each later reassignment stay in progress for `polls` ListPartitionReassignments calls, as
    /// brokers copying data would.
    pub fn slow_reassignments(&self, polls: u32) {
        *self.inner.reassignment_polls.lock().unwrap() = polls;
    }

    /// Makes each later deleted topic still listed by the next `describes` describes, as a broker that
    /// has not yet learnt of the deletion would.
    pub fn slow_deletions(&self, describes: u32) {
        self.inner.lingering.lock().unwrap().describes = describes;
    }

    /// Makes the cluster say it runs `release` (the fake says nothing by default).
    pub fn set_release(&self, release: crate::catalog::Release) {
        self.inner.state.lock().unwrap().live.cluster.release = Some(release);
    }

    /// Gives the cluster an id, as a formatted cluster has.
    pub fn set_cluster_id(&self, id: &str) {
        self.inner.state.lock().unwrap().live.cluster.id = Some(id.to_owned());
    }

    /// Creates a topic directly, as another tool would.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let new = NewTopic { name: topic.into(), partitions, replication_factor: Some(1), configs: BTreeMap::new() };
        let mut state = self.inner.state.lock().unwrap();
        create(&mut state.live, &new).expect("a new topic");
    }

    /// Appends records to a partition of `topic`, one per timestamp (ms since 1970), `bytes` each.
    pub fn produce(&self, topic: &str, partition: i32, timestamps: &[i64], bytes: u64) {
        let mut state = self.inner.state.lock().unwrap();
        state.logs.entry((topic.to_owned(), partition)).or_default().extend(timestamps.iter().map(|t| (*t, bytes)));
    }

    /// Commits `offset` for `group` on a partition of `topic`; the group has members when `active`.
    pub fn commit(&self, group: &str, active: bool, topic: &str, partition: i32, offset: i64) {
        let mut state = self.inner.state.lock().unwrap();
        let g = state.groups.entry(group.to_owned()).or_default();
        g.active = active;
        g.committed.insert((topic.to_owned(), partition), offset);
    }

    /// Adds to `group` a member subscribed to `topic`, which commits nothing (manual commits, or a group
    /// in its first seconds).
    pub fn join(&self, group: &str, topic: &str) {
        let mut state = self.inner.state.lock().unwrap();
        let g = state.groups.entry(group.to_owned()).or_default();
        g.active = true;
        if let Ok(readers) = &mut g.readers {
            *readers.entry(topic.to_owned()).or_default() += 1;
        }
    }

    /// Gives `group` members whose reads cannot be told, for `why` (a protocol other than `consumer`).
    pub fn join_unknown(&self, group: &str, why: &str) {
        let mut state = self.inner.state.lock().unwrap();
        let g = state.groups.entry(group.to_owned()).or_default();
        g.active = true;
        g.readers = Err(why.to_owned());
    }

    /// Stops broker `id`: it answers no data request, as a broker that is down.
    pub fn stop_broker(&self, id: i32) {
        self.inner.state.lock().unwrap().down.insert(id);
    }

    /// Hides a fact from every later `data` call, as a missing ACL would.
    pub fn deny(&self, fact: Denied) {
        self.inner.state.lock().unwrap().denied.insert(fact);
    }

    /// Requests served so far; a batched call counts once.
    pub fn requests(&self) -> usize {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Everything the cluster holds.
    pub fn snapshot(&self) -> Live {
        self.inner.state.lock().unwrap().live.clone()
    }

    /// The dynamic configs set on each broker.
    pub fn broker_configs(&self) -> BTreeMap<i32, BTreeMap<String, String>> {
        self.inner.state.lock().unwrap().broker_configs.clone()
    }

    fn count(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// The failure chosen for `topic` by a test, if any: refused, or briefly unavailable.
    fn injected(&self, topic: &str, mode: Mode) -> Option<Error> {
        if self.inner.refuse.lock().unwrap().contains(topic) {
            return Some(refused("Change", topic, ErrorCode::PolicyViolation));
        }
        if let Some(left) = self.inner.flaky.lock().unwrap().get_mut(topic)
            && *left > 0
        {
            *left -= 1;
            return Some(refused("Change", topic, ErrorCode::RequestTimedOut));
        }
        if mode == Mode::Execute && self.inner.broken.lock().unwrap().contains(topic) {
            return Some(Error::Topic {
                operation: "Change",
                topic: topic.to_owned(),
                code: ErrorCode::UnknownServerError,
                message: "the broker failed".into(),
            });
        }
        None
    }

    /// Runs `each` over the items on the real state, or on a copy that is dropped (validate-only).
    fn batch<T>(
        &self,
        items: &[T],
        mode: Mode,
        topic: impl Fn(&T) -> &str,
        each: impl Fn(&mut State, &T) -> Result<(), Error>,
    ) -> Vec<Result<(), Error>> {
        self.count();
        let mut guard = self.inner.state.lock().unwrap();
        let mut copy = guard.clone();
        let state = if mode == Mode::Validate { &mut copy } else { &mut *guard };
        items
            .iter()
            .map(|item| match self.injected(topic(item), mode) {
                Some(e) => Err(e),
                None => each(state, item),
            })
            .collect()
    }
}

fn create(live: &mut Live, new: &NewTopic) -> Result<(), Error> {
    if live.topics.contains_key(&new.name) {
        return Err(refused("CreateTopics", &new.name, ErrorCode::TopicAlreadyExists));
    }
    let brokers: Vec<i32> = live.brokers.keys().copied().collect();
    let rf = usize::from(new.replication_factor.unwrap_or(1));
    if rf > brokers.len() {
        return Err(refused("CreateTopics", &new.name, ErrorCode::InvalidReplicationFactor));
    }
    let mut t = LiveTopic {
        partitions: (0..new.partitions as i32).map(|id| partition(id, rf, &brokers)).collect(),
        configs: DEFAULTS.iter().map(|(k, v)| ((*k).into(), config(k, v, ConfigSource::Default))).collect(),
    };
    for (k, v) in &new.configs {
        t.configs.insert(k.as_str().into(), config(k, v, ConfigSource::TopicOverride));
    }
    live.topics.insert(new.name.clone(), t);
    Ok(())
}

/// A config entry as the broker describes it, with the value it inherits when not overridden.
fn config(key: &str, value: &str, source: ConfigSource) -> LiveConfig {
    let default = DEFAULTS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let inherited = match source {
        ConfigSource::TopicOverride => {
            default.map(|v| Effective { value: Some(v.to_owned()), source: ConfigSource::Default })
        }
        _ => None,
    };
    LiveConfig {
        value: Some(value.into()),
        source,
        read_only: false,
        sensitive: false,
        inherited: inherited.map(Box::new),
    }
}

fn partition(id: i32, rf: usize, brokers: &[i32]) -> LivePartition {
    let replicas: Vec<i32> = (0..rf).map(|r| brokers[(id as usize + r) % brokers.len()]).collect();
    LivePartition { id, leader: replicas.first().copied(), isr: replicas.clone(), replicas }
}

fn finish_move(live: &mut Live, topic: &str, partition: i32, replicas: &[i32]) {
    if let Some(p) = live.topics.get_mut(topic).and_then(|t| t.partitions.iter_mut().find(|p| p.id == partition)) {
        p.replicas = replicas.to_vec();
        p.isr = replicas.to_vec();
        p.leader = replicas.first().copied();
    }
}

impl Admin for FakeCluster {
    fn request_count(&self) -> Option<usize> {
        Some(self.requests())
    }

    async fn disagreement(&self, topics: &[String]) -> Result<Vec<String>, Error> {
        let mut lagging = self.inner.lagging.lock().unwrap();
        if *lagging == 0 {
            return Ok(Vec::new());
        }
        *lagging -= 1;
        Ok(topics.to_vec())
    }

    async fn describe(&self, scope: &Scope) -> Result<Live, Error> {
        // One Metadata request and one DescribeConfigs request, like the real adapter for small scopes.
        self.inner.requests.fetch_add(2, Ordering::Relaxed);
        let state = self.inner.state.lock().unwrap();
        let mut lingering = self.inner.lingering.lock().unwrap();
        let ghosts: Vec<(String, LiveTopic)> =
            lingering.listed.iter().map(|(n, (t, _))| (n.clone(), t.clone())).collect();
        lingering.listed.retain(|_, (_, left)| {
            *left -= 1;
            *left > 0
        });
        let mut moving: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
        for (topic, partition) in state.moving.keys().filter(|(t, _)| scope.contains(t)) {
            moving.entry(topic.clone()).or_default().insert(*partition);
        }
        let throttled_brokers = state
            .broker_configs
            .iter()
            .filter(|(_, c)| THROTTLE_RATES.iter().any(|k| c.contains_key(*k)))
            .map(|(b, _)| *b)
            .collect();
        Ok(Live {
            brokers: state.live.brokers.clone(),
            cluster: state.live.cluster.clone(),
            moving,
            throttled_brokers,
            topics: state
                .live
                .topics
                .iter()
                .map(|(n, t)| (n.clone(), t.clone()))
                .chain(ghosts)
                .filter(|(n, _)| scope.contains(n))
                .map(|(n, mut t)| {
                    // Only what the real adapter keeps, so that every test reads what a live describe gives.
                    scope.narrow(&n, &mut t);
                    (n, t)
                })
                .collect(),
        })
    }

    async fn create_topics(&self, topics: &[NewTopic], mode: Mode) -> Vec<Result<(), Error>> {
        self.batch(topics, mode, |t| &t.name, |state, t| create(&mut state.live, t))
    }

    async fn create_partitions(&self, partitions: &[NewPartitions], mode: Mode) -> Vec<Result<(), Error>> {
        self.batch(
            partitions,
            mode,
            |p| &p.topic,
            |state, grow| {
                let brokers: Vec<i32> = state.live.brokers.keys().copied().collect();
                let topic = &grow.topic;
                let t = state
                    .live
                    .topics
                    .get_mut(topic)
                    .ok_or_else(|| refused("CreatePartitions", topic, ErrorCode::UnknownTopicOrPartition))?;
                if grow.total as usize <= t.partitions.len() {
                    return Err(refused("CreatePartitions", topic, ErrorCode::InvalidPartitions));
                }
                let rf = t.replication_factor();
                let first_new = t.partitions.len();
                for id in first_new as i32..grow.total as i32 {
                    let mut p = partition(id, rf, &brokers);
                    if let Some(replicas) = grow.assignments.get(id as usize - first_new) {
                        p.leader = replicas.first().copied();
                        p.replicas = replicas.clone();
                        p.isr = replicas.clone();
                    }
                    t.partitions.push(p);
                }
                Ok(())
            },
        )
    }

    async fn alter_topic_configs(&self, alters: &[ConfigAlter<String>], mode: Mode) -> Vec<Result<(), Error>> {
        self.batch(
            alters,
            mode,
            |a| &a.resource,
            |state, alter| {
                let topic = &alter.resource;
                let t = state
                    .live
                    .topics
                    .get_mut(topic)
                    .ok_or_else(|| refused("IncrementalAlterConfigs", topic, ErrorCode::UnknownTopicOrPartition))?;
                for op in &alter.ops {
                    match op {
                        ConfigOp::Set { key, value } => {
                            t.configs.insert(key.as_str().into(), config(key, value, ConfigSource::TopicOverride));
                        }
                        ConfigOp::Delete { key } => match DEFAULTS.iter().find(|(k, _)| k == key) {
                            Some((_, v)) => {
                                t.configs.insert(key.as_str().into(), config(key, v, ConfigSource::Default));
                            }
                            None => {
                                t.configs.remove(key.as_str());
                            }
                        },
                    }
                }
                Ok(())
            },
        )
    }

    async fn alter_broker_configs(&self, alters: &[ConfigAlter<i32>]) -> Vec<Result<(), Error>> {
        self.count();
        let mut state = self.inner.state.lock().unwrap();
        alters
            .iter()
            .map(|alter| {
                if !state.live.brokers.contains_key(&alter.resource) {
                    let name = format!("broker {}", alter.resource);
                    return Err(refused("IncrementalAlterConfigs", &name, ErrorCode::Other("INVALID_REQUEST".into())));
                }
                let configs = state.broker_configs.entry(alter.resource).or_default();
                for op in &alter.ops {
                    match op {
                        ConfigOp::Set { key, value } => configs.insert(key.clone(), value.clone()),
                        ConfigOp::Delete { key } => configs.remove(key),
                    };
                }
                if configs.is_empty() {
                    state.broker_configs.remove(&alter.resource);
                }
                Ok(())
            })
            .collect()
    }

    async fn delete_topics(&self, topics: &[String]) -> Vec<Result<(), Error>> {
        let lingering = &self.inner.lingering;
        self.batch(
            topics,
            Mode::Execute,
            |t| t,
            |state, topic| {
                state.logs.retain(|(t, _), _| t != topic);
                let gone = state.live.topics.remove(topic);
                let gone = gone.ok_or_else(|| refused("DeleteTopics", topic, ErrorCode::UnknownTopicOrPartition))?;
                let mut lingering = lingering.lock().unwrap();
                if lingering.describes > 0 {
                    let describes = lingering.describes;
                    lingering.listed.insert(topic.clone(), (gone, describes));
                }
                Ok(())
            },
        )
    }

    async fn alter_reassignments(&self, moves: &[Reassignment]) -> Vec<Result<(), Error>> {
        let polls = *self.inner.reassignment_polls.lock().unwrap();
        self.batch(
            moves,
            Mode::Execute,
            |m| &m.topic,
            |state, m| {
                let invalid = || refused("AlterPartitionReassignments", &m.topic, ErrorCode::InvalidReplicaAssignment);
                let known =
                    state.live.topics.get(&m.topic).is_some_and(|t| t.partitions.iter().any(|p| p.id == m.partition));
                if !known || m.replicas.iter().any(|b| !state.live.brokers.contains_key(b)) {
                    return Err(invalid());
                }
                if polls == 0 {
                    finish_move(&mut state.live, &m.topic, m.partition, &m.replicas);
                } else {
                    // As Kafka does while data moves: the old replicas and the ones being added.
                    let t = state.live.topics.get_mut(&m.topic).expect("checked above");
                    let p = t.partitions.iter_mut().find(|p| p.id == m.partition).expect("checked above");
                    for b in &m.replicas {
                        if !p.replicas.contains(b) {
                            p.replicas.push(*b);
                        }
                    }
                    state.moving.insert((m.topic.clone(), m.partition), (m.replicas.clone(), polls));
                }
                Ok(())
            },
        )
    }

    async fn list_reassignments(&self, partitions: &BTreeMap<String, Vec<i32>>) -> Result<Vec<Ongoing>, Error> {
        self.count();
        let mut guard = self.inner.state.lock().unwrap();
        let state = &mut *guard;
        let mut ongoing = Vec::new();
        let mut done = Vec::new();
        for ((topic, partition), (replicas, left)) in state.moving.iter_mut() {
            if !partitions.get(topic).is_some_and(|ps| ps.contains(partition)) {
                continue;
            }
            *left = left.saturating_sub(1);
            if *left == 0 {
                done.push((topic.clone(), *partition, replicas.clone()));
            } else {
                ongoing.push(Ongoing { topic: topic.clone(), partition: *partition });
            }
        }
        for (topic, partition, replicas) in done {
            state.moving.remove(&(topic.clone(), partition));
            finish_move(&mut state.live, &topic, partition, &replicas);
        }
        Ok(ongoing)
    }

    async fn data(&self, live: &Live, query: &DataQuery) -> BTreeMap<String, TopicData> {
        if query.topics.is_empty() {
            return BTreeMap::new();
        }
        // DescribeLogDirs, ListOffsets, ListGroups and OffsetFetch, each one batched request.
        self.inner.requests.fetch_add(4, Ordering::Relaxed);
        let state = self.inner.state.lock().unwrap();
        let hidden = |d: Denied| state.denied.contains(&d);
        let mut out = BTreeMap::new();
        for (topic, cut) in &query.topics {
            let Some(t) = live.topics.get(topic) else { continue };
            let log = |p: i32| state.logs.get(&(topic.clone(), p)).map(Vec::as_slice).unwrap_or_default();
            // Each replica holds what its leader holds; a stopped broker does not say.
            let mut answers: BTreeMap<i32, crate::live::BrokerSizes> =
                live.brokers.keys().filter(|b| !state.down.contains(b)).map(|b| (*b, Ok(BTreeMap::new()))).collect();
            for p in &t.partitions {
                let bytes: u64 = log(p.id).iter().map(|(_, b)| b).sum();
                for r in &p.replicas {
                    if let Some(Ok(found)) = answers.get_mut(r) {
                        found.insert((topic.clone(), p.id), bytes);
                    }
                }
            }
            let sizes = crate::live::sum_sizes(topic, &t.partitions, &answers);
            let leaderless = t.partitions.iter().any(|p| p.leader.is_none_or(|l| state.down.contains(&l)));
            let offsets = t
                .partitions
                .iter()
                .map(|p| {
                    let records = log(p.id);
                    let latest = records.len() as i64;
                    let at_cut = cut.map(|c| records.iter().position(|(ts, _)| *ts >= c).map_or(latest, |i| i as i64));
                    (p.id, PartitionOffsets { earliest: 0, latest, at_cut })
                })
                .collect();
            let last_write = t.partitions.iter().flat_map(|p| log(p.id).iter().map(|(ts, _)| *ts)).max();
            let answers: Vec<GroupAnswer> = state
                .groups
                .iter()
                .map(|(g, fake)| GroupAnswer {
                    group: g.clone(),
                    state: if fake.active { "Stable" } else { "Empty" }.into(),
                    committed: fake.committed.clone(),
                    readers: fake.readers.clone(),
                })
                .collect();
            let groups = crate::live::groups_reading(topic, &answers);
            let fact = |denied: Denied| if hidden(denied) { Some(Unknown::NotAuthorised) } else { None };
            fn led<T>(leaderless: bool, known: T) -> Fact<T> {
                if leaderless {
                    Fact::Unknown(Unknown::Failed("a partition has no leader".into()))
                } else {
                    Fact::Known(known)
                }
            }
            out.insert(
                topic.clone(),
                TopicData {
                    sizes: fact(Denied::LogDirs).map_or(sizes.into(), Fact::Unknown),
                    offsets: fact(Denied::Offsets).map_or(led(leaderless, offsets), Fact::Unknown),
                    last_write: fact(Denied::Offsets).map_or(led(leaderless, last_write), Fact::Unknown),
                    groups: fact(Denied::Groups).map_or(groups.into(), Fact::Unknown),
                },
            );
        }
        out
    }
}

impl Connect for FakeCluster {
    type Admin = FakeCluster;

    fn connect(&self, _cluster: &ClusterConfig, _connection: Connection) -> Result<FakeCluster, Error> {
        Ok(self.clone())
    }
}
