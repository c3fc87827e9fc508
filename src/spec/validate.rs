//! Turns parsed topic files into a [`Desired`] state, collecting every problem in every file before
//! failing once. Pure: documents in, desired state or problems out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::load::location;
use super::model::{ConfigMap, TopicFile};
use super::{Desired, DesiredTopic, Error, ErrorKind, Location, Locations, Severity};
use crate::catalog;

/// Kafka's limit on topic name length (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_NAME: usize = 249;

/// A valid desired state and the warnings found on the way.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The desired state.
    pub desired: Desired,
    /// Problems that do not fail validation (unless `--strict`).
    pub warnings: Vec<Error>,
}

/// Splits problems into errors and warnings: `Ok` when there is no error.
pub fn split(desired: Desired, problems: Vec<Error>) -> Result<Checked, Vec<Error>> {
    if problems.iter().any(|p| p.severity() == Severity::Error) {
        Err(problems)
    } else {
        Ok(Checked { desired, warnings: problems })
    }
}

/// Validates all topic files together (a topic may not be declared in two files). Returns the desired
/// state and every problem found; the state is complete only when no problem is an error.
pub fn topics(files: &[(Arc<PathBuf>, TopicFile)]) -> (Desired, Vec<Error>) {
    let mut errors = Vec::new();
    let mut desired = Desired::default();
    for (file, doc) in files {
        let at = |l: &serde_saphyr::Location| location(file, l);
        let defaults = doc.defaults.as_ref();
        for topic in &doc.topics {
            let name = &topic.name.value;
            let origin = at(&topic.name.referenced);
            if let Err(reason) = check_topic_name(name) {
                errors.push(Error::at(ErrorKind::InvalidTopicName { name: name.clone(), reason }, origin.clone()));
            }
            let mut locations = Locations::default();

            let partitions = topic.partitions.as_ref().or(defaults.and_then(|d| d.partitions.as_ref()));
            let partitions = match partitions {
                None => {
                    errors.push(Error::at(ErrorKind::PartitionsMissing { topic: name.clone() }, origin.clone()));
                    None
                }
                Some(p) => {
                    locations.partitions = Some(at(&p.referenced));
                    match partition_count(p.value) {
                        Some(n) => Some(n),
                        None => {
                            errors.push(Error::at(
                                ErrorKind::PartitionsOutOfRange { topic: name.clone(), value: p.value },
                                at(&p.referenced),
                            ));
                            None
                        }
                    }
                }
            };

            let rf = topic.replication_factor.as_ref().or(defaults.and_then(|d| d.replication_factor.as_ref()));
            let replication_factor = rf.and_then(|r| {
                locations.replication_factor = Some(at(&r.referenced));
                let valid = replication_factor(r.value);
                if valid.is_none() {
                    errors.push(Error::at(
                        ErrorKind::ReplicationFactorOutOfRange { topic: name.clone(), value: r.value },
                        at(&r.referenced),
                    ));
                }
                valid
            });

            let mut configs = BTreeMap::new();
            for map in defaults.map(|d| &d.config).into_iter().chain([&topic.config]) {
                configs_into(name, map, &at, &mut configs, &mut locations.configs, &mut errors);
            }

            let declared = DesiredTopic {
                name: name.clone(),
                partitions: partitions.unwrap_or(1),
                replication_factor,
                configs,
                origin: Some(origin.clone()),
                locations,
                config_mode: doc.config_mode,
            };
            match desired.topics.get(name) {
                Some(first) => errors.push(Error::at(
                    ErrorKind::DuplicateTopic {
                        topic: name.clone(),
                        first: first.origin.clone().expect("loaded topics have an origin"),
                    },
                    origin,
                )),
                None => {
                    desired.topics.insert(name.clone(), declared);
                }
            }
        }
    }
    errors.extend(cross_checks(&desired));
    (desired, errors)
}

/// `partitions` as Kafka takes it: a Java int of at least 1.
pub(crate) fn partition_count(value: i64) -> Option<u32> {
    (1..=i64::from(i32::MAX)).contains(&value).then_some(value as u32)
}

/// `replicationFactor` as Kafka takes it: a Java short of at least 1.
pub(crate) fn replication_factor(value: i64) -> Option<u16> {
    (1..=i64::from(i16::MAX)).contains(&value).then_some(value as u16)
}

/// Normalises every entry of `map` into `configs`; a later map (the topic's own) replaces an earlier
/// one's key (the defaults').
pub(crate) fn configs_into(
    topic: &str,
    map: &ConfigMap,
    at: &dyn Fn(&serde_saphyr::Location) -> Location,
    configs: &mut BTreeMap<String, String>,
    locations: &mut BTreeMap<String, Location>,
    errors: &mut Vec<Error>,
) {
    for (key, value) in &map.0 {
        let Spanned { value: key_text, referenced: key_at, .. } = key;
        let Some(spec) = catalog::get(key_text) else {
            let names: Vec<String> = catalog::all().iter().map(|c| c.name.to_owned()).collect();
            let suggestion = super::load::closest(key_text, &names);
            errors.push(Error::at(ErrorKind::UnknownConfig { key: key_text.clone(), suggestion }, at(key_at)));
            continue;
        };
        match catalog::normalise(spec, &value.value) {
            Ok(v) => {
                configs.insert(key_text.clone(), v);
                locations.insert(key_text.clone(), at(&value.referenced));
            }
            Err(invalid) => errors.push(Error::at(
                ErrorKind::InvalidConfigValue {
                    topic: topic.to_owned(),
                    key: key_text.clone(),
                    reason: invalid.reason,
                    hint: invalid.hint,
                },
                at(&value.referenced),
            )),
        }
    }
}

/// Rules that span fields or topics, checked on the whole desired state (and again after a cluster's
/// overrides are applied).
pub fn cross_checks(desired: &Desired) -> Vec<Error> {
    let mut problems = Vec::new();
    for topic in desired.topics.values() {
        let (Some(rf), Some(min_isr)) = (topic.replication_factor, topic.configs.get("min.insync.replicas")) else {
            continue;
        };
        if let Ok(min_isr) = min_isr.parse::<i64>()
            && min_isr > i64::from(rf)
        {
            let at = topic.locations.configs.get("min.insync.replicas").or(topic.origin.as_ref()).cloned();
            problems.push(Error {
                kind: ErrorKind::MinInsyncAboveReplicationFactor {
                    topic: topic.name.clone(),
                    min_isr,
                    replication_factor: rf,
                },
                at,
            });
        }
    }
    // Kafka's metric names replace `.` with `_`, so `a.b` and `a_b` share metrics.
    let mut by_metric_name: BTreeMap<String, &DesiredTopic> = BTreeMap::new();
    for topic in desired.topics.values() {
        if let Some(other) = by_metric_name.insert(topic.name.replace('.', "_"), topic) {
            problems.push(Error {
                kind: ErrorKind::NameCollision {
                    topic: topic.name.clone(),
                    other: other.name.clone(),
                    other_at: other.origin.clone().unwrap_or_else(|| topic.origin.clone().expect("loaded")),
                },
                at: topic.origin.clone(),
            });
        }
    }
    problems
}

/// Kafka's rules for topic names (`org.apache.kafka.common.internals.Topic.validate`).
pub fn check_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is reserved"));
    }
    if name.len() > MAX_TOPIC_NAME {
        return Err(format!("it has {} characters, more than {MAX_TOPIC_NAME}", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!("it contains `{}`", c.escape_default()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        let cases = [
            ("payments.transactions.v1", true),
            ("a", true),
            ("A-b_c.9", true),
            ("", false),
            (".", false),
            ("..", false),
            ("has space", false),
            ("slash/name", false),
            ("ünicode", false),
        ];
        for (name, ok) in cases {
            assert_eq!(check_topic_name(name).is_ok(), ok, "{name}");
        }
        assert!(check_topic_name(&"x".repeat(249)).is_ok());
        assert!(check_topic_name(&"x".repeat(250)).is_err());
    }

    #[test]
    fn counts() {
        assert_eq!(partition_count(1), Some(1));
        assert_eq!(partition_count(0), None);
        assert_eq!(partition_count(-3), None);
        assert_eq!(partition_count(i64::from(i32::MAX)), Some(i32::MAX as u32));
        assert_eq!(partition_count(i64::from(i32::MAX) + 1), None);
        assert_eq!(replication_factor(3), Some(3));
        assert_eq!(replication_factor(0), None);
        assert_eq!(replication_factor(40000), None);
    }
}
