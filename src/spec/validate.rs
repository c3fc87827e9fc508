//! Turns parsed topic files into a [`Desired`] state, collecting every problem in every file before
//! failing once. Pure: documents in, desired state or errors out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::load::location;
use super::model::{ConfigMap, TopicFile};
use super::{Desired, DesiredTopic, Error, ErrorKind};

/// Kafka's limit on topic name length (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_NAME: usize = 249;

/// Validates all topic files together (a topic may not be declared in two files).
pub fn topics(files: &[(Arc<PathBuf>, TopicFile)]) -> Result<Desired, Vec<Error>> {
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

            let partitions = topic.partitions.as_ref().or(defaults.and_then(|d| d.partitions.as_ref()));
            let partitions = match partitions {
                None => {
                    errors.push(Error::at(ErrorKind::PartitionsMissing { topic: name.clone() }, origin.clone()));
                    None
                }
                Some(p) => match u32::try_from(p.value) {
                    Ok(n) if n >= 1 && p.value <= i64::from(i32::MAX) => Some(n),
                    _ => {
                        errors.push(Error::at(
                            ErrorKind::PartitionsOutOfRange { topic: name.clone(), value: p.value },
                            at(&p.referenced),
                        ));
                        None
                    }
                },
            };

            let rf = topic.replication_factor.as_ref().or(defaults.and_then(|d| d.replication_factor.as_ref()));
            let replication_factor = match rf {
                None => None,
                Some(r) => match u16::try_from(r.value) {
                    Ok(n) if n >= 1 && r.value <= i64::from(i16::MAX) => Some(n),
                    _ => {
                        errors.push(Error::at(
                            ErrorKind::ReplicationFactorOutOfRange { topic: name.clone(), value: r.value },
                            at(&r.referenced),
                        ));
                        None
                    }
                },
            };

            let mut configs = BTreeMap::new();
            let inherited = defaults.map(|d| &d.config);
            for map in inherited.into_iter().chain([&topic.config]) {
                collect_configs(name, map, &at, &mut configs, &mut errors);
            }

            let declared = DesiredTopic {
                name: name.clone(),
                partitions: partitions.unwrap_or(1),
                replication_factor,
                configs,
                origin: Some(origin.clone()),
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
    if errors.is_empty() { Ok(desired) } else { Err(errors) }
}

/// Adds `map` to `configs`; a later map (the topic's own) replaces an earlier one's key (the defaults').
fn collect_configs(
    topic: &str,
    map: &ConfigMap,
    at: &dyn Fn(&serde_saphyr::Location) -> super::Location,
    configs: &mut BTreeMap<String, String>,
    errors: &mut Vec<Error>,
) {
    for (key, value) in &map.0 {
        let Spanned { value: key_text, referenced: key_at, .. } = key;
        if !is_config_key(key_text) {
            errors.push(Error::at(ErrorKind::InvalidConfigKey { key: key_text.clone() }, at(key_at)));
            continue;
        }
        match value.value.to_kafka_string() {
            Ok(v) => {
                configs.insert(key_text.clone(), v);
            }
            Err(reason) => errors.push(Error::at(
                ErrorKind::InvalidConfigValue { topic: topic.to_owned(), key: key_text.clone(), reason },
                at(&value.referenced),
            )),
        }
    }
}

/// Kafka config names are lowercase words joined by dots (`retention.ms`, `cleanup.policy`).
fn is_config_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('.').all(|part| !part.is_empty())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' || c == '-')
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
    fn config_keys() {
        for good in ["retention.ms", "cleanup.policy", "min.insync.replicas", "x"] {
            assert!(is_config_key(good), "{good}");
        }
        for bad in ["", "Retention.ms", "retention..ms", ".ms", "retention ms"] {
            assert!(!is_config_key(bad), "{bad}");
        }
    }
}
