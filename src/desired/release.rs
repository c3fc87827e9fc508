//! The desired state against one Kafka release: every declared config must exist in that release, and
//! its value must be one that release accepts. Run offline with a cluster's `kafkaVersion`, and by
//! `plan` with the release the brokers run, so that a config the cluster lacks is refused with its
//! place in the files, never first by the brokers at apply.

use super::{Availability, Desired, DesiredTopic, Error, ErrorKind, ReleaseBasis, Subject};
use crate::catalog::{self, Known, Release, Value};

/// The problems of `desired` on `release`, each at the value it is about.
pub fn check_release(desired: &Desired, release: Release, basis: &ReleaseBasis) -> Vec<Error> {
    let mut problems = Vec::new();
    for topic in desired.topics.values() {
        check_topic(topic, release, basis, &mut problems);
    }
    problems
}

/// The problems of one topic on `release`.
pub(crate) fn check_topic(topic: &DesiredTopic, release: Release, basis: &ReleaseBasis, problems: &mut Vec<Error>) {
    if topic.delete {
        return;
    }
    {
        for (key, value) in &topic.configs {
            let at = topic.locations.configs.get(key).or(topic.origin.as_ref()).cloned();
            let subject = Subject::Topic(topic.name.clone());
            let why = match catalog::lookup(key, Some(release)) {
                Known::Yes(def) => {
                    // The value is canonical for the newest release; check it against this one's range.
                    if let Err(invalid) = catalog::normalise(&def, &Value::String(value.to_string())) {
                        problems.push(Error {
                            kind: ErrorKind::ConfigValueForRelease {
                                subject,
                                key: key.to_string(),
                                release,
                                reason: invalid.reason,
                                basis: basis.clone(),
                            },
                            at,
                        });
                    }
                    continue;
                }
                Known::NotYet { since } => Availability::Since(since),
                Known::Removed { until } => Availability::Until(until),
                // Raw (vendor) keys are not the catalog's to judge.
                Known::Unknown => continue,
            };
            problems.push(Error {
                kind: ErrorKind::ConfigNotInRelease {
                    subject,
                    key: key.to_string(),
                    release,
                    why,
                    basis: basis.clone(),
                },
                at,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::desired::{DesiredTopic, Location};

    fn at(line: u32) -> Location {
        Location { file: Arc::new(PathBuf::from("t.yaml")), line, column: 7, offset: None }
    }

    fn desired(configs: &[(&str, &str)]) -> Desired {
        let mut topic = DesiredTopic {
            name: "t".into(),
            partitions: 1,
            replication_factor: None,
            configs: Default::default(),
            origin: Some(at(1)),
            locations: Default::default(),
            config_mode: None,
            delete: false,
            acknowledged: Default::default(),
        };
        for (i, (k, v)) in configs.iter().enumerate() {
            topic.configs.insert((*k).into(), (*v).into());
            topic.locations.configs.insert((*k).into(), at(i as u32 + 2));
        }
        Desired { topics: [("t".to_owned(), topic)].into() }
    }

    #[test]
    fn a_config_newer_than_the_release_is_refused_at_its_value() {
        let basis = ReleaseBasis::Detected { cluster: "old".into() };
        let d = desired(&[("retention.ms", "1000"), ("compression.gzip.level", "5")]);
        let problems = check_release(&d, Release::of("3.7.2"), &basis);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].at, Some(at(3)));
        assert_eq!(
            problems[0].kind.to_string(),
            "topic `t` sets `compression.gzip.level`, which Apache Kafka 3.7.2 does not have: it appeared in 3.8"
        );
        assert!(check_release(&d, Release::of("3.8.0"), &basis).is_empty());
    }
}
