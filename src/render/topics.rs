//! `list` and `describe`: the views of `kafka-topics --list` and `--describe`, for people who know
//! those, with under-replicated and offline partitions marked.

use std::io::{self, Write};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::Style;
use crate::live::{ConfigSource, Live, LiveTopic};

const RED: &str = "1;31";
const YELLOW: &str = "33";

/// One topic's health, from its partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Partitions without a leader: nobody can read or write them.
    pub offline: usize,
    /// Partitions with fewer in-sync replicas than replicas.
    pub under_replicated: usize,
}

/// `list` and `describe` as JSON (`--format json`; `schemas/topics.schema.json`). Fields are in
/// alphabetical order, as they were when this output was built from an untyped map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TopicsView {
    /// The topics, by name.
    pub topics: Vec<TopicView>,
}

/// One topic in [`TopicsView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicView {
    /// Under-replicated and offline partitions.
    pub health: Health,
    /// The topic name.
    pub name: String,
    /// The topic's own config overrides; `null` values are sensitive.
    pub overrides: BTreeMap<String, Option<String>>,
    /// Every partition's placement.
    pub partition_details: Vec<PartitionView>,
    /// Partition count.
    pub partitions: usize,
    /// Replication factor.
    pub replication_factor: usize,
}

/// One partition in [`TopicView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PartitionView {
    /// Partition id.
    pub id: i32,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// The leader, if any.
    pub leader: Option<i32>,
    /// Replicas, preferred leader first.
    pub replicas: Vec<i32>,
}

impl TopicsView {
    /// The view of every topic in `live`.
    pub fn of(live: &Live) -> Self {
        let topics = live
            .topics
            .iter()
            .map(|(name, t)| TopicView {
                health: health(t),
                name: name.clone(),
                overrides: t.overrides().map(|(k, c)| (k.to_owned(), c.text())).collect(),
                partition_details: t
                    .partitions
                    .iter()
                    .map(|p| PartitionView {
                        id: p.id,
                        isr: p.isr.clone(),
                        leader: p.leader,
                        replicas: p.replicas.clone(),
                    })
                    .collect(),
                partitions: t.partitions.len(),
                replication_factor: t.replication_factor(),
            })
            .collect();
        TopicsView { topics }
    }
}

/// Writes `live` as JSON, for `list --format json` and `describe --format json`.
pub fn json(live: &Live, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", serde_json::to_string_pretty(&TopicsView::of(live)).map_err(io::Error::other)?)
}

/// The health of a topic.
pub fn health(topic: &LiveTopic) -> Health {
    Health {
        under_replicated: topic.partitions.iter().filter(|p| p.isr.len() < p.replicas.len()).count(),
        offline: topic.partitions.iter().filter(|p| p.leader.is_none()).count(),
    }
}

fn marks(h: Health, style: Style) -> String {
    let mut out = String::new();
    if h.offline > 0 {
        out += &style.paint(RED, &format!("  {} offline", h.offline));
    }
    if h.under_replicated > 0 {
        out += &style.paint(YELLOW, &format!("  {} under-replicated", h.under_replicated));
    }
    out
}

/// Writes one line per topic: name, partitions, replication factor, and any unhealthy partitions.
pub fn list(live: &Live, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let width = live.topics.keys().map(String::len).max().unwrap_or(5).max(5);
    writeln!(out, "{:width$}  PARTITIONS  RF", "TOPIC")?;
    for (name, topic) in &live.topics {
        let h = health(topic);
        let name = super::escape::terminal(name);
        writeln!(
            out,
            "{name:width$}  {:>10}  {:>2}{}",
            topic.partitions.len(),
            topic.replication_factor(),
            marks(h, style)
        )?;
    }
    Ok(())
}

/// Writes each topic as `kafka-topics --describe` does: a header with its overrides, then a line per
/// partition.
pub fn describe(live: &Live, names: &[String], style: Style, out: &mut dyn Write) -> io::Result<()> {
    use super::escape::terminal as t;
    for name in names {
        let Some(topic) = live.topics.get(name) else {
            writeln!(out, "Topic: {}  (does not exist)", t(name))?;
            continue;
        };
        let name = t(name);
        let overrides: Vec<String> = topic
            .configs
            .iter()
            .filter(|(_, c)| c.source == ConfigSource::TopicOverride)
            .map(|(k, c)| format!("{}={}", t(k), t(c.value.as_deref().unwrap_or("(sensitive)"))))
            .collect();
        writeln!(
            out,
            "Topic: {name}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}{}",
            topic.partitions.len(),
            topic.replication_factor(),
            overrides.join(","),
            marks(health(topic), style)
        )?;
        for p in &topic.partitions {
            let list = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            let leader = p.leader.map_or_else(|| "none".to_owned(), |l| l.to_string());
            let mark = if p.leader.is_none() {
                style.paint(RED, "  offline")
            } else if p.isr.len() < p.replicas.len() {
                style.paint(YELLOW, "  under-replicated")
            } else {
                String::new()
            };
            writeln!(
                out,
                "\tTopic: {name}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}{mark}",
                p.id,
                list(&p.replicas),
                list(&p.isr)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use litemap::LiteMap;
    use std::collections::BTreeMap;

    use insta::assert_snapshot;

    use super::*;
    use crate::live::{LiveConfig, LivePartition};

    fn live() -> Live {
        let p = |id, leader, replicas: &[i32], isr: &[i32]| LivePartition {
            id,
            leader,
            replicas: replicas.to_vec(),
            isr: isr.to_vec(),
        };
        let retention = LiveConfig {
            value: Some("3600000".into()),
            source: ConfigSource::TopicOverride,
            read_only: false,
            sensitive: false,
            inherited: None,
        };
        Live {
            brokers: BTreeMap::new(),
            cluster: Default::default(),
            moving: Default::default(),
            throttled_brokers: Default::default(),
            topics: BTreeMap::from([
                (
                    "orders".into(),
                    LiveTopic {
                        partitions: vec![
                            p(0, Some(1), &[1, 2, 3], &[1, 2, 3]),
                            p(1, Some(2), &[2, 3, 1], &[2, 1]),
                            p(2, None, &[3, 1, 2], &[]),
                        ],
                        configs: LiteMap::from_iter([("retention.ms".into(), retention)]),
                    },
                ),
                (
                    "payments.ledger.v1".into(),
                    LiveTopic { partitions: vec![p(0, Some(1), &[1], &[1])], configs: LiteMap::new() },
                ),
            ]),
        }
    }

    fn render(f: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn list_marks_unhealthy_topics() {
        assert_snapshot!(render(|out| list(&live(), Style::default(), out)), @r"
        TOPIC               PARTITIONS  RF
        orders                       3   3  1 offline  2 under-replicated
        payments.ledger.v1           1   1
        ");
    }

    #[test]
    fn describe_like_kafka_topics() {
        let names = vec!["orders".to_owned(), "missing".to_owned()];
        assert_snapshot!(render(|out| describe(&live(), &names, Style::default(), out)), @r"
        Topic: orders	PartitionCount: 3	ReplicationFactor: 3	Configs: retention.ms=3600000  1 offline  2 under-replicated
        	Topic: orders	Partition: 0	Leader: 1	Replicas: 1,2,3	Isr: 1,2,3
        	Topic: orders	Partition: 1	Leader: 2	Replicas: 2,3,1	Isr: 2,1  under-replicated
        	Topic: orders	Partition: 2	Leader: none	Replicas: 3,1,2	Isr:   offline
        Topic: missing  (does not exist)
        ");
    }
}
