//! `import`: topic files for the topics a cluster already has, such that the first `plan` against them
//! is empty. Pure: live state in, file names and texts out.
//!
//! Only what the topic itself sets is written: partitions, the replication factor, and its topic
//! overrides. Values it inherits (broker or Kafka defaults) are left out, so they stay inherited.
//! Topics are grouped into files by the first part of their name (`payments.ledger.v1` goes to
//! `payments.yaml`).

use std::collections::BTreeMap;

use crate::live::{ConfigSource, Live, LiveTopic};
use crate::render::yaml_scalar;

/// The files to write: `(file name, text)`, sorted.
pub fn files(live: &Live, schema_path: &str) -> Vec<(String, String)> {
    let mut groups: BTreeMap<String, Vec<(&String, &LiveTopic)>> = BTreeMap::new();
    for (name, topic) in &live.topics {
        groups.entry(group_of(name)).or_default().push((name, topic));
    }
    groups
        .into_iter()
        .map(|(group, topics)| {
            let mut text = format!(
                "# yaml-language-server: $schema={schema_path}\n# Imported from the cluster by `topicform import`.\ntopics:\n"
            );
            for (name, topic) in topics {
                text += &format!("  - name: {}\n", yaml_scalar(name));
                text += &format!("    partitions: {}\n", topic.partitions.len());
                text += &format!("    replicationFactor: {}\n", topic.replication_factor());
                let overrides: Vec<(&String, &str)> = topic
                    .configs
                    .iter()
                    .filter(|(_, c)| c.source == ConfigSource::TopicOverride)
                    .filter_map(|(k, c)| c.value.as_deref().map(|v| (k, v)))
                    .collect();
                if !overrides.is_empty() {
                    text += "    config:\n";
                    for (key, value) in overrides {
                        text += &format!("      {key}: {}\n", yaml_scalar(value));
                    }
                }
            }
            (format!("{group}.yaml"), text)
        })
        .collect()
}

/// The file a topic goes to: its name up to the first `.`, `-` or `_`, as a safe file name.
fn group_of(topic: &str) -> String {
    let head = topic.split(['.', '-', '_']).find(|s| !s.is_empty()).unwrap_or("topics");
    head.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use insta::assert_snapshot;

    use super::*;
    use crate::live::{LiveConfig, LivePartition};

    fn topic(partitions: i32, rf: i32, configs: &[(&str, &str, ConfigSource)]) -> LiveTopic {
        LiveTopic {
            partitions: (0..partitions)
                .map(|id| LivePartition { id, leader: Some(1), replicas: (1..=rf).collect(), isr: (1..=rf).collect() })
                .collect(),
            configs: configs
                .iter()
                .map(|(k, v, s)| {
                    let c = LiveConfig {
                        value: Some(v.to_string()),
                        source: *s,
                        read_only: false,
                        sensitive: false,
                        inherited: None,
                    };
                    (k.to_string(), c)
                })
                .collect(),
        }
    }

    #[test]
    fn only_overrides_grouped_by_prefix() {
        let live = Live {
            brokers: BTreeMap::new(),
            topics: BTreeMap::from([
                (
                    "payments.ledger.v1".into(),
                    topic(
                        6,
                        3,
                        &[
                            ("cleanup.policy", "compact", ConfigSource::TopicOverride),
                            ("retention.ms", "604800000", ConfigSource::Default),
                            ("min.insync.replicas", "1", ConfigSource::DynamicDefaultBroker),
                        ],
                    ),
                ),
                ("payments-audit".into(), topic(1, 1, &[("retention.ms", "-1", ConfigSource::TopicOverride)])),
                ("Orders".into(), topic(3, 2, &[])),
            ]),
        };
        let files = files(&live, "../schemas/topicform.schema.json");
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["orders.yaml", "payments.yaml"]);
        assert_snapshot!(files[1].1, @r"
        # yaml-language-server: $schema=../schemas/topicform.schema.json
        # Imported from the cluster by `topicform import`.
        topics:
          - name: payments-audit
            partitions: 1
            replicationFactor: 1
            config:
              retention.ms: -1
          - name: payments.ledger.v1
            partitions: 6
            replicationFactor: 3
            config:
              cleanup.policy: compact
        ");
    }
}
