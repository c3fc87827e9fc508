//! `import`: topic files for the topics a cluster already has, such that the first `plan` against them
//! is empty, on every release. Pure: live state in, file names and texts out.
//!
//! Only what the topic itself sets is written: partitions, the replication factor, and its topic
//! overrides. Values it inherits (broker or Kafka defaults) are left out, so they stay inherited.
//! Overrides of keys the catalog does not know for the cluster's release (a vendor's, a newer Kafka's)
//! go under `rawConfig`, compared as strings. A topic that breaks a rule (`min.insync.replicas` above
//! its replication factor) is written as it is, with an `acknowledge` entry and a comment saying why it
//! is risky. Every scalar is written so that YAML reads back exactly the string the cluster holds.
//! Topics are grouped into files by the first part of their name (`payments.ledger.v1` goes to
//! `payments.yaml`).

use std::collections::BTreeMap;

use crate::catalog::{self, Kind, Known, Release};
use crate::live::{ConfigSource, Live, LiveTopic};

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
                text += &topic_yaml(name, topic, live.cluster.release);
            }
            (format!("{group}.yaml"), text)
        })
        .collect()
}

fn topic_yaml(name: &str, topic: &LiveTopic, release: Option<Release>) -> String {
    let rf = topic.replication_factor();
    let mut text = format!("  - name: {}\n", yaml_string(name));
    text += &format!("    partitions: {}\n", topic.partitions.len());
    text += &format!("    replicationFactor: {rf}\n");
    let overrides: Vec<(&str, &str)> = topic
        .configs
        .iter()
        .filter(|(_, c)| c.source == ConfigSource::TopicOverride)
        .filter_map(|(k, c)| c.value.as_deref().map(|v| (k.as_str(), v)))
        .collect();
    let (known, raw): (Vec<_>, Vec<_>) =
        overrides.into_iter().partition(|(k, _)| matches!(catalog::lookup(k, release), Known::Yes(_)));
    if !known.is_empty() {
        text += "    config:\n";
        for (key, value) in &known {
            text += &format!("      {}: {}\n", yaml_string(key), config_scalar(key, value));
        }
    }
    if !raw.is_empty() {
        text += "    # Configs topicform does not know";
        text += &release.map(|r| format!(" for Kafka {}", r.line())).unwrap_or_default();
        text += ": kept and compared as written.\n    rawConfig:\n";
        for (key, value) in &raw {
            text += &format!("      {}: {}\n", yaml_string(key), yaml_string(value));
        }
    }
    let min_isr = known.iter().find(|(k, _)| *k == "min.insync.replicas").and_then(|(_, v)| v.parse::<usize>().ok());
    if let Some(min_isr) = min_isr.filter(|m| *m > rf) {
        text += &format!(
            "    # Adopted as it is: min.insync.replicas ({min_isr}) is above the replication factor ({rf}), so \
             producers with acks=all\n    # cannot write to this topic. Lower min.insync.replicas or raise the \
             replication factor, then remove this acknowledgement.\n    acknowledge: [minInsyncAboveReplicationFactor]\n"
        );
    }
    text
}

/// A config value as YAML: a number or boolean plain when the config is of that kind and YAML reads it
/// back as the same value, any other value as a string that YAML reads back exactly.
fn config_scalar(key: &str, value: &str) -> String {
    let numeric = catalog::get(key)
        .is_some_and(|c| matches!(c.kind, Kind::Duration | Kind::Bytes | Kind::Int | Kind::Long | Kind::Boolean));
    let plain_number = !value.is_empty()
        && value.strip_prefix('-').unwrap_or(value).bytes().all(|b| b.is_ascii_digit())
        && !value.strip_prefix('-').unwrap_or(value).is_empty()
        && (value == "0" || !value.trim_start_matches('-').starts_with('0'));
    if numeric && (plain_number || value == "true" || value == "false") { value.to_owned() } else { yaml_string(value) }
}

/// `text` as a YAML scalar that reads back as exactly that string: plain when it is plainly a string
/// to every YAML reader in block context (letters, digits and `._-/,`, starting with a letter, not a YAML 1.1 boolean
/// or null), else double-quoted with every character YAML does not take as it is escaped.
pub fn yaml_string(text: &str) -> String {
    const SPECIAL: [&str; 22] = [
        "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No",
        "NO", "on", "On", "ON", "off", "Off", "OFF", "y",
    ];
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "._-/,".contains(c))
        && !SPECIAL.contains(&text)
        && !matches!(text, "Y" | "n" | "N" | "nan" | "NaN" | "NAN" | "inf" | "Inf" | "INF");
    if plain { text.to_owned() } else { double_quoted(text) }
}

/// YAML's double-quoted style: `"` and `\` escaped, and every character outside YAML's printable set,
/// line breaks and tabs included (a raw line break inside quotes would be folded to a space), as an
/// escape (YAML 1.2, 5.1 and 5.7).
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            // Printable, and not a line break (NEL, the line and paragraph separators) or the BOM.
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..
                if !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                out.push(c)
            }
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
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
                        value: Some((*v).into()),
                        source: *s,
                        read_only: false,
                        sensitive: false,
                        inherited: None,
                    };
                    ((*k).into(), c)
                })
                .collect(),
        }
    }

    #[test]
    fn only_overrides_grouped_by_prefix() {
        let live = Live {
            brokers: BTreeMap::new(),
            cluster: Default::default(),
            moving: Default::default(),
            throttled_brokers: Default::default(),
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

    fn live_of(topics: Vec<(String, LiveTopic)>, release: Option<Release>) -> Live {
        let mut live = Live { topics: topics.into_iter().collect(), ..Live::default() };
        live.cluster.release = release;
        live
    }

    /// Imports `live`, loads the files back with the real loader, and returns what they declare.
    fn round_trip(live: &Live) -> crate::desired::Desired {
        let files = files(live, "topicform.schema.json");
        let texts: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        match crate::desired::load::check_texts(&texts) {
            Ok(checked) => checked.desired,
            Err(e) => panic!("the imported files do not load: {e:#?}\n{files:#?}"),
        }
    }

    #[test]
    fn legacy_and_unknown_keys_and_broken_rules_round_trip() {
        let live = live_of(
            vec![
                (
                    "null".into(),
                    topic(
                        2,
                        1,
                        &[
                            ("min.insync.replicas", "2", ConfigSource::TopicOverride),
                            ("confluent.placement.constraints", "{\"version\": 1}", ConfigSource::TopicOverride),
                            ("retention.ms", "86400000", ConfigSource::TopicOverride),
                        ],
                    ),
                ),
                ("true".into(), topic(1, 1, &[("cleanup.policy", "compact,delete", ConfigSource::TopicOverride)])),
            ],
            Some(Release::of("4.4.0")),
        );
        let files = files(&live, "topicform.schema.json");
        assert_snapshot!(files.iter().map(|(_, t)| t.as_str()).collect::<String>(), @r#"
        # yaml-language-server: $schema=topicform.schema.json
        # Imported from the cluster by `topicform import`.
        topics:
          - name: "null"
            partitions: 2
            replicationFactor: 1
            config:
              min.insync.replicas: 2
              retention.ms: 86400000
            # Configs topicform does not know for Kafka 4.4: kept and compared as written.
            rawConfig:
              confluent.placement.constraints: "{\"version\": 1}"
            # Adopted as it is: min.insync.replicas (2) is above the replication factor (1), so producers with acks=all
            # cannot write to this topic. Lower min.insync.replicas or raise the replication factor, then remove this acknowledgement.
            acknowledge: [minInsyncAboveReplicationFactor]
        # yaml-language-server: $schema=topicform.schema.json
        # Imported from the cluster by `topicform import`.
        topics:
          - name: "true"
            partitions: 1
            replicationFactor: 1
            config:
              cleanup.policy: compact,delete
        "#);
        let desired = round_trip(&live);
        let null = &desired.topics["null"];
        assert_eq!(null.configs.get("confluent.placement.constraints").unwrap(), "{\"version\": 1}");
        assert_eq!(null.configs.get("min.insync.replicas").unwrap(), "2");
        assert_eq!(crate::plan::diff(&desired, &live).changes, [], "adoption changes nothing");
    }

    #[test]
    fn version_like_values_stay_strings() {
        // `message.format.version: 3.0` would be read as the number 3 by YAML.
        for value in ["3.0", "3.0-IV1", "0.10.2", "1e3", "0x10", "007"] {
            assert_eq!(config_scalar("message.format.version", value), format!("\"{value}\""), "{value}");
        }
        assert_eq!(config_scalar("retention.ms", "-1"), "-1");
        assert_eq!(config_scalar("retention.ms", "007"), "\"007\"");
        assert_eq!(config_scalar("min.cleanable.dirty.ratio", "0.5"), "\"0.5\"");
    }

    proptest::proptest! {
        /// Any string the cluster can hold reads back as itself.
        #[test]
        fn every_string_survives_yaml(text in "\\PC*|[ -~]{0,12}|[\\x00-\\x1f\\u{7f}-\\u{a0}\\u{2028}\\u{feff}]{0,4}") {
            let doc = format!("k: {}\n", yaml_string(&text));
            // Read untyped, as config values are: a string must come back as a string, not a number.
            let parsed: BTreeMap<String, serde_json::Value> = serde_saphyr::from_str(&doc).unwrap();
            proptest::prop_assert_eq!(&parsed["k"], &serde_json::Value::String(text.clone()), "{}", doc);
        }

        /// Every legal topic name imports and loads back as itself, with its raw configs.
        #[test]
        fn every_topic_name_survives_import(name in "[a-zA-Z0-9._-]{1,40}", value in "\\PC{0,20}") {
            proptest::prop_assume!(name != "." && name != ".." && !name.starts_with("__"));
            let live = live_of(vec![(name.clone(), topic(1, 1, &[("x.vendor.key", &value, ConfigSource::TopicOverride)]))], None);
            let desired = round_trip(&live);
            let names: Vec<&String> = desired.topics.keys().collect();
            proptest::prop_assert_eq!(names, vec![&name]);
            let kept = desired.topics[&name].configs.get("x.vendor.key").map(|v| v.as_str());
            proptest::prop_assert_eq!(kept, Some(value.as_str()));
        }
    }
}
