//! Turns parsed topic files into a [`Desired`] state, collecting every problem in every file before
//! failing once. Pure: documents in, desired state or problems out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::model::{ConfigMap, Count, TopicFile};
use super::yaml::{self, At, Pos};
use super::{Desired, DesiredTopic, Error, ErrorKind, Location, Locations, Severity, Subject};
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

/// A value checked once where it is written (a topic, or its file's `defaults`): `Ok` with its
/// location, or `Err` when it was invalid and has been reported.
type Once<T> = Option<Result<(T, Location), ()>>;

/// Validates all topic files together (a topic may not be declared in two files). Returns the desired
/// state and every problem found; the state is complete only when no problem is an error.
pub fn topics(files: &[(Arc<PathBuf>, TopicFile)]) -> (Desired, Vec<Error>) {
    let mut errors = Vec::new();
    let mut desired = Desired::default();
    for (file, doc) in files {
        let at = |p: Pos| p.located(file);
        // A file's defaults are checked once, so a bad default is reported once, not once per topic.
        let defaults = doc.defaults.as_ref().map(|d| &d.value);
        let default_partitions = check_count(
            defaults.and_then(|d| d.partitions.as_ref()),
            &Subject::Defaults,
            Field::Partitions,
            &at,
            &mut errors,
        );
        let default_rf = check_count(
            defaults.and_then(|d| d.replication_factor.as_ref()),
            &Subject::Defaults,
            Field::ReplicationFactor,
            &at,
            &mut errors,
        );
        let mut default_configs = BTreeMap::new();
        let mut default_config_at = BTreeMap::new();
        if let Some(d) = defaults {
            configs_into(&Subject::Defaults, &d.config, &at, &mut default_configs, &mut default_config_at, &mut errors);
            raw_configs_into(
                &Subject::Defaults,
                &d.raw_config,
                &at,
                &mut default_configs,
                &mut default_config_at,
                &mut errors,
            );
        }

        for At { value: topic, at: entry } in &doc.topics {
            let Some(name) = &topic.name else {
                if topic.written.missing("name") {
                    errors.push(Error::at(
                        ErrorKind::MissingKey { key: "name".into(), of: "this topic".into() },
                        at(*entry),
                    ));
                }
                continue;
            };
            let origin = at(name.at);
            let name = &name.value.0;
            // Messages show a name cut to a readable length: a 1.3-million-character name is an error once.
            let subject = Subject::Topic(yaml::shown(name));
            let legal = check_topic_name(name);
            if let Err(reason) = &legal {
                errors.push(Error::at(
                    ErrorKind::InvalidTopicName { name: yaml::shown(name), reason: reason.clone() },
                    origin.clone(),
                ));
            } else if super::is_internal(name) {
                errors.push(Error::at(ErrorKind::InternalTopic { name: name.clone() }, origin.clone()));
            }
            let delete = topic.delete.as_ref().is_some_and(|d| d.value);
            let mut locations = Locations::default();

            let mut own = check_count(topic.partitions.as_ref(), &subject, Field::Partitions, &at, &mut errors);
            if own.is_none() && !topic.written.missing("partitions") {
                // Written with a value of the wrong kind, or perhaps misspelt: reported already.
                own = Some(Err(()));
            }
            let partitions = match own.or(default_partitions.clone()) {
                // A topic to delete needs nothing else.
                None if delete => 1,
                None => {
                    errors.push(Error::at(ErrorKind::PartitionsMissing { topic: name.clone() }, origin.clone()));
                    1
                }
                Some(Err(())) => 1,
                Some(Ok((n, loc))) => {
                    locations.partitions = Some(loc);
                    n as u32
                }
            };
            let own =
                check_count(topic.replication_factor.as_ref(), &subject, Field::ReplicationFactor, &at, &mut errors);
            let replication_factor = match own.or(default_rf.clone()) {
                Some(Ok((n, loc))) => {
                    locations.replication_factor = Some(loc);
                    Some(n as u16)
                }
                _ => None,
            };

            let mut configs = default_configs.clone();
            locations.configs = default_config_at.clone();
            configs_into(&subject, &topic.config, &at, &mut configs, &mut locations.configs, &mut errors);
            raw_configs_into(&subject, &topic.raw_config, &at, &mut configs, &mut locations.configs, &mut errors);

            let declared = DesiredTopic {
                name: name.clone(),
                partitions,
                replication_factor,
                configs,
                origin: Some(origin.clone()),
                locations,
                config_mode: doc.config_mode.as_ref().map(|m| m.value),
                delete,
                acknowledged: topic.acknowledge.iter().map(|a| a.value).collect(),
            };
            match desired.topics.get(name) {
                // Its values were checked; a topic Kafka cannot have is not part of the desired state.
                _ if legal.is_err() => {}
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
    errors.extend(cross_checks(&desired, None));
    (desired, errors)
}

/// Which count a value is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    Partitions,
    ReplicationFactor,
}

/// Checks a count where it is written, reporting a bad one once.
pub(crate) fn check_count(
    value: Option<&At<Count>>,
    subject: &Subject,
    field: Field,
    at: &dyn Fn(Pos) -> Location,
    errors: &mut Vec<Error>,
) -> Once<i64> {
    let value = value?;
    // Partition counts are Java ints; replication factors are Java shorts.
    let max = match field {
        Field::Partitions => i64::from(i32::MAX),
        Field::ReplicationFactor => i64::from(i16::MAX),
    };
    let loc = at(value.at);
    Some(match value.value.within(1, max) {
        Ok(n) => Ok((n, loc)),
        Err(reason) => {
            let subject = subject.clone();
            let kind = match field {
                Field::Partitions => ErrorKind::InvalidPartitions { subject, reason },
                Field::ReplicationFactor => ErrorKind::InvalidReplicationFactor { subject, reason },
            };
            errors.push(Error::at(kind, loc));
            Err(())
        }
    })
}

/// Normalises every entry of `map` into `configs`; a later map (the topic's own) replaces an earlier
/// one's key (the defaults').
pub(crate) fn configs_into(
    subject: &Subject,
    map: &ConfigMap,
    at: &dyn Fn(Pos) -> Location,
    configs: &mut BTreeMap<String, String>,
    locations: &mut BTreeMap<String, Location>,
    errors: &mut Vec<Error>,
) {
    for (key, value) in &map.0 {
        let At { value: key_text, at: key_at } = key;
        let Some(spec) = catalog::get(key_text) else {
            let names: Vec<String> = catalog::all().iter().map(|c| c.name.to_owned()).collect();
            let suggestion = super::load::closest(key_text, &names);
            errors.push(Error::at(ErrorKind::UnknownConfig { key: key_text.clone(), suggestion }, at(*key_at)));
            continue;
        };
        // Any release's range: the cluster's own is checked once its release is known.
        match catalog::normalise(spec.loosest(), &value.value) {
            Ok(v) => {
                configs.insert(key_text.clone(), v);
                locations.insert(key_text.clone(), at(value.at));
            }
            Err(invalid) => errors.push(Error::at(
                ErrorKind::InvalidConfigValue {
                    subject: subject.clone(),
                    key: key_text.clone(),
                    reason: invalid.reason,
                    hint: invalid.hint,
                },
                at(value.at),
            )),
        }
    }
}

/// Takes `rawConfig` entries as they are written (scalars, as text). A key the catalog knows belongs under
/// `config`, where it is checked and normalised; a key under both is refused.
pub(crate) fn raw_configs_into(
    subject: &Subject,
    map: &ConfigMap,
    at: &dyn Fn(Pos) -> Location,
    configs: &mut BTreeMap<String, String>,
    locations: &mut BTreeMap<String, Location>,
    errors: &mut Vec<Error>,
) {
    for (key, value) in &map.0 {
        let At { value: key_text, at: key_at } = key;
        if catalog::get(key_text).is_some() {
            errors.push(Error::at(
                ErrorKind::RawConfigKnown { subject: subject.clone(), key: key_text.clone() },
                at(*key_at),
            ));
            continue;
        }
        match value.value.as_text() {
            Ok(text) => {
                configs.insert(key_text.clone(), text);
                locations.insert(key_text.clone(), at(value.at));
            }
            Err(invalid) => errors.push(Error::at(
                ErrorKind::InvalidConfigValue {
                    subject: subject.clone(),
                    key: key_text.clone(),
                    reason: invalid.reason,
                    hint: Some("a raw config's value is a string, a number or a boolean".into()),
                },
                at(value.at),
            )),
        }
    }
}

/// Rules that span fields or topics, checked on the whole desired state (and again after `cluster`'s
/// overrides are applied).
pub fn cross_checks(desired: &Desired, cluster: Option<&str>) -> Vec<Error> {
    let mut problems = Vec::new();
    for topic in desired.topics.values() {
        let (Some(rf), Some(min_isr)) = (topic.replication_factor, topic.configs.get("min.insync.replicas")) else {
            continue;
        };
        if topic.acknowledged.contains(&super::Acknowledgement::MinInsyncAboveReplicationFactor) {
            continue;
        }
        if let Ok(min_isr) = min_isr.parse::<i64>()
            && min_isr > i64::from(rf)
        {
            let at = topic.locations.configs.get("min.insync.replicas").or(topic.origin.as_ref()).cloned();
            problems.push(Error {
                kind: ErrorKind::MinInsyncAboveReplicationFactor {
                    topic: topic.name.clone(),
                    min_isr,
                    replication_factor: rf,
                    replication_factor_at: topic.locations.replication_factor.clone(),
                    cluster: cluster.map(str::to_owned),
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
        return Err("a topic needs a name".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is reserved"));
    }
    if name.len() > MAX_TOPIC_NAME {
        return Err(format!("it has {} characters, more than {MAX_TOPIC_NAME}", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        // Show the character itself unless it is invisible.
        let shown = if c.is_control() || c.is_whitespace() { c.escape_default().to_string() } else { c.to_string() };
        return Err(format!("it contains `{shown}`"));
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
        use super::super::model::Count;
        assert_eq!(Count::Integer(3).within(1, 10), Ok(3));
        assert_eq!(Count::Text(" 12 ".into()).within(1, 100), Ok(12));
        assert_eq!(Count::Integer(0).within(1, 10), Err("0; Kafka needs at least 1".into()));
        assert_eq!(Count::Integer(11).within(1, 10), Err("11; Kafka allows at most 10".into()));
        assert_eq!(Count::Float(1.5).within(1, 10), Err("1.5, which is not a whole number".into()));
        assert_eq!(Count::Text("many".into()).within(1, 10), Err("`many`, which is not a whole number".into()));
        assert_eq!(
            Count::Integer(i128::MAX).within(1, 10).unwrap_err(),
            format!("{}; Kafka allows at most 10", i128::MAX)
        );
    }
}
