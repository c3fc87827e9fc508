//! Saved plans: `plan --out plan.json` records the plan together with what the cluster looked like
//! for every topic it touches, so that `apply plan.json` can refuse a plan that the cluster has moved
//! away from, and apply exactly what was reviewed otherwise. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Change, Plan};
use crate::desired::{ConfigMode, Desired, DesiredTopic};
use crate::live::{Live, LiveTopic};

/// A plan as written by `plan --out`: the plan's own fields, plus the cluster it was made for, the
/// declared state of the topics it touches (for verification) and their observed state (for the stale
/// check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedPlan {
    /// The plan, exactly as `plan --format json` prints it.
    #[serde(flatten)]
    pub plan: Plan,
    /// The cluster's name in the project file.
    pub cluster: String,
    /// The declared state of every topic the plan touches.
    pub desired: Vec<SavedTopic>,
    /// What the cluster held for every topic the plan touches when the plan was made; `null` for a
    /// topic that did not exist.
    pub observed: BTreeMap<String, Option<Fingerprint>>,
}

/// A declared topic, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedTopic {
    /// Topic name.
    pub name: String,
    /// Partition count.
    pub partitions: u32,
    /// Replication factor, if declared.
    pub replication_factor: Option<u16>,
    /// Declared configs in canonical form.
    pub configs: BTreeMap<String, String>,
    /// Config mode, if not strict.
    pub config_mode: Option<ConfigMode>,
    /// Whether the topic is to be deleted.
    #[serde(default)]
    pub delete: bool,
}

/// The part of a live topic that a plan's changes depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprint {
    /// Partition count.
    pub partitions: usize,
    /// Replication factor.
    pub replication_factor: usize,
    /// Topic overrides; `null` values are sensitive.
    pub overrides: BTreeMap<String, Option<String>>,
}

impl Fingerprint {
    /// The fingerprint of a live topic.
    pub fn of(topic: &LiveTopic) -> Self {
        Fingerprint {
            partitions: topic.partitions.len(),
            replication_factor: topic.replication_factor(),
            overrides: topic.overrides().map(|(k, c)| (k.clone(), c.value.clone())).collect(),
        }
    }
}

impl SavedPlan {
    /// Records `plan`, made for `cluster` from `desired` and `live`.
    pub fn new(plan: Plan, cluster: &str, desired: &Desired, live: &Live) -> Self {
        let touched: BTreeSet<&str> =
            plan.changes.iter().map(Change::topic).chain(plan.blocked.iter().map(|b| b.topic.as_str())).collect();
        let desired = touched
            .iter()
            .filter_map(|t| desired.topics.get(*t))
            .map(|t| SavedTopic {
                name: t.name.clone(),
                partitions: t.partitions,
                replication_factor: t.replication_factor,
                configs: t.configs.clone(),
                config_mode: t.config_mode,
                delete: t.delete,
            })
            .collect();
        let observed = touched.iter().map(|t| (t.to_string(), live.topics.get(*t).map(Fingerprint::of))).collect();
        SavedPlan { plan, cluster: cluster.to_owned(), desired, observed }
    }

    /// The topics the plan touches.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.observed.keys().map(String::as_str)
    }

    /// The saved declared state, for verification after apply.
    pub fn desired(&self) -> Desired {
        let topics = self
            .desired
            .iter()
            .map(|t| {
                let topic = DesiredTopic {
                    name: t.name.clone(),
                    partitions: t.partitions,
                    replication_factor: t.replication_factor,
                    configs: t.configs.clone(),
                    origin: None,
                    locations: Default::default(),
                    config_mode: t.config_mode,
                    delete: t.delete,
                    acknowledged: Default::default(),
                };
                (t.name.clone(), topic)
            })
            .collect();
        Desired { topics }
    }

    /// What changed on the cluster since the plan was made, one item per difference; empty when the
    /// plan still applies as reviewed.
    pub fn staleness(&self, live: &Live) -> Vec<Stale> {
        let mut out = Vec::new();
        for (topic, then) in &self.observed {
            let now = live.topics.get(topic).map(Fingerprint::of);
            let topic = topic.clone();
            match (then, &now) {
                (None, None) => {}
                (None, Some(_)) => out.push(Stale::Created { topic }),
                (Some(_), None) => out.push(Stale::Deleted { topic }),
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    if a.partitions != b.partitions {
                        out.push(Stale::Partitions { topic: topic.clone(), then: a.partitions, now: b.partitions });
                    }
                    if a.replication_factor != b.replication_factor {
                        out.push(Stale::ReplicationFactor {
                            topic: topic.clone(),
                            then: a.replication_factor,
                            now: b.replication_factor,
                        });
                    }
                    let keys: BTreeSet<&String> = a.overrides.keys().chain(b.overrides.keys()).collect();
                    for key in keys {
                        let (x, y) = (a.overrides.get(key), b.overrides.get(key));
                        if x != y {
                            out.push(Stale::Override {
                                topic: topic.clone(),
                                key: key.clone(),
                                then: x.cloned(),
                                now: y.cloned(),
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// One way the cluster moved away from a saved plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// A topic the plan would create exists now.
    Created {
        /// The topic.
        topic: String,
    },
    /// A topic the plan touches is gone.
    Deleted {
        /// The topic.
        topic: String,
    },
    /// The partition count changed.
    Partitions {
        /// The topic.
        topic: String,
        /// When the plan was made.
        then: usize,
        /// Now.
        now: usize,
    },
    /// The replication factor changed.
    ReplicationFactor {
        /// The topic.
        topic: String,
        /// When the plan was made.
        then: usize,
        /// Now.
        now: usize,
    },
    /// A topic override changed: `None` is not overridden, `Some(None)` a sensitive value.
    Override {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// When the plan was made.
        then: Option<Option<String>>,
        /// Now.
        now: Option<Option<String>>,
    },
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Option<String>>| match v {
            None => "not overridden".to_owned(),
            Some(None) => "(sensitive)".to_owned(),
            Some(Some(v)) => v.clone(),
        };
        match self {
            Stale::Created { topic } => write!(f, "topic `{topic}` was created since the plan was made"),
            Stale::Deleted { topic } => write!(f, "topic `{topic}` was deleted since the plan was made"),
            Stale::Partitions { topic, then, now } => write!(f, "topic `{topic}` had {then} partitions, now {now}"),
            Stale::ReplicationFactor { topic, then, now } => {
                write!(f, "topic `{topic}` had replication factor {then}, now {now}")
            }
            Stale::Override { topic, key, then, now } => {
                write!(f, "topic `{topic}` `{key}` was {}, now {}", show(then), show(now))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::{ConfigSource, LiveConfig, LivePartition};

    fn topic(partitions: i32, overrides: &[(&str, &str)]) -> LiveTopic {
        LiveTopic {
            partitions: (0..partitions)
                .map(|id| LivePartition { id, leader: Some(1), replicas: vec![1], isr: vec![1] })
                .collect(),
            configs: overrides
                .iter()
                .map(|(k, v)| {
                    let c = LiveConfig {
                        value: Some(v.to_string()),
                        source: ConfigSource::TopicOverride,
                        read_only: false,
                        sensitive: false,
                        inherited: None,
                    };
                    (k.to_string(), c)
                })
                .collect(),
        }
    }

    fn live(topics: &[(&str, LiveTopic)]) -> Live {
        Live { topics: topics.iter().map(|(n, t)| (n.to_string(), t.clone())).collect(), ..Live::default() }
    }

    #[test]
    fn stale_plans_name_what_changed() {
        let plan = Plan::new(
            vec![
                Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] },
                Change::CreateTopic {
                    topic: "new".into(),
                    partitions: 1,
                    replication_factor: None,
                    configs: BTreeMap::new(),
                },
            ],
            vec![],
        );
        let then = live(&[("a", topic(1, &[("retention.ms", "1000")]))]);
        let saved = SavedPlan::new(plan, "prod", &Desired::default(), &then);
        assert_eq!(saved.staleness(&then), Vec::<Stale>::new());

        let now = live(&[("a", topic(2, &[("retention.ms", "2000"), ("segment.ms", "1")])), ("new", topic(1, &[]))]);
        assert_eq!(
            saved.staleness(&now).iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "topic `a` had 1 partitions, now 2",
                "topic `a` `retention.ms` was 1000, now 2000",
                "topic `a` `segment.ms` was not overridden, now 1",
                "topic `new` was created since the plan was made",
            ]
        );
    }

    #[test]
    fn round_trips_through_json() {
        let plan =
            Plan::new(vec![Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] }], vec![]);
        let saved = SavedPlan::new(plan, "prod", &Desired::default(), &live(&[("a", topic(1, &[]))]));
        let json = serde_json::to_string(&saved).unwrap();
        let back: SavedPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, saved);
    }
}
