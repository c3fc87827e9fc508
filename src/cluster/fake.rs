//! An in-memory cluster behind [`Admin`], for fast tests of planning and apply. It follows Kafka's rules
//! for what it models (no shrinking, no duplicate creates, overrides fall back to defaults when
//! deleted) and can be told to refuse changes to chosen topics.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Admin, Broker, ConfigSource, Effective, Error, Live, LiveConfig, LivePartition, LiveTopic, Scope};
use crate::plan::Change;

/// Kafka's defaults for a few topic configs, enough for tests.
pub const DEFAULTS: [(&str, &str); 4] = [
    ("cleanup.policy", "delete"),
    ("min.insync.replicas", "1"),
    ("retention.ms", "604800000"),
    ("segment.ms", "604800000"),
];

/// An in-memory cluster of `brokers` brokers.
pub struct FakeCluster {
    state: Mutex<Live>,
    refuse: Mutex<BTreeSet<String>>,
    /// Topics whose next changes fail with a retriable error, and how many times.
    flaky: Mutex<BTreeMap<String, u32>>,
    /// Topics whose changes pass validation but fail when made (a broker lost mid-apply).
    broken: Mutex<BTreeSet<String>>,
    requests: AtomicUsize,
}

impl FakeCluster {
    /// An empty cluster with brokers 1..=`brokers`.
    pub fn new(brokers: i32) -> Self {
        let brokers = (1..=brokers)
            .map(|id| {
                (id, Broker { id, host: "127.0.0.1".into(), port: 9091 + id as u16, rack: Some(format!("rack-{id}")) })
            })
            .collect();
        FakeCluster {
            state: Mutex::new(Live { brokers, topics: BTreeMap::new() }),
            refuse: Mutex::new(BTreeSet::new()),
            flaky: Mutex::new(BTreeMap::new()),
            broken: Mutex::new(BTreeSet::new()),
            requests: AtomicUsize::new(0),
        }
    }

    /// Makes every later change to `topic` fail with `POLICY_VIOLATION`.
    pub fn refuse(&self, topic: &str) {
        self.refuse.lock().unwrap().insert(topic.to_owned());
    }

    /// Makes the next `times` changes to `topic` fail with `REQUEST_TIMED_OUT`, as a broker that is
    /// briefly away would.
    pub fn fail_transiently(&self, topic: &str, times: u32) {
        self.flaky.lock().unwrap().insert(topic.to_owned(), times);
    }

    /// Makes changes to `topic` pass validation and then fail when made, with a non-retriable error:
    /// what a preflight cannot foresee.
    pub fn break_after_preflight(&self, topic: &str) {
        self.broken.lock().unwrap().insert(topic.to_owned());
    }

    /// Creates a topic directly, as another tool would.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let change = Change::CreateTopic {
            topic: topic.into(),
            partitions,
            replication_factor: Some(1),
            configs: BTreeMap::new(),
        };
        let mut state = self.state.lock().unwrap();
        self.apply(&mut state, &change).expect("a new topic");
    }

    /// Requests served so far; a batched call counts once.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Everything the cluster holds.
    pub fn snapshot(&self) -> Live {
        self.state.lock().unwrap().clone()
    }

    fn apply(&self, state: &mut Live, change: &Change) -> Result<(), Error> {
        let refused = |op: &'static str, topic: &str, code: &str| Error::Topic {
            operation: op,
            topic: topic.to_owned(),
            code: code.to_owned(),
            message: String::new(),
        };
        if self.refuse.lock().unwrap().contains(change.topic()) {
            return Err(refused("Change", change.topic(), "POLICY_VIOLATION"));
        }
        if let Some(left) = self.flaky.lock().unwrap().get_mut(change.topic())
            && *left > 0
        {
            *left -= 1;
            return Err(refused("Change", change.topic(), "REQUEST_TIMED_OUT"));
        }
        let brokers: Vec<i32> = state.brokers.keys().copied().collect();
        match change {
            Change::CreateTopic { topic, partitions, replication_factor, configs } => {
                if state.topics.contains_key(topic) {
                    return Err(refused("CreateTopics", topic, "TOPIC_ALREADY_EXISTS"));
                }
                let rf = usize::from(replication_factor.unwrap_or(1));
                if rf > brokers.len() {
                    return Err(refused("CreateTopics", topic, "INVALID_REPLICATION_FACTOR"));
                }
                let mut t = LiveTopic {
                    partitions: (0..*partitions as i32).map(|id| partition(id, rf, &brokers)).collect(),
                    configs: DEFAULTS
                        .iter()
                        .map(|(k, v)| (k.to_string(), config(k, v, ConfigSource::Default)))
                        .collect(),
                };
                for (k, v) in configs {
                    t.configs.insert(k.clone(), config(k, v, ConfigSource::TopicOverride));
                }
                state.topics.insert(topic.clone(), t);
            }
            Change::AddPartitions { topic, to, assignments, .. } => {
                let t = state
                    .topics
                    .get_mut(topic)
                    .ok_or_else(|| refused("CreatePartitions", topic, "UNKNOWN_TOPIC_OR_PARTITION"))?;
                if *to as usize <= t.partitions.len() {
                    return Err(refused("CreatePartitions", topic, "INVALID_PARTITIONS"));
                }
                let rf = t.replication_factor();
                let first_new = t.partitions.len();
                for id in first_new as i32..*to as i32 {
                    let mut p = partition(id, rf, &brokers);
                    if let Some(replicas) = assignments.get(id as usize - first_new) {
                        p.leader = replicas.first().copied();
                        p.replicas = replicas.clone();
                        p.isr = replicas.clone();
                    }
                    t.partitions.push(p);
                }
            }
            Change::SetConfig { topic, key, after, .. } | Change::PinConfig { topic, key, value: after, .. } => {
                let t = state
                    .topics
                    .get_mut(topic)
                    .ok_or_else(|| refused("IncrementalAlterConfigs", topic, "UNKNOWN_TOPIC_OR_PARTITION"))?;
                t.configs.insert(key.clone(), config(key, after, ConfigSource::TopicOverride));
            }
            Change::ChangeReplicationFactor { topic, to, moves, .. } => {
                let invalid = || refused("AlterPartitionReassignments", topic, "INVALID_REPLICA_ASSIGNMENT");
                let t = state.topics.get_mut(topic).ok_or_else(invalid)?;
                if usize::from(*to) > brokers.len() || moves.iter().any(|m| m.to.iter().any(|b| !brokers.contains(b))) {
                    return Err(invalid());
                }
                for m in moves {
                    let p = t.partitions.iter_mut().find(|p| p.id == m.partition).ok_or_else(invalid)?;
                    p.replicas = m.to.clone();
                    p.isr = m.to.clone();
                    p.leader = m.to.first().copied();
                }
            }
            Change::DeleteTopic { topic, .. } => {
                state
                    .topics
                    .remove(topic)
                    .ok_or_else(|| refused("DeleteTopics", topic, "UNKNOWN_TOPIC_OR_PARTITION"))?;
            }
            Change::UnsetConfig { topic, key, .. } => {
                let t = state
                    .topics
                    .get_mut(topic)
                    .ok_or_else(|| refused("IncrementalAlterConfigs", topic, "UNKNOWN_TOPIC_OR_PARTITION"))?;
                match DEFAULTS.iter().find(|(k, _)| k == key) {
                    Some((_, v)) => t.configs.insert(key.clone(), config(key, v, ConfigSource::Default)),
                    None => t.configs.remove(key),
                };
            }
        }
        Ok(())
    }
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
    LiveConfig { value: Some(value.to_owned()), source, read_only: false, sensitive: false, inherited }
}

fn partition(id: i32, rf: usize, brokers: &[i32]) -> LivePartition {
    let replicas: Vec<i32> = (0..rf).map(|r| brokers[(id as usize + r) % brokers.len()]).collect();
    LivePartition { id, leader: replicas.first().copied(), isr: replicas.clone(), replicas }
}

impl Admin for FakeCluster {
    async fn describe(&self, scope: &Scope) -> Result<Live, Error> {
        // One Metadata request and one DescribeConfigs request, like the real adapter for small scopes.
        self.requests.fetch_add(2, Ordering::Relaxed);
        let state = self.state.lock().unwrap();
        Ok(Live {
            brokers: state.brokers.clone(),
            topics: state
                .topics
                .iter()
                .filter(|(n, _)| scope.contains(n))
                .map(|(n, t)| (n.clone(), t.clone()))
                .collect(),
        })
    }

    async fn execute(&self, changes: &[Change]) -> Vec<Result<(), Error>> {
        // Same order and batching as the real adapter: creates, then partitions, then configs, one
        // request per kind.
        let rank = |c: &Change| match c {
            Change::CreateTopic { .. } => 0,
            Change::AddPartitions { .. } => 1,
            Change::SetConfig { .. } | Change::PinConfig { .. } | Change::UnsetConfig { .. } => 2,
            Change::ChangeReplicationFactor { .. } => 3,
            Change::DeleteTopic { .. } => 4,
        };
        let kinds: BTreeSet<u8> = changes.iter().map(rank).collect();
        self.requests.fetch_add(kinds.len(), Ordering::Relaxed);
        let mut state = self.state.lock().unwrap();
        let mut order: Vec<usize> = (0..changes.len()).collect();
        order.sort_by_key(|&i| rank(&changes[i]));
        let broken = self.broken.lock().unwrap().clone();
        let mut results: Vec<Result<(), Error>> = vec![Ok(()); changes.len()];
        for i in order {
            results[i] = if broken.contains(changes[i].topic()) {
                Err(Error::Topic {
                    operation: "Change",
                    topic: changes[i].topic().to_owned(),
                    code: "UNKNOWN_SERVER_ERROR".into(),
                    message: "the broker failed".into(),
                })
            } else {
                self.apply(&mut state, &changes[i])
            };
        }
        results
    }

    async fn validate(&self, changes: &[Change]) -> Vec<Result<(), Error>> {
        // The same rules on a copy, which is then dropped. A briefly absent broker fails validation
        // as it fails changes, so transient failures are consumed here too.
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut copy = self.state.lock().unwrap().clone();
        changes
            .iter()
            .map(|c| match c {
                Change::DeleteTopic { .. } => Ok(()),
                other => self.apply(&mut copy, other),
            })
            .collect()
    }
}
